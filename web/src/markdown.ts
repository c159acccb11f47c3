/**
 * Messages rendered with Mattermost's own CommonMark fork (`@mattermost/commonmark`): tables,
 * @mentions, ~channels, #hashtags and :emoji: are parsed as the server's web app parses them.
 * Raw HTML is not rendered (`safe`), as Mattermost does not render it either.
 */
import { HtmlRenderer, Parser, type Node } from "@mattermost/commonmark";
import { emojiFor } from "./emoji";

const parser = new Parser({ minimumHashtagLength: 3 });

/** The fork leaves its own nodes as empty spans for the web app to fill: fill them here. */
class MattermostRenderer extends HtmlRenderer {
  me = "";

  constructor() {
    super({ safe: true, softbreak: "<br />" });
    const self = this as unknown as Record<string, (node: Node) => void> & {
      lit(s: string): void;
      esc(s: string): string;
    };
    self.emoji = (node) => {
      const name = (node as unknown as { emojiName?: string }).emojiName ?? "";
      const char = emojiFor(name);
      self.lit(
        char
          ? `<span class="emoji" title=":${self.esc(name)}:">${char}</span>`
          : self.esc(node.literal ?? `:${name}:`),
      );
    };
    self.at_mention = (node) => {
      const name = node.mentionName ?? "";
      const own =
        name.toLowerCase() === this.me || name === "all" || name === "channel" || name === "here";
      self.lit(`<span class="mention${own ? " mention-me" : ""}">@${self.esc(name)}</span>`);
    };
    self.channel_link = (node) =>
      self.lit(`<span class="channel-link">~${self.esc(node.channelName ?? "")}</span>`);
    self.hashtag = (node) =>
      self.lit(
        `<span class="hashtag">#${self.esc((node as unknown as { hashtag?: string }).hashtag ?? "")}</span>`,
      );
  }
}

const renderer = new MattermostRenderer();

/** The message as HTML, with mentions of `me` highlighted. */
export function renderMarkdown(message: string, me: string): string {
  renderer.me = me.toLowerCase();
  return renderer.render(parser.parse(message));
}

/** How `mmbot chat` prints: every post gets a number (for `/thread n`), replies show their root. */
import type { MattermostClient } from "../../mattermost/rest.js";
import type { Channel, Post, UserProfile } from "../../mattermost/types.js";

/** What the chat shows of a message attachment (Slack-style: `props.attachments`). */
interface ShownAttachment {
  title?: string;
  text?: string;
  actions?: ShownAction[];
}
export interface ShownAction {
  id: string;
  name: string;
  type?: string;
}

function attachmentsOf(post: Post | undefined): ShownAttachment[] {
  const attachments = (post?.props as { attachments?: unknown } | undefined)?.attachments;
  return Array.isArray(attachments) ? (attachments as ShownAttachment[]) : [];
}

/** "is typing" is shown once per user per this long, like the web app's indicator. */
const TYPING_QUIET_MS = 5_000;

export class ChatView {
  private readonly numbers = new Map<string, number>();
  private readonly byNumber = new Map<number, Post>();
  private readonly directNames = new Map<string, string>();
  private readonly typingShownAt = new Map<string, number>();
  private next = 1;

  constructor(
    private readonly me: UserProfile,
    private readonly print: (text: string) => void,
  ) {}

  notice(text: string): void {
    this.print(text);
  }

  /** Shows a post once; posts outside the open channel are labelled with theirs. */
  post(post: Post, sender: UserProfile, channel: Channel, inOpenChannel: boolean): void {
    if (this.numbers.has(post.id) || post.type?.startsWith("system_")) return;
    const n = this.next++;
    this.numbers.set(post.id, n);
    this.byNumber.set(n, post);
    this.typingShownAt.delete(sender.id);
    const where = inOpenChannel
      ? ""
      : channel.type === "D"
        ? `[@${this.directPartnerName(channel)}] `
        : `[~${channel.name}] `;
    const root = post.root_id ? this.numbers.get(post.root_id) : undefined;
    const thread = post.root_id ? `  ↳ ${root ? `re #${root} ` : "in a thread "}` : "";
    const time = new Date(post.create_at).toTimeString().slice(0, 5);
    const head = `#${n} ${time} ${where}${thread}${sender.username}: `;
    this.print(this.render(head, post));
  }

  /** A post changed in place (e.g. a list redrawn after a click): shown again under its number. */
  edited(post: Post, sender: UserProfile): void {
    const n = this.numbers.get(post.id);
    if (n === undefined) return;
    this.byNumber.set(n, post);
    this.print(this.render(`#${n} (edited) ${sender.username}: `, post));
  }

  /** The buttons and menus of post #n, numbered as shown (`[1 Done]`). */
  actionsOf(n: number): ShownAction[] {
    return attachmentsOf(this.byNumber.get(n)).flatMap((a) => a.actions ?? []);
  }

  private render(head: string, post: Post): string {
    const indent = " ".repeat(Math.min(head.length, 12));
    const [first = "", ...rest] = post.message.split("\n");
    const lines = [head + first, ...rest.map((line) => indent + line)];
    let k = 0;
    for (const attachment of attachmentsOf(post)) {
      for (const line of [attachment.title, attachment.text]
        .filter(Boolean)
        .join("\n")
        .split("\n")
        .filter(Boolean))
        lines.push(`${indent}| ${line}`);
      const actions = (attachment.actions ?? []).map(
        (action) => `[${++k} ${action.name}${action.type === "select" ? " ▾" : ""}]`,
      );
      if (actions.length) lines.push(`${indent}| ${actions.join(" ")}`);
    }
    return lines.join("\n");
  }

  /** A post only this user sees (a slash command's answer, a refusal); not numbered: it can't be replied to. */
  ephemeral(post: Post, sender: UserProfile | undefined): void {
    const [first = "", ...rest] = post.message.split("\n");
    // a slash command's answer comes "from" whoever ran it: no name then
    const from = sender && sender.id !== this.me.id ? `${sender.username}: ` : "";
    this.print(
      [`   (only you) ${from}${first}`, ...rest.map((line) => `              ${line}`)].join("\n"),
    );
  }

  typing(user: UserProfile): void {
    const now = Date.now();
    if (now - (this.typingShownAt.get(user.id) ?? 0) < TYPING_QUIET_MS) return;
    this.typingShownAt.set(user.id, now);
    this.print(`   ${user.username} is typing…`);
  }

  numberOf(postId: string): number | undefined {
    return this.numbers.get(postId);
  }

  postNumbered(n: number): Post | undefined {
    return this.byNumber.get(n);
  }

  /** A direct channel's name is `<idA>__<idB>`: the partner is the id that is not ours. */
  async learnDirect(channel: Channel, client: MattermostClient): Promise<void> {
    if (this.directNames.has(channel.id)) return;
    const ids = channel.name.split("__");
    const other = ids.find((id) => id !== this.me.id) ?? this.me.id;
    this.directNames.set(channel.id, (await client.getUser(other)).username);
  }

  directPartnerName(channel: Channel): string {
    return this.directNames.get(channel.id) ?? channel.display_name ?? channel.name;
  }
}

/**
 * `CreateWebhookPost`: the post an incoming webhook or an outgoing webhook's answer makes, by the
 * hook's creator, marked `from_webhook`, with the overrides the server settings allow. Such posts
 * do not fire outgoing webhooks (the server's loop guard).
 */
import type { Post } from "../../mattermost/types.js";
import { fail, type ErrorSpec } from "../errors.js";
import type { IntegrationContext } from "./context.js";
import { slackAttachments, slackLinksToMarkdown } from "./slack.js";

const INVALID_TYPE: ErrorSpec = {
  id: "api.context.invalid_param.app_error",
  message: "Invalid post.type parameter.",
  status: 400,
};
const RESERVED = new Set(["override_icon_url", "override_username", "from_webhook"]);

export interface WebhookPostInput {
  userId: string;
  channelId: string;
  text: string;
  overrideUsername: string;
  overrideIconUrl: string;
  overrideIconEmoji: string;
  props: Record<string, unknown>;
  type: string;
  rootId: string;
}

export function createWebhookPost(context: IntegrationContext, input: WebhookPostInput): Post {
  if (input.type.startsWith("system_")) fail(INVALID_TYPE);
  const props: Record<string, unknown> = { from_webhook: "true" };
  if (context.settings.enablePostUsernameOverride)
    props.override_username = input.overrideUsername || "webhook";
  if (context.settings.enablePostIconOverride) {
    if (input.overrideIconUrl) props.override_icon_url = input.overrideIconUrl;
    if (input.overrideIconEmoji) props.override_icon_emoji = input.overrideIconEmoji;
  }
  let type = input.type;
  for (const [key, value] of Object.entries(input.props)) {
    if (key === "attachments") {
      const attachments = slackAttachments(value);
      if (attachments) {
        props.attachments = attachments;
        type ||= "slack_attachment";
      }
    } else if (!RESERVED.has(key)) props[key] = value;
  }
  return context.posting.create(
    input.userId,
    {
      channel_id: input.channelId,
      message: slackLinksToMarkdown(input.text),
      root_id: input.rootId,
      props,
    },
    { type, props },
    { triggerWebhooks: false },
  );
}

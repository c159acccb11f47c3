/**
 * Incoming webhooks (`web/webhook.go`, `app/webhook.go`): `POST /hooks/{id}` with a JSON body or a
 * form field `payload=<json>` posts as the hook's creator, into the hook's channel or the one the
 * payload names (`town-square`, `#name`, `@user` for a DM) unless the hook is locked to its channel.
 */
import { stringField } from "../http.js";
import { ERRORS, fail, invalidBodyParam, type ErrorSpec } from "../errors.js";
import { isValidId, newId } from "../ids.js";
import type { ChannelRecord } from "../wire.js";
import { mapTable, type Table } from "../persistence/table.js";
import type { IntegrationContext } from "./context.js";
import { isRecord } from "./slack.js";
import { createWebhookPost } from "./webhook-posts.js";
import { parseJson } from "../json.js";

export interface IncomingWebhook {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  team_id: string;
  display_name: string;
  description: string;
  username: string;
  icon_url: string;
  channel_locked: boolean;
}

export type IncomingWebhookInput = Partial<
  Pick<
    IncomingWebhook,
    "channel_id" | "display_name" | "description" | "username" | "icon_url" | "channel_locked"
  >
>;

const spec = (id: string, message: string, status: number): ErrorSpec => ({ id, message, status });
export const INCOMING_ERRORS = {
  invalid: spec("web.incoming_webhook.invalid.app_error", "Invalid webhook.", 400),
  missing: spec("app.webhooks.get_incoming.app_error", "Unable to get the webhook.", 404),
  text: spec("web.incoming_webhook.text.app_error", "No text specified.", 400),
  parse: spec("model.incoming_hook.parse_data.app_error", "Unable to parse incoming data.", 400),
  channel: spec("web.incoming_webhook.channel.app_error", "Couldn't find the channel.", 400),
  user: spec("web.incoming_webhook.user.app_error", "Couldn't find the user.", 400),
  locked: spec(
    "web.incoming_webhook.channel_locked.app_error",
    "This webhook is not permitted to post to the requested channel.",
    403,
  ),
  permissions: spec(
    "web.incoming_webhook.permissions.app_error",
    "Inappropriate channel permissions.",
    403,
  ),
} as const;

export class IncomingWebhooks {
  private readonly hooks = new Map<string, IncomingWebhook>();

  constructor(private readonly context: IntegrationContext) {}

  /** What a world file keeps (src/sandbox/persistence). */
  table(): Table {
    return mapTable("incoming_webhook", this.hooks);
  }

  create(creatorId: string, input: IncomingWebhookInput): IncomingWebhook {
    this.requireManager(creatorId);
    const settings = fields(input);
    const channel = this.channelFor(creatorId, settings.channel_id);
    const now = Date.now();
    const hook: IncomingWebhook = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      user_id: creatorId,
      ...settings,
      team_id: channel.team_id,
    };
    this.hooks.set(hook.id, hook);
    return { ...hook };
  }

  list(userId: string, teamId?: string): IncomingWebhook[] {
    this.requireManager(userId);
    return this.live()
      .filter((h) => !teamId || h.team_id === teamId)
      .map((h) => ({ ...h }));
  }

  get(userId: string, id: string): IncomingWebhook {
    this.requireManager(userId);
    return { ...this.find(id) };
  }

  /** Replaces the hook's settings with the body's (absent fields become empty, as on the server); creator and team stay. */
  update(userId: string, id: string, input: IncomingWebhookInput): IncomingWebhook {
    this.requireManager(userId);
    const old = this.find(id);
    const settings = fields(input);
    const channel = this.channelFor(userId, settings.channel_id);
    if (channel.team_id !== old.team_id) fail(ERRORS.permissions);
    const updated: IncomingWebhook = { ...old, ...settings, update_at: Date.now() };
    this.hooks.set(id, updated);
    return { ...updated };
  }

  remove(userId: string, id: string): void {
    this.requireManager(userId);
    this.find(id).delete_at = Date.now();
  }

  /** `POST /hooks/{id}`: the body as sent, read like the server (form `payload` or JSON). */
  receive(hookId: string, contentType: string, body: string): void {
    const json =
      contentType.split(";")[0]!.trim() === "application/x-www-form-urlencoded"
        ? (new URLSearchParams(body).get("payload") ?? "")
        : body;
    let payload: unknown = {};
    if (json.trim() !== "") {
      try {
        payload = parseJson(json);
      } catch {
        fail(INCOMING_ERRORS.parse);
      }
    }
    if (!isRecord(payload)) fail(INCOMING_ERRORS.parse);
    this.handle(hookId, payload);
  }

  /** `HandleIncomingWebhook`. */
  private handle(hookId: string, request: Record<string, unknown>): void {
    const { world } = this.context;
    const hook = this.hooks.get(hookId);
    if (!hook || hook.delete_at !== 0) fail(INCOMING_ERRORS.invalid);
    const str = (name: string) =>
      typeof request[name] === "string" ? (request[name] as string) : "";
    const props: Record<string, unknown> = isRecord(request.props) ? { ...request.props } : {};
    props.webhook_display_name = hook.display_name;
    const text = str("text");
    const attachments = Array.isArray(request.attachments) ? request.attachments : undefined;
    if (text === "" && !attachments) fail(INCOMING_ERRORS.text);
    let type = str("type");
    if (attachments && attachments.length > 0) {
      props.attachments = attachments;
      type = "slack_attachment";
    }

    const channelName = str("channel");
    let channel: ChannelRecord | undefined;
    if (channelName.startsWith("@")) {
      const user = world.userByName(channelName.slice(1));
      if (!user) fail(INCOMING_ERRORS.user);
      channel = world.channels.get(this.context.channels.direct(hook.user_id, user.id).id);
    } else if (channelName !== "") {
      channel = world.channelByName(hook.team_id, channelName.replace(/^#/, ""));
    } else {
      channel = world.channels.get(hook.channel_id);
    }
    if (!channel) fail(INCOMING_ERRORS.channel);
    if (hook.channel_locked && channel.id !== hook.channel_id) fail(INCOMING_ERRORS.locked);
    if (!world.users.has(hook.user_id)) fail(INCOMING_ERRORS.user);
    if (channel.type !== "O" && !world.canRead(hook.user_id, channel))
      fail(INCOMING_ERRORS.permissions);

    // the hook's own username and icon apply when the payload has none
    createWebhookPost(this.context, {
      userId: hook.user_id,
      channelId: channel.id,
      text,
      overrideUsername: str("username") || hook.username,
      overrideIconUrl: str("icon_url") || hook.icon_url,
      overrideIconEmoji: str("icon_emoji"),
      props,
      type,
      rootId: "",
    });
  }

  private channelFor(userId: string, channelId: string): ChannelRecord {
    if (!isValidId(channelId)) fail(invalidBodyParam("channel_id"));
    const channel = this.context.world.channels.get(channelId);
    if (!channel) fail(ERRORS.channelMissing);
    if (!this.context.world.canRead(userId, channel)) fail(ERRORS.permissions);
    return channel;
  }

  private live(): IncomingWebhook[] {
    return [...this.hooks.values()].filter((h) => h.delete_at === 0);
  }

  private find(id: string): IncomingWebhook {
    const hook = this.hooks.get(id);
    if (!hook || hook.delete_at !== 0) fail(INCOMING_ERRORS.missing);
    return hook;
  }

  private requireManager(userId: string): void {
    if (!this.context.world.isAdmin(userId)) fail(ERRORS.permissions);
  }
}

function fields(
  input: IncomingWebhookInput,
): Omit<IncomingWebhook, "id" | "create_at" | "update_at" | "delete_at" | "user_id" | "team_id"> {
  const body = input as Record<string, unknown>;
  const text = (name: string): string => stringField(body, name, true);
  return {
    channel_id: text("channel_id"),
    display_name: text("display_name"),
    description: text("description"),
    username: text("username"),
    icon_url: text("icon_url"),
    channel_locked: body.channel_locked === true,
  };
}

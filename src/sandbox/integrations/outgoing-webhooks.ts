/**
 * Outgoing webhooks (`app/webhook.go`): registered per team or channel, fired after a post in a
 * public channel whose first word matches a trigger word (a bot's own post too), called with the
 * recorded form or JSON payload; an answer with text or attachments becomes a post by the hook's
 * creator (a thread reply when `response_type` is `comment`).
 */
import type { OutgoingWebhook, Post } from "../../mattermost/types.js";
import { stringField } from "../http.js";
import { ERRORS, fail, invalidBodyParam, type ErrorSpec } from "../errors.js";
import { isValidId, newId } from "../ids.js";
import { mapTable, type Table } from "../persistence/table.js";
import type { IntegrationContext } from "./context.js";
import { goFormEncode } from "./outbound.js";
import { isRecord } from "./slack.js";
import { createWebhookPost } from "./webhook-posts.js";
import { parseJson } from "../json.js";

/** As the server stores it; `trigger_when` 0: the first word is a trigger word, 1: it starts with one. */
export type { OutgoingWebhook };

export type OutgoingWebhookInput = Partial<
  Omit<OutgoingWebhook, "id" | "token" | "create_at" | "update_at" | "delete_at" | "creator_id">
>;

const spec = (id: string, message: string, status: number): ErrorSpec => ({ id, message, status });
export const OUTGOING_ERRORS = {
  missing: spec("app.webhooks.get_outgoing.app_error", "Unable to get the webhook.", 404),
  notOpen: spec(
    "api.webhook.create_outgoing.not_open.app_error",
    "Outgoing webhooks can only be created for public channels.",
    403,
  ),
  otherTeam: spec(
    "api.webhook.create_outgoing.permissions.app_error",
    "Invalid permissions to create outgoing webhook.",
    403,
  ),
  triggers: spec(
    "api.webhook.create_outgoing.triggers.app_error",
    "Either trigger_words or channel_id must be set.",
    400,
  ),
  intersect: spec(
    "api.webhook.create_outgoing.intersect.app_error",
    "Outgoing webhooks from the same channel cannot have the same trigger words/callback URLs.",
    500,
  ),
  callbacks: spec("model.outgoing_hook.is_valid.callback.app_error", "Invalid callback urls.", 400),
  words: spec("model.outgoing_hook.is_valid.words.app_error", "Invalid trigger words.", 400),
  triggerWhen: spec(
    "model.outgoing_hook.is_valid.trigger_when.app_error",
    "Invalid trigger when.",
    400,
  ),
  teamId: spec("model.outgoing_hook.is_valid.team_id.app_error", "Invalid team ID.", 400),
  contentType: spec(
    "model.outgoing_hook.is_valid.content_type.app_error",
    "Invalid value for content_type.",
    400,
  ),
  disabled: spec(
    "api.outgoing_webhook.disabled.app_error",
    "Outgoing webhooks have been disabled by the system admin.",
    501,
  ),
} as const;

export class OutgoingWebhooks {
  private readonly hooks = new Map<string, OutgoingWebhook>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly context: IntegrationContext) {}

  /** What a world file keeps (src/sandbox/persistence). */
  table(): Table {
    return mapTable("outgoing_webhook", this.hooks);
  }

  /** Points every callback URL that starts with `from` to `to` instead; returns how many. */
  moveUrls(from: string, to: string): number {
    let moved = 0;
    for (const hook of this.hooks.values()) {
      hook.callback_urls = hook.callback_urls.map((url) =>
        url.startsWith(from) ? (moved++, to + url.slice(from.length)) : url,
      );
    }
    return moved;
  }

  create(creatorId: string, input: OutgoingWebhookInput): OutgoingWebhook {
    this.requireManager(creatorId);
    const now = Date.now();
    const hook = this.validated({
      id: newId(),
      token: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      creator_id: creatorId,
      ...fields(input),
    });
    this.hooks.set(hook.id, hook);
    return copy(hook);
  }

  list(userId: string, filter: { team_id?: string; channel_id?: string }): OutgoingWebhook[] {
    this.requireManager(userId);
    return this.live()
      .filter((h) =>
        filter.channel_id
          ? h.channel_id === filter.channel_id
          : filter.team_id
            ? h.team_id === filter.team_id
            : true,
      )
      .map(copy);
  }

  get(userId: string, id: string): OutgoingWebhook {
    this.requireManager(userId);
    return copy(this.find(id));
  }

  /** Replaces the hook's settings with the body's (absent fields become empty, as on the server); id, token, team and creator stay. */
  update(userId: string, id: string, input: OutgoingWebhookInput): OutgoingWebhook {
    this.requireManager(userId);
    const old = this.find(id);
    const updated = this.validated(
      { ...old, ...fields(input), team_id: old.team_id, update_at: Date.now() },
      id,
    );
    this.hooks.set(id, updated);
    return copy(updated);
  }

  remove(userId: string, id: string): void {
    this.requireManager(userId);
    this.find(id).delete_at = Date.now();
  }

  regenerateToken(userId: string, id: string): OutgoingWebhook {
    this.requireManager(userId);
    const hook = this.find(id);
    hook.token = newId();
    hook.update_at = Date.now();
    return copy(hook);
  }

  /** After a post is created (`handleWebhookEvents`): calls every matching hook, without waiting. */
  fire(post: Post): void {
    const channel = this.context.world.channels.get(post.channel_id);
    if (!channel || channel.type !== "O") return;
    const firstWord = post.message.trim().split(/\s+/)[0] ?? "";
    for (const hook of this.live()) {
      if (
        hook.team_id !== channel.team_id ||
        (hook.channel_id !== "" && hook.channel_id !== post.channel_id)
      )
        continue;
      let triggerWord: string | undefined;
      if (hook.channel_id === post.channel_id && hook.trigger_words.length === 0) triggerWord = "";
      else if (hook.trigger_when === 0)
        triggerWord = hook.trigger_words.find((w) => w === firstWord);
      else triggerWord = hook.trigger_words.find((w) => firstWord.startsWith(w));
      if (triggerWord === undefined) continue;
      for (const url of hook.callback_urls) this.track(this.deliver(hook, url, post, triggerWord));
    }
  }

  /** Resolves when every webhook call started so far has been answered and applied. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(
    hook: OutgoingWebhook,
    url: string,
    post: Post,
    triggerWord: string,
  ): Promise<void> {
    const { world } = this.context;
    const channel = world.channels.get(post.channel_id)!;
    const payload = {
      token: hook.token,
      team_id: hook.team_id,
      team_domain: world.teams.get(hook.team_id)?.name ?? "",
      channel_id: post.channel_id,
      channel_name: channel.name,
      timestamp: post.create_at,
      user_id: post.user_id,
      user_name: world.users.get(post.user_id)?.username ?? "",
      post_id: post.id,
      text: post.message,
      trigger_word: triggerWord,
      file_ids: ((post as { file_ids?: string[] }).file_ids ?? []).join(","),
    };
    const json = hook.content_type === "application/json";
    // the form carries strings and the time in seconds; JSON a number of milliseconds
    const body = json
      ? JSON.stringify(payload)
      : goFormEncode({ ...payload, timestamp: String(Math.floor(payload.timestamp / 1000)) });
    const answer = await this.context.client.send({
      kind: "webhook",
      method: "POST",
      url,
      headers: {
        "Content-Type": json ? "application/json" : "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body,
    });
    // the server does not look at the status: any JSON answer with text or attachments is posted
    if (!answer.ok) return;
    let response: unknown;
    try {
      response = parseJson(answer.body);
    } catch {
      return;
    }
    if (!isRecord(response)) return;
    const text = typeof response.text === "string" ? response.text : undefined;
    const attachments =
      Array.isArray(response.attachments) && response.attachments.length > 0
        ? response.attachments
        : undefined;
    if (text === undefined && !attachments) return;
    const props: Record<string, unknown> = isRecord(response.props) ? { ...response.props } : {};
    props.webhook_display_name = hook.display_name;
    if (attachments) props.attachments = attachments;
    const { settings } = this.context;
    const str = (v: unknown) => (typeof v === "string" ? v : "");
    let username = str(response.username);
    let iconUrl = str(response.icon_url);
    if (settings.enablePostUsernameOverride && hook.username && !username) username = hook.username;
    if (settings.enablePostIconOverride && hook.icon_url && !iconUrl) iconUrl = hook.icon_url;
    createWebhookPost(this.context, {
      userId: hook.creator_id,
      channelId: post.channel_id,
      text: text ?? "",
      overrideUsername: username,
      overrideIconUrl: iconUrl,
      overrideIconEmoji: "",
      props,
      type: str(response.type),
      // a reply goes to the thread's root: the server cannot reply to a reply
      rootId: response.response_type === "comment" ? post.root_id || post.id : "",
    });
  }

  private track(delivery: Promise<void>): void {
    const settled = delivery.catch(() => undefined).finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
  }

  private live(): OutgoingWebhook[] {
    return [...this.hooks.values()].filter((h) => h.delete_at === 0);
  }

  private find(id: string): OutgoingWebhook {
    const hook = this.hooks.get(id);
    if (!hook || hook.delete_at !== 0) fail(OUTGOING_ERRORS.missing);
    return hook;
  }

  /** The permission is checked first (api4), the setting after (app). */
  private requireManager(userId: string): void {
    if (!this.context.world.isAdmin(userId)) fail(ERRORS.permissions);
    if (!this.context.settings.enableOutgoingWebhooks) fail(OUTGOING_ERRORS.disabled);
  }

  private validated(hook: OutgoingWebhook, selfId?: string): OutgoingWebhook {
    const { world } = this.context;
    if (hook.channel_id) {
      const channel = world.channels.get(hook.channel_id);
      if (!channel) fail(ERRORS.channelMissing);
      if (channel.type !== "O") fail(OUTGOING_ERRORS.notOpen);
      if (!hook.team_id) hook.team_id = channel.team_id;
      if (channel.team_id !== hook.team_id) fail(OUTGOING_ERRORS.otherTeam);
    } else if (hook.trigger_words.length === 0) fail(OUTGOING_ERRORS.triggers);
    if (!isValidId(hook.team_id)) fail(OUTGOING_ERRORS.teamId);
    if (!world.teams.has(hook.team_id)) fail(ERRORS.teamMissing);
    if (
      hook.callback_urls.length === 0 ||
      hook.callback_urls.some((u) => !/^https?:\/\/\S+$/.test(u))
    )
      fail(OUTGOING_ERRORS.callbacks);
    if (hook.trigger_words.some((w) => w.length === 0 || w.length > 128))
      fail(OUTGOING_ERRORS.words);
    if (hook.trigger_when !== 0 && hook.trigger_when !== 1) fail(OUTGOING_ERRORS.triggerWhen);
    if (hook.content_type.length > 128) fail(OUTGOING_ERRORS.contentType);
    const clash = this.live().some(
      (other) =>
        other.id !== selfId &&
        other.team_id === hook.team_id &&
        other.channel_id === hook.channel_id &&
        (other.trigger_words.some((w) => hook.trigger_words.includes(w)) ||
          (hook.trigger_words.length === 0 && other.trigger_words.length === 0)),
    );
    if (clash) fail(OUTGOING_ERRORS.intersect);
    return hook;
  }
}

function fields(
  input: OutgoingWebhookInput,
): Omit<OutgoingWebhook, "id" | "token" | "create_at" | "update_at" | "delete_at" | "creator_id"> {
  const body = input as Record<string, unknown>;
  const text = (name: string): string => stringField(body, name, true);
  const words = (name: string): string[] => {
    const value = body[name] ?? [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
      fail(invalidBodyParam(name));
    return [...value] as string[];
  };
  const when = body.trigger_when ?? 0;
  if (typeof when !== "number") fail(invalidBodyParam("trigger_when"));
  return {
    channel_id: text("channel_id"),
    team_id: text("team_id"),
    trigger_words: words("trigger_words"),
    trigger_when: when,
    callback_urls: words("callback_urls"),
    display_name: text("display_name"),
    description: text("description"),
    content_type: text("content_type"),
    username: text("username"),
    icon_url: text("icon_url"),
  };
}

function copy(hook: OutgoingWebhook): OutgoingWebhook {
  return {
    ...hook,
    trigger_words: [...hook.trigger_words],
    callback_urls: [...hook.callback_urls],
  };
}

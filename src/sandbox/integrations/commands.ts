/**
 * Custom slash commands (`app/command.go`): registration per team, `execute` calling the
 * integration (POST form or GET query, `Authorization: Token`), applying its answer (in_channel
 * post by the user who ran it, ephemeral post, extra responses) and the `response_url` hooks.
 */
import type { Post, Command as WireCommand } from "../../mattermost/types.js";
import { stringField } from "../http.js";
import { ERRORS, fail, type ErrorSpec } from "../errors.js";
import { isValidId, newId } from "../ids.js";
import { mapTable, type Table } from "../persistence/table.js";
import type { IntegrationContext } from "./context.js";
import { goFormEncode } from "./outbound.js";
import { isRecord, slackAttachments, slackLinksToMarkdown } from "./slack.js";
import { parseJson } from "../json.js";

/** A slash command as the server stores it; `method` is empty in the sanitised copy other users see. */
export interface Command extends WireCommand {
  plugin_id: string;
}

/** What the integration answers and `/commands/execute` returns (`model.CommandResponse`). */
export interface CommandResponse {
  response_type: string;
  text: string;
  username: string;
  channel_id: string;
  icon_url: string;
  type: string;
  props: Record<string, unknown> | null;
  goto_location: string;
  trigger_id: string;
  skip_slack_parsing: boolean;
  attachments: Array<Record<string, unknown>> | null;
  extra_responses: CommandResponse[] | null;
}

/** Where a command answer goes: the user who ran it, the channel, the thread. */
interface CommandArgs {
  userId: string;
  channelId: string;
  teamId: string;
  rootId: string;
}

/** A `response_url` (`model.CommandWebhook`): five uses within 30 minutes. */
interface CommandWebhook extends CommandArgs {
  id: string;
  commandId: string;
  createAt: number;
  useCount: number;
}

const COMMAND_WEBHOOK_MAX_USES = 5;
const COMMAND_WEBHOOK_TTL_MS = 30 * 60 * 1000;

const spec = (id: string, message: string, status: number): ErrorSpec => ({ id, message, status });
export const COMMAND_ERRORS = {
  start: spec("api.command.execute_command.start.app_error", "No command trigger found.", 400),
  missing: spec("app.command.getcommand.app_error", "Unable to get the command.", 404),
  trigger: spec("model.command.is_valid.trigger.app_error", "Invalid trigger.", 400),
  url: spec("model.command.is_valid.url.app_error", "Invalid URL.", 400),
  method: spec("model.command.is_valid.method.app_error", "Invalid Method.", 400),
  teamId: spec("model.command.is_valid.team_id.app_error", "Invalid team ID.", 400),
  duplicate: spec(
    "api.command.duplicate_trigger.app_error",
    "This trigger word is already in use. Please choose another word.",
    400,
  ),
  forbiddenChannel: spec(
    "api.command.command_post.forbidden.app_error",
    "Specified user is not a member of specified channel.",
    403,
  ),
  invalidType: spec("api.context.invalid_param.app_error", "Invalid post.type parameter.", 400),
  webhookInvalid: spec("web.command_webhook.invalid.app_error", "Invalid webhook.", 400),
  webhookUsed: spec("app.command_webhook.try_use.invalid", "Invalid webhook.", 400),
  webhookParse: spec("web.command_webhook.parse.app_error", "Unable to parse incoming data.", 400),
  disabled: spec(
    "api.command.disabled.app_error",
    "Commands have been disabled by the system admin.",
    501,
  ),
} as const;

const notFound = (trigger: string) =>
  spec(
    "api.command.execute_command.not_found.app_error",
    `Command with a trigger of '${trigger}' not found. To send a message beginning with "/", try adding an empty space at the beginning of the message.`,
    404,
  );
const failed = (trigger: string) =>
  spec(
    "api.command.execute_command.failed.app_error",
    `Command with a trigger of '${trigger}' failed.`,
    500,
  );
const failedResponse = (trigger: string, status: string) =>
  spec(
    "api.command.execute_command.failed_resp.app_error",
    `Command with a trigger of '${trigger}' returned response ${status}.`,
    500,
  );
const postFailed = (trigger: string) =>
  spec(
    "api.command.execute_command.create_post_failed.app_error",
    `Command '${trigger}' failed to post response. Please contact your System Administrator.`,
    500,
  );

export type CommandInput = Partial<
  Omit<
    Command,
    "id" | "token" | "create_at" | "update_at" | "delete_at" | "creator_id" | "plugin_id"
  >
>;

export class Commands {
  private readonly commands = new Map<string, Command>();
  private readonly webhooks = new Map<string, CommandWebhook>();

  constructor(private readonly context: IntegrationContext) {}

  /** What a world file keeps (src/sandbox/persistence). */
  table(): Table {
    return mapTable("command", this.commands);
  }

  /** Points every command whose URL starts with `from` to `to` instead; returns how many. */
  moveUrls(from: string, to: string): number {
    let moved = 0;
    for (const command of this.commands.values()) {
      if (!command.url.startsWith(from)) continue;
      command.url = to + command.url.slice(from.length);
      moved++;
    }
    return moved;
  }

  /** Registers a command for a team; only system admins may (`manage_slash_commands`). */
  create(creatorId: string, input: CommandInput): Command {
    this.requireManager(creatorId);
    const now = Date.now();
    const command = this.validated({
      id: newId(),
      token: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      creator_id: creatorId,
      plugin_id: "",
      ...defaults(input),
    });
    if (!this.context.world.teams.has(command.team_id)) fail(ERRORS.teamMissing);
    if (this.teamCommands(command.team_id).some((c) => c.trigger === command.trigger))
      fail(COMMAND_ERRORS.duplicate);
    this.commands.set(command.id, command);
    return { ...command };
  }

  /** `GET /commands?team_id=`: all for a manager with `custom_only`, else the autocompleting ones, sanitised. */
  list(userId: string, teamId: string, customOnly: boolean): Command[] {
    const manager = this.context.world.isAdmin(userId);
    if (customOnly && !manager) fail(ERRORS.permissions);
    if (!manager && !this.context.world.isTeamMember(teamId, userId)) fail(ERRORS.permissions);
    // disabled: the custom list is an error, the autocomplete list has no custom commands
    if (!this.context.settings.enableCommands)
      return customOnly ? fail(COMMAND_ERRORS.disabled) : [];
    const commands = this.teamCommands(teamId);
    return manager
      ? commands.map((c) => ({ ...c }))
      : commands.filter((c) => c.auto_complete).map(sanitised);
  }

  get(userId: string, id: string): Command {
    const command = this.commands.get(id);
    if (!command || command.delete_at !== 0) fail(COMMAND_ERRORS.missing);
    if (this.context.world.isAdmin(userId)) return { ...command };
    if (!this.context.world.isTeamMember(command.team_id, userId) || !command.auto_complete)
      fail(COMMAND_ERRORS.missing);
    return sanitised(command);
  }

  /** Replaces the command's settings; id, token, team and creator stay. */
  update(userId: string, id: string, input: CommandInput): Command {
    this.requireManager(userId);
    const old = this.get(userId, id);
    const updated = this.validated({
      ...old,
      ...defaults(input),
      team_id: old.team_id,
      update_at: Date.now(),
    });
    if (
      this.teamCommands(updated.team_id).some((c) => c.trigger === updated.trigger && c.id !== id)
    )
      fail(COMMAND_ERRORS.duplicate);
    this.commands.set(id, updated);
    return { ...updated };
  }

  remove(userId: string, id: string): void {
    this.requireManager(userId);
    const command = this.get(userId, id);
    this.commands.set(id, { ...command, delete_at: Date.now() });
  }

  regenerateToken(userId: string, id: string): string {
    this.requireManager(userId);
    const command = this.commands.get(this.get(userId, id).id)!;
    command.token = newId();
    command.update_at = Date.now();
    return command.token;
  }

  /** `POST /commands/execute`: runs `/trigger text` in a channel as `userId`; the answer with a fresh trigger id. */
  async execute(
    userId: string,
    input: { channel_id?: unknown; command?: unknown; root_id?: unknown; team_id?: unknown },
  ): Promise<CommandResponse> {
    const text = typeof input.command === "string" ? input.command : "";
    if (text.length <= 1 || !text.startsWith("/") || !isValidId(input.channel_id))
      fail(COMMAND_ERRORS.start);
    const channel = this.context.world.channels.get(input.channel_id);
    if (!channel) fail(ERRORS.channelMissing);
    if (!this.context.world.member(channel.id, userId)) fail(ERRORS.permissions);
    const teamId = channel.team_id || (typeof input.team_id === "string" ? input.team_id : "");
    const args: CommandArgs = {
      userId,
      channelId: channel.id,
      teamId,
      rootId: typeof input.root_id === "string" ? input.root_id : "",
    };

    const parts = text.split(" ");
    const trigger = parts[0]!.slice(1).toLowerCase();
    const message = parts.slice(1).join(" ");
    this.requireEnabled();
    const command = this.teamCommands(teamId).find((c) => c.trigger === trigger);
    if (!command) fail(notFound(trigger));

    const { clientTriggerId, triggerId } = this.context.triggers.issue(userId);
    const hook: CommandWebhook = {
      ...args,
      id: newId(),
      commandId: command.id,
      createAt: Date.now(),
      useCount: 0,
    };
    this.webhooks.set(hook.id, hook);
    const user = this.context.world.users.get(userId)!;
    const team = this.context.world.teams.get(teamId);
    const fields = goFormEncode({
      token: command.token,
      team_id: command.team_id,
      team_domain: team?.name ?? "",
      channel_id: channel.id,
      channel_name: channel.name,
      user_id: userId,
      user_name: user.username,
      command: `/${trigger}`,
      text: message,
      trigger_id: triggerId,
      response_url: `${this.context.siteUrl()}/hooks/commands/${hook.id}`,
    });
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Token ${command.token}`,
    };
    let url = command.url;
    if (command.method === "G") url += (url.includes("?") ? "&" : "?") + fields;
    else headers["Content-Type"] = "application/x-www-form-urlencoded";
    const answer = await this.context.client.send({
      kind: "slash",
      method: command.method === "G" ? "GET" : "POST",
      url,
      headers,
      body: command.method === "G" ? undefined : fields,
    });
    if (!answer.ok) fail(failed(command.trigger), answer.error);
    if (answer.statusCode !== 200)
      fail(failedResponse(command.trigger, answer.status), answer.body);
    const response = parseCommandResponse(answer.contentType, answer.body);
    if (!response) fail(failed(command.trigger), "invalid JSON in the integration's answer");
    response.trigger_id = clientTriggerId;
    this.handleResponse(command, args, response, trigger);
    return response;
  }

  /** `POST /hooks/commands/{id}` (a `response_url`): applies a delayed answer like the first one. */
  handleWebhook(hookId: string, contentType: string, body: string): void {
    const response = parseCommandResponse(contentType, body);
    if (!response) fail(COMMAND_ERRORS.webhookParse);
    const hook = this.webhooks.get(hookId);
    if (!hook) fail(COMMAND_ERRORS.webhookInvalid);
    if (
      hook.useCount >= COMMAND_WEBHOOK_MAX_USES ||
      Date.now() - hook.createAt > COMMAND_WEBHOOK_TTL_MS
    )
      fail(COMMAND_ERRORS.webhookUsed);
    hook.useCount++;
    const command = this.commands.get(hook.commandId);
    if (!command || command.delete_at !== 0) fail(COMMAND_ERRORS.missing);
    this.handleResponse(command, hook, response, command.trigger);
  }

  private handleResponse(
    command: Command,
    args: CommandArgs,
    response: CommandResponse,
    trigger: string,
  ): void {
    let lastError: unknown;
    for (const each of [response, ...(response.extra_responses ?? [])]) {
      try {
        this.responsePost(command, args, each);
      } catch (error) {
        lastError = error;
      }
    }
    if (lastError !== undefined) fail(postFailed(trigger));
  }

  /** `HandleCommandResponsePost` + `CreateCommandPost`: the post is the invoking user's, marked from_webhook. */
  private responsePost(
    command: Command,
    args: CommandArgs,
    response: CommandResponse,
  ): Post | undefined {
    const { world, posting, settings } = this.context;
    const props: Record<string, unknown> = { ...(response.props ?? {}) };
    let channelId = args.channelId;
    if (response.channel_id) {
      if (!world.member(response.channel_id, args.userId)) fail(COMMAND_ERRORS.forbiddenChannel);
      channelId = response.channel_id;
    }
    if (settings.enablePostUsernameOverride && (command.username || response.username))
      props.override_username = command.username || response.username;
    if (settings.enablePostIconOverride)
      props.override_icon_url = command.icon_url || response.icon_url;
    props.from_webhook = "true";
    if (response.type.startsWith("system_")) fail(COMMAND_ERRORS.invalidType);
    const message = response.skip_slack_parsing
      ? response.text
      : slackLinksToMarkdown(response.text);
    let type = response.type;
    if (response.attachments) {
      props.attachments = response.attachments;
      type ||= "slack_attachment";
    }
    if (response.response_type === "in_channel") {
      return posting.create(
        args.userId,
        { channel_id: channelId, message, root_id: args.rootId, props },
        { type, props },
      );
    }
    if (
      (response.response_type === "" || response.response_type === "ephemeral") &&
      (response.text !== "" || response.attachments)
    ) {
      return posting.deliverEphemeral(args.userId, args.userId, {
        channel_id: channelId,
        message,
        root_id: args.rootId,
        props,
      });
    }
    return undefined;
  }

  private teamCommands(teamId: string): Command[] {
    return [...this.commands.values()].filter((c) => c.team_id === teamId && c.delete_at === 0);
  }

  /** The permission is checked first (api4), the setting after (app). */
  private requireManager(userId: string): void {
    if (!this.context.world.isAdmin(userId)) fail(ERRORS.permissions);
    this.requireEnabled();
  }

  private requireEnabled(): void {
    if (!this.context.settings.enableCommands) fail(COMMAND_ERRORS.disabled);
  }

  private validated(command: Command): Command {
    command.trigger = command.trigger.toLowerCase();
    if (!isValidId(command.team_id)) fail(COMMAND_ERRORS.teamId);
    if (
      command.trigger.length < 1 ||
      command.trigger.length > 128 ||
      command.trigger.startsWith("/") ||
      /\s/.test(command.trigger)
    )
      fail(COMMAND_ERRORS.trigger);
    if (!/^https?:\/\/\S+$/.test(command.url) || command.url.length > 1024)
      fail(COMMAND_ERRORS.url);
    if (command.method !== "P" && command.method !== "G") fail(COMMAND_ERRORS.method);
    return command;
  }
}

/** The settable fields of a body, typed, with the server's zero values. */
function defaults(
  input: CommandInput | Record<string, unknown>,
): Omit<
  Command,
  "id" | "token" | "create_at" | "update_at" | "delete_at" | "creator_id" | "plugin_id"
> {
  const body = input as Record<string, unknown>;
  const text = (name: string): string => stringField(body, name, true);
  return {
    team_id: text("team_id"),
    trigger: text("trigger"),
    method: text("method").toUpperCase() as Command["method"],
    username: text("username"),
    icon_url: text("icon_url"),
    auto_complete: body.auto_complete === true,
    auto_complete_desc: text("auto_complete_desc"),
    auto_complete_hint: text("auto_complete_hint"),
    display_name: text("display_name"),
    description: text("description"),
    url: text("url"),
  };
}

/** `Command.Sanitize`: what a user without `manage_slash_commands` may see. */
function sanitised(command: Command): Command {
  return { ...command, token: "", creator_id: "", method: "", url: "", username: "", icon_url: "" };
}

/** `CommandResponseFromHTTPBody`: JSON when the content type says so, else the body is the text. */
export function parseCommandResponse(
  contentType: string,
  body: string,
): CommandResponse | undefined {
  if (contentType.split(";")[0]!.trim() !== "application/json")
    return commandResponse({ text: body });
  try {
    const parsed: unknown = parseJson(body);
    return isRecord(parsed) ? commandResponse(parsed) : undefined;
  } catch {
    return undefined;
  }
}

/** Every field of `model.CommandResponse` with its zero value. */
export function commandResponse(raw: Record<string, unknown>): CommandResponse {
  const text = (name: string): string =>
    typeof raw[name] === "string" ? (raw[name] as string) : "";
  return {
    response_type: text("response_type"),
    text: text("text"),
    username: text("username"),
    channel_id: text("channel_id"),
    icon_url: text("icon_url"),
    type: text("type"),
    props: isRecord(raw.props) ? raw.props : null,
    goto_location: text("goto_location"),
    trigger_id: text("trigger_id"),
    skip_slack_parsing: raw.skip_slack_parsing === true,
    attachments: slackAttachments(raw.attachments),
    extra_responses: Array.isArray(raw.extra_responses)
      ? raw.extra_responses.filter(isRecord).map(commandResponse)
      : null,
  };
}

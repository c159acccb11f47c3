/**
 * Interactive message actions (`DoPostActionWithCookie` in `app/integration_action.go`): a click on
 * a button or a select of a post calls the action's integration URL with the recorded JSON; its
 * `update` replaces the post's message and props, its `ephemeral_text` reaches the clicker only.
 */
import { ERRORS, fail, type ErrorSpec } from "../errors.js";
import type { IntegrationContext } from "./context.js";
import { isRecord } from "./slack.js";
import { parseJson } from "../json.js";

const spec = (id: string, message: string, status: number): ErrorSpec => ({ id, message, status });
export const ACTION_ERRORS = {
  actionId: spec("api.post.do_action.action_id.app_error", "Invalid action id.", 404),
  integration: spec(
    "api.post.do_action.action_integration.app_error",
    "Action integration error.",
    400,
  ),
} as const;

/** Props an integration's `update` cannot change or add (`model.PostActionRetainPropKeys`). */
const RETAINED_PROPS = ["from_webhook", "override_username", "override_icon_url"];

export interface ActionClickResult {
  status: "OK";
  /** The client's half of the trigger id sent to the integration. */
  trigger_id: string;
}

export class PostActions {
  constructor(private readonly context: IntegrationContext) {}

  async click(
    userId: string,
    postId: string,
    actionId: string,
    selectedOption = "",
  ): Promise<ActionClickResult> {
    const { world, posting, client, triggers } = this.context;
    const record = posting.record(postId);
    if (!record) fail(ERRORS.postMissing);
    const channel = world.channels.get(record.channel_id)!;
    if (!world.canRead(userId, channel)) fail(ERRORS.permissions);
    const action = findAction(record.props, actionId);
    const integration = posting.actionIntegrations.get(postId)?.get(actionId);
    if (!action || !integration)
      fail(ACTION_ERRORS.actionId, `action=${action ? JSON.stringify(action) : "<nil>"}`);

    const retain: Record<string, unknown> = {};
    for (const key of RETAINED_PROPS) if (key in record.props) retain[key] = record.props[key];
    const type = typeof action.type === "string" ? action.type : "";
    let context = isRecord(integration.context) ? { ...integration.context } : undefined;
    let dataSource = "";
    if (type === "select" && selectedOption !== "") {
      context = { ...(context ?? {}), selected_option: selectedOption };
      dataSource = typeof action.data_source === "string" ? action.data_source : "";
    }
    const { clientTriggerId, triggerId } = triggers.issue(userId);
    const team = world.teams.get(channel.team_id);
    const request: Record<string, unknown> = {
      user_id: userId,
      user_name: world.users.get(userId)?.username ?? "",
      channel_id: channel.id,
      channel_name: channel.name,
      team_id: channel.team_id,
      team_domain: team?.name ?? "",
      post_id: postId,
      trigger_id: triggerId,
      type,
      data_source: dataSource,
    };
    if (context) request.context = context;

    const answer = await client.send({
      kind: "action",
      method: "POST",
      url: integration.url,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request),
    });
    if (!answer.ok) fail(ACTION_ERRORS.integration, `err=${answer.error}`);
    if (answer.statusCode !== 200) fail(ACTION_ERRORS.integration, `status=${answer.statusCode}`);
    let response: Record<string, unknown> = {};
    if (answer.body.length > 0) {
      try {
        const parsed: unknown = parseJson(answer.body);
        response = isRecord(parsed) ? parsed : {};
      } catch (error) {
        fail(ACTION_ERRORS.integration, `err=${(error as Error).message}`);
      }
    }

    if (isRecord(response.update)) {
      const update = response.update;
      // the server replaces the message as sent (absent means empty) and the props unless absent
      const patch: { message: string; props?: Record<string, unknown> } = {
        message: typeof update.message === "string" ? update.message : "",
      };
      if (isRecord(update.props)) {
        const props = { ...update.props };
        for (const key of RETAINED_PROPS) delete props[key];
        patch.props = { ...props, ...retain };
      }
      posting.edit(record.user_id, postId, patch);
    }
    if (typeof response.ephemeral_text === "string" && response.ephemeral_text !== "") {
      posting.deliverEphemeral(userId, userId, {
        channel_id: channel.id,
        message: response.ephemeral_text,
        root_id: record.root_id || record.id,
        props: retain,
      });
    }
    return { status: "OK", trigger_id: clientTriggerId };
  }
}

function findAction(
  props: Record<string, unknown>,
  actionId: string,
): Record<string, unknown> | undefined {
  const attachments = Array.isArray(props.attachments) ? props.attachments : [];
  for (const attachment of attachments) {
    if (!isRecord(attachment) || !Array.isArray(attachment.actions)) continue;
    const found = attachment.actions.find(
      (a): a is Record<string, unknown> => isRecord(a) && a.id === actionId,
    );
    if (found) return found;
  }
  return undefined;
}

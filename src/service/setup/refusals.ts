/** What to do when the server will not let a token manage integrations: the setting or permission, by name. */
import { MattermostApiError } from "../../errors.js";
import type { UserProfile } from "../../mattermost/types.js";

export type IntegrationKind = "slash" | "outgoing";

const KIND = {
  slash: {
    things: "slash commands",
    permission: "manage_slash_commands",
    setting:
      'System Console › Integrations › Integration Management › "Enable Custom Slash Commands" (ServiceSettings.EnableCommands)',
    disabledId: "api.command.disabled.app_error",
  },
  outgoing: {
    things: "outgoing webhooks",
    permission: "manage_outgoing_webhooks",
    setting:
      'System Console › Integrations › Integration Management › "Enable Outgoing Webhooks" (ServiceSettings.EnableOutgoingWebhooks)',
    disabledId: "api.outgoing_webhook.disabled.app_error",
  },
} as const;

/**
 * The explanation for a refusal that no retry fixes (the feature is off, the token lacks the
 * permission), or undefined for any other error.
 */
export function explainRefusal(
  error: unknown,
  kind: IntegrationKind,
  who: UserProfile,
  tokenSource: string,
): string | undefined {
  if (!(error instanceof MattermostApiError)) return undefined;
  const k = KIND[kind];
  if (error.serverErrorId === k.disabledId || error.status === 501) {
    return `${k.things} are disabled on this server (${error.serverErrorId || `HTTP ${error.status}`}). A system admin enables them: ${k.setting}.`;
  }
  if (error.status !== 403) return undefined;
  const lines = [
    `@${who.username} (${tokenSource}) may not manage ${k.things}: the server refused with ${error.serverErrorId || "403"}; it needs the ${k.permission} permission in the team.`,
  ];
  if (who.is_bot) {
    lines.push(
      `  A bot account has it only with the System Admin role (System Console › Integrations › Bot Accounts › Edit › Role); its "post:all" and "post:channels" options let it post, not manage integrations.`,
      `  Simpler: run setup with a system admin's personal access token: mmbot setup --token <token> (or MMBOT_ADMIN_TOKEN=<token>). Personal access tokens must be enabled: ServiceSettings.EnableUserAccessTokens (System Console › Integrations › Integration Management).`,
    );
  } else {
    lines.push(
      `  Give @${who.username} the permission (System Console › User Management › Permissions › "Integrations": manage ${k.things}), or use a system admin's personal access token: mmbot setup --token <token> (or MMBOT_ADMIN_TOKEN=<token>).`,
    );
  }
  return lines.join("\n");
}

/**
 * What a version does with the props reserved for integrations on a post made over REST
 * (model.ContainsIntegrationsReservedProps, server/public/model/post.go):
 * - hardened mode (10.11+, `ServiceSettings.EnableHardenedMode`): a session that is not an
 *   integration's (a password login; bots' and personal access tokens' are integrations',
 *   model.Session.IsIntegration) gets 400 "Cannot use props reserved for integrations"
 *   (server/channels/app/post.go `postHardenedModeCheck`, called from api4 `createPostChecks`);
 * - 12.0: they are dropped from posts of user sessions and personal access tokens, a bot's kept
 *   (from the v12 changelog, not confirmed in source).
 */
import { fail, invalidBodyParam } from "../errors.js";
import type { Call } from "../http.js";
import type { Services } from "../services.js";
import { RESERVED_PROPS } from "../versions.js";

export function reservedPropsRule(
  call: Call,
  props: Record<string, unknown> | undefined,
  { profile, hardenedMode }: Pick<Services, "profile" | "hardenedMode">,
): Record<string, unknown> | undefined {
  if (!props) return props;
  const found = RESERVED_PROPS.filter((key) => key in props);
  if (found.length === 0) return props;
  const kind = call.sessionKind;
  if (hardenedMode && kind === "login")
    fail(
      invalidBodyParam("props"),
      `Cannot use props reserved for integrations. props: [${found.join(" ")}]`,
    );
  if (profile.stripsReservedPropsOfUsers && kind !== "bot") {
    const kept = { ...props };
    for (const key of found) delete kept[key];
    return kept;
  }
  return props;
}

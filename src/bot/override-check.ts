/**
 * Says once per prop, in the log, when an answer carries an override prop (another name or
 * picture than the bot's) that this server will not honour: the setting is off, or 12.0 and a
 * personal access token (see `overrideLoss`). The post goes anyway; the server decides.
 */
import { OVERRIDE_PROPS, overrideLoss, versionLabel } from "../mattermost/server-info.js";
import type { BotRuntime } from "./runtime.js";

const warned = new WeakMap<object, Set<string>>();

export function warnLostOverrides(
  runtime: Pick<BotRuntime, "server" | "me" | "logger">,
  props: Record<string, unknown> | undefined,
): void {
  if (!props) return;
  for (const prop of OVERRIDE_PROPS) {
    if (!(prop in props)) continue;
    const loss = overrideLoss(runtime.server, prop, { isBot: runtime.me.is_bot === true });
    if (!loss) continue;
    let seen = warned.get(runtime);
    if (!seen) warned.set(runtime, (seen = new Set()));
    if (seen.has(prop)) continue;
    seen.add(prop);
    runtime.logger.warn(
      { prop, version: runtime.server.version || undefined },
      `${prop}: will not show on Mattermost ${versionLabel(runtime.server)}: ${loss}`,
    );
  }
}

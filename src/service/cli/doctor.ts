/**
 * `mmbot doctor`: checks the configuration against the server, as lines for a person or (--json)
 * as one document for CI and monitoring: `{ ok, server, checks: [{ name, status, message, fix }] }`.
 */
import type { Config } from "../config.js";
import type { CheckResult, DoctorOptions } from "../doctor-checks.js";
import { ConfigError } from "../../errors.js";
import { doctorTarget, loadCommandConfig } from "./target.js";

export interface DoctorFlags {
  config?: string;
  token?: string;
  json?: boolean;
}

export interface DoctorReport {
  ok: boolean;
  /** The server checked; null when there is none (or the configuration does not load). */
  server: { url: string; origin: string } | null;
  checks: Array<{
    name: string;
    status: "ok" | "warn" | "fail";
    message: string;
    fix: string | null;
  }>;
}

const NO_TARGET: CheckResult = {
  name: "server",
  ok: false,
  label: "no Mattermost server configured and no sandbox running",
  fix: `start one with "npm start" (it records itself beside its world file, sandbox.data), or set MATTERMOST_URL and MATTERMOST_BOT_TOKEN`,
};

export async function doctor(flags: DoctorFlags): Promise<number> {
  let config: Config;
  try {
    config = loadCommandConfig(flags.config);
  } catch (error) {
    if (!(flags.json && error instanceof ConfigError)) throw error;
    return printReport(null, [
      {
        name: "config",
        ok: false,
        label: error.message,
        fix: "fix the configuration as the message says (see docs/config.md)",
      },
    ]);
  }
  const target = doctorTarget(config);
  // checked as `mmbot start` runs it: in its own sandbox everybody may use the bot
  if (target?.sandbox) config.policy.allowed_users ??= "*";
  const options: DoctorOptions = {
    integrationsToken: flags.token ?? process.env.MMBOT_ADMIN_TOKEN,
  };
  if (flags.json) {
    if (!target) return printReport(null, [NO_TARGET]);
    const { checkAll } = await import("../doctor-checks.js");
    return printReport(
      { url: target.url, origin: target.origin },
      await checkAll(config, target, options),
    );
  }
  if (!target) {
    console.log(`✗ ${NO_TARGET.label}\n    fix: ${NO_TARGET.fix}`);
    return 1;
  }
  const { runDoctor } = await import("../doctor-checks.js"); // loaded only when asked for: startup is `start`'s
  return (await runDoctor(config, target, (line) => console.log(line), options)) ? 0 : 1;
}

/** Prints the JSON document; exit code 1 when a check failed (warnings do not count). */
function printReport(server: DoctorReport["server"], results: CheckResult[]): number {
  const checks = results.map(
    (r) =>
      ({
        name: r.name,
        status: r.ok ? "ok" : r.warn ? "warn" : "fail",
        message: r.label,
        fix: r.fix ?? null,
      }) as const,
  );
  const report: DoctorReport = { ok: checks.every((c) => c.status !== "fail"), server, checks };
  console.log(JSON.stringify(report, null, 2));
  return report.ok ? 0 : 1;
}

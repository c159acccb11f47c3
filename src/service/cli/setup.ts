/** `mmbot setup`: registers the declared slash commands and outgoing webhooks on the server. */
import { MmbotError } from "../../errors.js";
import { doctorTarget, loadCommandConfig, NO_SERVER } from "./target.js";

export async function setup(flags: { config?: string; token?: string }): Promise<number> {
  const config = loadCommandConfig(flags.config);
  const target = doctorTarget(config);
  if (!target) throw new MmbotError("SETUP_SERVER", NO_SERVER);
  const { runSetup, setupTarget } = await import("../setup/command.js");
  return runSetup(config, setupTarget(target, flags.token, process.env), (line) =>
    console.log(line),
  );
}

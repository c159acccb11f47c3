import { App } from "../../bot/app.js";
import { ConfigError } from "../../errors.js";
import { compileAllow } from "./allow.js";
import {
  bridgeListSchema,
  bridgeName,
  defaultBridgeTexts,
  type BridgeOptions,
  type BridgeSettings,
  type BridgeTexts,
} from "./options.js";
import { finishedRuns, KEEP_RUNS_MS, type FinishedRuns } from "./once.js";
import { childEnvironment, isDirectory, resolveProgram } from "./program.js";
import { runBridge, type ReadyBridge, type RunBridgeOptions } from "./run.js";
import { postRequest, slashRequest } from "./triggers.js";

export {
  bridgeOptionsSchema,
  defaultBridgeTexts,
  type BridgeOptions,
  type BridgeSettings,
  type BridgeTexts,
} from "./options.js";
export { splitArguments } from "./args.js";
export { runProgram, type RunOptions, type RunResult, type RunOutcome } from "./runner.js";

export interface BridgeAppOptions extends RunBridgeOptions {
  /** What it says where it names its settings (the service's name mmbot.toml's keys). */
  texts?: Partial<BridgeTexts>;
}

const PRUNE_EVERY_MS = 3_600_000;

/**
 * The command bridge: each bridge runs its program with the fixed `args` then the user's
 * arguments — an argument vector, never a shell — when asked by its triggers: `@bot <command> …`
 * and a post starting with its `triggerWord` (answered in the thread), its `slash` command
 * (acknowledged at once, the result posted in the channel). Checks every program and working
 * directory now and throws a `ConfigError` naming the option when one is missing. Install it
 * before apps that answer any mention (the todo app), or they take its messages first.
 * @example
 * bot.use(bridge([{ command: "tasks", program: "node", args: ["/opt/tasks.mjs"], allow: ["list"] }]));
 */
export function bridge(bridges: BridgeOptions[], options: BridgeAppOptions = {}): App {
  const texts: BridgeTexts = { ...defaultBridgeTexts, ...options.texts };
  const parsed = bridgeListSchema.safeParse(bridges);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) =>
        `bridge[${String(issue.path[0])}].${issue.path.slice(1).join(".")}: ${issue.message}`,
    );
    throw new ConfigError(issues.join("\n"));
  }
  const ready = parsed.data.map((settings, index) => prepare(settings, index, texts));

  // trigger words first: "deploy tasks list" belongs to the bridge of "deploy", not to the command "tasks"
  const byTriggerWord = new Map(
    ready.flatMap((b) => (b.config.triggerWord ? [[b.config.triggerWord, b] as const] : [])),
  );
  let runs: FinishedRuns | undefined;
  let pruning: NodeJS.Timeout | undefined;
  const kept = (): FinishedRuns => {
    if (!runs)
      throw new Error(
        "the bridge app is not started: install it with bot.use(bridge(...)) before bot.start()",
      );
    return runs;
  };
  const app = new App({
    name: "bridge",
    triggerWords: [...byTriggerWord.keys()],
    start: async ({ store, logger }) => {
      const started = finishedRuns(store);
      runs = started;
      // a post's run is needed until its claim is finished, seconds later: old ones are forgotten
      const forget = () => started.prune(Date.now() - KEEP_RUNS_MS);
      await forget();
      clearInterval(pruning);
      pruning = setInterval(
        () =>
          void forget().catch((error: unknown) =>
            logger.warn(
              { err: error },
              "bridge: cannot forget old runs' output; trying again in an hour",
            ),
          ),
        PRUNE_EVERY_MS,
      );
      pruning.unref();
    },
    stop: () => clearInterval(pruning),
  });
  if (byTriggerWord.size > 0) {
    app.on("message", (ctx, next) => {
      const found = ctx.envelope.triggerWord
        ? byTriggerWord.get(ctx.envelope.triggerWord)
        : undefined;
      return found ? runBridge(found, postRequest(ctx, ctx.text, kept()), options, texts) : next();
    });
  }
  for (const b of ready) {
    const { command, slash } = b.config;
    if (command !== undefined)
      app.command(command, (ctx, next) =>
        ctx.isMention ? runBridge(b, postRequest(ctx, ctx.args, kept()), options, texts) : next(),
      );
    if (slash !== undefined)
      app.slash(slash, (ctx) => runBridge(b, slashRequest(ctx), options, texts));
  }
  return app;
}

function prepare(config: BridgeSettings, index: number, texts: BridgeTexts): ReadyBridge {
  const env = childEnvironment(config.env);
  const program = resolveProgram(config.program, env.PATH ?? "");
  const key = (name: string) => `bridge[${index}].${name}`;
  const example = (option: "program" | "cwd") =>
    texts.example ? `\n  example: ${texts.example(option)}` : "";
  if (!program) {
    const where = config.program.startsWith("/")
      ? "no executable file there"
      : `not found on PATH (${env.PATH})`;
    throw new ConfigError(
      `${key("program")} = ${JSON.stringify(config.program)}: ${where}; expected an executable program${example("program")}`,
    );
  }
  if (config.cwd !== undefined && !isDirectory(config.cwd)) {
    throw new ConfigError(
      `${key("cwd")} = ${JSON.stringify(config.cwd)}: no such directory; expected an existing directory to run ${config.program} in${example("cwd")}`,
    );
  }
  return {
    config,
    name: bridgeName(config),
    program,
    env,
    allow: compileAllow(config.allow),
    running: 0,
  };
}

import type { Bot } from "../../bot/bot.js";
import type { CommandContext } from "../../bot/composer.js";
import { isAllowed } from "../../bot/policy.js";
import { ConfigError } from "../../errors.js";
import { checkArguments, compileAllow, type AllowRule } from "./allow.js";
import { splitArguments } from "./args.js";
import { BRIDGE_EXAMPLES, bridgesSchema, type BridgeConfig, type BridgeInput } from "./config.js";
import { codeSpan, describeRefusal, describeRun } from "./format.js";
import { childEnvironment, isDirectory, resolveProgram } from "./program.js";
import { runProgram, type RunResult } from "./runner.js";

export { bridgeSchema, bridgesSchema, type BridgeConfig, type BridgeInput } from "./config.js";
export { splitArguments } from "./args.js";
export { runProgram, type RunOptions, type RunResult, type RunOutcome } from "./runner.js";

export interface BridgeAppOptions {
  /** After SIGTERM at a timeout, how long the program's process group has before SIGKILL. */
  killGraceMs?: number;
}

/** A bridge checked at start: its program found, its allow list compiled. */
interface ReadyBridge {
  config: BridgeConfig;
  name: string;
  program: string;
  env: Record<string, string>;
  allow: AllowRule;
  running: number;
}

/**
 * The command bridge: each `[[bridge]]` makes `@bot <command> <arguments>` run its program with
 * the fixed `args` then the user's arguments — an argument vector, never a shell — and answer in
 * the thread with the output. Checks every program and working directory now and throws a
 * `ConfigError` naming the key when one is missing. Register it before apps that answer any
 * mention (the todo app), or they take its messages first.
 * @example
 * bridgeApp(bot, loadConfig().bridge);
 */
export function bridgeApp(bot: Bot, bridges: BridgeInput[], options: BridgeAppOptions = {}): void {
  const parsed = bridgesSchema.safeParse(bridges);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `bridge[${String(issue.path[0])}].${issue.path.slice(1).join(".")}: ${issue.message}`);
    throw new ConfigError(issues.join("\n"));
  }
  for (const [index, config] of parsed.data.entries()) {
    const ready = prepare(config, index);
    bot.command(config.command, (ctx, next) => (ctx.isMention ? run(ready, ctx, options) : next()));
  }
}

function prepare(config: BridgeConfig, index: number): ReadyBridge {
  const env = childEnvironment(config.env);
  const program = resolveProgram(config.program, env.PATH ?? "");
  const key = (name: string) => `bridge[${index}].${name}`;
  if (!program) {
    const where = config.program.startsWith("/") ? "no executable file there" : `not found on PATH (${env.PATH})`;
    throw new ConfigError(`${key("program")} = ${JSON.stringify(config.program)}: ${where}; expected an executable program\n  example: ${BRIDGE_EXAMPLES.program}`);
  }
  if (config.cwd !== undefined && !isDirectory(config.cwd)) {
    throw new ConfigError(`${key("cwd")} = ${JSON.stringify(config.cwd)}: no such directory; expected an existing directory to run ${config.program} in\n  example: ${BRIDGE_EXAMPLES.cwd}`);
  }
  return { config, name: config.name ?? config.command, program, env, allow: compileAllow(config.allow), running: 0 };
}

async function run(bridge: ReadyBridge, ctx: CommandContext, options: BridgeAppOptions): Promise<void> {
  const { config, name } = bridge;
  if (!isAllowed(ctx.post.user_id, ctx.sender?.username, config.allowed_users)) {
    await ctx.ephemeral(`Sorry, you are not allowed to run ${codeSpan(name)}. Ask an admin to add you to its allowed_users in mmbot.toml.`);
    return;
  }
  if (config.channels.length > 0 && !config.channels.includes(ctx.channelId) && !config.channels.includes(ctx.event.channelName)) {
    await ctx.ephemeral(`${codeSpan(name)} cannot be used in this channel; it is limited to: ${config.channels.join(", ")}.`);
    return;
  }
  const split = splitArguments(ctx.args);
  if (!split.ok) {
    await ctx.reply(`${codeSpan(name)} did not run: ${split.reason}.`);
    return;
  }
  const refusal = checkArguments(bridge.allow, split.args);
  if (refusal) {
    await ctx.reply(describeRefusal(name, refusal));
    return;
  }
  // refuse rather than queue: a queued run could start long after the user stopped waiting
  if (bridge.running >= config.max_concurrent) {
    const runs = config.max_concurrent === 1 ? "one run" : `${config.max_concurrent} runs`;
    await ctx.reply(`${codeSpan(name)} is busy (${runs} at a time); try again when the current run has finished.`);
    return;
  }
  bridge.running++;
  let result: RunResult;
  try {
    result = await runProgram({
      program: bridge.program,
      args: [...config.args, ...split.args],
      cwd: config.cwd,
      env: bridge.env,
      timeoutMs: config.timeout_seconds * 1000,
      killGraceMs: options.killGraceMs,
      maxOutputBytes: config.max_output_bytes,
    });
  } finally {
    bridge.running--;
  }
  ctx.logger.info(
    { bridge: name, userId: ctx.post.user_id, args: split.args, outcome: result.outcome, durationMs: result.durationMs },
    `bridge ${name} ran`,
  );
  const answer = describeRun(result, {
    name,
    program: bridge.program,
    timeoutSeconds: config.timeout_seconds,
    inlineMaxBytes: config.inline_max_bytes,
    maxOutputBytes: config.max_output_bytes,
  });
  const fileIds: string[] = [];
  for (const file of answer.files) fileIds.push((await ctx.client.uploadFile(ctx.channelId, file.name, file.data)).id);
  await ctx.reply({ text: answer.text, fileIds: fileIds.length ? fileIds : undefined });
}

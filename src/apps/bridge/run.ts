import type { Logger } from "../../log.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import { inChannels, isAllowed } from "../../bot/policy.js";
import { checkArguments, type AllowRule } from "./allow.js";
import { splitArguments } from "./args.js";
import type { BridgeSettings, BridgeTexts } from "./options.js";
import { codeSpan, describeRefusal, describeRun, type BridgeAnswer } from "./format.js";
import type { FinishedRuns } from "./once.js";
import { runProgram, type RunResult } from "./runner.js";

/** A bridge checked at start: its program found, its allow list compiled. */
export interface ReadyBridge {
  config: BridgeSettings;
  name: string;
  program: string;
  env: Record<string, string>;
  allow: AllowRule;
  running: number;
}

/**
 * One request to run a bridge, whatever triggered it (a command word, a trigger word, a slash
 * command): who asks, where, the text to split into arguments, and how each answer goes out.
 */
export interface BridgeRequest {
  userId: string;
  username: string | undefined;
  channelId: string;
  channelName: string;
  /** The user's text after the command, trigger word or slash command. */
  text: string;
  /** The same on every handling of this request (`ctx.onceKey`): the program gets it as MMBOT_ONCE_KEY. */
  onceKey: string;
  /** Where the finished run is kept, for a request that may be handled again (a post); a run again answers with it. */
  finishedRuns?: FinishedRuns;
  logger: Logger;
  /** A refusal only the user needs to see (not allowed, wrong channel). */
  tellUser(text: string): Promise<unknown>;
  /** A refusal of what was asked (arguments, busy). */
  refuse(text: string): Promise<unknown>;
  /** The run starts now (a slash command is acknowledged here). */
  starting?(): Promise<unknown>;
  /** The finished run's answer. */
  deliver(answer: BridgeAnswer): Promise<unknown>;
}

export interface RunBridgeOptions {
  /** After SIGTERM at a timeout, how long the program's process group has before SIGKILL. */
  killGraceMs?: number;
}

/** Checks the request against the bridge's rules, runs the program and hands the answer to the request. */
export async function runBridge(
  bridge: ReadyBridge,
  request: BridgeRequest,
  options: RunBridgeOptions,
  texts: BridgeTexts,
): Promise<void> {
  const { config, name } = bridge;
  if (!isAllowed(request.userId, request.username, config.allowedUsers)) {
    await request.tellUser(texts.notAllowed(codeSpan(name)));
    return;
  }
  if (!inChannels(request.channelId, request.channelName, config.channels)) {
    await request.tellUser(
      `${codeSpan(name)} cannot be used in this channel; it is limited to: ${config.channels.join(", ")}.`,
    );
    return;
  }
  const split = splitArguments(request.text);
  if (!split.ok) {
    await request.refuse(`${codeSpan(name)} did not run: ${split.reason}.`);
    return;
  }
  const refusal = checkArguments(bridge.allow, split.args);
  if (refusal) {
    await request.refuse(describeRefusal(name, refusal));
    return;
  }
  const answerOptions = {
    name,
    program: bridge.program,
    timeoutSeconds: config.timeoutSeconds,
    inlineMaxBytes: config.inlineMaxBytes,
    maxOutputBytes: config.maxOutputBytes,
    programFix: texts.programFix,
  };
  const earlier = await request.finishedRuns?.get(request.onceKey);
  if (earlier) {
    request.logger.info(
      { bridge: name, userId: request.userId, outcome: earlier.outcome },
      `bridge ${name} already ran for this post (handled again after a stop); answering with that run's output`,
    );
    await request.deliver(describeRun(earlier, answerOptions));
    return;
  }
  // refuse rather than queue: a queued run could start long after the user stopped waiting
  if (bridge.running >= config.maxConcurrent) {
    const runs = config.maxConcurrent === 1 ? "one run" : `${config.maxConcurrent} runs`;
    await request.refuse(
      `${codeSpan(name)} is busy (${runs} at a time); try again when the current run has finished.`,
    );
    return;
  }
  bridge.running++;
  let result: RunResult;
  try {
    await request.starting?.();
    result = await runProgram({
      program: bridge.program,
      args: [...config.args, ...split.args],
      cwd: config.cwd,
      env: { ...bridge.env, MMBOT_ONCE_KEY: request.onceKey },
      timeoutMs: config.timeoutSeconds * 1000,
      killGraceMs: options.killGraceMs,
      maxOutputBytes: config.maxOutputBytes,
    });
  } finally {
    bridge.running--;
  }
  request.logger.info(
    {
      bridge: name,
      userId: request.userId,
      args: split.args,
      outcome: result.outcome,
      durationMs: result.durationMs,
    },
    `bridge ${name} ran`,
  );
  // kept before it is answered: a kill between the two answers with it instead of running again
  await request.finishedRuns?.put(request.onceKey, result).catch((error: unknown) => {
    request.logger.warn(
      { err: error, bridge: name },
      `bridge ${name}: cannot keep the run's output; if this post is handled again, the program runs again`,
    );
  });
  await request.deliver(describeRun(result, answerOptions));
}

/** Uploads the answer's files to the channel; their ids go with the post. */
export async function uploadFiles(
  client: MattermostClient,
  channelId: string,
  files: BridgeAnswer["files"],
): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) ids.push((await client.uploadFile(channelId, file.name, file.data)).id);
  return ids;
}

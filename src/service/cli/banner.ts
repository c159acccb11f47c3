/**
 * What `mmbot start` says it runs once connected: the apps the configuration turns on (the todo
 * bot, each command bridge, the agent with its endpoint and model), and in the sandbox the first
 * things to type, matching them: with an agent a plain mention goes to the model, so the todo
 * examples say the word `todo`.
 */
import type { Config } from "../config.js";

/** One line per app, each starting with "runs". */
export function whatRuns(config: Config, bot: string): string[] {
  const lines: string[] = [];
  lines.push(
    config.agent
      ? `runs the agent: model ${config.agent.model} at ${config.agent.url}, ${config.agent.api_key_env && process.env[config.agent.api_key_env] ? `key from ${config.agent.api_key_env}` : "no key"} (a mention or a DM goes to the model)`
      : `runs the todo bot: @${bot} add <item>, list, done <n>, or a DM`,
  );
  for (const bridge of config.bridge) {
    const ways = [
      bridge.command && `@${bot} ${bridge.command} …`,
      bridge.slash && `${bridge.slash} …`,
      bridge.trigger_word && `${bridge.trigger_word} … (outgoing webhook)`,
    ].filter(Boolean);
    lines.push(
      `runs the command bridge ${bridge.name ?? bridge.command ?? bridge.slash ?? bridge.trigger_word}: ${ways.join(", ")} runs ${bridge.program}`,
    );
  }
  if (config.agent) lines.push(`runs the todo bot, by its word: @${bot} todo add <item>, /todo`);
  return lines;
}

/** The sandbox's "talk to it" lines, for what runs. */
export function firstThingsToType(config: Config, bot: string): string[] {
  const lines = ["  npx mmbot chat                 # you are alice, in ~town-square"];
  const row = (typed: string, why: string) => `  ${typed.padEnd(31)}# ${why}`;
  if (config.agent) {
    lines.push(
      row(`@${bot} what can you do?`, `the agent answers in a thread (${config.agent.model})`),
      row("!stop", "in that thread: stops the answer (or react with 🛑)"),
      row(`@${bot} todo add buy milk`, "the todo bot, reached by its word todo"),
    );
  } else {
    lines.push(
      row(`@${bot} add buy milk`, "in a channel, mention the bot"),
      row(`/dm ${bot}`, "or open a DM and just type: list, done 1, help"),
    );
  }
  for (const bridge of config.bridge.slice(0, 3)) {
    if (bridge.command)
      lines.push(row(`@${bot} ${bridge.command}`, `runs ${bridge.program} (bridge)`));
    else if (bridge.slash) lines.push(row(bridge.slash, `runs ${bridge.program} (bridge)`));
  }
  lines.push(
    row("/todo list", "the slash command: the list with Done/Delete buttons"),
    row("/click 1 2", "click button [2 …] of post #1"),
    row("/join off-topic, todo add x", "the outgoing webhook (trigger word todo) in ~off-topic"),
  );
  return lines;
}

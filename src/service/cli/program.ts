/**
 * The `mmbot` command line (commander): each command's options, help and examples. The actions
 * load their command's module only when it runs, so `mmbot start` loads nothing of the others
 * (the chat UI, the doctor, init's prompts).
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "./usage-error.js";

const CONFIG_HELP = "the configuration file (default: mmbot.toml, if there is one)";

const examples = (...lines: string[]) =>
  `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/** Builds the program; `exitWith` receives the exit code of the command that ran. */
export function buildProgram(version: string, exitWith: (code: number) => void): Command {
  const program = new Command("mmbot")
    .exitOverride() // errors come back as exceptions: the caller picks the exit code (2 for usage)
    .description("Mattermost bots: run one, check its configuration against the server, talk to it")
    .version(version, "-V, --version", "print the version")
    // the program's own options come before a command: `mmbot sandbox --version 10.11` is the sandbox's
    .enablePositionalOptions()
    .helpOption("-h, --help", "show this help")
    .helpCommand("help [command]", "show the help of a command")
    .addHelpText(
      "after",
      "\nConfiguration: mmbot.toml (or --config), every key also settable by environment\n" +
        "(MATTERMOST_URL, MATTERMOST_BOT_TOKEN, DATABASE_URL, MMBOT_<SECTION>_<KEY>). See docs/operating.md and docs/config.md.\n" +
        "Exit codes: 0 done, 1 failed (a check, the server, the configuration), 2 bad command line.\n" +
        examples("mmbot start", "mmbot init", "mmbot doctor --json", "mmbot start --help"),
    );

  /** Runs an action; a UsageError is shown like commander's own errors (usage, exit 2). */
  const run = (
    command: { error(message: string, options: { exitCode: number; code: string }): never },
    action: () => Promise<number>,
  ) =>
    action().then(exitWith, (error: unknown) => {
      if (error instanceof UsageError)
        command.error(error.message, { exitCode: 2, code: "mmbot.usage" });
      throw error;
    });

  program
    .command("start")
    .description(
      "run the todo bot (against the built-in sandbox, kept in data/sandbox.db, when no server is configured)",
    )
    .option("-c, --config <path>", CONFIG_HELP)
    .option("--fresh", "start the built-in sandbox empty (what data/sandbox.db held is replaced)")
    .option(
      "--port <port>",
      "the built-in sandbox's port (default: sandbox.port, 8075; 0 picks a free one)",
    )
    .addHelpText(
      "after",
      examples(
        "mmbot start",
        "mmbot start --fresh",
        "mmbot start --port 8090",
        "MATTERMOST_URL=https://chat.example.com MATTERMOST_BOT_TOKEN=… mmbot start",
        "mmbot start --config prod.toml",
      ),
    )
    .action(async (flags, command) =>
      run(command, async () => {
        const [{ start }, { loadCommandConfig }] = await Promise.all([
          import("./start.js"),
          import("./target.js"),
        ]);
        const config = loadCommandConfig(flags.config);
        if (flags.fresh) config.sandbox.fresh = true;
        if (flags.port !== undefined) config.sandbox.port = portFlag(flags.port);
        return start(config);
      }),
    );

  program
    .command("sandbox")
    .description(
      "run the sandbox alone: a local Mattermost with its browser page, for a bot of your own (kept in data/sandbox.db)",
    )
    .option("-c, --config <path>", CONFIG_HELP)
    .option("--fresh", "start empty (what the sandbox's data file held is replaced)")
    .option("--port <port>", "its port (default: sandbox.port, 8075; 0 picks a free one)")
    .option("--version <version>", "the Mattermost version it plays (default: sandbox.version)")
    .addHelpText(
      "after",
      examples(
        "mmbot sandbox",
        "mmbot sandbox --port 8090 --fresh",
        "mmbot sandbox --version 10.11",
      ),
    )
    .action(async (flags, command) =>
      run(command, async () => {
        const [{ runSandbox }, { loadCommandConfig }, { SANDBOX_VERSIONS }] = await Promise.all([
          import("./sandbox.js"),
          import("./target.js"),
          import("../../sandbox/versions.js"),
        ]);
        const config = loadCommandConfig(flags.config);
        if (flags.fresh) config.sandbox.fresh = true;
        if (flags.port !== undefined) config.sandbox.port = portFlag(flags.port);
        if (flags.version !== undefined) {
          if (!(SANDBOX_VERSIONS as readonly string[]).includes(flags.version))
            throw new UsageError(
              `--version expects one of ${SANDBOX_VERSIONS.join(", ")}, not "${flags.version}"`,
            );
          config.sandbox.version = flags.version as (typeof SANDBOX_VERSIONS)[number];
        }
        return runSandbox(config);
      }),
    );

  program
    .command("chat")
    .description("chat in a terminal as a sandbox user (or with a personal access token)")
    .option("--user <name>", "the sandbox user to be (password sandbox-<name>)", "alice")
    .option("--password <password>", "the user's password (default: sandbox-<user>)")
    .option("--token <token>", "a personal access token instead of a password")
    .option("--channel <name>", "the channel to open first", "town-square")
    .option(
      "--url <url>",
      "the server (default: the sandbox that mmbot start runs, else mattermost.url)",
    )
    .option("-c, --config <path>", CONFIG_HELP)
    .addHelpText(
      "after",
      examples(
        "mmbot chat",
        "mmbot chat --user bob --channel off-topic",
        "mmbot chat --url https://chat.example.com --token <personal access token>",
      ),
    )
    .action(async (flags, command) =>
      run(command, async () => (await import("./chat.js")).chat(flags)),
    );

  program
    .command("doctor")
    .description(
      "check the configuration against the server, one line per check, with the fix of each problem",
    )
    .option("-c, --config <path>", CONFIG_HELP)
    .option(
      "--token <token>",
      "a token that may list integrations (default: MMBOT_ADMIN_TOKEN, else the bot's)",
    )
    .option(
      "--json",
      'print one JSON document: {"ok", "server", "checks": [{"name", "status": "ok"|"warn"|"fail", "message", "fix"}]}',
    )
    .addHelpText(
      "after",
      "\nExit code 1 when a check failed (warnings do not count).\n" +
        examples(
          "mmbot doctor",
          "MMBOT_ADMIN_TOKEN=… mmbot doctor",
          "mmbot doctor --json | jq '.checks[] | select(.status != \"ok\")'",
        ),
    )
    .action(async (flags, command) =>
      run(command, async () => (await import("./doctor.js")).doctor(flags)),
    );

  program
    .command("setup")
    .description("register the declared slash commands and outgoing webhooks on the server")
    .option("-c, --config <path>", CONFIG_HELP)
    .option(
      "--token <token>",
      "a token that may manage integrations (default: MMBOT_ADMIN_TOKEN, else the bot's)",
    )
    .addHelpText(
      "after",
      examples(
        "MMBOT_ADMIN_TOKEN=<an admin's personal access token> mmbot setup",
        "mmbot setup --config prod.toml --token <token>",
      ),
    )
    .action(async (flags, command) =>
      run(command, async () => (await import("./setup.js")).setup(flags)),
    );

  program
    .command("send")
    .description("post a message through an incoming webhook, or as the bot through the REST API")
    .argument("[text...]", "the message text")
    .option("--webhook <url>", "an incoming webhook URL (https://chat.example.com/hooks/<id>)")
    .option("--channel <name>", "post as the bot in this channel (name, id, or @user for a DM)")
    .option("--team <name>", "the channel's team, when the bot is in several")
    .option("--root <post id>", "reply in the thread of this post")
    .option(
      "--json <file>",
      "the message as a JSON payload (text, attachments, props…); - for stdin",
    )
    .option("-c, --config <path>", CONFIG_HELP)
    .addHelpText(
      "after",
      examples(
        'mmbot send --webhook https://chat.example.com/hooks/<id> "nightly backup done"',
        'mmbot send --channel ops "deploy finished"',
        'echo \'{"text":"build #42","attachments":[{"title":"passed"}]}\' | mmbot send --channel ops --json -',
      ),
    )
    .action(async (words, flags, command) =>
      run(command, async () => (await import("./send.js")).send(words, flags)),
    );

  program
    .command("init")
    .description(
      "write mmbot.toml: asks for the server, the bot's token and who may use the bot, then runs doctor",
    )
    .option("--url <url>", "the Mattermost server, e.g. https://chat.example.com")
    .option("--token <token>", "the bot's access token (written into the file, unless --token-env)")
    .option("--token-env", "keep the token out of the file: the bot reads MATTERMOST_BOT_TOKEN")
    .option(
      "--allowed-users <list>",
      'who may use the bot: usernames, comma-separated, or "*" for everybody',
    )
    .option(
      "--public-url <url>",
      "where Mattermost reaches the bot (slash commands, webhooks, buttons); adds [http]",
    )
    .option(
      "-y, --yes",
      "ask nothing: take the answers from the flags (--url, --token or --token-env, --allowed-users)",
    )
    .option("--force", "replace an existing file")
    .option("-c, --config <path>", "the file to write", "mmbot.toml")
    .addHelpText(
      "after",
      "\nWithout --yes it asks for what the flags do not give (answers can come over a pipe, one per line).\n" +
        examples(
          "mmbot init",
          "mmbot init --yes --url https://chat.example.com --token-env --allowed-users alice,bob",
          "MATTERMOST_BOT_TOKEN=… mmbot init --url https://chat.example.com --token-env",
        ),
    )
    .action(async (flags, command) =>
      run(command, async () => (await import("./init.js")).init(flags)),
    );

  for (const command of [program, ...program.commands])
    command.configureOutput({ outputError: (text, write) => write(usageError(command, text)) });
  return program;
}

/** A command line commander refused: one line, the usage, where the help is. */
function usageError(
  command: { parent: unknown; name(): string; usage(): string },
  text: string,
): string {
  const path = command.parent ? `mmbot ${command.name()}` : "mmbot";
  const reason = text
    .replace(/^error: /, "")
    .trim()
    .replace(/\s*\n\s*/g, " ");
  return `${path}: ${reason}\nUsage: ${path} ${command.usage()}\nRun "${path} --help" for the ${command.parent ? "options and examples" : "commands"}.\n`;
}

/** `--port`'s value: a port number from 0 to 65535. */
function portFlag(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new UsageError(`--port expects a port number from 0 to 65535, not "${value}"`);
  return Number(value);
}

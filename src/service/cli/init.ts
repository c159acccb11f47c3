/**
 * `mmbot init`: asks for the server, the bot's token, who may use the bot and (optionally) the
 * bot's public URL, or takes them as flags; writes mmbot.toml, then runs doctor against it.
 */
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { checkValue, loadConfig } from "../config.js";
import { MmbotError } from "../../errors.js";
import { openServiceStore } from "../service-store.js";
import { parseAllowedUsers, renderInitFile, type InitAnswers } from "./init-file.js";
import { Prompter } from "./prompter.js";
import { doctorTarget } from "./target.js";
import { UsageError } from "./usage-error.js";

export interface InitFlags {
  config?: string;
  url?: string;
  token?: string;
  tokenEnv?: boolean;
  allowedUsers?: string;
  publicUrl?: string;
  yes?: boolean;
  force?: boolean;
}

const TOKEN_ENV = "MATTERMOST_BOT_TOKEN";

export async function init(
  flags: InitFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const path = flags.config ?? "mmbot.toml";
  if (existsSync(path) && !flags.force) {
    throw new MmbotError(
      "INIT_EXISTS",
      `${path} already exists: mmbot init does not overwrite it. Edit it, or replace it: mmbot init --force`,
    );
  }
  checkFlags(flags);
  const answers = flags.yes ? fromFlags(flags, env) : await ask(flags, env);

  writeFileSync(path, renderInitFile(answers), { mode: answers.tokenInFile ? 0o600 : 0o644 });
  if (answers.tokenInFile) chmodSync(path, 0o600); // also when --force replaced a file that was readable
  console.log(
    `\nwrote ${path}${answers.tokenInFile ? " (mode 0600: it holds the bot's token; keep it out of version control)" : ""}`,
  );

  const token = answers.token;
  if (!token) {
    console.log(
      `set ${TOKEN_ENV} to the bot's access token, then check the configuration: mmbot doctor`,
    );
    return 0;
  }
  // checked as mmbot start will run it: the token from the environment when it is not in the file
  const config = loadConfig({
    path,
    explicitPath: true,
    env: answers.tokenInFile ? env : { ...env, [TOKEN_ENV]: token },
  });
  await prepareStore(config.store.url);
  const target = doctorTarget(config)!; // url and token are both set
  const { runDoctor } = await import("../doctor-checks.js");
  console.log("");
  const passed = await runDoctor(config, target, (line) => console.log(line), {
    integrationsToken: env.MMBOT_ADMIN_TOKEN,
  });
  const run = answers.tokenInFile ? "mmbot start" : `${TOKEN_ENV}=<the token> mmbot start`;
  console.log(passed ? `\nready: ${run}` : `\nfix what failed (edit ${path}), then: mmbot doctor`);
  return passed ? 0 : 1;
}

/** A flag given with a bad value is refused before any question. */
function checkFlags(flags: InitFlags): void {
  const problems = [
    flags.url !== undefined && problem("--url", "mattermost.url", flags.url),
    flags.token !== undefined && problem("--token", "mattermost.bot_token", flags.token),
    flags.publicUrl !== undefined && problem("--public-url", "http.public_url", flags.publicUrl),
    flags.allowedUsers !== undefined &&
      parseAllowedUsers(flags.allowedUsers).length === 0 &&
      '--allowed-users "": expected usernames, comma-separated, or "*" for everybody',
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) throw new UsageError(problems.join("; "));
}

function problem(flag: string, key: string, value: string): string | undefined {
  const why = checkValue(key, value);
  return why && `${flag} ${JSON.stringify(value)}: ${why}`;
}

function fromFlags(flags: InitFlags, env: NodeJS.ProcessEnv): InitAnswers {
  const missing = [
    !flags.url && "--url URL (the Mattermost server, e.g. https://chat.example.com)",
    !flags.token &&
      !flags.tokenEnv &&
      `--token TOKEN (the bot's access token, written into the file) or --token-env (the token stays in ${TOKEN_ENV})`,
    !flags.allowedUsers &&
      '--allowed-users LIST (usernames, comma-separated, or "*" for everybody)',
  ].filter((m): m is string => typeof m === "string");
  if (missing.length > 0) throw new UsageError(`--yes needs ${missing.join(", ")}`);
  return {
    url: flags.url!,
    token: flags.token ?? env[TOKEN_ENV],
    tokenInFile: !flags.tokenEnv,
    allowedUsers: parseAllowedUsers(flags.allowedUsers!),
    publicUrl: flags.publicUrl,
  };
}

async function ask(flags: InitFlags, env: NodeJS.ProcessEnv): Promise<InitAnswers> {
  const prompter = new Prompter();
  const valid = (key: string) => (answer: string) =>
    answer ? checkValue(key, answer) : "an answer is needed";
  try {
    console.log(
      "mmbot init: a few questions, then mmbot.toml is written and checked against the server (Ctrl-C to stop).",
    );
    const url =
      flags.url ??
      (await prompter.ask("Mattermost server URL (e.g. https://chat.example.com)", {
        fallback: env.MATTERMOST_URL,
        check: valid("mattermost.url"),
      }));
    const fromEnv = env[TOKEN_ENV];
    const token =
      flags.token ??
      (await prompter.ask(
        `Bot access token (System Console › Integrations › Bot Accounts)${fromEnv ? `; Enter: the one in ${TOKEN_ENV}` : ""}`,
        {
          secret: true,
          fallback: fromEnv,
          check: valid("mattermost.bot_token"),
        },
      ));
    const tokenInFile =
      !flags.tokenEnv &&
      token !== fromEnv &&
      (await prompter.ask(
        `Keep the token in the file (mode 0600) or in the environment as ${TOKEN_ENV}? (file/env)`,
        {
          fallback: "env",
          check: (a) => (["file", "env"].includes(a) ? undefined : 'answer "file" or "env"'),
        },
      )) === "file";
    const allowed =
      flags.allowedUsers ??
      (await prompter.ask('Who may use the bot (usernames, comma-separated; "*" for everybody)', {
        check: (a) => (parseAllowedUsers(a).length ? undefined : "an answer is needed"),
      }));
    const publicUrl =
      flags.publicUrl ??
      ((await prompter.ask(
        "The bot's public URL, for slash commands, webhooks and buttons (optional, Enter to skip)",
        {
          check: (a) => (a ? checkValue("http.public_url", a) : undefined),
        },
      )) ||
        undefined);
    return { url, token, tokenInFile, allowedUsers: parseAllowedUsers(allowed), publicUrl };
  } finally {
    prompter.close();
  }
}

/** Creates the store's tables (mmbot start would), so that doctor checks a store ready for the bot. */
async function prepareStore(url: string): Promise<void> {
  try {
    await (await openServiceStore(url)).close();
    console.log(`prepared the store ${url} (its tables, as mmbot start would)`);
  } catch {
    // doctor's store check says why
  }
}

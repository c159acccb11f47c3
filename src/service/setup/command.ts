/** `mmbot setup`: registers the declared integrations, keeps their tokens in the store and prints them. */
import type { Config } from "../config.js";
import { ConfigError, MattermostApiError, MmbotError } from "../../errors.js";
import { readIntegrationTokens, writeIntegrationTokens } from "../../http/stored-tokens.js";
import { MattermostClient } from "../../mattermost/rest.js";
import type { UserProfile } from "../../mattermost/types.js";
import { openServiceStore } from "../service-store.js";
import { outgoingKey, registerIntegrations, slashKey, type Registered } from "./register.js";

export interface SetupTarget {
  url: string;
  token: string;
  /** How the token was given, for messages: "--token", "MMBOT_ADMIN_TOKEN", "the bot token". */
  tokenSource: string;
}

/** The token to register with: `--token`, else `MMBOT_ADMIN_TOKEN`, else the bot's (often not allowed). */
export function setupTarget(
  server: { url: string; token: string },
  tokenFlag: string | undefined,
  env: NodeJS.ProcessEnv,
): SetupTarget {
  if (tokenFlag) return { url: server.url, token: tokenFlag, tokenSource: "--token" };
  if (env.MMBOT_ADMIN_TOKEN)
    return { url: server.url, token: env.MMBOT_ADMIN_TOKEN, tokenSource: "MMBOT_ADMIN_TOKEN" };
  return { url: server.url, token: server.token, tokenSource: "the bot token" };
}

/** Runs setup, printing one line per integration; resolves to the exit code. */
export async function runSetup(
  config: Config,
  target: SetupTarget,
  print: (line: string) => void,
): Promise<number> {
  const http = config.http;
  if (!http || (http.slash_commands.length === 0 && http.outgoing_webhooks.length === 0)) {
    throw new ConfigError(
      'nothing to register: declare the integrations in mmbot.toml, e.g.\n  [http]\n  public_url = "https://bot.example.com"\n\n  [[http.slash_commands]]\n  trigger = "todo"\n  team = "acme"\n\n  [[http.outgoing_webhooks]]\n  team = "acme"\n  trigger_words = ["todo"]',
    );
  }
  if (!http.public_url) {
    throw new ConfigError(
      'http.public_url is missing: the address Mattermost uses to reach the bot, where the integrations point (env MMBOT_HTTP_PUBLIC_URL)\n  example: public_url = "https://bot.example.com"',
    );
  }
  const publicUrl = http.public_url.replace(/\/+$/, "");
  const client = new MattermostClient({
    url: target.url,
    token: target.token,
    retry: { attempts: 1 },
  });
  const me = await whoAmI(client, target.tokenSource);
  print(
    `mmbot setup: registering on ${target.url} as @${me.username} (${target.tokenSource}), pointing at ${publicUrl}`,
  );

  const { registered, failed } = await registerIntegrations(
    {
      client,
      me,
      tokenSource: target.tokenSource,
      publicUrl,
      slashCommands: http.slash_commands,
      outgoingWebhooks: http.outgoing_webhooks,
    },
    (item) =>
      print(
        "outcome" in item
          ? `✓ ${item.label}: ${item.outcome} → ${item.url}`
          : `✗ ${item.label}: ${item.reason}`,
      ),
  );

  const declared = new Set([
    ...http.slash_commands.map(slashKey),
    ...http.outgoing_webhooks.map(outgoingKey),
  ]);
  const store = await openServiceStore(config.store.url);
  try {
    const tokens = await readIntegrationTokens(store.kv);
    // forget the tokens of integrations no longer declared; keep those of items that failed this time
    for (const map of [tokens.slash, tokens.outgoingWebhook])
      for (const key of Object.keys(map)) if (!declared.has(key)) delete map[key];
    for (const item of registered)
      (item.kind === "slash" ? tokens.slash : tokens.outgoingWebhook)[item.key] = item.token;
    await writeIntegrationTokens(store.kv, tokens);
  } finally {
    await store.close();
  }
  if (registered.length > 0) printTokens(registered, config.store.url, print);
  if (failed.length > 0)
    print(`${failed.length} integration${failed.length === 1 ? "" : "s"} not registered`);
  return failed.length === 0 ? 0 : 1;
}

async function whoAmI(client: MattermostClient, tokenSource: string): Promise<UserProfile> {
  try {
    return await client.getMe();
  } catch (error) {
    if (error instanceof MattermostApiError && error.status === 401) {
      throw new MmbotError(
        "SETUP_TOKEN",
        `the server refused the token (${tokenSource}): revoked, mistyped, or personal access tokens are disabled (ServiceSettings.EnableUserAccessTokens)`,
        { cause: error },
      );
    }
    throw error;
  }
}

function printTokens(
  registered: Registered[],
  storeUrl: string,
  print: (line: string) => void,
): void {
  const list = (kind: Registered["kind"]) =>
    registered.filter((r) => r.kind === kind).map((r) => `"${r.token}"`);
  print("");
  print("Tokens Mattermost gave them (SECRETS: anyone with one can call the bot as Mattermost):");
  for (const item of registered) print(`  ${item.label}: ${item.token}`);
  print(`Saved in the store (${storeUrl}): mmbot start accepts them.`);
  print(
    "To put them in the configuration instead (mmbot.toml, or MMBOT_HTTP_SLASH_TOKENS / MMBOT_HTTP_OUTGOING_WEBHOOK_TOKENS):",
  );
  print("  [http]");
  if (list("slash").length) print(`  slash_tokens = [${list("slash").join(", ")}]`);
  if (list("outgoing").length)
    print(`  outgoing_webhook_tokens = [${list("outgoing").join(", ")}]`);
}

import { existsSync, readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { BRIDGE_EXAMPLES, bridgesSchema } from "./bridge-config.js";
import {
  agentChannelSchema,
  CHANNEL_EXAMPLES,
  MCP_EXAMPLES,
  mcpServersSchema,
} from "./agent-mcp-config.js";
import { CLAIM_LEASE_MS } from "../bot/claims.js";
import { ConfigError } from "../errors.js";
import { LOG_FORMATS } from "../log.js";
import { DEFAULT_SANDBOX_VERSION, SANDBOX_VERSIONS } from "../sandbox/versions.js";
import {
  INTEGRATION_EXAMPLES,
  outgoingWebhooksSchema,
  slashCommandsSchema,
} from "./integrations-config.js";

const boolFromEnv = z.union(
  [z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")],
  {
    error: "expected a boolean: true or false (from the environment also 1 or 0)",
  },
);
const listFromEnv = z.union(
  [
    z.array(z.string()),
    z.string().transform((v) => (v.trim() === "" ? [] : v.split(",").map((s) => s.trim()))),
  ],
  {
    error: 'expected a list of strings, e.g. ["a", "b"] (from the environment: comma-separated)',
  },
);
const usersFromEnv = () =>
  z.union([z.literal("*"), listFromEnv], {
    error: 'expected "*" (everybody) or a list of usernames, e.g. ["alice", "bob"]',
  });

/**
 * The configuration file's schema; every key can also come from the environment (see ENV).
 * Each key's `.describe()` and its entry in EXAMPLES make the reference, docs/config.md
 * (`npm run docs:config`, src/service/config-reference.ts).
 */
const schema = z.strictObject({
  mattermost: z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .optional()
        .describe(
          "The Mattermost server's address. Unset (with bot_token unset too): `mmbot start` runs the built-in sandbox.",
        ),
      bot_token: z
        .string()
        .regex(/^[a-z0-9]{26}$/, "expected a 26-character token of lowercase letters and digits")
        .optional()
        .describe(
          "The bot account's access token (System Console › Integrations › Bot Accounts). Needed with url.",
        ),
      transport: z
        .enum(["auto", "websocket", "polling"])
        .default("auto")
        .describe(
          "How the bot receives posts: the WebSocket; REST polling (where no WebSocket can be had); or auto: the WebSocket, polling while its upgrade is refused (some proxies strip it) or it keeps failing while REST works.",
        ),
      polling_interval_ms: z.coerce
        .number()
        .int()
        .min(200)
        .max(60_000)
        .default(2000)
        .describe(
          "How often polling asks for new posts (one request per team when nothing happened, one more per channel that moved).",
        ),
      token_check_interval_ms: z.coerce
        .number()
        .int()
        .min(1000)
        .max(3_600_000)
        .default(60_000)
        .describe(
          "How often the running bot asks the server whether its token is still accepted (GET /users/me). A token that expires (Mattermost 11.9+) or is revoked leaves the WebSocket open but silent; a 401 on any REST call is noticed at once too.",
        ),
      max_requests_per_second: z.coerce
        .number({ error: "expected a number of requests per second (0 = no budget)" })
        .min(0, "expected a number ≥ 0 (0 = no budget)")
        .max(10_000)
        .default(8)
        .describe(
          "The bot's REST budget against a rate-limited server: at most this many requests a second (a burst of two seconds' worth), fewer when the server's rate-limit headers say so. Calls over it wait (replies before edits; typing is skipped) instead of being refused; a wait over a second is logged. A server with its limiter off (answers without X-RateLimit headers, no 429) is not paced. 0 turns it off. The default stays under the server's default limit (10/s).",
        ),
    })
    .default({
      transport: "auto",
      polling_interval_ms: 2000,
      token_check_interval_ms: 60_000,
      max_requests_per_second: 8,
    })
    .describe("The server the bot connects to."),
  store: z
    .strictObject({
      url: z
        .string()
        .regex(/^(sqlite:|postgres(ql)?:\/\/)/, "expected sqlite:<path> or postgres://…")
        .default("sqlite:./data/mmbot.db")
        .describe(
          "Where the bot keeps its state (claims, outbox, todo lists, tokens): a SQLite file, relative to the working directory, or a PostgreSQL database, which several instances can share.",
        ),
      claim_lease_ms: z.coerce
        .number({ error: "expected a number of milliseconds" })
        .int("expected a whole number of milliseconds")
        .min(
          1_000,
          "expected at least 1000 (a shorter lease is lost to a slow store or a long pause)",
        )
        .max(600_000, "expected at most 600000 (10 minutes)")
        .default(CLAIM_LEASE_MS)
        .describe(
          "An instance renews the claim of a post it is handling every 0.3 of this; a claim not renewed for this long (its instance was killed mid-way) is taken over by another instance (or the restarted one), which answers the post. Every instance looks for such claims every tenth of it (one indexed query). Shorter: a faster take-over, more store queries; keep it well above the store's worst pause.",
        ),
    })
    .default({ url: "sqlite:./data/mmbot.db", claim_lease_ms: CLAIM_LEASE_MS })
    .describe("The bot's database."),
  policy: z
    .strictObject({
      allowed_users: usersFromEnv()
        .optional()
        .describe(
          'Who may use the bot: usernames or user ids, or "*" for everybody. Unset or empty: nobody (in the sandbox: everybody). Others get a short ephemeral refusal.',
        ),
      channels: listFromEnv
        .default([])
        .describe(
          "Channel names or ids the bot answers in; empty: every channel it is a member of. DMs always count.",
        ),
      mention_only: boolFromEnv
        .default(false)
        .describe(
          "Answer only @-mentions (a DM always counts); otherwise also messages starting with a command word.",
        ),
      thread_replies: boolFromEnv
        .default(true)
        .describe(
          "Reply in the thread of the message; false: in the channel (a message already in a thread still gets its answer there).",
        ),
      ignore_bots: boolFromEnv
        .default(true)
        .describe("Ignore posts of other bots and of webhooks."),
    })
    .default({ channels: [], mention_only: false, thread_replies: true, ignore_bots: true })
    .describe("Who the bot answers, where, and how."),
  /** `[[bridge]]`: chat commands that run a program (src/apps/bridge); not settable by environment. */
  bridge: bridgesSchema
    .default([])
    .describe(
      "Chat commands that run a program you choose, with an argument vector (never a shell); zero or more tables.",
    ),
  sandbox: z
    .strictObject({
      host: z
        .string()
        .default("127.0.0.1")
        .describe("The address the built-in sandbox listens on."),
      port: z.coerce
        .number()
        .int()
        .min(0)
        .max(65535)
        .default(8075)
        .describe(
          "The built-in sandbox's port (not 8065, Mattermost's own); when it is taken, `mmbot start` says so and uses a free one; 0 picks a free one. `mmbot start --port` for one run.",
        ),
      data: z
        .string()
        .min(1)
        .optional()
        .describe(
          "The file `mmbot start` keeps the sandbox's world in; default sandbox.db beside the bot's SQLite store.",
        ),
      fresh: boolFromEnv
        .default(false)
        .describe(
          "Start the sandbox empty, discarding what the file held (`mmbot start --fresh` for one run).",
        ),
      version: z
        .enum(SANDBOX_VERSIONS)
        .default(DEFAULT_SANDBOX_VERSION)
        .describe(
          `The Mattermost version the sandbox plays: ${SANDBOX_VERSIONS.map((v) => `"${v}"`).join(", ")} (its version strings, token expiry, what it does with override props; see docs/compatibility.md).`,
        ),
    })
    .default({ host: "127.0.0.1", port: 8075, fresh: false, version: DEFAULT_SANDBOX_VERSION })
    .describe("The built-in Mattermost sandbox, used when no server is configured."),
  // present (in the file or as MMBOT_HTTP_* variables) = receive Mattermost's HTTP integrations
  http: z
    .strictObject({
      listen: z
        .string()
        .regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, "expected host:port")
        .default("127.0.0.1:3000")
        .describe(
          "host:port the HTTP receiver listens on (slash commands, outgoing webhooks, buttons, dialogs, GET /healthz).",
        ),
      public_url: z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .optional()
        .describe(
          "Where Mattermost reaches the receiver (behind a reverse proxy: its public address); `mmbot setup` registers integrations here and button and dialog URLs point here. Default: http://<listen>.",
        ),
      outgoing_webhook_tokens: listFromEnv
        .default([])
        .describe(
          "The tokens Mattermost shows for the outgoing webhooks (several for rotation); `mmbot setup` keeps the ones it creates in the store.",
        ),
      slash_tokens: listFromEnv
        .default([])
        .describe(
          "The tokens Mattermost shows for the slash commands; `mmbot setup` keeps the ones it creates in the store.",
        ),
      action_secret: z
        .string()
        .min(16, "expected at least 16 characters (a long random string)")
        .optional()
        .describe(
          "Signs buttons, menus and dialogs. Default: a random one made on first start and kept in the store (shared by instances on one PostgreSQL).",
        ),
      answer_within_ms: z.coerce
        .number()
        .int()
        .min(100)
        .max(25_000)
        .default(2500)
        .describe(
          "A handler slower than this is acknowledged at once and answers later (response_url or REST).",
        ),
      trigger_words: listFromEnv
        .default([])
        .describe(
          "Outgoing webhooks' trigger words, removed from the text; a post starting with one is handled alike over the webhook or the WebSocket. The declared webhooks' words are added.",
        ),
      /** `[[http.slash_commands]]`, `[[http.outgoing_webhooks]]`: what `mmbot setup` registers (src/service/setup). */
      slash_commands: slashCommandsSchema
        .default([])
        .describe("Slash commands that `mmbot setup` registers, answered at <public_url>/slash."),
      outgoing_webhooks: outgoingWebhooksSchema
        .default([])
        .describe(
          "Outgoing webhooks that `mmbot setup` registers, sent to <public_url>/hooks/outgoing.",
        ),
    })
    .optional()
    .describe(
      "The HTTP receiver for Mattermost's integrations. Present (in the file, or any MMBOT_HTTP_* variable set) = on.",
    ),
  // present (in the file or as MMBOT_AGENT_* variables) = the agent answers mentions with a model
  agent: z
    .strictObject({
      url: z
        .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
        .describe(
          "An OpenAI-compatible base URL (a hosted API, llama.cpp, vLLM, Ollama): the bot calls POST {url}/chat/completions with stream: true, and `mmbot doctor` GET {url}/models.",
        ),
      model: z
        .string()
        .min(1, "expected a model name")
        .describe("The model asked, as the endpoint names it (GET {url}/models lists them)."),
      api_key_env: z
        .string()
        .regex(
          /^[A-Za-z_][A-Za-z0-9_]*$/,
          "expected the NAME of an environment variable (e.g. OPENAI_API_KEY), never the key itself",
        )
        .optional()
        .describe(
          "The name of the environment variable holding the API key, never the key. Unset, or the variable unset or empty: requests carry no Authorization header (mmbot start warns when the variable is unset or empty).",
        ),
      system_prompt: z
        .string()
        .default("")
        .describe("The system message sent first in every request."),
      temperature: z.coerce
        .number()
        .min(0, "expected 0 or more")
        .max(2, "expected at most 2")
        .optional()
        .describe("The sampling temperature; unset: the endpoint's default."),
      max_tokens: z.coerce
        .number()
        .int("expected a whole number")
        .min(1, "expected 1 or more")
        .optional()
        .describe("The most tokens of one answer; unset: the endpoint's default."),
      timeout_seconds: z.coerce
        .number()
        .positive("expected a number of seconds above 0")
        .max(3_600, "expected at most 3600")
        .default(120)
        .describe("No first token, or no progress, for this long: the answer fails as timed out."),
      history_max_tokens: z.coerce
        .number()
        .int("expected a whole number")
        .min(100, "expected at least 100")
        .default(6_000)
        .describe(
          "The thread sent to the model is kept under this estimate (about 4 characters a token); the oldest turns are dropped first.",
        ),
      follow_threads_minutes: z.coerce
        .number()
        .min(0, "expected 0 or more")
        .default(60)
        .describe(
          "After a mention the bot answers the thread's posts without a mention until the thread is idle this long, or someone writes !leave.",
        ),
      allowed_users: usersFromEnv()
        .default("*")
        .describe("Who may reach the model, on top of policy.allowed_users."),
      channels: z
        .union([listFromEnv, z.array(agentChannelSchema)], {
          error:
            'expected a list of channel names, e.g. ["ops"], or [[agent.channels]] tables with channel = "ops"',
        })
        .default([])
        .describe(
          "Where the agent answers, on top of policy.channels; empty: wherever the bot answers. Names or ids, or [[agent.channels]] tables with a mode, system prompt, model and allowed users per channel (and for dm).",
        ),
      approvers: usersFromEnv()
        .default([])
        .describe(
          'Who may approve a tool call whose policy is ask, besides the person who asked ("*": anyone in the channel).',
        ),
      approval_timeout_seconds: z.coerce
        .number()
        .positive("expected a number of seconds above 0")
        .max(86_400, "expected at most 86400 (a day)")
        .default(600)
        .describe("An approval not decided in this time refuses the call (the model is told)."),
      tool_result_max_chars: z.coerce
        .number()
        .int("expected a whole number")
        .min(1_000, "expected at least 1000")
        .default(65_536)
        .describe(
          "A tool's result sent to the model is cut to this many characters (with a note saying so).",
        ),
      vision: boolFromEnv
        .default(false)
        .describe(
          "Images attached to the thread's posts (PNG, JPEG, GIF, WebP) go to the model as image parts; only for a model that takes images. false: they are named, not sent.",
        ),
      vision_max_images: z.coerce
        .number()
        .int("expected a whole number")
        .min(1, "expected 1 or more")
        .max(20, "expected at most 20")
        .default(4)
        .describe(
          "Images sent in one request at most, the newest first; the question's images left out are said in the thread.",
        ),
      vision_max_image_mb: z.coerce
        .number()
        .positive("expected a number of megabytes above 0")
        .max(20, "expected at most 20")
        .default(5)
        .describe("An image larger than this is not sent (said in the thread)."),
      status_reactions: boolFromEnv
        .default(true)
        .describe(
          "Reactions of the bot on the question as the work goes (received, working on a tool, done, failed), each replacing the one before; false: none.",
        ),
      reaction_received: z
        .string()
        .regex(
          /^[a-z0-9_+-]*$/,
          'expected an emoji name such as eyes (without colons), or "" for none',
        )
        .default("eyes")
        .describe('The question was received ("": no reaction at this stage).'),
      reaction_tool: z
        .string()
        .regex(
          /^[a-z0-9_+-]*$/,
          'expected an emoji name such as eyes (without colons), or "" for none',
        )
        .default("hammer_and_wrench")
        .describe("A tool is running (or waits for an approval)."),
      reaction_done: z
        .string()
        .regex(
          /^[a-z0-9_+-]*$/,
          'expected an emoji name such as eyes (without colons), or "" for none',
        )
        .default("white_check_mark")
        .describe("The answer is complete."),
      reaction_failed: z
        .string()
        .regex(
          /^[a-z0-9_+-]*$/,
          'expected an emoji name such as eyes (without colons), or "" for none',
        )
        .default("warning")
        .describe("The answer failed (the thread says why)."),
      mcp: mcpServersSchema
        .default([])
        .describe(
          "MCP servers whose tools the model may call: a local server (command, started as a child process, stdio) or a remote one (url, streamable HTTP). Their tools are offered as <name>__<tool>; a server that fails is restarted with backoff, its tools withdrawn meanwhile.",
        ),
    })
    .optional()
    .describe(
      "The agent: a thread with the bot is a conversation with an AI model, streamed as it is written. Present (in the file, or any MMBOT_AGENT_* variable set) = on; the todo app is then reached only through the word todo.",
    ),
  metrics: z
    .strictObject({
      listen: z
        .string()
        .regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, "expected host:port")
        .optional()
        .describe(
          "host:port of a listener of their own for GET /metrics (Prometheus) and GET /readyz. Unset: both are served on http.listen when there is an [http] section, else nowhere.",
        ),
    })
    .default({})
    .describe("Prometheus metrics and the readiness check."),
  log: z
    .strictObject({
      level: z
        .enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])
        .default("info")
        .describe("The least severe log level written."),
      format: z
        .enum(LOG_FORMATS)
        .default("auto")
        .describe(
          "auto: readable coloured lines when stderr is a terminal, JSON lines otherwise; json; pretty.",
        ),
    })
    .default({ level: "info", format: "auto" })
    .describe("The log (on stderr)."),
});

/** The schema, for the generated reference (src/service/config-reference.ts). */
export { schema as configSchema };

export type Config = z.output<typeof schema>;

/** Environment variables, by config key. Every key also has `MMBOT_<SECTION>_<KEY>`. */
export const ENV: Record<string, string[]> = {
  "mattermost.url": ["MATTERMOST_URL"],
  "mattermost.bot_token": ["MATTERMOST_BOT_TOKEN"],
  "mattermost.transport": ["MATTERMOST_TRANSPORT"],
  "mattermost.polling_interval_ms": ["MATTERMOST_POLLING_INTERVAL_MS"],
  "mattermost.max_requests_per_second": ["MATTERMOST_MAX_REQUESTS_PER_SECOND"],
  "store.url": ["DATABASE_URL"],
  "log.level": ["MMBOT_LOG_LEVEL"],
};

/** An example line for each key: in error messages and in docs/config.md. */
export const EXAMPLES: Record<string, string> = {
  "mattermost.url": 'url = "https://chat.example.com"',
  "mattermost.bot_token":
    'bot_token = "<the 26-character token from System Console › Bot Accounts>"',
  "mattermost.transport": 'transport = "polling"   # behind a proxy that strips WebSocket upgrades',
  "mattermost.polling_interval_ms": "polling_interval_ms = 2000",
  "mattermost.token_check_interval_ms": "token_check_interval_ms = 60000",
  "mattermost.max_requests_per_second":
    "max_requests_per_second = 4.5   # a server limited to 5/s per user; 0 = no budget",
  "store.url": 'url = "sqlite:./data/mmbot.db"   # or "postgres://user@host/db"',
  "store.claim_lease_ms":
    "claim_lease_ms = 10000   # a killed instance's post is answered by another within about this long",
  "policy.allowed_users": 'allowed_users = ["alice", "bob"]   # or "*" for everybody',
  "policy.channels": 'channels = ["town-square"]',
  "policy.mention_only": "mention_only = true",
  "policy.thread_replies": "thread_replies = true",
  "policy.ignore_bots": "ignore_bots = true",
  "sandbox.host": 'host = "0.0.0.0"   # e.g. in a container',
  "sandbox.port": "port = 8075",
  "sandbox.data": 'data = "./data/sandbox.db"   # where npm start keeps the sandbox\'s world',
  "sandbox.fresh": "fresh = true   # start the sandbox empty every time",
  "sandbox.version": 'version = "10.11"   # play the extended support release',

  "http.listen": 'listen = "127.0.0.1:3000"',
  "http.public_url": 'public_url = "https://bot.example.com"   # where Mattermost reaches the bot',
  "http.outgoing_webhook_tokens": 'outgoing_webhook_tokens = ["<token shown by Mattermost>"]',
  "http.slash_tokens": 'slash_tokens = ["<token shown by Mattermost>"]',
  "http.trigger_words": 'trigger_words = ["todo"]',
  "http.action_secret": 'action_secret = "<a long random string, e.g. from openssl rand -hex 32>"',
  "http.answer_within_ms": "answer_within_ms = 2500",
  "metrics.listen": 'listen = "127.0.0.1:9464"   # keeps /metrics off the public http.listen',
  "log.level": 'level = "info"',
  "agent.url":
    'url = "http://127.0.0.1:8080/v1"   # llama.cpp, vLLM, Ollama (…:11434/v1) or a hosted API',
  "agent.model": 'model = "qwen2.5-7b-instruct"',
  "agent.api_key_env":
    'api_key_env = "OPENAI_API_KEY"   # the variable\'s name; the key stays in the environment',
  "agent.system_prompt": 'system_prompt = "You are the Acme team\'s assistant."',
  "agent.temperature": "temperature = 0.2",
  "agent.max_tokens": "max_tokens = 1024",
  "agent.timeout_seconds": "timeout_seconds = 120",
  "agent.history_max_tokens": "history_max_tokens = 6000",
  "agent.follow_threads_minutes": "follow_threads_minutes = 60",
  "agent.allowed_users": 'allowed_users = ["alice", "bob"]   # or "*"',
  "agent.channels": 'channels = ["ask-the-bot"]',
  "agent.status_reactions": "status_reactions = false   # no reactions on the question",
  "agent.reaction_received": 'reaction_received = "eyes"',
  "agent.reaction_tool": 'reaction_tool = "hammer_and_wrench"',
  "agent.reaction_done": 'reaction_done = "white_check_mark"',
  "agent.reaction_failed": 'reaction_failed = "warning"',
  "agent.approvers": 'approvers = ["carol"]   # besides the person who asked; or "*"',
  "agent.approval_timeout_seconds": "approval_timeout_seconds = 600",
  "agent.tool_result_max_chars": "tool_result_max_chars = 65536",
  "agent.vision": "vision = true   # the model takes images (e.g. gpt-4o, qwen2.5-vl)",
  "agent.vision_max_images": "vision_max_images = 4",
  "agent.vision_max_image_mb": "vision_max_image_mb = 5",
  ...Object.fromEntries(
    Object.entries({ ...MCP_EXAMPLES, ...CHANNEL_EXAMPLES }).map(([key, example]) => [
      `agent.${key}`,
      example,
    ]),
  ),
  "log.format": 'format = "auto"   # or "json" (JSON lines), "pretty" (readable lines)',
  ...Object.fromEntries(
    Object.entries(INTEGRATION_EXAMPLES).map(([key, example]) => [`http.${key}`, example]),
  ),
  ...Object.fromEntries(
    Object.entries(BRIDGE_EXAMPLES).map(([key, example]) => [`bridge.${key}`, example]),
  ),
};

/**
 * Loads the configuration: the TOML file (if it exists; `explicitPath` must exist), then the
 * environment on top. Throws a `ConfigError` naming the key, the value, what was expected and
 * an example.
 */
export function loadConfig(
  options: { path?: string; explicitPath?: boolean; env?: NodeJS.ProcessEnv } = {},
): Config {
  const path = options.path ?? "mmbot.toml";
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      raw = parseToml(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(
        `${path}: not valid TOML: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  } else if (options.explicitPath) {
    throw new ConfigError(
      `${path}: no such file (given with --config). Create it or leave --config out to use the environment.`,
    );
  }
  const fromEnv = applyEnv(raw, env);
  const result = schema.safeParse(raw);
  if (!result.success) {
    const file = existsSync(path) ? { path, text: readFileSync(path, "utf8") } : undefined;
    throw new ConfigError(describeIssues(result.error, raw, file, fromEnv));
  }
  const config = result.data;
  if (config.mattermost.url) config.mattermost.url = config.mattermost.url.replace(/\/+$/, "");
  if ((config.mattermost.url === undefined) !== (config.mattermost.bot_token === undefined)) {
    const missing =
      config.mattermost.url === undefined
        ? "mattermost.url (env MATTERMOST_URL)"
        : "mattermost.bot_token (env MATTERMOST_BOT_TOKEN)";
    throw new ConfigError(
      `${missing} is missing: to use a Mattermost server set both mattermost.url and mattermost.bot_token; to use the built-in sandbox set neither.\n  example: ${EXAMPLES[missing.startsWith("mattermost.url") ? "mattermost.url" : "mattermost.bot_token"]}`,
    );
  }
  // a declared webhook's trigger words are the bot's too: it strips them whichever way the post arrives
  if (config.http) {
    const words = config.http.outgoing_webhooks.flatMap((hook) => hook.trigger_words);
    config.http.trigger_words = [...new Set([...config.http.trigger_words, ...words])];
  }
  checkBridgeTriggers(config, existsSync(path) ? path : "configuration");
  checkChannelServers(config, existsSync(path) ? path : "configuration");
  return config;
}

/**
 * Slash commands and trigger words reach the bot over HTTP: a bridge using one needs `[http]`.
 * (Its tokens are not required here: a receiver without them refuses those requests by name.)
 */
function checkBridgeTriggers(config: Config, source: string): void {
  if (config.http) return;
  for (const [i, bridge] of config.bridge.entries()) {
    for (const [key, what, tokens] of [
      ["slash", "slash commands", "slash_tokens"],
      ["trigger_word", "outgoing webhooks", "outgoing_webhook_tokens"],
    ] as const) {
      const value = bridge[key];
      if (value === undefined) continue;
      throw new ConfigError(
        `${source}: bridge[${i}].${key} = ${JSON.stringify(value)}: ${what} reach the bot over HTTP, but there is no [http] section; add one with the token Mattermost shows for the integration (env MMBOT_HTTP_${tokens.toUpperCase()})\n  example: [http] listen = "0.0.0.0:3000", ${tokens} = ["<token>"]`,
      );
    }
  }
}

/**
 * The variable `agent.api_key_env` names, when it is unset or empty: the requests then go
 * without an Authorization header (right for a local model server), and `mmbot start` says so
 * once. Undefined when there is nothing to say.
 */
export function agentKeyWarning(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const name = config.agent?.api_key_env;
  if (name === undefined || (env[name] ?? "") !== "") return undefined;
  return `agent.api_key_env names ${name}, which is ${name in env ? "empty" : "not set"}: the requests to ${config.agent?.url} go without an Authorization header (right for a local model server; for a hosted API set ${name} to the key)`;
}

/** A channel's `mcp` names servers of `[[agent.mcp]]`: a typo would silently give it no tools. */
function checkChannelServers(config: Config, source: string): void {
  const servers = (config.agent?.mcp ?? []).map((s) => s.name);
  for (const [i, channel] of (config.agent?.channels ?? []).entries()) {
    if (typeof channel === "string") continue;
    const unknown = (channel.mcp ?? []).find((name) => !servers.includes(name));
    if (unknown === undefined) continue;
    throw new ConfigError(
      `${source}: agent.channels[${i}].mcp names "${unknown}", which no [[agent.mcp]] server is (they are: ${servers.join(", ") || "none"})\n  example: ${EXAMPLES["agent.channels.mcp"]}`,
    );
  }
}

/** The API key of `[agent]`, read from the variable it names (never kept in the configuration). */
export function agentApiKey(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const name = config.agent?.api_key_env;
  return name ? env[name] || undefined : undefined;
}

/** The environment variables that set `section.key`, first wins: its aliases, then MMBOT_<SECTION>_<KEY>. */
export function envNames(dotted: string): string[] {
  return [...new Set([...(ENV[dotted] ?? []), `MMBOT_${dotted.replace(".", "_").toUpperCase()}`])];
}

/**
 * Checks one value of a `section.key` as the configuration would: the problem, or undefined when
 * it is valid (for `mmbot init`, which asks for values one by one).
 */
export function checkValue(dotted: string, value: unknown): string | undefined {
  const [section = "", key = ""] = dotted.split(".");
  const sectionSchema = (schema.shape as Record<string, z.ZodType>)[section];
  const inner = (sectionSchema as unknown as { def?: { innerType?: z.ZodType } } | undefined)?.def
    ?.innerType;
  const keySchema =
    inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[key] : undefined;
  if (!keySchema) throw new Error(`checkValue: no configuration key ${dotted}`);
  const result = keySchema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

/** Puts the environment's values into `raw`; returns which variable set each `section.key` it set. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const fromEnv = new Map<string, string>();
  const sections = schema.shape;
  for (const [section, sectionSchema] of Object.entries(sections)) {
    const inner = (sectionSchema as unknown as { def: { innerType: z.ZodType } }).def.innerType;
    if (!(inner instanceof z.ZodObject)) continue; // arrays of tables (bridge) come from the file only
    for (const [key, keySchema] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      if (isTableArray(keySchema)) continue; // [[section.key]] tables come from the file only
      const dotted = `${section}.${key}`;
      const name = envNames(dotted).find((n) => env[n] !== undefined && env[n] !== "");
      if (name === undefined) continue;
      const value = env[name]!;
      fromEnv.set(dotted, name);
      const target = (raw[section] ??= {}) as Record<string, unknown>;
      target[key] = dotted === "policy.allowed_users" && value.trim() === "*" ? "*" : value;
    }
  }
  return fromEnv;
}

/** An array of tables (`[[agent.mcp]]`), defaults looked through. */
function isTableArray(schema: z.ZodType): boolean {
  let t: z.ZodType | undefined = schema;
  for (let i = 0; t && i < 5; i++) {
    if (t instanceof z.ZodArray) return t.element instanceof z.ZodObject;
    t = (t as unknown as { def: { innerType?: z.ZodType } }).def.innerType;
  }
  return false;
}

/**
 * One line per problem: where the value came from (the file and its line, or the environment
 * variable), the key and value, what was expected, and an example; an unknown key or section
 * names the closest known one.
 */
function describeIssues(
  error: z.ZodError,
  raw: Record<string, unknown>,
  file: { path: string; text: string } | undefined,
  fromEnv: Map<string, string>,
): string {
  const lines = error.issues.flatMap(tableIssues).map((issue) => {
    // bridge.0.program reads as bridge[0].program; examples are by key without the index
    const key = issue.path
      .map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`))
      .join("");
    const inArray = issue.path.some((k) => typeof k === "number");
    const fileSource = (path: PropertyKey[], name?: string) => {
      if (!file) return "configuration";
      const line = lineOf(file.text, path, name);
      return line ? `${file.path}:${line}` : file.path;
    };
    if (issue.code === "unrecognized_keys") {
      const where = key ? (inArray ? key : `[${key}]`) : "top level";
      const known = knownKeys(issue.path);
      return issue.keys
        .map((k) => {
          const meant = closestKey(issue.path, k, known);
          const hint = meant ? `did you mean ${meant}?` : "check the spelling";
          const what =
            !key && raw[k] !== null && typeof raw[k] === "object" && !Array.isArray(raw[k])
              ? "section"
              : "key";
          return `${fileSource(issue.path, k)}: unknown ${what} ${key ? `${key}.${k}` : k} in ${where}; ${hint} (see docs/config.md)`;
        })
        .join("\n");
    }
    const value = issue.path.reduce<unknown>(
      (v, k) =>
        v && typeof v === "object" ? (v as Record<string, unknown>)[k as string] : undefined,
      raw,
    );
    const names = issue.path.filter((k) => typeof k !== "number").map(String);
    const exampleText = EXAMPLES[names.join(".")] ?? EXAMPLES[names.slice(0, 2).join(".")];
    const example = exampleText ? `\n  example: ${exampleText}` : "";
    const settable = issue.path.length === 2 && !inArray; // only section.key can be set by environment
    const variable = settable ? fromEnv.get(key) : undefined;
    const env = settable && !variable ? ` (env ${envNames(key)[0]})` : "";
    const source = variable ? `environment variable ${variable}` : fileSource(issue.path);
    const stated = value === undefined ? `${key} is missing` : `${key} = ${JSON.stringify(value)}`;
    return `${source}: ${stated}: ${expectation(issue)}${env}${example}`;
  });
  return lines.join("\n");
}

/**
 * A key that takes a list of names or a list of tables (agent.channels) fails as a whole union:
 * when tables were written, their own issues (a bad mode) say more, under their full paths.
 */
function tableIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union") return [issue];
  const deepest = issue.errors
    .filter((option) => option.length > 0 && option.every((i) => i.path.length > 1))
    .at(0);
  return deepest
    ? deepest.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue)
    : [issue];
}

/** What was expected, in words: zod's own "Invalid input…" becomes "expected a number" and the like. */
function expectation(issue: z.core.$ZodIssue): string {
  if (!issue.message.startsWith("Invalid input")) return issue.message;
  if (issue.code === "invalid_type") {
    const expected =
      issue.expected === "object" ? "table" : issue.expected === "array" ? "list" : issue.expected;
    return `expected ${/^[aeiou]/.test(expected) ? "an" : "a"} ${expected}`;
  }
  return issue.message;
}

/** The schema at `path` (defaults, optionals and arrays looked through). */
function schemaAt(path: PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (t: z.ZodType | undefined): z.ZodType | undefined => {
    for (let i = 0; t && i < 5; i++) {
      const def = (t as unknown as { def: { innerType?: z.ZodType; element?: z.ZodType } }).def;
      if (def.innerType) t = def.innerType;
      else break;
    }
    return t;
  };
  for (const k of path) {
    current = unwrap(current);
    if (typeof k === "number")
      current = (current as unknown as { def: { element?: z.ZodType } } | undefined)?.def.element;
    else
      current =
        current instanceof z.ZodObject
          ? (current.shape as Record<string, z.ZodType>)[String(k)]
          : undefined;
  }
  return unwrap(current);
}

function knownKeys(path: PropertyKey[]): string[] {
  const at = schemaAt(path);
  return at instanceof z.ZodObject ? Object.keys(at.shape) : [];
}

/** The known key (or at the top level, section, or `section.key`) that `key` most likely meant. */
function closestKey(path: PropertyKey[], key: string, known: string[]): string | undefined {
  const prefix = path.length ? "" : "[";
  if (!path.length) {
    // a key of a section written at the top level (before any [section] line)
    for (const section of known)
      if (knownKeys([section]).includes(key)) return `${section}.${key} (under [${section}])`;
  }
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best || best.distance > Math.max(1, Math.floor(best.name.length / 3))) return undefined;
  return prefix ? `[${best.name}]` : best.name;
}

function editDistance(a: string, b: string): number {
  // Damerau (adjacent swaps count once): mention_onyl is one step from mention_only
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The line of the TOML file where `path` (plus `name`, a key not in the schema) is written: the
 * key's line in its section, else the section's header. Simple tables and arrays of tables only.
 */
function lineOf(text: string, path: PropertyKey[], name?: string): number | undefined {
  const full = name === undefined ? path : [...path, name];
  const section = full
    .filter((k) => typeof k === "string")
    .slice(0, -1)
    .join(".");
  const index = full.find((k) => typeof k === "number") as number | undefined;
  const key = String(full.filter((k) => typeof k === "string").at(-1) ?? "");
  let current = "";
  let occurrence = -1;
  let header: number | undefined;
  const lines = text.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const h = /^\s*\[(\[)?\s*([^\]]+?)\s*\]/.exec(line);
    if (h) {
      current = h[2]!;
      if (current === section) occurrence++;
      if (current === section && (index === undefined || occurrence === index)) header = i + 1;
      if (section === "" && current === key) return i + 1; // an unknown section: its header
      continue;
    }
    const here = current === section && (index === undefined || occurrence === index);
    if (
      here &&
      new RegExp(`^\\s*["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*=`).test(line)
    )
      return i + 1;
  }
  return header;
}

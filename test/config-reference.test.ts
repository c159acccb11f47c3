import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/service/config.js";
import {
  describeConfig,
  renderConfigReference,
  type KeyDoc,
} from "../src/service/config-reference.js";

/** A valid value of the key as the environment spells it, and what the configuration then holds. */
function sample(key: KeyDoc): { text: string; value: unknown } {
  const special: Record<string, string> = {
    "store.url": "sqlite:./elsewhere.db",
    "http.listen": "0.0.0.0:4321",
    "metrics.listen": "127.0.0.1:9464",
    "mattermost.bot_token": "a".repeat(26),
  };
  if (special[key.key]) return { text: special[key.key]!, value: special[key.key] };
  const numbers: Record<string, number> = {
    "mattermost.max_requests_per_second": 4.5,
    "agent.temperature": 0.5,
    "agent.timeout_seconds": 30,
    "agent.follow_threads_minutes": 15,
    "agent.approval_timeout_seconds": 90,
    "agent.vision_max_images": 8,
    "agent.vision_max_image_mb": 2.5,
  };
  if (numbers[key.key] !== undefined)
    return { text: String(numbers[key.key]), value: numbers[key.key] };
  if (key.key === "agent.api_key_env") return { text: "A_KEY_VARIABLE", value: "A_KEY_VARIABLE" };
  if (key.type.startsWith("integer")) return { text: "4321", value: 4321 };
  if (key.type === "boolean")
    return {
      text: key.defaultValue === "true" ? "false" : "true",
      value: key.defaultValue !== "true",
    };
  if (key.type === "URL")
    return { text: "https://chat.example.com", value: "https://chat.example.com" };
  if (key.type.startsWith("list") || key.type.includes("or list"))
    return { text: "one, two", value: ["one", "two"] };
  if (key.type.startsWith('"')) {
    const last = JSON.parse(key.type.split(" | ").at(-1)!) as string;
    return { text: last, value: last };
  }
  return { text: "a-long-enough-string", value: "a-long-enough-string" };
}

describe("the configuration reference (docs/config.md)", () => {
  it("is what the schema renders: run `npm run docs:config` after changing the schema", () => {
    const committed = readFileSync(new URL("../docs/config.md", import.meta.url), "utf8");
    const rendered = renderConfigReference();
    // the first line that differs says more than a diff of the whole file
    const differs = rendered.split("\n").find((line, i) => line !== committed.split("\n")[i]);
    expect(differs, "docs/config.md is out of date: run npm run docs:config").toBeUndefined();
    expect(committed).toBe(rendered);
  });

  it("names, for every key settable by environment, variables that do set it", () => {
    const keys = describeConfig()
      .flatMap((table) => table.keys)
      .filter((key) => key.env.length > 0);
    expect(keys.map((key) => key.key)).toEqual(
      expect.arrayContaining([
        "mattermost.url",
        "store.url",
        "policy.mention_only",
        "http.listen",
        "log.level",
      ]),
    );
    for (const key of keys) {
      const [section, name] = key.key.split(".") as [string, string];
      const { text, value } = sample(key);
      for (const variable of key.env) {
        // a server needs both its keys: the other one by its usual variable
        const companion =
          key.key === "mattermost.url"
            ? { MATTERMOST_BOT_TOKEN: "b".repeat(26) }
            : key.key === "mattermost.bot_token"
              ? { MATTERMOST_URL: "https://chat.example.com" }
              : {};
        // an agent needs its url and model, and the variable api_key_env names
        const agent =
          section === "agent"
            ? {
                MMBOT_AGENT_URL: "http://127.0.0.1:8080/v1",
                MMBOT_AGENT_MODEL: "m",
                A_KEY_VARIABLE: "k",
              }
            : {};
        const config = loadConfig({
          path: "no-such-file.toml",
          env: { ...companion, ...agent, [variable]: text },
        }) as unknown as Record<string, Record<string, unknown>>;
        expect(config[section]?.[name], `${variable}=${text} sets ${key.key}`).toEqual(value);
      }
    }
  });
});

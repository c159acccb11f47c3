/**
 * What each layer may import (docs/architecture.md): the pipeline knows no transport, the
 * library knows no app and no configuration, the sandbox shares no code with the bot.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));
const SHARED = new Set(["errors.ts", "log.ts", "json-depth.ts"]);
const LAYERS = ["mattermost", "store", "http", "bot", "sources", "metrics", "apps", "sandbox"] as const;
type Layer = (typeof LAYERS)[number] | "service" | "shared";

const ALLOWED: Record<Exclude<Layer, "service" | "shared">, Layer[]> = {
  mattermost: ["mattermost"],
  store: ["store"],
  http: ["http", "mattermost", "store"],
  bot: ["bot", "mattermost", "store", "http"],
  sources: ["sources", "bot", "http", "mattermost", "store", "metrics"],
  metrics: ["metrics", "bot", "http", "mattermost", "store"],
  apps: ["apps", "bot", "http", "mattermost", "store", "metrics"],
  sandbox: ["sandbox", "mattermost"],
};

function layerOf(file: string): Layer {
  const path = relative(SRC, file);
  if (SHARED.has(path)) return "shared";
  const top = path.split("/")[0] as Layer;
  return (LAYERS as readonly string[]).includes(top) ? top : "service";
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("layers", () => {
  it("import only what docs/architecture.md allows", () => {
    const broken: string[] = [];
    for (const file of sources(SRC)) {
      const from = layerOf(file);
      if (from === "service" || from === "shared") continue;
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
        const target = resolve(dirname(file), spec!.replace(/\.js$/, ".ts"));
        const to = layerOf(target);
        if (to !== "shared" && !ALLOWED[from].includes(to)) broken.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("load Kysely's CommonJS build only (store/kysely.ts): its ESM build beside it costs ~7 MB resident", () => {
    const valueImports = sources(SRC).filter((file) => /^import (?!type)[^;]*from "kysely";/m.test(readFileSync(file, "utf8"))).map((file) => relative(SRC, file));
    expect(valueImports).toEqual([]);
  });
});

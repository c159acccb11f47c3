// Bundles the page (web/src) into dist/web with esbuild: one hashed script and stylesheet, and
// index.html naming them. Run by `npm run build`; nothing is fetched when the page runs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { gemoji } from "gemoji";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const out = here("../dist/web/");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** The page needs only each emoji's names: gemoji's tags and descriptions would triple the bundle. */
const emojiNamesOnly = {
  name: "emoji-names-only",
  setup(plugin) {
    plugin.onLoad({ filter: /[\\/]gemoji[\\/]index\.js$/ }, () => ({
      contents: `export const gemoji = ${JSON.stringify(gemoji.map(({ emoji, names }) => ({ emoji, names })))};`,
      loader: "js",
    }));
  },
};

const result = await build({
  entryPoints: [here("src/main.tsx")],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  entryNames: "[name]-[hash]",
  outdir: `${out}assets`,
  metafile: true,
  plugins: [emojiNamesOnly],
  logLevel: "warning",
});
const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const js = outputs.find((name) => name.endsWith(".js"));
const css = outputs.find((name) => name.endsWith(".css"));
const html = readFileSync(here("index.html"), "utf8").replace("%JS%", js).replace("%CSS%", css);
writeFileSync(`${out}index.html`, html);

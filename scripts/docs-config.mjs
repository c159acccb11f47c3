// `npm run docs:config`: writes docs/config.md from the schema (after `npm run build`).
import { writeFileSync } from "node:fs";
import { renderConfigReference } from "../dist/service/config-reference.js";

const target = new URL("../docs/config.md", import.meta.url);
writeFileSync(target, renderConfigReference());
console.log("wrote docs/config.md");

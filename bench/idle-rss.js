// The idle memory of a bot: `mmbot start` (the todo bot, SQLite) against the sandbox, RUNS times
// (default 7), its RSS 1 s after it says "connected" and again LATE_MS later (default 15 s, once
// V8 has had time to shrink its young generation). Prints each run and the medians.
//   npm run bench:idle        (RUNS=3 LATE_MS=0 for a quick look)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";

const RUNS = Number(process.env.RUNS ?? 7);
const LATE_MS = Number(process.env.LATE_MS ?? 15_000);
const MAIN = new URL("../dist/service/cli/main.js", import.meta.url).pathname;

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const rssMb = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const early = [];
const late = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-idle-"));
  const child = spawn(process.execPath, [MAIN, "start"], {
    cwd: dir,
    env: {
      ...process.env,
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      MMBOT_LOG_LEVEL: "warn",
      DATABASE_URL: `sqlite:${join(dir, "bot.db")}`,
      MMBOT_POLICY_ALLOWED_USERS: "*",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("connected") && resolve());
    child.on("exit", (code) => reject(new Error(`mmbot start exited with ${code}`)));
  });
  await sleep(1000);
  early.push(rssMb(child.pid));
  if (LATE_MS > 0) {
    await sleep(LATE_MS);
    late.push(rssMb(child.pid));
  }
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  console.log(
    `run ${run + 1}: ${early.at(-1).toFixed(1)} MB 1 s after connected${LATE_MS > 0 ? `, ${late.at(-1).toFixed(1)} MB ${LATE_MS / 1000} s later` : ""}`,
  );
}
console.log(
  `idle RSS, median of ${RUNS}: ${median(early).toFixed(1)} MB 1 s after connected${LATE_MS > 0 ? `; ${median(late).toFixed(1)} MB ${LATE_MS / 1000} s later` : ""} (node ${process.version})`,
);
await sandbox.close();
process.exit(0);

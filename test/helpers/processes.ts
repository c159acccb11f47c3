import { existsSync, readFileSync } from "node:fs";

/** Whether a process is still running (a zombie, dead but not yet reaped, counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Resolves once `check` is true, looking every `pollMs`; rejects after `timeoutMs`. For conditions another process or socket makes true. */
export async function waitUntil(
  check: () => boolean,
  what: string,
  timeoutMs = 5_000,
  pollMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Waits for a file another process writes, then reads it. */
export async function readWhenWritten(path: string): Promise<string> {
  await waitUntil(
    () => existsSync(path) && readFileSync(path, "utf8").trim() !== "",
    `${path} is written`,
  );
  return readFileSync(path, "utf8").trim();
}

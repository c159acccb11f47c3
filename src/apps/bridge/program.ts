import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/**
 * The absolute path of an executable: `program` itself when absolute, else the first match on
 * `path` (a PATH value). Undefined when there is none.
 */
export function resolveProgram(program: string, path: string): string | undefined {
  const candidates = isAbsolute(program)
    ? [program]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  return candidates.find(isExecutableFile);
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The child's environment: PATH, HOME and LANG from the bot's, then the bridge's `env` (each
 * run adds MMBOT_ONCE_KEY). Nothing else leaks through (the bot's token, database URL…).
 */
export function childEnvironment(
  extra: Record<string, string>,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  return {
    PATH: parent.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: parent.HOME ?? "/",
    LANG: parent.LANG ?? "C.UTF-8",
    ...extra,
  };
}

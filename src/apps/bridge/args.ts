/**
 * Splits a user's text into arguments: words separated by white space, with "…" and '…' (and
 * “…”) grouping words. Nothing else has a meaning: no escapes, variables, globs, pipes,
 * redirections or command substitution — `; rm -rf /` is four plain arguments. The result goes
 * to the program as its argument vector, never through a shell.
 */
export function splitArguments(text: string): ArgumentSplit {
  const args: string[] = [];
  let current: string | undefined; // undefined: between words ("" is an empty quoted argument)
  let closing: string | undefined; // the quote that ends the group we are in
  for (const char of text) {
    if (closing !== undefined) {
      if (char === closing) closing = undefined;
      else current += char;
    } else if (QUOTES[char] !== undefined) {
      closing = QUOTES[char];
      current ??= "";
    } else if (/\s/.test(char)) {
      if (current !== undefined) args.push(current);
      current = undefined;
    } else {
      current = (current ?? "") + char;
    }
  }
  if (closing !== undefined)
    return { ok: false, reason: `a quote is not closed: add the closing ${closing}` };
  if (current !== undefined) args.push(current);
  return { ok: true, args };
}

export type ArgumentSplit = { ok: true; args: string[] } | { ok: false; reason: string };

/** Opening quote → closing quote. */
const QUOTES: Record<string, string> = { '"': '"', "'": "'", "“": "”" };

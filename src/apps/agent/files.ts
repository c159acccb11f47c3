/**
 * Text files attached to the thread's user posts go into their turns, marked with their names:
 * `text/*` up to 1 MB each. Other files are named, not read.
 */
import type { Logger } from "../../log.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { FileInfo, Post } from "../../mattermost/types.js";

export const MAX_FILE_BYTES = 1_048_576;

/** The text to append to each post's turn, by post id. */
export async function attachedTexts(
  client: MattermostClient,
  posts: readonly Post[],
  botId: string,
  logger: Logger,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const post of posts) {
    const files = (post.metadata?.files ?? []) as FileInfo[];
    if (post.user_id === botId || post.delete_at || files.length === 0) continue;
    const parts: string[] = [];
    for (const file of files) {
      if (!file.mime_type.startsWith("text/"))
        parts.push(`(attached: ${file.name}, not a text file: not read)`);
      else if (file.size > MAX_FILE_BYTES)
        parts.push(`(attached: ${file.name}, over 1 MB: not read)`);
      else {
        const text = await client.getFileText(file.id).catch((error: unknown) => {
          logger.warn({ err: error, fileId: file.id }, "agent: cannot read an attached file");
          return undefined;
        });
        parts.push(
          text === undefined
            ? `(attached: ${file.name}: could not be read)`
            : `--- file ${file.name} ---\n${text}\n--- end of ${file.name} ---`,
        );
      }
    }
    texts.set(post.id, parts.join("\n\n"));
  }
  return texts;
}

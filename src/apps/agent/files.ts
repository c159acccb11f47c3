/**
 * Files attached to the thread's user posts, for their turns: `text/*` up to 1 MB each, read and
 * marked with their names; with vision on, images (PNG, JPEG, GIF, WebP) as image parts, the
 * newest first up to a count and a size each; other files named, not read. The question's
 * images left out are told in the thread (the others were, when they were the question).
 */
import type { Logger } from "../../log.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { FileInfo, Post } from "../../mattermost/types.js";
import type { ImagePart } from "./model-client.js";

export const MAX_FILE_BYTES = 1_048_576;

/** What models take as images (OpenAI's list; the others follow it). */
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export interface VisionLimits {
  /** Images sent in one request at most (the newest kept). */
  maxImages: number;
  /** One image's size at most, in bytes. */
  maxImageBytes: number;
}

export const DEFAULT_VISION_LIMITS: VisionLimits = { maxImages: 4, maxImageBytes: 5 * 1_048_576 };

/** What a post's turn gets of its files. */
export interface PostFiles {
  /** Added to the turn's text ("" when nothing). */
  text: string;
  images: ImagePart[];
}

export interface AttachedFiles {
  byPost: Map<string, PostFiles>;
  /** The question's files left out, in words for the thread; undefined when none. */
  notice?: string;
}

export async function attachedFiles(
  client: MattermostClient,
  posts: readonly Post[],
  question: Post,
  botId: string,
  logger: Logger,
  vision?: VisionLimits,
): Promise<AttachedFiles> {
  const byPost = new Map<string, PostFiles>();
  const leftOut: string[] = [];
  let images = 0;
  // newest first: the question's images are the last to be left out for the count
  const newestFirst = posts
    .filter(
      (p) =>
        p.user_id !== botId &&
        !p.delete_at &&
        (p.id === question.id || p.create_at <= question.create_at),
    )
    .sort((a, b) =>
      a.id === question.id ? -1 : b.id === question.id ? 1 : b.create_at - a.create_at,
    );
  for (const post of newestFirst) {
    const files = (post.metadata?.files ?? []) as FileInfo[];
    if (files.length === 0) continue;
    const parts: string[] = [];
    const sent: ImagePart[] = [];
    const tell = (why: string) => {
      if (post.id === question.id) leftOut.push(why);
    };
    for (const file of files) {
      if (vision && IMAGE_TYPES.has(file.mime_type)) {
        if (file.size > vision.maxImageBytes) {
          parts.push(
            `(attached: ${file.name}, an image over ${megabytes(vision.maxImageBytes)}: not sent)`,
          );
          tell(`${file.name} (over the ${megabytes(vision.maxImageBytes)} limit)`);
        } else if (images >= vision.maxImages) {
          parts.push(
            `(attached: ${file.name}, an image over the limit of ${vision.maxImages} images: not sent)`,
          );
          tell(`${file.name} (over the limit of ${vision.maxImages} images)`);
        } else {
          const bytes = await client.getFileBytes(file.id).catch((error: unknown) => {
            logger.warn({ err: error, fileId: file.id }, "agent: cannot read an attached image");
            return undefined;
          });
          if (bytes === undefined) {
            parts.push(`(attached: ${file.name}: could not be read)`);
            tell(`${file.name} (could not be read)`);
            continue;
          }
          images++;
          parts.push(`(attached: ${file.name}, sent as an image)`);
          sent.push({
            type: "image_url",
            image_url: {
              url: `data:${file.mime_type};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")}`,
            },
          });
        }
      } else if (!file.mime_type.startsWith("text/"))
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
    byPost.set(post.id, { text: parts.join("\n\n"), images: sent });
  }
  return {
    byPost,
    notice: leftOut.length ? `_Not sent to the model: ${leftOut.join(", ")}._` : undefined,
  };
}

function megabytes(bytes: number): string {
  return `${Number((bytes / 1_048_576).toFixed(1))} MB`;
}

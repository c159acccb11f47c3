import type { NewOutboxEntry } from "../store/index.js";
import { splitMessage } from "./split.js";

/**
 * The outbox entries of one answer: the text split at Mattermost's limit, props and files on
 * the last part (under the whole text).
 */
export function postEntries(input: { channelId: string; rootId: string; text: string; props?: Record<string, unknown>; fileIds?: string[] }): NewOutboxEntry[] {
  const chunks = splitMessage(input.text);
  return chunks.map((message, i) => ({
    kind: "post" as const,
    channel_id: input.channelId,
    root_id: input.rootId,
    user_id: "",
    message,
    props: i === chunks.length - 1 ? input.props : undefined,
    file_ids: i === chunks.length - 1 && input.fileIds?.length ? input.fileIds : undefined,
  }));
}

/** The world file's rows for posts, their files, reactions and button integrations (src/sandbox/posting.ts). */
import type { ActionIntegration } from "../attachments.js";
import type { FileRecord, PostRecord, ReactionRecord } from "../wire.js";
import type { Table } from "./table.js";

/** Posting's maps, filled in place on load. */
export interface PostingMaps {
  posts: Map<string, PostRecord>;
  byChannel: Map<string, string[]>;
  replies: Map<string, string[]>;
  files: Map<string, FileRecord>;
  reactions: Map<string, ReactionRecord[]>;
  actions: Map<string, Map<string, ActionIntegration>>;
}

export function postingTables(maps: PostingMaps): Table[] {
  return [
    {
      kind: "file",
      *rows() {
        for (const { bytes, ...file } of maps.files.values())
          yield { id: file.id, data: file, blob: bytes };
      },
      load: (rows) =>
        rows.forEach((row) =>
          maps.files.set(row.id, {
            ...(row.data as Omit<FileRecord, "bytes">),
            bytes: row.blob ?? Buffer.alloc(0),
          }),
        ),
    },
    {
      kind: "post",
      *rows() {
        for (const post of maps.posts.values()) yield { id: post.id, data: post };
      },
      *rowsSince(ms) {
        for (const post of maps.posts.values())
          if (post.update_at >= ms) yield { id: post.id, data: post };
      },
      load(rows) {
        for (const row of rows) {
          const post = row.data as PostRecord;
          maps.posts.set(post.id, post);
          let list = maps.byChannel.get(post.channel_id);
          if (!list) maps.byChannel.set(post.channel_id, (list = []));
          list[post.channelIndex] = post.id;
        }
        // a thread lists its live replies in order; a deleted root took its replies with it
        for (const list of maps.byChannel.values()) {
          for (const id of list) {
            const post = maps.posts.get(id)!;
            if (!post.root_id || post.delete_at !== 0) continue;
            const thread = maps.replies.get(post.root_id);
            if (thread) thread.push(id);
            else maps.replies.set(post.root_id, [id]);
          }
        }
      },
    },
    {
      kind: "reaction",
      *rows() {
        for (const list of maps.reactions.values()) {
          for (const r of list) yield { id: `${r.post_id}/${r.user_id}/${r.emoji_name}`, data: r };
        }
      },
      load(rows) {
        const reactions = rows
          .map((row) => row.data as ReactionRecord)
          .sort((a, b) => a.create_at - b.create_at);
        for (const r of reactions) {
          const list = maps.reactions.get(r.post_id);
          if (list) list.push(r);
          else maps.reactions.set(r.post_id, [r]);
        }
      },
    },
    {
      kind: "post_actions",
      *rows() {
        for (const [postId, actions] of maps.actions)
          yield { id: postId, data: Object.fromEntries(actions) };
      },
      load: (rows) =>
        rows.forEach((row) =>
          maps.actions.set(
            row.id,
            new Map(Object.entries(row.data as Record<string, ActionIntegration>)),
          ),
        ),
    },
  ];
}

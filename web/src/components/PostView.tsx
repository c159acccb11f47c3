/** One post: author, time, message (markdown), attachments with their actions, files, reactions, and what you can do with it. */
import { useState } from "preact/hooks";
import { emojiFor } from "../emoji";
import { renderMarkdown } from "../markdown";
import type { Post } from "../types";
import { useStore } from "../use-store";
import { AttachmentView } from "./AttachmentView";
import { Avatar } from "./Avatar";
import { FileList } from "./FileList";
import { PostMenu } from "./PostMenu";

const SYSTEM_TYPES = /^system_/;

export function PostView(props: { post: Post; previous?: Post; inThread?: boolean }) {
  const store = useStore();
  const s = store.state;
  const { post } = props;
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [picking, setPicking] = useState(false);
  const author = s.users.get(post.user_id);
  const name = post.props.override_username ?? author?.username ?? "someone";
  const mine = post.user_id === s.me?.id;
  const time = new Date(post.create_at).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
  const system = SYSTEM_TYPES.test(post.type) && !post.ephemeral;
  const attachments = post.props.attachments ?? [];
  const reactions = groupReactions(post, s.me?.id ?? "");
  const label = `${name} at ${time}${post.ephemeral ? " (only visible to you)" : ""}`;

  if (system)
    return (
      <article class="post system" aria-label={label}>
        <div
          class="body markdown"
          dangerouslySetInnerHTML={{ __html: renderMarkdown(post.message, s.me?.username ?? "") }}
        />
      </article>
    );
  return (
    <article
      class={`post${post.ephemeral ? " ephemeral" : ""}${mine ? " mine" : ""}${picking ? " picking" : ""}`}
      aria-label={label}
      data-post-id={post.id}
    >
      {!post.ephemeral && editing === undefined && (
        <PostMenu
          post={post}
          mine={mine}
          inThread={props.inThread ?? false}
          picking={picking}
          setPicking={setPicking}
          onEdit={() => setEditing(post.message)}
        />
      )}
      <Avatar userId={author?.id} />
      <div class="content">
        <div class="meta">
          <strong class="author">{name}</strong>
          {author?.is_bot && <span class="tag">BOT</span>}
          <time dateTime={new Date(post.create_at).toISOString()}>{time}</time>
          {post.edit_at > 0 && <span class="edited">(edited)</span>}
          {post.ephemeral && <span class="only-you">(Only visible to you)</span>}
          {post.root_id && !props.inThread && (
            <button class="link" onClick={() => void store.openThread(post.root_id)}>
              replied in a thread
            </button>
          )}
        </div>
        {editing !== undefined ? (
          <form
            class="edit"
            onSubmit={(e) => (
              e.preventDefault(),
              void store.editPost(post.id, editing).then(() => setEditing(undefined))
            )}
          >
            <textarea
              aria-label="Edit message"
              value={editing}
              onInput={(e) => setEditing((e.target as HTMLTextAreaElement).value)}
            />
            <button class="primary" type="submit">
              Save
            </button>
            <button type="button" onClick={() => setEditing(undefined)}>
              Cancel
            </button>
          </form>
        ) : (
          post.message && (
            <div
              class="body markdown"
              dangerouslySetInnerHTML={{
                __html: renderMarkdown(post.message, s.me?.username ?? ""),
              }}
            />
          )
        )}
        {attachments.map((a, i) => (
          <AttachmentView key={i} post={post} attachment={a} />
        ))}
        {post.metadata?.files && <FileList files={post.metadata.files} />}
        {reactions.length > 0 && (
          <div class="reactions">
            {reactions.map((r) => (
              <button
                key={r.emoji}
                class={`reaction${r.mine ? " mine" : ""}`}
                aria-pressed={r.mine}
                title={`:${r.emoji}:`}
                onClick={() => void store.toggleReaction(post, r.emoji)}
              >
                {emojiFor(r.emoji) ?? `:${r.emoji}:`} {r.count}
              </button>
            ))}
          </div>
        )}
        {!props.inThread && !post.root_id && (post.reply_count ?? 0) > 0 && (
          <button class="link replies" onClick={() => void store.openThread(post.id)}>
            {post.reply_count === 1 ? "1 reply" : `${post.reply_count} replies`}
          </button>
        )}
      </div>
    </article>
  );
}

function groupReactions(
  post: Post,
  me: string,
): Array<{ emoji: string; count: number; mine: boolean }> {
  const groups = new Map<string, { emoji: string; count: number; mine: boolean }>();
  for (const r of post.metadata?.reactions ?? []) {
    const group = groups.get(r.emoji_name) ?? { emoji: r.emoji_name, count: 0, mine: false };
    group.count++;
    group.mine ||= r.user_id === me;
    groups.set(r.emoji_name, group);
  }
  return [...groups.values()];
}

/** What each WebSocket event changes on the page: new, edited and deleted posts, reactions, typing, dialogs, unread marks. */
import type { Store } from "./store";
import type { OpenedDialog, Post, Reaction, WsEvent } from "./types";

const parse = <T>(value: unknown): T => JSON.parse(String(value)) as T;

export function handleEvent(store: Store, event: WsEvent): void {
  const s = store.state;
  switch (event.event) {
    case "posted": {
      const post = parse<Post>(event.data.post);
      store.append(post);
      store.stopTyping(post.channel_id, post.user_id);
      if (post.user_id !== s.me?.id && post.channel_id !== s.currentChannelId) {
        s.unread.add(post.channel_id);
        if (mentions(post.message, s.me?.username ?? "") || event.data.channel_type === "D")
          s.mentions.set(post.channel_id, (s.mentions.get(post.channel_id) ?? 0) + 1);
      }
      const root = post.root_id ? s.posts.get(post.root_id) : undefined;
      if (root) s.posts.set(root.id, { ...root, reply_count: (root.reply_count ?? 0) + 1 });
      if (!s.channels.some((c) => c.id === post.channel_id)) void store.refreshDirectory();
      return;
    }
    case "ephemeral_message": {
      const post = parse<Post>(event.data.post);
      store.append({ ...post, ephemeral: true });
      return;
    }
    case "post_edited": {
      const post = parse<Post>(event.data.post);
      const known = s.posts.get(post.id);
      s.posts.set(post.id, { ...post, reply_count: post.reply_count ?? known?.reply_count });
      return;
    }
    case "post_deleted": {
      const post = parse<Post>(event.data.post);
      s.posts.delete(post.id);
      const order = s.order.get(post.channel_id);
      if (order)
        s.order.set(
          post.channel_id,
          order.filter((id) => id !== post.id),
        );
      if (s.threadRootId === post.id) s.threadRootId = undefined;
      return;
    }
    case "reaction_added":
    case "reaction_removed": {
      const reaction = parse<Reaction>(event.data.reaction);
      const post = s.posts.get(reaction.post_id);
      if (!post) return;
      const others = (post.metadata?.reactions ?? []).filter(
        (r) => !(r.user_id === reaction.user_id && r.emoji_name === reaction.emoji_name),
      );
      const reactions = event.event === "reaction_added" ? [...others, reaction] : others;
      s.posts.set(post.id, { ...post, metadata: { ...post.metadata, reactions } });
      return;
    }
    case "typing": {
      const userId = String(event.data.user_id ?? "");
      if (userId && userId !== s.me?.id)
        store.noteTyping(event.broadcast.channel_id, userId, String(event.data.parent_id ?? ""));
      return;
    }
    case "open_dialog": {
      const opened = parse<OpenedDialog>(event.data.dialog);
      s.dialog = { opened, channelId: s.currentChannelId, errors: {}, error: "" };
      return;
    }
    case "channel_viewed": {
      s.unread.delete(String(event.data.channel_id));
      return;
    }
    case "user_added":
    case "direct_added":
    case "channel_created":
      void store.refreshDirectory();
      return;
  }
}

function mentions(message: string, username: string): boolean {
  return (
    username !== "" &&
    new RegExp(`(^|[^\\w.-])@(${username}|all|channel|here)\\b`, "i").test(message)
  );
}

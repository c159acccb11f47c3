/** The current channel: its header, its posts (ephemeral ones included) and the message box. */
import { useEffect, useRef } from "preact/hooks";
import { useStore } from "../use-store";
import { Composer } from "./Composer";
import { PostView } from "./PostView";

export function ChannelView(props: { onToggleLog: () => void; logOpen: boolean }) {
  const store = useStore();
  const s = store.state;
  const channel = s.channels.find((c) => c.id === s.currentChannelId);
  const posts = (s.order.get(s.currentChannelId) ?? [])
    .map((id) => s.posts.get(id))
    .filter((p) => p !== undefined && p.delete_at === 0);
  const list = useRef<HTMLDivElement>(null);
  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [posts.length, s.currentChannelId]);
  const typing = store.typingIn(s.currentChannelId, "");
  return (
    <main class="channel" aria-label={channel ? store.channelName(channel) : "Channel"}>
      <header class="channel-header">
        <h1>
          {channel ? `${channel.type === "D" ? "@" : "#"} ${store.channelName(channel)}` : ""}
        </h1>
        <button class="quiet" aria-pressed={props.logOpen} onClick={props.onToggleLog}>
          Event log
        </button>
      </header>
      {s.notice && (
        <div class="notice" role="alert">
          {s.notice}
        </div>
      )}
      <div class="posts" ref={list} role="log" aria-label="Messages">
        {posts.map((post, i) => (
          <PostView key={post!.id} post={post!} previous={posts[i - 1]} />
        ))}
      </div>
      <Composer
        label="Message"
        placeholder={channel ? `Write to ${store.channelName(channel)}` : ""}
      />
      <div class="typing" aria-live="polite">
        {typing.length > 0
          ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…`
          : ""}
      </div>
    </main>
  );
}

/** The current channel: its header, its posts (ephemeral ones included) and the message box. */
import { useFollow } from "../use-follow";
import { useStore } from "../use-store";
import { Composer } from "./Composer";
import { EmptyChannel } from "./EmptyChannel";
import { PostView } from "./PostView";

export function ChannelView(props: { sidebarOpen: boolean; onToggleSidebar: () => void }) {
  const store = useStore();
  const s = store.state;
  const channel = s.channels.find((c) => c.id === s.currentChannelId);
  const posts = (s.order.get(s.currentChannelId) ?? [])
    .map((id) => s.posts.get(id))
    .filter((p) => p !== undefined && p.delete_at === 0);
  const last = posts.at(-1);
  const follow = useFollow<HTMLDivElement>(
    `${posts.length}:${last?.message.length ?? 0}`,
    s.currentChannelId,
  );
  // "alice joined the channel" is no conversation: suggest what to type until someone writes
  const empty = s.order.has(s.currentChannelId) && posts.every((p) => /^system_/.test(p!.type));
  const typing = store.typingIn(s.currentChannelId, "");
  return (
    <main class="channel" aria-label={channel ? store.channelName(channel) : "Channel"}>
      <header class="channel-header">
        <button
          class="quiet menu-toggle"
          aria-label="Channels"
          aria-expanded={props.sidebarOpen}
          onClick={props.onToggleSidebar}
        >
          <svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">
            <path d="M3 5h12M3 9h12M3 13h12" stroke="currentColor" stroke-width="1.6" />
          </svg>
        </button>
        <h1>
          {channel ? `${channel.type === "D" ? "@" : "#"} ${store.channelName(channel)}` : ""}
        </h1>
      </header>
      {s.notice && (
        <div class="notice" role="alert">
          {s.notice}
        </div>
      )}
      <div
        class="posts"
        ref={follow.ref}
        onScroll={follow.onScroll}
        role="log"
        aria-label="Messages"
      >
        {posts.map((post, i) => (
          <PostView key={post!.id} post={post!} previous={posts[i - 1]} />
        ))}
        {empty && channel && <EmptyChannel channel={channel} />}
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

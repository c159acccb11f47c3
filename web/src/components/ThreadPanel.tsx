/**
 * A thread in the side panel: the root, its replies (ephemeral answers included) and a reply
 * box; it follows the newest reply unless you scrolled up.
 */
import { useFollow } from "../use-follow";
import { useStore } from "../use-store";
import { Composer } from "./Composer";
import { PostView } from "./PostView";

export function ThreadPanel(props: { rootId: string }) {
  const store = useStore();
  const posts = store.threadPosts(props.rootId);
  const typing = store.typingIn(store.state.currentChannelId, props.rootId);
  const last = posts.at(-1);
  // a reply edited as it streams grows too
  const follow = useFollow<HTMLDivElement>(
    `${posts.length}:${last?.message.length ?? 0}`,
    props.rootId,
  );
  return (
    <aside class="thread" aria-label="Thread">
      <header class="channel-header">
        <h2>Thread</h2>
        <button class="quiet" onClick={() => store.closeThread()}>
          Close thread
        </button>
      </header>
      <div class="posts" ref={follow.ref} onScroll={follow.onScroll}>
        {posts.map((p) => (
          <PostView key={p.id} post={p} inThread />
        ))}
      </div>
      <Composer label="Reply" placeholder="Reply…" rootId={props.rootId} />
      <div class="typing" aria-live="polite">
        {typing.length > 0
          ? `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…`
          : ""}
      </div>
    </aside>
  );
}

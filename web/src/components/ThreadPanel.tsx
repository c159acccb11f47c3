/** A thread in the side panel: the root, its replies (ephemeral answers included) and a reply box. */
import { useStore } from "../use-store";
import { Composer } from "./Composer";
import { PostView } from "./PostView";

export function ThreadPanel(props: { rootId: string }) {
  const store = useStore();
  const posts = store.threadPosts(props.rootId);
  const typing = store.typingIn(store.state.currentChannelId, props.rootId);
  return (
    <aside class="thread" aria-label="Thread">
      <header class="channel-header">
        <h2>Thread</h2>
        <button class="quiet" onClick={() => store.closeThread()}>
          Close thread
        </button>
      </header>
      <div class="posts">
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

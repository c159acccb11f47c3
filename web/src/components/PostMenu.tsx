/**
 * What you can do with a post, as Mattermost shows it: a small bar over the post's corner while
 * the pointer is on the post or the keyboard focus is in it (the buttons stay in the tab order),
 * and the reaction picker under it.
 */
import { AGENT_REACTIONS, QUICK_REACTIONS, emojiFor } from "../emoji";
import type { Post } from "../types";
import { useStore } from "../use-store";

export function PostMenu(props: {
  post: Post;
  mine: boolean;
  inThread: boolean;
  picking: boolean;
  setPicking: (picking: boolean) => void;
  onEdit: () => void;
}) {
  const store = useStore();
  const { post, picking, setPicking } = props;
  const react = (emoji: string) => (setPicking(false), void store.toggleReaction(post, emoji));
  return (
    <div class="post-menu" role="toolbar" aria-label="Message actions">
      <button
        class="icon"
        aria-label="Add reaction"
        title="Add reaction"
        aria-expanded={picking}
        onClick={() => setPicking(!picking)}
      >
        <Icon d="M8 1.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13ZM5.5 6.5h.01M10.5 6.5h.01M5 9.5c.8 1.2 1.8 1.8 3 1.8s2.2-.6 3-1.8" />
      </button>
      {!props.inThread && (
        <button
          class="icon"
          aria-label="Reply"
          title="Reply"
          onClick={() => void store.openThread(post.root_id || post.id)}
        >
          <Icon d="M6.5 3.5 2.5 7.5l4 4M2.5 7.5h7a4 4 0 0 1 4 4v1" />
        </button>
      )}
      {props.mine && (
        <button class="icon" aria-label="Edit message" title="Edit" onClick={props.onEdit}>
          <Icon d="M10.5 2.5l3 3-8 8h-3v-3l8-8Z" />
        </button>
      )}
      {props.mine && (
        <button
          class="icon danger"
          aria-label="Delete message"
          title="Delete"
          onClick={() => void store.deletePost(post.id)}
        >
          <Icon d="M2.5 4.5h11M6 4.5v-2h4v2M4 4.5l.7 9h6.6l.7-9M6.5 7v4M9.5 7v4" />
        </button>
      )}
      {picking && (
        <div
          class="picker"
          role="group"
          aria-label="Reactions"
          onKeyDown={(e) => e.key === "Escape" && setPicking(false)}
        >
          {QUICK_REACTIONS.map((name) => (
            <button
              key={name}
              class="quiet"
              aria-label={`React with ${name}`}
              title={`:${name}:`}
              onClick={() => react(name)}
            >
              {emojiFor(name)}
            </button>
          ))}
          <span class="picker-label">Agent</span>
          {AGENT_REACTIONS.map(({ name, meaning }) => (
            <button
              key={name}
              class="quiet"
              aria-label={`React with ${name}`}
              title={`:${name}: ${meaning}`}
              onClick={() => react(name)}
            >
              {emojiFor(name)}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

/** A 16 px line icon (shapes, no icon font). */
function Icon(props: { d: string }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <path
        d={props.d}
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

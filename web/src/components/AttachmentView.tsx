/**
 * A message attachment as Mattermost draws it (colour bar, pretext, title, text, fields, image)
 * with its actions: buttons and menus (static, users, channels) that really call the integration.
 */
import { useState } from "preact/hooks";
import { renderMarkdown } from "../markdown";
import type { Action, Attachment, Post } from "../types";
import { useStore } from "../use-store";

export function AttachmentView(props: { post: Post; attachment: Attachment }) {
  const store = useStore();
  const me = store.state.me?.username ?? "";
  const a = props.attachment;
  const md = (text: string) => ({ __html: renderMarkdown(text, me) });
  return (
    <div class="attachment" style={{ borderLeftColor: colour(a.color) }}>
      {a.pretext && <div class="markdown" dangerouslySetInnerHTML={md(a.pretext)} />}
      {a.author_name && <div class="att-author">{a.author_name}</div>}
      {a.title && (
        <div class="att-title">
          {a.title_link ? (
            <a href={a.title_link} target="_blank" rel="noreferrer">
              {a.title}
            </a>
          ) : (
            a.title
          )}
        </div>
      )}
      {a.text && <div class="markdown" dangerouslySetInnerHTML={md(a.text)} />}
      {a.fields && a.fields.length > 0 && (
        <dl class="fields">
          {a.fields.map((f, i) => (
            <div key={i} class={f.short ? "short" : ""}>
              <dt>{f.title}</dt>
              <dd class="markdown" dangerouslySetInnerHTML={md(String(f.value))} />
            </div>
          ))}
        </dl>
      )}
      {a.image_url && (
        <img class="att-image" src={a.image_url} alt={a.title ?? "attachment image"} />
      )}
      {a.actions && a.actions.length > 0 && (
        <div class="actions">
          {a.actions.map((action) => (
            <ActionView key={action.id} post={props.post} action={action} />
          ))}
        </div>
      )}
      {a.footer && <div class="att-footer">{a.footer}</div>}
    </div>
  );
}

function ActionView(props: { post: Post; action: Action }) {
  const store = useStore();
  const s = store.state;
  const { post, action } = props;
  const [busy, setBusy] = useState(false);
  const click = async (selected?: string) => {
    setBusy(true);
    await store.clickAction(post.id, action.id, selected);
    setBusy(false);
  };
  if (action.type === "select") {
    const options =
      action.data_source === "users"
        ? [...s.users.values()].map((u) => ({ text: u.username, value: u.id }))
        : action.data_source === "channels"
          ? s.channels
              .filter((c) => c.type === "O")
              .map((c) => ({ text: c.display_name, value: c.id }))
          : (action.options ?? []);
    return (
      <select
        aria-label={action.name}
        disabled={busy}
        value={action.default_option ?? ""}
        onChange={(e) => void click((e.target as HTMLSelectElement).value)}
      >
        <option value="" disabled>
          {action.name}
        </option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text}
          </option>
        ))}
      </select>
    );
  }
  return (
    <button
      class={`action ${action.style ?? "default"}`}
      disabled={busy}
      onClick={() => void click()}
    >
      {action.name}
    </button>
  );
}

/** Slack's named colours, else the colour as given. */
function colour(color: string | undefined): string {
  return (
    ({ good: "#3db887", warning: "#ffbc1f", danger: "#d24b4e" } as Record<string, string>)[
      color ?? ""
    ] ??
    (color || "#dddddd")
  );
}

/** Channels and direct messages with unread marks, and who you are (switch, or add someone). */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Channel } from "../types";
import { useStore } from "../use-store";
import { Avatar } from "./Avatar";

export function Sidebar() {
  const store = useStore();
  const s = store.state;
  const [newName, setNewName] = useState("");
  const channels = s.channels
    .filter((c) => c.type === "O" || c.type === "P")
    .sort((a, b) => store.channelName(a).localeCompare(store.channelName(b)));
  const people = [...s.users.values()]
    .filter((u) => u.id !== s.me?.id)
    .sort((a, b) => a.username.localeCompare(b.username));
  const directWith = (userId: string): Channel | undefined =>
    s.channels.find((c) => c.type === "D" && store.directPartner(c) === userId);
  const entry = (
    key: string,
    label: string,
    channel: Channel | undefined,
    onClick: () => void,
    prefix: JSX.Element | string,
  ) => {
    const unread = channel !== undefined && s.unread.has(channel.id);
    const mentions = channel ? (s.mentions.get(channel.id) ?? 0) : 0;
    const current = channel?.id === s.currentChannelId;
    return (
      <li key={key}>
        <button
          class={`entry${unread ? " unread" : ""}${current ? " current" : ""}`}
          aria-current={current ? "page" : undefined}
          onClick={onClick}
        >
          <span class="prefix" aria-hidden="true">
            {prefix}
          </span>
          {label}
          {mentions > 0 && (
            <span
              class="badge"
              title={`${mentions} mention${mentions > 1 ? "s" : ""}`}
              aria-hidden="true"
            >
              {mentions}
            </span>
          )}
        </button>
      </li>
    );
  };
  return (
    <nav class="sidebar" aria-label="Channels">
      <div class="team">Acme · sandbox</div>
      <form class="who" onSubmit={(e) => e.preventDefault()}>
        <label>
          Signed in as
          <select
            value={s.me?.username}
            onChange={(e) => void store.signIn((e.target as HTMLSelectElement).value)}
          >
            {[...s.users.values()]
              .filter((u) => !u.is_bot)
              .map((u) => (
                <option key={u.id} value={u.username}>
                  {u.username}
                </option>
              ))}
          </select>
        </label>
        <div class="add-user">
          <input
            aria-label="New user name"
            placeholder="new user…"
            value={newName}
            onInput={(e) => setNewName((e.target as HTMLInputElement).value)}
          />
          <button
            type="button"
            disabled={!newName.trim()}
            onClick={() => (setNewName(""), void store.addUser(newName))}
          >
            Add user
          </button>
        </div>
      </form>
      <h2>Channels</h2>
      <ul>
        {channels.map((c) =>
          entry(
            c.id,
            store.channelName(c),
            c,
            () => void store.selectChannel(c.id),
            c.type === "P" ? <LockIcon /> : "#",
          ),
        )}
      </ul>
      <h2>Direct messages</h2>
      <ul>
        {people.map((u) =>
          entry(
            u.id,
            u.username,
            directWith(u.id),
            () => void store.openDirect(u.id),
            <Avatar userId={u.id} size={18} />,
          ),
        )}
      </ul>
    </nav>
  );
}

/** A padlock drawn with shapes (an emoji would need an emoji font). */
function LockIcon() {
  return (
    <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
      <path
        d="M3.5 5V3.5a2.5 2.5 0 0 1 5 0V5"
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
      />
      <rect x="2" y="5" width="8" height="6" rx="1" fill="currentColor" />
    </svg>
  );
}

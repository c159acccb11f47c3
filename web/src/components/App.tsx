/**
 * The page: sidebar, channel, thread panel, event log, and the dialog over them. Below 900 px
 * the sidebar folds away behind the Channels button and an open thread takes the channel's place.
 */
import { useEffect, useState } from "preact/hooks";
import { useStore } from "../use-store";
import { ChannelView } from "./ChannelView";
import { DialogForm } from "./DialogForm";
import { Sidebar } from "./Sidebar";
import { ThreadPanel } from "./ThreadPanel";
import { TrafficPane } from "./TrafficPane";

export function App() {
  const store = useStore();
  const s = store.state;
  const [sidebarOpen, setSidebarOpen] = useState(false);
  // picking a channel (or a DM) is what the folded sidebar was opened for
  useEffect(() => setSidebarOpen(false), [s.currentChannelId]);
  useEffect(() => {
    if (!sidebarOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setSidebarOpen(false);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [sidebarOpen]);
  if (!s.me) return <main class="loading">{s.notice || "Connecting to the sandbox…"}</main>;
  return (
    <div
      class={`layout${s.threadRootId ? " with-thread" : ""}${sidebarOpen ? " sidebar-open" : ""}`}
    >
      <Sidebar />
      {sidebarOpen && <div class="backdrop" onClick={() => setSidebarOpen(false)} />}
      <ChannelView sidebarOpen={sidebarOpen} onToggleSidebar={() => setSidebarOpen(!sidebarOpen)} />
      {s.threadRootId && <ThreadPanel rootId={s.threadRootId} />}
      <TrafficPane />
      {s.dialog && <DialogForm key={s.dialog.opened.trigger_id} />}
    </div>
  );
}

/** The page: sidebar, channel, thread panel, event log, and the dialog over them. */
import { useState } from "preact/hooks";
import { useStore } from "../use-store";
import { ChannelView } from "./ChannelView";
import { DialogForm } from "./DialogForm";
import { Sidebar } from "./Sidebar";
import { ThreadPanel } from "./ThreadPanel";
import { TrafficPane } from "./TrafficPane";

export function App() {
  const store = useStore();
  const s = store.state;
  const [logOpen, setLogOpen] = useState(true);
  if (!s.me) return <main class="loading">{s.notice || "Connecting to the sandbox…"}</main>;
  return (
    <div class={`layout${s.threadRootId ? " with-thread" : ""}${logOpen ? " with-log" : ""}`}>
      <Sidebar />
      <ChannelView onToggleLog={() => setLogOpen(!logOpen)} logOpen={logOpen} />
      {s.threadRootId && <ThreadPanel rootId={s.threadRootId} />}
      {logOpen && <TrafficPane />}
      {s.dialog && <DialogForm key={s.dialog.opened.trigger_id} />}
    </div>
  );
}

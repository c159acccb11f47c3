/**
 * The event log: every API call a client made to the sandbox (the page, the bot, anyone) and
 * every request the sandbox sent to an integration, live. A row opens to show the bodies sent
 * to and answered by the integration. It folds down to its title bar (remembered by the
 * browser; folded at first on a narrow window), which still counts the entries.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { TrafficEntry } from "../types";
import { useStore } from "../use-store";

type Filter = "all" | "integrations" | "api";

const OPEN_KEY = "mmbot-sandbox-log-open";
const openAtFirst = () => {
  const saved = localStorage.getItem(OPEN_KEY);
  return saved === null ? window.innerWidth >= 900 : saved === "true";
};

export function TrafficPane() {
  const store = useStore();
  const [filter, setFilter] = useState<Filter>("all");
  const [openSeq, setOpenSeq] = useState<number | undefined>(undefined);
  const [open, setOpen] = useState(openAtFirst);
  const toggle = () => {
    localStorage.setItem(OPEN_KEY, String(!open));
    setOpen(!open);
  };
  const box = useRef<HTMLDivElement>(null);
  // recorded as they finish; shown in the order they started (a slash command's call inside its execute)
  const entries = store.state.traffic
    .filter((e) => filter === "all" || (filter === "api") === (e.kind === "api"))
    .sort((a, b) => a.at - b.at || a.seq - b.seq);
  useEffect(() => box.current?.scrollTo({ top: box.current.scrollHeight }), [entries.length, open]);
  return (
    <section class={`traffic${open ? " open" : ""}`} aria-label="Event log">
      <header>
        <h2>
          <button
            class="quiet fold"
            aria-expanded={open}
            aria-controls="traffic-rows"
            onClick={toggle}
          >
            <span class="chevron" aria-hidden="true" />
            Event log <span class="count">({entries.length})</span>
          </button>
        </h2>
        <label hidden={!open}>
          Show
          <select
            value={filter}
            onChange={(e) => setFilter((e.target as HTMLSelectElement).value as Filter)}
          >
            <option value="all">everything</option>
            <option value="integrations">requests to integrations</option>
            <option value="api">API calls to the sandbox</option>
          </select>
        </label>
      </header>
      <div class="traffic-rows" id="traffic-rows" ref={box} hidden={!open}>
        <table>
          <thead>
            <tr>
              <th>time</th>
              <th>kind</th>
              <th>method</th>
              <th>path</th>
              <th>status</th>
              <th>ms</th>
              <th>user</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <Row
                key={e.seq}
                entry={e}
                open={openSeq === e.seq}
                onToggle={() => setOpenSeq(openSeq === e.seq ? undefined : e.seq)}
              />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Row(props: { entry: TrafficEntry; open: boolean; onToggle: () => void }) {
  const e = props.entry;
  const time =
    new Date(e.at).toLocaleTimeString([], { hour12: false }) +
    `.${String(e.at % 1000).padStart(3, "0")}`;
  const failed = e.status === 0 || e.status >= 400;
  const detail = e.direction === "out";
  return (
    <>
      <tr
        class={`${e.direction}${failed ? " failed" : ""}`}
        onClick={detail ? props.onToggle : undefined}
      >
        <td>{time}</td>
        <td>
          <span class={`kind kind-${e.direction}`}>
            {e.direction === "out" ? `→ ${e.kind}` : "api"}
          </span>
        </td>
        <td>{e.method}</td>
        <td class="url">{e.url}</td>
        <td>{e.status || e.error || "—"}</td>
        <td>{e.durationMs}</td>
        <td>{e.user ?? ""}</td>
      </tr>
      {props.open && (
        <tr class="bodies">
          <td colSpan={7}>
            {e.error && <p>error: {e.error}</p>}
            <p>sent:</p>
            <pre>{e.requestBody ?? "(no body)"}</pre>
            <p>answered:</p>
            <pre>{e.responseBody ?? "(nothing)"}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

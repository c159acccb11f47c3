/**
 * What went over the wire: every API call a client made to the sandbox and every request the
 * sandbox sent to an integration, with method, path, status and time. The page's event log
 * shows it; it is what people otherwise debug with tcpdump. Kept in a ring of the last entries.
 */

export type TrafficKind = "api" | "slash" | "webhook" | "action" | "dialog";

export interface TrafficEntry {
  /** Increasing from 1, so that a reader can ask for what came after what it has. */
  seq: number;
  kind: TrafficKind;
  /** "in": a client called the sandbox; "out": the sandbox called an integration. */
  direction: "in" | "out";
  /** When the request started (ms since the epoch). */
  at: number;
  method: string;
  /** The path and query of an API call, the full URL of an integration call. */
  url: string;
  /** The HTTP status; 0 when the integration could not be reached. */
  status: number;
  durationMs: number;
  /** The caller's username, when the call was authenticated. */
  user?: string;
  /** Why an integration call failed (unreachable, timeout). */
  error?: string;
  /** The first bytes of what the sandbox sent to the integration and what it answered. */
  requestBody?: string;
  responseBody?: string;
}

export type TrafficInput = Omit<TrafficEntry, "seq">;

const KEEP = 1_000;
const BODY_PREVIEW = 4_096;

export class TrafficLog {
  private readonly entries: TrafficEntry[] = [];
  private readonly listeners = new Set<(entry: TrafficEntry) => void>();
  private seq = 0;

  record(input: TrafficInput): TrafficEntry {
    const entry: TrafficEntry = { seq: ++this.seq, ...input };
    if (entry.requestBody !== undefined) entry.requestBody = preview(entry.requestBody);
    if (entry.responseBody !== undefined) entry.responseBody = preview(entry.responseBody);
    this.entries.push(entry);
    if (this.entries.length > KEEP) this.entries.shift();
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  /** The kept entries after `seq` (all with 0), oldest first. */
  since(seq = 0): TrafficEntry[] {
    return this.entries.filter((e) => e.seq > seq);
  }

  /** Calls `listener` with each new entry; returns the unsubscribe. */
  subscribe(listener: (entry: TrafficEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function preview(text: string): string {
  return text.length > BODY_PREVIEW
    ? `${text.slice(0, BODY_PREVIEW)}… (${text.length} characters)`
    : text;
}

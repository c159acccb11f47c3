/**
 * Who is connected and what each connection has been sent. An event is serialised once; each
 * connection only appends its own `seq`. Connections authenticated on the upgrade request keep
 * their last 128 events after a drop, for a resume, like the server's dead queue.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { WebSocketEvent } from "../mattermost/types.js";
import type { Broadcaster, EventDraft, World } from "./world.js";
import { target } from "./world.js";

export const DEAD_QUEUE_SIZE = 128;
const MAX_DEAD_PER_USER = 8;

export class Connection {
  seq = 0;
  socket: WebSocket | null;
  lastPongAt = Date.now();
  /** A fault: the socket carries nothing (events are only kept for a resume). */
  silent = false;
  /**
   * Whether the token the connection was opened with is still accepted. Once it is revoked or
   * expired, the server sends the connection no event (not even numbered) but keeps it open and
   * pinged (server/channels/app/platform/web_conn.go: IsAuthenticated, checked before each event).
   */
  authorized: () => boolean = () => true;
  /** Frames by seq, for a resume: only kept when `resumable`. */
  private readonly sent: string[] = [];
  deadTimer: NodeJS.Timeout | undefined;
  private corked = false;

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly resumable: boolean,
    socket: WebSocket,
  ) {
    this.socket = socket;
  }

  /** Numbers and sends (or, while disconnected, only keeps) an event serialised up to its seq. */
  send(prefix: string): void {
    if (!this.authorized()) return;
    const frame = `${prefix}${this.seq++}}\n`;
    if (this.resumable) {
      this.sent.push(frame);
      if (this.sent.length > DEAD_QUEUE_SIZE) this.sent.shift();
    }
    if (this.socket?.readyState === 1 && !this.silent) {
      this.corkForThisTurn(this.socket);
      this.socket.send(frame);
    }
  }

  /**
   * Frames sent during one turn of the event loop leave in one write: one syscall per frame
   * was the sandbox's largest cost under load. Uses ws's underlying socket (`_socket`).
   */
  private corkForThisTurn(socket: WebSocket): void {
    if (this.corked) return;
    const raw = (socket as unknown as { _socket?: Socket })._socket;
    if (!raw) return;
    raw.cork();
    this.corked = true;
    setImmediate(() => {
      this.corked = false;
      raw.uncork();
    });
  }

  /** The frames from `sequence` on, or undefined when some of them are no longer kept. */
  framesFrom(sequence: number): string[] | undefined {
    const oldest = this.seq - this.sent.length;
    if (!Number.isInteger(sequence) || sequence < oldest || sequence > this.seq) return undefined;
    return this.sent.slice(sequence - oldest);
  }
}

/** `{"event":...,"data":...,"broadcast":...,"seq":` — the frame without its number. */
export function framePrefix(event: EventDraft): string {
  return `${JSON.stringify({ event: event.event, data: event.data, broadcast: event.broadcast }).slice(0, -1)},"seq":`;
}

interface EventWaiter {
  predicate: (event: WebSocketEvent) => boolean;
  resolve: (event: WebSocketEvent) => void;
}

export class Hub implements Broadcaster {
  private readonly byUser = new Map<string, Set<Connection>>();
  readonly byId = new Map<string, Connection>();
  private readonly waiters = new Set<EventWaiter>();
  /**
   * Who is online. Like the server, a status change is announced only when the status changes:
   * a user already online (from an API post) who connects gets no `status_change` (recorded in
   * human-connection-actions.json), one coming back after a drop gets `online` again.
   */
  private readonly online = new Set<string>();
  /** How long a dropped resumable connection keeps its events. */
  deadTtlMs = 5 * 60_000;

  constructor(private readonly world: World) {}

  broadcast(event: EventDraft): void {
    if (this.waiters.size > 0) this.notify(event);
    if (this.byId.size === 0) return;
    const prefix = framePrefix(event);
    const b = event.broadcast;
    const omit = b.omit_users;
    if (b.user_id) {
      this.sendTo(b.user_id, prefix);
    } else if (b.channel_id) {
      const members = this.world.channelMemberIds(b.channel_id);
      // walk the smaller side: connected users or channel members
      if (members.size > this.byUser.size) {
        for (const userId of this.byUser.keys())
          if (members.has(userId) && !omit?.[userId]) this.sendTo(userId, prefix);
      } else {
        for (const userId of members.keys()) if (!omit?.[userId]) this.sendTo(userId, prefix);
      }
    } else if (b.team_id) {
      for (const userId of this.world.teamMemberIds(b.team_id))
        if (!omit?.[userId]) this.sendTo(userId, prefix);
    } else {
      for (const userId of this.byUser.keys()) if (!omit?.[userId]) this.sendTo(userId, prefix);
    }
  }

  register(connection: Connection): void {
    this.byId.set(connection.id, connection);
    let set = this.byUser.get(connection.userId);
    if (!set) this.byUser.set(connection.userId, (set = new Set()));
    set.add(connection);
  }

  /** Sends one event to one connection (hello). */
  sendOnly(connection: Connection, event: EventDraft): void {
    connection.send(framePrefix(event));
  }

  /** The socket closed: forget the connection, or keep its events a while for a resume. */
  disconnected(connection: Connection): void {
    connection.socket = null;
    if (!connection.resumable) this.forget(connection);
    else {
      connection.deadTimer = setTimeout(() => this.forget(connection), this.deadTtlMs);
      connection.deadTimer.unref();
      const dead = [...(this.byUser.get(connection.userId) ?? [])].filter((c) => c.socket === null);
      for (const old of dead.slice(0, Math.max(0, dead.length - MAX_DEAD_PER_USER)))
        this.forget(old);
    }
    if (!this.connected(connection.userId) && this.online.delete(connection.userId))
      this.announceStatus(connection.userId, "offline");
  }

  /** The user is active (connected, or posting through the API). */
  setOnline(userId: string): void {
    if (this.online.has(userId)) return;
    this.online.add(userId);
    this.announceStatus(userId, "online");
  }

  forget(connection: Connection): void {
    clearTimeout(connection.deadTimer);
    this.byId.delete(connection.id);
    const set = this.byUser.get(connection.userId);
    set?.delete(connection);
    if (set?.size === 0) this.byUser.delete(connection.userId);
  }

  isOnline(userId: string): boolean {
    return this.online.has(userId);
  }

  onlineUserIds(): string[] {
    return [...this.online];
  }

  /** Has a live socket. */
  private connected(userId: string): boolean {
    for (const c of this.byUser.get(userId) ?? []) if (c.socket) return true;
    return false;
  }

  private announceStatus(userId: string, status: "online" | "offline"): void {
    this.broadcast({
      event: "status_change",
      data: { status, user_id: userId },
      broadcast: target({ user_id: userId }),
    });
  }

  /** Live sockets, all or one user's. */
  sockets(userId?: string): Connection[] {
    const sets =
      userId === undefined
        ? [...this.byUser.values()]
        : [this.byUser.get(userId) ?? new Set<Connection>()];
    return sets.flatMap((set) => [...set]).filter((c) => c.socket !== null);
  }

  /** The next broadcast event matching `predicate`. */
  waitForEvent(
    predicate: (event: WebSocketEvent) => boolean,
    timeoutMs: number,
  ): Promise<WebSocketEvent> {
    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`waitForEvent: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref?.();
      this.waiters.add(waiter);
    });
  }

  close(): void {
    for (const connection of [...this.byId.values()]) {
      connection.socket?.terminate();
      this.forget(connection);
    }
  }

  private sendTo(userId: string, prefix: string): void {
    const set = this.byUser.get(userId);
    if (set) for (const connection of set) connection.send(prefix);
  }

  /** Calls `listener` with every event broadcast from now on, until the returned function is called. */
  subscribe(listener: (event: WebSocketEvent) => void): () => void {
    const waiter: EventWaiter = {
      predicate: (event) => (listener(event), false),
      resolve: () => {},
    };
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  private notify(draft: EventDraft): void {
    const event: WebSocketEvent = {
      event: draft.event,
      data: draft.data,
      broadcast: draft.broadcast,
      seq: 0,
    };
    for (const waiter of this.waiters) {
      if (waiter.predicate(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }
}

// A TCP proxy that breaks the network between a bot and its server the way real networks do:
// real sockets, real connects, no help from either end. Tests and benches put it between an
// `mmbot start` child process (or a Bot) and the sandbox; the sandbox's own fault API is for what
// happens inside a server, this is for what happens between.
//
//   const proxy = await FaultProxy.start("http://127.0.0.1:8065");
//   proxy.url                       // give this to the bot as its server
//   proxy.cut(8_000)                // every connection closed, new ones refused, for 8 s
//   proxy.silence()                 // every open connection drops all bytes both ways; new ones work
//   proxy.refuseUpgrades(403)       // WebSocket upgrades answered 403; plain HTTP passes
//   proxy.halfOpen()                // the server's side closed, the bot's side left open and mute
//   proxy.drip({ bytesPerSecond: 200 }) // every connection slowed to a drip
//   proxy.heal()                    // back to a clean path (open silenced connections stay dead)
import net from "node:net";

const HEAD_END = Buffer.from("\r\n\r\n");
const STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  405: "Method Not Allowed",
  426: "Upgrade Required",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export class FaultProxy {
  /** @param {string} target `http://host:port` (or `host:port`), or a function giving it at each new connection */
  static async start(target, options = {}) {
    const proxy = new FaultProxy(target, options);
    await new Promise((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(options.port ?? 0, "127.0.0.1", () => resolve(undefined));
    });
    return proxy;
  }

  constructor(target, options = {}) {
    this.target = typeof target === "function" ? target : () => target;
    this.log = options.log ?? (() => undefined);
    /** @type {Set<Link>} */
    this.links = new Set();
    this.refusedUntil = 0;
    this.upgradeStatus = undefined;
    this.silenceNew = false;
    this.dripRate = undefined;
    this.cutTimer = undefined;
    this.counts = { connections: 0, refused: 0, upgradesRefused: 0, silenced: 0 };
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** The address to give the bot (`http://127.0.0.1:<port>`). */
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get port() {
    return this.server.address().port;
  }

  /** Open connections (client sockets still open). */
  get open() {
    return [...this.links].filter((l) => !l.client.destroyed).length;
  }

  /** Closes every open connection (an RST to both ends) and refuses new ones for `ms` (default until `heal()`). */
  cut(ms) {
    this.refusedUntil = ms === undefined ? Infinity : Date.now() + ms;
    clearTimeout(this.cutTimer);
    if (ms !== undefined) this.cutTimer = setTimeout(() => (this.refusedUntil = 0), ms);
    for (const link of this.links) link.reset();
    this.log(`fault-proxy: cut${ms === undefined ? "" : ` for ${ms} ms`}`);
  }

  /**
   * Every open connection stops carrying bytes, both ways, and stays open: nobody is told (a
   * NAT that forgot its state, a dead path). New connections work unless `newConnections` is true.
   */
  silence({ newConnections = false } = {}) {
    for (const link of this.links) link.silenced = true;
    this.silenceNew = newConnections;
    this.counts.silenced += this.links.size;
    this.log(
      `fault-proxy: silenced ${this.links.size} connections${newConnections ? " and every new one" : ""}`,
    );
  }

  /** WebSocket upgrades are answered with `status` (as a proxy that won't pass them); plain HTTP passes. `null` lets them through again. */
  refuseUpgrades(status = 403) {
    this.upgradeStatus = status ?? undefined;
  }

  /** The server's side of every open connection closes; the bot's side stays open, hears nothing and its bytes go nowhere. */
  halfOpen() {
    for (const link of this.links) link.halfOpen();
    this.log("fault-proxy: half-open");
  }

  /** Every connection (open and new) forwards at most `bytesPerSecond`, in small chunks, each way; `drip(false)` ends it. */
  drip(options = {}) {
    const bytesPerSecond = options === false ? undefined : (options.bytesPerSecond ?? 100);
    this.dripRate = bytesPerSecond;
    for (const link of this.links) link.dripRate = bytesPerSecond;
  }

  /** A clean path again for new connections (and no more drip); connections already silenced stay silent. */
  heal() {
    clearTimeout(this.cutTimer);
    this.refusedUntil = 0;
    this.upgradeStatus = undefined;
    this.silenceNew = false;
    this.dripRate = undefined;
    for (const link of this.links) link.dripRate = undefined;
  }

  async close() {
    this.heal();
    for (const link of this.links) link.reset();
    await new Promise((resolve) => this.server.close(() => resolve(undefined)));
  }

  accept(client) {
    this.counts.connections++;
    if (Date.now() < this.refusedUntil) {
      this.counts.refused++;
      client.on("error", () => undefined);
      client.resetAndDestroy();
      return;
    }
    const link = new Link(this, client);
    this.links.add(link);
    link.onEnd = () => this.links.delete(link);
  }
}

/** One client connection and its upstream. */
class Link {
  constructor(proxy, client) {
    this.proxy = proxy;
    this.client = client;
    this.silenced = proxy.silenceNew;
    this.dripRate = proxy.dripRate;
    this.checkUpgrade = proxy.upgradeStatus !== undefined;
    this.head = Buffer.alloc(0);
    this.ended = false;
    this.onEnd = () => undefined;
    const { host, port } = parseTarget(proxy.target());
    this.upstream = net.connect({ host, port });
    this.upstream.setNoDelay(true);
    client.setNoDelay(true);
    for (const socket of [client, this.upstream]) {
      socket.on("error", () => this.reset());
      socket.on("close", () => this.closed(socket));
    }
    client.on("data", (chunk) => this.fromClient(chunk));
    this.upstream.on("data", (chunk) => this.forward(chunk, this.client));
    client.on("end", () => !this.silenced && this.upstream.end());
    this.upstream.on("end", () => !this.silenced && this.client.end());
  }

  fromClient(chunk) {
    if (this.silenced) return;
    if (!this.checkUpgrade) return this.forward(chunk, this.upstream);
    // the first request's head decides: an upgrade is refused, anything else passes from now on
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf(HEAD_END);
    if (end < 0 && this.head.length < 16_384) return;
    this.checkUpgrade = false;
    const head = this.head.subarray(0, end < 0 ? this.head.length : end).toString("latin1");
    const buffered = this.head;
    this.head = Buffer.alloc(0);
    if (/^upgrade:\s*websocket/im.test(head) && this.proxy.upgradeStatus !== undefined) {
      const status = this.proxy.upgradeStatus;
      this.proxy.counts.upgradesRefused++;
      const body = `upgrade refused by the fault proxy (${status})`;
      this.client.end(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Refused"}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      this.upstream.destroy();
      return;
    }
    this.forward(buffered, this.upstream);
  }

  forward(chunk, to) {
    if (this.silenced || to.destroyed) return;
    const queue = (this.queues ??= new Map()).get(to);
    if (this.dripRate === undefined && !queue) {
      to.write(chunk);
      return;
    }
    // a drip: 10 slices a second, each a tenth of the rate; what a drip queued goes first, in order
    const slice =
      this.dripRate === undefined ? chunk.length : Math.max(1, Math.floor(this.dripRate / 10));
    const state = queue ?? { tail: Promise.resolve(), waiting: 0 };
    this.queues.set(to, state);
    for (let offset = 0; offset < chunk.length; offset += slice) {
      const part = chunk.subarray(offset, offset + slice);
      const delay = this.dripRate === undefined ? 0 : 100;
      state.waiting++;
      state.tail = state.tail.then(
        () =>
          new Promise((resolve) =>
            setTimeout(() => {
              if (!this.silenced && !to.destroyed) to.write(part);
              if (--state.waiting === 0 && this.queues.get(to) === state) this.queues.delete(to);
              resolve(undefined);
            }, delay),
          ),
      );
    }
  }

  halfOpen() {
    this.silenced = true;
    this.upstream.destroy();
  }

  reset() {
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (!this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  closed(socket) {
    // the server's side closing a silenced (or half-open) link is not passed on: nobody is told
    if (socket === this.client) this.upstream.destroy();
    else if (!this.silenced) this.client.destroy();
    if (this.client.destroyed && !this.ended) {
      this.ended = true;
      this.onEnd();
    }
  }
}

function parseTarget(target) {
  const url = new URL(/^[a-z]+:\/\//i.test(target) ? target : `tcp://${target}`);
  return { host: url.hostname, port: Number(url.port) };
}

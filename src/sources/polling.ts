/**
 * REST polling as a source, for where no WebSocket can be had. Each round lists the bot's
 * channels once per team (the listing carries `last_post_at`, direct and group messages
 * included) and reads posts `since` only in the channels where it moved: one request per team
 * when nothing happens. The position is kept in the store (shared with the WebSocket's catch-up),
 * so a restart, or a switch of transport, misses nothing; the claims make a post handled once.
 */
import { messageEnvelope } from "../bot/envelope.js";
import type { Source, SourceHost } from "../bot/source.js";
import { TransportError } from "../errors.js";
import type { Channel, Team } from "../mattermost/types.js";
import { postsCreatedSince, senderLookup, SourceCursor, storeCursor } from "./catch-up.js";

export interface PollingSourceOptions {
  /** Time between the starts of two rounds (default 2000 ms). */
  intervalMs?: number;
  /** A read starts this long before what was seen, for posts committed out of order (default 2000 ms). */
  overlapMs?: number;
  /** How often the bot's teams are listed again, to find teams joined later (default 60 s). */
  teamsRefreshMs?: number;
}

/** What one round did: for logs, tests and the benchmark. */
export interface PollingRound {
  /** REST requests made (listings and post reads; user look-ups for new senders not counted). */
  requests: number;
  /** Channels whose posts were read. */
  read: number;
  /** Posts handed to the bot. */
  handed: number;
  ok: boolean;
}

/**
 * @example await bot.start(new PollingSource({ intervalMs: 2000 }));
 */
export class PollingSource implements Source {
  readonly name = "polling";
  private readonly intervalMs: number;
  private readonly overlapMs: number;
  private readonly teamsRefreshMs: number;
  private host: SourceHost | undefined;
  /** Where the rounds start, kept below the posts handed over and not yet taken. */
  private cursor: SourceCursor | undefined;
  private running = false;
  /** Set by handOver(): no round is scheduled any more. */
  private handingOver = false;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<PollingRound> | undefined;
  private teams: { list: Team[]; at: number } | undefined;
  /** Per channel: every post created up to this time was handed over. */
  private readonly marks = new Map<string, number>();
  /** Channels read in the last round with something new: read once more, for late commits. */
  private recheck = new Set<string>();
  private lastRound: PollingRound | undefined;

  constructor(options: PollingSourceOptions = {}) {
    this.intervalMs = options.intervalMs ?? 2_000;
    this.overlapMs = options.overlapMs ?? 2_000;
    this.teamsRefreshMs = options.teamsRefreshMs ?? 60_000;
  }

  /** Resolves after the first round that reached the server; retries every interval until then. */
  async start(host: SourceHost): Promise<void> {
    this.host = host;
    this.running = true;
    this.cursor = new SourceCursor(storeCursor(host.store), host.logger, "polling");
    // with none saved (a first start), what was posted since the bot started, nothing older
    await this.cursor.load(host.startedAt);
    for (;;) {
      const started = Date.now();
      const round = this.running ? await this.runRound() : undefined;
      if (!round)
        throw new TransportError("the polling source was stopped before it reached the server");
      if (round.ok) break;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, this.intervalMs - (Date.now() - started))),
      );
    }
    host.logger.info({ intervalMs: this.intervalMs }, `polling: every ${this.intervalMs} ms`);
    this.schedule(this.intervalMs);
  }

  /**
   * One last round, then stop: for a source that is live already (the WebSocket, connected) to
   * take over with nothing posted before it connected left unread.
   */
  async handOver(): Promise<void> {
    this.handingOver = true;
    clearTimeout(this.timer);
    await this.round;
    if (this.running) await this.runRound();
    await this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
    await this.cursor?.save();
  }

  /** What the last round did. */
  /** Ready while running and the last round reached the server. */
  readiness(): { ok: boolean; reason?: string } {
    if (!this.running) return { ok: false, reason: "not started" };
    if (this.lastRound && !this.lastRound.ok) return { ok: false, reason: "the last round failed" };
    return { ok: true };
  }

  get last(): PollingRound | undefined {
    return this.lastRound;
  }

  /** The interval is between the starts of rounds: a slow round is followed at once, never overlapped. */
  private schedule(delayMs: number): void {
    if (!this.running || this.handingOver) return;
    this.timer = setTimeout(() => {
      if (this.handingOver) return;
      const started = Date.now();
      void this.runRound().then(() =>
        this.schedule(Math.max(0, this.intervalMs - (Date.now() - started))),
      );
    }, delayMs);
  }

  private runRound(): Promise<PollingRound> {
    const logger = this.host!.logger;
    const round = this.poll().catch((error: unknown): PollingRound => {
      // once per outage, not once per round
      if (this.lastRound?.ok !== false)
        logger.warn(
          { err: error },
          "polling: cannot list the bot's channels; trying again every round",
        );
      return { requests: 0, read: 0, handed: 0, ok: false };
    });
    this.round = round;
    return round.then((r) => {
      if (r.ok && this.lastRound?.ok === false) logger.info("polling: the server answers again");
      return (this.lastRound = r);
    });
  }

  private async poll(): Promise<PollingRound> {
    const host = this.host!;
    const cursor = this.cursor!;
    const stats: PollingRound = { requests: 0, read: 0, handed: 0, ok: true };
    const roundCursor = cursor.value!;
    const channels = await this.listChannels(stats);
    const recheck = this.recheck;
    this.recheck = new Set();
    let newest = roundCursor;
    for (const channel of channels) {
      if (!this.running) return stats;
      const mark = this.marks.get(channel.id) ?? roundCursor;
      this.marks.set(channel.id, mark);
      if (channel.last_post_at <= mark && !recheck.has(channel.id)) {
        newest = Math.max(newest, channel.last_post_at);
        continue;
      }
      stats.read++;
      stats.requests++;
      try {
        const handed = await this.readChannel(
          channel,
          Math.max(cursor.floor, mark - this.overlapMs),
        );
        stats.handed += handed;
        if (handed > 0) this.recheck.add(channel.id);
        this.marks.set(channel.id, Math.max(mark, channel.last_post_at));
        newest = Math.max(newest, channel.last_post_at);
      } catch (error) {
        stats.ok = false;
        this.recheck.add(channel.id);
        host.logger.warn(
          { err: error, channelId: channel.id },
          `polling: cannot read the posts of channel ${channel.id}; trying again next round`,
        );
      }
    }
    // the cursor moves only when every changed channel was read: a restart re-reads the rest
    if (stats.ok && newest > cursor.value!) cursor.value = newest;
    if (stats.ok) await cursor.save();
    return stats;
  }

  /** The bot's channels in every team, direct and group messages (listed with each team) once. */
  private async listChannels(stats: PollingRound): Promise<Channel[]> {
    const client = this.host!.client;
    if (!this.teams || Date.now() - this.teams.at >= this.teamsRefreshMs) {
      stats.requests++;
      this.teams = { list: await client.getMyTeams(), at: Date.now() };
    }
    const byId = new Map<string, Channel>();
    for (const team of this.teams.list) {
      stats.requests++;
      for (const channel of await client.getMyChannels(team.id)) byId.set(channel.id, channel);
    }
    return [...byId.values()];
  }

  /** Hands the channel's posts since `sinceMs` to the bot, oldest first; returns how many were new. */
  private async readChannel(channel: Channel, sinceMs: number): Promise<number> {
    const host = this.host!;
    let handed = 0;
    const senderOf = senderLookup(host.client);
    for (const post of await postsCreatedSince(host.client, channel.id, sinceMs)) {
      if (host.hasSeen(post.id) || post.user_id === host.me.id) continue;
      const sender = await senderOf(post.user_id);
      const envelope = messageEnvelope(post, { source: "polling", channel, sender, me: host.me });
      handed++;
      // the pipeline logs its own failures; a rejection here would be a bug in it
      const handling = host
        .handle(envelope)
        .catch((error: unknown) =>
          host.logger.error({ err: error, postId: post.id }, "polling: the post was lost"),
        );
      this.cursor!.track(post, handling);
    }
    return handed;
  }
}

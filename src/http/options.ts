/** The bot's `http` option: receiving Mattermost's HTTP integrations. */
export interface HttpOptions {
  /**
   * `host:port` to listen on, e.g. `"127.0.0.1:3000"`; port 0 picks a free port (tests). Without
   * it the bot does not listen: mount `bot.httpHandler` in your server (and give `publicUrl`).
   */
  listen?: string;
  /**
   * Where Mattermost reaches the bot, path included when mounted or behind a proxy
   * (`https://example.com/mattermost`); default `http://<listen>`. Required without `listen`.
   */
  publicUrl?: string;
  /** Tokens Mattermost shows when the integration is created; several allowed (rotation, several hooks). */
  tokens?: { outgoingWebhook?: string[]; slash?: string[] };
  /** Signs buttons, menus and dialogs: a long random string, kept secret. Default: one made on first start and kept in the store. */
  actionSecret?: string;
  /** A handler slower than this is acknowledged at once and answers later (default 2500 ms). */
  answerWithinMs?: number;
  /** How long a button stays clickable (default 30 days). */
  actionTtlMs?: number;
  /** Largest accepted request body (default 64 KiB). */
  bodyLimitBytes?: number;
  /**
   * The outgoing webhooks' trigger words. A post starting with one is handled alike whether it
   * arrives over WebSocket or the webhook (trigger word removed, counted as addressed to the bot).
   */
  triggerWords?: string[];
}

export const DEFAULT_ANSWER_WITHIN_MS = 2_500;
export const DEFAULT_ACTION_TTL_MS = 30 * 24 * 3600_000;
/** A dialog may stay open a while; its signed URL outlives it comfortably. */
export const DIALOG_TTL_MS = 24 * 3600_000;

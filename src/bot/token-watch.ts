/**
 * Whether the server still accepts the bot's token. Mattermost 11.9+ can expire personal access
 * tokens and v12 bot tokens; an expired or revoked token gets 401 on every REST call
 * (server/channels/app/session.go, createSessionForUserAccessToken: `app.user_access_token.expired`,
 * answered by the API as `api.context.session_expired.app_error`, the same as a revoked one),
 * while a WebSocket opened before stays open and answers pings but carries no event any more
 * (server/channels/app/platform/web_conn.go, IsAuthenticated). Nothing on the socket tells, so a
 * 401 on any REST call, or on a check every `intervalMs`, is said once with the fix, and the bot
 * is not ready until the token is accepted again.
 */
import type { Logger } from "../log.js";
import type { MattermostClient, RestObserver } from "../mattermost/rest.js";

export interface TokenWatchOptions {
  logger: Logger;
  /** How often the token is checked (`GET /users/me`, uncached) while nothing else calls REST. */
  intervalMs: number;
  /** The fix, as the owner words it (the service names its configuration key). */
  fix: string;
}

/** Said to a user who sees the library's own wording. */
export const DEFAULT_TOKEN_FIX =
  "give the bot a valid access token (one revoked or past its expiry on the server stops working)";

/** Answered whatever the token: their success says nothing about it. */
const PUBLIC_PATHS = ["/api/v4/system/ping", "/api/v4/config/client"];

export class TokenWatch {
  private refusedBy: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Before start(), a refusal is the starting bot's to report (it fails). */
  private watching = false;

  constructor(private readonly options: TokenWatchOptions) {}

  /** Told every REST answer: a 401 is the token refused; a success of a call that needs a session shows it accepted. */
  readonly rest: RestObserver = {
    response: (method, status, path) => {
      if (!this.watching) return;
      if (status === 401) this.refused(`HTTP 401 on ${method} ${path}`);
      else if (status >= 200 && status < 300 && !PUBLIC_PATHS.some((p) => path.startsWith(p)))
        this.accepted();
    },
  };

  /** Checks the token every `intervalMs` until stop(). */
  start(client: MattermostClient): void {
    clearInterval(this.timer);
    this.watching = true;
    // the answer reaches the watch through `rest`; a failure to get one says nothing about the token
    this.timer = setInterval(
      () => void client.getMe({ fresh: true }).catch(() => undefined),
      this.options.intervalMs,
    );
    this.timer.unref();
  }

  stop(): void {
    this.watching = false;
    this.refusedBy = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Why the bot is not ready, while the token is refused. */
  readiness(): { ok: boolean; reason?: string } {
    return this.refusedBy === undefined
      ? { ok: true }
      : { ok: false, reason: `the token was refused (expired or revoked?): ${this.options.fix}` };
  }

  private refused(what: string): void {
    if (this.refusedBy !== undefined) return;
    this.refusedBy = what;
    const every = Math.round(this.options.intervalMs / 1000);
    this.options.logger.error(
      { refused: what },
      `the token was refused (expired or revoked?): ${what}. Fix: ${this.options.fix}. Checking it again every ${every} s`,
    );
  }

  private accepted(): void {
    if (this.refusedBy === undefined) return;
    this.refusedBy = undefined;
    this.options.logger.info("the server accepts the token again");
  }
}

/**
 * What the bot knows of its server, from one `GET /config/client?format=old` (kept for the
 * client's life): its version, the longest message it takes, and which of the features that
 * differ between Mattermost 5.37, 10.11, 11.x and 12.0 work there. docs/compatibility.md lists
 * each fact with the server source it was read from (or the changelog, where it was not).
 */

/** `MaxPostSize` when the server does not say: `model.PostMessageMaxRunesV2` (65535 bytes / 4). */
export const DEFAULT_MAX_POST_SIZE = 16_383;

export interface ServerInfo {
  /** `Version` of the client config (`model.CurrentVersion`), e.g. "12.0.0"; "" when unknown. */
  readonly version: string;
  /** Major and minor of `version` (0.0 when unknown). */
  readonly major: number;
  readonly minor: number;
  /** `BuildNumber` of the client config ("" when unknown). */
  readonly buildNumber: string;
  /** The longest message taken, in characters (`MaxPostSize`; `DEFAULT_MAX_POST_SIZE` when unknown). */
  readonly maxPostSize: number;
  /** `ServiceSettings.EnablePostUsernameOverride` ("true" in the client config). */
  readonly usernameOverride: boolean;
  /** `ServiceSettings.EnablePostIconOverride`. */
  readonly iconOverride: boolean;
  /** False when the client config could not be read: the other fields are defaults. */
  readonly known: boolean;
}

/** What a server that did not answer is taken for: a 5.x limit, every feature assumed. */
export const UNKNOWN_SERVER: ServerInfo = {
  version: "",
  major: 0,
  minor: 0,
  buildNumber: "",
  maxPostSize: DEFAULT_MAX_POST_SIZE,
  usernameOverride: true,
  iconOverride: true,
  known: false,
};

/** Reads the client config (`format=old`: every value a string) into a `ServerInfo`. */
export function serverInfoFrom(config: Record<string, string>): ServerInfo {
  const version = typeof config.Version === "string" ? config.Version : "";
  const [major = 0, minor = 0] = /^(\d+)\.(\d+)/
    .exec(version)
    ?.slice(1)
    .map((n) => Number(n)) ?? [0, 0];
  const size = Number(config.MaxPostSize);
  return {
    version,
    major,
    minor,
    buildNumber: typeof config.BuildNumber === "string" ? config.BuildNumber : "",
    maxPostSize: Number.isInteger(size) && size > 0 ? size : DEFAULT_MAX_POST_SIZE,
    // a limited config (no session) lacks them: assume on, as the server's defaults for integrations
    usernameOverride: config.EnablePostUsernameOverride !== "false",
    iconOverride: config.EnablePostIconOverride !== "false",
    known: version !== "",
  };
}

/** Whether the server is at least `major.minor`; an unknown server is not. */
export function atLeast(info: ServerInfo, major: number, minor = 0): boolean {
  return info.major > major || (info.major === major && info.minor >= minor);
}

/** "12.0.0", or "an unknown version" when the server did not say. */
export function versionLabel(info: ServerInfo): string {
  return info.known ? info.version : "an unknown version";
}

/** The post props that stand for another name or picture than the poster's. */
export const OVERRIDE_PROPS = ["override_username", "override_icon_url", "override_icon_emoji"];

/**
 * Why an override prop would be lost on this server for this token, or undefined when it is
 * kept. Two reasons:
 * - the server's setting is off (`EnablePostUsernameOverride` / `EnablePostIconOverride`): the
 *   server applies webhooks' and commands' overrides only when it is on (server/channels/app/webhook.go
 *   `CreateWebhookPost`, server/channels/app/command.go `HandleCommandResponsePost`), and the web
 *   app shows none without it (web app: not confirmed in source);
 * - 12.0 no longer honours them on posts of user and personal-access-token sessions
 *   (from the v12 changelog, not confirmed in source); a bot's token is kept, its session being
 *   an integration's (server/public/model/session.go `IsIntegration`: `IsBotUser()`).
 */
export function overrideLoss(
  info: ServerInfo,
  prop: string,
  token: { isBot: boolean },
): string | undefined {
  const setting =
    prop === "override_username" ? "EnablePostUsernameOverride" : "EnablePostIconOverride";
  const enabled = prop === "override_username" ? info.usernameOverride : info.iconOverride;
  if (!enabled) return `the server's ${setting} is off`;
  if (!token.isBot && atLeast(info, 12))
    return `Mattermost ${info.version} ignores it on posts made with a personal access token (use a bot account's token)`;
  return undefined;
}

/** Whether a feature works on this server, and how: a line of `mmbot doctor`. */
export interface FeatureSupport {
  /** Stable, for scripts: `long-answers`, `websocket-resume`, `override_username`, … */
  key: string;
  works: boolean;
  /** What it does here, or why it does not work. */
  note: string;
}

/** The versions mmbot is tested against (the sandbox's profiles): 5.37, 10.11, 11.x, 12.0. */
export function isTestedVersion(info: ServerInfo): boolean {
  return (
    (info.major === 5 && info.minor === 37) ||
    (info.major === 10 && info.minor === 11) ||
    info.major === 11 ||
    (info.major === 12 && info.minor === 0)
  );
}

/**
 * The features that differ between versions, for this server and token: what `mmbot doctor`
 * prints. Each follows a fact of docs/compatibility.md.
 */
export function featureSupport(info: ServerInfo, token: { isBot: boolean }): FeatureSupport[] {
  const out: FeatureSupport[] = [
    {
      key: "long-answers",
      works: true,
      note: `split and streamed at ${info.maxPostSize} characters a post (MaxPostSize)`,
    },
  ];
  // mmbot copes either way: what a new connection missed is read over REST (catch-up)
  out.push({
    key: "websocket-resume",
    works: true,
    note: atLeast(info, 6, 3)
      ? "events missed in a short drop are replayed (connection_id + sequence_number)"
      : "only with ServiceSettings.EnableReliableWebSockets on (off by default on 5.x); otherwise what a drop missed is read over REST",
  });
  for (const prop of ["override_username", "override_icon_url"]) {
    const loss = overrideLoss(info, prop, token);
    out.push({ key: prop, works: loss === undefined, note: loss ?? "kept on the bot's posts" });
  }
  out.push({
    key: "token-expiry",
    works: true,
    note: atLeast(info, 11, 9)
      ? "tokens can expire (11.9+): the token's expiry is shown above when the server gives it"
      : "tokens do not expire on this version",
  });
  return out;
}

/**
 * The Mattermost versions the sandbox plays (`Sandbox.start({ version })`): what differs between
 * them for a bot. The 5.37 recordings (test/fixtures/mattermost) stay the truth for "5.37"; for the
 * others each fact names the server source it was read from (the monorepo mattermost/mattermost),
 * or says "changelog" where it was not confirmed in source. docs/compatibility.md has the table.
 */

export const SANDBOX_VERSIONS = ["5.37", "10.11", "11.10", "12.0"] as const;
export type SandboxVersion = (typeof SANDBOX_VERSIONS)[number];

/** The newest: what people install today. */
export const DEFAULT_SANDBOX_VERSION: SandboxVersion = "12.0";

export interface VersionProfile {
  readonly name: SandboxVersion;
  /** `model.CurrentVersion` (server/public/model/version.go): the client config's `Version`, `ping`'s reply. */
  readonly currentVersion: string;
  /** `model.BuildNumber`: the client config's `BuildNumber`. */
  readonly buildNumber: string;
  /**
   * `X-Version-Id` and `hello`'s `server_version`: CurrentVersion.BuildNumber.ClientConfigHash.licensed
   * (server/channels/web/handlers.go `ServeHTTP`); "5.37.0.sandbox" as the sandbox always said for 5.37.
   */
  readonly versionId: string;
  /**
   * Reliable WebSockets cannot be turned off: `ServiceSettings.EnableReliableWebSockets` is gone
   * from server/public/model/config.go, resumes always on since 6.3 (changelog for the version).
   */
  readonly alwaysReliable: boolean;
  /** Personal access tokens take `expires_at` (model.UserAccessToken.IsExpired; 11.9 by the changelog). */
  readonly tokenExpiry: boolean;
  /** Bot accounts' tokens may expire too (12.0: changelog, not confirmed in source). */
  readonly botTokenExpiry: boolean;
  /**
   * Props reserved for integrations (model.ContainsIntegrationsReservedProps) are dropped from
   * posts made with a user's personal access token or login session, a bot's kept
   * (12.0: changelog, not confirmed in source).
   */
  readonly stripsReservedPropsOfUsers: boolean;
  /**
   * `ServiceSettings.EnableHardenedMode` exists: with it on, a session that is not an integration's
   * (model.Session.IsIntegration: bot, personal access token, OAuth) posting a reserved prop gets
   * 400 (server/channels/app/post.go `postHardenedModeCheck`). Not in 5.37.
   */
  readonly hardenedMode: boolean;
}

const profile = (
  name: SandboxVersion,
  currentVersion: string,
  more: Omit<VersionProfile, "name" | "currentVersion" | "buildNumber" | "versionId">,
): VersionProfile => ({
  name,
  currentVersion,
  buildNumber: "sandbox",
  versionId: name === "5.37" ? "5.37.0.sandbox" : `${currentVersion}.sandbox.sandbox.false`,
  ...more,
});

export const VERSION_PROFILES: Record<SandboxVersion, VersionProfile> = {
  "5.37": profile("5.37", "5.37.0", {
    alwaysReliable: false,
    tokenExpiry: false,
    botTokenExpiry: false,
    stripsReservedPropsOfUsers: false,
    hardenedMode: false,
  }),
  "10.11": profile("10.11", "10.11.0", {
    alwaysReliable: true,
    tokenExpiry: false,
    botTokenExpiry: false,
    stripsReservedPropsOfUsers: false,
    hardenedMode: true,
  }),
  "11.10": profile("11.10", "11.10.0", {
    alwaysReliable: true,
    tokenExpiry: true,
    botTokenExpiry: false,
    stripsReservedPropsOfUsers: false,
    hardenedMode: true,
  }),
  "12.0": profile("12.0", "12.0.0", {
    alwaysReliable: true,
    tokenExpiry: true,
    botTokenExpiry: true,
    stripsReservedPropsOfUsers: true,
    hardenedMode: true,
  }),
};

/** The profile of a version, or a TypeError listing the versions the sandbox plays. */
export function versionProfile(version: string | undefined): VersionProfile {
  const name = version ?? DEFAULT_SANDBOX_VERSION;
  const found = (VERSION_PROFILES as Record<string, VersionProfile>)[name];
  if (!found)
    throw new TypeError(
      `the sandbox plays Mattermost ${SANDBOX_VERSIONS.join(", ")}, not "${name}"`,
    );
  return found;
}

/** What `model.ContainsIntegrationsReservedProps` (server/public/model/post.go) looks for. */
export const RESERVED_PROPS = [
  "from_webhook",
  "override_username",
  "webhook_display_name",
  "override_icon_url",
  "override_icon_emoji",
];

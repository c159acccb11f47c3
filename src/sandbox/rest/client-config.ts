/**
 * `GET /config/client?format=old` and `GET /license/client?format=old`, as the 5.37 server
 * answers them: maps of strings. A session gets the full client config (190 keys, with
 * `MaxPostSize`); no session, or a token the server does not know, gets the limited one (87
 * keys), as the route does not require a session. Without `format` the server answers 501 (the
 * new format was never built), with another format 400. The values are a 5.37.0 server's
 * (test/fixtures/mattermost/rest/config-client-old*.json) except what the sandbox decides itself:
 * its URL, its MaxPostSize, the integration switches, whether it has accounts.
 */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import { route, type Call } from "../http.js";
import type { IntegrationSettings } from "../integrations/context.js";
import type { Services } from "../services.js";
import { SERVER_VERSION } from "../wire.js";

/** What the client configuration says of the sandbox's integrations. */
export interface ClientConfigSource {
  readonly settings: IntegrationSettings;
}

/** The recorded server's values of everything the sandbox does not decide. */
const RECORDED: Readonly<Record<string, string>> = {
  AboutLink: "https://about.mattermost.com/default-about/",
  AllowBannerDismissal: "false",
  AllowCustomThemes: "true",
  AllowedThemes: "",
  AndroidAppDownloadLink: "https://about.mattermost.com/mattermost-android-app/",
  AndroidLatestVersion: "",
  AndroidMinVersion: "",
  AppDownloadLink: "https://mattermost.com/download/#mattermostApps",
  AvailableLocales: "",
  BannerColor: "",
  BannerText: "",
  BannerTextColor: "",
  CWSUrl: "",
  CloseUnusedDirectMessages: "false",
  CloudUserLimit: "0",
  CollapsedThreads: "disabled",
  CustomBrandText: "",
  CustomDescriptionText: "",
  CustomUrlSchemes: "",
  DataRetentionEnableFileDeletion: "false",
  DataRetentionEnableMessageDeletion: "false",
  DataRetentionFileRetentionDays: "0",
  DataRetentionMessageRetentionDays: "0",
  DefaultClientLocale: "en",
  DefaultTheme: "",
  DesktopLatestVersion: "",
  DesktopMinVersion: "",
  DiagnosticsEnabled: "false",
  EmailLoginButtonBorderColor: "#2389D7",
  EmailLoginButtonColor: "#0000",
  EmailLoginButtonTextColor: "#2389D7",
  EmailNotificationContentsType: "full",
  EnableAskCommunityLink: "true",
  EnableBanner: "false",
  EnableBotAccountCreation: "true",
  EnableChannelViewedMessages: "true",
  EnableCluster: "false",
  EnableCompliance: "false",
  EnableConfirmNotificationsToChannel: "true",
  EnableCustomBrand: "false",
  EnableCustomEmoji: "true",
  EnableCustomUserStatuses: "true",
  EnableDeveloper: "false",
  EnableDiagnostics: "false",
  EnableEmailBatching: "false",
  EnableEmailInvitations: "true",
  EnableEmojiPicker: "true",
  EnableFile: "true",
  EnableFileAttachments: "true",
  EnableGifPicker: "false",
  EnableGuestAccounts: "false",
  EnableIncomingWebhooks: "true",
  EnableLatex: "true",
  EnableLdap: "false",
  EnableLegacySidebar: "false",
  EnableLinkPreviews: "false",
  EnableMarketplace: "false",
  EnableMetrics: "false",
  EnableMobileFileDownload: "true",
  EnableMobileFileUpload: "true",
  EnableMultifactorAuthentication: "false",
  EnableOAuthServiceProvider: "false",
  EnableOpenServer: "true",
  EnablePreviewFeatures: "true",
  EnablePreviewModeBanner: "true",
  EnablePublicLink: "false",
  EnableReliableWebSockets: "false",
  EnableSVGs: "true",
  EnableSaml: "false",
  EnableSignInWithEmail: "true",
  EnableSignInWithUsername: "true",
  EnableSignUpWithEmail: "true",
  EnableSignUpWithGitLab: "false",
  EnableSignUpWithGoogle: "false",
  EnableSignUpWithOffice365: "false",
  EnableSignUpWithOpenId: "false",
  EnableTesting: "false",
  EnableThemeSelection: "true",
  EnableTutorial: "true",
  EnableUserAccessTokens: "true",
  EnableUserCreation: "true",
  EnableUserDeactivation: "false",
  EnableUserTypingMessages: "true",
  EnableXToLeaveChannelsFromLHS: "false",
  EnforceMultifactorAuthentication: "false",
  ExperimentalChannelOrganization: "false",
  ExperimentalCloudBilling: "false",
  ExperimentalCloudUserLimit: "0",
  ExperimentalEnableAuthenticationTransfer: "true",
  ExperimentalEnableAutomaticReplies: "false",
  ExperimentalEnableClickToReply: "false",
  ExperimentalEnableDefaultChannelLeaveJoinMessages: "true",
  ExperimentalEnablePostMetadata: "true",
  ExperimentalGroupUnreadChannels: "disabled",
  ExperimentalHideTownSquareinLHS: "false",
  ExperimentalPrimaryTeam: "",
  ExperimentalSharedChannels: "false",
  ExperimentalTimezone: "true",
  ExperimentalTownSquareIsReadOnly: "false",
  ExperimentalViewArchivedChannels: "true",
  ExtendSessionLengthWithActivity: "false",
  FeatureFlagAppsEnabled: "false",
  FeatureFlagCloudDelinquentEmailJobsEnabled: "false",
  FeatureFlagCollapsedThreads: "true",
  FeatureFlagCustomDataRetentionEnabled: "false",
  FeatureFlagEnableRemoteClusterService: "false",
  FeatureFlagPluginApps: "",
  FeatureFlagPluginFocalboard: "",
  FeatureFlagPluginIncidentManagement: "1.14.3",
  FeatureFlagTestBoolFeature: "false",
  FeatureFlagTestFeature: "off",
  FeatureFlagTimedDND: "false",
  FileLevel: "INFO",
  GoogleDeveloperKey: "",
  GuestAccountsEnforceMultifactorAuthentication: "false",
  HasImageProxy: "false",
  HelpLink: "https://about.mattermost.com/default-help/",
  IosAppDownloadLink: "https://about.mattermost.com/mattermost-ios-app/",
  IosLatestVersion: "",
  IosMinVersion: "",
  IsDefaultMarketplace: "true",
  LdapFirstNameAttributeSet: "false",
  LdapLastNameAttributeSet: "false",
  LdapLoginButtonBorderColor: "",
  LdapLoginButtonColor: "",
  LdapLoginButtonTextColor: "",
  LdapLoginFieldName: "",
  LdapNicknameAttributeSet: "false",
  LdapPictureAttributeSet: "false",
  LdapPositionAttributeSet: "false",
  LockTeammateNameDisplay: "false",
  ManagedResourcePaths: "",
  MaxFileSize: "104857600",
  MaxNotificationsPerChannel: "1000000",
  MinimumHashtagLength: "3",
  OpenIdButtonColor: "",
  OpenIdButtonText: "",
  PasswordMinimumLength: "10",
  PasswordRequireLowercase: "true",
  PasswordRequireNumber: "true",
  PasswordRequireSymbol: "true",
  PasswordRequireUppercase: "true",
  PluginsEnabled: "false",
  PostEditTimeLimit: "-1",
  PrivacyPolicyLink: "https://mattermost.com/privacy-policy/",
  ReportAProblemLink: "https://about.mattermost.com/default-report-a-problem/",
  RequireEmailVerification: "false",
  RestrictDirectMessage: "any",
  RunJobs: "true",
  SQLDriverName: "postgres",
  SamlFirstNameAttributeSet: "false",
  SamlLastNameAttributeSet: "false",
  SamlLoginButtonBorderColor: "",
  SamlLoginButtonColor: "",
  SamlLoginButtonText: "",
  SamlLoginButtonTextColor: "",
  SamlNicknameAttributeSet: "false",
  SamlPositionAttributeSet: "false",
  SendEmailNotifications: "false",
  SendPushNotifications: "false",
  ShowEmailAddress: "true",
  ShowFullName: "true",
  SiteName: "Mattermost",
  SupportEmail: "",
  TeammateNameDisplay: "username",
  TermsOfServiceLink: "https://mattermost.com/terms-of-service/",
  TimeBetweenUserTypingUpdatesMilliseconds: "5000",
  UpgradedFromTE: "false",
  WebsocketPort: "80",
  WebsocketSecurePort: "443",
  WebsocketURL: "",
};

/** What the server tells a client that has not signed in (a valid session gets every key). */
const BEFORE_LOGIN: readonly string[] = [
  "AboutLink", "AndroidAppDownloadLink", "AndroidLatestVersion", "AndroidMinVersion",
  "AppDownloadLink", "AsymmetricSigningPublicKey", "BuildDate", "BuildEnterpriseReady", "BuildHash",
  "BuildHashEnterprise", "BuildNumber", "CWSUrl", "CustomBrandText", "CustomDescriptionText",
  "DefaultClientLocale", "DesktopLatestVersion", "DesktopMinVersion", "DiagnosticId",
  "DiagnosticsEnabled", "EmailLoginButtonBorderColor", "EmailLoginButtonColor",
  "EmailLoginButtonTextColor", "EnableAskCommunityLink", "EnableBotAccountCreation",
  "EnableCustomBrand", "EnableCustomEmoji", "EnableDiagnostics", "EnableFile",
  "EnableGuestAccounts", "EnableLdap", "EnableMultifactorAuthentication", "EnableOpenServer",
  "EnableSaml", "EnableSignInWithEmail", "EnableSignInWithUsername", "EnableSignUpWithEmail",
  "EnableSignUpWithGitLab", "EnableSignUpWithGoogle", "EnableSignUpWithOffice365",
  "EnableSignUpWithOpenId", "EnableUserCreation", "EnforceMultifactorAuthentication",
  "FeatureFlagAppsEnabled", "FeatureFlagCloudDelinquentEmailJobsEnabled",
  "FeatureFlagCollapsedThreads", "FeatureFlagCustomDataRetentionEnabled",
  "FeatureFlagEnableRemoteClusterService", "FeatureFlagPluginApps", "FeatureFlagPluginFocalboard",
  "FeatureFlagPluginIncidentManagement", "FeatureFlagTestBoolFeature", "FeatureFlagTestFeature",
  "FeatureFlagTimedDND", "FileLevel", "GuestAccountsEnforceMultifactorAuthentication",
  "HasImageProxy", "HelpLink", "IosAppDownloadLink", "IosLatestVersion", "IosMinVersion",
  "LdapLoginButtonBorderColor", "LdapLoginButtonColor", "LdapLoginButtonTextColor",
  "LdapLoginFieldName", "NoAccounts", "OpenIdButtonColor", "OpenIdButtonText",
  "PasswordMinimumLength", "PasswordRequireLowercase", "PasswordRequireNumber",
  "PasswordRequireSymbol", "PasswordRequireUppercase", "PluginsEnabled", "PrivacyPolicyLink",
  "ReportAProblemLink", "SamlLoginButtonBorderColor", "SamlLoginButtonColor", "SamlLoginButtonText",
  "SamlLoginButtonTextColor", "SiteName", "SupportEmail", "TelemetryId", "TermsOfServiceLink",
  "Version", "WebsocketPort", "WebsocketSecurePort", "WebsocketURL"
];

const bool = (value: boolean): string => String(value);

export function clientConfigRoutes(app: FastifyInstance, { world, posting }: Services, integrations: ClientConfigSource): void {
  route(app, world, "GET", "/config/client", (call) => {
    checkFormat(call, "configuration");
    const { settings } = integrations;
    const [, build = ""] = /^5\.37\.0\.(.*)$/.exec(SERVER_VERSION) ?? [];
    const config: Record<string, string> = {
      ...RECORDED,
      SiteURL: siteUrl(call),
      Version: "5.37.0",
      BuildNumber: build,
      BuildHash: build,
      BuildDate: "",
      BuildHashEnterprise: "",
      BuildEnterpriseReady: "false",
      MaxPostSize: String(posting.maxPostSize),
      EnableCommands: bool(settings.enableCommands),
      EnableOutgoingWebhooks: bool(settings.enableOutgoingWebhooks),
      EnablePostUsernameOverride: bool(settings.enablePostUsernameOverride),
      EnablePostIconOverride: bool(settings.enablePostIconOverride),
      NoAccounts: bool(world.users.size === 0),
      // no telemetry, no GIF picker, no signing key: empty, as a server without them sends
      DiagnosticId: "",
      TelemetryId: "",
      InstallationDate: "",
      AsymmetricSigningPublicKey: "",
      GfycatApiKey: "",
      GfycatApiSecret: "",
    };
    if (call.sessionUserId !== undefined) return { body: config };
    return { body: Object.fromEntries(BEFORE_LOGIN.map((key) => [key, config[key] ?? ""])) };
  }, { public: true });

  route(app, world, "GET", "/license/client", (call) => {
    checkFormat(call, "license");
    return { body: { IsLicensed: "false" } };
  }, { public: true });
}

/** 501 without `format`, 400 with another than `old` (the server says "in request body"). */
function checkFormat(call: Call, what: "configuration" | "license"): void {
  const format = call.query.format ?? "";
  if (format === "") fail(what === "license" ? ERRORS.clientLicenseFormat : ERRORS.clientConfigFormat);
  if (format !== "old") fail(invalidBodyParam("format"));
}

/** The sandbox has no configured site URL: the address the caller reached it at. */
function siteUrl(call: Call): string {
  const host = call.headers.host;
  return host ? `http://${host}` : "";
}

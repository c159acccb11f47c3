/**
 * Every error the sandbox answers with, in one catalog (id, message, status as the 5.37 server
 * sends them), and the error class the sandbox throws: a `MattermostApiError`, so code that
 * calls the sandbox in-process sees the same error as over HTTP.
 */
import { MattermostApiError } from "../errors.js";
import type { ApiErrorBody } from "../mattermost/types.js";

export interface ErrorSpec {
  id: string;
  message: string;
  status: number;
}

const spec = (id: string, message: string, status: number): ErrorSpec => ({ id, message, status });

export const ERRORS = {
  sessionExpired: spec(
    "api.context.session_expired.app_error",
    "Invalid or expired session, please login again.",
    401,
  ),
  permissions: spec(
    "api.context.permissions.app_error",
    "You do not have the appropriate permissions.",
    403,
  ),
  notFoundRoute: spec("api.context.404.app_error", "Sorry, we could not find the page.", 404),
  clientConfigFormat: spec(
    "api.config.client.old_format.app_error",
    "New format for the client configuration is not supported yet. Please specify format=old in the query string.",
    501,
  ),
  clientLicenseFormat: spec(
    "api.license.client.old_format.app_error",
    "New format for the client license is not supported yet. Please specify format=old in the query string.",
    501,
  ),
  invalidMessage: spec("model.post.is_valid.msg.app_error", "Invalid message.", 400),
  invalidProps: spec("model.post.is_valid.props.app_error", "Invalid props.", 400),
  invalidRootId: spec("api.post.create_post.root_id.app_error", "Invalid RootId parameter.", 400),
  loginInvalid: spec(
    "api.user.login.invalid_credentials_email_username",
    "Enter a valid email or username and/or password.",
    401,
  ),
  userMissing: spec("app.user.missing_account.const", "Unable to find the user.", 404),
  usernameMissing: spec(
    "app.user.get_by_username.app_error",
    "Unable to find an existing account matching your username for this team. This team may require an invite from the team owner to join.",
    404,
  ),
  teamMissing: spec("app.team.get.find.app_error", "Unable to find the existing team.", 404),
  teamMemberMissing: spec(
    "app.team.get_member.missing.app_error",
    "No team member found for that user ID and team ID.",
    404,
  ),
  teamNameMissing: spec(
    "app.team.get_by_name.missing.app_error",
    "Unable to find the existing team.",
    404,
  ),
  channelMissing: spec(
    "app.channel.get.existing.app_error",
    "Unable to find the existing channel.",
    404,
  ),
  channelNameMissing: spec(
    "app.channel.get_by_name.missing.app_error",
    "Channel does not exist.",
    404,
  ),
  channelExists: spec(
    "store.sql_channel.save_channel.exists.app_error",
    "A channel with that name already exists on the same team.",
    400,
  ),
  channelName: spec(
    "model.channel.is_valid.2_or_more.app_error",
    "Name must be 2 or more lowercase alphanumeric characters.",
    400,
  ),
  removeFromDefaultChannel: spec(
    "api.channel.remove.default.app_error",
    "Unable to remove user from the default channel town-square.",
    400,
  ),
  groupSize: spec(
    "api.channel.create_group.bad_size.app_error",
    "Group message channels must contain at least 3 and no more than 8 users.",
    400,
  ),
  groupUser: spec(
    "api.channel.create_group.bad_user.app_error",
    "One of the provided users does not exist.",
    400,
  ),
  directUser: spec(
    "api.channel.create_direct_channel.invalid_user.app_error",
    "Invalid user ID for direct channel creation.",
    400,
  ),
  reactionOtherUser: spec(
    "api.reaction.save_reaction.user_id.app_error",
    "You cannot save reaction for the other user.",
    403,
  ),
  emojiName: spec("model.reaction.is_valid.emoji_name.app_error", "Invalid emoji name.", 400),
  searchBody: spec(
    "api.post.search_posts.invalid_body.app_error",
    "Unable to parse the request body.",
    400,
  ),
  memberMissing: spec(
    "app.channel.get_member.missing.app_error",
    "No channel member found for that user ID and channel ID.",
    404,
  ),
  postMissing: spec("app.post.get.app_error", "Unable to get the post.", 404),
  tokenMissing: spec(
    "app.user_access_token.get_by_user.app_error",
    "Unable to get user access token.",
    404,
  ),
  fileMissing: spec("app.file_info.get.app_error", "Unable to get the file info.", 404),
  fileNoFiles: spec(
    "api.file.upload_file.multipart.app_error",
    "Unable to upload files: no files in the request.",
    400,
  ),
  preferenceMissing: spec(
    "api.preference.preferences_category.get.app_error",
    "Unable to find preferences for the specified category.",
    404,
  ),
  reactionMissing: spec(
    "app.reaction.delete_all_with_emoji_name.get_reactions.app_error",
    "Unable to get the reaction.",
    404,
  ),
  websocketUnavailable: spec(
    "api.web_socket.unavailable.app_error",
    "The WebSocket endpoint is unavailable (sandbox fault injection).",
    503,
  ),
  tooLarge: spec("api.context.request_too_large.app_error", "The request body is too large.", 413),
} as const satisfies Record<string, ErrorSpec>;

/** `api.context.invalid_body_param.app_error` naming the missing or invalid field. */
export const invalidBodyParam = (name: string): ErrorSpec =>
  spec(
    "api.context.invalid_body_param.app_error",
    `Invalid or missing ${name} in request body.`,
    400,
  );

/** `api.context.invalid_url_param.app_error` naming the parameter. */
export const invalidUrlParam = (name: string): ErrorSpec =>
  spec(
    "api.context.invalid_url_param.app_error",
    `Invalid or missing ${name} parameter in request URL.`,
    400,
  );

/** An error the sandbox refuses a request with; carries the server's error id and status. */
export class SandboxApiError extends MattermostApiError {
  readonly spec: ErrorSpec;
  readonly detailedError: string;
  constructor(
    errorSpec: ErrorSpec,
    where: { method?: string; path?: string; detailedError?: string } = {},
  ) {
    super({
      status: errorSpec.status,
      method: where.method ?? "SANDBOX",
      path: where.path ?? "",
      body: {
        id: errorSpec.id,
        message: errorSpec.message,
        detailed_error: where.detailedError ?? "",
        status_code: errorSpec.status,
      },
    });
    this.spec = errorSpec;
    this.detailedError = where.detailedError ?? "";
  }
}

/** Throws the catalog error: `fail(ERRORS.permissions)`. */
export function fail(errorSpec: ErrorSpec, detailedError?: string): never {
  throw new SandboxApiError(errorSpec, { detailedError });
}

/** The JSON body of an error response, `X-Request-ID` included as `request_id`. */
export function errorBody(
  errorSpec: ErrorSpec,
  requestId: string,
  detailedError = "",
): ApiErrorBody {
  return {
    id: errorSpec.id,
    message: errorSpec.message,
    detailed_error: detailedError,
    request_id: requestId,
    status_code: errorSpec.status,
  };
}

/**
 * mmbot — Mattermost bots in TypeScript.
 * @example
 * import { Bot, WebSocketSource } from "mmbot";
 * const bot = new Bot({ url: "http://localhost:8065", token: process.env.MATTERMOST_BOT_TOKEN! });
 * bot.command("ping", (ctx) => ctx.reply("pong"));
 * await bot.start(new WebSocketSource());
 */

// Building a bot
export { Bot, DEFAULT_ANSWER_WITHIN_MS, type BotOptions } from "./bot/bot.js";
export {
  Composer,
  type ContextByKind,
  type ContextOf,
  type CommandContext,
  type MatchContext,
  type MiddlewareLike,
  type MiddlewareObj,
  type ErrorHandler,
} from "./bot/composer.js";
export { compose, type Middleware, type NextFunction } from "./bot/compose.js";
export { App, type AppOptions, type AppRuntime } from "./bot/app.js";
export type { BotErrorHandler } from "./bot/pipeline.js";
export {
  Context,
  MessageContext,
  ReactionContext,
  EventContext,
  type AnswerPlace,
  type ReplyOptions,
  type StreamOptions,
} from "./bot/context.js";
export type { BotRuntime, InteractionUrls } from "./bot/runtime.js";
export {
  SlashContext,
  ActionContext,
  DialogContext,
  InteractionContext,
  type SlashAnswer,
  type Dialog,
  type DialogElement,
  type PostUpdate,
} from "./bot/interaction-context.js";
export { fromWireEvent, messageEnvelope } from "./bot/envelope.js";
export type * from "./bot/envelope.js";
export type { Policy } from "./bot/policy.js";
export { defaultTexts, type BotTexts } from "./bot/texts.js";
export { splitMessage, MAX_MESSAGE_LENGTH } from "./bot/split.js";
export {
  streamReply,
  type StreamReplyOptions,
  type StreamTarget,
  type StreamRuntime,
} from "./bot/stream-reply.js";
export { layoutStream, STREAM_PART_LIMIT } from "./bot/stream-layout.js";
export {
  button,
  select,
  type MessageAttachment,
  type MessageAction,
  type ActionOption,
  type ButtonStyle,
} from "./http/attachments.js";
export type { HttpHandler, NodeHandler, FetchHandler } from "./http/receiver.js";

// Sources: where events come from
export type { Source, SourceHost } from "./bot/source.js";
export type { BotObserver, ObservedBot, PipelineObserver, Readiness } from "./bot/observer.js";
export { WebSocketSource, type WebSocketSourceOptions } from "./sources/websocket.js";
export { HttpSource, type HttpSourceOptions } from "./sources/http.js";
export { PollingSource, type PollingSourceOptions, type PollingRound } from "./sources/polling.js";
export { AutoSource, type AutoSourceOptions, type AutoMode } from "./sources/auto.js";

// Talking to Mattermost directly
export { MattermostClient } from "./mattermost/rest.js";
export type { RestObserver } from "./mattermost/rest.js";
export {
  atLeast,
  featureSupport,
  isTestedVersion,
  serverInfoFrom,
} from "./mattermost/server-info.js";
export type { FeatureSupport, ServerInfo } from "./mattermost/server-info.js";
export { WebSocketReceiver } from "./mattermost/websocket.js";
export type * from "./mattermost/types.js";
export {
  sendToIncomingWebhook,
  sendAsBot,
  parsePayload,
  type MessagePayload,
  type ChannelTarget,
} from "./mattermost/send-without-bot.js";

// Storage, errors, logging
export { openStore, type Store, type AppMigrations } from "./store/index.js";
export {
  MmbotError,
  MattermostApiError,
  TokenRefusedError,
  TransportError,
  HandlerError,
  ConfigError,
  isTokenRefusal,
} from "./errors.js";
export { createLogger, silentLogger, type Logger } from "./log.js";

/**
 * mmbot — Mattermost bots in TypeScript.
 * @example
 * import { Bot } from "mmbot";
 * const bot = new Bot({ url: "http://localhost:8065", token: process.env.MATTERMOST_BOT_TOKEN! });
 * bot.command("ping", (ctx) => ctx.reply("pong"));
 * await bot.start();
 */

// Building a bot
export { Bot, type BotOptions, type ErrorHandler } from "./bot/bot.js";
export { Composer, type PostContext, type CommandContext, type MatchContext } from "./bot/composer.js";
export { Context, type ReplyOptions } from "./bot/context.js";
export { compose, type Middleware, type NextFunction } from "./bot/compose.js";
export type { BotEvent, EventSource } from "./bot/event.js";
export type { Policy } from "./bot/policy.js";
export { splitMessage, MAX_MESSAGE_LENGTH } from "./bot/split.js";

// Slash commands, buttons, menus and dialogs (the bot's \`http\` option)
export type { HttpOptions } from "./http/options.js";
export { SlashContext, ActionContext, DialogContext, type SlashAnswer, type Dialog, type DialogElement, type DialogAnswer } from "./http/contexts.js";
export type { SlashHandler, ActionHandler, DialogHandler } from "./http/interactions.js";
export { button, select, type MessageAttachment, type MessageAction, type ActionOption, type ButtonStyle } from "./http/attachments.js";
export { HttpReceiver, type HttpReceiverOptions, type IntegrationHandlers, type HttpHandler, type NodeHandler, type FetchHandler } from "./http/receiver.js";

// Apps
export { todoApp, TodoService } from "./apps/todo/index.js";
export { bridgeApp, type BridgeInput, type BridgeAppOptions } from "./apps/bridge/index.js";

// Talking to Mattermost directly
export { MattermostClient } from "./mattermost/rest.js";
export { WebSocketReceiver } from "./mattermost/websocket.js";
export type * from "./mattermost/types.js";
export { sendToIncomingWebhook, sendAsBot, parsePayload, type MessagePayload, type ChannelTarget } from "./send.js";

// Configuration, storage, errors
export { loadConfig, type Config } from "./config.js";
export { openStore, type Store } from "./store/index.js";
export { MmbotError, MattermostApiError, TransportError, HandlerError, ConfigError } from "./errors.js";
export { createLogger, silentLogger, type Logger } from "./log.js";

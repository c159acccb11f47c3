import { App } from "../../bot/app.js";
import type { MessageContext, ReactionContext } from "../../bot/context.js";
import type { Logger } from "../../log.js";
import type { Post } from "../../mattermost/types.js";
import { answerText, type AnswerSettings } from "./answer.js";
import { DEFAULT_VISION_LIMITS, type VisionLimits } from "./files.js";
import type { ChatMessage } from "./model-client.js";
import { Toolbox, type AgentTool } from "./tools.js";
import { agentMigrations, Follows } from "./follows.js";
import { APPROVAL_ACTIONS, Approvals } from "./approvals.js";
import type { McpConnectionOptions, McpServerSpec } from "./mcp.js";
import { isCommand } from "./history.js";
import { Threads } from "./threads.js";
import { DEFAULT_STATUS_REACTIONS, QuestionStatus, type StatusReactions } from "./status.js";
import { betweenRounds } from "./typing.js";
import { addressedByMode, channelSetting, mayUse, type AgentChannel } from "./channels.js";

export { listModels } from "./model-client.js";
export { ModelError } from "./model-error.js";
export type { ChatMessage, ContentPart, ImagePart, ToolCall } from "./model-client.js";
export type { VisionLimits } from "./files.js";
export type { AgentTool, ToolCallContext } from "./tools.js";
export { mcpServer, McpConnection, toolFullName } from "./mcp.js";
export type { McpServerOptions, McpServerSpec, McpTool } from "./mcp.js";
export { globMatches, toolPolicy, type ToolPolicy } from "./policy.js";
export { DEFAULT_STATUS_REACTIONS, type StatusReactions } from "./status.js";
export { CHANNEL_MODES, type AgentChannel, type ChannelMode } from "./channels.js";

export interface AgentOptions {
  /** An OpenAI-compatible base URL: `POST {url}/chat/completions` with `stream: true`. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; never logged or shown. Absent: no header. */
  apiKey?: string;
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
  /** No first token, or no progress, for this long: the answer fails as timed out (default 120 s). */
  timeoutMs?: number;
  /** Older turns are dropped first to stay under this estimate (default 6000). */
  historyMaxTokens?: number;
  /** After a mention the bot follows the thread for this long after its last message (default 60). */
  followThreadsMinutes?: number;
  /** Usernames or ids who may reach the model, on top of the bot's policy (default everyone). */
  allowedUsers?: "*" | string[];
  /** Channel names or ids where the agent answers, on top of the policy (default everywhere), or settings per channel. */
  channels?: (string | AgentChannel)[];
  /** The time between two edits of a streamed answer (default 1000 ms). */
  editIntervalMs?: number;
  /** How often "typing…" is repeated until the first text (default 3000 ms). */
  typingIntervalMs?: number;
  /** Tools the model may call (TypeScript tools, and MCP servers made with `mcpServer()`); their results go back to it. */
  tools?: (AgentTool | McpServerSpec)[];
  /** Who may approve a tool call besides the person who asked (usernames or ids; `*` anyone). */
  approvers?: "*" | string[];
  /** An approval not decided in this time refuses the call (default 10 min). */
  approvalTimeoutMs?: number;
  /** A tool's result sent to the model is cut to this many characters (default 65536). */
  toolResultMaxChars?: number;
  /** How MCP servers are restarted and waited for. */
  mcpConnection?: McpConnectionOptions;
  /** Reactions on the question as the work goes (default 👀, 🛠, ✅, ⚠️); `false`: none. */
  statusReactions?: StatusReactions | false;
  /**
   * Images attached to the thread's posts go to the model as image parts (PNG, JPEG, GIF, WebP;
   * default at most 4 a request, 5 MB each); the question's images left out are said in the
   * thread. Off (default): images are named, not sent. Only for a model that takes images.
   */
  vision?: boolean | Partial<VisionLimits>;
  /** Rounds of tool calls in one answer (default 4). */
  maxToolRounds?: number;
  /** Changes the messages sent (after the history is built and cut), e.g. to add context. */
  transformHistory?: (
    messages: ChatMessage[],
    question: Post,
  ) => ChatMessage[] | Promise<ChatMessage[]>;
  /** Changes the answer's text as it streams (it gets and gives text pieces). */
  transformAnswer?: (pieces: AsyncIterable<string>, question: Post) => AsyncIterable<string>;
  fetch?: typeof fetch;
}

const STOP_EMOJI = "octagonal_sign";

/**
 * The agent: a Mattermost thread is a conversation with an AI model, streamed as it is written.
 * A mention or a DM starts it; the bot then follows the thread without a mention until it is idle
 * for `followThreadsMinutes` or someone writes `!leave`. `!stop` or a 🛑 reaction stops an answer.
 * @example bot.use(agent({ url: "http://127.0.0.1:8080/v1", model: "qwen2.5-7b-instruct" }))
 */
export function agent(options: AgentOptions): App {
  let logger: Logger | undefined;
  let followStore: Follows | undefined;
  let approvals: Approvals | undefined;
  let receivesClicks = () => false;
  const tools = options.tools ?? [];
  const toolbox = new Toolbox(
    tools.filter((t): t is AgentTool => !("kind" in t)),
    tools.filter((t): t is McpServerSpec => "kind" in t && t.kind === "mcp"),
    options.toolResultMaxChars,
    options.mcpConnection,
  );
  const threads = new Threads((error) =>
    logger?.error({ err: error }, "agent: an answer could not be posted"),
  );
  const app = new App({
    name: "agent",
    migrations: agentMigrations,
    start: async (runtime) => {
      logger = runtime.logger;
      followStore = new Follows(runtime.store, (options.followThreadsMinutes ?? 60) * 60_000);
      approvals = new Approvals(
        runtime.store,
        {
          approvers: options.approvers ?? [],
          timeoutMs: options.approvalTimeoutMs ?? 600_000,
        },
        runtime.logger,
      );
      receivesClicks = () => runtime.interactionUrls !== undefined;
      void runtime.client.maxPostSize(); // asked now, so the first answer does not wait for it
      await toolbox.start(runtime.logger); // the first question finds the servers' tools listed
    },
    // a stopping bot ends the answers still running: their text so far lands, marked stopped
    stop: async () => {
      const stopping = approvals?.stopAll(); // the waiting calls refused before the answers are aborted
      await threads.stopAll();
      await stopping;
      await toolbox.close();
    },
    // under mention_only the threads it follows still reach it
    followsThread: (rootId) => follows().isFollowing(rootId),
  });
  const settings: AnswerSettings = {
    endpoint: {
      url: options.url,
      model: options.model,
      apiKey: options.apiKey,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      timeoutMs: options.timeoutMs ?? 120_000,
      fetch: options.fetch,
    },
    systemPrompt: options.systemPrompt ?? "",
    historyMaxTokens: options.historyMaxTokens ?? 6_000,
    tools: toolbox,
    maxToolRounds: options.maxToolRounds ?? 4,
    vision: options.vision
      ? { ...DEFAULT_VISION_LIMITS, ...(options.vision === true ? {} : options.vision) }
      : undefined,
    transformHistory: options.transformHistory,
  };
  const channelSettings = (options.channels ?? []).map(
    (c): AgentChannel => (typeof c === "string" ? { channel: c } : c),
  );
  const channelNames = channelSettings.map((c) => c.channel).filter((c) => c !== "dm");
  /** Why the agent will not answer this user here, or undefined when it will. */
  const refusal = (ctx: MessageContext, setting: AgentChannel | undefined): string | undefined => {
    if (!ctx.isDirect && channelNames.length > 0 && !setting) {
      return `The assistant does not answer in this channel; it answers in: ${channelNames.join(", ")}, and in direct messages.`;
    }
    const user = { id: ctx.user.id, name: ctx.sender?.username ?? ctx.user.name };
    if (!mayUse(setting, options.allowedUsers ?? "*", user)) {
      return "Sorry, you are not allowed to ask the assistant. Ask an admin to add you to its allowed users.";
    }
    return undefined;
  };

  const follows = () => {
    if (!followStore)
      throw new Error(
        "the agent app is not started: install it with bot.use(agent(…)) before bot.start()",
      );
    return followStore;
  };

  app.on("message", async (ctx, next) => {
    const root = ctx.rootId;
    const setting = channelSetting(channelSettings, {
      channelId: ctx.channelId,
      channelName: ctx.channel.name,
      isDirect: ctx.isDirect,
    });
    const mode = setting?.mode ?? "mention";
    const isRootPost = ctx.post.root_id === "";
    const addressed = ctx.isMention || (setting !== undefined && addressedByMode(mode, isRootPost));
    const following =
      !addressed &&
      !isRootPost &&
      (await follows().isFollowing(root, Date.now(), mode === "threads"));
    if (!addressed && !following) return next();
    const refused = refusal(ctx, setting);
    if (refused) {
      if (ctx.isMention) await ctx.ephemeral(refused); // a follower's post is not addressed to the bot: no answer at all
      return;
    }
    const text = ctx.text.trim();
    if (isCommand(text)) {
      if (/^!stop/i.test(text)) threads.stopThread(root);
      else {
        await follows().leave(root);
        threads.stopThread(root);
        await ctx.reply({
          text: "_Leaving this thread. Mention me to bring me back._",
          inThread: true,
        });
      }
      return;
    }
    await follows().touch(root);
    const question = ctx.post;
    const status = new QuestionStatus(
      options.statusReactions ?? DEFAULT_STATUS_REACTIONS,
      (emoji) => ctx.client.addReaction(ctx.me.id, question.id, emoji),
      (emoji) => ctx.client.removeReaction(ctx.me.id, question.id, emoji),
      ctx.logger,
    );
    status.set("received");
    // the answer is part of the post's handling: its claim is held until the answer is in, and a
    // post handled again after a kill edits the posts of the first run's answer (`once`)
    const answering = threads.enqueue(root, question.id, async (run) => {
      const typing = betweenRounds(
        () => ctx.client.sendTyping(ctx.me.id, ctx.channelId, root),
        options.typingIntervalMs ?? 3_000,
        ctx.logger,
      );
      let ending: "done" | "failed" | "stopped" | undefined;
      const here: AnswerSettings = {
        ...settings,
        systemPrompt: setting?.systemPrompt ?? settings.systemPrompt,
        mcpServers: setting?.mcpServers,
        endpoint: { ...settings.endpoint, model: setting?.model ?? settings.endpoint.model },
      };
      const text = answerText({
        settings: here,
        client: ctx.client,
        me: ctx.me,
        question,
        root,
        signal: run.controller.signal,
        logger: ctx.logger,
        onStage: (stage) => {
          if (stage === "thinking") typing.start();
          else typing.stop();
          if (stage === "tool") status.set(stage);
          else if (stage !== "thinking") ending = stage; // shown once the answer's text is all in
        },
        approve: (tool, args) =>
          approvals!.ask({
            tool: tool.name,
            args,
            asker: ctx.user,
            rootId: root,
            signal: run.controller.signal,
            buttons: receivesClicks(),
            post: async (message, attachments, props) => {
              const [post] = await ctx.reply({ text: message, attachments, props, inThread: true });
              threads.addPost(run, post!.id); // a 🛑 on the approval stops the answer too
              return post!.id;
            },
            patch: (postId, message, props) =>
              ctx.client.patchPost(postId, { message, props }).then(() => {}),
            react: (postId, emoji) => ctx.client.addReaction(ctx.me.id, postId, emoji),
          }),
      });
      const pieces = typing.stoppedByText(text);
      const chunks = options.transformAnswer ? options.transformAnswer(pieces, question) : pieces;
      try {
        await ctx.stream(chunks, {
          inThread: true,
          once: "agent",
          editIntervalMs: options.editIntervalMs,
          typingIntervalMs: options.typingIntervalMs ?? 3_000,
          onPost: (post) => threads.addPost(run, post.id),
        });
      } catch (error) {
        ending = "failed"; // the answer could not be posted whole
        throw error;
      } finally {
        typing.stop();
        status.set(ending ?? "failed");
      }
      await follows().touch(root);
      await status.settled(); // the run ends with its reactions in (a 🛑 meanwhile finds no run)
    });
    ctx.holdUntil(answering);
  });

  app.on("reaction", async (ctx: ReactionContext, next) => {
    if (ctx.added && ctx.emoji === STOP_EMOJI && threads.stopByPost(ctx.postId)) return;
    if (approvals && ctx.user.id !== ctx.me.id && (await approvals.onReaction(ctx))) return;
    return next();
  });
  app.action(new RegExp(`^(${APPROVAL_ACTIONS.approve}|${APPROVAL_ACTIONS.deny})$`), (ctx) =>
    approvals!.onClick(ctx),
  );
  return app;
}

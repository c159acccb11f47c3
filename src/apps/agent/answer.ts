/**
 * One answer as text pieces: the history read from the thread, the model's stream, and at the
 * end what the thread is told when it did not go well — `(stopped)` after a stop, or the
 * failure in plain words (the details in the log, with the key never in it). A context too long
 * is tried once more with fewer turns.
 */
import type { Logger } from "../../log.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { Post, UserProfile } from "../../mattermost/types.js";
import { attachedFiles, type VisionLimits } from "./files.js";
import { buildHistory } from "./history.js";
import {
  streamChat,
  type ChatMessage,
  type ImagePart,
  type ModelEndpoint,
  type ToolCall,
} from "./model-client.js";
import { failureText, ModelError, StoppedError } from "./model-error.js";
import {
  runToolCall,
  toolSpecs,
  type ApproveCall,
  type Toolbox,
  type ToolOutput,
} from "./tools.js";

export interface AnswerSettings {
  endpoint: ModelEndpoint;
  systemPrompt: string;
  historyMaxTokens: number;
  tools: Toolbox;
  /** Only these MCP servers' tools (by name); unset: every server's. */
  mcpServers?: readonly string[];
  /** Rounds of tool calls before the answer is ended. */
  maxToolRounds: number;
  /** Images attached to the thread's posts go to the model, within these limits; unset: named only. */
  vision?: VisionLimits;
  /** A last change to what is sent (after the budget cut). */
  transformHistory?: (
    messages: ChatMessage[],
    question: Post,
  ) => ChatMessage[] | Promise<ChatMessage[]>;
}

export interface AnswerInput {
  settings: AnswerSettings;
  client: MattermostClient;
  me: UserProfile;
  question: Post;
  root: string;
  signal: AbortSignal;
  logger: Logger;
  /** Asks a person about a call whose policy is `ask`. */
  approve?: ApproveCall;
  /** Told as the answer goes: a tool runs, the model is asked again after tools, the end. */
  onStage?: (stage: "tool" | "thinking" | "done" | "failed" | "stopped") => void;
}

export async function* answerText(input: AnswerInput): AsyncGenerator<string> {
  const { settings, signal, logger } = input;
  let produced = false;
  let noticed = false; // the files left out are said once, before any answer text
  let tail = ""; // the end of what is written, so that a line of its own comes after one blank line
  const gap = () =>
    !(produced || noticed) || tail.endsWith("\n\n") ? "" : tail.endsWith("\n") ? "\n" : "\n\n";
  let dropExtra = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const { messages, dropped, notice } = await history(input, dropExtra);
      if (notice && !noticed) {
        noticed = true;
        tail = "\n\n";
        yield `${notice}\n\n`;
      }
      for (let round = 0; ; round++) {
        logger.info(
          { model: settings.endpoint.model, turns: messages.length, dropped, attempt, round },
          "agent: asking the model",
        );
        let text = "";
        let calls: ToolCall[] = [];
        // asked each round: an MCP server's tools come and go with it
        const tools = settings.tools.offered(settings.mcpServers);
        for await (const event of streamChat(
          settings.endpoint,
          messages,
          signal,
          toolSpecs(tools),
        )) {
          if ("toolCalls" in event) calls = event.toolCalls;
          else {
            produced = true;
            text += event.text;
            tail = (tail + event.text).slice(-2);
            yield event.text;
          }
        }
        if (calls.length === 0) {
          input.onStage?.("done");
          return;
        }
        if (round >= settings.maxToolRounds) {
          input.onStage?.("failed");
          yield `${gap()}⚠️ I stopped after ${settings.maxToolRounds} rounds of tool calls without an answer.`;
          return;
        }
        messages.push({ role: "assistant", content: text || null, tool_calls: calls });
        const images: ImagePart[] = []; // the tools' images, for a model that takes them
        for (const call of calls) {
          // a tool step is a line of its own, after what is already written
          input.onStage?.("tool");
          yield `${gap()}_Using the tool ${call.function.name}…_\n\n`;
          produced = true;
          tail = "\n\n";
          const context = {
            userId: input.question.user_id,
            channelId: input.question.channel_id,
            rootId: input.root,
            signal,
          };
          const output = await runToolCall(tools, call, context, logger, input.approve);
          messages.push({ role: "tool", tool_call_id: call.id, content: output.text });
          images.push(...toolImages(output, settings.vision, images.length));
          if (signal.aborted) throw new StoppedError();
        }
        // a tool message carries text only (OpenAI's format): its images follow as a user turn
        if (images.length)
          messages.push({
            role: "user",
            content: [{ type: "text", text: "(the images the tools returned)" }, ...images],
          });
        input.onStage?.("thinking");
      }
    } catch (error) {
      if (error instanceof StoppedError || signal.aborted) {
        logger.info({ produced }, "agent: the answer was stopped");
        input.onStage?.("stopped");
        yield `${gap()}_(stopped)_`;
        return;
      }
      if (
        error instanceof ModelError &&
        error.failure === "context" &&
        attempt === 0 &&
        !produced
      ) {
        const { messages } = await history(input, 0);
        dropExtra = Math.max(1, Math.floor((messages.length - 1) / 2)); // half the turns, once
        logger.warn(
          { err: redacted(error, settings.endpoint.apiKey) },
          "agent: the context is too long; trying with fewer turns",
        );
        continue;
      }
      const failure =
        error instanceof ModelError
          ? error
          : new ModelError(
              "internal",
              error instanceof Error ? error.message : String(error),
              {},
              { cause: error },
            );
      logger.warn(
        {
          err: redacted(failure, settings.endpoint.apiKey),
          failure: failure.failure,
          status: failure.details.status,
        },
        "agent: the model request failed",
      );
      input.onStage?.("failed");
      yield `${gap()}⚠️ ${failureText(failure, { model: settings.endpoint.model, timeoutSeconds: Math.round(settings.endpoint.timeoutMs / 1000) })}`;
      return;
    }
  }
}

/** A tool's images within the vision limits (none without vision); its text already names them all. */
function toolImages(
  output: ToolOutput,
  vision: VisionLimits | undefined,
  already: number,
): ImagePart[] {
  if (!vision) return [];
  return output.images
    .filter((image) => Math.floor((image.data.length * 3) / 4) <= vision.maxImageBytes)
    .slice(0, Math.max(0, vision.maxImages - already))
    .map((image) => ({
      type: "image_url",
      image_url: { url: `data:${image.mimeType};base64,${image.data}` },
    }));
}

async function history(input: AnswerInput, dropExtra: number) {
  const { client, me, question, root, settings } = input;
  const thread = await client.getThread(root);
  const posts = Object.values(thread.posts);
  const names = new Map<string, string>();
  for (const id of new Set(posts.map((p) => p.user_id))) {
    names.set(
      id,
      await client.getUser(id).then(
        (u) => u.username,
        () => id,
      ),
    );
  }
  const files = await attachedFiles(client, posts, question, me.id, input.logger, settings.vision);
  const built = {
    notice: files.notice,
    ...buildHistory({
      posts,
      question,
      botId: me.id,
      botUsername: me.username,
      systemPrompt: settings.systemPrompt,
      names,
      attachments: files.byPost,
      maxTokens: settings.historyMaxTokens,
      dropExtra,
    }),
  };
  return settings.transformHistory
    ? { ...built, messages: await settings.transformHistory(built.messages, question) }
    : built;
}

/** The error as logged: its message, with the key (if a provider echoed it) blanked out. */
function redacted(error: Error, apiKey: string | undefined): { name: string; message: string } {
  const message = apiKey ? error.message.split(apiKey).join("[key]") : error.message;
  return { name: error.name, message };
}

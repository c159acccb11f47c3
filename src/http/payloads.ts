/**
 * The requests Mattermost sends to integrations, validated and normalised (see the fixtures in
 * test/fixtures/mattermost/integrations). Unknown fields are ignored: newer servers add some.
 */
import { z } from "zod";

const id = z.string().min(1);
const text = z.string().default("");

const outgoingWebhook = z.object({
  token: z.string().optional(),
  team_id: id,
  team_domain: text,
  channel_id: id,
  channel_name: text,
  timestamp: z.union([z.number(), z.string().regex(/^\d*$/)]).optional(),
  user_id: id,
  user_name: text,
  post_id: id,
  text,
  trigger_word: text,
  file_ids: z.union([z.string(), z.array(z.string())]).optional(),
});

const slashCommand = z.object({
  token: z.string().optional(),
  command: z.string().regex(/^\/\S+$/, "expected /name"),
  text,
  channel_id: id,
  channel_name: text,
  team_id: id,
  team_domain: text,
  user_id: id,
  user_name: text,
  trigger_id: text,
  response_url: z.union([z.url({ protocol: /^https?$/ }), z.literal("")]).default(""),
});

const actionClick = z.object({
  user_id: id,
  user_name: text,
  channel_id: id,
  channel_name: text,
  team_id: text,
  team_domain: text,
  post_id: id,
  trigger_id: text,
  type: text,
  data_source: text,
  context: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
});

const dialogSubmission = z.object({
  type: text,
  callback_id: text,
  state: text,
  user_id: id,
  channel_id: text,
  team_id: text,
  submission: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  cancelled: z.boolean().default(false),
});

export type SlashCommandPayload = z.output<typeof slashCommand>;
export type ActionClickPayload = z.output<typeof actionClick>;
export type DialogSubmissionPayload = z.output<typeof dialogSubmission>;
export type OutgoingWebhookPayload = Omit<
  z.output<typeof outgoingWebhook>,
  "timestamp" | "file_ids"
> & {
  /** Epoch milliseconds (the form encoding sends seconds, JSON milliseconds). */
  timestampMs: number;
  file_ids: string[];
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseOutgoingWebhook(
  body: unknown,
  encoding: "form" | "json",
): Parsed<OutgoingWebhookPayload> {
  const parsed = parse(outgoingWebhook, body);
  if (!parsed.ok) return parsed;
  const { timestamp, file_ids, ...rest } = parsed.value;
  const n = Number(timestamp ?? 0) || 0;
  const ids = Array.isArray(file_ids) ? file_ids : (file_ids ?? "").split(",").filter(Boolean);
  return {
    ok: true,
    value: { ...rest, timestampMs: encoding === "form" ? n * 1000 : n, file_ids: ids },
  };
}

export const parseSlashCommand = (body: unknown): Parsed<SlashCommandPayload> =>
  parse(slashCommand, body);
export const parseActionClick = (body: unknown): Parsed<ActionClickPayload> =>
  parse(actionClick, body);
export const parseDialogSubmission = (body: unknown): Parsed<DialogSubmissionPayload> =>
  parse(dialogSubmission, body);

function parse<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.output<S>> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, reason: "the body is not an object" };
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "body";
  return { ok: false, reason: `field ${field}: ${issue?.message ?? "invalid"}` };
}

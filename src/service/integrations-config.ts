/**
 * The integrations `mmbot setup` registers on the server: `[[http.slash_commands]]` and
 * `[[http.outgoing_webhooks]]` in mmbot.toml. Both point at `http.public_url`.
 */
import { z } from "zod";

// the server's own limits (model/command.go, model/outgoing_webhook.go)
const trigger = z
  .string()
  .transform((t) => t.replace(/^\//, "").toLowerCase())
  .pipe(
    z
      .string()
      .regex(/^[^\s/]{1,128}$/, "expected one word without spaces, e.g. todo (typed as /todo)"),
  );
const teamRef = z.string().min(1, "expected a team name (as in its URL) or id");

/** One `[[http.slash_commands]]`: `/trigger` in a team, answered by the bot's `/slash` route. */
export const slashCommandSchema = z.strictObject({
  trigger: trigger.describe(
    "The command word, typed as /<trigger> (a leading / is dropped, lowercased).",
  ),
  team: teamRef.describe("The team the command is registered in: its name (as in its URL) or id."),
  description: z
    .string()
    .max(128, "expected at most 128 characters")
    .default("")
    .describe("Shown in the autocomplete list next to the trigger."),
  hint: z
    .string()
    .max(1024, "expected at most 1024 characters")
    .default("")
    .describe("The arguments, shown after the trigger while typing."),
  display_name: z
    .string()
    .max(64, "expected at most 64 characters")
    .default("")
    .describe("The name in the server's list of integrations."),
  autocomplete: z.boolean().default(true).describe("List the command in the autocomplete."),
  method: z
    .enum(["POST", "GET"], { error: 'expected "POST" or "GET"' })
    .default("POST")
    .describe("How Mattermost calls the bot."),
});

/** One `[[http.outgoing_webhooks]]`: posts starting with a trigger word, sent to the bot's `/hooks/outgoing`. */
export const outgoingWebhookSchema = z
  .strictObject({
    team: teamRef.describe(
      "The team the webhook is registered in: its name (as in its URL) or id.",
    ),
    channel: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A public channel's name or id; unset: every public channel of the team (then trigger_words are required).",
      ),
    trigger_words: z
      .array(
        z
          .string()
          .min(1, "expected non-empty words")
          .max(128, "expected words of at most 128 characters"),
      )
      .default([])
      .describe(
        "Posts starting with one of these are sent to the bot; they count as http.trigger_words.",
      ),
    trigger_when: z
      .enum(["first_word", "starts_with"], {
        error:
          'expected "first_word" (the first word is a trigger word) or "starts_with" (it starts with one)',
      })
      .default("first_word")
      .describe(
        "first_word: the first word is a trigger word; starts_with: the post starts with one.",
      ),
    content_type: z
      .enum(["application/x-www-form-urlencoded", "application/json"], {
        error: 'expected "application/x-www-form-urlencoded" or "application/json"',
      })
      .default("application/x-www-form-urlencoded")
      .describe("How Mattermost encodes the request."),
    display_name: z
      .string()
      .max(64, "expected at most 64 characters")
      .default("")
      .describe("The name in the server's list of integrations."),
    description: z
      .string()
      .max(500, "expected at most 500 characters")
      .default("")
      .describe("A note in the server's list of integrations."),
  })
  .refine((hook) => hook.channel !== undefined || hook.trigger_words.length > 0, {
    path: ["trigger_words"],
    message: "expected at least one trigger word, or a channel (the server needs one of them)",
  });

export type SlashCommandConfig = z.output<typeof slashCommandSchema>;
export type OutgoingWebhookConfig = z.output<typeof outgoingWebhookSchema>;

/** Every declared slash command: one trigger per team. */
export const slashCommandsSchema = z.array(slashCommandSchema).superRefine((commands, ctx) => {
  const seen = new Map<string, number>();
  commands.forEach((command, i) => {
    const key = `${command.team}/${command.trigger}`;
    const first = seen.get(key);
    if (first !== undefined)
      ctx.addIssue({
        code: "custom",
        path: [i, "trigger"],
        message: `expected a trigger not declared twice in team ${command.team} (slash_commands[${first}] has it too)`,
      });
    else seen.set(key, i);
  });
});

export const outgoingWebhooksSchema = z.array(outgoingWebhookSchema);

/** Examples for error messages, by key inside an entry. */
export const INTEGRATION_EXAMPLES: Record<string, string> = {
  "slash_commands.trigger": 'trigger = "todo"   # typed as /todo',
  "slash_commands.team": 'team = "acme"   # the team name in its URL',
  "slash_commands.description": 'description = "Manage the channel\'s todo list"',
  "slash_commands.hint": 'hint = "[add|list|done] text"',
  "slash_commands.display_name": 'display_name = "Todo"',
  "slash_commands.autocomplete": "autocomplete = true",
  "slash_commands.method": 'method = "POST"',
  "outgoing_webhooks.team": 'team = "acme"',
  "outgoing_webhooks.channel": 'channel = "town-square"   # leave out for every public channel',
  "outgoing_webhooks.trigger_words": 'trigger_words = ["todo"]',
  "outgoing_webhooks.trigger_when": 'trigger_when = "first_word"',
  "outgoing_webhooks.content_type": 'content_type = "application/json"',
  "outgoing_webhooks.display_name": 'display_name = "Todo"',
  "outgoing_webhooks.description": 'description = "Todo items from ~town-square"',
};

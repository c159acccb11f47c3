/**
 * Slack-compatible pieces of integration answers: `<url|text>` links and message attachments
 * as the server re-serialises them (`model.SlackAttachment`, actions keeping their integration).
 */
import { ACTION_KEYS as POST_ACTION_KEYS, ATTACHMENT_DEFAULTS } from "../attachments.js";

/** A post's action keys, and what a Slack-compatible answer's actions keep besides. */
const ACTION_KEYS = [...POST_ACTION_KEYS, "integration", "cookie"];

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `model.ParseSlackLinksToMarkdown`: `<https://x|label>` becomes `[label](https://x)`. */
export function slackLinksToMarkdown(text: string): string {
  return text.replace(/<([^<|\n]+)\|([^>\n]+)>/g, "[$2]($1)");
}

/** Attachments as the server echoes them: every field present, field values as strings; null when none. */
export function slackAttachments(value: unknown): Array<Record<string, unknown>> | null {
  if (!Array.isArray(value)) return null;
  return value.filter(isRecord).map((attachment) => {
    const out: Record<string, unknown> = {};
    for (const [key, fallback] of ATTACHMENT_DEFAULTS) out[key] = attachment[key] ?? fallback;
    for (const [key, v] of Object.entries(attachment))
      if (!(key in out) && key !== "actions") out[key] = v;
    if (Array.isArray(out.fields)) {
      out.fields = out.fields.filter(isRecord).map((f) => ({
        ...f,
        value:
          typeof f.value === "string" || f.value === undefined ? f.value : JSON.stringify(f.value),
      }));
    }
    if (Array.isArray(attachment.actions)) {
      out.actions = attachment.actions.filter(isRecord).map((action) => {
        const kept: Record<string, unknown> = {};
        for (const key of ACTION_KEYS) {
          const v = action[key];
          if (v !== undefined && v !== null && v !== "" && v !== false) kept[key] = v; // Go's omitempty
        }
        return kept;
      });
    }
    return out;
  });
}

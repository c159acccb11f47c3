/**
 * Message attachments as the server stores them: every field filled, actions stripped of their
 * `integration` (kept aside for the click route) and given an id when they have none.
 */
import { newId } from "./ids.js";

export interface ActionIntegration {
  url: string;
  context?: Record<string, unknown>;
}

export const ATTACHMENT_DEFAULTS: Array<[string, unknown]> = [
  ["id", 0],
  ["fallback", ""],
  ["color", ""],
  ["pretext", ""],
  ["author_name", ""],
  ["author_link", ""],
  ["author_icon", ""],
  ["title", ""],
  ["title_link", ""],
  ["text", ""],
  ["fields", null],
  ["image_url", ""],
  ["thumb_url", ""],
  ["footer", ""],
  ["footer_icon", ""],
  ["ts", null],
];
/** An action's keys, in the order an answer writes them. */
export const ACTION_KEYS = [
  "id",
  "type",
  "name",
  "disabled",
  "style",
  "data_source",
  "options",
  "default_option",
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Normalises `props.attachments` in place; returns the integrations of its actions by action id. */
export function normaliseAttachments(
  props: Record<string, unknown>,
): Map<string, ActionIntegration> {
  const integrations = new Map<string, ActionIntegration>();
  const attachments = props.attachments;
  if (!Array.isArray(attachments)) return integrations;
  props.attachments = attachments.filter(isRecord).map((a) => {
    const out: Record<string, unknown> = {};
    for (const [key, fallback] of ATTACHMENT_DEFAULTS) out[key] = a[key] ?? fallback;
    for (const [key, value] of Object.entries(a))
      if (!(key in out) && key !== "actions") out[key] = value;
    if (Array.isArray(a.actions)) {
      out.actions = a.actions.filter(isRecord).map((action) => {
        const id = typeof action.id === "string" && action.id !== "" ? action.id : newId();
        // the server's PostAction omits an empty type (a slash command's buttons often have none)
        const kept: Record<string, unknown> = { id };
        for (const key of ACTION_KEYS.slice(1))
          if (action[key] !== undefined && action[key] !== "") kept[key] = action[key];
        if (isRecord(action.integration) && typeof action.integration.url === "string") {
          integrations.set(id, action.integration as unknown as ActionIntegration);
        }
        return kept;
      });
    }
    return out;
  });
  return integrations;
}

/** Points every action integration URL (of any post) that starts with `from` to `to` instead; returns how many. */
export function moveActionUrls(
  byPost: Map<string, Map<string, ActionIntegration>>,
  from: string,
  to: string,
): number {
  let moved = 0;
  for (const actions of byPost.values()) {
    for (const integration of actions.values()) {
      if (!integration.url.startsWith(from)) continue;
      integration.url = to + integration.url.slice(from.length);
      moved++;
    }
  }
  return moved;
}

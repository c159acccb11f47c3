/**
 * Message attachments with buttons and menus. `button()` and `select()` build the actions;
 * the bot signs them when it sends the message (it knows the channel, its public URL and the
 * secret), so a click can be trusted when it comes back.
 */
import { routeUrls } from "./routes.js";
import { signActionContext } from "./signature.js";

export type ButtonStyle = "default" | "primary" | "success" | "good" | "warning" | "danger";

export interface ActionOption {
  text: string;
  value: string;
}

/** One action as Mattermost stores it in `props.attachments[].actions[]`. */
export interface MessageAction {
  id: string;
  name: string;
  type: "button" | "select";
  style?: ButtonStyle;
  data_source?: "users" | "channels";
  options?: ActionOption[];
  default_option?: string;
  integration?: { url: string; context: Record<string, unknown> };
}

/** A Slack-style attachment (the fields Mattermost renders). */
export interface MessageAttachment {
  fallback?: string;
  color?: string;
  pretext?: string;
  author_name?: string;
  author_link?: string;
  author_icon?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fields?: { title: string; value: string; short?: boolean }[];
  image_url?: string;
  thumb_url?: string;
  footer?: string;
  footer_icon?: string;
  actions?: MessageAction[];
}

const ACTION_ID = /^[A-Za-z0-9]+$/;

/** Mattermost routes a click only when the action id is letters and digits (`bad_id` → 404). */
export function checkActionId(id: string): void {
  if (!ACTION_ID.test(id)) {
    throw new TypeError(
      `action id ${JSON.stringify(id)} is not allowed: Mattermost routes clicks only for ids of letters and digits (e.g. "${id.replace(/[^A-Za-z0-9]/g, "") || "done"}")`,
    );
  }
}

/**
 * A button. `context` comes back with the click (signed, so it cannot be forged).
 * @example button("done", "Done", { style: "primary", context: { item: 3 } })
 */
export function button(
  id: string,
  label: string,
  options: { style?: ButtonStyle; context?: Record<string, unknown> } = {},
): MessageAction {
  checkActionId(id);
  return {
    id,
    name: label,
    type: "button",
    ...(options.style && { style: options.style }),
    integration: { url: "", context: options.context ?? {} },
  };
}

/**
 * A menu: static `options`, or the team's users or channels. The pick arrives as `ctx.selected`.
 * @example select("assign", "Assign to…", { data_source: "users", context: { item: 3 } })
 */
export function select(
  id: string,
  placeholder: string,
  options: {
    options?: ActionOption[];
    data_source?: "users" | "channels";
    default_option?: string;
    context?: Record<string, unknown>;
  } = {},
): MessageAction {
  checkActionId(id);
  if (!options.options?.length && !options.data_source)
    throw new TypeError(
      `select ${JSON.stringify(id)} needs options or a data_source ("users" or "channels")`,
    );
  return {
    id,
    name: placeholder,
    type: "select",
    ...(options.data_source ? { data_source: options.data_source } : { options: options.options }),
    ...(options.default_option !== undefined && { default_option: options.default_option }),
    integration: { url: "", context: options.context ?? {} },
  };
}

/** What signing needs: where clicks must go and the key. */
export interface ActionSigning {
  publicUrl: string;
  secret: string;
  /** How long a button stays clickable. */
  ttlMs: number;
  now?: () => number;
}

/** Copies the attachments with every action pointed at the bot and its context signed for `channelId`. */
export function signAttachments(
  attachments: readonly MessageAttachment[],
  channelId: string,
  signing: ActionSigning,
): MessageAttachment[] {
  const expiresAtMs = (signing.now ?? Date.now)() + signing.ttlMs;
  return attachments.map((attachment) => {
    if (!attachment.actions?.length) return attachment;
    return {
      ...attachment,
      actions: attachment.actions.map((action) => {
        checkActionId(action.id);
        const data = action.integration?.context ?? {};
        return {
          ...action,
          integration: {
            url: routeUrls.action(signing.publicUrl, action.id),
            context: signActionContext(signing.secret, {
              actionId: action.id,
              channelId,
              expiresAtMs,
              data,
            }),
          },
        };
      }),
    };
  });
}

/**
 * Registers the declared integrations idempotently: an existing command (same trigger in the
 * team) or outgoing webhook (same team, channel and a shared trigger word — the server forbids
 * two) is updated in place when its settings differ, and left alone when they match.
 */
import { MmbotError } from "../../errors.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { Command, OutgoingWebhook, Team, UserProfile } from "../../mattermost/types.js";
import type { OutgoingWebhookConfig, SlashCommandConfig } from "../integrations-config.js";
import { explainRefusal, type IntegrationKind } from "./refusals.js";
import {
  commandBody,
  findChannel,
  findTeam,
  listCommands,
  listOutgoingWebhooks,
  outgoingWebhookBody,
  sameSettings,
} from "./server.js";

export type Outcome = "created" | "updated" | "unchanged";

export interface Registered {
  kind: IntegrationKind;
  /** Stable name of the declared item, the key of its stored token ("acme/todo"). */
  key: string;
  /** For people: "/todo in team acme". */
  label: string;
  outcome: Outcome;
  url: string;
  token: string;
}

export interface Failed {
  kind: IntegrationKind;
  key: string;
  label: string;
  reason: string;
}

export interface RegisterInput {
  client: MattermostClient;
  /** Who the token belongs to (for ownership and for explanations). */
  me: UserProfile;
  /** How the token was given ("MMBOT_ADMIN_TOKEN", "the bot token"), for explanations. */
  tokenSource: string;
  publicUrl: string;
  slashCommands: SlashCommandConfig[];
  outgoingWebhooks: OutgoingWebhookConfig[];
}

export const slashKey = (c: SlashCommandConfig) => `${c.team}/${c.trigger}`;
export const slashLabel = (c: SlashCommandConfig) => `/${c.trigger} in team ${c.team}`;
export const outgoingKey = (h: OutgoingWebhookConfig) =>
  `${h.team}/${h.channel ?? "*"}/${h.trigger_words.join(",")}`;
export const outgoingLabel = (h: OutgoingWebhookConfig) =>
  `outgoing webhook ${h.trigger_words.length ? `[${h.trigger_words.join(", ")}]` : "(every post)"} in team ${h.team}${h.channel ? ` ~${h.channel}` : ""}`;

/**
 * Registers every declared item; one that fails does not stop the others. A refusal that would
 * repeat (the feature is off, the token lacks the permission) is explained once, and the other
 * items of that kind are not tried.
 */
export async function registerIntegrations(
  input: RegisterInput,
  onItem: (item: Registered | Failed) => void,
): Promise<{ registered: Registered[]; failed: Failed[] }> {
  const registered: Registered[] = [];
  const failed: Failed[] = [];
  const teams = new Map<string, Promise<Team>>();
  const team = (ref: string, key: string) => {
    if (!teams.has(ref)) teams.set(ref, findTeam(input.client, ref, key));
    return teams.get(ref)!;
  };
  const refused = new Set<IntegrationKind>();
  const attempt = async (
    kind: IntegrationKind,
    key: string,
    label: string,
    work: () => Promise<Omit<Registered, "kind" | "key" | "label">>,
  ) => {
    const fail = (reason: string) => {
      const item = { kind, key, label, reason };
      failed.push(item);
      onItem(item);
    };
    if (refused.has(kind)) return fail("not tried: refused like the one above");
    try {
      const item = { kind, key, label, ...(await work()) };
      registered.push(item);
      onItem(item);
    } catch (error) {
      const refusal = explainRefusal(error, kind, input.me, input.tokenSource);
      if (refusal) refused.add(kind);
      fail(refusal ?? (error instanceof Error ? error.message : String(error)));
    }
  };

  for (const [i, declared] of input.slashCommands.entries()) {
    await attempt("slash", slashKey(declared), slashLabel(declared), async () => {
      const teamId = (await team(declared.team, `http.slash_commands[${i}].team`)).id;
      return registerCommand(input, declared, teamId);
    });
  }
  for (const [i, declared] of input.outgoingWebhooks.entries()) {
    await attempt("outgoing", outgoingKey(declared), outgoingLabel(declared), async () => {
      const found = await team(declared.team, `http.outgoing_webhooks[${i}].team`);
      const channelId = declared.channel
        ? (
            await findChannel(
              input.client,
              found,
              declared.channel,
              `http.outgoing_webhooks[${i}].channel`,
            )
          ).id
        : "";
      return registerOutgoingWebhook(input, declared, found.id, channelId);
    });
  }
  return { registered, failed };
}

async function registerCommand(input: RegisterInput, declared: SlashCommandConfig, teamId: string) {
  const wanted = commandBody(declared, teamId, input.publicUrl);
  const existing = (await listCommands(input.client, teamId)).find(
    (c) => c.trigger === declared.trigger,
  );
  if (!existing) {
    const created = await input.client.request<Command>("POST", "/commands", wanted);
    return { outcome: "created" as const, url: created.url, token: created.token };
  }
  requireOwned(
    input,
    existing,
    [existing.url],
    `/${declared.trigger} already exists in team ${declared.team}`,
  );
  if (sameSettings(existing, wanted))
    return { outcome: "unchanged" as const, url: existing.url, token: existing.token };
  const updated = await input.client.request<Command>("PUT", `/commands/${existing.id}`, {
    ...existing,
    ...wanted,
  });
  return { outcome: "updated" as const, url: updated.url, token: updated.token };
}

async function registerOutgoingWebhook(
  input: RegisterInput,
  declared: OutgoingWebhookConfig,
  teamId: string,
  channelId: string,
) {
  const wanted = outgoingWebhookBody(declared, teamId, channelId, input.publicUrl);
  const clashing = (await listOutgoingWebhooks(input.client, teamId)).filter(
    (h) =>
      h.channel_id === channelId &&
      (h.trigger_words.some((w) => declared.trigger_words.includes(w)) ||
        (h.trigger_words.length === 0 && declared.trigger_words.length === 0)),
  );
  const existing = clashing.find((h) => owned(input, h, h.callback_urls)) ?? clashing[0];
  if (!existing) {
    const created = await input.client.request<OutgoingWebhook>("POST", "/hooks/outgoing", wanted);
    return {
      outcome: "created" as const,
      url: created.callback_urls.join(" "),
      token: created.token,
    };
  }
  requireOwned(
    input,
    existing,
    existing.callback_urls,
    `an outgoing webhook with trigger words [${existing.trigger_words.join(", ")}] already exists in team ${declared.team}`,
  );
  if (sameSettings(existing, wanted))
    return {
      outcome: "unchanged" as const,
      url: existing.callback_urls.join(" "),
      token: existing.token,
    };
  const updated = await input.client.request<OutgoingWebhook>(
    "PUT",
    `/hooks/outgoing/${existing.id}`,
    { ...existing, ...wanted },
  );
  return {
    outcome: "updated" as const,
    url: updated.callback_urls.join(" "),
    token: updated.token,
  };
}

/** Ours: registered by this token's user, or already pointing at this bot. Anything else is somebody else's integration. */
function owned(input: RegisterInput, existing: { creator_id: string }, urls: string[]): boolean {
  return (
    existing.creator_id === input.me.id || urls.some((u) => u.startsWith(`${input.publicUrl}/`))
  );
}

function requireOwned(
  input: RegisterInput,
  existing: { creator_id: string },
  urls: string[],
  what: string,
): void {
  if (owned(input, existing, urls)) return;
  throw new MmbotError(
    "SETUP_CONFLICT",
    `${what}, registered by another user for ${urls.join(" ") || "another address"}; left alone. Delete it (Main Menu › Integrations) and run mmbot setup again, or declare another trigger.`,
  );
}

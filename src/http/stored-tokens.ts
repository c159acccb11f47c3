/**
 * The tokens Mattermost gave the integrations `mmbot setup` registered, kept in the store's kv so
 * the bot accepts them at start without anyone copying them into the configuration.
 */
import type { KvStore } from "../store/kv.js";

const KEY = "http.integration_tokens";

export interface IntegrationTokens {
  /** By integration ("slash acme/todo"): its current token. */
  slash: Record<string, string>;
  outgoingWebhook: Record<string, string>;
}

export async function readIntegrationTokens(kv: KvStore): Promise<IntegrationTokens> {
  const raw = await kv.get(KEY);
  const empty: IntegrationTokens = { slash: {}, outgoingWebhook: {} };
  if (raw === undefined) return empty;
  try {
    const parsed = JSON.parse(raw) as Partial<IntegrationTokens>;
    return { slash: { ...parsed.slash }, outgoingWebhook: { ...parsed.outgoingWebhook } };
  } catch {
    return empty; // a damaged value: `mmbot setup` writes it anew
  }
}

export async function writeIntegrationTokens(kv: KvStore, tokens: IntegrationTokens): Promise<void> {
  await kv.set(KEY, JSON.stringify(tokens));
}

/** The configured tokens plus the stored ones, without duplicates. */
export function withStoredTokens(configured: { outgoingWebhook?: string[]; slash?: string[] }, stored: IntegrationTokens): { outgoingWebhook: string[]; slash: string[] } {
  return {
    outgoingWebhook: [...new Set([...(configured.outgoingWebhook ?? []), ...Object.values(stored.outgoingWebhook)])],
    slash: [...new Set([...(configured.slash ?? []), ...Object.values(stored.slash)])],
  };
}

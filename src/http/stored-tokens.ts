/**
 * The tokens Mattermost gave the integrations `mmbot setup` registered, kept in the store's kv so
 * the bot accepts them at start without anyone copying them into the configuration.
 */

const KEY = "http.integration_tokens";

/** What the tokens need of the store's kv (the store's `KvStore` is one): the receiver does not import the store. */
export interface TokenKv {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface IntegrationTokens {
  /** By integration ("slash acme/todo"): its current token. */
  slash: Record<string, string>;
  outgoingWebhook: Record<string, string>;
}

export async function readIntegrationTokens(kv: Pick<TokenKv, "get">): Promise<IntegrationTokens> {
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

export async function writeIntegrationTokens(
  kv: Pick<TokenKv, "set">,
  tokens: IntegrationTokens,
): Promise<void> {
  await kv.set(KEY, JSON.stringify(tokens));
}

/** The configured tokens plus the stored ones, without duplicates. */
export function withStoredTokens(
  configured: { outgoingWebhook?: string[]; slash?: string[] },
  stored: IntegrationTokens,
): { outgoingWebhook: string[]; slash: string[] } {
  return {
    outgoingWebhook: [
      ...new Set([...(configured.outgoingWebhook ?? []), ...Object.values(stored.outgoingWebhook)]),
    ],
    slash: [...new Set([...(configured.slash ?? []), ...Object.values(stored.slash)])],
  };
}

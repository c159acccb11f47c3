/**
 * What the bot tells an observer as events go through it: the seam for metrics (src/metrics)
 * and anything else that counts, without the library knowing how they are counted. Every method
 * is optional and must not throw.
 */
import type { RestObserver } from "../mattermost/rest.js";
import type { Store } from "../store/index.js";
import type { Envelope } from "./envelope.js";
import type { PolicyDecision } from "./policy.js";

/** Whether the bot can do its work: every check (the store, each source that reports) passes. */
export interface Readiness {
  ready: boolean;
  /** By check name (`store`, a source's name): `ok`, or why not. */
  checks: Record<string, { ok: boolean; reason?: string }>;
}

/** What an observer may read from the bot once it is initialised. */
export interface ObservedBot {
  readonly store: Store;
  readiness(): Promise<Readiness>;
}

export interface PipelineObserver {
  /** An envelope reached the pipeline (before deduplication). */
  received?(envelope: Envelope): void;
  /** Not for the handlers: the policy's drop or refusal, or the pipeline's own (`duplicate`, `not claimed`: another instance has it, or the store is down). */
  declined?(envelope: Envelope, decision: Exclude<PolicyDecision, { action: "handle" }>): void;
  /** The handlers ran, in `seconds`; `failed` when they threw. */
  handled?(envelope: Envelope, seconds: number, failed: boolean): void;
}

export interface BotObserver extends PipelineObserver {
  /** Called once the bot is initialised (store open, user known). */
  attach?(bot: ObservedBot): void;
  /** An outbox post: `sent`, failed and to be `retried`, or `failed` for good. */
  posted?(outcome: "sent" | "retried" | "failed"): void;
  /** A source's connection state changed (e.g. the WebSocket's `connected`, `reconnecting`). */
  sourceState?(source: string, state: string): void;
  /** Given to the bot's REST client. */
  readonly rest?: RestObserver;
}

/**
 * The server's side of every HTTP integration: slash commands, outgoing and incoming webhooks,
 * interactive message actions and dialogs. One object per sandbox, shared by the REST routes and
 * the `Sandbox` methods.
 */
import type { Table } from "../persistence/table.js";
import type { Services } from "../services.js";
import { PostActions } from "./actions.js";
import { Commands } from "./commands.js";
import { Dialogs } from "./dialogs.js";
import {
  DEFAULT_INTEGRATION_SETTINGS,
  type IntegrationContext,
  type IntegrationSettings,
} from "./context.js";
import { IncomingWebhooks } from "./incoming-webhooks.js";
import { IntegrationClient } from "./outbound.js";
import { OutgoingWebhooks } from "./outgoing-webhooks.js";
import { TriggerIds } from "./trigger-ids.js";
import type { TrafficLog } from "../traffic.js";

export type { IntegrationSettings } from "./context.js";

export class Integrations {
  readonly commands: Commands;
  readonly outgoingWebhooks: OutgoingWebhooks;
  readonly incomingWebhooks: IncomingWebhooks;
  readonly actions: PostActions;
  readonly dialogs: Dialogs;
  /** The server settings integrations run with (also in the client configuration). */
  readonly settings: IntegrationSettings;
  private readonly client: IntegrationClient;
  private siteUrl = "";

  constructor(
    services: Services,
    overrides: Partial<IntegrationSettings> = {},
    traffic?: TrafficLog,
  ) {
    const settings = { ...DEFAULT_INTEGRATION_SETTINGS, ...overrides };
    this.settings = settings;
    this.client = new IntegrationClient(settings.timeoutMs, traffic);
    const context: IntegrationContext = {
      world: services.world,
      posting: services.posting,
      hub: services.hub,
      channels: services.channels,
      client: this.client,
      triggers: new TriggerIds(settings.triggerTtlMs),
      settings,
      siteUrl: () => this.siteUrl,
    };
    this.commands = new Commands(context);
    this.outgoingWebhooks = new OutgoingWebhooks(context);
    this.incomingWebhooks = new IncomingWebhooks(context);
    this.actions = new PostActions(context);
    this.dialogs = new Dialogs(context);
    services.posting.onPosted = (post) => this.outgoingWebhooks.fire(post);
  }

  /** What a world file keeps of the integrations (src/sandbox/persistence). */
  tables(): Table[] {
    return [this.commands.table(), this.outgoingWebhooks.table(), this.incomingWebhooks.table()];
  }

  /** Points every command and outgoing webhook URL that starts with `from` to `to`. */
  moveUrls(from: string, to: string): number {
    return this.commands.moveUrls(from, to) + this.outgoingWebhooks.moveUrls(from, to);
  }

  /** Resolves when every integration call started in the background (outgoing webhooks) is done. */
  settled(): Promise<void> {
    return this.outgoingWebhooks.settled();
  }

  /** Ends the calls still waiting for an integration. */
  close(): void {
    this.client.close();
  }

  /** The sandbox's URL, once it listens (the base of `response_url`). */
  setSiteUrl(url: string): void {
    this.siteUrl = url;
  }
}

/** What every integration piece works with: the sandbox's state, the HTTP client, the settings. */
import type { Channels } from "../channels.js";
import type { Hub } from "../hub.js";
import type { Posting } from "../posting.js";
import type { World } from "../world.js";
import type { IntegrationClient } from "./outbound.js";
import type { TriggerIds } from "./trigger-ids.js";

/** Server settings that change what integrations see (defaults are the recorded server's). */
export interface IntegrationSettings {
  /** The integration HTTP client's timeout (the server's is 30 s). */
  timeoutMs: number;
  /** How long a trigger id can open a dialog (3 s). */
  triggerTtlMs: number;
  /** `ServiceSettings.EnablePostUsernameOverride` (on in the recording). */
  enablePostUsernameOverride: boolean;
  /** `ServiceSettings.EnablePostIconOverride` (on in the recording). */
  enablePostIconOverride: boolean;
  /** `ServiceSettings.EnableCommands`: off, custom commands answer 501 `api.command.disabled.app_error`. */
  enableCommands: boolean;
  /** `ServiceSettings.EnableOutgoingWebhooks`: off, their REST API answers 501 `api.outgoing_webhook.disabled.app_error`. */
  enableOutgoingWebhooks: boolean;
}

export const DEFAULT_INTEGRATION_SETTINGS: IntegrationSettings = {
  timeoutMs: 30_000,
  triggerTtlMs: 3_000,
  enablePostUsernameOverride: true,
  enablePostIconOverride: true,
  enableCommands: true,
  enableOutgoingWebhooks: true,
};

export interface IntegrationContext {
  world: World;
  posting: Posting;
  hub: Hub;
  channels: Channels;
  client: IntegrationClient;
  triggers: TriggerIds;
  settings: IntegrationSettings;
  /** The sandbox's own URL (for `response_url`); known once it listens. */
  siteUrl(): string;
}

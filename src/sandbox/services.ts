import type { Channels } from "./channels.js";
import type { Hub } from "./hub.js";
import type { Posting } from "./posting.js";
import type { Preferences } from "./preferences.js";
import type { VersionProfile } from "./versions.js";
import type { World } from "./world.js";

/** What the REST routes work on. */
export interface Services {
  world: World;
  posting: Posting;
  channels: Channels;
  hub: Hub;
  preferences: Preferences;
  /** The Mattermost version the sandbox plays. */
  profile: VersionProfile;
  /** `ServiceSettings.EnableHardenedMode` (a `SandboxOptions` setting). */
  hardenedMode: boolean;
}

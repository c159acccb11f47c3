/**
 * The server's side of registration, over REST v4: teams and channels by name, the integrations
 * of a team, and the bodies `mmbot setup` sends (as the server stores them).
 */
import { MattermostApiError, MmbotError } from "../../errors.js";
import { routeUrls } from "../../http/routes.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { Channel, Command, OutgoingWebhook, Team } from "../../mattermost/types.js";
import type { OutgoingWebhookConfig, SlashCommandConfig } from "../integrations-config.js";

const ID = /^[a-z0-9]{26}$/;
const PAGE = 200;

export async function findTeam(client: MattermostClient, ref: string, key: string): Promise<Team> {
  try {
    return await (ID.test(ref) ? client.getTeam(ref) : client.getTeamByName(ref));
  } catch (error) {
    if (error instanceof MattermostApiError && (error.status === 404 || error.status === 403)) {
      throw new MmbotError(
        "SETUP_TEAM",
        `${key} = "${ref}": no such team visible to this token (use the team name from its URL, e.g. https://chat.example.com/<team>/channels/town-square)`,
        { cause: error },
      );
    }
    throw error;
  }
}

export async function findChannel(
  client: MattermostClient,
  team: Team,
  ref: string,
  key: string,
): Promise<Channel> {
  try {
    return await (ID.test(ref) ? client.getChannel(ref) : client.getChannelByName(team.id, ref));
  } catch (error) {
    if (error instanceof MattermostApiError && (error.status === 404 || error.status === 403)) {
      throw new MmbotError(
        "SETUP_CHANNEL",
        `${key} = "${ref}": no such public channel in team ${team.name} (use its name from the URL, e.g. town-square)`,
        { cause: error },
      );
    }
    throw error;
  }
}

export function listCommands(client: MattermostClient, teamId: string): Promise<Command[]> {
  return client.request<Command[]>("GET", `/commands?team_id=${teamId}&custom_only=true`);
}

export async function listOutgoingWebhooks(
  client: MattermostClient,
  teamId: string,
): Promise<OutgoingWebhook[]> {
  const all: OutgoingWebhook[] = [];
  for (let page = 0; ; page++) {
    const batch = await client.request<OutgoingWebhook[]>(
      "GET",
      `/hooks/outgoing?team_id=${teamId}&page=${page}&per_page=${PAGE}`,
    );
    all.push(...batch);
    if (batch.length < PAGE) return all;
  }
}

/** The settings of a declared command, as the server stores them. */
export function commandBody(declared: SlashCommandConfig, teamId: string, publicUrl: string) {
  return {
    team_id: teamId,
    trigger: declared.trigger,
    method: declared.method === "GET" ? "G" : "P",
    url: routeUrls.slash(publicUrl),
    auto_complete: declared.autocomplete,
    auto_complete_desc: declared.description,
    auto_complete_hint: declared.hint,
    display_name: declared.display_name,
    description: declared.description,
  };
}

export function outgoingWebhookBody(
  declared: OutgoingWebhookConfig,
  teamId: string,
  channelId: string,
  publicUrl: string,
) {
  return {
    team_id: teamId,
    channel_id: channelId,
    trigger_words: declared.trigger_words,
    trigger_when: declared.trigger_when === "starts_with" ? 1 : 0,
    callback_urls: [routeUrls.outgoingWebhook(publicUrl)],
    content_type: declared.content_type,
    display_name: declared.display_name,
    description: declared.description,
  };
}

/** Whether `existing` already has every setting of `wanted` (lists compared as sets). */
export function sameSettings(existing: object, wanted: object): boolean {
  const have = existing as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => {
    const current = have[key];
    if (Array.isArray(value) && Array.isArray(current))
      return value.length === current.length && value.every((v) => current.includes(v));
    return current === value;
  });
}

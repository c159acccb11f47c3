/**
 * Wire types of the Mattermost REST v4 and WebSocket APIs.
 * Taken from `@mattermost/types` where its shapes match what the server sends; the few that
 * the web app's package does not describe (the WebSocket envelope, error bodies) are ours.
 */
import type { Post, PostList } from "@mattermost/types/posts";
import type { UserProfile } from "@mattermost/types/users";
import type { Channel, ChannelMembership } from "@mattermost/types/channels";
import type { Team } from "@mattermost/types/teams";
import type { FileInfo } from "@mattermost/types/files";
import type { Reaction } from "@mattermost/types/reactions";
import type { Command, OutgoingWebhook } from "@mattermost/types/integrations";

export type {
  Post,
  PostList,
  UserProfile,
  Channel,
  ChannelMembership,
  Team,
  FileInfo,
  Reaction,
  Command,
  OutgoingWebhook,
};

/** Channel type letters: open, private, direct, group. */
export type ChannelType = "O" | "P" | "D" | "G";

/** Body of every JSON error the server returns. */
export interface ApiErrorBody {
  id: string;
  message: string;
  detailed_error: string;
  request_id: string;
  status_code: number;
  is_oauth?: boolean;
}

/** `broadcast` of a WebSocket event: who the server sent it to. */
export interface WebSocketBroadcast {
  omit_users: Record<string, boolean> | null;
  user_id: string;
  channel_id: string;
  team_id: string;
}

/** A server-to-client WebSocket event. `posted` carries `data.post` as a JSON string. */
export interface WebSocketEvent<D extends Record<string, unknown> = Record<string, unknown>> {
  event: string;
  data: D;
  broadcast: WebSocketBroadcast;
  seq: number;
}

/** The server's answer to a client action (`authentication_challenge`, `user_typing`, ...). */
export interface WebSocketReply {
  status: "OK" | "FAIL";
  seq_reply: number;
  data?: Record<string, unknown>;
  error?: unknown;
}

/** What `POST /api/v4/posts` takes. */
export interface CreatePostInput {
  channel_id: string;
  message: string;
  root_id?: string;
  props?: Record<string, unknown>;
  file_ids?: string[];
  /** Makes the create idempotent: the server returns the same post for the same value. */
  pending_post_id?: string;
}

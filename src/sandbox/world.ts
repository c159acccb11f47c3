/**
 * The sandbox's people and places: users and their tokens, teams, channels and who is in them,
 * indexed both ways so that broadcasting and permission checks never scan.
 */
import type { Team, WebSocketBroadcast } from "../mattermost/types.js";
import { newId } from "./ids.js";
import {
  newChannel,
  newTeam,
  type ChannelRecord,
  type MemberRecord,
  type UserRecord,
} from "./wire.js";

/** An event before it is numbered for one connection. */
export interface EventDraft {
  event: string;
  data: Record<string, unknown>;
  broadcast: WebSocketBroadcast;
}

/**
 * What the server keeps of a token (server/public/model/user_access_token.go: `id`, `expires_at`,
 * 0 = never; server/public/model/session.go for the session a token makes on first use).
 */
export interface TokenRecord {
  /** The token's id (`token_id`), not the token. */
  id: string;
  userId: string;
  /** A personal access token (a bot's), or the session of a password login. */
  kind: "access" | "login";
  /** When it stops being accepted (ms); 0: never. */
  expiresAt: number;
  /** When it was first used: its session's create_at. */
  usedAt: number | undefined;
}

/** Where events go (the WebSocket hub). */
export interface Broadcaster {
  broadcast(event: EventDraft): void;
}

/** A broadcast to a channel's members, a user, or (no target) everybody. */
export function target(to: {
  channel_id?: string;
  user_id?: string;
  team_id?: string;
  omit?: string;
}): WebSocketBroadcast {
  return {
    omit_users: to.omit ? { [to.omit]: true } : null,
    user_id: to.user_id ?? "",
    channel_id: to.channel_id ?? "",
    team_id: to.team_id ?? "",
  };
}

export class World {
  readonly users = new Map<string, UserRecord>();
  readonly teams = new Map<string, Team>();
  readonly channels = new Map<string, ChannelRecord>();
  private readonly usersByName = new Map<string, string>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly teamsByName = new Map<string, string>();
  private readonly teamMembers = new Map<string, Set<string>>();
  private readonly userTeams = new Map<string, Set<string>>();
  private readonly channelsByName = new Map<string, string>();
  private readonly members = new Map<string, Map<string, MemberRecord>>();
  private readonly userChannels = new Map<string, Set<string>>();

  createUser(input: {
    username: string;
    password: string;
    email?: string;
    first_name?: string;
    roles?: string;
    is_bot?: boolean;
  }): UserRecord {
    const username = input.username.toLowerCase();
    if (!/^[a-z0-9._-]{1,64}$/.test(username))
      throw new Error(`invalid username "${input.username}": use a-z, 0-9, . _ -`);
    if (this.usersByName.has(username))
      throw new Error(`a user named "${username}" already exists`);
    const now = Date.now();
    const user: UserRecord = {
      id: newId(),
      create_at: now,
      update_at: now,
      username,
      email: input.email ?? (input.is_bot ? `${username}@localhost` : `${username}@example.com`),
      nickname: "",
      first_name: input.first_name ?? "",
      last_name: "",
      roles: input.roles ?? "system_user",
      is_bot: input.is_bot ?? false,
      password: input.password,
      last_password_update: now,
    };
    this.putUser(user);
    return user;
  }

  /** Adds a user record as it is (a new one, or one saved in a world file). */
  putUser(user: UserRecord): void {
    this.users.set(user.id, user);
    this.usersByName.set(user.username, user.id);
  }

  userByName(username: string): UserRecord | undefined {
    const id = this.usersByName.get(username.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  /** A new token (personal access token or login session) for the user; `expiresAt` 0: never. */
  issueToken(
    userId: string,
    options: { kind?: TokenRecord["kind"]; expiresAt?: number } = {},
  ): string {
    const token = newId();
    this.tokens.set(token, {
      id: newId(),
      userId,
      kind: options.kind ?? "access",
      expiresAt: options.expiresAt ?? 0,
      usedAt: undefined,
    });
    return token;
  }

  /** A token put back from a world file (its expiry is not kept there). */
  putToken(token: string, userId: string): void {
    this.tokens.set(token, {
      id: newId(),
      userId,
      kind: "access",
      expiresAt: 0,
      usedAt: undefined,
    });
  }

  /** Every token and its user. */
  *tokenEntries(): IterableIterator<[token: string, userId: string]> {
    for (const [token, record] of this.tokens) yield [token, record.userId];
  }

  /** The user a token stands for, while the server accepts it: not revoked, not past `expires_at` (model.UserAccessToken.IsExpired). */
  userIdForToken(token: string): string | undefined {
    const record = this.tokens.get(token);
    if (!record || (record.expiresAt > 0 && Date.now() >= record.expiresAt)) return undefined;
    record.usedAt ??= Date.now();
    return record.userId;
  }

  /** The record of a token, whether the server still accepts it or not. */
  tokenRecord(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  /** The records of a user's tokens. */
  tokensOf(userId: string): TokenRecord[] {
    return [...this.tokens.values()].filter((r) => r.userId === userId);
  }

  /** Deletes a token by its value or its id (as RevokeUserAccessToken does); false when there is none. */
  revokeToken(tokenOrId: string): boolean {
    for (const [token, record] of this.tokens) {
      if (token === tokenOrId || record.id === tokenOrId) return this.tokens.delete(token);
    }
    return false;
  }

  isAdmin(userId: string): boolean {
    return this.users.get(userId)?.roles.split(" ").includes("system_admin") ?? false;
  }

  createTeam(name: string, displayName: string): Team {
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name))
      throw new Error(`invalid team name "${name}": use a-z, 0-9 and -`);
    if (this.teamsByName.has(name)) throw new Error(`a team named "${name}" already exists`);
    const team = newTeam(newId(), name, displayName, Date.now());
    this.putTeam(team);
    return team;
  }

  /** Adds a team as it is (no member yet). */
  putTeam(team: Team): void {
    this.teams.set(team.id, team);
    this.teamsByName.set(team.name, team.id);
    this.teamMembers.set(team.id, new Set());
  }

  teamByName(name: string): Team | undefined {
    const id = this.teamsByName.get(name);
    return id === undefined ? undefined : this.teams.get(id);
  }

  addToTeam(teamId: string, userId: string): void {
    const members = this.teamMembers.get(teamId);
    if (!members) throw new Error(`no team ${teamId}`);
    if (!this.users.has(userId)) throw new Error(`no user ${userId}`);
    members.add(userId);
    setOf(this.userTeams, userId).add(teamId);
  }

  isTeamMember(teamId: string, userId: string): boolean {
    return this.teamMembers.get(teamId)?.has(userId) ?? false;
  }

  teamsOf(userId: string): Team[] {
    return [...(this.userTeams.get(userId) ?? [])].map((id) => this.teams.get(id)!);
  }

  teamMemberIds(teamId: string): ReadonlySet<string> {
    return this.teamMembers.get(teamId) ?? EMPTY;
  }

  /** Adds a channel record (no member yet); team channel names are unique per team. */
  insertChannel(init: Omit<Parameters<typeof newChannel>[0], "id" | "now">): ChannelRecord {
    const key = `${init.team_id}/${init.name}`;
    if (this.channelsByName.has(key)) throw new Error(`channel "${init.name}" already exists`);
    const channel = newChannel({ ...init, id: newId(), now: Date.now() });
    this.putChannel(channel);
    return channel;
  }

  /** Adds a channel record as it is (no member yet). */
  putChannel(channel: ChannelRecord): void {
    this.channels.set(channel.id, channel);
    this.channelsByName.set(`${channel.team_id}/${channel.name}`, channel.id);
    this.members.set(channel.id, new Map());
  }

  /** A team channel by name, or a direct/group channel with `teamId` "". */
  channelByName(teamId: string, name: string): ChannelRecord | undefined {
    const id = this.channelsByName.get(`${teamId}/${name}`);
    return id === undefined ? undefined : this.channels.get(id);
  }

  /** Makes the user a member; false when it already was. */
  join(channelId: string, userId: string): boolean {
    const members = this.members.get(channelId);
    if (!members) throw new Error(`no channel ${channelId}`);
    if (!this.users.has(userId)) throw new Error(`no user ${userId}`);
    if (members.has(userId)) return false;
    const now = Date.now();
    this.putMember({
      channel_id: channelId,
      user_id: userId,
      last_viewed_at: now,
      last_update_at: now,
    });
    return true;
  }

  /** Ends a membership; false when there was none. */
  leave(channelId: string, userId: string): boolean {
    if (!this.members.get(channelId)?.delete(userId)) return false;
    this.userChannels.get(userId)?.delete(channelId);
    return true;
  }

  /** Adds a membership record as it is; its channel and user exist. */
  putMember(member: MemberRecord): void {
    this.members.get(member.channel_id)!.set(member.user_id, member);
    setOf(this.userChannels, member.user_id).add(member.channel_id);
  }

  member(channelId: string, userId: string): MemberRecord | undefined {
    return this.members.get(channelId)?.get(userId);
  }

  channelMembers(channelId: string): MemberRecord[] {
    return [...(this.members.get(channelId)?.values() ?? [])];
  }

  /** Member ids of a channel, for broadcasting (live view, do not mutate). */
  channelMemberIds(channelId: string): {
    has(id: string): boolean;
    keys(): IterableIterator<string>;
    readonly size: number;
  } {
    return this.members.get(channelId) ?? EMPTY_MAP;
  }

  channelsOf(userId: string): ChannelRecord[] {
    return [...(this.userChannels.get(userId) ?? [])].map((id) => this.channels.get(id)!);
  }

  /**
   * Members and system admins act in a channel: list its posts and members, post in it.
   * Team members who are not members may only see an open channel and its posts by id, as on the server.
   */
  canAct(userId: string, channel: ChannelRecord): boolean {
    return this.member(channel.id, userId) !== undefined || this.isAdmin(userId);
  }

  /** Members see a channel; so do team members for open channels, and system admins. */
  canRead(userId: string, channel: ChannelRecord): boolean {
    return (
      this.member(channel.id, userId) !== undefined ||
      (channel.type === "O" && this.isTeamMember(channel.team_id, userId)) ||
      this.isAdmin(userId)
    );
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const EMPTY_MAP = new Map<string, MemberRecord>();

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

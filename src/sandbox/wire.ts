/**
 * The records the sandbox keeps and the JSON the 5.37 server sends for them, keys in the
 * server's order. `@mattermost/types` describes a newer superset of these shapes, hence the
 * single cast per builder.
 */
import type {
  Channel,
  ChannelMembership,
  ChannelType,
  FileInfo,
  Post,
  Reaction,
  Team,
  UserProfile,
} from "../mattermost/types.js";

export interface UserRecord {
  id: string;
  create_at: number;
  update_at: number;
  username: string;
  email: string;
  nickname: string;
  first_name: string;
  last_name: string;
  roles: string;
  is_bot: boolean;
  password: string;
  last_password_update: number;
}

/** A user as `viewerId` sees it: only the user itself sees its notify_props. */
export function userWire(u: UserRecord, self: boolean): UserProfile {
  const out: Record<string, unknown> = {
    id: u.id,
    create_at: u.create_at,
    update_at: u.update_at,
    delete_at: 0,
    username: u.username,
    auth_data: "",
    auth_service: "",
    email: u.email,
    nickname: u.nickname,
    first_name: u.first_name,
    last_name: u.last_name,
    position: "",
    roles: u.roles,
  };
  if (self) {
    out.notify_props = {
      channel: "true",
      comments: u.is_bot ? "never" : "root",
      desktop: "mention",
      desktop_sound: "true",
      email: "true",
      first_name: "false",
      mention_keys: "",
      push: "mention",
      push_status: "away",
    };
    out.last_password_update = u.last_password_update;
  }
  out.locale = "en";
  out.timezone = { automaticTimezone: "", manualTimezone: "", useAutomaticTimezone: "true" };
  if (u.is_bot) out.is_bot = true;
  out.disable_welcome_email = false;
  return out as unknown as UserProfile;
}

export function newTeam(id: string, name: string, displayName: string, now: number): Team {
  return {
    id,
    create_at: now,
    update_at: now,
    delete_at: 0,
    display_name: displayName,
    name,
    description: "",
    email: "",
    type: "O",
    company_name: "",
    allowed_domains: "",
    invite_id: id.split("").reverse().join(""),
    allow_open_invite: false,
    scheme_id: null,
    group_constrained: null,
    policy_id: null,
  } as unknown as Team;
}

/** A channel record; the counters (`last_post_at`, `total_msg_count`...) are kept up to date. */
export interface ChannelRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  team_id: string;
  type: ChannelType;
  display_name: string;
  name: string;
  header: string;
  purpose: string;
  last_post_at: number;
  total_msg_count: number;
  extra_update_at: number;
  creator_id: string;
  scheme_id: null;
  props: null;
  group_constrained: null;
  shared: boolean | null;
  total_msg_count_root: number;
  policy_id: null;
}

export function newChannel(init: {
  id: string;
  team_id: string;
  type: ChannelType;
  name: string;
  display_name: string;
  creator_id: string;
  now: number;
}): ChannelRecord {
  return {
    id: init.id,
    create_at: init.now,
    update_at: init.now,
    delete_at: 0,
    team_id: init.team_id,
    type: init.type,
    display_name: init.display_name,
    name: init.name,
    header: "",
    purpose: "",
    last_post_at: 0,
    total_msg_count: 0,
    extra_update_at: 0,
    creator_id: init.creator_id,
    scheme_id: null,
    props: null,
    group_constrained: null,
    // the recorded server sends null for team and group channels and false for direct ones
    shared: init.type === "D" ? false : null,
    total_msg_count_root: 0,
    policy_id: null,
  };
}

export const channelWire = (c: ChannelRecord): Channel => ({ ...c }) as unknown as Channel;

export interface MemberRecord {
  channel_id: string;
  user_id: string;
  last_viewed_at: number;
  last_update_at: number;
}

export function memberWire(m: MemberRecord, channel: ChannelRecord): ChannelMembership {
  return {
    channel_id: m.channel_id,
    user_id: m.user_id,
    roles: "channel_user",
    last_viewed_at: m.last_viewed_at,
    msg_count: channel.total_msg_count,
    mention_count: 0,
    mention_count_root: 0,
    msg_count_root: channel.total_msg_count_root,
    notify_props: {
      desktop: "default",
      email: "default",
      ignore_channel_mentions: "default",
      mark_unread: "all",
      push: "default",
    },
    last_update_at: m.last_update_at,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: false,
    explicit_roles: "",
  } as unknown as ChannelMembership;
}

export interface FileRecord {
  id: string;
  user_id: string;
  post_id: string;
  channel_id: string;
  create_at: number;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
  bytes: Buffer;
}

/** A file info; `post_id` appears once the file is attached, as in the recorded post metadata. */
export function fileWire(f: FileRecord): FileInfo {
  const out: Record<string, unknown> = { id: f.id, user_id: f.user_id };
  if (f.post_id) out.post_id = f.post_id;
  Object.assign(out, {
    channel_id: "",
    create_at: f.create_at,
    update_at: f.create_at,
    delete_at: 0,
    name: f.name,
    extension: f.extension,
    size: f.size,
    mime_type: f.mime_type,
    mini_preview: null,
    remote_id: "",
  });
  return out as unknown as FileInfo;
}

export interface ReactionRecord {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
}

export function reactionWire(r: ReactionRecord, removedAt?: number): Reaction {
  return {
    user_id: r.user_id,
    post_id: r.post_id,
    emoji_name: r.emoji_name,
    create_at: removedAt === undefined ? r.create_at : 0,
    update_at: removedAt ?? r.create_at,
    delete_at: 0,
    remote_id: "",
  } as unknown as Reaction;
}

export interface PostRecord {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  is_pinned: boolean;
  user_id: string;
  channel_id: string;
  root_id: string;
  original_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  hashtags: string;
  file_ids: string[];
  pending_post_id: string;
  /** Position in its channel's post list (the list only grows). */
  channelIndex: number;
}

/** A post as the server sends it; `metadata` is left out where the server leaves it out. */
export function postWire(
  p: PostRecord,
  replyCount: number,
  metadata: Record<string, unknown> | undefined,
): Post {
  const out: Record<string, unknown> = {
    id: p.id,
    create_at: p.create_at,
    update_at: p.update_at,
    edit_at: p.edit_at,
    delete_at: p.delete_at,
    is_pinned: p.is_pinned,
    user_id: p.user_id,
    channel_id: p.channel_id,
    root_id: p.root_id,
    parent_id: p.root_id,
    original_id: p.original_id,
    message: p.message,
    type: p.type,
    props: p.props,
    hashtags: p.hashtags,
  };
  if (p.file_ids.length > 0) out.file_ids = p.file_ids;
  out.pending_post_id = p.pending_post_id;
  out.reply_count = replyCount;
  out.last_reply_at = 0;
  out.participants = null;
  if (metadata) out.metadata = metadata;
  return out as unknown as Post;
}

/** `#words` of a message, as the server fills `hashtags`. */
export function hashtagsOf(message: string): string {
  if (!message.includes("#")) return "";
  const tags = message.match(/(?<=^|\s)#[A-Za-z][\w.-]*\w/g);
  return tags ? tags.join(" ") : "";
}

/**
 * Channels in the server's list order: by display name, byte-wise as PostgreSQL compares with the
 * C collation (DMs, whose stored display name is empty, first; "Town Square" before "ops").
 */
export function byDisplayName<T extends { display_name: string }>(channels: T[]): T[] {
  return channels.sort((a, b) =>
    a.display_name < b.display_name ? -1 : a.display_name > b.display_name ? 1 : 0,
  );
}

/** The wire shapes the page reads (the fields it uses of Mattermost's). */

export interface User {
  id: string;
  username: string;
  first_name?: string;
  is_bot?: boolean;
  roles?: string;
}

export interface Channel {
  id: string;
  team_id: string;
  type: "O" | "P" | "D" | "G";
  name: string;
  display_name: string;
  last_post_at: number;
}

export interface ChannelMember {
  channel_id: string;
  user_id: string;
  last_viewed_at: number;
}

export interface FileInfo {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  extension: string;
}

export interface Reaction {
  user_id: string;
  post_id: string;
  emoji_name: string;
}

export interface ActionOption {
  text: string;
  value: string;
}

export interface Action {
  id: string;
  name: string;
  type?: "button" | "select";
  style?: string;
  data_source?: "" | "users" | "channels";
  options?: ActionOption[] | null;
  default_option?: string;
}

export interface Attachment {
  color?: string;
  pretext?: string;
  author_name?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fields?: Array<{ title: string; value: string; short?: boolean }> | null;
  image_url?: string;
  footer?: string;
  actions?: Action[] | null;
}

export interface Post {
  id: string;
  create_at: number;
  edit_at: number;
  delete_at: number;
  user_id: string;
  channel_id: string;
  root_id: string;
  message: string;
  type: string;
  props: { attachments?: Attachment[]; override_username?: string; from_bot?: string } & Record<
    string,
    unknown
  >;
  file_ids?: string[];
  reply_count?: number;
  metadata?: { files?: FileInfo[]; reactions?: Reaction[] };
  /** Set by the page: an ephemeral post, shown to this user only. */
  ephemeral?: boolean;
}

export interface PostList {
  order: string[];
  posts: Record<string, Post>;
}

export interface Command {
  trigger: string;
  display_name?: string;
  description?: string;
  auto_complete_hint?: string;
  auto_complete_desc?: string;
}

export interface DialogElement {
  display_name: string;
  name: string;
  type: string;
  subtype: string;
  default: string;
  placeholder: string;
  help_text: string;
  optional: boolean;
  min_length: number;
  max_length: number;
  data_source: string;
  options: ActionOption[] | null;
}

export interface OpenedDialog {
  trigger_id: string;
  url: string;
  dialog: {
    callback_id: string;
    title: string;
    introduction_text: string;
    elements: DialogElement[] | null;
    submit_label: string;
    notify_on_cancel: boolean;
    state: string;
  };
}

export interface WsEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: { channel_id: string; user_id: string; team_id: string };
  seq: number;
}

/** The sandbox's own type: the page shows what the sandbox records. */
export type { TrafficEntry } from "../../src/sandbox/traffic";

/** The sandbox's REST API as the page calls it: Mattermost's v4 with a session token, and the page's `/sandbox` endpoints. */
import type { Channel, ChannelMember, Command, FileInfo, Post, PostList, User } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

async function request<T>(
  method: string,
  path: string,
  token: string | undefined,
  body?: BodyInit | object,
): Promise<{ data: T; response: Response }> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const text = await response.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = text;
  }
  if (!response.ok) {
    const message =
      (data as { message?: string } | undefined)?.message ??
      `${method} ${path}: ${response.status}`;
    throw new ApiError(response.status, message, data);
  }
  return { data: data as T, response };
}

/** Logs in with the sandbox's password convention (`sandbox-<name>`); resolves with the session token. */
export async function login(username: string): Promise<string> {
  const { response } = await request<User>("POST", "/api/v4/users/login", undefined, {
    login_id: username,
    password: `sandbox-${username}`,
  });
  const token = response.headers.get("Token");
  if (!token) throw new Error("the sandbox answered the login without a Token header");
  return token;
}

export interface SandboxUser {
  id: string;
  username: string;
  is_bot: boolean;
}

export const sandboxUsers = async (): Promise<SandboxUser[]> =>
  (await request<SandboxUser[]>("GET", "/sandbox/users", undefined)).data;
export const addSandboxUser = async (username: string): Promise<User> =>
  (await request<User>("POST", "/sandbox/users", undefined, { username })).data;

export interface ActionAnswer {
  update?: unknown;
  ephemeral_text?: string;
}

export interface DialogAnswer {
  error?: string;
  errors?: Record<string, string>;
}

/** The calls of one signed-in user. */
export class Api {
  constructor(readonly token: string) {}

  private async call<T>(method: string, path: string, body?: BodyInit | object): Promise<T> {
    return (await request<T>(method, `/api/v4${path}`, this.token, body)).data;
  }

  me = () => this.call<User>("GET", "/users/me");
  teams = () =>
    this.call<Array<{ id: string; name: string; display_name: string }>>("GET", "/users/me/teams");
  channels = (teamId: string) => this.call<Channel[]>("GET", `/users/me/teams/${teamId}/channels`);
  myMember = (channelId: string) =>
    this.call<ChannelMember>("GET", `/channels/${channelId}/members/me`);
  viewChannel = (channelId: string) =>
    this.call<unknown>("POST", "/channels/members/me/view", { channel_id: channelId });
  direct = (me: string, other: string) =>
    this.call<Channel>("POST", "/channels/direct", [me, other]);
  posts = (channelId: string) =>
    this.call<PostList>("GET", `/channels/${channelId}/posts?per_page=200`);
  thread = (postId: string) => this.call<PostList>("GET", `/posts/${postId}/thread`);
  createPost = (post: {
    channel_id: string;
    message: string;
    root_id?: string;
    file_ids?: string[];
  }) => this.call<Post>("POST", "/posts", post);
  editPost = (postId: string, message: string) =>
    this.call<Post>("PUT", `/posts/${postId}/patch`, { message });
  deletePost = (postId: string) => this.call<unknown>("DELETE", `/posts/${postId}`);
  react = (userId: string, postId: string, emoji: string) =>
    this.call<unknown>("POST", "/reactions", {
      user_id: userId,
      post_id: postId,
      emoji_name: emoji,
    });
  unreact = (postId: string, emoji: string) =>
    this.call<unknown>("DELETE", `/users/me/posts/${postId}/reactions/${emoji}`);
  commands = (teamId: string) => this.call<Command[]>("GET", `/commands?team_id=${teamId}`);
  execute = (args: { channel_id: string; team_id: string; command: string; root_id?: string }) =>
    this.call<unknown>("POST", "/commands/execute", args);
  clickAction = (postId: string, actionId: string, selectedOption?: string) =>
    this.call<ActionAnswer>(
      "POST",
      `/posts/${postId}/actions/${actionId}`,
      selectedOption === undefined ? {} : { selected_option: selectedOption },
    );
  submitDialog = (body: Record<string, unknown>) =>
    this.call<DialogAnswer>("POST", "/actions/dialogs/submit", body);

  upload(channelId: string, files: File[]): Promise<{ file_infos: FileInfo[] }> {
    const form = new FormData();
    form.append("channel_id", channelId);
    for (const file of files) form.append("files", file, file.name);
    return this.call("POST", "/files", form);
  }

  /** A file's bytes (the download needs the session header, which a plain link cannot send). */
  async fileBlob(fileId: string): Promise<Blob> {
    const response = await fetch(`/api/v4/files/${fileId}`, {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!response.ok)
      throw new ApiError(response.status, `download failed: ${response.status}`, undefined);
    return response.blob();
  }
}

/**
 * `mmbot chat`: a terminal chat as a Mattermost user, to talk to a bot by hand. It logs in
 * (password or personal access token), follows the user's channels over the WebSocket, and
 * shows posts, thread replies and "is typing" live above the input line.
 */
import { createInterface, type Interface } from "node:readline";
import { MattermostApiError, MmbotError } from "../../errors.js";
import { MattermostClient } from "../../mattermost/rest.js";
import type { Channel, Post, Team, UserProfile } from "../../mattermost/types.js";
import type { Envelope } from "../../bot/envelope.js";
import { WebSocketFeed } from "../../sources/websocket.js";
import { ChatView } from "./view.js";

export interface ChatOptions {
  url: string;
  /** Sandbox users have the password `sandbox-<name>`. Default: alice. */
  user?: string;
  password?: string;
  /** A personal access token instead of a password. */
  token?: string;
  /** The channel to open first (name, as in the URL). Default: town-square. */
  channel?: string;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Whether to draw a prompt and redraw it (default: when the output is a terminal). */
  terminal?: boolean;
}

const HELP = [
  "Type a message and press Enter to post it. Commands:",
  "  /join <channel>     switch channel (/channels lists them)",
  "  /dm <username>      switch to a direct message",
  "  /thread <n> | off   reply in the thread of post #n, or post in the channel again",
  "  /click <n> <k>      click button k of post #n (buttons show as [k Label])",
  "  /history            the last posts of this channel",
  "  /<command> …        any other slash command goes to the server (e.g. /todo list)",
  "  /channels           your channels",
  "  /quit               leave",
].join("\n");

/** Resolves when the user quits (or the input ends). */
export async function runChat(options: ChatOptions): Promise<void> {
  const url = options.url.replace(/\/+$/, "");
  const output = options.output ?? process.stdout;
  const username = options.user ?? "alice";
  const token =
    options.token ?? (await logIn(url, username, options.password ?? `sandbox-${username}`));
  const client = new MattermostClient({ url, token, retry: { attempts: 2 } });
  const me = await client.getMe();
  const team = await firstTeam(client);
  const terminal = options.terminal ?? Boolean((output as NodeJS.WriteStream).isTTY);
  const rl = createInterface({
    input: options.input ?? process.stdin,
    output,
    terminal,
    prompt: "",
  });
  const view = new ChatView(me, (text) => printAbove(rl, output, terminal, text));
  const session = new ChatSession(client, me, team, view);

  // lines typed while we connect wait in this queue (readline drops lines nobody listens for)
  let queue: Promise<unknown> = session.open(options.channel ?? "town-square");
  const refreshPrompt = () => {
    rl.setPrompt(session.prompt());
    if (terminal) rl.prompt(true);
  };
  const finished = new Promise<void>((resolve) => {
    rl.on("line", (line) => {
      queue = queue.then(async () => {
        try {
          if ((await session.input(line.trim())) === "quit") rl.close();
        } catch (error) {
          view.notice(`✗ ${describe(error)}`);
        }
        refreshPrompt();
      });
    });
    rl.on(
      "close",
      () =>
        void queue.then(
          () => resolve(),
          () => resolve(),
        ),
    );
  });

  const receiver = new WebSocketFeed({
    url,
    token,
    client,
    onEnvelope: (event) =>
      void session.onEvent(event).catch((error) => view.notice(`(${describe(error)})`)),
    onStateChange: (state) => {
      if (state === "reconnecting") view.notice("(connection lost, reconnecting…)");
    },
  });
  const connected = queue.then(async () => {
    await receiver.start();
    view.notice(`You are @${me.username} on ${url}. /help for commands.`);
    await session.history();
    refreshPrompt();
  });
  queue = connected;
  try {
    await connected;
  } catch (error) {
    rl.close();
    await receiver.stop();
    throw error;
  }
  await finished;
  await receiver.stop();
}

/** What the chat is doing: which channel, which thread, and the posts shown so far. */
class ChatSession {
  private channel!: Channel;
  private threadRoot: Post | undefined;
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly client: MattermostClient,
    private readonly me: UserProfile,
    private readonly team: Team,
    private readonly view: ChatView,
  ) {}

  prompt(): string {
    const where =
      this.channel.type === "D"
        ? `@${this.view.directPartnerName(this.channel)}`
        : `~${this.channel.name}`;
    return this.threadRoot
      ? `${where} (thread #${this.view.numberOf(this.threadRoot.id)})> `
      : `${where}> `;
  }

  async open(name: string): Promise<void> {
    const channel = await this.client.getChannelByName(this.team.id, name);
    await this.switchTo(channel);
  }

  async input(line: string): Promise<"quit" | undefined> {
    if (line === "") return undefined;
    if (!line.startsWith("/")) {
      await this.client.createPost({
        channel_id: this.channel.id,
        message: line,
        root_id: this.threadRoot?.id ?? "",
      });
      return undefined;
    }
    const [command = "", ...args] = line.slice(1).split(/\s+/);
    const arg = args.join(" ");
    switch (command) {
      case "quit":
      case "exit":
        return "quit";
      case "help":
        this.view.notice(HELP);
        return undefined;
      case "join":
        if (!arg) throw new MmbotError("chat_usage", "usage: /join <channel>");
        await this.open(arg.replace(/^~/, ""));
        await this.history();
        return undefined;
      case "dm": {
        if (!arg) throw new MmbotError("chat_usage", "usage: /dm <username>");
        const other = await this.client.getUserByUsername(arg.replace(/^@/, ""));
        await this.switchTo(await this.client.createDirectChannel(this.me.id, other.id));
        await this.history();
        return undefined;
      }
      case "thread": {
        if (arg === "off" || arg === "") {
          this.threadRoot = undefined;
          return undefined;
        }
        const post = this.view.postNumbered(Number(arg.replace(/^#/, "")));
        if (!post)
          throw new MmbotError(
            "chat_usage",
            `there is no post #${arg} (numbers are shown before each post)`,
          );
        this.threadRoot = post.root_id ? await this.client.getPost(post.root_id) : post;
        if (this.threadRoot.channel_id !== this.channel.id)
          await this.switchTo(await this.client.getChannel(this.threadRoot.channel_id));
        return undefined;
      }
      case "click": {
        const [postNumber, buttonNumber] = args.map((a) => Number(a.replace(/^#/, "")));
        const post = this.view.postNumbered(postNumber ?? NaN);
        const action = this.view.actionsOf(postNumber ?? NaN)[(buttonNumber ?? NaN) - 1];
        if (!post || !action)
          throw new MmbotError(
            "chat_usage",
            "usage: /click <post number> <button number>, as shown: [1 Done]",
          );
        if (action.type === "select")
          throw new MmbotError("chat_usage", "menus can't be used here: use the Mattermost app");
        await this.client.request(
          "POST",
          `/posts/${post.id}/actions/${encodeURIComponent(action.id)}`,
          {},
        );
        return undefined;
      }
      case "history":
        await this.history();
        return undefined;
      case "channels": {
        const mine = await this.client.getMyChannels(this.team.id);
        for (const c of mine) {
          this.channels.set(c.id, c);
          // a DM's display_name is "" on a real server: its name holds the two user ids
          if (c.type === "D") await this.view.learnDirect(c, this.client);
        }
        this.view.notice(
          mine
            .map((c) => (c.type === "D" ? `  @${this.view.directPartnerName(c)}` : `  ~${c.name}`))
            .join("\n"),
        );
        return undefined;
      }
      default:
        // anything else is a slash command for the server (e.g. /todo list), as the web app does
        await this.client.request("POST", "/commands/execute", {
          channel_id: this.channel.id,
          team_id: this.team.id,
          command: line,
          root_id: this.threadRoot?.id ?? "",
        });
        return undefined;
    }
  }

  async history(): Promise<void> {
    const list = await this.client.getChannelPosts(this.channel.id, { perPage: 20 });
    const posts = list.order.map((id) => list.posts[id]!).reverse();
    for (const post of posts) await this.show(post);
  }

  async onEvent(event: Envelope): Promise<void> {
    if (event.kind === "message") {
      await this.show(event.post);
    } else if (event.kind !== "event") {
      return;
    } else if (event.name === "post_edited" && event.post) {
      this.view.edited(event.post, await this.client.getUser(event.post.user_id));
    } else if (event.name === "ephemeral_message" && typeof event.data.post === "string") {
      const post = JSON.parse(event.data.post) as Post;
      this.view.ephemeral(post, await this.client.getUser(post.user_id).catch(() => undefined));
    } else if (event.name === "open_dialog" && typeof event.data.dialog === "string") {
      const opened = JSON.parse(event.data.dialog) as { dialog?: { title?: string } };
      this.view.notice(
        `(the integration opened a dialog "${opened.dialog?.title ?? ""}": dialogs need the Mattermost app)`,
      );
    } else if (event.name === "typing") {
      const userId = String(event.data.user_id ?? "");
      if (userId !== this.me.id && event.broadcast.channel_id === this.channel.id) {
        this.view.typing(await this.client.getUser(userId));
      }
    }
  }

  private async show(post: Post): Promise<void> {
    const sender = await this.client.getUser(post.user_id);
    const channel = await this.channelOf(post.channel_id);
    this.view.post(post, sender, channel, channel.id === this.channel.id);
  }

  private async switchTo(channel: Channel): Promise<void> {
    this.channels.set(channel.id, channel);
    if (channel.type === "D") await this.view.learnDirect(channel, this.client);
    this.channel = channel;
    this.threadRoot = undefined;
    this.view.notice(
      channel.type === "D"
        ? `— direct messages with @${this.view.directPartnerName(channel)} —`
        : `— ~${channel.name} —`,
    );
  }

  private async channelOf(id: string): Promise<Channel> {
    let channel = this.channels.get(id);
    if (!channel) {
      channel = await this.client.getChannel(id);
      this.channels.set(id, channel);
      if (channel.type === "D") await this.view.learnDirect(channel, this.client);
    }
    return channel;
  }
}

async function logIn(url: string, username: string, password: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/v4/users/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ login_id: username, password }),
    });
  } catch (error) {
    throw new MmbotError(
      "chat_unreachable",
      `cannot reach ${url}: is the sandbox running? Start it with "npm start" in another terminal`,
      { cause: error },
    );
  }
  const token = response.headers.get("token");
  if (!response.ok || !token) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new MmbotError(
      "chat_login",
      `login as ${username} failed (${response.status}): ${body.message ?? "no reason given"}; use --password, or --token with a personal access token`,
    );
  }
  return token;
}

async function firstTeam(client: MattermostClient): Promise<Team> {
  const [team] = await client.getMyTeams();
  if (!team) throw new MmbotError("chat_no_team", "this user is in no team: add it to one first");
  return team;
}

/** Prints a line above the prompt without breaking what the user is typing. */
function printAbove(
  rl: Interface,
  output: NodeJS.WritableStream,
  terminal: boolean,
  text: string,
): void {
  if (!terminal) {
    output.write(`${text}\n`);
    return;
  }
  output.write("\r\x1b[2K");
  output.write(`${text}\n`);
  rl.prompt(true);
}

function describe(error: unknown): string {
  // the server's own words, without our method and path
  if (error instanceof MattermostApiError && typeof error.body === "object" && error.body.message)
    return error.body.message;
  return error instanceof Error ? error.message : String(error);
}

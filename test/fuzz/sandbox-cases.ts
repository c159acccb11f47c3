/**
 * Cases for the sandbox's write routes (REST v4, incoming webhooks, command responses): the
 * requests a client sends (the shapes of test/fixtures/mattermost/rest), made hostile; forged
 * sessions on the routes that need one.
 */
import { hostileBody, type Fields } from "./mutations.js";
import type { Rng } from "./random.js";
import type { HttpCase } from "./storm.js";

/** What the cases point at: the seeded world and the integrations registered for the run. */
export interface SandboxTargets {
  aliceToken: string;
  botToken: string;
  aliceId: string;
  botId: string;
  teamId: string;
  channelId: string;
  /** A post of alice's (to patch, react to). */
  postId: string;
  /** A post of the bot's with an integration button `fuzzbtn`. */
  buttonPostId: string;
  incomingHookId: string;
  integrationUrl: string;
}

export const SANDBOX_LIMIT_BYTES = 64 * 1024;

interface SandboxRoute {
  route: string;
  method: "POST" | "PUT";
  path: (rng: Rng) => string;
  seed: Fields;
  /** The caller's token; undefined: a public route (no session). */
  token?: string;
  form?: boolean;
}

function routes(t: SandboxTargets, rng: Rng): SandboxRoute[] {
  const oddId = () =>
    rng.pick([
      t.postId,
      t.postId,
      t.postId,
      "x",
      "0".repeat(26),
      "%00",
      "a".repeat(300),
      "..",
      "nope_id",
    ]);
  return [
    {
      route: "POST /api/v4/posts",
      method: "POST",
      path: () => `/api/v4/posts${rng.chance(0.1) ? "?set_online=false" : ""}`,
      token: t.aliceToken,
      seed: {
        channel_id: t.channelId,
        message: "hello",
        root_id: "",
        props: { a: 1 },
        file_ids: [],
        pending_post_id: "",
      },
    },
    {
      route: "POST /api/v4/posts/ephemeral",
      method: "POST",
      path: () => "/api/v4/posts/ephemeral",
      token: t.botToken,
      seed: { user_id: t.aliceId, post: { channel_id: t.channelId, message: "psst" } },
    },
    {
      route: "PUT /api/v4/posts/:id/patch",
      method: "PUT",
      path: () => `/api/v4/posts/${oddId()}/patch`,
      token: t.aliceToken,
      seed: { message: "edited", props: { b: 2 }, is_pinned: false },
    },
    {
      route: "PUT /api/v4/posts/:id",
      method: "PUT",
      path: () => `/api/v4/posts/${oddId()}`,
      token: t.aliceToken,
      seed: { id: t.postId, message: "updated" },
    },
    {
      route: "POST /api/v4/reactions",
      method: "POST",
      path: () => "/api/v4/reactions",
      token: t.aliceToken,
      seed: { user_id: t.aliceId, post_id: t.postId, emoji_name: "smile" },
    },
    {
      route: "POST /api/v4/commands/execute",
      method: "POST",
      path: () => "/api/v4/commands/execute",
      token: t.aliceToken,
      seed: { channel_id: t.channelId, team_id: t.teamId, command: "/fuzz hello", root_id: "" },
    },
    {
      route: "POST /api/v4/posts/:id/actions/:action",
      method: "POST",
      path: () =>
        `/api/v4/posts/${rng.chance(0.8) ? t.buttonPostId : oddId()}/actions/${rng.pick(["fuzzbtn", "fuzzbtn", "nope", "a_b"])}`,
      token: t.aliceToken,
      seed: { selected_option: "one" },
    },
    {
      route: "POST /api/v4/actions/dialogs/submit",
      method: "POST",
      path: () => "/api/v4/actions/dialogs/submit",
      token: t.aliceToken,
      seed: {
        url: `${t.integrationUrl}/dialog`,
        callback_id: "cb",
        state: "s",
        channel_id: t.channelId,
        team_id: t.teamId,
        submission: { text: "x", flag: true },
        cancelled: false,
      },
    },
    {
      route: "POST /api/v4/actions/dialogs/open",
      method: "POST",
      path: () => "/api/v4/actions/dialogs/open",
      token: t.botToken,
      seed: {
        trigger_id: "nosuchtrigger",
        url: `${t.integrationUrl}/dialog`,
        dialog: {
          callback_id: "cb",
          title: "T",
          elements: [{ display_name: "Text", name: "text", type: "text" }],
        },
      },
    },
    {
      route: "POST /hooks/:id (incoming webhook)",
      method: "POST",
      path: () => `/hooks/${rng.chance(0.85) ? t.incomingHookId : oddId()}`,
      seed: {
        text: "from a hook",
        username: "hooky",
        attachments: [{ text: "a" }],
        props: { p: 1 },
      },
    },
    {
      route: "POST /hooks/:id (incoming, form)",
      method: "POST",
      path: () => `/hooks/${t.incomingHookId}`,
      form: true,
      seed: { payload: JSON.stringify({ text: "from a form hook" }) },
    },
    {
      route: "POST /hooks/commands/:id",
      method: "POST",
      path: () => `/hooks/commands/${oddId()}`,
      seed: { text: "late answer", response_type: "in_channel" },
    },
    {
      route: "POST /api/v4/users/login",
      method: "POST",
      path: () => "/api/v4/users/login",
      seed: { login_id: "alice", password: "sandbox-alice" },
    },
    {
      route: "POST /api/v4/channels",
      method: "POST",
      path: () => "/api/v4/channels",
      token: t.aliceToken,
      seed: { team_id: t.teamId, name: `fuzz${rng.int(0, 1e9)}`, display_name: "Fuzz", type: "O" },
    },
    {
      route: "POST /api/v4/hooks/incoming",
      method: "POST",
      path: () => "/api/v4/hooks/incoming",
      token: t.botToken,
      seed: { channel_id: t.channelId, display_name: "fuzz" },
    },
    {
      route: "POST /api/v4/commands",
      method: "POST",
      path: () => "/api/v4/commands",
      token: t.botToken,
      seed: {
        team_id: t.teamId,
        trigger: `f${rng.int(0, 1e9)}`,
        url: `${t.integrationUrl}/cmd`,
        method: "P",
      },
    },
  ];
}

const FORGED_AUTH = [
  undefined,
  "",
  "Bearer",
  "Bearer ",
  "Bearer nosuchtoken",
  "Token x y",
  "Basic YWxpY2U6cGFzcw==",
  "bearer  ",
  `Bearer ${"a".repeat(5000)}`,
];

function multipartCase(rng: Rng, t: SandboxTargets): HttpCase {
  const boundary = rng.pick(["xyz", "", "a".repeat(200), "--", 'b"q']);
  const part = (name: string, filename: string | undefined, data: Buffer) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? "" : `; filename="${filename}"`}\r\n\r\n`,
      ),
      data,
      Buffer.from("\r\n"),
    ]);
  let body: Buffer = Buffer.concat([
    part("channel_id", undefined, Buffer.from(t.channelId)),
    part("files", rng.pick(["a.txt", "", "../../x", "\u0000.bin"]), rng.bytes(rng.int(0, 2000))),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const mutation = rng.pick([
    "valid",
    "truncated",
    "flipped bytes",
    "wrong boundary",
    "random bytes",
  ]);
  if (mutation === "truncated") body = body.subarray(0, rng.int(0, body.length));
  if (mutation === "flipped bytes")
    for (let i = 0; i < 8; i++) body[rng.int(0, body.length - 1)] = rng.int(0, 255);
  if (mutation === "random bytes") body = rng.bytes(rng.int(0, 3000));
  const contentType =
    mutation === "wrong boundary"
      ? "multipart/form-data; boundary=other"
      : rng.pick([
          `multipart/form-data; boundary=${boundary}`,
          `multipart/form-data; boundary="${boundary}"`,
          "multipart/form-data",
          "application/json",
        ]);
  return {
    route: "POST /api/v4/files",
    mutation,
    method: "POST",
    path: "/api/v4/files",
    headers: { authorization: `Bearer ${t.aliceToken}`, "content-type": contentType },
    body,
  };
}

/** One case; `forged` when its session is (the route must answer 401). */
export function sandboxCase(rng: Rng, t: SandboxTargets): HttpCase & { forged: boolean } {
  if (rng.chance(0.06)) return { ...multipartCase(rng, t), forged: false };
  const spec = rng.pick(routes(t, rng));
  const forged = spec.token !== undefined && rng.chance(0.15);
  const hostile = forged
    ? {
        mutation: "forged session",
        body: Buffer.from(JSON.stringify(spec.seed)),
        contentType: "application/json",
      }
    : hostileBody(rng, spec.seed, spec.form ? "form" : "json", SANDBOX_LIMIT_BYTES);
  const headers: Record<string, string> =
    hostile.contentType === undefined ? {} : { "content-type": hostile.contentType };
  const auth = forged ? rng.pick(FORGED_AUTH) : spec.token && `Bearer ${spec.token}`;
  if (auth !== undefined) headers.authorization = auth;
  return {
    route: spec.route,
    mutation: hostile.mutation,
    method: spec.method,
    path: spec.path(rng),
    headers,
    body: hostile.body,
    forged,
  };
}

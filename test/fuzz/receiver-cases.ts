/**
 * Cases for the bot's HTTP receiver, from the recorded requests Mattermost sends
 * (test/fixtures/mattermost/integrations): hostile bodies with real credentials, so that they
 * get past the checks; forged credentials on otherwise valid requests, which must be refused
 * (401/403) before any handler; odd methods and paths.
 */
import { readFileSync } from "node:fs";
import { signActionContext, signDialog } from "../../src/http/signature.js";
import { deepJson, encode, hostileBody, type Encoding, type Fields } from "./mutations.js";
import type { Rng } from "./random.js";
import type { HttpCase } from "./storm.js";

export const HOOK_TOKEN = "fuzzhooktokenfuzzhooktoken1";
export const SLASH_TOKEN = "fuzzslashtokenfuzzslashtoken";
export const ACTION_SECRET = "fuzz-action-secret-0123456789abcdef";
/** Put into every forged request: no handler may ever see it. */
export const FORGED_MARK = "fuzz-forged-request";
const ACTION_ID = "tododone1";
const DAY_MS = 24 * 3600_000;

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(
      new URL(`../fixtures/mattermost/integrations/${name}.json`, import.meta.url),
      "utf8",
    ),
  );
const withToken = (fields: Fields, token: string): Fields => ({ ...fields, token });

const SEEDS = {
  hookForm: withToken(fixture("outgoing-webhook-form").sent_by_server.parsed_body, HOOK_TOKEN),
  hookJson: withToken(
    fixture("outgoing-webhook-json-in-thread").sent_by_server.parsed_body,
    HOOK_TOKEN,
  ),
  slash: withToken(fixture("slash-command").post_request.parsed_body, SLASH_TOKEN),
  click: fixture("interactive-actions").click_button.sent_by_server.parsed_body as Fields,
  dialog: fixture("dialog-submission").sent_by_server[0].parsed_body as Fields,
};

/** Sample ids that the real server would send, for the requests a test needs to succeed. */
export interface Ids {
  channelId: string;
  userId: string;
  teamId: string;
}

function signedClick(ids: Ids, actionId = ACTION_ID, expiresAtMs = Date.now() + DAY_MS): Fields {
  const context = signActionContext(ACTION_SECRET, {
    actionId,
    channelId: ids.channelId,
    expiresAtMs,
    data: { item: 1 },
  });
  return {
    ...SEEDS.click,
    channel_id: ids.channelId,
    user_id: ids.userId,
    team_id: ids.teamId,
    context,
  };
}

function dialogQuery(
  callbackId: string,
  ids: Ids,
  expiresAtMs = Date.now() + DAY_MS,
): URLSearchParams {
  return signDialog(
    ACTION_SECRET,
    { callbackId, channelId: ids.channelId, userId: ids.userId, notifyOnCancel: false },
    expiresAtMs,
  );
}

function dialogFields(ids: Ids): Fields {
  return {
    ...SEEDS.dialog,
    callback_id: "todoadd",
    channel_id: ids.channelId,
    user_id: ids.userId,
    team_id: ids.teamId,
  };
}

/** The valid requests of each route, the ones sent after the storm to show that the bot still works. */
export const validRequests = {
  slash: (ids: Ids, text: string): HttpCase => ({
    route: "POST /slash (form)",
    mutation: "valid",
    method: "POST",
    path: "/slash",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: encode(
      {
        ...SEEDS.slash,
        command: "/todo",
        text,
        channel_id: ids.channelId,
        user_id: ids.userId,
        team_id: ids.teamId,
        response_url: "",
      },
      "form",
    ),
  }),
};

/** A query string as a path can carry it: bytes a request line may not hold are %-escaped. */
function asQuery(bytes: Buffer): string {
  let out = "";
  for (const b of bytes)
    out +=
      b > 0x20 && b < 0x7f && b !== 0x23
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, "0")}`;
  return out;
}

interface RouteSpec {
  route: string;
  method: string;
  path: (rng: Rng) => string;
  encoding: Encoding;
  seed: (ids: Ids) => Fields;
  /** A forged variant of the valid request: the credential is wrong and nothing else. */
  forge: (rng: Rng, ids: Ids) => HttpCase;
}

const contentTypeOf = (encoding: Encoding) =>
  encoding === "json" ? "application/json" : "application/x-www-form-urlencoded";

function forgedToken(rng: Rng, real: string): string | undefined {
  return rng.pick([
    undefined,
    "",
    " ",
    real.slice(0, -1),
    `${real}x`,
    real.toUpperCase(),
    `${real}\u0000`,
    "Token",
    rng.nastyString(),
    "x".repeat(10_000),
  ]);
}

function tokenForgery(
  route: string,
  path: string,
  encoding: Encoding,
  seed: Fields,
  real: string,
  slash: boolean,
) {
  return (rng: Rng): HttpCase => {
    const fields: Fields = { ...seed, user_name: FORGED_MARK, text: FORGED_MARK };
    const token = forgedToken(rng, real);
    if (token === undefined) delete fields.token;
    else fields.token = token;
    const headers: Record<string, string> = { "content-type": contentTypeOf(encoding) };
    // a forged header must not win over (or be rescued by) the field
    if (slash && rng.chance(0.4))
      headers.authorization = rng.pick([
        `Token ${forgedToken(rng, real) ?? ""}`,
        `Bearer ${real}`,
        `Token ${real} extra`,
        `Token`,
        `token  ${real.slice(1)}`,
      ]);
    return {
      route,
      mutation: "forged token",
      method: "POST",
      path,
      headers,
      body: encode(fields, encoding),
    };
  };
}

/** A placeholder for JSON too deep to build as a value (JSON.stringify would overflow the stack): `DEEP<depth>:<kind>`. */
const DEEP = "\u0000DEEP";

function withDeepJson(body: Buffer): Buffer {
  const text = body.toString("utf8");
  const at = /"\\u0000DEEP(\d+):(array|object)"/.exec(text);
  return at
    ? Buffer.from(text.replace(at[0], deepJson(Number(at[1]), at[2] as "array" | "object")), "utf8")
    : body;
}

function forgedContext(rng: Rng, ids: Ids): Fields {
  const real = signedClick(ids).context as Fields;
  return rng.weighted<() => Fields>([
    [2, () => ({ ...real, _mmbot_sig: undefined })],
    [1, () => ({ item: 1 })],
    [
      2,
      () => ({
        ...real,
        _mmbot_sig: (real._mmbot_sig as string).replace(/^./, (c) => (c === "a" ? "b" : "a")),
      }),
    ],
    [2, () => ({ ...real, item: 2 })],
    [1, () => ({ ...real, extra: "x" })],
    [1, () => ({ ...real, _mmbot_exp: String(Number(real._mmbot_exp) + 1) })],
    [1, () => signedClick(ids, ACTION_ID, Date.now() - 1_000).context as Fields],
    [1, () => signedClick(ids, "tododelete1").context as Fields],
    [1, () => signedClick({ ...ids, channelId: "otherchannel" }).context as Fields],
    [1, () => ({ ...real, _mmbot_sig: rng.anyValue() })],
    [1, () => ({ ...real, _mmbot_exp: rng.pick([1e30, "-1", "", "1e3", null]) })],
    [1, () => ({ ...real, _mmbot_sig: (real._mmbot_sig as string).toUpperCase() })],
    // a signature over data it does not match, with data a recursive walk would choke on
    [
      2,
      () => ({
        ...real,
        nested: `${DEEP}${rng.pick([1_000, 5_000, 9_000])}:${rng.pick(["array", "object"])}`,
      }),
    ],
  ])();
}

function forgedDialogQuery(rng: Rng, ids: Ids): string {
  const real = dialogQuery("todoadd", ids);
  const q = new URLSearchParams(real);
  rng.weighted<() => void>([
    [2, () => q.delete("sig")],
    [
      2,
      () =>
        q.set(
          "sig",
          q.get("sig")!.replace(/^./, (c) => (c === "a" ? "b" : "a")),
        ),
    ],
    [1, () => q.set("cancel", "1")],
    [1, () => q.set("exp", String(Number(q.get("exp")) + 1))],
    [1, () => q.set("exp", "nope")],
    [1, () => q.set("sig", "")],
    [1, () => q.append("sig", "x")],
    [
      1,
      () => {
        const old = dialogQuery("todoadd", ids, Date.now() - 1_000);
        for (const [k, v] of old) q.set(k, v);
      },
    ],
    [
      1,
      () => {
        const other = dialogQuery("otherdialog", ids);
        for (const [k, v] of other) q.set(k, v);
      },
    ],
  ])();
  return q.toString();
}

export function receiverRoutes(ids: Ids): RouteSpec[] {
  const fixed = (p: string) => () => p;
  return [
    {
      route: "POST /hooks/outgoing (form)",
      method: "POST",
      path: fixed("/hooks/outgoing"),
      encoding: "form",
      seed: () => SEEDS.hookForm,
      forge: tokenForgery(
        "POST /hooks/outgoing (form)",
        "/hooks/outgoing",
        "form",
        SEEDS.hookForm,
        HOOK_TOKEN,
        false,
      ),
    },
    {
      route: "POST /hooks/outgoing (json)",
      method: "POST",
      path: fixed("/hooks/outgoing"),
      encoding: "json",
      seed: () => SEEDS.hookJson,
      forge: tokenForgery(
        "POST /hooks/outgoing (json)",
        "/hooks/outgoing",
        "json",
        SEEDS.hookJson,
        HOOK_TOKEN,
        false,
      ),
    },
    {
      route: "POST /slash (form)",
      method: "POST",
      path: fixed("/slash"),
      encoding: "form",
      seed: () => ({ ...SEEDS.slash, command: "/todo" }),
      forge: tokenForgery(
        "POST /slash (form)",
        "/slash",
        "form",
        { ...SEEDS.slash, command: "/todo" },
        SLASH_TOKEN,
        true,
      ),
    },
    {
      route: "POST /slash (json)",
      method: "POST",
      path: fixed("/slash"),
      encoding: "json",
      seed: () => ({ ...SEEDS.slash, command: "/todo" }),
      forge: tokenForgery(
        "POST /slash (json)",
        "/slash",
        "json",
        { ...SEEDS.slash, command: "/todo" },
        SLASH_TOKEN,
        true,
      ),
    },
    {
      route: "POST /actions/:id",
      method: "POST",
      path: (rng) =>
        `/actions/${rng.weighted([
          [8, ACTION_ID],
          [1, "todoadd"],
          [1, asQuery(Buffer.from(rng.nastyString().slice(0, 50))).replace(/\//g, "%2F") || "x"],
        ])}`,
      encoding: "json",
      seed: (i) => signedClick(i),
      forge: (rng, i) => ({
        route: "POST /actions/:id",
        mutation: "forged signature",
        method: "POST",
        path: `/actions/${ACTION_ID}`,
        headers: { "content-type": "application/json" },
        body: withDeepJson(
          encode(
            { ...signedClick(i), user_name: FORGED_MARK, context: forgedContext(rng, i) },
            "json",
          ),
        ),
      }),
    },
    {
      route: "POST /dialogs",
      method: "POST",
      path: (rng) =>
        `/dialogs?${rng.chance(0.9) ? dialogQuery("todoadd", ids).toString() : asQuery(rng.bytes(rng.int(0, 200)))}`,
      encoding: "json",
      seed: (i) => dialogFields(i),
      forge: (rng, i) => ({
        route: "POST /dialogs",
        mutation: "forged signature",
        method: "POST",
        path: `/dialogs?${forgedDialogQuery(rng, i)}`,
        headers: { "content-type": "application/json" },
        body: encode({ ...dialogFields(i), state: FORGED_MARK }, "json"),
      }),
    },
  ];
}

/** One case: a forged request (a quarter of those on routes that check credentials), a hostile body, a GET /slash, or an odd path. */
export function receiverCase(
  rng: Rng,
  ids: Ids,
  limitBytes: number,
): HttpCase & { forged: boolean } {
  const routes = receiverRoutes(ids);
  return rng.weighted<() => HttpCase & { forged: boolean }>([
    [6, () => ({ ...rng.pick(routes).forge(rng, ids), forged: true })],
    [
      16,
      () => {
        const spec = rng.pick(routes);
        const hostile = hostileBody(rng, spec.seed(ids), spec.encoding, limitBytes);
        const headers: Record<string, string> =
          hostile.contentType === undefined ? {} : { "content-type": hostile.contentType };
        return {
          route: spec.route,
          mutation: hostile.mutation,
          method: spec.method,
          path: spec.path(rng),
          headers,
          body: hostile.body,
          forged: false,
        };
      },
    ],
    [
      3,
      () => {
        const hostile = hostileBody(
          rng,
          { ...SEEDS.slash, command: "/todo" },
          "form",
          limitBytes / 8,
        );
        const headers: Record<string, string> = rng.chance(0.3)
          ? { authorization: `Token ${SLASH_TOKEN}` }
          : {};
        return {
          route: "GET /slash",
          mutation: hostile.mutation,
          method: "GET",
          path: `/slash?${asQuery(hostile.body)}`,
          headers,
          body: Buffer.alloc(0),
          forged: false,
        };
      },
    ],
    [
      2,
      () => {
        const path = rng.pick(["/healthz", "/metrics", "/readyz"]);
        const method = rng.pick(["GET", "GET", "HEAD", "POST", "PUT", "DELETE"]);
        const query = rng.chance(0.5) ? `?${asQuery(rng.bytes(rng.int(0, 100)))}` : "";
        return {
          route: `${method === "HEAD" ? "GET" : method} ${path}`,
          mutation: method === "GET" || method === "HEAD" ? "odd query" : "wrong method",
          method,
          path: `${path}${query}`,
          headers: {},
          body: Buffer.alloc(0),
          forged: false,
        };
      },
    ],
    [
      2,
      () => {
        const path = rng.pick([
          "/",
          "//slash",
          "/slash/",
          "/actions",
          "/actions/",
          "/actions/a/b",
          "/hooks",
          "/dialogs/x",
          "/%2e%2e/etc/passwd",
          "/slash%00",
          `/${"a".repeat(8000)}`,
          "/metrics/",
          "/readyz?x",
        ]);
        const method = rng.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);
        return {
          route: "unknown route",
          mutation: "odd path",
          method,
          path,
          headers: { "content-type": "application/json" },
          body: method === "GET" || method === "HEAD" ? Buffer.alloc(0) : Buffer.from("{}"),
          forged: false,
        };
      },
    ],
  ])();
}

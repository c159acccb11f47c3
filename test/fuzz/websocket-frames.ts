/**
 * Frames a hostile or broken server could send on the bot's WebSocket: not JSON, binary, huge,
 * deep; wrong types for seq, event, data and broadcast; `posted` whose data.post is not a JSON
 * string or not a post; unknown events; odd hellos and replies; and protocol violations that end
 * the connection (a reserved opcode, invalid UTF-8 in a text frame, a bad close code).
 */
import type { WebSocket } from "ws";
import { deepJson } from "./mutations.js";
import type { Rng } from "./random.js";

export interface Frame {
  kind: string;
  /** Sends it on `ws`; a protocol violation writes raw bytes under the WebSocket library. */
  send(ws: WebSocket): void;
  /** The seq it carries when that is a valid one (a safe non-negative integer), for the next valid frame to follow. */
  seq?: number;
  /** It ends the connection. */
  ends?: boolean;
}

const EVENTS = [
  "posted",
  "post_edited",
  "post_deleted",
  "reaction_added",
  "reaction_removed",
  "typing",
  "hello",
  "channel_viewed",
  "user_added",
  "status_change",
  "direct_added",
  "ephemeral_message",
  "new_user",
];
const ODD_EVENTS = [
  "",
  "foo",
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "toString",
  "x".repeat(5000),
  "POSTED",
  "posted ",
];

function text(kind: string, payload: string, seq?: number): Frame {
  return { kind, send: (ws) => ws.send(payload), seq };
}

function frame(kind: string, value: Record<string, unknown>): Frame {
  const seq = value.seq;
  return text(
    kind,
    JSON.stringify(value),
    typeof seq === "number" && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined,
  );
}

/** A post as the server puts it (JSON) in data.post, hostile in one or more fields. */
function hostilePost(rng: Rng, base: Record<string, unknown>): unknown {
  const post: Record<string, unknown> = { ...base };
  const keys = Object.keys(post);
  for (let i = rng.int(1, 3); i > 0; i--) {
    const key = rng.pick([
      ...keys,
      "props",
      "metadata",
      "file_ids",
      "root_id",
      "message",
      "id",
      "create_at",
    ]);
    if (rng.chance(0.3)) delete post[key];
    else post[key] = rng.anyValue();
  }
  return post;
}

/** One frame; `base` is a real post (its JSON fields), mutated for the post events; `nextSeq` the next valid seq. */
export function hostileFrame(rng: Rng, base: Record<string, unknown>, nextSeq: number): Frame {
  const seqValue = (): unknown =>
    rng.weighted<() => unknown>([
      [6, () => nextSeq],
      [2, () => undefined],
      [1, () => String(nextSeq)],
      [1, () => rng.pick([-1, 1.5, 1e400, -1e400, 2 ** 53 + 2, Number.MAX_VALUE, 0])],
      [1, () => rng.anyValue()],
    ])();
  const broadcast = (): unknown =>
    rng.weighted<() => unknown>([
      [5, () => ({ omit_users: null, user_id: "", channel_id: base.channel_id, team_id: "" })],
      [1, () => rng.anyValue()],
      [
        1,
        () => ({
          omit_users: rng.anyValue(),
          user_id: rng.anyValue(),
          channel_id: rng.anyValue(),
          team_id: rng.anyValue(),
        }),
      ],
    ])();
  return rng.weighted<() => Frame>([
    [
      8,
      () => {
        const post = rng.weighted<() => unknown>([
          [5, () => JSON.stringify(hostilePost(rng, base))],
          [2, () => hostilePost(rng, base)],
          [
            2,
            () =>
              rng.pick([
                "",
                "{",
                "null",
                "[]",
                "[1]",
                '"post"',
                "1",
                '{"id":',
                JSON.stringify(base).slice(0, 40),
              ]),
          ],
          [1, () => rng.anyValue()],
          [
            1,
            () =>
              JSON.stringify({ ...base, props: "\u0000DEEP" }).replace(
                '"\\u0000DEEP"',
                deepJson(rng.pick([100, 5_000, 20_000]), "object"),
              ),
          ],
        ])();
        return frame("posted, broken post", {
          event: rng.pick(["posted", "posted", "post_edited", "post_deleted"]),
          data: {
            post,
            channel_type: rng.pick(["O", "D", 1, null]),
            channel_name: rng.anyValue(),
            sender_name: rng.anyValue(),
            mentions: rng.pick(["[]", "[1,{}]", "{", rng.anyValue()]),
          },
          broadcast: broadcast(),
          seq: seqValue(),
        });
      },
    ],
    [
      4,
      () =>
        frame("wrong field types", {
          event: rng.weighted([
            [3, rng.pick(EVENTS)],
            [1, rng.anyValue()],
          ]),
          data: rng.anyValue(),
          broadcast: broadcast(),
          seq: seqValue(),
        }),
    ],
    [
      3,
      () =>
        frame("unknown event", {
          event: rng.pick(ODD_EVENTS),
          data: { x: rng.anyValue() },
          broadcast: broadcast(),
          seq: seqValue(),
        }),
    ],
    [
      2,
      () =>
        frame("broken reaction", {
          event: rng.pick(["reaction_added", "reaction_removed"]),
          data: {
            reaction: rng.pick([
              JSON.stringify({
                user_id: rng.anyValue(),
                post_id: base.id,
                emoji_name: rng.anyValue(),
                create_at: rng.anyValue(),
              }),
              "{",
              rng.anyValue(),
            ]),
          },
          broadcast: broadcast(),
          seq: seqValue(),
        }),
    ],
    [
      2,
      () =>
        frame("odd hello", {
          event: "hello",
          data: rng.pick([
            {},
            { connection_id: rng.anyValue() },
            null,
            "x",
            { connection_id: "", server_version: 5 },
          ]),
          broadcast: broadcast(),
          seq: rng.pick([undefined, 0, "0", -1, 1e400, 1.5]),
        }),
    ],
    [
      2,
      () =>
        frame("stray reply", {
          status: rng.pick(["OK", "FAIL", 5, null]),
          seq_reply: rng.pick([1, 0, -1, 1e400, "1", 99999]),
          data: rng.anyValue(),
          error: rng.anyValue(),
        }),
    ],
    [
      2,
      () =>
        frame(
          "missing fields",
          rng.pick([
            {},
            { event: "posted" },
            { data: {} },
            { seq: nextSeq },
            { event: "posted", seq: nextSeq },
            { event: "posted", data: {} },
          ]),
        ),
    ],
    [
      4,
      () =>
        text(
          "not JSON",
          rng.pick([
            "",
            " ",
            "{",
            "}",
            "[",
            "null",
            "[]",
            "1",
            '"str"',
            "true",
            "{event:posted}",
            "\u0000",
            JSON.stringify({ event: "posted" }).slice(0, 10),
            rng.nastyString(),
          ]),
        ),
    ],
    [
      2,
      () => ({
        kind: "binary",
        send: (ws) =>
          ws.send(
            rng.chance(0.5)
              ? rng.bytes(rng.int(0, 3000))
              : Buffer.from(JSON.stringify({ event: "typing", data: {}, broadcast: {}, seq: "x" })),
            { binary: true },
          ),
      }),
    ],
    [
      1,
      () =>
        text(
          "deep JSON",
          rng.chance(0.5)
            ? deepJson(rng.pick([1_000, 10_000, 100_000]), "array")
            : `{"event":"typing","data":${deepJson(rng.pick([1_000, 10_000, 50_000]), "object")},"seq":"x"}`,
        ),
    ],
    [
      0.15,
      () =>
        text(
          "huge frame",
          `{"event":"posted","data":{"post":${JSON.stringify("x".repeat(rng.int(1, 4) * 1024 * 1024))}},"seq":"huge"}`,
        ),
    ],
    [
      0.25,
      () => ({
        kind: "protocol violation",
        ends: true,
        send: (ws) => rawWrite(ws, rng.pick(VIOLATIONS)),
      }),
    ],
    [
      0.1,
      () => ({
        kind: "server close",
        ends: true,
        send: (ws) =>
          ws.close(rng.pick([1000, 1001, 1011, 4000, 4999]), rng.nastyString().slice(0, 100)),
      }),
    ],
  ])();
}

/** Unmasked server frames that break RFC 6455: the client must close, not crash. */
const VIOLATIONS = [
  Buffer.from([0x83, 0x00]), // reserved opcode 3
  Buffer.from([0x81, 0x02, 0xc3, 0x28]), // a text frame with invalid UTF-8
  Buffer.from([0xf1, 0x00]), // RSV bits set without an extension
  Buffer.from([0x88, 0x02, 0x03, 0xe7]), // close with code 999 (invalid)
  Buffer.concat([Buffer.from([0x89, 0x7e, 0x00, 0xc8]), Buffer.alloc(200)]), // a ping longer than 125 bytes
  Buffer.from([0x01, 0x01, 0x61, 0x01, 0x01, 0x62]), // a new data frame inside a fragmented message
  Buffer.from([0x80, 0x01, 0x61]), // a continuation with nothing to continue
];

function rawWrite(ws: WebSocket, bytes: Buffer): void {
  (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(bytes);
}

/**
 * Why a server could not be reached, in words a person can act on: the connection refused, the
 * host name not found, TLS spoken to a plain-HTTP server (or plain HTTP to a TLS one), no answer
 * in time. Read from the error's cause chain (Node's `code`s and OpenSSL's messages).
 */
import { MattermostApiError } from "../errors.js";

export type UnreachableKind =
  | "refused"
  | "dns"
  | "tls-to-plain"
  | "plain-to-tls"
  | "timeout"
  | "certificate"
  | "reset"
  | "server-error"
  | "other";

export interface Unreachable {
  kind: UnreachableKind;
  /** The likely cause, one clause: "connection refused: nothing listens on 127.0.0.1:1 …". */
  text: string;
}

/** The likely cause of `error`, a failed request to `url`. */
export function whyUnreachable(error: unknown, url: string): Unreachable {
  const { host, protocol } = safeUrl(url);
  if (error instanceof MattermostApiError)
    return {
      kind: "server-error",
      text: `the server answers HTTP ${error.status} (starting, overloaded, or a proxy without its server?)`,
    };
  const codes = new Set<string>();
  const messages: string[] = [];
  let names = "";
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") codes.add(code);
    messages.push(e.message);
    names += ` ${e.name}`;
    e = e.cause;
  }
  const said = messages.join(" ").toLowerCase();
  if (codes.has("ECONNREFUSED"))
    return {
      kind: "refused",
      text: `connection refused: nothing listens on ${host} (is the server running, is the port right?)`,
    };
  if (codes.has("ENOTFOUND") || codes.has("EAI_AGAIN") || codes.has("EAI_NONAME"))
    return {
      kind: "dns",
      text: `the host name ${safeHostname(url)} is not found (DNS): is it spelt right, is it reachable from here?`,
    };
  if (
    [...codes].some((c) => c.startsWith("ERR_SSL_")) ||
    said.includes("wrong version number") ||
    said.includes("packet length too long")
  )
    return protocol === "https:"
      ? {
          kind: "tls-to-plain",
          text: `TLS spoken to ${host}, which answers plain HTTP: the address should start with http://`,
        }
      : { kind: "other", text: messages[0] ?? String(error) };
  const certCode = [...codes].find((c) => /CERT|SELF_SIGNED|ALTNAME/.test(c));
  if (certCode)
    return {
      kind: "certificate",
      text: `the TLS certificate of ${host} is not trusted (${certCode}: self-signed, expired, or for another name?); a private CA is trusted with NODE_EXTRA_CA_CERTS=<its certificate file>`,
    };
  if (
    protocol === "http:" &&
    (codes.has("HPE_INVALID_CONSTANT") ||
      codes.has("ECONNRESET") ||
      said.includes("socket hang up") ||
      said.includes("parse error"))
  )
    return {
      kind: "plain-to-tls",
      text: `plain HTTP sent to ${host}, which closed the connection without answering (a TLS port? then the address should start with https://; or the server or a proxy cut it)`,
    };
  if (names.includes("TimeoutError") || names.includes("AbortError") || codes.has("ETIMEDOUT"))
    return {
      kind: "timeout",
      text: `no answer from ${host} in time (a firewall dropping packets, or the wrong host?)`,
    };
  if (codes.has("ECONNRESET") || said.includes("socket hang up"))
    return { kind: "reset", text: `${host} closed the connection without answering` };
  if (codes.has("EHOSTUNREACH") || codes.has("ENETUNREACH"))
    return { kind: "other", text: `no route to ${host} (network down, or the wrong address?)` };
  return { kind: "other", text: messages.at(-1) ?? String(error) };
}

function safeUrl(url: string): { host: string; protocol: string } {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
    return { host: `${parsed.hostname}:${port}`, protocol: parsed.protocol };
  } catch {
    return { host: url, protocol: "" };
  }
}

function safeHostname(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

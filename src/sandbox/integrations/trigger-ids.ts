/**
 * Trigger ids as the server makes them (`model.GenerateTriggerId`): base64 of
 * `clientTriggerId:userId:millis:` + base64(ECDSA P-256 signature). The client gets the short
 * `clientTriggerId`; the integration gets the signed one and may open a dialog with it while fresh.
 */
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { fail, type ErrorSpec } from "../errors.js";
import { newId } from "../ids.js";

const spec = (id: string, message: string): ErrorSpec => ({ id, message, status: 400 });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class TriggerIds {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  /** `ttlMs`: how long a trigger id opens a dialog (3 s on the server). */
  constructor(private readonly ttlMs: number) {
    const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
  }

  issue(userId: string): { clientTriggerId: string; triggerId: string } {
    const clientTriggerId = newId();
    const data = `${clientTriggerId}:${userId}:${Date.now()}:`;
    const signature = sign("sha256", Buffer.from(data), this.privateKey).toString("base64");
    return { clientTriggerId, triggerId: Buffer.from(data + signature).toString("base64") };
  }

  /** The client trigger id and the user it was issued to; a 400 like the server's otherwise. */
  verify(triggerId: string): { clientTriggerId: string; userId: string } {
    if (!BASE64.test(triggerId)) {
      fail(
        spec(
          "interactive_message.decode_trigger_id.base64_decode_failed",
          "Failed to decode base64 for trigger ID for interactive dialog.",
        ),
      );
    }
    const parts = Buffer.from(triggerId, "base64").toString("utf8").split(":");
    if (parts.length !== 4)
      fail(
        spec(
          "interactive_message.decode_trigger_id.missing_data",
          "Trigger ID missing required data for interactive dialog.",
        ),
      );
    const [clientTriggerId, userId, millis, signature] = parts as [string, string, string, string];
    if (Date.now() - (Number.parseInt(millis, 10) || 0) > this.ttlMs) {
      fail(
        spec(
          "interactive_message.decode_trigger_id.expired",
          `Trigger ID for interactive dialog is expired. Trigger IDs live for a maximum of ${Math.floor(this.ttlMs / 1000)} seconds.`,
        ),
      );
    }
    if (!BASE64.test(signature)) {
      fail(
        spec(
          "interactive_message.decode_trigger_id.base64_decode_failed_signature",
          "Failed to decode base64 signature of trigger ID for interactive dialog.",
        ),
      );
    }
    let valid = false;
    try {
      valid = verify(
        "sha256",
        Buffer.from(`${clientTriggerId}:${userId}:${millis}:`),
        this.publicKey,
        Buffer.from(signature, "base64"),
      );
    } catch {
      fail(
        spec(
          "interactive_message.decode_trigger_id.signature_decode_failed",
          "Failed to decode the RSA signature of the trigger ID for interactive dialog.",
        ),
      );
    }
    if (!valid)
      fail(
        spec(
          "interactive_message.decode_trigger_id.verify_signature_failed",
          "Signature verification failed of trigger ID for interactive dialog.",
        ),
      );
    return { clientTriggerId, userId };
  }
}

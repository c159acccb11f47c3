/** Later answers to a slash command: a JSON POST to the command's `response_url`. */
import { TransportError } from "../errors.js";

/** POSTs `body` to `url`; throws a `TransportError` unless the server answers 2xx. */
export async function postToResponseUrl(
  fetchImpl: typeof fetch,
  url: string,
  body: object,
  timeoutMs = 15_000,
): Promise<void> {
  if (!url)
    throw new TransportError(
      "this slash command came without a response_url: answer inline instead",
    );
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.text();
  } catch (error) {
    throw new TransportError(
      `POST to response_url failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!response.ok) throw new TransportError(`POST to response_url → ${response.status}`);
}

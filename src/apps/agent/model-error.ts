/** Why a model request failed, in the words a user is told (the details go to the log). */
export type ModelFailure =
  | "key"
  | "model"
  | "rate"
  | "provider"
  | "unreachable"
  | "timeout"
  | "context"
  | "refused"
  | "internal";

export class ModelError extends Error {
  constructor(
    readonly failure: ModelFailure,
    message: string,
    readonly details: { status?: number; retryAfterSeconds?: number } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ModelError";
  }
}

/** The request was stopped by a user (a reaction, `!stop`). */
export class StoppedError extends Error {
  constructor() {
    super("stopped");
    this.name = "StoppedError";
  }
}

/** What the thread is told. */
export function failureText(
  error: ModelError,
  context: { model: string; timeoutSeconds: number },
): string {
  const status = error.details.status ? ` (HTTP ${error.details.status})` : "";
  switch (error.failure) {
    case "key":
      return `The model endpoint refused the API key${status}. An admin needs to check the key.`;
    case "model":
      return `The model endpoint does not know the model "${context.model}"${status}. An admin needs to check the model name.`;
    case "rate": {
      const wait = error.details.retryAfterSeconds;
      return `The model endpoint is rate limiting requests${status}. ${wait !== undefined ? `Try again in ${formatWait(wait)}.` : "Try again in a little while."}`;
    }
    case "provider":
      return `The model provider failed${status}. Try again in a moment.`;
    case "unreachable":
      return "I cannot reach the model endpoint right now. Try again later.";
    case "timeout":
      return `The model did not answer within ${context.timeoutSeconds} seconds, so I gave up.`;
    case "context":
      return "This thread is too long for the model, even with the oldest messages left out. Start a new thread.";
    case "refused":
      return `The model endpoint refused the request${status}.`;
    case "internal":
      return "Something went wrong on my side before the model could answer (an admin can find the details in the log).";
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  return `${Math.round(seconds / 60)} minutes`;
}

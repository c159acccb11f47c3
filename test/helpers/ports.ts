import { createServer } from "node:net";

/**
 * A port nobody listens on right now: integrations are registered with the bot's address before
 * the bot starts, because their tokens go into the bot's options.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

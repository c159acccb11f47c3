/**
 * Ephemeral posts with a fallback. `POST /posts/ephemeral` needs `create_post_ephemeral`, which
 * only the System Admin role has in Mattermost 5.37: a bot with its default roles gets 403. Then
 * the message goes as a direct message from the bot instead: still private, never silence.
 */
import { MattermostApiError } from "../errors.js";
import type { Post } from "../mattermost/types.js";
import type { BotRuntime } from "./runtime.js";

export async function sendEphemeral(
  runtime: Pick<BotRuntime, "client" | "me" | "logger">,
  userId: string,
  post: { channel_id: string; message: string; root_id?: string },
): Promise<Post> {
  const { client, me, logger } = runtime;
  try {
    return await client.createEphemeralPost(userId, post);
  } catch (error) {
    if (!(error instanceof MattermostApiError && error.status === 403)) throw error;
    logger.warn(
      { userId, channelId: post.channel_id },
      `@${me.username} may not send ephemeral posts (create_post_ephemeral needs the System Admin role): sent as a direct message instead`,
    );
    const direct = await client.createDirectChannel(me.id, userId);
    return client.createPost({ channel_id: direct.id, message: post.message });
  }
}

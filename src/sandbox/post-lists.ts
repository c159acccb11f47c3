/** The `PostList` answers: a channel's posts (since, pages, before/after) and a thread. */
import type { Post, PostList } from "../mattermost/types.js";
import type { Posting } from "./posting.js";

export interface ChannelPostsQuery {
  since?: number;
  page?: number;
  perPage?: number;
  before?: string;
  after?: string;
}

const MAX_SINCE = 1000;

function list(posts: Post[], next = "", prev = ""): PostList {
  const map: Record<string, Post> = {};
  for (const post of posts) map[post.id] = post;
  return {
    order: posts.map((p) => p.id),
    posts: map,
    next_post_id: next,
    prev_post_id: prev,
  } as PostList;
}

/** A `PostList` of these posts in this order (pinned, search and flagged answers: no neighbours). */
export function postListOf(posting: Posting, records: Array<{ id: string }>): PostList {
  return list(records.map((r) => posting.wire(posting.anyRecord(r.id)!)));
}

/** Posts of a channel, newest first, as `GET /channels/{id}/posts` answers. */
export function channelPosts(posting: Posting, channelId: string, q: ChannelPostsQuery): PostList {
  const ids = posting.channelPostIds(channelId);
  if (q.since !== undefined) {
    // created or changed (edited, deleted) since: deleted posts are included so clients drop them
    const found: Post[] = [];
    for (let i = ids.length - 1; i >= 0 && found.length < MAX_SINCE; i--) {
      const record = posting.anyRecord(ids[i]!)!;
      if (record.update_at > q.since) found.push(posting.wire(record));
    }
    return list(found);
  }
  const perPage = Math.min(Math.max(q.perPage ?? 60, 1), 200);
  const live = (i: number) => {
    const record = posting.anyRecord(ids[i]!)!;
    return record.delete_at === 0 ? record : undefined;
  };
  if (q.after || q.before) {
    const anchor = posting.anyRecord((q.after || q.before)!);
    if (!anchor || anchor.channel_id !== channelId) return list([]);
    const picked: Post[] = [];
    let i = anchor.channelIndex;
    if (q.after) {
      for (i = i + 1; i < ids.length && picked.length < perPage; i++) {
        const record = live(i);
        if (record) picked.push(posting.wire(record));
      }
      const next = nextLive(ids.length, i, 1, live);
      return list(picked.reverse(), next, picked.length > 0 ? anchor.id : "");
    }
    for (i = i - 1; i >= 0 && picked.length < perPage; i--) {
      const record = live(i);
      if (record) picked.push(posting.wire(record));
    }
    return list(picked, anchor.id, nextLive(ids.length, i, -1, live));
  }
  const skip = (q.page ?? 0) * perPage;
  const picked: Post[] = [];
  let seen = 0;
  let i = ids.length - 1;
  for (; i >= 0 && picked.length < perPage; i--) {
    const record = live(i);
    if (!record) continue;
    if (seen++ >= skip) picked.push(posting.wire(record));
  }
  return list(picked, "", picked.length > 0 ? nextLive(ids.length, i, -1, live) : "");
}

function nextLive(
  length: number,
  from: number,
  step: 1 | -1,
  live: (i: number) => { id: string } | undefined,
): string {
  for (let i = from; i >= 0 && i < length; i += step) {
    const record = live(i);
    if (record) return record.id;
  }
  return "";
}

/**
 * A thread asked by any of its posts' ids. The server's order is not chronological: the asked id
 * first, then the rows as the database returns them; there the root, updated by every reply,
 * usually comes last. So: the asked post, the replies oldest first, the root.
 */
export function threadPosts(posting: Posting, askedId: string): PostList {
  const asked = posting.record(askedId)!;
  const root = asked.root_id ? posting.record(asked.root_id)! : asked;
  const posts = [
    ...posting.replyIds(root.id).map((id) => posting.wire(posting.record(id)!)),
    posting.wire(root),
  ];
  const out = list(posts);
  out.order.unshift(asked.id);
  return out;
}

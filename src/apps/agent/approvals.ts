/**
 * Approvals in the thread: a tool call whose policy is `ask` posts what it would do, with
 * Approve and Deny buttons (signed like every action of the bot), or, where the bot receives
 * no clicks, with ✅ and ❌ reactions to add. The call waits for the answer without holding up
 * anything else; the post is then updated in place with who decided and when. Pending
 * approvals are kept in the store: a click after a restart (the answer that waited is gone)
 * is told the approval expired, and the post says so.
 */
import type { Kysely, Migration } from "kysely";
import type { ActionContext } from "../../bot/interaction-context.js";
import type { ReactionContext } from "../../bot/context.js";
import { isAllowed } from "../../bot/policy.js";
import { button, type MessageAttachment } from "../../http/attachments.js";
import type { Logger } from "../../log.js";
import type { Store } from "../../store/index.js";

/** Action ids: letters and digits only (Mattermost routes nothing else). */
export const APPROVAL_ACTIONS = { approve: "agentapprove", deny: "agentdeny" } as const;
export const APPROVE_EMOJI = "white_check_mark";
/**
 * The approval's id in its post's props: a reaction may come before the post's id is stored,
 * and the thread's history leaves approval posts out (they are the bot's questions, not its answers).
 */
export const APPROVAL_PROP = "agent_approval";
export const DENY_EMOJI = "x";

/** The waiting instance says it is alive, and reads decisions made elsewhere, this often. */
const WATCH_INTERVAL_MS = 1_000;
/** A waiter not heard of for this long is gone (its instance was killed). */
const ALIVE_MS = 5_000;

/** The arguments shown in the post are cut to this many characters. */
const ARGS_SHOWN_MAX = 1_500;

type State = "pending" | "approved" | "denied" | "expired" | "stopped";

type ApprovalTables = {
  agent_approvals: {
    id: string;
    post_id: string;
    root_id: string;
    tool: string;
    args: string;
    asker_id: string;
    state: string;
    decided_by: string | null;
    decided_at: number | string | null;
    expires_at: number | string;
    /** When the instance that waits last said so: a click elsewhere decides through the store. */
    alive_at: number | string;
  };
};

export const approvalMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("agent_approvals")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("post_id", "text", (c) => c.notNull())
      .addColumn("root_id", "text", (c) => c.notNull())
      .addColumn("tool", "text", (c) => c.notNull())
      .addColumn("args", "text", (c) => c.notNull())
      .addColumn("asker_id", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("decided_by", "text")
      .addColumn("decided_at", "bigint")
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("alive_at", "bigint", (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex("agent_approvals_post_id")
      .ifNotExists()
      .on("agent_approvals")
      .column("post_id")
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("agent_approvals").execute();
  },
};

/** What the approval needs to post and to know who may decide. */
export interface ApprovalRequest {
  tool: string;
  args: Record<string, unknown>;
  asker: { id: string; name: string };
  rootId: string;
  /** Aborted by `!stop`, 🛑 or the bot stopping: the call is refused. */
  signal: AbortSignal;
  /** Posts the approval in the thread; resolves with the post's id. */
  post(
    message: string,
    attachments: MessageAttachment[] | undefined,
    props: Record<string, unknown>,
  ): Promise<string>;
  /** Replaces the approval post's text and props (the buttons go away). */
  patch(postId: string, message: string, props: Record<string, unknown>): Promise<void>;
  /** Adds the bot's reaction to the post (the reactions mode). */
  react(postId: string, emoji: string): Promise<void>;
  /** Buttons (the bot receives clicks) or reactions. */
  buttons: boolean;
}

export interface ApprovalSettings {
  /** Who may decide besides the asker (usernames or ids); `*`: anyone in the channel. */
  approvers: "*" | readonly string[];
  timeoutMs: number;
}

interface Waiter {
  request: ApprovalRequest;
  postId: string;
  decide(decision: Decision): void;
}

interface Decision {
  state: Exclude<State, "pending">;
  by?: { id: string; name: string };
}

const approvalTables = (store: Store) => store.db.withTables<ApprovalTables>();

export class Approvals {
  private readonly waiters = new Map<string, Waiter>();
  private readonly db: ReturnType<typeof approvalTables>;
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(
    store: Store,
    private readonly settings: ApprovalSettings,
    private readonly logger: Logger,
  ) {
    this.db = approvalTables(store);
  }

  /** Posts the approval and waits: undefined when approved, else the reason for the model. */
  async ask(request: ApprovalRequest): Promise<string | undefined> {
    const id = randomId();
    const within = durationText(this.settings.timeoutMs);
    const deciders = this.decidersText(request.asker.name);
    const how = request.buttons
      ? `${deciders} may approve or deny it below`
      : `${deciders} may react :${APPROVE_EMOJI}: to approve or :${DENY_EMOJI}: to deny`;
    const message = `${questionText(request.tool, request.args)}\n${how} (within ${within}).`;
    const attachments = request.buttons
      ? [
          {
            actions: [
              button(APPROVAL_ACTIONS.approve, "Approve", {
                style: "success",
                context: { approval: id },
              }),
              button(APPROVAL_ACTIONS.deny, "Deny", { style: "danger", context: { approval: id } }),
            ],
          },
        ]
      : undefined;
    if (request.signal.aborted) return "the answer was stopped.";
    // stored and waited for before it is posted: a click as soon as the post shows finds it
    await this.db
      .insertInto("agent_approvals")
      .values({
        id,
        post_id: "",
        root_id: request.rootId,
        tool: request.tool,
        args: argsText(request.args),
        asker_id: request.asker.id,
        state: "pending",
        decided_by: null,
        decided_at: null,
        expires_at: Date.now() + this.settings.timeoutMs,
        alive_at: Date.now(),
      })
      .execute();
    let resolveDecision!: (d: Decision) => void;
    const decided = new Promise<Decision>((resolve) => (resolveDecision = resolve));
    const waiter: Waiter = { request, postId: "", decide: (d) => resolveDecision(d) };
    this.waiters.set(id, waiter);
    this.watch();
    try {
      waiter.postId = await request.post(message, attachments, { [APPROVAL_PROP]: id });
      await this.db
        .updateTable("agent_approvals")
        .set({ post_id: waiter.postId })
        .where("id", "=", id)
        .execute();
    } catch (error) {
      this.waiters.delete(id);
      await this.store(id, { state: "stopped" }).catch(() => {});
      throw error;
    }
    if (!request.buttons) {
      await request.react(waiter.postId, APPROVE_EMOJI).catch(() => {});
      await request.react(waiter.postId, DENY_EMOJI).catch(() => {});
    }
    const onAbort = () => void this.settle(id, waiter.postId, { state: "stopped" });
    const timer = setTimeout(
      () => void this.settle(id, waiter.postId, { state: "expired" }),
      this.settings.timeoutMs,
    );
    request.signal.addEventListener("abort", onAbort);
    if (request.signal.aborted) onAbort();
    const decision = await decided.finally(() => {
      clearTimeout(timer);
      request.signal.removeEventListener("abort", onAbort);
      this.waiters.delete(id);
    });
    this.logger.info(
      { tool: request.tool, approval: id, decision: decision.state, by: decision.by?.name },
      "agent: an approval was decided",
    );
    switch (decision.state) {
      case "approved":
        return undefined;
      case "denied":
        return `@${decision.by?.name ?? "someone"} denied it.`;
      case "expired":
        return `no one approved it within ${within}.`;
      default:
        return "the answer was stopped.";
    }
  }

  /** A click on Approve or Deny. */
  async onClick(ctx: ActionContext): Promise<void> {
    const id = ctx.data.approval;
    if (typeof id !== "string") {
      await ctx.ephemeral("This button names no approval.");
      return;
    }
    const approve = ctx.actionId === APPROVAL_ACTIONS.approve;
    const outcome = await this.decide(id, ctx.user, approve);
    if (outcome.message !== undefined)
      await ctx.update({ message: outcome.message, props: { [APPROVAL_PROP]: id } });
    if (outcome.privately) await ctx.ephemeral(outcome.privately);
  }

  /** A ✅ or ❌ added to an approval post (where there are no buttons). */
  async onReaction(ctx: ReactionContext): Promise<boolean> {
    if (!ctx.added || (ctx.emoji !== APPROVE_EMOJI && ctx.emoji !== DENY_EMOJI)) return false;
    const row =
      (await this.db
        .selectFrom("agent_approvals")
        .select("id")
        .where("post_id", "=", ctx.postId)
        .executeTakeFirst()) ?? (await this.approvalOfPost(ctx));
    if (!row) return false;
    // a reaction event names the user by id only
    const user = ctx.user.name
      ? ctx.user
      : { id: ctx.user.id, name: (await ctx.client.getUser(ctx.user.id)).username };
    const outcome = await this.decide(row.id, user, ctx.emoji === APPROVE_EMOJI);
    const waiter = this.waiters.get(row.id);
    if (outcome.message !== undefined && !waiter)
      await this.patchStored(ctx, outcome.message, row.id).catch(() => {});
    if (outcome.privately) await ctx.ephemeral(outcome.privately);
    return true;
  }

  /** The approval a post of the bot carries in its props (none for any other post). */
  private async approvalOfPost(ctx: ReactionContext): Promise<{ id: string } | undefined> {
    const post = await ctx.client.getPost(ctx.postId).catch(() => undefined);
    const id = post?.user_id === ctx.me.id ? post.props?.[APPROVAL_PROP] : undefined;
    return typeof id === "string" ? { id } : undefined;
  }

  /**
   * The bot stops: every waiting call is refused, but the approvals stay pending in the store
   * with their buttons, as after a crash: a click after the restart is told they expired.
   */
  async stopAll(): Promise<void> {
    const waiting = [...this.waiters.entries()];
    this.waiters.clear(); // before the answers are aborted: their abort must not close the approvals
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    for (const [, waiter] of waiting) waiter.decide({ state: "stopped" });
    if (waiting.length === 0) return;
    // no one waits for them any more: a click elsewhere is told they expired, not kept waiting
    await this.db
      .updateTable("agent_approvals")
      .set({ alive_at: 0 })
      .where(
        "id",
        "in",
        waiting.map(([id]) => id),
      )
      .execute()
      .catch((error: unknown) =>
        this.logger.warn({ err: error }, "agent: pending approvals not marked as unwatched"),
      );
  }

  /**
   * While calls wait here: every second, says so in the store and reads the decisions another
   * instance took (a click that reached it), for the waiting answers to go on.
   */
  private watch(): void {
    if (this.watchTimer) return;
    this.watchTimer = setInterval(() => void this.poll(), WATCH_INTERVAL_MS);
    this.watchTimer.unref();
  }

  private async poll(): Promise<void> {
    const ids = [...this.waiters.keys()];
    if (ids.length === 0) {
      clearInterval(this.watchTimer);
      this.watchTimer = undefined;
      return;
    }
    try {
      await this.db
        .updateTable("agent_approvals")
        .set({ alive_at: Date.now() })
        .where("id", "in", ids)
        .where("state", "=", "pending")
        .execute();
      const decided = await this.db
        .selectFrom("agent_approvals")
        .select(["id", "state", "decided_by"])
        .where("id", "in", ids)
        .where("state", "!=", "pending")
        .execute();
      for (const row of decided) {
        const waiter = this.waiters.get(row.id);
        if (!waiter) continue;
        this.waiters.delete(row.id);
        const name = row.decided_by ?? "someone";
        waiter.decide({
          state: row.state as Decision["state"],
          by: { id: "", name },
        });
      }
    } catch (error) {
      this.logger.warn({ err: error }, "agent: pending approvals could not be read");
    }
  }

  private async decide(
    id: string,
    user: { id: string; name: string },
    approve: boolean,
  ): Promise<{ message?: string; privately?: string }> {
    const row = await this.db
      .selectFrom("agent_approvals")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return { privately: "This approval is not known (any more)." };
    if (row.state !== "pending")
      return { privately: `This approval is closed: ${stateText(row)}.` };
    if (!(user.id === row.asker_id || isAllowed(user.id, user.name, this.settings.approvers)))
      return {
        privately: `You may not decide this approval: only ${this.decidersText(undefined)} may.`,
      };
    const waiter = this.waiters.get(id);
    // waited for here, or by another instance that said so lately (it reads the decision from the store)
    const now = Date.now();
    const stillWaited =
      now < Number(row.expires_at) &&
      (waiter !== undefined || now - Number(row.alive_at) < ALIVE_MS);
    const decision: Decision = stillWaited
      ? { state: approve ? "approved" : "denied", by: user }
      : { state: "expired" };
    const changed = await this.store(id, decision);
    if (!changed) return { privately: "Someone else decided this approval just now." };
    const message = `${questionText(row.tool, row.args)}\n${decisionText(decision, row.tool)}`;
    if (waiter) {
      waiter.decide(decision);
      if (!waiter.request.buttons)
        await waiter.request.patch(waiter.postId, message, { [APPROVAL_PROP]: id });
    }
    return stillWaited
      ? { message }
      : {
          message,
          privately:
            "This approval expired: the answer that waited for it is gone (the bot restarted, or its time ran out). Ask again.",
        };
  }

  /** Stores the decision unless one is stored already; true when this one is. */
  private async store(id: string, decision: Decision): Promise<boolean> {
    const result = await this.db
      .updateTable("agent_approvals")
      .set({
        state: decision.state,
        decided_by: decision.by?.name ?? null,
        decided_at: Date.now(),
      })
      .where("id", "=", id)
      .where("state", "=", "pending")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A timeout or a stop: stored, the post updated, the waiter told. */
  private async settle(id: string, postId: string, decision: Decision): Promise<void> {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    try {
      if (await this.store(id, decision)) {
        const row = await this.db
          .selectFrom("agent_approvals")
          .select(["tool", "args"])
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        await waiter.request.patch(
          postId,
          `${questionText(row.tool, row.args)}\n${decisionText(decision, row.tool)}`,
          { [APPROVAL_PROP]: id },
        );
      }
    } catch (error) {
      this.logger.warn({ err: error, approval: id }, "agent: an approval post was not updated");
    }
    waiter.decide(decision);
  }

  private async patchStored(ctx: ReactionContext, message: string, id: string): Promise<void> {
    await ctx.client.patchPost(ctx.postId, { message, props: { [APPROVAL_PROP]: id } });
  }

  private decidersText(askerName: string | undefined): string {
    const asker = askerName ? `@${askerName}` : "the person who asked";
    const approvers = this.settings.approvers;
    if (approvers === "*") return "anyone here";
    const others = approvers.map((a) => (/^[a-z0-9]{26}$/.test(a) ? a : `@${a.replace(/^@/, "")}`));
    return [asker, ...others].join(", ");
  }
}

function durationText(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

function questionText(tool: string, args: Record<string, unknown> | string): string {
  const shown = typeof args === "string" ? args : argsText(args);
  return `**Approval needed:** the assistant wants to run the tool \`${tool}\` with:\n\`\`\`json\n${shown}\n\`\`\``;
}

/** The arguments, readable and cut to a sane length. */
function argsText(args: Record<string, unknown>): string {
  const text = JSON.stringify(args, null, 2).replaceAll("```", "`\u200b``");
  return text.length > ARGS_SHOWN_MAX
    ? `${text.slice(0, ARGS_SHOWN_MAX)}\n… (${text.length - ARGS_SHOWN_MAX} more characters)`
    : text;
}

function decisionText(decision: Decision, tool: string): string {
  const when = new Date().toISOString().replace("T", " ").slice(0, 16);
  switch (decision.state) {
    case "approved":
      return `:white_check_mark: **Approved** by @${decision.by?.name} at ${when} UTC; \`${tool}\` runs.`;
    case "denied":
      return `:x: **Denied** by @${decision.by?.name} at ${when} UTC; \`${tool}\` did not run.`;
    case "expired":
      return `:hourglass: **Expired** at ${when} UTC without a decision; \`${tool}\` did not run.`;
    default:
      return `:octagonal_sign: **Stopped** at ${when} UTC (the answer was stopped); \`${tool}\` did not run.`;
  }
}

function stateText(row: { state: string; decided_by: string | null }): string {
  if (row.state === "approved") return `approved by @${row.decided_by}`;
  if (row.state === "denied") return `denied by @${row.decided_by}`;
  if (row.state === "stopped") return "the answer was stopped";
  return "it expired";
}

/** Letters and digits: it travels in a signed button context. */
function randomId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

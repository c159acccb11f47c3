/**
 * Keeps a sandbox's world in its file: puts the saved world back at start, then saves what
 * changed a moment after a change (one transaction of the rows whose JSON differs) and on close.
 * A crash loses at most the last `delayMs` of changes; the file is never half-written.
 */
import type { Logger } from "pino";
import type { Table } from "./table.js";
import { WorldFile, type RowChange } from "./world-file.js";
import { WorldFileError } from "./world-file-error.js";

/** How long changes gather before a save (at most this much is lost on a crash). */
export const SAVE_DELAY_MS = 200;

export class WorldKeeper {
  /** The JSON of every row in the file, by `kind\nid` (not of tables with `rowsSince`). */
  private readonly saved = new Map<string, string>();
  /** When the last save began: what changed since is written by the next. */
  private savedAt = 0;
  /** The kinds of tables with `rowsSince`. */
  private readonly stamped: Set<string>;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly file: WorldFile,
    private readonly tables: Table[],
    private readonly logger: Logger,
    private readonly delayMs: number,
  ) {
    this.stamped = new Set(tables.filter((t) => t.rowsSince).map((t) => t.kind));
  }

  /**
   * Opens the file and puts its world into the (empty) tables. `restored` is false for a new or
   * `fresh` file. Throws a `WorldFileError` when the file cannot be used.
   */
  static open(
    path: string,
    tables: Table[],
    options: { fresh?: boolean; logger: Logger; delayMs?: number },
  ): { keeper: WorldKeeper; restored: boolean } {
    const file = WorldFile.open(path, options);
    const keeper = new WorldKeeper(file, tables, options.logger, options.delayMs ?? SAVE_DELAY_MS);
    const restored = !file.isEmpty();
    try {
      if (restored) keeper.load();
      keeper.savedAt = Date.now();
    } catch (error) {
      file.close();
      throw error;
    }
    return { keeper, restored };
  }

  /** Something changed: save soon. */
  changed(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.save(), this.delayMs);
    this.timer.unref(); // a library user's process may exit without close(); `npm start` closes
  }

  /** Writes the rows that changed since the last save; a failure is logged and retried on the next change. */
  save(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const startedAt = Date.now();
    const changes: RowChange[] = [];
    const seen = new Set<string>();
    for (const table of this.tables) {
      if (table.rowsSince) {
        for (const row of table.rowsSince(this.savedAt))
          changes.push({
            kind: table.kind,
            id: row.id,
            json: JSON.stringify(row.data),
            blob: row.blob,
          });
        continue;
      }
      for (const row of table.rows()) {
        const key = `${table.kind}\n${row.id}`;
        seen.add(key);
        const json = JSON.stringify(row.data);
        if (this.saved.get(key) !== json)
          changes.push({ kind: table.kind, id: row.id, json, blob: row.blob });
      }
    }
    for (const key of this.saved.keys()) {
      if (seen.has(key)) continue;
      const [kind, id] = key.split("\n") as [string, string];
      changes.push({ kind, id, json: undefined });
    }
    if (changes.length === 0) return;
    try {
      this.file.write(changes);
    } catch (error) {
      this.logger.error(
        { err: error, path: this.file.path },
        "sandbox: saving the world failed; retrying on the next change",
      );
      return;
    }
    this.savedAt = startedAt;
    for (const c of changes) {
      if (this.stamped.has(c.kind)) continue;
      const key = `${c.kind}\n${c.id}`;
      if (c.json === undefined) this.saved.delete(key);
      else this.saved.set(key, c.json);
    }
  }

  /** Saves what is left and closes the file. */
  close(): void {
    if (this.closed) return;
    this.save();
    this.closed = true;
    this.file.close();
  }

  private load(): void {
    for (const table of this.tables) {
      const rows = this.file.rows(table.kind);
      try {
        table.load(
          rows.map((r) => ({ id: r.id, data: JSON.parse(r.json) as unknown, blob: r.blob })),
        );
      } catch (error) {
        throw new WorldFileError(
          this.file.path,
          `its ${table.kind} records cannot be read (${(error as Error).message})`,
          { cause: error },
        );
      }
      if (!table.rowsSince) for (const r of rows) this.saved.set(`${table.kind}\n${r.id}`, r.json);
    }
  }
}

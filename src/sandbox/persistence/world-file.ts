/**
 * The SQLite file a sandbox keeps its world in: rows of JSON by kind and id, and the format they
 * were written in. Every save is one transaction (WAL): a crash leaves the last save whole.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { WorldFileError } from "./world-file-error.js";

/** The shape of the saved rows; a file of another format is refused, not guessed at. */
export const WORLD_FORMAT = 1;

export interface SavedRow {
  id: string;
  json: string;
  blob?: Buffer;
}

export interface RowChange {
  kind: string;
  id: string;
  /** The row's JSON, or undefined to delete it. */
  json: string | undefined;
  blob?: Buffer;
}

export class WorldFile {
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  private constructor(
    private readonly db: Database.Database,
    readonly path: string,
  ) {
    this.upsert = db.prepare(
      "INSERT INTO records (kind, id, data, blob) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, blob = excluded.blob",
    );
    this.remove = db.prepare("DELETE FROM records WHERE kind = ? AND id = ?");
  }

  /**
   * Opens (or creates) the file and holds it: a second sandbox on it is refused. `fresh` empties
   * it, or replaces a file that is not a world of this version (but not one in use).
   */
  static open(path: string, options: { fresh?: boolean } = {}): WorldFile {
    mkdirSync(dirname(path), { recursive: true });
    try {
      return WorldFile.connect(path, options.fresh ?? false);
    } catch (error) {
      if (!options.fresh || !(error instanceof WorldFileError) || error.inUse) throw error;
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
      return WorldFile.connect(path, false);
    }
  }

  private static connect(path: string, empty: boolean): WorldFile {
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 0 }); // in use elsewhere: say so at once
      // one process per world: the lock taken below is held until close (and WAL needs no -shm)
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL"); // the first read: "file is not a database" shows here
      db.pragma("synchronous = NORMAL");
      // a checkpoint (copy back and fsync) stalls the event loop: rarer, as in the bot's store
      db.pragma("wal_autocheckpoint = 10000");
      db.pragma("cache_size = -16384"); // 16 MiB
      const opened = db;
      opened
        .transaction(() => {
          if (empty) opened.exec("DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS meta;");
          checkFormat(opened, path);
        })
        .exclusive();
      return new WorldFile(db, path);
    } catch (error) {
      db?.close();
      if (error instanceof WorldFileError) throw error;
      const code = (error as { code?: string }).code;
      if (code === "SQLITE_BUSY")
        throw new WorldFileError(path, "in use by another running sandbox", {
          cause: error,
          inUse: true,
        });
      if (code === "SQLITE_NOTADB")
        throw new WorldFileError(path, "not a sandbox world file (not an SQLite database)", {
          cause: error,
        });
      throw new WorldFileError(path, `cannot be opened: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The saved rows of one kind, their data as JSON text. */
  rows(kind: string): SavedRow[] {
    const rows = this.db
      .prepare("SELECT id, data, blob FROM records WHERE kind = ?")
      .all(kind) as Array<{ id: string; data: string; blob: Buffer | null }>;
    return rows.map((r) => ({ id: r.id, json: r.data, blob: r.blob ?? undefined }));
  }

  /** Whether nothing was ever saved. */
  isEmpty(): boolean {
    return this.db.prepare("SELECT 1 FROM records LIMIT 1").get() === undefined;
  }

  /** Applies the changes in one transaction. */
  write(changes: RowChange[]): void {
    this.db.transaction(() => {
      for (const c of changes) {
        if (c.json === undefined) this.remove.run(c.kind, c.id);
        else this.upsert.run(c.kind, c.id, c.json, c.blob ?? null);
      }
    })();
  }

  close(): void {
    this.db.close();
  }
}

/** Creates the tables in a new file; refuses a file written in another format. */
function checkFormat(db: Database.Database, path: string): void {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
      name: string;
    }>
  ).map((t) => t.name);
  if (tables.length === 0) {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- a rowid table: new rows go at its end (random ids as the key made every save rewrite pages all over)
      CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, blob BLOB, PRIMARY KEY (kind, id));
    `);
    db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(String(WORLD_FORMAT));
    return;
  }
  if (!tables.includes("meta") || !tables.includes("records"))
    throw new WorldFileError(
      path,
      "not a sandbox world file (an SQLite database of something else)",
    );
  const format = (
    db.prepare("SELECT value FROM meta WHERE key = 'format'").get() as { value: string } | undefined
  )?.value;
  if (format !== String(WORLD_FORMAT)) {
    throw new WorldFileError(
      path,
      `written by another version of mmbot (world format ${format ?? "unknown"}; this version reads format ${WORLD_FORMAT})`,
    );
  }
}

// Embedded metadata repository on SQLite (better-sqlite3): one `records` table holding each record as
// JSON with its two index values in columns, WAL mode so the server and CLI can read concurrently.
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IndexField, RecordKind, RecordOf } from './model';
import { MAX_FIND, MAX_PAGE, checkRecord, indexSlot, indexValues, type MetadataRepository, type Page, type PageRequest } from './repository';

export class SqliteRepository implements MetadataRepository {
  private readonly db: Database.Database;

  /** `file` ':memory:' for tests; otherwise the database file (its folder is created). */
  constructor(file: string) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        kind TEXT NOT NULL, id TEXT NOT NULL, i0 TEXT, i1 TEXT, body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS records_i0 ON records (kind, i0, id);
      CREATE INDEX IF NOT EXISTS records_i1 ON records (kind, i1, id);
    `);
  }

  async get<K extends RecordKind>(kind: K, id: string): Promise<RecordOf<K> | null> {
    const row = this.db.prepare('SELECT body FROM records WHERE kind = ? AND id = ?').get(kind, id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as RecordOf<K>) : null;
  }

  async put<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<void> {
    const r = checkRecord(kind, record) as Record<string, unknown>;
    const [i0, i1] = indexValues(kind, r);
    this.db
      .prepare('INSERT OR REPLACE INTO records (kind, id, i0, i1, body) VALUES (?, ?, ?, ?, ?)')
      .run(kind, String(r.id), i0, i1, JSON.stringify(r));
  }

  async create<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<boolean> {
    const r = checkRecord(kind, record) as Record<string, unknown>;
    const [i0, i1] = indexValues(kind, r);
    const res = this.db
      .prepare('INSERT OR IGNORE INTO records (kind, id, i0, i1, body) VALUES (?, ?, ?, ?, ?)')
      .run(kind, String(r.id), i0, i1, JSON.stringify(r));
    return res.changes === 1;
  }

  async delete(kind: RecordKind, id: string): Promise<void> {
    this.db.prepare('DELETE FROM records WHERE kind = ? AND id = ?').run(kind, id);
  }

  async find<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, limit = MAX_FIND): Promise<RecordOf<K>[]> {
    const col = indexSlot(kind, field) === 0 ? 'i0' : 'i1';
    const rows = this.db
      .prepare(`SELECT body FROM records WHERE kind = ? AND ${col} = ? ORDER BY id LIMIT ?`)
      .all(kind, value, Math.min(limit, MAX_FIND)) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as RecordOf<K>);
  }

  async page<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, opts: PageRequest): Promise<Page<RecordOf<K>>> {
    const col = indexSlot(kind, field) === 0 ? 'i0' : 'i1';
    const limit = Math.max(1, Math.min(opts.limit ?? MAX_PAGE, MAX_PAGE));
    // one more than asked tells whether an older page exists
    const rows = (
      opts.before === undefined
        ? this.db.prepare(`SELECT body FROM records WHERE kind = ? AND ${col} = ? ORDER BY id DESC LIMIT ?`).all(kind, value, limit + 1)
        : this.db.prepare(`SELECT body FROM records WHERE kind = ? AND ${col} = ? AND id < ? ORDER BY id DESC LIMIT ?`).all(kind, value, opts.before, limit + 1)
    ) as { body: string }[];
    const items = rows.slice(0, limit).map((r) => JSON.parse(r.body) as RecordOf<K>);
    return { items, next: rows.length > limit ? String((items[items.length - 1] as { id: string }).id) : null };
  }

  async all<K extends RecordKind>(kind: K, limit = MAX_FIND): Promise<RecordOf<K>[]> {
    const rows = this.db
      .prepare('SELECT body FROM records WHERE kind = ? ORDER BY id LIMIT ?')
      .all(kind, Math.min(limit, MAX_FIND)) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as RecordOf<K>);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

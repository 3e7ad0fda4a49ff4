// The names the server's metadata gives a store's partitions: an upload through `memq serve` lives at
// project=<project id>/machine=<machine id>/snapshot=<snapshot id> (prj_…/mac_…/snp_…), so the CLI
// (`memq snapshots`) reads <store>/_platform/meta.sqlite — read-only, WAL lets it read while the server
// writes — to show "incident-1/web-01/memory.kdump" next to those ids. No metadata: no names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';

/** Where `memq serve` keeps its metadata inside a store folder. */
export function metadataFile(storeDir: string): string {
  return path.join(path.resolve(storeDir), '_platform', 'meta.sqlite');
}

/** at most this many records of each kind are read (names are a convenience, not a listing) */
const MAX_RECORDS = 100_000;

export interface StoreNames {
  project: Map<string, string>;
  machine: Map<string, string>;
  snapshot: Map<string, string>;
}

export function storeNames(storeDir: string): StoreNames {
  const out: StoreNames = { project: new Map(), machine: new Map(), snapshot: new Map() };
  const file = metadataFile(storeDir);
  if (!fs.existsSync(file)) return out;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    for (const kind of ['project', 'machine', 'snapshot'] as const) {
      const rows = db.prepare('SELECT id, body FROM records WHERE kind = ? LIMIT ?').all(kind, MAX_RECORDS) as { id: string; body: string }[];
      for (const r of rows) {
        try {
          const name = (JSON.parse(r.body) as { name?: unknown }).name;
          if (typeof name === 'string') out[kind].set(r.id, name);
        } catch {
          /* a damaged record: no name for it */
        }
      }
    }
  } catch {
    /* not a memq metadata file, or locked: the listing goes on without names */
  } finally {
    db?.close();
  }
  return out;
}

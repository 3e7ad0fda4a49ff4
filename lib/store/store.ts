// The local store: a directory laid out like the S3 data lake, one Hive-partitioned folder per
// catalog table — <store>/<table>/project=<p>/machine=<m>/snapshot=<s>/*.parquet — plus one
// manifest per snapshot in <store>/_manifests/project=<p>/machine=<m>/snapshot=<s>/manifest.json.
// DuckDB reads it through one view per table (read_parquet with hive partitioning), so the SQL
// compiled for DuckDB names tables exactly as the Athena SQL does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tables, tableNames, duckdbType, partitionKeys, type ColumnDef, type TableName } from '../model';
import { MemqError } from '../util/errors';
import type { SnapshotManifest } from './analyze';

export const MANIFEST_DIR = '_manifests';
export const PART_FILE = 'part-0.parquet';

export interface SnapshotRef {
  project: string;
  machine: string;
  snapshot: string;
}

export interface SnapshotInfo extends SnapshotRef {
  /** from the manifest when present */
  created_at?: string;
  os?: string;
  kernel?: string | null;
  captured_at?: string | null;
  dump?: string;
  counts?: Record<string, number>;
}

/** Default store directory: $MEMQ_STORE, else ./memq-store. */
export function defaultStoreDir(): string {
  return process.env.MEMQ_STORE || path.resolve('memq-store');
}

const VALUE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Partition values become directory names (and S3 keys): letters, digits, . _ - ; ≤ 128 chars. */
export function checkPartitionValue(key: string, v: string): string {
  if (!VALUE_RE.test(v) || v.includes('..'))
    throw new MemqError(`${key} "${v}" is not a valid name: use letters, digits, ".", "_" or "-" (at most 128, starting with a letter or digit)`, 'E_USAGE');
  return v;
}

export function partitionPath(ref: SnapshotRef): string {
  return `project=${checkPartitionValue('project', ref.project)}/machine=${checkPartitionValue('machine', ref.machine)}/snapshot=${checkPartitionValue('snapshot', ref.snapshot)}`;
}

/** Path of a table's Parquet file for one snapshot, relative to the store directory. */
export function tableFileRelative(t: TableName, ref: SnapshotRef, part = PART_FILE): string {
  return `${t}/${partitionPath(ref)}/${part}`;
}

export function manifestPath(dir: string, ref: SnapshotRef): string {
  return path.join(dir, MANIFEST_DIR, partitionPath(ref), 'manifest.json');
}

/**
 * Marker of a snapshot being published (memq add moves its tables from the staging folder into the
 * partitions, then writes the manifest and removes the marker). Holds the publisher's pid. A marker
 * left by a process that is gone means the publish was cut short: the snapshot is incomplete, never
 * listed or queried, and the next `memq add` of it cleans it up without --replace.
 */
export function publishingMarker(dir: string, ref: SnapshotRef): string {
  return path.join(dir, MANIFEST_DIR, partitionPath(ref), PUBLISHING);
}
const PUBLISHING = 'PUBLISHING';

function markerOwnerAlive(file: string): boolean {
  const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  if (!(pid > 0)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * absent: nothing of it in the store; complete: published (or written by a tool without a marker);
 * publishing: a live process is moving it in; interrupted: a publish was cut short (incomplete).
 */
export function snapshotState(dir: string, ref: SnapshotRef): 'absent' | 'complete' | 'publishing' | 'interrupted' {
  const marker = publishingMarker(dir, ref);
  try {
    return markerOwnerAlive(marker) ? 'publishing' : 'interrupted';
  } catch {
    /* no marker */
  }
  return snapshotExists(dir, ref) ? 'complete' : 'absent';
}

/** Snapshots with a publishing marker: hidden from listings and queries until their manifest is written. */
export function incompleteSnapshots(dir: string): SnapshotRef[] {
  const base = path.join(dir, MANIFEST_DIR);
  const out: SnapshotRef[] = [];
  for (const project of listKeyDirs(base, 'project'))
    for (const machine of listKeyDirs(path.join(base, `project=${project}`), 'machine'))
      for (const snapshot of listKeyDirs(path.join(base, `project=${project}`, `machine=${machine}`), 'snapshot'))
        if (fs.existsSync(path.join(base, `project=${project}`, `machine=${machine}`, `snapshot=${snapshot}`, PUBLISHING))) out.push({ project, machine, snapshot });
  return out;
}

/** Snapshot name used when `memq add` is given none: UTC time, e.g. 20261125T174500Z. */
export function defaultSnapshotName(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function listKeyDirs(dir: string, key: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const p = `${key}=`;
  return names.filter((n) => n.startsWith(p)).map((n) => n.slice(p.length));
}

/** Every snapshot in the store: partitions of any table, enriched with its manifest; incomplete ones left out. Sorted. */
export function listSnapshots(dir: string): SnapshotInfo[] {
  const found = new Map<string, SnapshotInfo>();
  const hidden = new Set(incompleteSnapshots(dir).map((r) => `${r.project}\0${r.machine}\0${r.snapshot}`));
  for (const top of [MANIFEST_DIR, ...tableNames]) {
    const base = path.join(dir, top);
    for (const project of listKeyDirs(base, 'project'))
      for (const machine of listKeyDirs(path.join(base, `project=${project}`), 'machine'))
        for (const snapshot of listKeyDirs(path.join(base, `project=${project}`, `machine=${machine}`), 'snapshot')) {
          const key = `${project}\0${machine}\0${snapshot}`;
          if (!found.has(key) && !hidden.has(key)) found.set(key, { project, machine, snapshot });
        }
  }
  const out = [...found.values()];
  for (const s of out) {
    const m = readManifest(dir, s);
    if (m) Object.assign(s, { created_at: m.created_at, os: m.os, kernel: m.kernel, captured_at: m.captured_at ?? null, dump: m.dump?.name, counts: m.counts });
  }
  return out.sort((a, b) => a.project.localeCompare(b.project) || a.machine.localeCompare(b.machine) || a.snapshot.localeCompare(b.snapshot));
}

export function readManifest(dir: string, ref: SnapshotRef): SnapshotManifest | null {
  try {
    return JSON.parse(fs.readFileSync(manifestPath(dir, ref), 'utf8')) as SnapshotManifest;
  } catch {
    return null;
  }
}

export function writeManifest(dir: string, ref: SnapshotRef, m: SnapshotManifest): void {
  const file = manifestPath(dir, ref);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ ...m, ...ref }, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

const GENERATION_FILE = 'GENERATION';

/**
 * Marks the store as changed (memq add / remove call this; so must any other tool that writes
 * Parquet into a store that a long-running process may hold cached). Cheap to read back.
 */
export function bumpStoreGeneration(dir: string): void {
  const file = path.join(dir, MANIFEST_DIR, GENERATION_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${new Date().toISOString()} ${process.pid} ${Math.random().toString(36).slice(2)}\n`);
}

/** The store's change marker ('' when nothing bumped it yet). */
export function storeGeneration(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, MANIFEST_DIR, GENERATION_FILE), 'utf8');
  } catch {
    return '';
  }
}

/** Total bytes of the Parquet files of every table (walks the partition folders). */
export function storeParquetBytes(dir: string): number {
  let total = 0;
  for (const t of tableNames) {
    const base = path.join(dir, t);
    for (const p of listKeyDirs(base, 'project'))
      for (const m of listKeyDirs(path.join(base, `project=${p}`), 'machine'))
        for (const s of listKeyDirs(path.join(base, `project=${p}`, `machine=${m}`), 'snapshot')) {
          const d = path.join(base, `project=${p}`, `machine=${m}`, `snapshot=${s}`);
          try {
            for (const f of fs.readdirSync(d)) if (f.endsWith('.parquet')) total += fs.statSync(path.join(d, f)).size;
          } catch {
            /* raced with a delete */
          }
        }
  }
  return total;
}

export function snapshotExists(dir: string, ref: SnapshotRef): boolean {
  return fs.existsSync(manifestPath(dir, ref)) || tableNames.some((t) => fs.existsSync(path.join(dir, t, partitionPath(ref))));
}

/** true when the table has at least one Parquet file under its partitions */
function tableHasFiles(dir: string, t: TableName): boolean {
  const base = path.join(dir, t);
  for (const p of listKeyDirs(base, 'project'))
    for (const m of listKeyDirs(path.join(base, `project=${p}`), 'machine'))
      for (const s of listKeyDirs(path.join(base, `project=${p}`, `machine=${m}`), 'snapshot')) {
        try {
          if (fs.readdirSync(path.join(base, `project=${p}`, `machine=${m}`, `snapshot=${s}`)).some((f) => f.endsWith('.parquet'))) return true;
        } catch {
          /* raced with a delete: keep looking */
        }
      }
  return false;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * View over one table: all its Parquet files, partition keys as VARCHAR columns; typed empty if none.
 * Snapshots in `hidden` (incomplete: a publish was cut short or is under way) are filtered out.
 */
export function tableViewSql(dir: string, t: TableName, hasFiles: boolean, hidden: readonly SnapshotRef[] = []): string {
  if (hasFiles) {
    const glob = path.join(dir, t, '*', '*', '*', '*.parquet');
    const read = `SELECT * FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
    if (!hidden.length) return `CREATE OR REPLACE VIEW "${t}" AS ${read}`;
    const keys = hidden.map((r) => `(${sqlString(r.project)}, ${sqlString(r.machine)}, ${sqlString(r.snapshot)})`).join(', ');
    return `CREATE OR REPLACE VIEW "${t}" AS ${read} WHERE (project, machine, snapshot) NOT IN (${keys})`;
  }
  const cols = [
    ...partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS "${k}"`),
    ...Object.entries(tables[t].columns as Record<string, ColumnDef>).map(([n, c]) => `CAST(NULL AS ${duckdbType(c.kind)}) AS "${n}"`),
  ];
  return `CREATE OR REPLACE VIEW "${t}" AS SELECT ${cols.join(', ')} WHERE FALSE`;
}

export interface StoreOptions {
  /** create the directory if missing */
  create?: boolean;
  /**
   * Load the tables into DuckDB memory and query those (about 10× faster per query than reading
   * Parquet each time) — for processes that run many queries (REPL, hunt, server, benchmarks).
   * Reloaded when the store generation changes (bumpStoreGeneration). Falls back to reading the
   * Parquet files when the store is larger than cacheBudgetBytes.
   */
  cache?: boolean;
  /** largest total Parquet size that is loaded into memory; default 256 MiB */
  cacheBudgetBytes?: number;
  /**
   * DuckDB connections queries may use at once (default 1). A server uses a few, so one heavy query
   * does not hold everybody else's; they share the views of one database. Ignored with `cache`
   * (reloading the cached tables must not interleave with queries).
   */
  connections?: number;
}

/** A store directory plus (lazily) an in-memory DuckDB whose views (or cached tables) read it. */
export class LocalStore {
  private db?: DuckDBInstance;
  private conn?: DuckDBConnection;
  private opening?: Promise<DuckDBConnection>;
  private readonly emptyTables = new Set<TableName>();
  private cachedGeneration?: string;
  private syncing?: Promise<void>;
  private cachedOnce = false;
  /** store generation the views (files mode, no cache) were built at */
  private viewsGeneration?: string;
  /** 'memory' when the tables are loaded, 'files' when views read the Parquet files */
  mode: 'files' | 'memory' = 'files';

  constructor(
    readonly dir: string,
    private readonly opts: StoreOptions = {},
  ) {}

  snapshots(): SnapshotInfo[] {
    return listSnapshots(this.dir);
  }

  private queue: Promise<unknown> = Promise.resolve();
  /** query connections (pooled mode): not in use, all made, callers waiting for one (FIFO) */
  private readonly idle: DuckDBConnection[] = [];
  private readonly pool: DuckDBConnection[] = [];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];

  private get maxConnections(): number {
    return this.opts.cache ? 1 : Math.max(1, Math.floor(this.opts.connections ?? 1));
  }

  /**
   * Runs `fn` with a connection of its own for the duration: a DuckDB connection has a single active
   * result (starting a query ends a streaming one), so callers never share one at the same time.
   * With one connection (the default, and always with `cache`: a reload must not interleave with
   * queries) callers take turns on it. With several, up to that many queries run at once on pooled
   * connections of the same database (they see its views; the first connection keeps the view DDL to
   * itself) and the others wait their turn. Use this rather than connection() when several callers
   * may run at once (a server).
   */
  async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.maxConnections === 1) {
      const run = this.queue.then(async () => fn(await this.connection()));
      this.queue = run.catch(() => undefined);
      return run;
    }
    await this.connection(); // views up to date before the query
    let conn: DuckDBConnection;
    if (this.idle.length) conn = this.idle.pop()!;
    else if (this.pool.length < this.maxConnections) {
      conn = await this.db!.connect();
      this.pool.push(conn);
    } else conn = await new Promise<DuckDBConnection>((r) => this.waiters.push(r));
    try {
      return await fn(conn);
    } finally {
      const next = this.waiters.shift();
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  /** The DuckDB connection with one view (or cached table) per catalog table, created on first use. */
  async connection(): Promise<DuckDBConnection> {
    const conn = this.conn ?? (await (this.opening ??= this.open()));
    if (this.opts.cache) {
      // one reload at a time; concurrent callers wait for it
      this.syncing ??= this.syncCache(conn).finally(() => (this.syncing = undefined));
      await this.syncing;
    } else if (storeGeneration(this.dir) !== this.viewsGeneration) {
      // a snapshot was added, removed or is being published: rebuild the views (hidden snapshots change)
      this.syncing ??= this.buildViews(conn).finally(() => (this.syncing = undefined));
      await this.syncing;
    } else await this.refreshEmptyViews(conn);
    return conn;
  }

  /** (Re)loads the tables into memory when the store generation moved, or falls back to views. */
  private async syncCache(conn: DuckDBConnection): Promise<void> {
    const gen = storeGeneration(this.dir);
    if (this.cachedGeneration === gen && this.emptyTables.size === 0) return;
    if (this.cachedGeneration === gen && this.mode === 'files') return this.refreshEmptyViews(conn);
    this.cachedGeneration = gen;
    const budget = this.opts.cacheBudgetBytes ?? 256 << 20;
    const wantMemory = storeParquetBytes(this.dir) <= budget;
    this.emptyTables.clear();
    const hidden = incompleteSnapshots(this.dir);
    for (const t of tableNames) {
      const has = tableHasFiles(this.dir, t);
      // DuckDB refuses DROP VIEW on a table (and the reverse): drop what the last load made
      if (this.cachedOnce) await conn.run(`DROP ${this.mode === 'memory' ? 'TABLE' : 'VIEW'} IF EXISTS "${t}"`);
      if (wantMemory) {
        await conn.run(tableViewSql(this.dir, t, has, hidden).replace(/^CREATE OR REPLACE VIEW/, 'CREATE TABLE'));
      } else {
        if (!has) this.emptyTables.add(t);
        await conn.run(tableViewSql(this.dir, t, has, hidden));
      }
    }
    this.mode = wantMemory ? 'memory' : 'files';
    this.cachedOnce = true;
  }

  private async open(): Promise<DuckDBConnection> {
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await db.connect();
    // parsed Parquet footers are reused across queries: the same files are read again and again
    await conn.run('SET GLOBAL parquet_metadata_cache = true');
    if (!this.opts.cache) await this.buildViews(conn);
    this.db = db;
    this.conn = conn;
    return conn;
  }

  /** One view per table over the Parquet files (files mode), leaving out incomplete snapshots. */
  private async buildViews(conn: DuckDBConnection): Promise<void> {
    const gen = storeGeneration(this.dir);
    const hidden = incompleteSnapshots(this.dir);
    this.emptyTables.clear();
    for (const t of tableNames) {
      const has = tableHasFiles(this.dir, t);
      if (!has) this.emptyTables.add(t);
      await conn.run(tableViewSql(this.dir, t, has, hidden));
    }
    this.viewsGeneration = gen;
  }

  /** Tables that were empty at open time get a real view once files appear (memq add while open). */
  private async refreshEmptyViews(conn: DuckDBConnection): Promise<void> {
    for (const t of [...this.emptyTables]) {
      if (tableHasFiles(this.dir, t)) {
        await conn.run(tableViewSql(this.dir, t, true, incompleteSnapshots(this.dir)));
        this.emptyTables.delete(t);
      }
    }
  }

  close(): void {
    for (const c of this.pool) c.closeSync();
    this.pool.length = 0;
    this.idle.length = 0;
    this.conn?.closeSync();
    this.db?.closeSync();
    this.conn = undefined;
    this.db = undefined;
    this.opening = undefined;
    this.cachedGeneration = undefined;
    this.viewsGeneration = undefined;
    this.cachedOnce = false;
    this.mode = 'files';
    this.emptyTables.clear();
  }
}

/** Opens a store directory (it must exist unless `create`); DuckDB starts on the first query. */
export function openLocalStore(dir: string, opts: StoreOptions = {}): LocalStore {
  const abs = path.resolve(dir);
  if (!fs.existsSync(abs)) {
    if (!opts.create) throw new MemqError(`store directory ${abs} does not exist (memq add <dump> --store ${dir} creates it)`, 'E_NO_STORE');
    fs.mkdirSync(abs, { recursive: true });
  } else if (!fs.statSync(abs).isDirectory()) {
    throw new MemqError(`store ${abs} is not a directory`, 'E_NO_STORE');
  }
  return new LocalStore(abs, opts);
}

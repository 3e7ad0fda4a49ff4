// The embedded data plane behind `memq serve`: dumps stream to <store>/_uploads, a child process runs
// the same `addDumpToStore` as `memq add` (a hostile dump can crash or stall only that child, which
// is killed after a deadline), tables are browsed and queried with DuckDB over the store's Parquet.
// Partition values are platform ids (project/machine/snapshot), unique and path-safe.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { tables, type ColumnDef, type TableName } from '../model';
import { compileQuery, checkQueryText, QueryError } from '../query';
import { runQuery } from '../engine';
import { openLocalStore, tableFileRelative, type LocalStore, type SnapshotRef } from '../store/store';
import { removeSnapshot } from '../store/add';
import { PlatformError } from '../platform/errors';
import { newId, type Snapshot } from '../platform/model';
import type { BrowseOptions, DataPlane, HuntJob, HuntResult, HuntSelection, IocJob, IocResult, MultipartUpload, Page, PlaybookInfo, QueryCheck, QueryJob, UploadTarget } from '../dataplane/types';
import { LocalJobs } from './local-jobs';
import { iocTables } from '../ioc/search';
import { API_PREFIX } from './http';
import { jsonValue } from '../util/json-value';
import { huntOver, iocOver, loadPlaybooks, selectHuntPlaybooks } from '../dataplane/hunt-bridge';

/** Limits that keep one server healthy on hostile input and heavy use. */
const LIMITS = {
  maxUploadBytes: 64 * 2 ** 30,
  analysisTimeoutMs: 30 * 60_000,
  maxJobs: 64,
  maxResultRows: 1_000_000,
  jobTtlMs: 60 * 60_000,
  concurrentAnalyses: 1,
};

export const refOf = (s: Snapshot): SnapshotRef => ({ project: s.project_id, machine: s.machine_id, snapshot: s.id });

interface Job extends QueryJob {
  columns: Page['columns'];
  rows: unknown[][];
  finished_at: number;
}

export interface LocalDataPlaneOptions {
  /** extra environment for the analysis child (tests set MEMQ_CACHE) */
  env?: NodeJS.ProcessEnv;
}

export class LocalDataPlane implements DataPlane {
  readonly store: LocalStore;
  private readonly uploads: string;
  private readonly jobs = new Map<string, Job>();
  /** background hunts and IOC searches (awaited on close) */
  private readonly hunts = new LocalJobs<HuntResult, HuntJob>('hunt', 'hunt', { maxJobs: LIMITS.maxJobs, ttlMs: LIMITS.jobTtlMs });
  private readonly iocSearches = new LocalJobs<IocResult, IocJob>('IOC search', 'ioc', { maxJobs: LIMITS.maxJobs, ttlMs: LIMITS.jobTtlMs });
  private readonly children = new Set<ChildProcess>();
  private queue: Promise<void> = Promise.resolve();
  private browseDb?: Promise<DuckDBConnection>;
  private browseInstance?: DuckDBInstance;

  constructor(readonly dir: string, private readonly opts: LocalDataPlaneOptions = {}) {
    this.store = openLocalStore(dir, { create: true });
    this.uploads = path.join(this.store.dir, '_uploads');
    fs.mkdirSync(this.uploads, { recursive: true });
    // start DuckDB now: the first snapshot overview after an analysis should not pay for it
    void this.conn().catch(() => undefined);
  }

  private uploadFile(snap: Snapshot): string {
    return path.join(this.uploads, `${snap.id}.dump`);
  }

  async uploadTarget(snap: Snapshot): Promise<UploadTarget> {
    return { method: 'PUT', url: `${API_PREFIX}/snapshots/${encodeURIComponent(snap.id)}/content`, headers: { 'content-type': 'application/octet-stream' }, via_api: true };
  }

  async receiveUpload(snap: Snapshot, body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): Promise<number> {
    const file = this.uploadFile(snap);
    const tmp = `${file}.part`;
    const out = fs.createWriteStream(tmp);
    let n = 0;
    try {
      for await (const chunk of body) {
        n += chunk.length;
        if (n > LIMITS.maxUploadBytes) throw new PlatformError(413, `upload over ${LIMITS.maxUploadBytes} bytes`);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
        onBytes(n);
      }
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    } catch (e) {
      out.destroy();
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    if (n === 0) {
      fs.rmSync(tmp, { force: true });
      throw new PlatformError(400, 'the upload was empty');
    }
    fs.renameSync(tmp, file);
    return n;
  }

  async startAnalysis(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void> {
    // analyses run one at a time (2 cores); the request returns at once
    this.queue = this.queue.then(() => this.analyze(snap, report)).catch(() => undefined);
  }

  private async analyze(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void> {
    const dump = this.uploadFile(snap);
    await report({ status: 'analyzing', stage: 'opening dump', progress: 0.05 });
    // the built CLI (dist/cli) ships the worker as JavaScript beside this code; the sources run it through tsx
    const built = path.join(__dirname, 'analyze-worker.js');
    const worker = fs.existsSync(built) ? [built] : ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'analyze-worker.ts')];
    const args = [...worker, this.store.dir, dump, snap.project_id, snap.machine_id, snap.id];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env, MEMQ_PROGRESS: '0' } });
    this.children.add(child);
    let stderr = '';
    let lastReport = 0;
    let manifest: { os?: string; kernel?: string | null; counts?: Record<string, number> } | null = null;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.length > 1 << 20) buf = buf.slice(-4096);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const msg = JSON.parse(line) as { progress?: { stage: string; done: number; total: number }; manifest?: typeof manifest };
          if (msg.manifest) manifest = msg.manifest;
          if (msg.progress && Date.now() - lastReport > 250) {
            lastReport = Date.now();
            const p = msg.progress.total > 0 ? msg.progress.done / msg.progress.total : 0;
            void report({ stage: msg.progress.stage, progress: Math.min(0.99, 0.1 + 0.9 * p) });
          }
        } catch {
          /* not a protocol line */
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMITS.analysisTimeoutMs);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(timer);
    this.children.delete(child);
    if (code === 0 && manifest) {
      const m = manifest as { os?: string; kernel?: string | null; counts?: Record<string, number> };
      await report({ status: 'ready', progress: 1, stage: 'analyzed', os: m.os ?? null, kernel: m.kernel ?? null, counts: m.counts ?? {}, error: null });
    } else {
      const lastLine = stderr.trim().split('\n').filter(Boolean).pop() ?? `analysis exited with code ${code}`;
      await report({ status: 'failed', stage: 'analysis failed', error: lastLine.replace(/^memq:\s*/, '').slice(0, 1000) });
    }
  }

  private async conn(): Promise<DuckDBConnection> {
    this.browseDb ??= (async () => {
      this.browseInstance = await DuckDBInstance.create(':memory:', { threads: '2' });
      return this.browseInstance.connect();
    })();
    return this.browseDb;
  }

  async browse(snap: Snapshot, table: TableName, o: BrowseOptions): Promise<Page> {
    const cols = tables[table].columns as Record<string, ColumnDef>;
    const columns = Object.entries(cols).map(([name, c]) => ({ name, kind: c.kind }));
    const file = path.join(this.store.dir, tableFileRelative(table, refOf(snap)));
    if (!fs.existsSync(file)) return { columns, rows: [], total: 0, offset: o.offset };
    const where: string[] = [];
    const params: (string | number | boolean)[] = [];
    for (const [k, v] of Object.entries(o.filter ?? {})) {
      const c = cols[k]!;
      if (c.kind === 'string' || c.kind === 'address') {
        where.push(`"${k}" ILIKE ? ESCAPE '\\'`);
        params.push(`%${v.replace(/[\\%_]/g, (m) => '\\' + m)}%`);
      } else if (c.kind === 'string_list') {
        where.push(`array_to_string("${k}", ' ') ILIKE ? ESCAPE '\\'`);
        params.push(`%${v.replace(/[\\%_]/g, (m) => '\\' + m)}%`);
      } else if (c.kind === 'bool') {
        where.push(`"${k}" = ?`);
        params.push(v === 'true');
      } else {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new PlatformError(400, `filter ${k}: expected a number, got "${v}"`);
        where.push(`"${k}" = ?`);
        params.push(n);
      }
    }
    const src = `read_parquet('${file.replace(/'/g, "''")}')`;
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = o.order_by ? `ORDER BY "${o.order_by}" ${o.desc ? 'DESC' : 'ASC'} NULLS LAST` : '';
    const c = await this.conn();
    const run = async (sql: string) => {
      const st = await c.prepare(sql);
      if (params.length) st.bind(params);
      return (await st.runAndReadAll()).getRowsJS();
    };
    const [[total]] = (await run(`SELECT count(*) FROM ${src} ${w}`)) as [[bigint]];
    const rows = await run(`SELECT ${columns.map((x) => `"${x.name}"`).join(', ')} FROM ${src} ${w} ${order} LIMIT ${o.limit} OFFSET ${o.offset}`);
    return { columns, rows: rows.map((r) => r.map(jsonValue)), total: Number(total), offset: o.offset };
  }

  checkQuery(text: string): QueryCheck {
    try {
      checkQueryText(text);
      return { ok: true };
    } catch (e) {
      if (e instanceof QueryError) return { ok: false, message: e.message, position: { line: e.line, column: e.column }, suggestions: e.suggestions };
      throw e;
    }
  }

  private gcJobs(): void {
    const now = Date.now();
    for (const [id, j] of this.jobs) if (j.status !== 'running' && now - j.finished_at > LIMITS.jobTtlMs) this.jobs.delete(id);
    while (this.jobs.size >= LIMITS.maxJobs) {
      const oldest = [...this.jobs.values()].filter((j) => j.status !== 'running').sort((a, b) => a.finished_at - b.finished_at)[0];
      if (!oldest) throw new PlatformError(503, 'too many queries running; try again shortly');
      this.jobs.delete(oldest.id);
    }
  }

  async startQuery(snaps: Snapshot[], text: string, ownerId: string): Promise<QueryJob> {
    this.gcJobs();
    // compile first: query mistakes answer the request with their position instead of becoming a job
    const compiled = compileQuery(text, { dialect: 'duckdb', scope: { snapshots: snaps.map((s) => s.id) } });
    const job: Job = {
      id: newId('job'),
      owner_id: ownerId,
      status: 'running',
      text,
      snapshot_ids: snaps.map((s) => s.id),
      error: null,
      elapsed_ms: null,
      total: null,
      columns: compiled.columns.map((c) => ({ name: c.name, kind: c.kind })),
      rows: [],
      finished_at: 0,
    };
    this.jobs.set(job.id, job);
    const t0 = performance.now();
    const done = (async () => {
      try {
        if (snaps.length > 0) {
          const r = await runQuery(this.store, text, { snapshots: snaps.map((s) => s.id) }, { maxRows: LIMITS.maxResultRows });
          if (r.truncated) throw new PlatformError(413, `query returned over ${LIMITS.maxResultRows} rows; narrow it down`);
          const names = r.columns.map((c) => c.name);
          job.rows = r.rows.map((row) => names.map((n) => jsonValue(row[n])));
        }
        job.total = job.rows.length;
        job.status = 'done';
      } catch (e) {
        job.status = 'failed';
        job.error = { message: (e as Error).message.split('\n')[0]!.slice(0, 1000), position: e instanceof QueryError ? { line: e.line, column: e.column } : null };
      } finally {
        job.elapsed_ms = Math.round(performance.now() - t0);
        job.finished_at = Date.now();
      }
    })();
    // small queries answer in the first response; large ones keep running and are polled
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    return this.publicJob(job);
  }

  private publicJob(j: Job): QueryJob {
    const { columns: _c, rows: _r, finished_at: _f, ...pub } = j;
    return pub;
  }

  async queryPage(jobId: string, ownerId: string, offset: number, limit: number): Promise<{ job: QueryJob; page: Page | null }> {
    const j = this.jobs.get(jobId);
    // another user's job is reported exactly like a missing one
    if (!j || j.owner_id !== ownerId) throw new PlatformError(404, 'query not found (results expire after an hour)');
    if (j.status !== 'done') return { job: this.publicJob(j), page: null };
    return { job: this.publicJob(j), page: { columns: j.columns, rows: j.rows.slice(offset, offset + limit), total: j.rows.length, offset } };
  }

  async startIocSearch(snaps: Snapshot[], values: string[], limit: number, ownerId: string): Promise<IocJob> {
    const scoped = snaps.map((s) => ({ id: s.id, ref: refOf(s) }));
    return this.iocSearches.start(ownerId, { snapshot_ids: snaps.map((s) => s.id), values }, iocTables().length, (job) =>
      iocOver(this.store, scoped, values, limit, (done, total) => (job.progress = { done, total })),
    );
  }

  async iocSearchStatus(jobId: string, ownerId: string): Promise<IocJob> {
    return this.iocSearches.get(jobId, ownerId);
  }

  async playbooks(): Promise<PlaybookInfo[]> {
    return loadPlaybooks();
  }

  async startHunt(snaps: Snapshot[], opts: HuntSelection, ownerId: string): Promise<HuntJob> {
    const scoped = snaps.map((s) => ({ id: s.id, ref: refOf(s) }));
    // runs in the background (DuckDB in this process); the request answers with the job at once
    return this.hunts.start(ownerId, { snapshot_ids: snaps.map((s) => s.id) }, selectHuntPlaybooks(opts).length, (job) =>
      huntOver(this.store, scoped, opts, (done, total) => (job.progress = { done, total })),
    );
  }

  async huntStatus(jobId: string, ownerId: string): Promise<HuntJob> {
    return this.hunts.get(jobId, ownerId);
  }

  // Dumps reach this server as one stream (no 5 GiB single-PUT limit), so there is no multipart upload.
  private noMultipart(snap: Snapshot): never {
    throw new PlatformError(409, `multipart uploads are for cloud storage; here stream the dump with PUT ${API_PREFIX}/snapshots/${snap.id}/content`);
  }
  async createMultipart(snap: Snapshot): Promise<MultipartUpload> {
    this.noMultipart(snap);
  }
  async multipartParts(snap: Snapshot): Promise<MultipartUpload> {
    this.noMultipart(snap);
  }
  async completeMultipart(snap: Snapshot): Promise<void> {
    this.noMultipart(snap);
  }
  async abortMultipart(snap: Snapshot): Promise<void> {
    this.noMultipart(snap);
  }

  async deleteData(snap: Snapshot): Promise<void> {
    removeSnapshot(this.store.dir, refOf(snap));
    fs.rmSync(this.uploadFile(snap), { force: true });
  }

  async close(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await this.queue;
    await Promise.all([this.hunts.drain(), this.iocSearches.drain()]);
    this.store.close();
    if (this.browseDb) (await this.browseDb).closeSync();
    this.browseInstance?.closeSync();
  }
}

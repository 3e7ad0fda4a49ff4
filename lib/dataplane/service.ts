// The one data plane behind lib/api's routes, for `memq serve` and the API Lambda alike: query, hunt
// and IOC jobs (start → poll → result), table browsing, the playbook library, and — through the
// DumpStore — uploads, analysis and deletion. It runs on three ports (ports.ts): where SQL runs
// (DuckDB or Athena), where job state lives (memory or S3) and where dumps go (store folder or S3).
// Every statement is compiled by lib/query and scoped to the snapshots the router already authorized
// (partition-key equality), so no route reads another org's rows. Jobs belong to their owner: another
// user's job is reported exactly like a missing one. What a finished hunt found per snapshot outlives
// the job (HuntSummaryStore): the fleet overview reads it; the route decides who may see which.
import * as crypto from 'node:crypto';
import { compileBrowse, compileQuery, checkQueryText, QueryError, type CompiledQuery } from '../query';
import { searchIocs } from '../ioc/search';
import { runHunt } from '../hunt/runner';
import { evidenceQuery } from '../hunt/evidence';
import type { Playbook } from '../hunt/playbook';
import { tables, tableNames, type ColumnDef, type ColumnKind, type TableName } from '../model';
import { PlatformError, RateLimited } from '../platform/errors';
import type { Snapshot } from '../platform/model';
import { MemqError } from '../util/errors';
import { advanceBatch, pendingQuery, type BatchQuery } from './batch';
import { huntReportOf, huntResultOf, iocResultOf, loadPlaybooks, selectHuntPlaybooks } from './library';
import type { HuntReport } from '../hunt/runner';
import { MAX_PAGE_BYTES, boundedSlice } from './page-bytes';
import type { DumpStore, HuntSummaryStore, JobStore, SqlEngine, SqlStatement, StatementColumn } from './ports';
import { snapshotSummaries } from '../hunt/snapshot-summary';
import type {
  BrowseOptions,
  DataPlane,
  HuntJob,
  HuntSelection,
  IocJob,
  IocResult,
  MultipartUpload,
  OverviewPages,
  Page,
  PartRange,
  PlaybookInfo,
  QueryCheck,
  QueryJob,
  UploadTarget,
} from './types';
import { redactPaths } from '../util/redact';
import { processView } from './process-view';
import type { HuntHit, HuntSummary, ProcessView } from '../model/jobs';

export interface DataPlaneLimits {
  /** rows a query job keeps at most (more: the job fails asking to narrow the query) */
  maxResultRows: number;
  /** serialized bytes a query job keeps at most (more: the job fails asking to narrow the query) */
  maxResultBytes?: number;
  /**
   * jobs (queries, hunts, IOC searches) one user may have running at once; one more is refused (429)
   * until one finishes. Counted by this process (the local server; each cloud instance for itself).
   */
  maxRunningJobsPerUser?: number;
  /** serialized rows per page (Lambda responses are ≤ 6 MB) */
  maxPageBytes?: number;
  /** statements of one hunt or IOC search running at once (Athena's account default is 20–25) */
  batchConcurrency?: number;
  /** how long a synchronous statement (browsing) may take before the request gives up */
  browseTimeoutMs?: number;
  /** how job expiry is worded in "not found" answers */
  jobsExpireAfter: string;
}

export interface DataPlaneOptions {
  engine: SqlEngine;
  jobs: JobStore;
  dumps: DumpStore;
  /** the latest hunt summary per snapshot (durable); absent: not kept (planes built by unit tests) */
  summaries?: HuntSummaryStore;
  limits: DataPlaneLimits;
  sleep?: (ms: number) => Promise<void>;
}

interface StoredQuery extends QueryJob {
  execution_id: string | null;
  columns: StatementColumn[];
}

interface StoredHuntQuery extends BatchQuery {
  /** the evidence form of the playbook query it was compiled from (lib/hunt/evidence.ts) */
  text: string;
}

interface StoredHunt extends HuntJob {
  started_at: number;
  playbook_ids: string[];
  /** the custom playbooks as authorized when the hunt started (later polls may run elsewhere) */
  custom?: Playbook[];
  queries: StoredHuntQuery[];
}

interface StoredIocQuery extends BatchQuery {
  table: string;
  /** the statement as lib/ioc issued it (sql + raw params), to hand its rows back on replay */
  key: string;
}

interface StoredIoc extends IocJob {
  started_at: number;
  limit: number;
  queries: StoredIocQuery[];
}

const KIND = { query: 'job', hunt: 'hunt', ioc: 'ioc' } as const;
const newJobId = (k: keyof typeof KIND) => `${KIND[k]}_${crypto.randomBytes(12).toString('hex')}`;
const isJobId = (k: keyof typeof KIND, id: string) => new RegExp(`^${KIND[k]}_[0-9a-f]{24}$`).test(id);
const jobKey = (id: string) => `jobs/${id}.json`;
const rowsKey = (id: string) => `jobs/${id}.rows.json`;
const huntKey = (id: string) => `hunts/${id}.json`;
const iocKey = (id: string) => `ioc-searches/${id}.json`;
const statementKey = (sql: string, params: unknown[]) => `${sql}\0${JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;
const HUNT_ROWS = 1000;

/** Whether rows serialize to more than `max` bytes (stops counting as soon as they do). */
function overBytes(rows: unknown[][], max: number): boolean {
  let n = 0;
  for (const r of rows) {
    n += JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).length + 1;
    if (n > max) return true;
  }
  return false;
}

/** Column name → kind across the catalog (a name has one kind wherever it appears): types IOC rows. */
const columnKinds = new Map<string, ColumnKind>();
for (const t of tableNames) for (const [n, c] of Object.entries(tables[t].columns as Record<string, ColumnDef>)) if (!columnKinds.has(n)) columnKinds.set(n, c.kind);

export class DataPlaneService implements DataPlane {
  private readonly engine: SqlEngine;
  private readonly jobs: JobStore;
  private readonly dumps: DumpStore;
  private readonly summaries?: HuntSummaryStore;
  private readonly limits: DataPlaneLimits;
  private readonly sleep: (ms: number) => Promise<void>;
  /** the precomputed overview, when the dump store has one (cloud); the route browses otherwise */
  readonly overview?: (snap: Snapshot) => Promise<OverviewPages>;

  constructor(o: DataPlaneOptions) {
    this.engine = o.engine;
    this.jobs = o.jobs;
    this.dumps = o.dumps;
    this.summaries = o.summaries;
    this.limits = o.limits;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    if (o.dumps.overview) this.overview = (snap) => o.dumps.overview!(snap);
  }

  private compile(text: string, snaps: Snapshot[]): CompiledQuery {
    return compileQuery(text, { dialect: this.engine.dialect, database: this.engine.database, scope: { snapshots: snaps.map((s) => s.id) } });
  }

  private notFound(what: string): PlatformError {
    return new PlatformError('not_found', `${what} not found (results expire after ${this.limits.jobsExpireAfter})`);
  }

  // ------------------------------------------------------------------ dumps (delegated)
  uploadTarget(snap: Snapshot): Promise<UploadTarget> {
    return this.dumps.uploadTarget(snap);
  }
  get receiveUpload(): DataPlane['receiveUpload'] {
    const d = this.dumps;
    return d.receiveUpload && ((snap, body, onBytes) => d.receiveUpload!(snap, body, onBytes));
  }
  startAnalysis(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void> {
    return this.dumps.startAnalysis(snap, report);
  }
  createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload> {
    return this.dumps.createMultipart(snap, range);
  }
  multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload> {
    return this.dumps.multipartParts(snap, uploadId, range);
  }
  completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void> {
    return this.dumps.completeMultipart(snap, uploadId, parts);
  }
  abortMultipart(snap: Snapshot, uploadId: string): Promise<void> {
    return this.dumps.abortMultipart(snap, uploadId);
  }
  async deleteData(snap: Snapshot): Promise<void> {
    await this.dumps.deleteData(snap);
    await this.summaries?.delete(snap.id);
  }
  get exportEvidence(): DataPlane['exportEvidence'] {
    const d = this.dumps;
    return d.exportEvidence && ((snap, req) => d.exportEvidence!(snap, req));
  }
  get exportFile(): DataPlane['exportFile'] {
    const d = this.dumps;
    return d.exportFile && ((snap, id, file) => d.exportFile!(snap, id, file));
  }
  close(): Promise<void> {
    return this.dumps.close();
  }

  // ------------------------------------------------------------------ one statement, now (browsing)
  /** Runs a statement to completion within the browse deadline (polling the engine). */
  private async runNow(st: SqlStatement, maxRows: number): Promise<unknown[][]> {
    const id = await this.engine.start(st);
    const deadline = Date.now() + (this.limits.browseTimeoutMs ?? 20_000);
    for (let delay = 100; ; delay = Math.min(1000, Math.ceil(delay * 1.5))) {
      const s = await this.engine.state(id);
      if (s.state === 'succeeded') break;
      if (s.state === 'failed') throw new MemqError(s.reason, 'E_QUERY');
      if (Date.now() > deadline) {
        await this.engine.stop?.(id);
        throw new PlatformError('unavailable', 'the table did not load in time; try again, or run a query (queries run as jobs)');
      }
      await this.sleep(delay);
    }
    return (await this.engine.fetch(id, st.columns, maxRows)).rows;
  }

  async browse(snap: Snapshot, table: TableName, o: BrowseOptions): Promise<Page> {
    const b = compileBrowse(
      { table, snapshot: { project: snap.project_id, machine: snap.machine_id, snapshot: snap.id }, filter: o.filter, order_by: o.order_by, desc: o.desc, offset: o.offset, limit: o.limit },
      { dialect: this.engine.dialect, database: this.engine.database },
    );
    const columns = b.columns.map((c) => ({ name: c.name, kind: c.kind }));
    let rows: unknown[][];
    let total: number;
    if (o.countIfFull) {
      // a short first page is the whole answer: the count statement only runs when the page is full
      rows = await this.runNow(b.rows, Math.max(1, o.limit));
      total = o.offset === 0 && rows.length < o.limit ? rows.length : Number((await this.runNow(b.count, 1))[0]?.[0] ?? 0);
    } else {
      const [r, count] = await Promise.all([this.runNow(b.rows, Math.max(1, o.limit)), this.runNow(b.count, 1)]);
      rows = r;
      total = Number(count[0]?.[0] ?? 0);
    }
    // cut by serialized size too: the page continues at next_offset
    const page = boundedSlice(rows, 0, Number.MAX_SAFE_INTEGER, this.limits.maxPageBytes ?? MAX_PAGE_BYTES);
    const end = o.offset + page.rows.length;
    return { columns, rows: page.rows, total, offset: o.offset, next_offset: end < total && page.rows.length > 0 ? end : null };
  }

  // ------------------------------------------------------------------ one process (the process page)
  /**
   * One process with everything the catalog joins to it (process-view.ts), and — when the caller names
   * one of their finished hunts — that hunt's hits on it. Another owner's hunt is "not found".
   */
  async process(snap: Snapshot, pid: number, o: { huntId?: string; ownerId: string }): Promise<ProcessView> {
    let hits: { hunt_id: string; hits: HuntHit[] } | null = null;
    if (o.huntId) {
      const job = await this.huntStatus(o.huntId, o.ownerId);
      if (job.status === 'running') throw new PlatformError('conflict', 'the hunt is still running: open the process again when it is done');
      hits = { hunt_id: job.id, hits: job.result?.hits ?? [] };
    }
    return processView((t, b) => this.browse(snap, t, b), snap, pid, hits);
  }

  // ------------------------------------------------------------------ queries
  checkQuery(text: string): QueryCheck {
    try {
      checkQueryText(text);
      return { ok: true };
    } catch (e) {
      if (e instanceof QueryError) return { ok: false, message: e.message, position: { line: e.line, column: e.column }, suggestions: e.suggestions };
      throw e;
    }
  }

  /**
   * Jobs of each owner that count against the running quota: started by this process and not yet seen
   * finished, plus starts still in progress (a `start:` reservation, taken before the first await so
   * 150 parallel requests cannot all slip past the check).
   */
  private readonly active = new Map<string, Map<string, keyof typeof KIND | 'start'>>();

  /**
   * Reserves a running-job slot for the owner, or refuses (429) while they already have the maximum.
   * Their running jobs are advanced first (a job nobody polls still finishes and stops counting), so
   * the quota never sticks. Returns the reservation to hand to `started()`.
   */
  private async admit(ownerId: string): Promise<string | null> {
    const max = this.limits.maxRunningJobsPerUser;
    if (!max) return null;
    const mine = this.active.get(ownerId) ?? this.active.set(ownerId, new Map()).get(ownerId)!;
    if (mine.size >= max) {
      for (const [id, kind] of [...mine]) {
        if (kind === 'start') continue;
        let status: string;
        try {
          status = kind === 'query' ? (await this.queryPage(id, ownerId, 0, 0)).job.status : kind === 'hunt' ? (await this.huntStatus(id, ownerId)).status : (await this.iocSearchStatus(id, ownerId)).status;
        } catch {
          status = 'gone';
        }
        if (status !== 'running') mine.delete(id);
      }
    }
    // no await between this check and the reservation
    if (mine.size >= max) throw new RateLimited(1, `you have ${mine.size} jobs running or starting (the limit is ${max}): wait for one to finish`);
    const slot = `start:${crypto.randomBytes(6).toString('hex')}`;
    mine.set(slot, 'start');
    return slot;
  }

  /** The start finished (or failed): the reservation becomes the job while it runs. */
  private started(ownerId: string, slot: string | null, kind: keyof typeof KIND, job: { id: string; status: string } | null): void {
    const mine = this.active.get(ownerId);
    if (!mine) return;
    if (slot) mine.delete(slot);
    if (job && job.status === 'running') mine.set(job.id, kind);
    if (mine.size === 0) this.active.delete(ownerId);
  }

  private untrack(ownerId: string, job: { id: string; status: string }): void {
    if (job.status === 'running') return;
    const mine = this.active.get(ownerId);
    mine?.delete(job.id);
    if (mine?.size === 0) this.active.delete(ownerId);
  }

  async startQuery(snaps: Snapshot[], text: string, ownerId: string): Promise<QueryJob> {
    // compile first: query mistakes answer the request with their position instead of becoming a job
    const compiled = this.compile(text, snaps);
    const slot = await this.admit(ownerId);
    let job: StoredQuery | null = null;
    try {
      job = await this.runQueryJob(snaps, text, ownerId, compiled);
      return this.publicJob(job);
    } finally {
      this.started(ownerId, slot, 'query', job);
    }
  }

  private async runQueryJob(snaps: Snapshot[], text: string, ownerId: string, compiled: CompiledQuery): Promise<StoredQuery> {
    const job: StoredQuery = {
      id: newJobId('query'),
      owner_id: ownerId,
      status: 'running',
      text,
      snapshot_ids: snaps.map((s) => s.id),
      error: null,
      elapsed_ms: null,
      total: null,
      execution_id: null,
      columns: compiled.columns.map((c) => ({ name: c.name, kind: c.kind })),
    };
    if (snaps.length === 0) {
      Object.assign(job, { status: 'done', total: 0, elapsed_ms: 0 });
      await this.jobs.put(rowsKey(job.id), [], ownerId);
    } else {
      job.execution_id = await this.engine.start(compiled, { owner: ownerId });
      if (this.engine.settles) await this.advanceQuery(job); // finished already: answer in this response
    }
    await this.jobs.put(jobKey(job.id), job, ownerId);
    return job;
  }

  /** Collects a finished execution's rows into the job (mutates it; the caller stores it). */
  private async advanceQuery(job: StoredQuery): Promise<void> {
    if (job.status !== 'running' || !job.execution_id) return;
    const st = await this.engine.state(job.execution_id);
    if (st.state === 'running') return;
    if (st.state === 'failed') return void Object.assign(job, { status: 'failed', error: { message: st.reason.slice(0, 1000), position: null } });
    const max = this.limits.maxResultRows;
    const { rows, truncated } = await this.engine.fetch(job.execution_id, job.columns, max);
    if (truncated) return void Object.assign(job, { status: 'failed', error: { message: `query returned over ${max} rows; narrow it down`, position: null } });
    const maxBytes = this.limits.maxResultBytes;
    if (maxBytes && overBytes(rows, maxBytes))
      return void Object.assign(job, { status: 'failed', error: { message: `query result is over ${Math.round(maxBytes / (1 << 20))} MB; narrow it down (fewer columns or rows)`, position: null } });
    await this.jobs.put(rowsKey(job.id), rows, job.owner_id);
    Object.assign(job, { status: 'done', total: rows.length, elapsed_ms: st.elapsedMs });
  }

  private publicJob(j: StoredQuery): QueryJob {
    const { execution_id: _e, columns: _c, ...pub } = j;
    return pub;
  }

  async queryPage(jobId: string, ownerId: string, offset: number, limit: number): Promise<{ job: QueryJob; page: Page | null }> {
    if (!isJobId('query', jobId)) throw this.notFound('query');
    const job = await this.jobs.get<StoredQuery>(jobKey(jobId));
    if (!job || job.owner_id !== ownerId) throw this.notFound('query');
    if (job.status === 'running') {
      await this.advanceQuery(job);
      await this.jobs.put(jobKey(job.id), job, job.owner_id);
      this.untrack(ownerId, job);
    }
    if (job.status !== 'done') return { job: this.publicJob(job), page: null };
    const rows = (await this.jobs.get<unknown[][]>(rowsKey(job.id))) ?? [];
    // a page holds at most `limit` rows AND maxPageBytes of them: the client continues at next_offset
    const page = boundedSlice(rows, offset, limit, this.limits.maxPageBytes ?? MAX_PAGE_BYTES);
    return { job: this.publicJob(job), page: { columns: job.columns, rows: page.rows, total: rows.length, offset, next_offset: page.next_offset } };
  }

  // ------------------------------------------------------------------ IOC searches
  // lib/ioc issues one statement per table (and IOC batch): start records them with an executor that
  // only notes the SQL, runs them as a batch across polls, and when all are finished lib/ioc runs again
  // over the stored rows and attributes hits to IOCs and columns exactly as the CLI does.
  async startIocSearch(snaps: Snapshot[], values: string[], limit: number, ownerId: string): Promise<IocJob> {
    const slot = await this.admit(ownerId);
    let job: StoredIoc | null = null;
    try {
      job = await this.runIocJob(snaps, values, limit, ownerId);
      return this.publicIoc(job);
    } finally {
      this.started(ownerId, slot, 'ioc', job);
    }
  }

  private async runIocJob(snaps: Snapshot[], values: string[], limit: number, ownerId: string): Promise<StoredIoc> {
    const queries: StoredIocQuery[] = [];
    if (snaps.length > 0) {
      await searchIocs(
        async (sql, params, info) => {
          const key = statementKey(sql, params);
          if (!queries.some((q) => q.key === key)) {
            const columns = (info?.columns ?? []).map((name) => ({ name, kind: columnKinds.get(name) ?? ('string' as ColumnKind) }));
            queries.push({ ...pendingQuery({ sql, params: params.map(String), paramKinds: params.map(() => 'string' as const), columns }), table: info?.table ?? '?', key });
          }
          return [];
        },
        values,
        { dialect: this.engine.dialect, scope: { snapshots: snaps.map((s) => s.id) }, maxRowsPerTable: limit },
      );
    }
    const job: StoredIoc = {
      id: newJobId('ioc'),
      owner_id: ownerId,
      status: 'running',
      snapshot_ids: snaps.map((s) => s.id),
      values,
      progress: { done: 0, total: queries.length },
      error: null,
      elapsed_ms: null,
      result: null,
      started_at: Date.now(),
      limit,
      queries,
    };
    await this.advanceIoc(job);
    return job;
  }

  async iocSearchStatus(jobId: string, ownerId: string): Promise<IocJob> {
    if (!isJobId('ioc', jobId)) throw this.notFound('IOC search');
    const job = await this.jobs.get<StoredIoc>(iocKey(jobId));
    if (!job || job.owner_id !== ownerId) throw this.notFound('IOC search');
    if (job.status === 'running') await this.advanceIoc(job);
    this.untrack(ownerId, job);
    return this.publicIoc(job);
  }

  private async advanceIoc(job: StoredIoc): Promise<void> {
    try {
      // a table's statement returns at most limit + 1 rows: lib/ioc reads the extra one as "truncated"
      job.progress = await advanceBatch(this.engine, job.queries, { concurrency: this.limits.batchConcurrency ?? 8, maxRows: job.limit + 1, owner: job.owner_id });
      if (job.progress.done === job.progress.total) {
        const byKey = new Map(job.queries.map((q) => [q.key, q]));
        const errors = job.queries.filter((q) => q.state === 'failed').map((q) => ({ table: q.table, message: q.error ?? 'query failed' }));
        let result: IocResult = { hits: [], snapshots_searched: job.snapshot_ids.length, truncated: [], errors };
        if (job.snapshot_ids.length > 0) {
          const r = await searchIocs(
            async (sql, params) => {
              const q = byKey.get(statementKey(sql, params));
              if (!q) throw new Error('IOC search replay: a statement was not recorded at start');
              return q.state === 'done' ? q.rows : [];
            },
            job.values,
            { dialect: this.engine.dialect, scope: { snapshots: job.snapshot_ids }, maxRowsPerTable: job.limit },
          );
          result = iocResultOf(r, job.snapshot_ids.length, job.limit, errors);
        }
        Object.assign(job, { status: 'done', result, elapsed_ms: Date.now() - job.started_at });
        for (const q of job.queries) q.rows = [];
      }
    } catch (e) {
      Object.assign(job, { status: 'failed', error: redactPaths((e as Error).message.split('\n')[0]!).slice(0, 1000), elapsed_ms: Date.now() - job.started_at });
    }
    await this.jobs.put(iocKey(job.id), job, job.owner_id);
  }

  private publicIoc(j: StoredIoc): IocJob {
    const { started_at: _s, limit: _l, queries: _q, ...pub } = j;
    return pub;
  }

  // ------------------------------------------------------------------ playbooks and hunts
  async playbooks(): Promise<PlaybookInfo[]> {
    return loadPlaybooks();
  }

  async startHunt(snaps: Snapshot[], opts: HuntSelection, ownerId: string): Promise<HuntJob> {
    const slot = await this.admit(ownerId);
    let job: StoredHunt | null = null;
    try {
      job = await this.runHuntJob(snaps, opts, ownerId);
      return this.publicHunt(job);
    } finally {
      this.started(ownerId, slot, 'hunt', job);
    }
  }

  private async runHuntJob(snaps: Snapshot[], opts: HuntSelection, ownerId: string): Promise<StoredHunt> {
    const oses = new Set(snaps.map((x) => x.os).filter((x): x is 'linux' | 'windows' => x === 'linux' || x === 'windows'));
    // playbooks of another OS than the snapshots' are skipped
    const pbs = selectHuntPlaybooks(opts).filter((p) => oses.size === 0 || p.platform === 'both' || oses.has(p.platform));
    const queries: StoredHuntQuery[] = [];
    // each query in its evidence form, as `memq hunt` runs it: rows carry the matching elements (history
    // line, indicator, socket, region) that the process page and the report show as evidence
    for (const text of new Set(pbs.flatMap((p) => p.queries.map((q) => evidenceQuery(q.query))))) {
      let q: StoredHuntQuery = { ...pendingQuery({ sql: '', params: [], paramKinds: [], columns: [] }), text };
      try {
        const c = this.compile(text, snaps);
        q = { ...pendingQuery({ ...c, columns: c.columns.map((x) => ({ name: x.name, kind: x.kind })) }), text };
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        Object.assign(q, { state: 'failed', error: e.message });
      }
      if (snaps.length === 0 && q.state === 'pending') q.state = 'done';
      queries.push(q);
    }
    const job: StoredHunt = {
      id: newJobId('hunt'),
      owner_id: ownerId,
      status: 'running',
      snapshot_ids: snaps.map((s) => s.id),
      progress: { done: 0, total: queries.length },
      error: null,
      elapsed_ms: null,
      result: null,
      started_at: Date.now(),
      playbook_ids: pbs.map((p) => p.id),
      custom: opts.custom?.filter((c) => pbs.includes(c)),
      queries,
    };
    await this.advanceHunt(job);
    return job;
  }

  async huntStatus(jobId: string, ownerId: string): Promise<HuntJob> {
    if (!isJobId('hunt', jobId)) throw this.notFound('hunt');
    const job = await this.jobs.get<StoredHunt>(huntKey(jobId));
    if (!job || job.owner_id !== ownerId) throw this.notFound('hunt');
    if (job.status === 'running') await this.advanceHunt(job);
    this.untrack(ownerId, job);
    return this.publicHunt(job);
  }

  /** One bounded step of a hunt; when every query finished, the hunt runner replays the stored rows. */
  private async advanceHunt(job: StoredHunt): Promise<void> {
    try {
      job.progress = await advanceBatch(this.engine, job.queries, { concurrency: this.limits.batchConcurrency ?? 8, maxRows: HUNT_ROWS, owner: job.owner_id });
      if (job.progress.done === job.progress.total) {
        const byText = new Map(job.queries.map((q) => [q.text, q]));
        const pbs = selectHuntPlaybooks({ playbook_ids: job.playbook_ids, custom: job.custom });
        // same per-query errors, distinct counts and tactic grouping as the CLI's hunt
        const report = await runHunt(
          async (text) => {
            const q = byText.get(text)!;
            if (q.state === 'failed') throw new MemqError(q.error ?? 'query failed', 'E_QUERY');
            return { columns: q.columns.map((c) => c.name), rows: q.rows };
          },
          pbs,
          { maxRowsPerQuery: HUNT_ROWS, evidence: true },
        );
        Object.assign(job, { status: 'done', result: huntResultOf(report, pbs), elapsed_ms: Date.now() - job.started_at });
        for (const q of job.queries) q.rows = []; // the result holds them now
        await this.keepSummaries(job);
      }
    } catch (e) {
      Object.assign(job, { status: 'failed', error: redactPaths((e as Error).message.split('\n')[0]!).slice(0, 1000), elapsed_ms: Date.now() - job.started_at });
    }
    await this.jobs.put(huntKey(job.id), job, job.owner_id);
  }

  /**
   * What the finished hunt found per snapshot, kept beyond the job. A store that fails does not fail the
   * hunt (its result is all there): the counts are missing from the fleet overview, and the log says why.
   */
  private async keepSummaries(job: StoredHunt): Promise<void> {
    try {
      await this.writeSummaries(job);
    } catch (e) {
      console.warn(`memq: hunt ${job.id}: per-snapshot hit counts not kept: ${redactPaths((e as Error).message.split('\n')[0]!)}`);
    }
  }

  private async writeSummaries(job: StoredHunt): Promise<void> {
    if (!this.summaries || !job.result || job.snapshot_ids.length === 0) return;
    const finished = new Date(job.started_at + (job.elapsed_ms ?? 0)).toISOString();
    const list = snapshotSummaries(
      { id: job.id, owner_id: job.owner_id, snapshot_ids: job.snapshot_ids, started_at: new Date(job.started_at).toISOString(), finished_at: finished, playbooks_run: job.result.playbooks_run, errors: job.result.errors.length },
      job.result.hits,
    );
    const store = this.summaries;
    for (let i = 0; i < list.length; i += 16) await Promise.all(list.slice(i, i + 16).map((s) => store.put(s)));
  }

  /** The latest hunt summary of each of these snapshots (the caller authorized them); absent: never hunted. */
  async huntSummaries(snapshotIds: readonly string[]): Promise<Map<string, HuntSummary>> {
    return this.summaries ? this.summaries.get(snapshotIds) : new Map();
  }

  /** A finished hunt of the owner in the hunt runner's report shape (the HTML/PDF report renders it). */
  async huntReport(jobId: string, ownerId: string): Promise<{ job: HuntJob; report: HuntReport }> {
    const pub = await this.huntStatus(jobId, ownerId); // ownership, expiry and advancing as for a poll
    if (pub.status !== 'done' || !pub.result) throw new PlatformError('conflict', pub.status === 'running' ? 'the hunt is still running' : `the hunt ${pub.status}: ${pub.error ?? ''}`.trim());
    const job = (await this.jobs.get<StoredHunt>(huntKey(jobId)))!;
    const pbs = selectHuntPlaybooks({ playbook_ids: job.playbook_ids, custom: job.custom });
    return { job: pub, report: huntReportOf(pub.result, pbs, pub.elapsed_ms ?? 0) };
  }

  private publicHunt(j: StoredHunt): HuntJob {
    const { started_at: _s, playbook_ids: _p, queries: _q, custom: _c, ...pub } = j;
    return pub;
  }
}

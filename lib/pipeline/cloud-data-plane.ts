// The cloud DataPlane behind lib/api's router in the API Lambda: presigned S3 uploads, single or
// multipart (the landing event starts the pipeline), Athena for browsing, queries and playbook hunts
// and IOC searches (asynchronous jobs kept in the results bucket: start → poll → result, since API
// Gateway gives up after 29 s; the shared batch step is athena-batch.ts), and S3/Glue cleanup on delete.
// Every query is scoped to the snapshots the router already authorized (partition-key equality), so
// a route never reads another org's rows.
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BatchDeletePartitionCommand, type GlueClient } from '@aws-sdk/client-glue';
import * as crypto from 'node:crypto';
import { tables, tableNames, type ColumnDef, type TableName } from '../model';
import { compileQuery, checkQueryText, QueryError } from '../query';
import { athenaCell, athenaParameters } from '../engine';
import type { AthenaSdkPort } from '../engine/athena';
import type { ColumnKind } from '../model';
import { PlatformError } from '../platform/errors';
import type { Snapshot } from '../platform/model';
import type { BrowseOptions, DataPlane, HuntJob, HuntSelection, IocJob, IocResult, MultipartUpload, Page, PartRange, PlaybookInfo, QueryCheck, QueryJob, UploadTarget } from '../dataplane/types';
import { huntResultOf, iocResultOf, loadPlaybooks, selectHuntPlaybooks } from '../dataplane/hunt-bridge';
import { advanceBatch, pendingQuery, type BatchQuery } from './athena-batch';
import { searchIocs } from '../ioc/search';
import { runHunt } from '../hunt/runner';
import type { Playbook } from '../hunt/playbook';
import { MemqError } from '../util/errors';
import { abortMultipart, completeMultipart, createMultipartUpload, partSizeFor, presignParts } from './uploads';
import { API_PREFIX } from '../api/http';
import { DUMP_PREFIX, dumpKey, manifestKey, overviewKey, partitionPrefix, safeFileName } from './keys';
import type { OverviewPages, StoredOverview } from '../store/overview';
import { MAX_PAGE_BYTES, boundedSlice } from '../dataplane/page-bytes';

export interface CloudDataPlaneOptions {
  s3: S3Client;
  glue: GlueClient;
  athena: AthenaSdkPort;
  dumpsBucket: string;
  lakeBucket: string;
  /** where query-job state is kept (the Athena results bucket) */
  resultsBucket: string;
  database: string;
  /** single PUT limit of S3 */
  maxSinglePutBytes?: number;
  maxResultRows?: number;
  /** serialized rows per API page, at most (Lambda responses are ≤ 6 MB); default MAX_PAGE_BYTES */
  maxPageBytes?: number;
  /** playbook queries running on Athena at once (account default: 20-25 concurrent DML queries) */
  huntConcurrency?: number;
}

interface StoredJob extends QueryJob {
  execution_id: string | null;
  columns: { name: string; kind: ColumnKind }[];
}

/** Column name → kind across the catalog (a name has one kind wherever it appears). */
const columnKinds = new Map<string, ColumnKind>();
for (const t of tableNames) for (const [n, c] of Object.entries(tables[t].columns as Record<string, ColumnDef>)) if (!columnKinds.has(n)) columnKinds.set(n, c.kind);

interface StoredHuntQuery extends BatchQuery {
  /** the playbook query text it was compiled from */
  text: string;
}

interface StoredHunt extends HuntJob {
  started_at: number;
  playbook_ids: string[];
  /** the custom playbooks as authorized when the hunt started (later polls may run in another Lambda) */
  custom?: Playbook[];
  queries: StoredHuntQuery[];
}

const jobKey = (id: string) => `jobs/${id}.json`;
const huntKey = (id: string) => `hunts/${id}.json`;
const iocKey = (id: string) => `ioc-searches/${id}.json`;

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

const statementKey = (sql: string, params: unknown[]) => `${sql}\0${JSON.stringify(params)}`;
const rowsKey = (id: string) => `jobs/${id}.rows.json`;

export class CloudDataPlane implements DataPlane {
  constructor(private readonly o: CloudDataPlaneOptions) {}

  private scopeOf = (snaps: Snapshot[]) => ({ snapshots: snaps.map((s) => s.id) });

  async uploadTarget(snap: Snapshot): Promise<UploadTarget> {
    const max = this.o.maxSinglePutBytes ?? 5 * 1024 ** 3;
    if (snap.size > max) {
      // a single presigned PUT carries ≤ 5 GiB; larger dumps go up in parts to the same key
      partSizeFor(snap.size); // too large even for 10,000 parts: refused now, not after the first part
      return { method: 'POST', url: `${API_PREFIX}/snapshots/${encodeURIComponent(snap.id)}/multipart`, via_api: false, multipart: true };
    }
    const url = await getSignedUrl(this.o.s3, new PutObjectCommand({ Bucket: this.o.dumpsBucket, Key: this.keyOf(snap), ContentLength: snap.size }), { expiresIn: 3600 });
    return { method: 'PUT', url, headers: { 'content-type': 'application/octet-stream' }, via_api: false };
  }

  keyOf(snap: Snapshot): string {
    return dumpKey({ org: snap.org_id, project: snap.project_id, machine: snap.machine_id, snapshot: snap.id, file: safeFileName(snap.dump_name) });
  }

  async startAnalysis(): Promise<void> {
    // the dump landing in S3 starts the pipeline (EventBridge → ingest); nothing to do here
  }

  async browse(snap: Snapshot, table: TableName, o: BrowseOptions): Promise<Page> {
    const cols = tables[table].columns as Record<string, ColumnDef>;
    const columns = Object.entries(cols).map(([name, c]) => ({ name, kind: c.kind }));
    const where = ['"project" = ?', '"machine" = ?', '"snapshot" = ?'];
    const params: unknown[] = [snap.project_id, snap.machine_id, snap.id];
    const kinds: ColumnKind[] = ['string', 'string', 'string'];
    for (const [k, v] of Object.entries(o.filter ?? {})) {
      const c = cols[k];
      if (!c) throw new PlatformError(400, `no column ${k} in ${table}`);
      if (c.kind === 'string' || c.kind === 'address') where.push(`strpos(lower("${k}"), lower(?)) > 0`);
      else if (c.kind === 'string_list') where.push(`strpos(lower(array_join("${k}", ' ')), lower(?)) > 0`);
      else if (c.kind === 'bool') where.push(`"${k}" = ?`);
      else if (!Number.isFinite(Number(v))) throw new PlatformError(400, `filter ${k}: expected a number, got "${v}"`);
      else where.push(`"${k}" = ?`);
      params.push(c.kind === 'bool' ? v === 'true' : c.kind === 'string' || c.kind === 'address' || c.kind === 'string_list' ? v : Number(v));
      kinds.push(c.kind === 'string_list' || c.kind === 'address' ? 'string' : c.kind);
    }
    if (o.order_by && !cols[o.order_by]) throw new PlatformError(400, `no column ${o.order_by} in ${table}`);
    const from = `"${this.o.database}"."${table}" WHERE ${where.join(' AND ')}`;
    const order = o.order_by ? `ORDER BY "${o.order_by}" ${o.desc ? 'DESC' : 'ASC'} NULLS LAST` : '';
    const lit = athenaParameters(params as never, kinds);
    const [rows, count] = await Promise.all([
      this.sql(`SELECT ${columns.map((c) => `"${c.name}"`).join(', ')} FROM ${from} ${order} OFFSET ${Math.max(0, o.offset | 0)} LIMIT ${Math.max(1, Math.min(1000, o.limit | 0))}`, lit),
      this.sql(`SELECT count(*) AS n FROM ${from}`, lit),
    ]);
    const offset = Math.max(0, o.offset | 0);
    const total = Number(count.rows[0]?.[0] ?? 0);
    // cut by serialized size too: the page continues at next_offset
    const page = boundedSlice(rows.rows.map((r) => columns.map((c, i) => athenaCell(r[i] ?? null, c.kind))), 0, Number.MAX_SAFE_INTEGER, this.o.maxPageBytes ?? MAX_PAGE_BYTES);
    const end = offset + page.rows.length;
    return { columns, rows: page.rows, total, offset: o.offset, next_offset: end < total && page.rows.length > 0 ? end : null };
  }

  /**
   * The overview's pages as finalize stored them (lib/api/overview.ts): one S3 read, no Athena query,
   * whatever the number of tables; each section's total counts every matching row of the snapshot.
   */
  async overview(snap: Snapshot): Promise<OverviewPages> {
    const stored = await this.getJson<StoredOverview>(overviewKey({ project: snap.project_id, machine: snap.machine_id, snapshot: snap.id }), this.o.lakeBucket);
    if (!stored || stored.version !== 1) {
      throw new PlatformError(409, 'this snapshot has no precomputed overview (analyzed by an earlier version): browse its tables, or analyze the dump again');
    }
    return stored.sections;
  }

  private async sql(sql: string, params: string[], maxRows = 10_000): Promise<{ columns: string[]; rows: (string | null)[][] }> {
    const id = await this.o.athena.start(sql, params);
    await this.o.athena.wait(id);
    const first = await this.o.athena.page(id, undefined, 1000);
    const rows = [...first.rows];
    let token = first.nextToken;
    while (token && rows.length < maxRows) {
      const p = await this.o.athena.page(id, token, 1000);
      rows.push(...p.rows);
      token = p.nextToken;
    }
    return { columns: first.columns, rows: rows.slice(0, maxRows) };
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

  async startQuery(snaps: Snapshot[], text: string, ownerId: string): Promise<QueryJob> {
    // compile first: query mistakes answer the request with their position instead of becoming a job
    const compiled = compileQuery(text, { dialect: 'athena', database: this.o.database, scope: this.scopeOf(snaps) });
    const job: StoredJob = {
      id: `job_${crypto.randomBytes(12).toString('hex')}`,
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
    if (snaps.length === 0) Object.assign(job, { status: 'done', total: 0, elapsed_ms: 0 });
    else job.execution_id = await this.o.athena.start(compiled.sql, athenaParameters(compiled.params, compiled.paramKinds));
    await this.putJson(jobKey(job.id), job);
    if (snaps.length === 0) await this.putJson(rowsKey(job.id), []);
    return this.publicJob(job);
  }

  private publicJob(j: StoredJob): QueryJob {
    const { execution_id: _e, columns: _c, ...pub } = j;
    return pub;
  }

  async queryPage(jobId: string, ownerId: string, offset: number, limit: number): Promise<{ job: QueryJob; page: Page | null }> {
    if (!/^job_[0-9a-f]{24}$/.test(jobId)) throw new PlatformError(404, 'query not found');
    const job = await this.getJson<StoredJob>(jobKey(jobId));
    // another user's job is reported exactly like a missing one
    if (!job || job.owner_id !== ownerId) throw new PlatformError(404, 'query not found (results expire after a week)');
    if (job.status === 'running' && job.execution_id) {
      const st = await this.o.athena.state(job.execution_id);
      if (st.state === 'running') return { job: this.publicJob(job), page: null };
      if (st.state === 'failed') Object.assign(job, { status: 'failed', error: { message: st.reason.slice(0, 1000), position: null } });
      else {
        const max = this.o.maxResultRows ?? 10_000;
        const { rows, truncated } = await this.o.athena.fetch(job.execution_id, max);
        if (truncated) Object.assign(job, { status: 'failed', error: { message: `query returned over ${max} rows; narrow it down`, position: null } });
        else {
          await this.putJson(rowsKey(job.id), rows.map((r) => job.columns.map((c, i) => athenaCell(r[i] ?? null, c.kind))));
          Object.assign(job, { status: 'done', total: rows.length, elapsed_ms: st.elapsedMs });
        }
      }
      await this.putJson(jobKey(job.id), job);
    }
    if (job.status !== 'done') return { job: this.publicJob(job), page: null };
    const rows = (await this.getJson<unknown[][]>(rowsKey(job.id))) ?? [];
    // a page holds at most `limit` rows AND maxPageBytes of them: the client continues at next_offset
    const page = boundedSlice(rows, offset, limit, this.o.maxPageBytes ?? MAX_PAGE_BYTES);
    return { job: this.publicJob(job), page: { columns: job.columns, rows: page.rows, total: rows.length, offset, next_offset: page.next_offset } };
  }

  // IOC searches are jobs like hunts: lib/ioc issues one statement per table (and IOC batch); POST
  // records them without running anything (an executor that only notes the SQL), starts the first few
  // on Athena and stores the job; each GET advances the batch; when all are finished, lib/ioc runs again
  // over the stored rows and attributes hits to IOCs and columns exactly as locally.
  async startIocSearch(snaps: Snapshot[], values: string[], limit: number, ownerId: string): Promise<IocJob> {
    const queries: StoredIocQuery[] = [];
    if (snaps.length > 0) {
      await searchIocs(
        async (sql, params, info) => {
          const key = statementKey(sql, params);
          if (!queries.some((q) => q.key === key)) {
            const columns = (info?.columns ?? []).map((name) => ({ name, kind: columnKinds.get(name) ?? ('string' as ColumnKind) }));
            queries.push({ ...pendingQuery(sql, athenaParameters(params.map(String), params.map(() => 'string' as ColumnKind)), columns), table: info?.table ?? '?', key });
          }
          return [];
        },
        values,
        { dialect: 'athena', scope: this.scopeOf(snaps), maxRowsPerTable: limit },
      );
    }
    const job: StoredIoc = {
      id: `ioc_${crypto.randomBytes(12).toString('hex')}`,
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
    return this.publicIoc(job);
  }

  async iocSearchStatus(jobId: string, ownerId: string): Promise<IocJob> {
    if (!/^ioc_[0-9a-f]{24}$/.test(jobId)) throw new PlatformError(404, 'IOC search not found');
    const job = await this.getJson<StoredIoc>(iocKey(jobId));
    // another user's search is reported exactly like a missing one
    if (!job || job.owner_id !== ownerId) throw new PlatformError(404, 'IOC search not found (results expire after a week)');
    if (job.status === 'running') await this.advanceIoc(job);
    return this.publicIoc(job);
  }

  /** One bounded step of an IOC search (athena-batch.ts); when all statements are finished, the result. */
  private async advanceIoc(job: StoredIoc): Promise<void> {
    try {
      // a table's statement returns at most limit + 1 rows: lib/ioc reads the extra one as "truncated"
      job.progress = await advanceBatch(this.o.athena, job.queries, { concurrency: this.o.huntConcurrency ?? 8, maxRows: job.limit + 1 });
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
            { dialect: 'athena', scope: { snapshots: job.snapshot_ids }, maxRowsPerTable: job.limit },
          );
          result = iocResultOf(r, job.snapshot_ids.length, job.limit, errors);
        }
        Object.assign(job, { status: 'done', result, elapsed_ms: Date.now() - job.started_at });
        for (const q of job.queries) q.rows = []; // the result holds them now
      }
    } catch (e) {
      Object.assign(job, { status: 'failed', error: (e as Error).message.split('\n')[0]!.slice(0, 1000), elapsed_ms: Date.now() - job.started_at });
    }
    await this.putJson(iocKey(job.id), job);
  }

  private publicIoc(j: StoredIoc): IocJob {
    const { started_at: _s, limit: _l, queries: _q, ...pub } = j;
    return pub;
  }

  async playbooks(): Promise<PlaybookInfo[]> {
    return loadPlaybooks();
  }

  // Hunts outlive any one Lambda invocation: POST starts the first playbook queries on Athena and
  // stores the job (execution ids, per-query state) in the results bucket; each GET polls the running
  // executions, keeps finished results, starts the next queries (a bounded number run at once) and,
  // when every query is finished, builds the result with the same hunt runner as the CLI.
  async startHunt(snaps: Snapshot[], opts: HuntSelection, ownerId: string): Promise<HuntJob> {
    const oses = new Set(snaps.map((x) => x.os).filter((x): x is 'linux' | 'windows' => x === 'linux' || x === 'windows'));
    // playbooks of another OS than the snapshots' are skipped, as locally
    const pbs = selectHuntPlaybooks(opts).filter((p) => oses.size === 0 || p.platform === 'both' || oses.has(p.platform));
    const queries: StoredHuntQuery[] = [];
    for (const text of new Set(pbs.flatMap((p) => p.queries.map((q) => q.query)))) {
      const q: StoredHuntQuery = { ...pendingQuery('', [], []), text };
      try {
        const c = compileQuery(text, { dialect: 'athena', database: this.o.database, scope: this.scopeOf(snaps) });
        Object.assign(q, { sql: c.sql, params: athenaParameters(c.params, c.paramKinds), columns: c.columns.map((x) => ({ name: x.name, kind: x.kind })) });
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        Object.assign(q, { state: 'failed', error: e.message });
      }
      if (snaps.length === 0 && q.state === 'pending') q.state = 'done';
      queries.push(q);
    }
    const job: StoredHunt = {
      id: `hunt_${crypto.randomBytes(12).toString('hex')}`,
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
    return this.publicHunt(job);
  }

  async huntStatus(jobId: string, ownerId: string): Promise<HuntJob> {
    if (!/^hunt_[0-9a-f]{24}$/.test(jobId)) throw new PlatformError(404, 'hunt not found');
    const job = await this.getJson<StoredHunt>(huntKey(jobId));
    // another user's hunt is reported exactly like a missing one
    if (!job || job.owner_id !== ownerId) throw new PlatformError(404, 'hunt not found (results expire after a week)');
    if (job.status === 'running') await this.advanceHunt(job);
    return this.publicHunt(job);
  }

  /** One bounded step of a hunt (athena-batch.ts), then the job is stored. */
  private async advanceHunt(job: StoredHunt): Promise<void> {
    const maxRows = 1000;
    try {
      job.progress = await advanceBatch(this.o.athena, job.queries, { concurrency: this.o.huntConcurrency ?? 8, maxRows });
      if (job.progress.done === job.progress.total) {
        const byText = new Map(job.queries.map((q) => [q.text, q]));
        const pbs = selectHuntPlaybooks({ playbook_ids: job.playbook_ids, custom: job.custom });
        // the runner replays the stored outcomes: same per-query errors, distinct counts and tactic grouping as locally
        const report = await runHunt(async (text) => {
          const q = byText.get(text)!;
          if (q.state === 'failed') throw new MemqError(q.error ?? 'query failed', 'E_ATHENA');
          return { columns: q.columns.map((c) => c.name), rows: q.rows };
        }, pbs, { maxRowsPerQuery: maxRows });
        Object.assign(job, { status: 'done', result: huntResultOf(report, pbs), elapsed_ms: Date.now() - job.started_at });
        for (const q of job.queries) q.rows = []; // the result holds them now
      }
    } catch (e) {
      Object.assign(job, { status: 'failed', error: (e as Error).message.split('\n')[0]!.slice(0, 1000), elapsed_ms: Date.now() - job.started_at });
    }
    await this.putJson(huntKey(job.id), job);
  }

  private publicHunt(j: StoredHunt): HuntJob {
    const { started_at: _s, playbook_ids: _p, queries: _q, custom: _c, ...pub } = j;
    return pub;
  }

  // Multipart uploads of large dumps, to the same key as a single PUT (the landing event starts the pipeline).
  async createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload> {
    const m = await createMultipartUpload(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), snap.size);
    return this.multipartParts(snap, m.uploadId, range);
  }

  async multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload> {
    const partSize = partSizeFor(snap.size);
    const parts = await presignParts(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId, snap.size, range.first_part, range.part_count);
    return {
      upload_id: uploadId,
      part_size: partSize,
      part_count: Math.ceil(snap.size / partSize),
      parts: parts.map((p) => ({ part_number: p.partNumber, url: p.url, offset: p.offset, length: p.length })),
    };
  }

  async completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void> {
    await this.s3Call(() => completeMultipart(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId, parts.map((p) => ({ partNumber: p.part_number, etag: p.etag }))));
  }

  async abortMultipart(snap: Snapshot, uploadId: string): Promise<void> {
    await this.s3Call(() => abortMultipart(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId));
  }

  /** S3's answers to a wrong upload id or parts are the client's mistake, not a server error. */
  private async s3Call(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'NoSuchUpload') throw new PlatformError(404, 'no such multipart upload for this snapshot (completed, aborted or never created)');
      if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') throw new PlatformError(400, `multipart upload not completed: ${(e as Error).message}`);
      throw e;
    }
  }

  async deleteData(snap: Snapshot): Promise<void> {
    const p = { project: snap.project_id, machine: snap.machine_id, snapshot: snap.id };
    const lake: string[] = [manifestKey(p), overviewKey(p)];
    for (const t of tableNames) lake.push(...(await this.list(this.o.lakeBucket, partitionPrefix(t, p))));
    await this.deleteKeys(this.o.lakeBucket, lake);
    await this.deleteKeys(this.o.dumpsBucket, await this.list(this.o.dumpsBucket, `${DUMP_PREFIX}${snap.org_id}/${snap.project_id}/${snap.machine_id}/${snap.id}/`));
    for (const t of tableNames) {
      await this.o.glue
        .send(new BatchDeletePartitionCommand({ DatabaseName: this.o.database, TableName: t, PartitionsToDelete: [{ Values: [p.project, p.machine, p.snapshot] }] }))
        .catch((e: Error) => {
          if (e.name !== 'EntityNotFoundException') throw e;
        });
    }
  }

  async close(): Promise<void> {}

  private async list(bucket: string, prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const r = await this.o.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const c of r.Contents ?? []) if (c.Key) out.push(c.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (!token) break;
    }
    return out;
  }

  private async deleteKeys(bucket: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.o.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  private async putJson(key: string, v: unknown): Promise<void> {
    await this.o.s3.send(new PutObjectCommand({ Bucket: this.o.resultsBucket, Key: key, Body: JSON.stringify(v), ContentType: 'application/json' }));
  }

  private async getJson<T>(key: string, bucket = this.o.resultsBucket): Promise<T | null> {
    try {
      const r = await this.o.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await r.Body!.transformToString()) as T;
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey') return null;
      throw e;
    }
  }
}

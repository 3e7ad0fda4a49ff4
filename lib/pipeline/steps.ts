// The cloud pipeline as plain functions, one per Step Functions state: ingest → probe → plan →
// shard (×N, in a Distributed Map) → finalize, plus fail. They run exactly the code `memq analyze`
// runs (openSource → openEngine → analyzeTables → ParquetWriter); only bytes-in and files-out differ.
// Every step is idempotent: outputs have deterministic keys and are overwritten on retry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { openSource } from '../image/open';
import { readAt } from '../image/byte-source';
import { wrapperKind } from '../image/decompress';
import { openEngine } from '../os/open';
import type { OsEngine } from '../os/engine';
import { analyzeTables, capturedAt, type SkippedTable, type SnapshotManifest } from '../store/analyze';
import { tableNames, type TableName } from '../model';
import { now, type Snapshot } from '../platform/model';
import { MemqError } from '../util/errors';
import { compileRules, type YaraScanner } from '../yara/engine';
import {
  manifestKey,
  overviewKey,
  parseDumpKey,
  partitionPrefix,
  planKey,
  shardItemsKey,
  shardObjectKey,
  shardResultKey,
  snapshotIdFor,
  executionName,
  type SnapshotPartition,
} from './keys';
import { defaultLimits, planShards, type PlanLimits, type ShardSpec } from './plan';
import { mergeOverview, overviewSlices, overviewTables, type OverviewSlice } from '../store/overview';
import type { PipelineDeps } from './ports';

/** What travels between the states (kept small: Step Functions payloads are ≤ 256 KB). */
export interface SnapshotJob {
  snapshot: string;
  org: string;
  project: string;
  machine: string;
  bucket: string;
  key: string;
  size: number;
  /**
   * YARA rule text for the yara_match shard (absent: the table is empty). Travels in every state's
   * payload, hence bounded by MAX_JOB_YARA_BYTES; compiled by the shard (a broken rule fails it as bad input).
   */
  yara_rules?: string;
}

/** rule text a job may carry: well inside Step Functions' 256 KB payload with the plan beside it */
export const MAX_JOB_YARA_BYTES = 64 * 1024;

export interface ProbeResult {
  format: string;
  os: 'linux' | 'windows';
  kernel: string | null;
  info: Record<string, string | number | boolean>;
  /**
   * Discovery facts the probe's engine found the expensive way (OsEngine.discoveryHints: where
   * VMCOREINFO sits, found by the one bounded RAM scan of the whole pipeline). Plan and every shard
   * open with them instead of scanning again. Optional: payloads from before it existed still plan.
   */
  hints?: Record<string, number | string>;
}

export interface PlanFile {
  job: SnapshotJob;
  probe: ProbeResult;
  shards: ShardSpec[];
  warnings: string[];
  planned_at: string;
}

export type ShardResult =
  /** `overview`: this shard's slice of the snapshot overview (tables it shows only), merged by finalize */
  /** `skipped`: the table's extraction failed on bad input (not a transient failure) and was written empty */
  | { id: string; kind: 'table'; table: TableName; rows: number; ms: number; warnings: string[]; overview?: OverviewSlice[]; skipped?: SkippedTable[] }
  | { id: string; kind: 'hash'; part: number; bytes: number; sha256: string; ms: number };

const partitionOf = (j: SnapshotJob): SnapshotPartition => ({ project: j.project, machine: j.machine, snapshot: j.snapshot });

// ---------------------------------------------------------------------------------------------
// ingest: S3 "Object Created" → snapshot record (once per object identity) → start the workflow.

export interface IngestEvent {
  bucket: string;
  key: string;
  /** version id when the bucket is versioned, else the ETag */
  versionOrEtag: string;
}

/** Starts the state machine; resolves false when an execution of that name already existed. */
export type StartWorkflow = (executionName: string, job: SnapshotJob) => Promise<boolean>;

export async function ingest(
  deps: PipelineDeps,
  ev: IngestEvent,
  start: StartWorkflow,
): Promise<{ snapshot: string; started: boolean; reason?: string }> {
  const k = parseDumpKey(ev.key);
  const job = (snapshot: string, size: number): SnapshotJob => ({ snapshot, org: k.org, project: k.project, machine: k.machine, bucket: ev.bucket, key: ev.key, size });
  if (k.snapshot) {
    // API upload: the record exists (POST /snapshots) and must name the same org/project/machine
    const snap = await deps.repo.get('snapshot', k.snapshot);
    if (!snap || snap.org_id !== k.org || snap.project_id !== k.project || snap.machine_id !== k.machine) {
      deps.log?.('ingest rejected: no matching snapshot record', { key: ev.key });
      return { snapshot: k.snapshot, started: false, reason: `no snapshot ${k.snapshot} in ${k.org}/${k.project}/${k.machine}` };
    }
    const head = await deps.dumps.head(ev.bucket, ev.key);
    // the execution name carries the object version: a redelivered event starts nothing new
    const withRules = { ...job(k.snapshot, head.size), ...(snap.yara_rules ? { yara_rules: snap.yara_rules } : {}) };
    if (!(await start(executionName(k.snapshot, ev.versionOrEtag), withRules))) {
      return { snapshot: k.snapshot, started: false, reason: 'already started for this object version' };
    }
    const cur = (await deps.repo.get('snapshot', k.snapshot)) ?? snap;
    await deps.repo.put('snapshot', { ...cur, status: 'analyzing', stage: 'queued', progress: 0, error: null, size: head.size });
    return { snapshot: k.snapshot, started: true };
  }
  const snapshot = snapshotIdFor(ev.bucket, ev.key, ev.versionOrEtag);
  const project = await deps.repo.get('project', k.project);
  // tenancy: the key's org must own the project, or the dump is ignored (never analyzed into it)
  if (!project || project.org_id !== k.org) {
    deps.log?.('ingest rejected: project not in org', { key: ev.key });
    return { snapshot, started: false, reason: `project ${k.project} does not belong to org ${k.org}` };
  }
  const head = await deps.dumps.head(ev.bucket, ev.key);
  const meta = head.metadata;
  const record: Snapshot = {
    id: snapshot,
    org_id: k.org,
    project_id: k.project,
    machine_id: k.machine,
    name: (meta['memq-name'] || k.file).slice(0, 200),
    status: 'analyzing',
    progress: 0,
    stage: 'queued',
    error: null,
    dump_name: k.file,
    size: head.size,
    os: null,
    kernel: null,
    counts: {},
    classification: (['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const).find((c) => c === meta['memq-classification']) ?? 'AMBER',
    tags: [],
    created_by: meta['memq-user'] || 'pipeline',
    created_at: now(),
  };
  // Create-if-absent, then start: both idempotent, so a retry after a failed StartExecution (or a
  // redelivered event) completes the work instead of finding "already exists" and stopping there.
  const created = await deps.repo.create('snapshot', record);
  if (!created) {
    const cur = await deps.repo.get('snapshot', snapshot);
    if (cur && cur.status !== 'analyzing') return { snapshot, started: false, reason: `snapshot already ${cur.status} for this object` };
  }
  if (!(await start(snapshot, job(snapshot, head.size)))) {
    return { snapshot, started: false, reason: 'already started for this object version' };
  }
  return { snapshot, started: true };
}

// ---------------------------------------------------------------------------------------------

/**
 * One open engine per container, keyed by the dump object: a warm Lambda that runs several shards of
 * the same snapshot pays kernel discovery (symbols, BTF) once. Extraction is read-only, so reuse
 * gives the same rows; the engine is closed when a different dump comes along.
 */
let cached: { id: string; eng: OsEngine } | null = null;

function openJobEngine(deps: PipelineDeps, job: SnapshotJob, hints?: Record<string, number | string>): OsEngine {
  const id = `${job.bucket}\0${job.key}\0${job.size}\0${job.snapshot}`;
  if (cached?.id === id) return cached.eng;
  closeCachedEngine();
  const src = deps.dumps.open(job.bucket, job.key, job.size);
  const head = readAt(src, 0, 8);
  const wrap = wrapperKind(head);
  if (wrap) {
    src.close();
    throw new MemqError(
      `s3://${job.bucket}/${job.key}: ${wrap}-compressed — upload the uncompressed dump (compressed streams cannot be read by byte range)`,
      'E_FORMAT',
    );
  }
  const mem = openSource(src, { cacheBytes: 256 << 20 });
  try {
    const eng = openEngine(mem, { hints });
    cached = { id, eng };
    return eng;
  } catch (e) {
    mem.close();
    throw e;
  }
}

/** Closes the container's cached engine (tests, and before opening another dump). */
export function closeCachedEngine(): void {
  cached?.eng.mem.close();
  cached = null;
}

async function updateSnapshot(deps: PipelineDeps, id: string, patch: Partial<Snapshot>): Promise<void> {
  const cur = await deps.repo.get('snapshot', id);
  if (!cur) throw new MemqError(`snapshot ${id} not found in metadata`, 'E_STATE');
  await deps.repo.put('snapshot', { ...cur, ...patch });
}

export async function probe(deps: PipelineDeps, job: SnapshotJob): Promise<{ job: SnapshotJob; probe: ProbeResult }> {
  try {
    const eng = openJobEngine(deps, job);
    const info = eng.info();
    const result: ProbeResult = {
      format: eng.mem.format,
      os: eng.os,
      kernel: (info.kernel_version as string | undefined) ?? null,
      info,
      hints: eng.discoveryHints?.() ?? {},
    };
    await updateSnapshot(deps, job.snapshot, { stage: 'probe', progress: 0.05, os: result.os, kernel: result.kernel, captured_at: capturedAt(info) });
    return { job, probe: result };
  } catch (e) {
    closeCachedEngine();
    throw e;
  }
}

export async function plan(
  deps: PipelineDeps,
  input: { job: SnapshotJob; probe: ProbeResult },
  limits: PlanLimits = defaultLimits,
): Promise<{ job: SnapshotJob; itemsKey: string; shardCount: number }> {
  const { job } = input;
  try {
    // the probe's discovery facts: a cold container opens with them and does not repeat the probe's
    // scan (a warm one reuses the probe's open engine); they travel on with each shard
    const eng = openJobEngine(deps, job, input.probe.hints);
    const hints = { ...(input.probe.hints ?? {}), ...(eng.discoveryHints?.() ?? {}) };
    const shards = planShards(eng.tables, eng.processCount(), job.size, deps.limits ?? limits).map((s) =>
      s.kind === 'table' && Object.keys(hints).length ? { ...s, hints } : s,
    );
    const file: PlanFile = { job, probe: input.probe, shards, warnings: [...eng.warnings], planned_at: now() };
    await deps.lake.put(planKey(job.snapshot), JSON.stringify(file), 'application/json');
    // the Distributed Map reads its items from this JSON array
    await deps.lake.put(shardItemsKey(job.snapshot), JSON.stringify(shards), 'application/json');
    await updateSnapshot(deps, job.snapshot, { stage: `plan: ${shards.length} shards`, progress: 0.1 });
    return { job, itemsKey: shardItemsKey(job.snapshot), shardCount: shards.length };
  } catch (e) {
    closeCachedEngine();
    throw e;
  }
}

const HASH_CHUNK = 8 << 20;

export async function runShard(deps: PipelineDeps, input: { job: SnapshotJob; shard: ShardSpec }): Promise<{ id: string; rows?: number }> {
  const { job, shard } = input;
  const t0 = performance.now();
  if (shard.kind === 'hash') {
    const src = deps.dumps.open(job.bucket, job.key, job.size);
    try {
      const h = crypto.createHash('sha256');
      const [from, to] = shard.byteRange;
      const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(1, to - from)));
      let pos = from;
      while (pos < to) {
        const n = src.readInto(pos, buf, 0, Math.min(buf.length, to - pos));
        if (n <= 0) throw new MemqError(`s3://${job.bucket}/${job.key}: short read at ${pos} (expected ${to - pos} more bytes)`, 'E_TRUNCATED');
        h.update(buf.subarray(0, n));
        pos += n;
      }
      const r: ShardResult = { id: shard.id, kind: 'hash', part: shard.part, bytes: to - from, sha256: h.digest('hex'), ms: Math.round(performance.now() - t0) };
      await deps.lake.put(shardResultKey(job.snapshot, shard.id), JSON.stringify(r), 'application/json');
      return { id: shard.id };
    } finally {
      src.close();
    }
  }
  const eng = openJobEngine(deps, job, shard.hints);
  const dir = fs.mkdtempSync(path.join(deps.tmpDir, `shard-${shard.id}-`));
  const warningsBefore = eng.warnings.length;
  let yara: { scanner: YaraScanner } | undefined;
  try {
    // the job's YARA rules (only the yara_match shard); a broken rule fails the shard as bad input
    if (shard.table === 'yara_match' && job.yara_rules) yara = { scanner: await jobRules(job.yara_rules) };
    const file = `${shard.id}.parquet`;
    let overview: OverviewSlice[] | undefined;
    // a bad page skips the objects that need it (warnings), a table that cannot be read at all is
    // written empty and recorded (`skipped`); a TransientError still propagates (Step Functions retries)
    const { counts, skipped } = await analyzeTables(eng, dir, [shard.table], {
      processRange: shard.processRange,
      yara,
      fileName: () => file,
      onRows: (t, rs) => (overview = overviewTables.has(t) ? overviewSlices(t, rs) : undefined),
    });
    const rows = counts[shard.table] ?? 0;
    const key = shardObjectKey(shard.table, partitionOf(job), shard.id);
    if (rows > 0) await deps.lake.put(key, fs.readFileSync(path.join(dir, file)), 'application/vnd.apache.parquet');
    else await deps.lake.delete([key]); // a retry that now finds nothing must not leave an old file
    const r: ShardResult = { id: shard.id, kind: 'table', table: shard.table, rows, ms: Math.round(performance.now() - t0), warnings: eng.warnings.slice(warningsBefore, warningsBefore + 200), overview, ...(skipped.length ? { skipped } : {}) };
    await deps.lake.put(shardResultKey(job.snapshot, shard.id), JSON.stringify(r), 'application/json');
    return { id: shard.id, rows };
  } catch (e) {
    closeCachedEngine(); // a failed extraction may leave the engine in a bad state: start fresh on retry
    throw e;
  } finally {
    yara?.scanner.free();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The job's YARA rules compiled (bounded size; a broken rule is a MemqError with its line and column). */
async function jobRules(text: string) {
  if (Buffer.byteLength(text) > MAX_JOB_YARA_BYTES) throw new MemqError(`YARA rules of the job: larger than ${MAX_JOB_YARA_BYTES} bytes`, 'E_YARA_RULE');
  return compileRules([{ name: 'job.yar', text }]);
}

/** Combines per-range SHA-256 digests: one range → the plain digest; several → a labelled hash of the digests. */
export function combineHashes(parts: { part: number; sha256: string }[], partBytes: number): string {
  const sorted = [...parts].sort((a, b) => a.part - b.part);
  if (sorted.length === 1) return sorted[0]!.sha256;
  const h = crypto.createHash('sha256');
  for (const p of sorted) h.update(Buffer.from(p.sha256, 'hex'));
  return `sha256-tree-${partBytes}:${h.digest('hex')}`;
}

export async function finalize(
  deps: PipelineDeps,
  input: { job: SnapshotJob },
  limits: PlanLimits = defaultLimits,
): Promise<{ snapshot: string; counts: Record<string, number> }> {
  const { job } = input;
  const planText = await deps.lake.getText(planKey(job.snapshot));
  if (!planText) throw new MemqError(`plan for ${job.snapshot} missing at ${planKey(job.snapshot)}`, 'E_STATE');
  const planFile = JSON.parse(planText) as PlanFile;
  const results = new Map<string, ShardResult>();
  for (const s of planFile.shards) {
    const t = await deps.lake.getText(shardResultKey(job.snapshot, s.id));
    if (!t) throw new MemqError(`shard ${s.id} of ${job.snapshot} has no result — not every shard finished`, 'E_STATE');
    results.set(s.id, JSON.parse(t) as ShardResult);
  }
  const counts: Record<string, number> = {};
  const timings_ms: Record<string, number> = {};
  const warnings = new Set(planFile.warnings);
  const skipped: SkippedTable[] = [];
  const hashes: { part: number; sha256: string }[] = [];
  const expectedKeys = new Set<string>();
  for (const r of results.values()) {
    if (r.kind === 'hash') {
      hashes.push(r);
      continue;
    }
    counts[r.table] = (counts[r.table] ?? 0) + r.rows;
    timings_ms[r.table] = (timings_ms[r.table] ?? 0) + r.ms;
    for (const w of r.warnings) if (warnings.size < 1000) warnings.add(w);
    for (const k of r.skipped ?? []) skipped.push({ ...k, reason: `shard ${r.id}: ${k.reason}` });
    if (r.rows > 0) expectedKeys.add(shardObjectKey(r.table, partitionOf(job), r.id));
  }
  // Remove objects in this snapshot's partitions that the current plan did not write (an earlier
  // attempt planned differently): the partition then holds exactly this run's rows.
  const tablesInPlan = [...new Set(planFile.shards.flatMap((s) => (s.kind === 'table' ? [s.table] : [])))];
  const stale: string[] = [];
  for (const t of tablesInPlan) {
    for (const k of await deps.lake.list(partitionPrefix(t, partitionOf(job)), 100000)) if (!expectedKeys.has(k)) stale.push(k);
  }
  if (stale.length) await deps.lake.delete(stale);

  const manifest: SnapshotManifest = {
    memq_version: require('../../package.json').version,
    dump: { name: path.posix.basename(job.key), size: job.size, sha256: combineHashes(hashes, (deps.limits ?? limits).hashPartBytes), format: planFile.probe.format },
    os: planFile.probe.os,
    kernel: planFile.probe.kernel,
    captured_at: capturedAt(planFile.probe.info),
    info: planFile.probe.info,
    counts,
    timings_ms,
    warnings: [...warnings],
    ...(skipped.length ? { skipped } : {}),
    created_at: now(),
  };
  await deps.lake.put(manifestKey(partitionOf(job)), JSON.stringify(manifest, null, 2) + '\n', 'application/json');
  // the overview page's rows, merged from the shards' slices in plan order: the API serves it with no Athena query
  const slices = planFile.shards.flatMap((s) => {
    const r = results.get(s.id);
    return r?.kind === 'table' ? (r.overview ?? []) : [];
  });
  await deps.lake.put(overviewKey(partitionOf(job)), JSON.stringify(mergeOverview(slices)), 'application/json');
  // every catalog table gets the partition (empty where this OS fills nothing): a snapshot then
  // exists uniformly for cross-table queries
  await deps.partitions.register(tableNames, partitionOf(job));
  await updateSnapshot(deps, job.snapshot, { status: 'ready', stage: 'done', progress: 1, counts, error: null });
  await deps.usage.record({ snapshot: job.snapshot, org: job.org, hour: new Date().toISOString().slice(0, 13), bytes: job.size });
  // _pipeline/ scratch stays so a retried finalize finds it again; a lifecycle rule expires it.
  return { snapshot: job.snapshot, counts };
}

/** Failure state: records the reason on the snapshot so the API and UI can show it. */
export async function fail(deps: PipelineDeps, input: { job: SnapshotJob; error?: { Error?: string; Cause?: string } }): Promise<void> {
  const e = input.error ?? {};
  let reason = e.Error ?? 'failed';
  if (e.Cause) {
    try {
      const c = JSON.parse(e.Cause) as { errorMessage?: string };
      reason = `${reason}: ${c.errorMessage ?? e.Cause}`;
    } catch {
      reason = `${reason}: ${e.Cause}`;
    }
  }
  await updateSnapshot(deps, input.job.snapshot, { status: 'failed', stage: 'failed', error: reason.slice(0, 2000) });
}

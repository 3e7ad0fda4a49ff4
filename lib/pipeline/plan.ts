// The shard planner: splits one snapshot's work so that no shard needs the whole dump. Three axes:
//  - object class: every catalog table is extracted independently (OsEngine.extract(table));
//  - process range: tables keyed by process (non-null process_id) are split into ranges of the
//    kernel process list (OsEngine.processCount(), ExtractOptions.processRange);
//  - byte range: the one whole-dump scan the cloud needs (content hashing) runs per byte range.
// The indicator table reads scattered user pages; its ranges are narrowed by a worst-case time model
// (ShardCostModel below) so that no indicator shard can outlast a Lambda run, whatever the dump size.
// Pure function of (tables, process count, dump size, limits) so the scale note can run it on the
// real dev dump and extrapolate.
import { tables, type ColumnDef, type TableName } from '../model';

export type ShardSpec =
  | { id: string; kind: 'table'; table: TableName; processRange?: [number, number]; hints?: Record<string, number | string> }
  | { id: string; kind: 'hash'; byteRange: [number, number]; part: number };

export interface PlanLimits {
  /** processes per shard for process-keyed tables (per-table override below) */
  processesPerShard: number;
  /** heavier per-process tables (they read process memory) get smaller ranges */
  processesPerShardByTable: Partial<Record<TableName, number>>;
  /** byte range of one hash shard */
  hashPartBytes: number;
  /** hard cap on shards (Distributed Map handles 10,000 children in parallel; keep well below) */
  maxShards: number;
  /** worst-case time model that narrows indicator ranges on big dumps (default: defaultCostModel) */
  costModel?: ShardCostModel;
}

/**
 * Worst-case cost of the indicator shard, the one that reads scattered user pages. The indicator
 * collector scans at most `indicatorBytesPerProcess` of each process's writable memory
 * (lib/os/common/indicator-collector.ts, 64 MiB). Worst case: every 4 KiB page sits in a different
 * block of the S3 source, so each page is one ranged GET of `blockBytes` (lib/pipeline/s3-dump.ts),
 * plus one page-table page per 512 pages and the VMA walk; reads are synchronous (one GET at a time),
 * so time = GETs × (latency + block transfer). A block cache at least as large as the dump bounds the
 * GETs by the dump's block count instead (each block is fetched once). Numbers are assumptions,
 * stated in marketplace/scale.md; the bench prints this model next to what it measures.
 */
export interface ShardCostModel {
  /** mean first-byte latency of one small ranged GET from Lambda to S3 in the same region (ms) */
  getLatencyMs: number;
  /** per-connection transfer rate (MB/s) */
  streamMBps: number;
  /** GET size of a random read (the block cache block) */
  blockBytes: number;
  /** the shard's block cache capacity (lib/pipeline/s3-dump.ts) */
  cacheBytes: number;
  /** writable memory scanned per process at most */
  indicatorBytesPerProcess: number;
  /** GETs of a hinted engine open (kallsyms, BTF, page tables; measured ≈ 10–30) with a wide margin */
  openGets: number;
  /** VMA walk, mm and page-table upper levels per process (GETs) */
  perProcessOverheadGets: number;
  /** what a shard may take: the Lambda limit (900 s) less a margin for latency tails and retries */
  shardBudgetSeconds: number;
}

export const defaultCostModel: ShardCostModel = {
  getLatencyMs: 40,
  streamMBps: 90,
  blockBytes: 256 << 10,
  cacheBytes: 256 << 20,
  indicatorBytesPerProcess: 64 << 20,
  openGets: 200,
  perProcessOverheadGets: 100,
  shardBudgetSeconds: 800,
};

/** Worst-case GETs and seconds of an indicator shard over `processes` processes of a `dumpSize`-byte dump. */
export function indicatorShardWorstCase(processes: number, dumpSize: number, m: ShardCostModel = defaultCostModel): { gets: number; seconds: number } {
  const pages = m.indicatorBytesPerProcess / 4096;
  const perProcess = pages + Math.ceil(pages / 512) + m.perProcessOverheadGets;
  let gets = m.openGets + processes * perProcess;
  if (dumpSize <= m.cacheBytes) gets = Math.min(gets, Math.ceil(dumpSize / m.blockBytes));
  const perGetS = m.getLatencyMs / 1000 + m.blockBytes / (m.streamMBps * 1e6);
  return { gets, seconds: gets * perGetS };
}

/** Most processes an indicator shard may take so that its worst case fits the shard budget (≥ 1). */
export function indicatorProcessesFitting(dumpSize: number, upTo: number, m: ShardCostModel = defaultCostModel): number {
  let n = Math.max(1, upTo);
  while (n > 1 && indicatorShardWorstCase(n, dumpSize, m).seconds > m.shardBudgetSeconds) n = Math.max(1, Math.floor(n / 2));
  return n;
}

export const defaultLimits: PlanLimits = {
  processesPerShard: 256,
  processesPerShardByTable: { vma: 64, indicator: 16, env_var: 128 },
  hashPartBytes: 1 << 30,
  maxShards: 5000,
};

/** Open-ended upper bound of the last range: processes an engine finds beyond processCount() (hidden ones) still land in a shard. */
export const RANGE_OPEN_END = 2 ** 31 - 1;

/** Tables split by process range: those whose rows all belong to one process. */
export function isProcessKeyed(t: TableName): boolean {
  const c = (tables[t].columns as Record<string, ColumnDef>).process_id;
  return !!c && !c.nullable;
}

export function planShards(
  engineTables: readonly TableName[],
  processCount: number,
  dumpSize: number,
  limits: PlanLimits = defaultLimits,
): ShardSpec[] {
  const shards: ShardSpec[] = [];
  const procs = Math.max(0, Math.floor(processCount));
  for (const t of engineTables) {
    if (!isProcessKeyed(t)) {
      shards.push({ id: `${t}-all`, kind: 'table', table: t });
      continue;
    }
    let per = Math.max(1, limits.processesPerShardByTable[t] ?? limits.processesPerShard);
    // scattered-page reads: narrow the ranges until the worst case fits a Lambda run (big dumps: 1)
    if (t === 'indicator') per = indicatorProcessesFitting(dumpSize, per, limits.costModel ?? defaultCostModel);
    // keep within the shard cap even for absurd process counts from a corrupt list: the indicator
    // table (one process per shard on big dumps) may use half of the cap, the others share the rest
    const share = t === 'indicator' ? Math.floor(limits.maxShards / 2) : Math.max(1, Math.floor(limits.maxShards / 2 / Math.max(1, engineTables.length - 1)));
    const ranges = Math.max(1, Math.ceil(procs / per));
    if (ranges > share) per = Math.ceil(procs / share);
    for (let from = 0, i = 0; i === 0 || from < procs; from += per, i++) {
      const last = from + per >= procs;
      shards.push({
        id: `${t}-p${String(from).padStart(6, '0')}`,
        kind: 'table',
        table: t,
        processRange: [from, last ? RANGE_OPEN_END : from + per],
      });
      if (last) break;
    }
  }
  const parts = Math.max(1, Math.ceil(dumpSize / limits.hashPartBytes));
  for (let i = 0; i < parts; i++) {
    shards.push({
      id: `hash-${String(i).padStart(5, '0')}`,
      kind: 'hash',
      part: i,
      byteRange: [i * limits.hashPartBytes, Math.min(dumpSize, (i + 1) * limits.hashPartBytes)],
    });
  }
  return shards;
}

/** Shard counts by table and kind, for the scale note and `npm run synth`-style summaries. */
export function summarizePlan(shards: readonly ShardSpec[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of shards) {
    const k = s.kind === 'hash' ? 'hash' : s.table;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

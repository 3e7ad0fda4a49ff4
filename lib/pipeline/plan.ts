// The shard planner: splits one snapshot's work so that no shard needs the whole dump. Three axes:
//  - object class: every catalog table is extracted independently (OsEngine.extract(table));
//  - process range: tables keyed by process (non-null process_id) are split into ranges of the
//    kernel process list (OsEngine.processCount(), ExtractOptions.processRange);
//  - byte range: the one whole-dump scan the cloud needs (content hashing) runs per byte range.
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
    // keep within the shard cap even for absurd process counts from a corrupt list
    const ranges = Math.max(1, Math.ceil(procs / per));
    if (ranges > limits.maxShards / Math.max(1, engineTables.length)) per = Math.ceil(procs / Math.floor(limits.maxShards / engineTables.length));
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

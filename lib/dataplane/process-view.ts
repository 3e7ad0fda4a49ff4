// The process page's data (GET /snapshots/{id}/processes/{pid}), built from the object catalog: the
// process row, its parent chain and children, and one browse per 1:N sub-object of the `process` query
// object (whatever tables the catalog joins by pid: memory map, threads, libraries, handles, …), so a
// table added to the catalog shows up here without restating fields. Works on either engine: it only
// browses (bound parameters, partition-key equality), a bounded number of statements at a time.
import { objects, tables, type ColumnDef, type TableName } from '../model';
import type { HuntHit, Page, ProcessView } from '../model/jobs';
import type { Snapshot } from '../platform/model';
import { PlatformError } from '../platform/errors';
import type { BrowseOptions } from './types';

export type Browse = (table: TableName, o: BrowseOptions) => Promise<Page>;

/** rows per section at most (`total` still counts all); keeps the response far under Lambda's 6 MB */
export const SECTION_ROWS = 1000;
/** parent links followed at most (pid reuse or a hostile dump could make a cycle) */
const MAX_ANCESTORS = 64;
/** statements in flight at once (Athena's account default is 20–25 concurrent queries) */
const CONCURRENCY = 4;

/** The 1:N sub-objects of the process object joined by pid, for the snapshot's OS. */
export function processSections(os: string | null): { key: string; table: TableName; doc: string }[] {
  const subs = objects.process!.subObjects;
  return Object.entries(subs)
    .filter(([, d]) => d.cardinality === 'many' && d.join.length === 1 && d.join[0]![0] === 'process_id' && d.join[0]![1] === 'process_id')
    .filter(([, d]) => {
      const p = tables[d.table].platform;
      return p === 'both' || os === null || p === os;
    })
    .map(([key, d]) => ({ key, table: d.table, doc: d.doc }));
}

async function bounded<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]!();
      }
    }),
  );
  return out;
}

const cell = (p: Page, row: unknown[], name: string): unknown => row[p.columns.findIndex((c) => c.name === name)];

/** Memory-map rows worth a look: writable+executable, or a PE header outside an image/file mapping. */
export function flaggedRegions(p: Page): ProcessView['flagged_regions'] {
  const out: ProcessView['flagged_regions'] = [];
  p.rows.forEach((r, i) => {
    const reasons: string[] = [];
    if (cell(p, r, 'is_writable') === true && cell(p, r, 'is_executable') === true) reasons.push('W+X');
    const kind = cell(p, r, 'kind');
    if (cell(p, r, 'has_pe_header') === true && kind !== 'image' && kind !== 'file') reasons.push('PE in private memory');
    if (reasons.length) out.push({ row: i, reasons });
  });
  return out;
}

/** A hunt's hits narrowed to one process of one snapshot (rows whose process_id is the pid). */
export function hitsOnProcess(hits: readonly HuntHit[], snapshotId: string, pid: number): HuntHit[] {
  const out: HuntHit[] = [];
  for (const h of hits) {
    if (h.snapshot_id !== snapshotId) continue;
    const i = h.columns.indexOf('process_id');
    if (i < 0) continue;
    const rows = h.rows.filter((r) => Number(r[i]) === pid);
    if (rows.length) out.push({ ...h, rows });
  }
  return out;
}

export async function processView(browse: Browse, snap: Snapshot, pid: number, hits: { hunt_id: string; hits: readonly HuntHit[] } | null): Promise<ProcessView> {
  const one = (table: TableName, filter: Record<string, string>, limit = SECTION_ROWS, order_by?: string) => browse(table, { offset: 0, limit, filter, order_by, countIfFull: true });
  const proc = await one('process', { process_id: String(pid) }, 2); // 2: one row comes back short, so no count statement
  if (proc.rows.length === 0) throw new PlatformError('not_found', `process ${pid} not found in this snapshot`);
  // parent chain, nearest first, stopping at pid 0, a missing parent or a loop
  const ancestors: Page = { columns: proc.columns, rows: [], total: 0, offset: 0, next_offset: null };
  const seen = new Set([pid]);
  let ppid = Number(cell(proc, proc.rows[0]!, 'parent_process_id'));
  while (ancestors.rows.length < MAX_ANCESTORS && Number.isInteger(ppid) && ppid > 0 && !seen.has(ppid)) {
    seen.add(ppid);
    const p = await one('process', { process_id: String(ppid) }, 2);
    if (!p.rows.length) break;
    ancestors.rows.push(p.rows[0]!);
    ppid = Number(cell(p, p.rows[0]!, 'parent_process_id'));
  }
  ancestors.total = ancestors.rows.length;
  const secs = processSections(snap.os);
  const orderOf = (t: TableName): string | undefined => {
    const cols = tables[t].columns as Record<string, ColumnDef>;
    return ['start', 'fd', 'thread_id', 'base', 'timestamp', 'name', 'address'].find((c) => c in cols);
  };
  const [children, ...pages] = await bounded(
    [() => one('process', { parent_process_id: String(pid) }, SECTION_ROWS, 'process_id'), ...secs.map((s) => () => one(s.table, { process_id: String(pid) }, SECTION_ROWS, orderOf(s.table)))],
    CONCURRENCY,
  );
  const sections = secs.map((s, i) => ({ ...s, page: pages[i]! }));
  const vma = sections.find((s) => s.table === 'vma');
  return {
    snapshot_id: snap.id,
    process_id: pid,
    process: proc,
    ancestors,
    children: children!,
    sections,
    flagged_regions: vma ? flaggedRegions(vma.page) : [],
    hunt_id: hits?.hunt_id ?? null,
    hits: hits ? hitsOnProcess(hits.hits, snap.id, pid) : [],
  };
}

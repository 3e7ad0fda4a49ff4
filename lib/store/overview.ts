// The snapshot overview (GET /snapshots/{id}/overview) as data: which tables, how many rows and how many
// serialized bytes each section may hold, and how rows become API cells. The local plane answers it
// with five browses over DuckDB; the cloud pipeline precomputes it once per snapshot (each shard keeps
// its slice, finalize merges the slices into one S3 object next to the manifest), so the cloud API
// answers with one S3 read and no Athena query at all — bounded by construction, whatever the number
// of tables or the Athena queue. The byte budgets keep the whole response well under Lambda's 6 MB.
import { tables, type ColumnDef, type TableName } from '../model';
import { addr } from '../util/hex';
import type { Page } from '../model/jobs';

export interface OverviewSection {
  /** property of the overview response */
  key: 'processes' | 'modules' | 'sockets' | 'kernel_log' | 'hooked_syscalls';
  table: TableName;
  /** at most this many rows */
  limit: number;
  /** and at most this many bytes of JSON-serialized rows (the section's `total` still counts every match) */
  maxBytes: number;
  /** browse filter (column → value; see BrowseOptions.filter) */
  filter?: Record<string, string>;
}

const MB = 1_000_000;

/** The overview's sections; their byte budgets add up to 4.5 MB (Lambda responses are ≤ 6 MB). */
export const OVERVIEW_SECTIONS: readonly OverviewSection[] = [
  { key: 'processes', table: 'process', limit: 10_000, maxBytes: 2 * MB },
  { key: 'modules', table: 'kernel_module', limit: 5000, maxBytes: 0.75 * MB },
  { key: 'sockets', table: 'socket', limit: 5000, maxBytes: 0.75 * MB },
  { key: 'kernel_log', table: 'kernel_log', limit: 5000, maxBytes: 0.75 * MB },
  { key: 'hooked_syscalls', table: 'syscall', limit: 1000, maxBytes: 0.25 * MB, filter: { hooked: 'true' } },
];

export const overviewTables: ReadonlySet<TableName> = new Set(OVERVIEW_SECTIONS.map((s) => s.table));

/** A page of rows (the one job model's Page). */
export type TablePage = Page;

export type OverviewPages = Record<OverviewSection['key'], TablePage>;

/** What the pipeline stores per snapshot (overview.json next to manifest.json). */
export interface StoredOverview {
  version: 1;
  sections: OverviewPages;
}

/** One shard's contribution to a section: its first rows (already capped) and how many of its rows matched. */
export interface OverviewSlice {
  key: OverviewSection['key'];
  rows: unknown[][];
  bytes: number;
  matched: number;
}

const columnsOf = (t: TableName) => Object.entries(tables[t].columns as Record<string, ColumnDef>);

/** An in-memory catalog value (zod row) as the API sends it: the same JSON the browse routes return. */
export function apiCell(v: unknown, kind: ColumnDef['kind']): unknown {
  if (v === null || v === undefined) return null;
  if (kind === 'address') return addr(v as bigint);
  if (kind === 'timestamp') return (v as Date).toISOString();
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

/** Browse-filter semantics on an in-memory row: text columns by case-insensitive substring, others by equality. */
export function rowMatches(t: TableName, row: Record<string, unknown>, filter: Record<string, string> | undefined): boolean {
  if (!filter) return true;
  const cols = tables[t].columns as Record<string, ColumnDef>;
  for (const [k, want] of Object.entries(filter)) {
    const c = cols[k];
    if (!c) return false;
    const v = row[k];
    if (v === null || v === undefined) return false;
    if (c.kind === 'bool') {
      if (v !== (want === 'true')) return false;
    } else if (c.kind === 'string' || c.kind === 'address' || c.kind === 'string_list') {
      const text = c.kind === 'address' ? addr(v as bigint) : c.kind === 'string_list' ? (v as string[]).join(' ') : String(v);
      if (!text.toLowerCase().includes(want.toLowerCase())) return false;
    } else if (Number(v) !== Number(want)) return false;
  }
  return true;
}

/** A shard's slices of the overview for table `t` (none when `t` is not shown there). */
export function overviewSlices(t: TableName, rows: readonly Record<string, unknown>[]): OverviewSlice[] {
  const cols = columnsOf(t);
  const out: OverviewSlice[] = [];
  for (const s of OVERVIEW_SECTIONS) {
    if (s.table !== t) continue;
    const slice: OverviewSlice = { key: s.key, rows: [], bytes: 0, matched: 0 };
    let full = false;
    for (const r of rows) {
      if (!rowMatches(t, r, s.filter)) continue;
      slice.matched++;
      if (full) continue;
      const cells = cols.map(([n, c]) => apiCell(r[n], c.kind));
      const n = Buffer.byteLength(JSON.stringify(cells)) + 1;
      if (slice.rows.length >= s.limit || slice.bytes + n > s.maxBytes) {
        full = true;
        continue;
      }
      slice.rows.push(cells);
      slice.bytes += n;
    }
    out.push(slice);
  }
  return out;
}

/** Merges shard slices (in plan order) into the overview pages, each within its section's row and byte caps. */
export function mergeOverview(slices: readonly OverviewSlice[]): StoredOverview {
  const sections = {} as OverviewPages;
  for (const s of OVERVIEW_SECTIONS) {
    const page: TablePage = { columns: columnsOf(s.table).map(([name, c]) => ({ name, kind: c.kind })), rows: [], total: 0, offset: 0 };
    let bytes = 0;
    let full = false;
    for (const sl of slices) {
      if (sl.key !== s.key) continue;
      page.total = (page.total ?? 0) + sl.matched;
      for (const r of sl.rows) {
        if (full) break;
        const n = Buffer.byteLength(JSON.stringify(r)) + 1;
        if (page.rows.length >= s.limit || bytes + n > s.maxBytes) full = true;
        else {
          page.rows.push(r);
          bytes += n;
        }
      }
    }
    sections[s.key] = page;
  }
  return { version: 1, sections };
}

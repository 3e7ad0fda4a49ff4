// Result-grid operations as pure functions over column-major-free row arrays: sort, filter, column
// choice, CSV/JSON export. The grid component renders only visible rows (virtualized); these run once
// per change over all rows (100k rows sort in well under a second).
import { csvField, isNumeric } from '../../../lib/util/csv';

export type Row = unknown[];

function cmp(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(String).join(' ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Rows whose every filtered column contains the filter text (case-insensitive); then sorted. */
export function view(rows: Row[], filters: Record<number, string>, sort: { col: number; desc: boolean } | null): Row[] {
  const fs = Object.entries(filters).filter(([, v]) => v.trim() !== '').map(([k, v]) => [Number(k), v.toLowerCase()] as const);
  let out = fs.length ? rows.filter((r) => fs.every(([c, v]) => cellText(r[c]).toLowerCase().includes(v))) : rows.slice();
  if (sort) {
    const { col, desc } = sort;
    out = out.sort((a, b) => (desc ? -cmp(a[col], b[col]) : cmp(a[col], b[col])));
  }
  return out;
}

/** A CSV cell: text that would run as a spreadsheet formula is escaped (shared with the API's export). */
function csvCell(v: unknown): string {
  return csvField(cellText(v), isNumeric(v));
}

export function toCsv(columns: string[], rows: Row[], visible: number[]): string {
  const lines = [visible.map((i) => csvCell(columns[i])).join(',')];
  for (const r of rows) lines.push(visible.map((i) => csvCell(r[i])).join(','));
  return lines.join('\n') + '\n';
}

export function toJson(columns: string[], rows: Row[], visible: number[]): string {
  return JSON.stringify(rows.map((r) => Object.fromEntries(visible.map((i) => [columns[i], r[i] ?? null]))), null, 1);
}

/** Rows as objects keyed by column name. */
export function records(columns: { name: string }[], rows: Row[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));
}

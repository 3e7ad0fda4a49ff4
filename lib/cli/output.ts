// Renders rows for the terminal or for pipelines: aligned tables (default), json, jsonl, csv.
// Addresses print as hex, timestamps as ISO-8601, lists joined by spaces in tables.
import { csvField, isNumeric } from '../util/csv';

export type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';
export const outputFormats: OutputFormat[] = ['table', 'json', 'jsonl', 'csv'];

export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (v instanceof Date) return isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  return v;
}

const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from a dump (process names, command lines, kernel banners) made safe for a terminal: control
 * characters (C0, DEL, C1 — ESC starts colour, cursor-movement and title sequences that can hide or
 * rewrite rows) and the Unicode bidi overrides that reorder what is shown are written as visible
 * escapes (`\x1b`, `\n`, `\u202e`). `keepNewlines` for multi-line output assembled by the caller.
 * Machine formats (json, jsonl, csv) stay exact.
 */
export function terminalSafe(s: string, keepNewlines = false): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (keepNewlines && c === '\n') return c;
    const code = c.charCodeAt(0);
    return escapes[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`);
  });
}

function cellText(v: unknown): string {
  const p = plainValue(v);
  if (p === null || p === undefined) return '-';
  if (Array.isArray(p)) return terminalSafe(p.join(' '));
  return terminalSafe(String(p));
}

function csvCell(v: unknown): string {
  const p = plainValue(v);
  if (p === null || p === undefined) return '';
  const s = Array.isArray(p) ? JSON.stringify(p) : String(p);
  return csvField(s, isNumeric(p));
}

/**
 * Width a table may take on `stream`: $COLUMNS (or the terminal's width) when it is a terminal,
 * undefined (no limit: nothing truncated) when output is piped or redirected.
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  if (!stream.isTTY) return undefined;
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  return stream.columns && stream.columns > 0 ? stream.columns : 80;
}

/** narrowest a text column is cut to when fitting a table (its header if wider) */
const MIN_TEXT_WIDTH = 8;

/**
 * rows → text. `width` (table only): fit the table into that many characters by cutting the widest
 * text columns with "…" (numbers and addresses are never cut); undefined = full cells (pipes, files).
 * json, jsonl and csv are never cut.
 */
export function render(rows: Record<string, unknown>[], columns: string[], format: OutputFormat, width?: number): string {
  switch (format) {
    case 'json':
      return JSON.stringify(rows.map((r) => pick(r, columns)), null, 2) + '\n';
    case 'jsonl':
      return rows.map((r) => JSON.stringify(pick(r, columns))).join('\n') + (rows.length ? '\n' : '');
    case 'csv':
      return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
    case 'table': {
      const heads = columns.map((c) => terminalSafe(c));
      let cells = rows.map((r) => columns.map((c) => cellText(r[c])));
      const widths = columns.map((_c, i) => Math.max(heads[i].length, ...cells.map((row) => row[i].length)));
      if (width !== undefined) {
        const isText = columns.map((c) => rows.some((r) => { const v = plainValue(r[c]); return typeof v === 'string' && !/^0x[0-9a-f]+$/.test(v) || Array.isArray(v); }));
        fitWidths(widths, heads, isText, width);
        cells = cells.map((row) => row.map((v, i) => truncate(v, widths[i])));
      }
      const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
      return [line(heads), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
    }
  }
}

/** shrinks the widest text columns (in place) until the table fits `width` or none can shrink more */
function fitWidths(widths: number[], heads: string[], isText: boolean[], width: number): void {
  const total = () => widths.reduce((a, b) => a + b, 0) + 2 * Math.max(0, widths.length - 1);
  const floor = (i: number) => Math.max(MIN_TEXT_WIDTH, heads[i].length);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (isText[i] && widths[i] > floor(i) && (widest < 0 || widths[i] > widths[widest])) widest = i;
    if (widest < 0) return;
    // cut just enough, but not below the next-widest text column (then both shrink in turn) or the floor
    const next = Math.max(0, ...widths.map((w, i) => (i !== widest && isText[i] ? w : 0)));
    const target = Math.max(floor(widest), next, widths[widest] - (total() - width));
    widths[widest] = target < widths[widest] ? target : widths[widest] - 1;
  }
}

function pick(r: Record<string, unknown>, columns: string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of columns) o[c] = plainValue(r[c]);
  return o;
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

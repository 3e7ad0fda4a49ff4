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

export function render(rows: Record<string, unknown>[], columns: string[], format: OutputFormat, maxWidth = 60): string {
  switch (format) {
    case 'json':
      return JSON.stringify(rows.map((r) => pick(r, columns)), null, 2) + '\n';
    case 'jsonl':
      return rows.map((r) => JSON.stringify(pick(r, columns))).join('\n') + (rows.length ? '\n' : '');
    case 'csv':
      return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
    case 'table': {
      const cells = rows.map((r) => columns.map((c) => truncate(cellText(r[c]), maxWidth)));
      const widths = columns.map((c, i) => Math.max(terminalSafe(c).length, ...cells.map((row) => row[i].length)));
      const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
      return [line(columns.map((c) => terminalSafe(c))), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
    }
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

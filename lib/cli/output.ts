// Renders rows for the terminal or for pipelines: aligned tables (default), json, jsonl, csv.
// Addresses print as hex, timestamps as ISO-8601, lists joined by spaces in tables.
export type OutputFormat = 'table' | 'json' | 'jsonl' | 'csv';
export const outputFormats: OutputFormat[] = ['table', 'json', 'jsonl', 'csv'];

export function plainValue(v: unknown): unknown {
  if (typeof v === 'bigint') return '0x' + v.toString(16);
  if (v instanceof Date) return isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(plainValue);
  return v;
}

function cellText(v: unknown): string {
  const p = plainValue(v);
  if (p === null || p === undefined) return '-';
  if (Array.isArray(p)) return p.join(' ');
  return String(p);
}

function csvCell(v: unknown): string {
  const p = plainValue(v);
  if (p === null || p === undefined) return '';
  const s = Array.isArray(p) ? JSON.stringify(p) : String(p);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
      const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
      const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
      return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
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

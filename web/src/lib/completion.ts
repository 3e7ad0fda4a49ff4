// Query-editor completion, derived from the catalog the API serves (GET /catalog): objects, their
// sub-objects, the sub-object's fields, and the language's keywords. Pure functions (tested in jest).
import type { Catalog } from './types';

export interface Suggestion {
  label: string;
  /** what the word before the cursor is replaced with */
  insert: string;
  detail: string;
}

export interface CompletionResult {
  /** start offset of the word being completed */
  from: number;
  to: number;
  items: Suggestion[];
}

const MAX = 50;

export function complete(cat: Catalog, text: string, cursor: number, keywords: string[] = []): CompletionResult {
  const before = text.slice(0, cursor);
  const m = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(before) ?? /\.$/.exec(before);
  const word = m ? m[0] : '';
  const from = cursor - word.length;
  const parts = word.split('.');
  const last = (parts[parts.length - 1] ?? '').toLowerCase();
  const items: Suggestion[] = [];
  const starts = (s: string) => s.toLowerCase().startsWith(last);
  if (parts.length === 1) {
    for (const [name, o] of Object.entries(cat.objects)) if (starts(name)) items.push({ label: name, insert: `${name}.`, detail: o.doc });
    for (const k of keywords) if (last && starts(k)) items.push({ label: k, insert: `${k} `, detail: 'keyword' });
  } else if (parts.length === 2) {
    const o = cat.objects[parts[0]!];
    if (o) for (const [sn, so] of Object.entries(o.sub_objects)) if (starts(sn)) items.push({ label: sn, insert: `${parts[0]}.${sn}.`, detail: `${so.cardinality === 'many' ? '1:N' : '1:1'} ${so.doc}` });
  } else if (parts.length === 3) {
    const so = cat.objects[parts[0]!]?.sub_objects[parts[1]!];
    if (so) {
      const cols = cat.tables[so.table]?.columns ?? [];
      for (const c of cols) if (starts(c.name)) items.push({ label: c.name, insert: `${parts[0]}.${parts[1]}.${c.name}`, detail: `${c.kind}${c.platform !== 'both' ? ` (${c.platform})` : ''} — ${c.doc}` });
    }
  }
  return { from, to: cursor, items: items.slice(0, MAX) };
}

/** Character offset of a 1-based line/column in the text (for placing error markers). */
export function offsetOf(text: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', off);
    if (nl < 0) return text.length;
    off = nl + 1;
  }
  return Math.min(text.length, off + column - 1);
}

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

export type TokenClass = 'object' | 'sub' | 'field' | 'keyword' | 'op' | 'string' | 'number' | 'comment' | 'text';

/**
 * Syntax highlighting: the text cut into spans (together they are exactly the text), each classed as
 * the language's lexer would see it — objects/sub-objects/fields checked against the catalog, keywords
 * and word operators, strings with escapes, numbers, operators and # or // comments. Never throws
 * (the text may be half typed); bounded by the text length.
 */
export function highlight(cat: Catalog, text: string, keywords: string[] = []): { text: string; cls: TokenClass }[] {
  const out: { text: string; cls: TokenClass }[] = [];
  const kw = new Set(keywords.map((k) => k.toLowerCase()));
  const push = (t: string, cls: TokenClass) => {
    if (!t) return;
    const last = out[out.length - 1];
    if (last && last.cls === cls && cls === 'text') last.text += t;
    else out.push({ text: t, cls });
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      const e = nl < 0 ? n : nl;
      push(text.slice(i, e), 'comment');
      i = e;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      j = Math.min(n, j + 1);
      push(text.slice(i, j), 'string');
      i = j;
      continue;
    }
    const path = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\.?/y;
    path.lastIndex = i;
    const m = path.exec(text);
    if (m) {
      const parts = m[0].split('.');
      const obj = cat.objects[parts[0]!];
      if (parts.length === 1 || !obj) {
        // a lone word: keyword / word operator, or text; a dotted path on an unknown object stays text
        push(m[0], parts.length === 1 && kw.has(m[0].toLowerCase()) ? 'keyword' : 'text');
      } else {
        push(parts[0]!, 'object');
        const sub = obj.sub_objects[parts[1] ?? ''];
        for (let k = 1; k < parts.length; k++) {
          push('.', 'op');
          const known = k === 1 ? !!sub : k === 2 && !!sub && (cat.tables[sub.table]?.columns ?? []).some((col) => col.name === parts[k]);
          push(parts[k]!, known ? (k === 1 ? 'sub' : 'field') : 'text');
        }
      }
      i += m[0].length;
      continue;
    }
    const num = /0[xX][0-9A-Fa-f_]+|[0-9][0-9_]*(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    num.lastIndex = i;
    const nm = num.exec(text);
    if (nm) {
      push(nm[0], 'number');
      i += nm[0].length;
      continue;
    }
    const op = /&&|\|\||==|!=|<=|>=|=~|!~|[<>!=()[\],*~-]/y;
    op.lastIndex = i;
    const om = op.exec(text);
    if (om) {
      push(om[0], 'op');
      i += om[0].length;
      continue;
    }
    push(c, 'text');
    i++;
  }
  return out;
}

// Query errors the user can fix: every one carries the 1-based line and column of the offending
// token and, where a name was mistyped, "did you mean" suggestions drawn from the catalog.
import { MemqError } from '../util/errors';

export class QueryError extends MemqError {
  constructor(
    readonly detail: string,
    readonly line: number,
    readonly column: number,
    readonly suggestions: string[] = [],
  ) {
    super(
      `query error at line ${line}, column ${column}: ${detail}` +
        (suggestions.length ? ` (did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?)` : ''),
      'E_QUERY',
    );
    this.name = 'QueryError';
  }
}

/** 1-based line and column of a character offset in the query text. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

export function queryError(text: string, offset: number, detail: string, suggestions: string[] = []): QueryError {
  const { line, column } = lineColumn(text, offset);
  return new QueryError(detail, line, column, suggestions);
}

/** The offending line with a caret under the column, for terminals (CLI, REPL). */
export function caretSnippet(text: string, e: QueryError): string {
  const line = text.split('\n')[e.line - 1] ?? '';
  return `  ${line}\n  ${' '.repeat(Math.max(0, e.column - 1))}^`;
}

function editDistance(a: string, b: string): number {
  // Damerau-lite (Levenshtein + adjacent transposition); names are short, O(n·m) is fine
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** Up to `max` candidates close to `name`: small edit distance; failing that, names containing it. */
export function didYouMean(name: string, candidates: Iterable<string>, max = 3): string[] {
  const n = name.toLowerCase();
  const limit = Math.max(2, Math.floor(n.length / 3));
  const all = [...new Set(candidates)];
  const scored: [string, number][] = [];
  for (const c of all) {
    const s = editDistance(n, c.toLowerCase());
    if (s <= limit) scored.push([c, s]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  if (scored.length) return scored.slice(0, max).map((x) => x[0]);
  if (n.length < 3) return [];
  return all.filter((c) => c.toLowerCase().includes(n) || n.includes(c.toLowerCase())).slice(0, max);
}

// `memq ioc`: looks for indicator values (IPs, domains, URLs, hashes, paths, process names) in every
// string column of every catalog table — the `indicator` table of addresses found in process memory
// included — over any mix of projects, machines and snapshots. One SQL statement per table keeps only
// rows where some string column matches any IOC (a combined regex, bound as a parameter); JS then
// says which IOC matched which column, so each hit names its snapshot, table, column and row.
import type { TableName } from '../model';
import { MemqError } from '../util/errors';
import { classifyIoc, combinedPattern, iocRegExp, type Ioc, type IocKind } from './classify';
import type { Dialect, Scope } from '../query';
import type { SqlExecutor } from '../query/statements';
import { iocTableSql, iocTables, locatorColumns, stringColumns } from '../query/ioc-sql';
export { iocTables, locatorColumns, iocTableSql };

export interface IocHit {
  ioc: string;
  kind: IocKind;
  project: string;
  machine: string;
  snapshot: string;
  table: TableName;
  column: string;
  /** the matching column text (shortened around the match when long) */
  value: string;
  /** columns that locate the row: process_id, fd, address, name, … as the table has them */
  where: Record<string, unknown>;
}

export interface IocSearchOptions {
  dialect?: Dialect;
  scope?: Scope;
  /** rows fetched per table at most (default 10,000) */
  maxRowsPerTable?: number;
  /** restrict to these tables (default: all) */
  tables?: TableName[];
  /** called after each table is searched (progress of long searches) */
  onTable?: (done: number, total: number) => void;
}

export interface IocSearchResult {
  iocs: Ioc[];
  hits: IocHit[];
  /** tables whose row cap was reached: more hits may exist there */
  truncated: TableName[];
  elapsed_ms: number;
}

const MAX_IOCS = 1000;
const IOCS_PER_STATEMENT = 100;
function excerpt(text: string, re: RegExp): string {
  if (text.length <= 200) return text;
  const m = re.exec(text);
  const at = m ? m.index : 0;
  const from = Math.max(0, at - 60);
  return (from > 0 ? '…' : '') + text.slice(from, from + 200) + (from + 200 < text.length ? '…' : '');
}

export async function searchIocs(exec: SqlExecutor, values: readonly string[], opts: IocSearchOptions = {}): Promise<IocSearchResult> {
  const t0 = performance.now();
  if (values.length === 0) throw new MemqError('no IOC values given: expected one or more IPs, domains, URLs, hashes, paths or process names', 'E_USAGE');
  if (values.length > MAX_IOCS) throw new MemqError(`${values.length} IOC values given; at most ${MAX_IOCS} per search`, 'E_USAGE');
  const iocs = values.map(classifyIoc);
  const res = iocs.map((i) => iocRegExp(i));
  // pre-filter patterns over batches of IOCs: a literal alternation of ~100 values stays a small
  // RE2 DFA; one over a thousand values falls back to a much slower matcher
  const patterns: string[] = [];
  for (let i = 0; i < iocs.length; i += IOCS_PER_STATEMENT) patterns.push(combinedPattern(iocs.slice(i, i + IOCS_PER_STATEMENT)));
  const limit = opts.maxRowsPerTable ?? 10_000;
  const hits: IocHit[] = [];
  const truncated: TableName[] = [];
  const searched = iocTables(opts.tables);
  for (const [ti, t] of searched.entries()) {
    const strCols = stringColumns(t);
    if (ti > 0) opts.onTable?.(ti, searched.length);
    let rows: Record<string, unknown>[] = [];
    const seenRows = new Set<string>();
    for (const pattern of patterns) {
      const { sql, params, columns } = iocTableSql(t, pattern, opts);
      for (const r of await exec(sql, params, { table: t, columns: ['project', 'machine', 'snapshot', ...columns] })) {
        // a row matched by two batches is attributed once (every IOC is tested on it below)
        const key = patterns.length > 1 ? JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) : '';
        if (patterns.length > 1 && seenRows.has(key)) continue;
        seenRows.add(key);
        rows.push(r);
      }
    }
    if (rows.length > limit) {
      truncated.push(t);
      rows = rows.slice(0, limit);
    }
    const locators = locatorColumns(t);
    for (const row of rows) {
      const where: Record<string, unknown> = {};
      for (const c of locators) where[c] = row[c];
      for (const [col, def] of strCols) {
        const v = row[col];
        if (v === null || v === undefined) continue;
        const text = def.kind === 'string_list' ? (v as unknown[]).map(String).join('\n') : String(v);
        iocs.forEach((ioc, i) => {
          if (!res[i].test(text)) return;
          hits.push({
            ioc: ioc.input,
            kind: ioc.kind,
            project: String(row.project),
            machine: String(row.machine),
            snapshot: String(row.snapshot),
            table: t,
            column: col,
            value: excerpt(def.kind === 'string_list' ? (v as unknown[]).map(String).join(' ') : text, res[i]),
            where,
          });
        });
      }
    }
  }
  opts.onTable?.(searched.length, searched.length);
  return { iocs, hits, truncated, elapsed_ms: Math.round(performance.now() - t0) };
}

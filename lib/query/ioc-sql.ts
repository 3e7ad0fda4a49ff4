// The IOC search's statement per table (lib/ioc/search.ts decides which IOC matched where): rows of a
// table in scope where some string column (list columns over their joined text) matches a combined
// pattern, bound as a parameter, with the columns that locate each row. Dialect differences come from
// the query layer's table (sql.ts).
import { tables, tableNames, type ColumnDef, type TableName } from '../model';
import { dialects, type Dialect, type Scope } from './sql';
import { q, scopeSql } from './statements';

export interface IocStatementOptions {
  dialect?: Dialect;
  scope?: Scope;
  /** rows fetched per table at most (default 10,000; the statement asks for one more) */
  maxRowsPerTable?: number;
}

const LOCATOR_COLUMNS = ['process_id', 'thread_id', 'fd', 'handle_value', 'table_name', 'index', 'sequence', 'kind', 'start', 'base', 'address', 'name'];

export function stringColumns(t: TableName): [string, ColumnDef][] {
  return Object.entries(tables[t].columns as Record<string, ColumnDef>).filter(([, c]) => c.kind === 'string' || c.kind === 'string_list');
}

/** The tables a search reads: those with a string column (of `only`, when given). */
export function iocTables(only?: readonly TableName[]): TableName[] {
  return (only ?? tableNames).filter((t) => stringColumns(t).length > 0);
}

/** Locator columns of a table (row identity for a hit), from the catalog. */
export function locatorColumns(t: TableName): string[] {
  const cols = tables[t].columns as Record<string, ColumnDef>;
  return LOCATOR_COLUMNS.filter((c) => c in cols);
}

/** SQL (and params) selecting the rows of table `t` where some string column matches `pattern`. */
export function iocTableSql(t: TableName, pattern: string, opts: IocStatementOptions = {}): { sql: string; params: unknown[]; columns: string[] } {
  const d = dialects[opts.dialect ?? 'duckdb'];
  const strCols = stringColumns(t);
  const locators = locatorColumns(t).filter((c) => !strCols.some(([n]) => n === c));
  const params: unknown[] = [];
  const select = ['project', 'machine', 'snapshot', ...locators, ...strCols.map(([n]) => n)].map((c) => `t.${q(c)}`);
  const scope = scopeSql('t', opts.scope, params);
  const ors = strCols.map(([n, c]) => {
    params.push(pattern);
    const x = c.kind === 'string_list' ? d.joinList(`t.${q(n)}`) : `t.${q(n)}`;
    return `coalesce(${d.regex(x, '?')}, false)`;
  });
  const where = [...scope, `(${ors.join(' OR ')})`];
  const limit = opts.maxRowsPerTable ?? 10_000;
  const sql = `SELECT ${select.join(', ')}\nFROM ${q(t)} AS t\nWHERE ${where.join('\n  AND ')}\nLIMIT ${Math.trunc(limit) + 1}`;
  return { sql, params, columns: [...locators, ...strCols.map(([n]) => n)] };
}


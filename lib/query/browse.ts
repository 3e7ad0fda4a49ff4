// Browsing one object table of one snapshot (the API's table view) as compiled statements, for both
// dialects: the page of rows and the count of matching rows. Filters are bound parameters — string
// columns match case-insensitively by substring, list columns over their joined text, booleans and
// numbers by equality — so user input never reaches the SQL text; column names come from the catalog.
import { tables, type ColumnDef, type ColumnKind, type TableName } from '../model';
import { MemqError } from '../util/errors';
import { likeEscape, type CompiledQuery, type CompileOptions, type OutputColumn } from './sql';

export interface BrowseSpec {
  table: TableName;
  /** the partition of the one snapshot browsed */
  snapshot: { project: string; machine: string; snapshot: string };
  /** column → value */
  filter?: Record<string, string>;
  order_by?: string;
  desc?: boolean;
  offset: number;
  limit: number;
}

export interface CompiledBrowse {
  /** the table's catalog columns, in catalog order */
  columns: OutputColumn[];
  rows: CompiledQuery;
  count: CompiledQuery;
}

const q = (id: string) => `"${id}"`;

export function compileBrowse(spec: BrowseSpec, opts: Pick<CompileOptions, 'dialect' | 'database'>): CompiledBrowse {
  const def = tables[spec.table];
  if (!def) throw new MemqError(`no table ${spec.table}`, 'E_QUERY');
  if (opts.database !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.database)) throw new MemqError(`bad database name "${opts.database}"`, 'E_USAGE');
  const cols = def.columns as Record<string, ColumnDef>;
  const columns: OutputColumn[] = Object.entries(cols).map(([name, c]) => ({ name, kind: c.kind, path: `${spec.table}.${name}` }));
  const where = ['"project" = ?', '"machine" = ?', '"snapshot" = ?'];
  const params: (string | number | boolean)[] = [spec.snapshot.project, spec.snapshot.machine, spec.snapshot.snapshot];
  const kinds: ColumnKind[] = ['string', 'string', 'string'];
  const text = (col: string, kind: ColumnKind) => {
    const joined = kind === 'string_list' ? (opts.dialect === 'athena' ? `array_join(${q(col)}, ' ')` : `array_to_string(${q(col)}, ' ')`) : q(col);
    return `lower(${joined}) LIKE lower(?) ESCAPE '\\'`;
  };
  for (const [k, v] of Object.entries(spec.filter ?? {})) {
    const c = cols[k];
    if (!c) throw new MemqError(`no column ${k} in ${spec.table}`, 'E_QUERY');
    if (c.kind === 'string' || c.kind === 'address' || c.kind === 'string_list') {
      where.push(text(k, c.kind));
      params.push(`%${likeEscape(v)}%`);
      kinds.push('string');
    } else if (c.kind === 'bool') {
      where.push(`${q(k)} = ?`);
      params.push(v === 'true');
      kinds.push('bool');
    } else if (c.kind === 'timestamp') {
      throw new MemqError(`filter ${k}: timestamp columns cannot be filtered here; use a query`, 'E_QUERY');
    } else {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new MemqError(`filter ${k}: expected a number, got "${v}"`, 'E_QUERY');
      where.push(`${q(k)} = ?`);
      params.push(n);
      kinds.push(c.kind);
    }
  }
  if (spec.order_by !== undefined && !cols[spec.order_by]) throw new MemqError(`no column ${spec.order_by} in ${spec.table}`, 'E_QUERY');
  const from = `${opts.database ? `${q(opts.database)}.` : ''}${q(spec.table)} WHERE ${where.join(' AND ')}`;
  const order = spec.order_by ? ` ORDER BY ${q(spec.order_by)} ${spec.desc ? 'DESC' : 'ASC'} NULLS LAST` : '';
  const offset = Math.max(0, Math.floor(spec.offset) || 0);
  const limit = Math.max(1, Math.min(100_000, Math.floor(spec.limit) || 1));
  const page = opts.dialect === 'athena' ? ` OFFSET ${offset} LIMIT ${limit}` : ` LIMIT ${limit} OFFSET ${offset}`;
  const base = { params, paramKinds: kinds, object: spec.table };
  return {
    columns,
    rows: { ...base, sql: `SELECT ${columns.map((c) => q(c.name)).join(', ')} FROM ${from}${order}${page}`, columns },
    count: { ...base, sql: `SELECT count(*) AS n FROM ${from}`, columns: [{ name: 'n', kind: 'int64', path: 'n' }] },
  };
}

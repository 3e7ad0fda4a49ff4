// Statements beside the query language (IOC search, snapshot diff): the executor contract (positional
// `?` parameters, rows as plain objects), identifier quoting and the scope filter over the partition
// keys. Dialect differences live in one table (sql.ts `dialects`). Tables are referenced by catalog
// name; the store/engine exposes each as a relation with project, machine and snapshot columns.
import { MemqError } from '../util/errors';
import type { Scope } from './sql';

/** What a statement reads: its table and the columns it selects, in order (executors may ignore it). */
export interface StatementInfo {
  table: string;
  columns: string[];
}

/** Runs SQL with positional `?` parameters; returns rows keyed by column name. */
export type SqlExecutor = (sql: string, params: unknown[], info?: StatementInfo) => Promise<Record<string, unknown>[]>;

export const q = (id: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(id)) throw new Error(`bad identifier ${id}`);
  return `"${id}"`;
};

/** `alias.project IN (?, …) AND …` for the scope; pushes the values onto params. */
export function scopeSql(alias: string, scope: Scope | undefined, params: unknown[]): string[] {
  const out: string[] = [];
  const lists: [string, string[] | undefined][] = [
    ['project', scope?.projects],
    ['machine', scope?.machines],
    ['snapshot', scope?.snapshots],
  ];
  for (const [key, vals] of lists) {
    if (vals === undefined) continue;
    if (!Array.isArray(vals) || vals.some((v) => typeof v !== 'string')) throw new MemqError(`scope ${key}s must be a list of strings`, 'E_USAGE');
    if (vals.length === 0) {
      out.push('FALSE');
      continue;
    }
    out.push(`${alias}.${q(key)} IN (${vals.map(() => '?').join(', ')})`);
    params.push(...vals);
  }
  return out;
}

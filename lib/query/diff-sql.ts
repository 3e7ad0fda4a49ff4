// The snapshot diff's statements (lib/diff/snapshot-diff.ts): for one kind of object, the rows of B
// with no key-equal row in A ('appeared') and the reverse ('vanished'). Keys compare with IS NOT
// DISTINCT FROM so null keys (Windows has no start_time_ns) compare equal; snapshot ids and filter
// values are bound parameters, identifiers come from the catalog.
import { q } from './statements';

export interface SnapshotId {
  project: string;
  machine: string;
  snapshot: string;
}

export interface DiffSpec {
  kind: string;
  table: string;
  key: string[];
  show: string[];
  /** extra row filter: column op value */
  filter?: { column: string; op: '=' | '<>'; value: string };
}

export const SNAPSHOT_IDS_SQL = `SELECT DISTINCT "project", "machine", "snapshot" FROM "process" ORDER BY 1, 2, 3`;

export function diffSql(spec: DiffSpec, a: SnapshotId, b: SnapshotId): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  // params are pushed in the order their placeholders appear in the text
  const snap = (alias: string, s: SnapshotId) => {
    params.push(s.project, s.machine, s.snapshot);
    return `${alias}."project" = ? AND ${alias}."machine" = ? AND ${alias}."snapshot" = ?`;
  };
  const filter = (alias: string) => {
    if (!spec.filter) return '';
    params.push(spec.filter.value);
    return ` AND ${alias}.${q(spec.filter.column)} ${spec.filter.op} ?`;
  };
  const same = spec.key.map((k) => `y.${q(k)} IS NOT DISTINCT FROM x.${q(k)}`).join(' AND ');
  const part = (change: 'appeared' | 'vanished', from: SnapshotId, other: SnapshotId) => {
    const head = `SELECT '${change}' AS "change", ${spec.show.map((c) => `x.${q(c)}`).join(', ')} FROM ${q(spec.table)} AS x WHERE ${snap('x', from)}${filter('x')}`;
    return `${head} AND NOT EXISTS (SELECT 1 FROM ${q(spec.table)} AS y WHERE ${snap('y', other)}${filter('y')} AND ${same})`;
  };
  const sql = `${part('appeared', b, a)}\nUNION ALL\n${part('vanished', a, b)}`;
  return { sql, params };
}

/** the given columns of one snapshot's rows of a table (the diff's --match pairing runs on these) */
export function snapshotRowsSql(table: string, columns: readonly string[], s: SnapshotId): { sql: string; params: unknown[] } {
  return {
    sql: `SELECT ${columns.map((c) => q(c)).join(', ')} FROM ${q(table)} WHERE "project" = ? AND "machine" = ? AND "snapshot" = ?`,
    params: [s.project, s.machine, s.snapshot],
  };
}

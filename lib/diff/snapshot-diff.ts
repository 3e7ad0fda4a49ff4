// `memq diff <snapA> <snapB>` (a snapshot diff, not an IOC search): what appeared or vanished between two snapshots — processes, kernel
// modules/drivers, sockets and listeners. Each kind has an identity key (a process is the same one if
// pid, name and start time agree; a listener if protocol, address and port agree) compared with
// IS NOT DISTINCT FROM so null keys (Windows has no start_time_ns) compare equal.
import { MemqError } from '../util/errors';
import type { Dialect } from '../query';
import type { SqlExecutor } from '../query/statements';
import { diffSql, snapshotRowsSql, SNAPSHOT_IDS_SQL, type DiffSpec, type SnapshotId } from '../query/diff-sql';
export { diffSql, type DiffSpec, type SnapshotId };

export type DiffKind = 'process' | 'module' | 'socket' | 'listener';

export interface DiffEntry {
  kind: DiffKind;
  change: 'appeared' | 'vanished';
  row: Record<string, unknown>;
}

/**
 * How processes are paired between the snapshots: `identity` (pid + name + start time: the same
 * running process; a reboot makes everything new), `exe` (name + executable path) or `cmdline`
 * (name + command line) — the latter two find what persisted across a reboot.
 */
export const diffMatches = ['identity', 'exe', 'cmdline'] as const;
export type DiffMatch = (typeof diffMatches)[number];

/** a process present in both snapshots under --match exe|cmdline, with the fields that changed */
export interface PersistedEntry {
  kind: 'process';
  a: Record<string, unknown>;
  b: Record<string, unknown>;
  changed: string[];
}

export interface DiffResult {
  a: SnapshotId;
  b: SnapshotId;
  match: DiffMatch;
  entries: DiffEntry[];
  counts: Record<DiffKind, { appeared: number; vanished: number }>;
  /** only with --match exe|cmdline: processes in both snapshots (persisted), paired in pid order */
  persisted?: PersistedEntry[];
}

const processKeys: Record<DiffMatch, string[]> = {
  identity: ['process_id', 'name', 'start_time_ns', 'create_time'],
  exe: ['name', 'exe_path'],
  cmdline: ['name', 'command_line'],
};
/** fields compared for a persisted process */
const persistedFields = ['process_id', 'parent_process_id', 'name', 'exe_path', 'command_line', 'uid', 'euid', 'cwd', 'exe_deleted'];

export const diffSpecs: (DiffSpec & { kind: DiffKind })[] = [
  {
    kind: 'process',
    table: 'process',
    key: ['process_id', 'name', 'start_time_ns', 'create_time'],
    show: ['process_id', 'parent_process_id', 'name', 'exe_path', 'command_line'],
  },
  { kind: 'module', table: 'kernel_module', key: ['name'], show: ['name', 'base', 'size', 'path', 'hidden'] },
  {
    kind: 'socket',
    table: 'socket',
    key: ['process_id', 'protocol', 'local_address', 'local_port', 'remote_address', 'remote_port'],
    show: ['process_id', 'protocol', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state'],
    filter: { column: 'state', op: '<>', value: 'LISTEN' },
  },
  {
    kind: 'listener',
    table: 'socket',
    key: ['protocol', 'local_address', 'local_port'],
    show: ['protocol', 'local_address', 'local_port', 'process_id'],
    filter: { column: 'state', op: '=', value: 'LISTEN' },
  },
];

/**
 * Resolves "snapshot", "machine/snapshot" or "project/machine/snapshot" against the stored
 * snapshots; a name matching more than one stored snapshot is an error listing the candidates.
 */
export function resolveSnapshot(text: string, known: readonly SnapshotId[]): SnapshotId {
  const parts = text.split('/').filter((p) => p !== '');
  if (parts.length < 1 || parts.length > 3) {
    throw new MemqError(`snapshot "${text}": expected <snapshot>, <machine>/<snapshot> or <project>/<machine>/<snapshot>`, 'E_USAGE');
  }
  const [snapshot, machine, project] = [...parts].reverse();
  const found = known.filter(
    (k) => k.snapshot === snapshot && (machine === undefined || k.machine === machine) && (project === undefined || k.project === project),
  );
  if (found.length === 1) return found[0];
  if (found.length === 0) {
    const names = known.slice(0, 10).map((k) => `${k.project}/${k.machine}/${k.snapshot}`);
    throw new MemqError(`no stored snapshot "${text}"${names.length ? ` (stored: ${names.join(', ')}${known.length > 10 ? ', …' : ''})` : ' (the store is empty)'}`, 'E_USAGE');
  }
  throw new MemqError(
    `snapshot "${text}" is ambiguous: ${found.map((k) => `${k.project}/${k.machine}/${k.snapshot}`).join(', ')}; name it as project/machine/snapshot`,
    'E_USAGE',
  );
}

/** Distinct stored snapshots (from the process table, which every analyzed snapshot has). */
export async function listSnapshotIds(exec: SqlExecutor): Promise<SnapshotId[]> {
  const rows = await exec(SNAPSHOT_IDS_SQL, []);
  return rows.map((r) => ({ project: String(r.project), machine: String(r.machine), snapshot: String(r.snapshot) }));
}

export async function diffSnapshots(exec: SqlExecutor, a: SnapshotId, b: SnapshotId, _dialect: Dialect = 'duckdb', opts: { match?: DiffMatch } = {}): Promise<DiffResult> {
  const match = opts.match ?? 'identity';
  const entries: DiffEntry[] = [];
  const counts = Object.fromEntries(diffSpecs.map((s) => [s.kind, { appeared: 0, vanished: 0 }])) as DiffResult['counts'];
  const specs = diffSpecs.map((s) => (s.kind === 'process' ? { ...s, key: processKeys[match] } : s));
  for (const spec of specs) {
    const { sql, params } = diffSql(spec, a, b);
    const part: DiffEntry[] = [];
    for (const r of await exec(sql, params)) {
      const change = r.change as 'appeared' | 'vanished';
      const row = { ...r };
      delete row.change;
      part.push({ kind: spec.kind, change, row });
      counts[spec.kind][change]++;
    }
    // deterministic order: appeared before vanished, then by the displayed columns
    part.sort((x, y) => (x.change === y.change ? compareRows(x.row, y.row, spec.show) : x.change === 'appeared' ? -1 : 1));
    entries.push(...part);
  }
  const out: DiffResult = { a, b, match, entries, counts };
  if (match !== 'identity') out.persisted = await persistedProcesses(exec, a, b, processKeys[match]);
  return out;
}

/** processes of A and B with equal keys, paired in pid order within each key; changed = fields that differ */
async function persistedProcesses(exec: SqlExecutor, a: SnapshotId, b: SnapshotId, key: string[]): Promise<PersistedEntry[]> {
  const cols = [...new Set([...persistedFields, ...key])];
  const load = async (s: SnapshotId) => {
    const { sql, params } = snapshotRowsSql('process', cols, s);
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const r of await exec(sql, params)) {
      const k = JSON.stringify(key.map((c) => r[c] ?? null));
      (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
    }
    for (const g of groups.values()) g.sort((x, y) => Number(x.process_id) - Number(y.process_id));
    return groups;
  };
  const [ga, gb] = [await load(a), await load(b)];
  const out: PersistedEntry[] = [];
  for (const [k, rowsA] of ga) {
    const rowsB = gb.get(k) ?? [];
    for (let i = 0; i < Math.min(rowsA.length, rowsB.length); i++) {
      const changed = persistedFields.filter((f) => JSON.stringify(rowsA[i][f] ?? null) !== JSON.stringify(rowsB[i][f] ?? null));
      out.push({ kind: 'process', a: pick(rowsA[i]), b: pick(rowsB[i]), changed });
    }
  }
  return out.sort((x, y) => Number(x.b.process_id) - Number(y.b.process_id));
}

function pick(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(persistedFields.map((f) => [f, r[f] ?? null]));
}

function compareRows(a: Record<string, unknown>, b: Record<string, unknown>, cols: readonly string[]): number {
  for (const c of cols) {
    const x = a[c];
    const y = b[c];
    if (x === y) continue;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

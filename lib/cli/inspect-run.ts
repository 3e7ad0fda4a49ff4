// Implementations of the dump-inspection commands (specs in inspect.ts): open the dump, extract one
// table through the OS engine, render. Loaded only when such a command runs.
import { discoveryCacheFor } from '../os/discovery-cache';
import { openDump } from '../os/open';
import type { OsEngine } from '../os/engine';
import { tables } from '../model';
import { render, terminalSafe, terminalWidth } from './output';
import type { TableName } from '../model';
import { progressReporter } from './progress';
import { MemqError } from '../util/errors';
import type { CommonOpts, TableCommand } from './inspect';

async function open(dump: string, o: CommonOpts): Promise<OsEngine> {
  const bar = progressReporter();
  try {
    return await openDump(dump, {
      systemMap: o.systemMap,
      isf: o.isf,
      ignoreVmcoreinfo: o.ignoreVmcoreinfo,
      // the cache keeps a VMCOREINFO-based discovery: not read or written when the note is ignored
      cache: o.ignoreVmcoreinfo ? undefined : discoveryCacheFor(dump),
      onProgress: (d, t) => bar.update('decompress', d, t),
      progress: (s, d, t) => bar.update(s, d, t),
    });
  } finally {
    bar.stop();
  }
}

function pidFilter(o: CommonOpts): number | undefined {
  if (o.pid === undefined) return undefined;
  const n = Number(o.pid);
  if (!Number.isInteger(n) || n < 0) throw new MemqError(`--pid expects a process id, got "${o.pid}"`, 'E_USAGE');
  return n;
}

export async function info(dump: string, o: CommonOpts): Promise<void> {
  const eng = await open(dump, o);
  const facts: Record<string, unknown> = { format: eng.mem.format, size: eng.mem.source.size, ...eng.mem.info, ...eng.info() };
  if (eng.warnings.length) facts.warnings = eng.warnings.join('; ');
  const rows = Object.entries(facts).map(([key, value]) => ({ key, value }));
  process.stdout.write(render(rows, ['key', 'value'], o.format, terminalWidth()));
}

/** why `table` has no rows in this dump because the engine cannot fill it (not: it is empty) */
export function unavailableReason(eng: Pick<OsEngine, 'os' | 'mem' | 'info'>, table: TableName): string {
  if (eng.os === 'windows' && tables[table].platform === 'linux') return `${table} is a Linux table; Windows dumps have none`;
  if (eng.os === 'linux' && tables[table].platform === 'windows') return `${table} is a Windows table; Linux dumps have none`;
  if (eng.os === 'windows') {
    const info = eng.info();
    if (info.arch === 'arm64' || info['windows.symbols'] === 'none') return 'not read from this dump: memq has no Windows symbol layout for its kernel (see the warning below)';
    if (eng.mem.format === 'windows-triage')
      return "not in a triage dump (it holds the kernel's module list and the crashing thread, not the processes' memory, handles or network state; use a full or kernel memory dump)";
  }
  return `${table} is not available in this dump`;
}

function writeWarnings(eng: OsEngine): void {
  for (const w of eng.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
}

/** the process flags memq sets, as short words for ps / pstree */
const PROCESS_FLAGS: [string, string][] = [
  ['flag_deleted_exe', 'deleted-exe'],
  ['flag_suspicious_path', 'suspicious-path'],
  ['flag_kernel_thread_name', 'kthread-name'],
  ['flag_wx_memory', 'wx-memory'],
  ['flag_unusual_parent', 'unusual-parent'],
  ['flag_shared_cred', 'shared-cred'],
  ['flag_root_from_user', 'root-from-user'],
];

export function processFlags(p: Record<string, unknown>): string[] {
  const out = PROCESS_FLAGS.filter(([c]) => p[c] === true).map(([, w]) => w);
  if (p.in_pid_hash === false) out.unshift('pid-unhashed');
  if (p.in_process_list === false) out.unshift('hidden');
  return out;
}

/** colour for flagged rows: only on a terminal, never with NO_COLOR (https://no-color.org) */
export function useColour(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}
const RED = (s: string) => `\x1b[31m${s}\x1b[0m`;

/** `[    2.194009] message`, as dmesg prints it */
export function dmesgLine(r: { timestamp_ns: number | bigint | null; message: string }): string {
  const ns = r.timestamp_ns === null ? null : BigInt(r.timestamp_ns);
  const stamp = ns === null ? '[           ?]' : `[${String(ns / 1_000_000_000n).padStart(5)}.${String((ns % 1_000_000_000n) / 1000n).padStart(6, '0')}]`;
  return terminalSafe(`${stamp} ${r.message}`);
}

export async function table(tc: TableCommand, dump: string, o: CommonOpts & { allColumns?: boolean; hooked?: boolean }): Promise<void> {
  const pid = pidFilter(o);
  const eng = await open(dump, o);
  const table = o.format === 'table';
  let cols: string[] = o.allColumns || !table ? Object.keys(tables[tc.table].columns) : [...tc.columns];
  if (!eng.tables.includes(tc.table)) {
    // say why instead of printing an empty table; machine formats still get their (empty) document
    if (!table) process.stdout.write(render([], cols, o.format));
    process.stderr.write(`memq ${tc.name}: nothing to show — ${unavailableReason(eng, tc.table)}\n`);
    writeWarnings(eng);
    return;
  }
  let rows = eng.extract(tc.table, { pid }) as Record<string, unknown>[];
  if (pid !== undefined) rows = rows.filter((r) => r.process_id === pid);
  if (o.hooked) rows = rows.filter((r) => r.hooked === true);
  // an empty container table is a finding (a plain host), not a gap: say what was looked for
  if (tc.table === 'container' && rows.length === 0) {
    process.stderr.write(`memq ${tc.name}: no process runs in a container's cgroup (docker, containerd, cri-o, podman, systemd-nspawn or lxc cgroup v2 path)\n`);
  }
  if (tc.table === 'socket') {
    // the owner's name next to its pid
    const names = new Map(eng.extract('process').map((p) => [p.process_id, p.name]));
    rows = rows.map((r) => ({ ...r, process_name: r.process_id === null || r.process_id === undefined ? null : names.get(r.process_id as number) ?? null }));
    cols = table && !o.allColumns ? cols.flatMap((c) => (c === 'process_id' ? [c, 'process_name'] : [c])) : [...cols, 'process_name'];
  }
  let flagged: boolean[] | undefined;
  if (tc.table === 'process' && table && !o.allColumns) {
    // ps: the exe says (deleted) like /proc does; a flags column names what memq found odd
    rows = rows.map((r) => ({ ...r, exe_path: r.exe_deleted === true && typeof r.exe_path === 'string' && !r.exe_path.endsWith(' (deleted)') ? `${r.exe_path} (deleted)` : r.exe_path, flags: processFlags(r).join(',') || null }));
    flagged = rows.map((r) => r.flags !== null);
    cols = cols.flatMap((c) => (c === 'state' ? [c, 'flags'] : [c]));
  }
  if (tc.table === 'kernel_log' && table && !o.allColumns) {
    process.stdout.write(rows.map((r) => dmesgLine(r as { timestamp_ns: number | null; message: string }) + '\n').join(''));
  } else {
    let text = render(rows, cols, o.format, terminalWidth());
    if (flagged && useColour()) {
      const lines = text.split('\n');
      text = lines.map((l, i) => (i >= 2 && flagged![i - 2] ? RED(l) : l)).join('\n');
    }
    process.stdout.write(text);
  }
  if (tc.table === 'syscall' && table) process.stderr.write(syscallSummary(eng.extract('syscall') as unknown as Record<string, unknown>[], rows.length, o.hooked) + '\n');
  writeWarnings(eng);
}

/** one line: entries per table, how many hooked (and which, when few) */
export function syscallSummary(all: Record<string, unknown>[], shown: number, hookedOnly?: boolean): string {
  const perTable = new Map<string, number>();
  for (const r of all) perTable.set(String(r.table_name), (perTable.get(String(r.table_name)) ?? 0) + 1);
  const hooked = all.filter((r) => r.hooked === true);
  const tablesText = [...perTable].map(([t, n]) => `${t} ${n}`).join(', ');
  const names = hooked.length && hooked.length <= 5 ? `: ${hooked.map((r) => `${r.table_name}[${r.index}]${r.module ? ` → ${r.module}` : ''}`).join(', ')}` : '';
  return terminalSafe(`(${all.length} entries (${tablesText || 'no tables'}); ${hooked.length} hooked${names}${hookedOnly ? `; ${shown} shown (--hooked)` : ''})`);
}

export async function pstree(dump: string, o: CommonOpts): Promise<void> {
  const eng = await open(dump, o);
  const procs = eng.extract('process');
  if (o.format !== 'table') {
    process.stdout.write(render(procs as unknown as Record<string, unknown>[], ['process_id', 'parent_process_id', 'name'], o.format));
    return;
  }
  const kids = new Map<number, typeof procs>();
  const pids = new Set(procs.map((p) => p.process_id));
  for (const p of procs) {
    const parent = p.parent_process_id === p.process_id || !pids.has(p.parent_process_id) ? -1 : p.parent_process_id;
    (kids.get(parent) ?? kids.set(parent, []).get(parent)!).push(p);
  }
  const out: string[] = [];
  const seen = new Set<number>();
  const colour = useColour();
  // tree lines like pstree(1): ├─ child, └─ last child, │ continues a parent's column
  const walk = (parent: number, prefix: string, depth: number) => {
    const children = (kids.get(parent) ?? []).filter((p) => !seen.has(p.process_id)).sort((a, b) => a.process_id - b.process_id);
    children.forEach((p, i) => {
      if (seen.has(p.process_id) || depth > 256) return;
      seen.add(p.process_id);
      const last = i === children.length - 1;
      const branch = parent === -1 ? '' : last ? '└─ ' : '├─ ';
      const flags = processFlags(p as unknown as Record<string, unknown>);
      const exe = p.exe_deleted && p.exe_path ? `  [exe ${p.exe_path} (deleted)]` : '';
      let line = terminalSafe(`${prefix}${branch}${p.process_id} ${p.name}${p.command_line && !p.is_kernel_thread ? `  (${p.command_line})` : ''}${exe}${flags.length ? `  ! ${flags.join(',')}` : ''}`);
      if (flags.length && colour) line = RED(line);
      out.push(line);
      walk(p.process_id, parent === -1 ? prefix : prefix + (last ? '   ' : '│  '), depth + 1);
    });
  };
  walk(-1, '', 0);
  process.stdout.write(out.join('\n') + '\n');
}

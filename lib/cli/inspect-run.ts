// Implementations of the dump-inspection commands (specs in inspect.ts): open the dump, extract one
// table through the OS engine, render. Loaded only when such a command runs.
import { discoveryCacheFor } from '../os/discovery-cache';
import { openDump } from '../os/open';
import type { OsEngine } from '../os/engine';
import { tables } from '../model';
import { render, terminalSafe, terminalWidth } from './output';
import { progressReporter } from './progress';
import { MemqError } from '../util/errors';
import type { CommonOpts, TableCommand } from './inspect';

async function open(dump: string, o: CommonOpts): Promise<OsEngine> {
  const bar = progressReporter();
  try {
    return await openDump(dump, {
      systemMap: o.systemMap,
      isf: o.isf,
      cache: discoveryCacheFor(dump),
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

export async function table(tc: TableCommand, dump: string, o: CommonOpts & { allColumns?: boolean }): Promise<void> {
  const pid = pidFilter(o);
  const eng = await open(dump, o);
  let rows = eng.extract(tc.table, { pid }) as Record<string, unknown>[];
  if (pid !== undefined) rows = rows.filter((r) => r.process_id === pid);
  const cols = o.allColumns || o.format !== 'table' ? Object.keys(tables[tc.table].columns) : tc.columns;
  process.stdout.write(render(rows, cols, o.format, terminalWidth()));
  for (const w of eng.warnings) process.stderr.write(`warning: ${w}\n`);
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
  const walk = (parent: number, depth: number) => {
    for (const p of (kids.get(parent) ?? []).sort((a, b) => a.process_id - b.process_id)) {
      if (seen.has(p.process_id) || depth > 256) continue;
      seen.add(p.process_id);
      out.push(terminalSafe(`${'  '.repeat(depth)}${p.process_id} ${p.name}${p.command_line && !p.is_kernel_thread ? `  (${p.command_line})` : ''}`));
      walk(p.process_id, depth + 1);
    }
  };
  walk(-1, 0);
  process.stdout.write(out.join('\n') + '\n');
}

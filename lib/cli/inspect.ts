// Dump-inspection commands: info, ps, pstree, maps, modules, sockets, files, env, syscalls, dmesg,
// analyze. Each opens the dump, extracts one table through the OS engine and renders it.
import type { Command } from 'commander';
import { Option } from 'commander';
import { openDump } from '../os/open';
import type { OsEngine } from '../os/engine';
import { tables, type TableName } from '../model';
import { render, outputFormats, type OutputFormat } from './output';
import { progressReporter } from './progress';
import { analyzeToDirectory } from '../store/analyze';
import { MemqError } from '../util/errors';

interface CommonOpts {
  format: OutputFormat;
  pid?: string;
  systemMap?: string;
  isf?: string[];
}

const formatOption = () =>
  new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table');

async function open(dump: string, o: CommonOpts): Promise<OsEngine> {
  const bar = progressReporter();
  try {
    return await openDump(dump, {
      systemMap: o.systemMap,
      isf: o.isf,
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

interface TableCommand {
  name: string;
  table: TableName;
  describe: string;
  columns: string[];
  pid: boolean;
}

const tableCommands: TableCommand[] = [
  { name: 'ps', table: 'process', describe: 'list processes', pid: true,
    columns: ['process_id', 'parent_process_id', 'name', 'uid', 'state', 'thread_count', 'exe_path', 'command_line'] },
  { name: 'threads', table: 'thread', describe: 'list threads', pid: true,
    columns: ['process_id', 'thread_id', 'name', 'state'] },
  { name: 'maps', table: 'vma', describe: 'memory maps (VMAs / VADs)', pid: true,
    columns: ['process_id', 'start', 'end', 'protection', 'page_offset', 'inode', 'kind', 'file_name'] },
  { name: 'libs', table: 'loaded_library', describe: 'loaded libraries / DLLs', pid: true,
    columns: ['process_id', 'base', 'size', 'path'] },
  { name: 'modules', table: 'kernel_module', describe: 'kernel modules / drivers', pid: false,
    columns: ['name', 'base', 'size', 'state', 'hidden', 'path'] },
  { name: 'sockets', table: 'socket', describe: 'sockets with owners', pid: true,
    columns: ['process_id', 'fd', 'protocol', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state', 'inode'] },
  { name: 'files', table: 'open_file', describe: 'open file descriptors', pid: true,
    columns: ['process_id', 'fd', 'kind', 'path'] },
  { name: 'handles', table: 'handle', describe: 'Windows handles', pid: true,
    columns: ['process_id', 'handle_value', 'object_type', 'granted_access', 'name'] },
  { name: 'env', table: 'env_var', describe: 'environment variables', pid: true, columns: ['process_id', 'name', 'value'] },
  { name: 'syscalls', table: 'syscall', describe: 'system call table with hook check', pid: false,
    columns: ['table_name', 'index', 'handler', 'symbol', 'module', 'hooked'] },
  { name: 'dmesg', table: 'kernel_log', describe: 'kernel log', pid: false, columns: ['timestamp_ns', 'level', 'message'] },
  { name: 'indicators', table: 'indicator', describe: 'IPs, domains and URLs in process memory', pid: true,
    columns: ['process_id', 'kind', 'value', 'address', 'region'] },
];

export function registerInspectCommands(program: Command): void {
  program
    .command('info')
    .description('format, size, kernel version, KASLR shift, DTB and symbol sources of a dump')
    .argument('<dump>', 'memory dump (raw, LiME, ELF core, kdump, Windows crash dump; .gz/.xz ok)')
    .addOption(formatOption())
    .option('--system-map <file>', 'System.map to use or cross-check')
    .option('--isf <file...>', 'Volatility ISF symbol files (.json / .json.xz)')
    .action(async (dump: string, o: CommonOpts) => {
      const eng = await open(dump, o);
      const info: Record<string, unknown> = { format: eng.mem.format, size: eng.mem.source.size, ...eng.mem.info, ...eng.info() };
      if (eng.warnings.length) info.warnings = eng.warnings.join('; ');
      const rows = Object.entries(info).map(([key, value]) => ({ key, value }));
      process.stdout.write(render(rows, ['key', 'value'], o.format, 200));
    });

  for (const tc of tableCommands) {
    const cmd = program
      .command(tc.name)
      .description(tc.describe)
      .argument('<dump>', 'memory dump')
      .addOption(formatOption())
      .option('--system-map <file>', 'System.map to use or cross-check')
      .option('--isf <file...>', 'Volatility ISF symbol files')
      .option('--all-columns', 'print every column of the table');
    if (tc.pid) cmd.option('-p, --pid <pid>', 'only this process');
    cmd.action(async (dump: string, o: CommonOpts & { allColumns?: boolean }) => {
      const eng = await open(dump, o);
      const pid = pidFilter(o);
      let rows = eng.extract(tc.table, { pid }) as Record<string, unknown>[];
      if (pid !== undefined) rows = rows.filter((r) => r.process_id === pid);
      const cols = o.allColumns || o.format !== 'table' ? Object.keys(tables[tc.table].columns) : tc.columns;
      process.stdout.write(render(rows, cols, o.format));
      for (const w of eng.warnings) process.stderr.write(`warning: ${w}\n`);
    });
  }

  program
    .command('pstree')
    .description('process tree')
    .argument('<dump>', 'memory dump')
    .addOption(formatOption())
    .action(async (dump: string, o: CommonOpts) => {
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
          out.push(`${'  '.repeat(depth)}${p.process_id} ${p.name}${p.command_line && !p.is_kernel_thread ? `  (${p.command_line})` : ''}`);
          walk(p.process_id, depth + 1);
        }
      };
      walk(-1, 0);
      process.stdout.write(out.join('\n') + '\n');
    });

  program
    .command('analyze')
    .description('extract every table to Parquet plus a snapshot manifest')
    .argument('<dump>', 'memory dump')
    .option('-o, --out <dir>', 'output directory', 'memq-out')
    .option('--system-map <file>', 'System.map to use or cross-check')
    .option('--isf <file...>', 'Volatility ISF symbol files')
    .action(async (dump: string, o: { out: string; systemMap?: string; isf?: string[] }) => {
      const bar = progressReporter();
      try {
        const manifest = await analyzeToDirectory(dump, o.out, {
          systemMap: o.systemMap,
          isf: o.isf,
          onProgress: (d, t) => bar.update('decompress', d, t),
          progress: (s, d, t) => bar.update(s, d, t),
        });
        bar.stop();
        const counts = Object.entries(manifest.counts).map(([t, n]) => `${t}=${n}`).join(' ');
        process.stdout.write(`${o.out}: ${manifest.os} ${manifest.kernel ?? ''} — ${counts}\n`);
        for (const w of manifest.warnings) process.stderr.write(`warning: ${w}\n`);
      } finally {
        bar.stop();
      }
    });
}

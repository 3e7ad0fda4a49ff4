// The Linux engine: profile-free discovery + table extractors behind the OsEngine contract.
// Registers itself with lib/os/open.ts on import.
import type { PhysicalMemory } from '../../image/physical';
import type { Row, TableName } from '../../model';
import type { EngineOptions, ExtractOptions, OsEngine } from '../engine';
import { registerEngine } from '../open';
import { discoverLinux, type LinuxKernel } from './kernel';
import { LinuxContext, type Task } from './context';
import { envRows, processRows, threadRows } from './processes';
import { isWxAnon, libraryRows, vmaRows, vmasOf } from './vmas';
import { fileRows, openFds, socketRows, type OpenFd } from './files';
import { moduleRows } from './modules';
import { syscallRows } from './syscalls';
import { dmesgRows } from './dmesg';
import { indicatorRows } from './indicators';
import { shellHistoryRows } from './shell-history';
import { hex } from '../../util/hex';
import { findVmcoreInfo } from '../../symbols/vmcoreinfo';
import { scanRam } from '../../image/physical';
import { readLinuxCache, writeLinuxCache } from './discovery-cache';

const BANNER = Buffer.from('Linux version ');

export class LinuxEngine implements OsEngine {
  readonly os = 'linux' as const;
  readonly tables: readonly TableName[] = [
    'process', 'thread', 'vma', 'loaded_library', 'open_file', 'env_var', 'kernel_module', 'socket', 'syscall', 'kernel_log', 'indicator', 'shell_history',
  ];
  readonly ctx: LinuxContext;

  constructor(readonly k: LinuxKernel) {
    this.ctx = new LinuxContext(k);
  }
  get mem(): PhysicalMemory {
    return this.k.mem;
  }
  get warnings(): string[] {
    return this.ctx.warnings;
  }

  info(): Record<string, string | number | boolean> {
    const k = this.k;
    const out: Record<string, string | number | boolean> = {
      os: 'linux',
      kernel_version: k.release,
      banner: k.banner ?? '',
      kaslr_shift: hex(k.kaslrShift),
      phys_base: hex(k.physBase),
      dtb: hex(k.dtb),
      paging: k.la57 ? '5-level' : '4-level',
      page_offset_base: hex(k.pageOffsetBase),
      boot_time: k.bootTimeNs === null ? 'unknown' : new Date(Number(k.bootTimeNs / 1_000_000n)).toISOString(),
      symbols: k.syms.size,
      layout_types: k.types.count,
    };
    for (const [key, val] of Object.entries(k.sources)) out[`source.${key}`] = val;
    return out;
  }

  discoveryHints(): Record<string, number | string> {
    // a note from the dump header needs no hint: every open reads it from there
    return this.k.vmcoreinfo && this.k.vmcoreinfo.paddr >= 0 ? { vmcoreinfo_paddr: this.k.vmcoreinfo.paddr } : {};
  }

  processCount(): number {
    return this.ctx.tasks().length;
  }

  private fds(t: Task): OpenFd[] {
    return this.ctx.memo('fds', t, () => this.ctx.safe(`files of pid ${t.pid}`, () => openFds(this.ctx, t), []));
  }

  extract<T extends TableName>(table: T, opts: ExtractOptions = {}): Row<T>[] {
    const ctx = this.ctx;
    const tasks = ctx.select(opts);
    const user = tasks.filter((t) => !ctx.isKernelThread(t));
    let rows: unknown[];
    switch (table) {
      case 'process':
        rows = processRows(ctx, tasks, (t) => vmasOf(ctx, t).some(isWxAnon));
        break;
      case 'thread':
        rows = threadRows(ctx, tasks);
        break;
      case 'vma':
        rows = vmaRows(ctx, user);
        break;
      case 'loaded_library':
        rows = libraryRows(vmaRows(ctx, user));
        break;
      case 'open_file':
        rows = fileRows(tasks.flatMap((t) => this.fds(t)));
        break;
      case 'socket':
        rows = socketRows(ctx, tasks.flatMap((t) => this.fds(t)));
        break;
      case 'env_var':
        rows = envRows(ctx, user);
        break;
      case 'indicator':
        rows = indicatorRows(ctx, user);
        break;
      case 'shell_history':
        rows = shellHistoryRows(ctx, user);
        break;
      case 'kernel_module':
        rows = opts.processRange && opts.processRange[0] > 0 ? [] : moduleRows(ctx);
        break;
      case 'syscall':
        rows = opts.processRange && opts.processRange[0] > 0 ? [] : syscallRows(ctx);
        break;
      case 'kernel_log':
        rows = opts.processRange && opts.processRange[0] > 0 ? [] : dmesgRows(ctx);
        break;
      default:
        rows = [];
    }
    return rows as Row<T>[];
  }
}

function hintedVmcoreinfo(opts?: EngineOptions): number | undefined {
  const h = opts?.hints?.vmcoreinfo_paddr;
  return typeof h === 'number' ? h : undefined;
}

registerEngine({
  os: 'linux',
  detect(mem, opts) {
    const cached = opts?.cache ? readLinuxCache(opts.cache) : null;
    if (findVmcoreInfo(mem, cached?.vmcoreinfoPaddr ?? hintedVmcoreinfo(opts))) return 'VMCOREINFO';
    for (const [, chunk] of scanRam(mem)) if (chunk.indexOf(BANNER) >= 0) return 'linux_banner';
    return null;
  },
  open(mem, opts: EngineOptions) {
    const cached = opts.cache ? readLinuxCache(opts.cache) : null;
    findVmcoreInfo(mem, cached?.vmcoreinfoPaddr ?? hintedVmcoreinfo(opts)); // memoized: discovery reuses it
    const k = discoverLinux(mem, { systemMap: opts.systemMap, isf: opts.isf, progress: opts.progress, cached });
    const cache = opts.cache;
    if (cache) {
      if (k.cacheUse === 'reused') cache.status = `reused ${cache.entryPath('linux')}`;
      else {
        if (cached) cache.status = `entry ignored (${k.cacheUse.replace(/^ignored \((.*)\)$/, '$1')})`;
        if (k.discovered) writeLinuxCache(cache, k.discovered);
      }
      k.sources.discovery_cache = cache.status;
    }
    return new LinuxEngine(k);
  },
});

// The Linux engine: profile-free discovery + table extractors behind the OsEngine contract.
// Registers itself with lib/os/open.ts on import.
import type { PhysicalMemory } from '../../image/physical';
import type { Row, TableName } from '../../model';
import { extractWith, type EngineOptions, type Extractors, type ExtractOptions, type OsEngine } from '../engine';
import { registerEngine } from '../open';
import { discoverLinux, type LinuxKernel } from './kernel';
import { LinuxContext, type Task } from './context';
import { envRows, processRows, threadRows } from './processes';
import { isWxAnon, libraryRows, vmaRows, vmasOf } from './vmas';
import { fileRows, openFds, socketRows, type OpenFd } from './files';
import { moduleRows } from './modules';
import { bpfMapRows, bpfProgramRows } from './bpf';
import { taskScanRows } from './psscan';
import { syscallRows } from './syscalls';
import { dmesgRows } from './dmesg';
import { indicatorRows } from './indicators';
import { shellHistoryRows } from './shell-history';
import { containerRows } from './containers';
import { mountRows } from './mounts';
import { yaraRows } from './yara';
import { hookRows } from './hooks';
import { hex } from '../../util/hex';
import { MemqError } from '../../util/errors';
import { findVmcoreInfo } from '../../symbols/vmcoreinfo';
import { scanRam } from '../../image/physical';
import { readLinuxCache, writeLinuxCache } from './discovery-cache';

const BANNER = Buffer.from('Linux version ');
/** tables the arm64 path has been checked against ground truth for; any other (none today: a future table) refuses with one line */
const ARM64_TABLES = new Set<TableName>([
  'process', 'thread', 'vma', 'loaded_library', 'open_file', 'socket', 'env_var', 'indicator', 'shell_history', 'kernel_log', 'kernel_module', 'syscall',
  'container', 'mount', 'yara_match', 'kernel_hook',
  'bpf_program', 'bpf_map', 'task_scan',
]);

export class LinuxEngine implements OsEngine {
  readonly os = 'linux' as const;
  /** the tables this engine fills: the keys of its extractor map */
  get tables(): readonly TableName[] {
    return Object.keys(this.extractors) as TableName[];
  }
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
      arch: k.arch,
      kernel_version: k.release,
      banner: k.banner ?? '',
      kaslr_shift: hex(k.kaslrShift),
      phys_base: hex(k.physBase),
      dtb: hex(k.dtb),
      paging: k.arm64 ? `AArch64 ${k.arm64.pageSize / 1024} KiB granule, ${k.arm64.vaBits}-bit VA, 4-level (TTBR1 kernel root)` : k.la57 ? '5-level' : '4-level',
      page_offset_base: hex(k.pageOffsetBase),
      boot_time: k.bootTimeNs === null ? 'unknown' : new Date(Number(k.bootTimeNs / 1_000_000n)).toISOString(),
      capture_time: k.captureTimeNs === null ? 'unknown' : new Date(Number(k.captureTimeNs / 1_000_000n)).toISOString(),
      symbols: k.syms.size,
      layout_types: k.types.count,
    };
    if (k.arm64) {
      const a = k.arm64;
      out.va_bits = a.vaBits;
      out.page_size = a.pageSize;
      out.page_offset = hex(a.pageOffset);
      out.phys_offset = hex(a.physOffset);
      out.kimage_voffset = hex(a.kimageVoffset);
      out.swapper_pg_dir = `${hex(a.swapperPgDir)} (physical ${hex(a.swapperPgDirPhys)})`;
      if (a.kernelPacMask !== null) out.kernel_pac_mask = hex(a.kernelPacMask);
    }
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

  /** Per-process tables read the selected tasks (user tasks where kernel threads have nothing); kernel-wide ones only in the first process-range shard. */
  private readonly extractors: Extractors = (() => {
    const ctx = () => this.ctx;
    const tasks = (o: ExtractOptions) => ctx().select(o);
    const user = (o: ExtractOptions) => tasks(o).filter((t) => !ctx().isKernelThread(t));
    const kernelWide = <R>(o: ExtractOptions, f: () => R[]): R[] => (o.processRange && o.processRange[0] > 0 ? [] : f());
    return {
      process: (o) => processRows(ctx(), tasks(o), (t) => vmasOf(ctx(), t).some(isWxAnon)),
      thread: (o) => threadRows(ctx(), tasks(o)),
      vma: (o) => vmaRows(ctx(), user(o)),
      loaded_library: (o) => libraryRows(vmaRows(ctx(), user(o))),
      open_file: (o) => fileRows(tasks(o).flatMap((t) => this.fds(t))),
      socket: (o) => socketRows(ctx(), tasks(o).flatMap((t) => this.fds(t))),
      env_var: (o) => envRows(ctx(), user(o)),
      indicator: (o) => indicatorRows(ctx(), user(o)),
      shell_history: (o) => shellHistoryRows(ctx(), user(o)),
      kernel_module: (o) => kernelWide(o, () => moduleRows(ctx())),
      syscall: (o) => kernelWide(o, () => syscallRows(ctx())),
      kernel_log: (o) => kernelWide(o, () => dmesgRows(ctx())),
      // containers gather processes from the whole task list, mounts every namespace in use: one shard each
      container: (o) => kernelWide(o, () => containerRows(ctx())),
      mount: (o) => kernelWide(o, () => mountRows(ctx())),
      // only when rules are given; module and kernel-image memory in the first process-range shard
      yara_match: (o) => (o.yara ? yaraRows(ctx(), o.yara.scanner, tasks(o), o.yara, !(o.processRange && o.processRange[0] > 0) && o.pid === undefined) : []),
      kernel_hook: (o) => kernelWide(o, () => hookRows(ctx())),
      task_scan: (o) => kernelWide(o, () => taskScanRows(ctx())),
      bpf_program: (o) => kernelWide(o, () => bpfProgramRows(ctx())),
      bpf_map: (o) => kernelWide(o, () => bpfMapRows(ctx())),
    };
  })();

  extract<T extends TableName>(table: T, opts: ExtractOptions = {}): Row<T>[] {
    if (this.k.arch === 'arm64' && !ARM64_TABLES.has(table)) {
      throw new MemqError(`ARM64 Linux: ${table} tables not supported yet`, 'E_UNSUPPORTED_ARCH');
    }
    if (this.k.arch === 'arm64' && this.k.syms.get('init_task') === undefined) {
      throw new MemqError(
        'ARM64 Linux: the task list needs init_task, which kallsyms in this dump lacks (CONFIG_KALLSYMS_ALL off); pass --system-map <System.map of this kernel>',
        'E_SYMBOL',
      );
    }
    return extractWith(this.extractors, table, opts);
  }
}

function hintedVmcoreinfo(opts?: EngineOptions): number | undefined {
  const h = opts?.hints?.vmcoreinfo_paddr;
  return typeof h === 'number' ? h : undefined;
}

registerEngine({
  os: 'linux',
  detect(mem, opts) {
    const cached = opts?.cache && !opts.ignoreVmcoreinfo ? readLinuxCache(opts.cache) : null;
    if (!opts?.ignoreVmcoreinfo && findVmcoreInfo(mem, cached?.vmcoreinfoPaddr ?? hintedVmcoreinfo(opts))) return 'VMCOREINFO';
    for (const [, chunk] of scanRam(mem)) if (chunk.indexOf(BANNER) >= 0) return 'linux_banner';
    return null;
  },
  open(mem, opts: EngineOptions) {
    const ignore = !!opts.ignoreVmcoreinfo;
    const cached = opts.cache && !ignore ? readLinuxCache(opts.cache) : null;
    if (!ignore) findVmcoreInfo(mem, cached?.vmcoreinfoPaddr ?? hintedVmcoreinfo(opts)); // memoized: discovery reuses it
    const k = discoverLinux(mem, { systemMap: opts.systemMap, isf: opts.isf, progress: opts.progress, cached, ignoreVmcoreinfo: ignore });
    const cache = ignore ? undefined : opts.cache;
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

// Profile-free Linux kernel discovery: VMCOREINFO (version, KASLR slide, phys_base, page-table root,
// kallsyms table locations) → kernel page tables → kallsyms symbol table → BTF struct layouts, all
// recovered from the dump itself. Optional System.map / ISF inputs only supplement or cross-check.
import * as fs from 'node:fs';
import type { PhysicalMemory } from '../../image/physical';
import { physRead, scanRam } from '../../image/physical';
import { X86_64Space } from '../../arch/x86_64';
import { Aarch64Space, checkAarch64Layout } from '../../arch/aarch64';
import type { Arch, VirtualSpace } from '../../arch/space';
import { findVmcoreInfo, HEADER_PADDR, type VmcoreInfo } from '../../symbols/vmcoreinfo';
import { decodeKallsyms, parseSystemMap, SymbolTable } from '../../symbols/kallsyms';
import { Btf, btfBlobLength } from '../../symbols/btf';
import type { TypeLayouts } from '../../symbols/layouts';
import { readLinuxIsf } from '../../symbols/isf-linux';
import { scanKallsyms, type ScannedKallsyms } from '../../symbols/kallsyms-scan';
import { arm64WithoutVmcoreInfo, findPrb } from './arm64-scan';
import { MemqError } from '../../util/errors';
import { hex } from '../../util/hex';
import { btfMismatch, sha256, symbolsMismatch, vmcoreinfoValueSymbols, type CachedLinux } from './discovery-cache';

const START_KERNEL_MAP = 0xffffffff80000000n;
const MASK64 = (1n << 64n) - 1n;
const DEFAULT_PAGE_OFFSET = 0xffff888000000000n;

export interface LinuxKernel {
  mem: PhysicalMemory;
  arch: Arch;
  /** arm64 only: the memory-layout facts discovery used (VMCOREINFO) */
  arm64?: Arm64Facts;
  space: VirtualSpace;
  release: string;
  banner: string | null;
  kaslrShift: bigint;
  physBase: bigint;
  dtb: number;
  la57: boolean;
  pageOffsetBase: bigint;
  syms: SymbolTable;
  /** struct layouts: the kernel's BTF, or an ISF file when BTF is absent */
  types: TypeLayouts;
  vmcoreinfo: VmcoreInfo | null;
  /** wall-clock time of boot in ns since the epoch (timekeeper), or null when not derivable */
  bootTimeNs: bigint | null;
  /** wall clock of the last timekeeping update before the dump (≈ capture time), ns since the epoch */
  captureTimeNs: bigint | null;
  /** where each piece of the profile came from, for `memq info` */
  sources: Record<string, string>;
  warnings: string[];
  /** what this discovery found that the discovery cache keeps (null when it came from a RAM-scan path) */
  discovered: CachedLinux | null;
  /** whether a cached discovery was used, or why it was not */
  cacheUse: 'reused' | 'none' | `ignored (${string})`;
}

export interface Arm64Facts {
  vaBits: number;
  pageSize: number;
  /** PAGE_OFFSET = -(1 << VA_BITS): linear-map VA of PHYS_OFFSET */
  pageOffset: bigint;
  /** PHYS_OFFSET (memstart_addr): physical address the linear map starts at */
  physOffset: bigint;
  /** kernel image VA − PA */
  kimageVoffset: bigint;
  swapperPgDir: bigint;
  swapperPgDirPhys: number;
  /** pointer-authentication bits to strip from saved return addresses (KERNELPACMASK), when known */
  kernelPacMask: bigint | null;
}

export interface DiscoverOptions {
  systemMap?: string;
  /** Volatility ISF files: used for struct layouts when the kernel has no BTF */
  isf?: string[];
  progress?: (stage: string, done: number, total: number) => void;
  /** an earlier discovery of this dump (discovery cache); checked against the dump before use */
  cached?: CachedLinux | null;
  /** act as if the dump held no VMCOREINFO (EngineOptions.ignoreVmcoreinfo) */
  ignoreVmcoreinfo?: boolean;
}

/** Kernel-image VA → physical, valid before page tables are known (image is physically contiguous). */
function imagePhys(va: bigint, physBase: bigint): number {
  return Number((va - START_KERNEL_MAP + physBase) & MASK64);
}

export function discoverLinux(mem: PhysicalMemory, opts: DiscoverOptions = {}): LinuxKernel {
  const warnings: string[] = [];
  const sources: Record<string, string> = {};
  opts.progress?.('discover', 0, 4);
  const vmci = opts.ignoreVmcoreinfo ? null : findVmcoreInfo(mem);
  const cache: CacheState = { use: opts.cached ? 'ignored (no VMCOREINFO)' : 'none', btf: null };
  let arch = archOf(mem, vmci, sources);
  // no VMCOREINFO: kallsyms found by scanning RAM; without a header word its addresses tell the architecture
  let scanned: ScannedKallsyms | undefined;
  if (!vmci) {
    scanned = scanKallsyms(mem, undefined, mem.hints?.arch);
    if (!mem.hints?.arch) {
      arch = scanned.arch;
      const text = scanned.syms.get('_text') ?? scanned.syms.get('_stext');
      sources.arch = `${arch}: kernel text at ${hex(text ?? 0n)} in kallsyms found by scanning RAM (${arch === 'arm64' ? 'below' : 'in'} x86-64's kernel map from 0xffffffff80000000; no header word, no VMCOREINFO)`;
    }
  }
  const base =
    arch === 'arm64'
      ? vmci
        ? fromVmcoreInfoArm64(mem, vmci, sources, warnings, opts, cache)
        : withoutVmcoreInfoArm64(mem, scanned!, sources, warnings)
      : vmci
        ? fromVmcoreInfo(mem, vmci, sources, warnings, opts, cache)
        : withoutVmcoreInfo(mem, scanned!, sources, warnings);
  if (opts.ignoreVmcoreinfo) sources.vmcoreinfo = `ignored on request (--ignore-vmcoreinfo) — ${sources.vmcoreinfo.replace(/^not found in RAM — /, '')}`;
  const { space, physBase, kaslrShift, la57, dtb } = base;
  let syms = base.syms;
  opts.progress?.('discover', 2, 4);
  if (opts.systemMap && sources.symbols.startsWith('kallsyms')) {
    const map = parseSystemMap(fs.readFileSync(opts.systemMap, 'utf8'), kaslrShift);
    let checked = 0;
    let bad = 0;
    for (const name of ['_stext', 'init_task', 'sys_call_table', 'linux_banner', 'modules', 'prb']) {
      const a = syms.get(name);
      const b = map.get(name);
      if (a === undefined || b === undefined) continue;
      checked++;
      if (a !== b) bad++;
    }
    if (arch === 'arm64' && vmci) {
      // kallsyms has few of those names on arm64 (text only): VMCOREINFO's SYMBOL()s are runtime addresses too
      for (const [name, a] of vmci.symbols) {
        const b = map.get(name);
        if (b === undefined || name.startsWith('kallsyms_') || a < 0xffff800000000000n) continue; // mem_section etc. are linear-map values
        checked++;
        if (a !== b) bad++;
      }
    }
    sources.system_map = `cross-checked ${checked} symbols against ${opts.systemMap}: ${bad ? `${bad} MISMATCH` : 'all match'}`;
    if (bad) warnings.push(`System.map disagrees with in-memory kallsyms on ${bad} symbols (wrong map for this kernel?)`);
    if (arch === 'arm64' && checked > 0 && !bad && syms.get('init_task') === undefined) {
      // CONFIG_KALLSYMS_ALL off (Debian arm64): kallsyms has text symbols only; data symbols come from the map
      syms = map;
      sources.symbols = `System.map ${opts.systemMap} shifted by KERNELOFFSET ${hex(kaslrShift)} (kallsyms in memory has text symbols only; ${checked} kallsyms/VMCOREINFO symbols cross-checked)`;
    }
  }
  const types = base.btf ?? layoutsFor(mem, space, syms, sources, opts.isf ?? [], cache);
  if (base.arm64) {
    syms = locateArm64DataSymbols(space, syms, types, base.arm64, vmci, sources);
  }
  if (cache.ok && vmci) {
    // a reused entry must also describe this kernel's memory: banner and init_task where it says
    const why = profileMismatch(space, syms, types, vmci);
    if (why) {
      const k = discoverLinux(mem, { ...opts, cached: null });
      k.cacheUse = `ignored (${why})`;
      return k;
    }
  }
  opts.progress?.('discover', 3, 4);

  let pageOffsetBase = DEFAULT_PAGE_OFFSET;
  const pob = syms.get('page_offset_base');
  if (base.arm64) {
    // linear map: va = pa − PHYS_OFFSET + PAGE_OFFSET, i.e. pa = va − (PAGE_OFFSET − PHYS_OFFSET)
    pageOffsetBase = (base.arm64.pageOffset - base.arm64.physOffset) & MASK64;
    sources.page_offset_base = vmci ? 'PAGE_OFFSET (−2^VA_BITS) − NUMBER(PHYS_OFFSET), both from VMCOREINFO' : 'PAGE_OFFSET (−2^VA_BITS) − PHYS_OFFSET, both derived from walked linear-map pointers';
  } else if (pob !== undefined) {
    const b = space.read(pob, 8);
    if (b) pageOffsetBase = b.readBigUInt64LE(0);
    sources.page_offset_base = 'kernel variable page_offset_base';
  } else sources.page_offset_base = 'default (no CONFIG_RANDOMIZE_MEMORY)';

  let banner: string | null = null;
  const lb = syms.get('linux_banner');
  if (lb !== undefined) {
    const b = space.read(lb, 512);
    if (b) banner = b.toString('latin1', 0, Math.max(0, b.indexOf(0))).trim();
  }
  const release = vmci?.osrelease ?? banner?.match(/^Linux version (\S+)/)?.[1] ?? 'unknown';
  const bootTimeNs = bootTime(space, syms, types);
  const captureTimeNs = captureTime(space, syms, types);
  opts.progress?.('discover', 4, 4);
  // what the discovery cache keeps: found through VMCOREINFO with kallsyms decoded from memory
  const discovered: CachedLinux | null =
    vmci && sources.symbols?.startsWith('kallsyms')
      ? { vmcoreinfoPaddr: vmci.paddr, vmcoreinfoSha: sha256(vmci.raw), valueSymbols: vmcoreinfoValueSymbols(vmci, base.syms), syms: base.syms, symsSource: sources.symbols, btf: cache.btf }
      : null;
  return { mem, arch, arm64: base.arm64, space, release, banner, kaslrShift, physBase, dtb, la57, pageOffsetBase, syms, types, vmcoreinfo: vmci, bootTimeNs, captureTimeNs, sources, warnings, discovered, cacheUse: cache.use };
}

/** Why symbols + layouts (from the discovery cache) do not fit this memory, or null: linux_banner and init_task.comm are read through them. */
function profileMismatch(space: VirtualSpace, syms: SymbolTable, types: TypeLayouts, vmci: VmcoreInfo): string | null {
  const lb = syms.get('linux_banner');
  const banner = lb === undefined ? null : space.read(lb, 14 + vmci.osrelease.length);
  if (!banner || banner.toString('latin1') !== `Linux version ${vmci.osrelease}`) return 'linux_banner does not match VMCOREINFO';
  const it = syms.get('init_task');
  const comm = types.member('task_struct', 'comm');
  const c = it === undefined || !comm ? null : space.read(it + BigInt(comm.offset), 7);
  if (!c || c.toString('latin1') !== 'swapper') return 'init_task does not hold swapper';
  return null;
}

/** Discovery-cache bookkeeping through one discovery: whether the cached entry is used, the BTF found. */
interface CacheState {
  use: LinuxKernel['cacheUse'];
  /** the cached entry, once it checked out against the dump */
  ok?: CachedLinux;
  btf: CachedLinux['btf'];
}

/**
 * Boot time on the wall clock: CLOCK_REALTIME − CLOCK_BOOTTIME = −(wall_to_monotonic + offs_boot),
 * read from the timekeeper inside tk_core (an unnamed struct: its member offset comes from BTF).
 */
function bootTime(space: VirtualSpace, syms: SymbolTable, types: TypeLayouts): bigint | null {
  const tk = syms.get('tk_core');
  const inner = types.anonMemberOffset('timekeeper');
  const wtm = types.member('timekeeper', 'wall_to_monotonic');
  const offsBoot = types.member('timekeeper', 'offs_boot');
  const tvSec = types.member('timespec64', 'tv_sec');
  const tvNsec = types.member('timespec64', 'tv_nsec');
  if (tk === undefined || inner === undefined || !wtm || !offsBoot || !tvSec || !tvNsec) return null;
  const base = tk + BigInt(inner);
  const w = space.read(base + BigInt(wtm.offset), 16);
  const ob = space.read(base + BigInt(offsBoot.offset), 8);
  if (!w || !ob) return null;
  const ns = -(w.readBigInt64LE(tvSec.offset) * 1_000_000_000n + w.readBigInt64LE(tvNsec.offset) + ob.readBigInt64LE(0));
  // sanity: between 2000 and 2200
  return ns > 946684800n * 1_000_000_000n && ns < 7258118400n * 1_000_000_000n ? ns : null;
}

/**
 * When the dump was taken, near enough: timekeeper.xtime_sec, the wall clock the kernel updated at its
 * last tick before the CPUs stopped (seconds; a stopped VM or a crash kernel leaves it within a tick).
 */
function captureTime(space: VirtualSpace, syms: SymbolTable, types: TypeLayouts): bigint | null {
  const tk = syms.get('tk_core');
  const inner = types.anonMemberOffset('timekeeper');
  const xtime = types.member('timekeeper', 'xtime_sec');
  if (tk === undefined || inner === undefined || !xtime) return null;
  const b = space.read(tk + BigInt(inner) + BigInt(xtime.offset), 8);
  if (!b) return null;
  const sec = b.readBigInt64LE(0);
  // same sanity window as the boot time: 2000–2200
  return sec > 946684800n && sec < 7258118400n ? sec * 1_000_000_000n : null;
}

interface BaseProfile {
  space: VirtualSpace;
  arm64?: Arm64Facts;
  syms: SymbolTable;
  physBase: bigint;
  kaslrShift: bigint;
  la57: boolean;
  dtb: number;
  btf?: Btf;
}

function fromVmcoreInfo(mem: PhysicalMemory, vmci: VmcoreInfo, sources: Record<string, string>, warnings: string[], opts: DiscoverOptions, cache: CacheState): BaseProfile {
  sources.vmcoreinfo = vmci.paddr === HEADER_PADDR ? `${mem.format} dump header` : `RAM at ${hex(vmci.paddr)}`;
  const physBase = (vmci.numbers.get('phys_base') ?? 0n) & MASK64;
  const kaslrShift = vmci.kernelOffset ?? 0n;
  const la57 = vmci.numbers.get('pgtable_l5_enabled') === 1n;
  const pgdVa = vmci.symbols.get('init_top_pgt') ?? vmci.symbols.get('swapper_pg_dir');
  if (pgdVa === undefined) throw new MemqError('VMCOREINFO lacks init_top_pgt/swapper_pg_dir', 'E_NO_KERNEL');
  let dtb = imagePhys(pgdVa, physBase);
  sources.dtb = 'VMCOREINFO SYMBOL(init_top_pgt) + NUMBER(phys_base)';
  let space = new X86_64Space(mem, dtb, { la57 });
  // sanity: the page tables must map the kernel text to where phys_base says it is
  const stext = vmci.symbols.get('_stext');
  if (stext !== undefined && space.translate(stext) !== imagePhys(stext, physBase)) {
    const hint = mem.hints?.cr3?.find((c) => {
      const s = new X86_64Space(mem, c, { la57 });
      return s.translate(stext) === imagePhys(stext, physBase);
    });
    if (hint === undefined) throw new MemqError(`kernel page tables at ${hex(dtb)} do not map _stext; dump inconsistent`, 'E_PAGING');
    warnings.push(`init_top_pgt did not map _stext; using CR3 ${hex(hint)} from the dump header`);
    dtb = hint;
    space = new X86_64Space(mem, dtb, { la57 });
    sources.dtb = 'CR3 from the dump header';
  }
  opts.progress?.('discover', 1, 4);
  const { syms } = fromVmcoreInfoSymbols(mem, vmci, space, sources, opts, cache);
  return { space, syms, physBase, kaslrShift, la57, dtb };
}

/** Kernel symbols once VMCOREINFO and the kernel space are known: cached, kallsyms at VMCOREINFO's address, System.map, or a RAM scan. */
function fromVmcoreInfoSymbols(mem: PhysicalMemory, vmci: VmcoreInfo, space: VirtualSpace, sources: Record<string, string>, opts: DiscoverOptions, cache: CacheState, arch: Arch = 'x86_64'): { syms: SymbolTable } {
  const kaslrShift = vmci.kernelOffset ?? 0n;
  // CONFIG_KALLSYMS_ABSOLUTE_PERCPU is x86-only: arm64 offsets are all relative to kallsyms_relative_base
  const absolutePercpu = arch === 'x86_64';
  const reader = { read: (va: bigint, len: number) => space.read(va, len) };
  let syms: SymbolTable;
  const ks = (n: string) => vmci.symbols.get(`kallsyms_${n}`);
  const why = opts.cached ? symbolsMismatch(opts.cached, vmci, space) : null;
  if (opts.cached && why) cache.use = `ignored (${why})`;
  if (opts.cached && !why) {
    cache.ok = opts.cached;
    cache.use = 'reused';
    syms = opts.cached.syms;
    sources.symbols = opts.cached.symsSource;
  } else if (ks('names') !== undefined && ks('num_syms') !== undefined && ks('token_table') !== undefined && ks('token_index') !== undefined && ks('offsets') !== undefined) {
    syms = decodeKallsyms(reader, {
      names: ks('names')!,
      numSyms: ks('num_syms')!,
      tokenTable: ks('token_table')!,
      tokenIndex: ks('token_index')!,
      offsets: ks('offsets')!,
      relativeBase: ks('relative_base') ?? null,
    }, absolutePercpu);
    sources.symbols = `kallsyms decoded from memory (${syms.size} symbols; table located by VMCOREINFO)`;
  } else if (opts.systemMap) {
    syms = parseSystemMap(fs.readFileSync(opts.systemMap, 'utf8'), kaslrShift);
    sources.symbols = `System.map ${opts.systemMap} shifted by KASLR ${hex(kaslrShift)}`;
  } else {
    const scanned = scanKallsyms(mem, versionOf(vmci.osrelease), arch);
    syms = scanned.syms;
    sources.symbols = `kallsyms decoded from memory (${syms.size} symbols; ${scanned.layout} layout found by scanning RAM at ${hex(scanned.tokenTablePhys)})`;
  }
  return { syms };
}

/** A copy of `syms` with extra symbols appended (kallsyms has no data symbols on some arm64 builds). */
function withSymbols(syms: SymbolTable, extra: { name: string; addr: bigint; type: string }[]): SymbolTable {
  const p = syms.pack();
  const names = [...p.names, ...extra.map((e) => e.name)];
  const types = new Uint8Array(names.length);
  types.set(p.types);
  extra.forEach((e, i) => (types[p.names.length + i] = e.type.charCodeAt(0)));
  const addrs = new BigUint64Array(names.length);
  addrs.set(p.addrs);
  extra.forEach((e, i) => (addrs[p.names.length + i] = e.addr));
  return new SymbolTable({ names, types, addrs }, syms.source);
}

/** how far past _stext the kernel image's data (init_task, linux_banner) is looked for */
const ARM64_IMAGE_SCAN = 96 << 20;

/**
 * arm64 builds without CONFIG_KALLSYMS_ALL (Debian's) have text symbols only in kallsyms. Two data
 * symbols the tables need are found in the kernel image itself (physically contiguous from
 * __pa(_stext) = _stext − kimage_voffset): init_task, the task whose comm (BTF offset) is
 * "swapper/0" or "swapper", whose pid is 0 and whose tasks list links round-trip to pid 1; and
 * linux_banner, "Linux version <VMCOREINFO OSRELEASE> (".
 */
function locateArm64DataSymbols(space: VirtualSpace, syms: SymbolTable, types: TypeLayouts, a: Arm64Facts, vmci: VmcoreInfo | null, sources: Record<string, string>): SymbolTable {
  const stext = syms.get('_stext') ?? vmci?.symbols.get('_stext');
  if (stext === undefined) return syms;
  const start = Number((stext - a.kimageVoffset) & MASK64);
  const mem = space.mem;
  const extra: { name: string; addr: bigint; type: string }[] = [];
  const comm = types.member('task_struct', 'comm');
  const tasks = types.member('task_struct', 'tasks');
  const pid = types.member('task_struct', 'pid');
  const needTask: boolean = syms.get('init_task') === undefined && !!comm && !!tasks && !!pid;
  const needBanner = syms.get('linux_banner') === undefined;
  // linux_banner ends with init_uts_ns's version ("#1 SMP …") and a newline; other copies of the prefix do not
  const uts = vmci?.symbols.get('init_uts_ns') ?? syms.get('init_uts_ns');
  const utsName = uts === undefined ? null : space.read(uts + BigInt(vmci?.offsets.get('uts_namespace.name') ?? types.member('uts_namespace', 'name')?.offset ?? 0), 65 * 4);
  const utsField = (i: number) => (utsName ? utsName.toString('latin1', i * 65, i * 65 + Math.max(0, utsName.subarray(i * 65, i * 65 + 65).indexOf(0))) : '');
  const osrelease = vmci?.osrelease ?? utsField(2);
  const utsVersion = utsField(3);
  const bannerText = Buffer.from(`Linux version ${osrelease} (`);
  const names = [Buffer.from('swapper/0\0'), Buffer.from('swapper\0')];
  let initTask: bigint | null = null;
  let banner: bigint | null = null;
  const isInitTask = (t: bigint): boolean => {
    const p = space.read(t + BigInt(pid!.offset), 4);
    const links = space.read(t + BigInt(tasks!.offset), 16);
    if (!p || !links || p.readInt32LE(0) !== 0) return false;
    const next = links.readBigUInt64LE(0);
    const prev = space.read(next + 8n, 8);
    const firstPid = space.read(next - BigInt(tasks!.offset) + BigInt(pid!.offset), 4);
    return !!prev && prev.readBigUInt64LE(0) === t + BigInt(tasks!.offset) && !!firstPid && firstPid.readInt32LE(0) === 1;
  };
  const CHUNK = 1 << 20;
  const buf = Buffer.alloc(CHUNK + 64);
  for (let pa = start; pa < start + ARM64_IMAGE_SCAN && ((needTask && initTask === null) || (needBanner && banner === null)); pa += CHUNK) {
    const n = Math.min(CHUNK + 64, start + ARM64_IMAGE_SCAN - pa);
    if (!mem.readPhys(pa, buf, 0, n)) continue;
    const chunk = buf.subarray(0, n);
    const va = (i: number) => (BigInt(pa + i) + a.kimageVoffset) & MASK64;
    if (needBanner && banner === null && utsVersion) {
      for (let i = chunk.indexOf(bannerText); i >= 0 && i < CHUNK && banner === null; i = chunk.indexOf(bannerText, i + 1)) {
        const nl = chunk.indexOf(0x0a, i);
        if (nl > 0 && chunk[nl + 1] === 0 && chunk.toString('latin1', i, nl).endsWith(` ${utsVersion}`)) banner = va(i);
      }
    }
    if (needTask && initTask === null) {
      for (const name of names) {
        for (let i = chunk.indexOf(name); i >= 0 && i < CHUNK && initTask === null; i = chunk.indexOf(name, i + 1)) {
          if (i > 0 && chunk[i - 1] !== 0) continue;
          const t = va(i) - BigInt(comm!.offset);
          if (isInitTask(t)) initTask = t;
        }
      }
    }
  }
  // VMCOREINFO's SYMBOL()s inside the kernel image are runtime addresses (prb, init_uts_ns, …); values
  // outside it (SYMBOL(mem_section) is the array pointer itself) are not symbols
  let fromVmci = 0;
  for (const [name, addr] of vmci?.symbols ?? []) {
    if (syms.get(name) !== undefined || addr < stext || addr >= stext + BigInt(ARM64_IMAGE_SCAN)) continue;
    extra.push({ name, addr, type: 'D' });
    fromVmci++;
  }
  if (fromVmci) sources.vmcoreinfo_symbols = `${fromVmci} data symbols taken from VMCOREINFO SYMBOL() (not in kallsyms)`;
  // init_pid_ns (the pid IDR the hidden-process cross-view walks): init_task.thread_pid->numbers[0].ns
  const threadPid = types.member('task_struct', 'thread_pid');
  const numbers = types.member('pid', 'numbers');
  const upidNs = types.member('upid', 'ns');
  const taskForNs = initTask ?? syms.get('init_task');
  if (syms.get('init_pid_ns') === undefined && taskForNs !== undefined && threadPid && numbers && upidNs) {
    const tp = space.read(taskForNs + BigInt(threadPid.offset), 8)?.readBigUInt64LE(0);
    const ns = tp === undefined ? undefined : space.read(tp + BigInt(numbers.offset + upidNs.offset), 8)?.readBigUInt64LE(0);
    if (ns !== undefined && ns >= stext && ns < stext + BigInt(ARM64_IMAGE_SCAN)) {
      extra.push({ name: 'init_pid_ns', addr: ns, type: 'D' });
      sources.init_pid_ns = `${hex(ns)}: init_task.thread_pid->numbers[0].ns`;
    }
  }
  const tk = syms.get('tk_core') === undefined ? findTkCore(space, types, stext, syms.get('_etext') ?? stext) : null;
  if (tk !== null) {
    extra.push({ name: 'tk_core', addr: tk, type: 'b' });
    sources.tk_core = `${hex(tk)}: the first cacheline-aligned timekeeper after _etext whose wall clock (2000–2200), wall_to_monotonic and clocksource pointers (into the image, mono = raw) agree`;
  }
  if (initTask !== null) {
    extra.push({ name: 'init_task', addr: initTask, type: 'D' });
    sources.init_task = `${hex(initTask)}: found in the kernel image (task_struct.comm "swapper", pid 0, tasks list round trip to pid 1; not in text-only kallsyms)`;
  }
  if (banner !== null) {
    extra.push({ name: 'linux_banner', addr: banner, type: 'D' });
    sources.linux_banner = `${hex(banner)}: "Linux version ${osrelease} … ${utsVersion}" found in the kernel image (version from init_uts_ns)`;
  }
  if (syms.get('prb') === undefined && !extra.some((e) => e.name === 'prb')) {
    const p = findPrb(space, types, syms.get('_etext') ?? stext, stext + BigInt(ARM64_IMAGE_SCAN));
    if (p) {
      extra.push({ name: 'prb', addr: p.prb, type: 'd' });
      sources.prb = `${hex(p.prb)}: the slot after _etext pointing at a printk_ringbuffer (${hex(p.rb)}: 2^n descriptors, 2^(n+5)-byte text ring)`;
    }
  }
  return extra.length ? withSymbols(syms, extra) : syms;
}

/**
 * tk_core (the timekeeper boot time comes from) without a data symbol: scanned for in the kernel image
 * after _etext as a struct timekeeper whose xtime_sec is a plausible wall clock, whose
 * wall_to_monotonic puts boot at most ten years back, and whose tkr_mono.clock points into the image.
 */
function findTkCore(space: VirtualSpace, types: TypeLayouts, stext: bigint, etext: bigint): bigint | null {
  const inner = types.anonMemberOffset('timekeeper');
  const xtime = types.member('timekeeper', 'xtime_sec');
  const wtm = types.member('timekeeper', 'wall_to_monotonic');
  const tkr = types.member('timekeeper', 'tkr_mono');
  const clock = types.member('tk_read_base', 'clock');
  const tvNsec = types.member('timespec64', 'tv_nsec');
  if (inner === undefined || !xtime || !wtm || !tkr || !clock || !tvNsec) return null;
  const raw = types.member('timekeeper', 'tkr_raw');
  if (!raw) return null;
  const clockOff = tkr.offset + clock.offset;
  // tkr_mono and tkr_raw read the same clocksource
  const rawClockOff = raw.offset + clock.offset;
  const span = Math.max(xtime.offset + 8, wtm.offset + 16, clockOff + 8, rawClockOff + 8);
  const CH = 1 << 20;
  const end = stext + BigInt(ARM64_IMAGE_SCAN);
  for (let base = (etext + 63n) & ~63n; base < end; base += BigInt(CH)) {
    const buf = space.read(base, CH + span);
    if (!buf) continue;
    for (let i = 0; i < CH; i += 8) {
      const sec = buf.readBigInt64LE(i + xtime.offset);
      if (sec < 946684800n || sec > 7258118400n) continue;
      const w = buf.readBigInt64LE(i + wtm.offset);
      const up = sec + w;
      if (up < 0n || up > 315360000n) continue;
      const ns = buf.readBigInt64LE(i + wtm.offset + tvNsec.offset);
      if (ns < 0n || ns >= 1_000_000_000n) continue;
      const c = buf.readBigUInt64LE(i + clockOff);
      if (c < stext || c >= end || buf.readBigUInt64LE(i + rawClockOff) !== c) continue;
      const cand = base + BigInt(i) - BigInt(inner);
      if (cand % 64n === 0n) return cand; // tk_core is ____cacheline_aligned
    }
  }
  return null;
}

/** The dump's CPU architecture: the format header's word, else VMCOREINFO's arm64-only numbers, else x86-64. */
function archOf(mem: PhysicalMemory, vmci: VmcoreInfo | null, sources: Record<string, string>): Arch {
  if (mem.hints?.arch) {
    sources.arch = `${mem.hints.arch}: ${mem.hints.archSource ?? 'dump header'}`;
    return mem.hints.arch;
  }
  if (vmci && (vmci.numbers.has('kimage_voffset') || vmci.numbers.has('KERNELPACMASK'))) {
    sources.arch = 'arm64: VMCOREINFO has NUMBER(kimage_voffset)';
    return 'arm64';
  }
  sources.arch = vmci ? 'x86_64: VMCOREINFO without arm64 numbers' : 'x86_64 (assumed: no header word, no VMCOREINFO)';
  return 'x86_64';
}

/**
 * arm64 with VMCOREINFO: VA_BITS and PAGESIZE pick the translation regime; swapper_pg_dir (the TTBR1
 * root) is a kernel-image VA, so its physical address is va − kimage_voffset; the walk must then map
 * _stext to _stext − kimage_voffset. kallsyms is decoded where VMCOREINFO says.
 */
function fromVmcoreInfoArm64(mem: PhysicalMemory, vmci: VmcoreInfo, sources: Record<string, string>, warnings: string[], opts: DiscoverOptions, cache: CacheState): BaseProfile {
  sources.vmcoreinfo = vmci.paddr === HEADER_PADDR ? `${mem.format} dump header` : `RAM at ${hex(vmci.paddr)} (found by scanning; the dump header carries none)`;
  const need = (name: string): bigint => {
    const v = vmci.numbers.get(name);
    if (v === undefined) throw new MemqError(`ARM64 Linux: VMCOREINFO lacks NUMBER(${name})`, 'E_NO_KERNEL');
    return v & MASK64;
  };
  const vaBits = Number(need('VA_BITS'));
  const pageSize = Number(vmci.raw.match(/^PAGESIZE=(\d+)$/m)?.[1] ?? 4096);
  checkAarch64Layout(vaBits, pageSize);
  sources.va_bits = `${vaBits}: VMCOREINFO NUMBER(VA_BITS)`;
  sources.page_size = vmci.raw.match(/^PAGESIZE=/m) ? `${pageSize}: VMCOREINFO PAGESIZE` : `${pageSize}: assumed (no PAGESIZE in VMCOREINFO)`;
  const kimageVoffset = need('kimage_voffset');
  sources.kimage_voffset = `${hex(kimageVoffset)}: VMCOREINFO NUMBER(kimage_voffset)`;
  const physOffset = need('PHYS_OFFSET');
  sources.phys_offset = `${hex(physOffset)}: VMCOREINFO NUMBER(PHYS_OFFSET) (memstart_addr)`;
  const kaslrShift = vmci.kernelOffset ?? 0n;
  sources.kaslr_shift = vmci.kernelOffset !== null ? `${hex(kaslrShift)}: VMCOREINFO KERNELOFFSET` : '0: no KERNELOFFSET in VMCOREINFO';
  const pac = vmci.numbers.get('KERNELPACMASK');
  if (pac !== undefined) sources.kernel_pac_mask = `${hex(pac & MASK64)}: VMCOREINFO NUMBER(KERNELPACMASK)`;
  const swapper = vmci.symbols.get('swapper_pg_dir');
  if (swapper === undefined) throw new MemqError('ARM64 Linux: VMCOREINFO lacks SYMBOL(swapper_pg_dir)', 'E_NO_KERNEL');
  const dtb = Number((swapper - kimageVoffset) & MASK64);
  sources.dtb = `swapper_pg_dir ${hex(swapper)} (VMCOREINFO SYMBOL) − kimage_voffset = physical ${hex(dtb)} (TTBR1_EL1 root)`;
  const space = new Aarch64Space(mem, { ttbr1: dtb, vaBits, pageSize });
  const stext = vmci.symbols.get('_stext');
  if (stext !== undefined && space.translate(stext) !== Number((stext - kimageVoffset) & MASK64)) {
    throw new MemqError(`ARM64 Linux: kernel page tables at ${hex(dtb)} do not map _stext to _stext − kimage_voffset; dump inconsistent`, 'E_PAGING');
  }
  const pageOffset = (MASK64 << BigInt(vaBits)) & MASK64;
  sources.page_offset = `${hex(pageOffset)}: −2^VA_BITS`;
  const arm64: Arm64Facts = { vaBits, pageSize, pageOffset, physOffset, kimageVoffset, swapperPgDir: swapper, swapperPgDirPhys: dtb, kernelPacMask: pac === undefined ? null : pac & MASK64 };
  // kallsyms (same VMCOREINFO-located decode as x86-64) through the arm64 space
  const x = fromVmcoreInfoSymbols(mem, vmci, space, sources, opts, cache, 'arm64');
  return { space, syms: x.syms, physBase: physOffset, kaslrShift, la57: false, dtb, arm64 };
}

function versionOf(release: string): [number, number] | undefined {
  const m = release.match(/^(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const BANNER = Buffer.from('Linux version ');

/**
 * No VMCOREINFO: kallsyms by RAM scan (runtime VAs), BTF by RAM scan, then phys_base from a banner
 * hit that puts init_task's comm ("swapper…") where kallsyms says init_task is; the page-table root
 * is then init_top_pgt; 4- vs 5-level decided by which one maps _stext.
 */
function withoutVmcoreInfo(mem: PhysicalMemory, scanned: ScannedKallsyms, sources: Record<string, string>, warnings: string[]): BaseProfile {
  sources.vmcoreinfo = 'not found in RAM — scanning for kallsyms, BTF and the banner instead';
  const syms = scanned.syms;
  sources.symbols = `kallsyms decoded from memory (${syms.size} symbols; ${scanned.layout} layout found by scanning RAM at ${hex(scanned.tokenTablePhys)})`;
  const btf = scanBtf(mem, sources);
  const commOff = BigInt(btf.offsetOf('task_struct', 'comm'));
  const banner = syms.require('linux_banner');
  const initTask = syms.require('init_task');
  let physBase: bigint | null = null;
  for (const [base, chunk] of scanRam(mem)) {
    for (let i = chunk.indexOf(BANNER); i >= 0 && physBase === null; i = chunk.indexOf(BANNER, i + 1)) {
      const cand = (BigInt(base + i) - (banner - START_KERNEL_MAP)) & MASK64;
      const comm = physRead(mem, imagePhys(initTask + commOff, cand), 16);
      if (comm && comm.toString('latin1', 0, 7) === 'swapper') physBase = cand;
    }
    if (physBase !== null) break;
  }
  if (physBase === null) throw new MemqError('kernel image not located: no linux_banner copy lines up with init_task', 'E_NO_KERNEL');
  const pgdVa = syms.get('init_top_pgt') ?? syms.require('swapper_pg_dir');
  const dtb = imagePhys(pgdVa, physBase);
  const stext = syms.get('_stext') ?? syms.require('_text');
  let la57 = false;
  let space = new X86_64Space(mem, dtb, { la57 });
  if (space.translate(stext) !== imagePhys(stext, physBase)) {
    la57 = true;
    space = new X86_64Space(mem, dtb, { la57 });
    if (space.translate(stext) !== imagePhys(stext, physBase)) throw new MemqError(`kernel page tables at ${hex(dtb)} do not map _stext`, 'E_PAGING');
  }
  sources.dtb = 'init_top_pgt from kallsyms + phys_base from the banner/init_task match';
  const text = syms.get('_text') ?? stext;
  warnings.push('no VMCOREINFO in RAM: KASLR shift is reported relative to the default link address 0xffffffff81000000');
  return { space, syms, physBase, kaslrShift: (text - DEFAULT_TEXT) & MASK64, la57, dtb, btf };
}

const DEFAULT_TEXT = 0xffffffff81000000n;

/**
 * arm64 without VMCOREINFO: kallsyms and BTF by RAM scan, then init_task found in RAM gives
 * kimage_voffset, swapper_pg_dir (init_mm.pgd), VA_BITS and PHYS_OFFSET (arm64-scan.ts).
 */
function withoutVmcoreInfoArm64(mem: PhysicalMemory, scanned: ScannedKallsyms, sources: Record<string, string>, warnings: string[]): BaseProfile {
  sources.vmcoreinfo = 'not found in RAM — scanning for kallsyms, BTF and init_task instead';
  sources.symbols = `kallsyms decoded from memory (${scanned.syms.size} symbols; ${scanned.layout} layout found by scanning RAM at ${hex(scanned.tokenTablePhys)})`;
  const btf = scanBtf(mem, sources);
  const d = arm64WithoutVmcoreInfo(mem, scanned.syms, btf, sources, warnings);
  const syms = withSymbols(scanned.syms, d.extra);
  return { space: d.space, syms, physBase: d.facts.physOffset, kaslrShift: d.kaslrShift, la57: false, dtb: d.facts.swapperPgDirPhys, btf, arm64: d.facts };
}

/** The kernel's own BTF; when it has none, the first Linux ISF file given. */
function layoutsFor(mem: PhysicalMemory, space: VirtualSpace, syms: SymbolTable, sources: Record<string, string>, isf: string[], cache: CacheState): TypeLayouts {
  try {
    const c = cache.ok?.btf;
    if (c) {
      const why = btfMismatch(c, space);
      if (!why) {
        sources.btf = c.source;
        cache.btf = c;
        return new Btf(c.blob);
      }
      cache.use = `ignored (${why})`;
    }
    return loadBtf(mem, space, syms, sources, cache);
  } catch (e) {
    if (!(e instanceof MemqError) || e.code !== 'E_BTF') throw e;
    for (const f of isf) {
      const l = readLinuxIsf(f);
      if (l) {
        sources.layouts = `${l.description} (no BTF in memory)`;
        return l;
      }
    }
    throw new MemqError(`${e.message}; pass --isf <file> with a Volatility ISF for this kernel`, 'E_BTF');
  }
}

function loadBtf(mem: PhysicalMemory, space: VirtualSpace, syms: SymbolTable, sources: Record<string, string>, cache?: CacheState): Btf {
  const start = syms.get('__start_BTF');
  const stop = syms.get('__stop_BTF');
  if (start !== undefined && stop !== undefined && stop > start && stop - start < 64n << 20n) {
    const len = Number(stop - start);
    const blob = space.read(start, len);
    if (blob && btfBlobLength(blob) === len) {
      sources.btf = `kernel .BTF section at ${hex(start)} (${len} bytes, located by kallsyms __start_BTF)`;
      const btf = new Btf(blob);
      if (cache) cache.btf = { va: start, blob, source: sources.btf };
      return btf;
    }
  }
  return scanBtf(mem, sources);
}

/** Finds the BTF blob by scanning RAM for its header (magic 9F EB 01 00, hdr_len 24). */
function scanBtf(mem: PhysicalMemory, sources: Record<string, string>): Btf {
  const magic = Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00]);
  for (const [base, chunk] of scanRam(mem)) {
    let i = chunk.indexOf(magic);
    while (i >= 0) {
      const hdr = physRead(mem, base + i, 24);
      const len = hdr ? btfBlobLength(hdr) : 0;
      if (len > 1 << 20) {
        const blob = physRead(mem, base + i, len);
        if (blob) {
          sources.btf = `BTF blob found by scanning RAM at physical ${hex(base + i)} (${len} bytes)`;
          return new Btf(blob);
        }
      }
      i = chunk.indexOf(magic, i + 1);
    }
  }
  throw new MemqError('no kernel BTF found in memory (kernel built without CONFIG_DEBUG_INFO_BTF?)', 'E_BTF');
}

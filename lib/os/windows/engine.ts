// The Windows x64 engine: opens a crash dump (full/bitmap/triage) or raw image through kernel discovery
// (kernel.ts) and fills the catalog tables — process (list + psscan), thread, vma (VADs),
// loaded_library (PEB Ldr + ldrmodules cross-check), handle, kernel_module, syscall (SSDT) — caching
// per-process work so `analyze` reads each structure once.
import { filetimeToDate } from '../../image/formats/windows/dump-header';
import type { PhysicalMemory } from '../../image/physical';
import type { Row, TableName } from '../../model';
import { extractWith, type EngineOptions, type Extractors, type ExtractOptions, type OsEngine } from '../engine';
import { MemqError } from '../../util/errors';
import { hex } from '../../util/hex';
import { discoverKernel, type WinKernel } from './kernel';
import type { BuildLayout } from '../../symbols/isf';
import { isKernelPtr, type Mem } from './memory';
import {
  decodeEprocess,
  listProcesses,
  processMem,
  processRow,
  readEnvironment,
  readPeb,
  type EProc,
  type PebInfo,
  type WinCtx,
} from './processes';
import { processThreads, threadRowFrom } from './threads';
import { vadRow, walkVads, type Vad } from './vads';
import { DRIVER_TAGS, driverRows, hiddenDriverRows, triageDriverRows, userModuleRows } from './modules';
import { kernelVasOf } from './reverse-map';
import { handleRows, ObjectTypes } from './handles';
import { ssdtRows } from './ssdt';
import { PROCESS_TAGS, scanProcesses } from './psscan';
import { NET_TAGS, socketRows } from './netscan';
import { scanPoolTags } from './poolscan';
import { indicatorRows } from './indicators';

interface ProcState {
  um: Mem | null;
  peb?: PebInfo | null;
  vads?: Vad[];
  threads?: Row<'thread'>[];
}

export class WindowsEngine implements OsEngine {
  readonly os = 'windows' as const;
  readonly tables: readonly TableName[];
  readonly warnings: string[] = [];
  readonly k: WinKernel;
  private ctx: WinCtx | null = null;
  private listed: EProc[] | null = null;
  private scanned: EProc[] | null = null;
  private state = new Map<bigint, ProcState>();
  private drivers: Row<'kernel_module'>[] | null = null;
  private pools: Map<string, number[]> | null = null;
  private types: ObjectTypes | null = null;

  constructor(
    readonly mem: PhysicalMemory,
    readonly opts: EngineOptions = {},
    /** replaces the layout database (tests: withhold a build to exercise the fallbacks) */
    catalog?: BuildLayout[],
  ) {
    this.k = discoverKernel(mem, opts.isf ?? [], catalog);
    for (const n of this.k.notes) this.warnings.push(n);
    if (this.k.layout) {
      const warnings = this.warnings;
      const seen = new Set<string>();
      this.ctx = {
        k: this.k,
        L: this.k.layout,
        warnings,
        warn(msg: string) {
          if (seen.has(msg) || warnings.length > 200) return;
          seen.add(msg);
          warnings.push(msg);
        },
      };
    }
    const t: TableName[] = ['kernel_module'];
    if (this.ctx) {
      t.push('process', 'thread');
      if (!this.k.triage) t.push('vma', 'loaded_library', 'handle', 'open_file', 'env_var', 'syscall', 'socket', 'indicator');
    }
    this.tables = t;
  }

  info(): Record<string, string | number | boolean> {
    const k = this.k;
    const out: Record<string, string | number | boolean> = {
      os: 'windows',
      arch: k.arch,
      'windows.dtb': k.dtb !== null ? hex(k.dtb) : 'unknown',
      'windows.dtb_source': k.dtbSource || 'not found',
      'windows.kernel_base': k.kernBase !== null ? hex(k.kernBase) : 'unknown',
      'windows.kernel_base_source': k.kernBaseSource || 'not found',
      'windows.kdbg': k.kdbg ? k.kdbgSource : 'not found',
      'windows.build': k.layout ? k.layout.build.label || k.layout.build.guid : 'unidentified',
      'windows.build_identified_by': k.buildWhy,
      'windows.symbols': k.layout ? `${k.layout.build.pdb} ${k.layout.build.guid}-${k.layout.build.age} (${k.layout.build.source})` : 'none',
      'windows.heuristic_layout': k.heuristic,
    };
    // the dump header's SystemTime: when the dump was written
    const captured = k.header ? filetimeToDate(k.header.systemTime) : null;
    out.capture_time = captured ? captured.toISOString() : 'unknown';
    if (k.pe?.pdb) out['windows.kernel_pdb'] = `${k.pe.pdb.name} ${k.pe.pdb.guid} age ${k.pe.pdb.age}`;
    if (k.kdbg) out['windows.kdbg_kernbase'] = hex(k.kdbg.kernBase);
    if (k.psActiveProcessHead !== null) out['windows.ps_active_process_head'] = hex(k.psActiveProcessHead);
    if (k.psLoadedModuleList !== null) out['windows.ps_loaded_module_list'] = hex(k.psLoadedModuleList);
    if (k.layout || k.header) {
      const v = k.layout?.build.label || `build ${k.header?.minorVersion ?? '?'}`;
      out.kernel_version = `Windows ${v}${k.arch === 'arm64' ? ' ARM64' : ''}`;
    }
    return out;
  }

  processCount(): number {
    return this.ctx ? this.listedProcesses().length : 0;
  }

  private need(): WinCtx {
    if (!this.ctx) {
      throw new MemqError(`${this.mem.source.name}: Windows kernel found but no symbol layout (${this.k.buildWhy}); only driver/module listing is possible`, 'E_SYMBOLS');
    }
    return this.ctx;
  }

  private listedProcesses(): EProc[] {
    if (this.listed) return this.listed;
    const ctx = this.need();
    if (this.k.triage) this.listed = this.triageProcesses(ctx);
    else this.listed = listProcesses(ctx);
    return this.listed;
  }

  /** Triage: the EPROCESS copy (placed at its VA in the sparse layer), then whatever the list reaches. */
  private triageProcesses(ctx: WinCtx): EProc[] {
    const t = this.k.triage!;
    const L = ctx.L;
    const out: EProc[] = [];
    const blob = t.processBlob;
    const links = L.off('_EPROCESS', 'ActiveProcessLinks');
    let va: bigint | null = null;
    if (t.threadBlob) {
      const proc = t.threadBlob.readBigUInt64LE(L.off('_ETHREAD', 'Tcb') + L.off('_KTHREAD', 'Process'));
      if (isKernelPtr(proc)) va = proc;
    }
    if (va === null && blob) {
      const blink = blob.readBigUInt64LE(links + 8);
      if (blink === this.k.psActiveProcessHead) {
        const first = this.k.mem.u64(blink);
        if (first !== null && isKernelPtr(first)) va = first - BigInt(links);
      }
    }
    if (blob && va !== null) {
      t.virtual.addBlob(va, blob);
      const p = decodeEprocess(ctx, va, blob, blob.readBigUInt64LE(links + 8) === this.k.psActiveProcessHead || this.isInList(va));
      if (p) out.push(p);
    }
    // the data blocks hold only part of kernel memory: walk as far as they reach, without a warning per gap
    const quiet: WinCtx = { ...ctx, warn: () => {} };
    for (const p of listProcesses(quiet)) if (!out.some((q) => q.va === p.va)) out.push(p);
    if (out.length <= 1) ctx.warn('triage dump: only the current process is present (no physical memory to walk the full process list)');
    return out;
  }

  private isInList(va: bigint): boolean {
    const head = this.k.psActiveProcessHead;
    if (head === null) return false;
    const links = BigInt(this.ctx!.L.off('_EPROCESS', 'ActiveProcessLinks'));
    for (const e of this.k.mem.walkList(head, 65536)) if (e - links === va) return true;
    return false;
  }

  private allProcesses(): EProc[] {
    const listed = this.listedProcesses();
    if (this.scanned === null) {
      this.scanned = [];
      if (this.k.space && this.ctx) {
        const known = new Set<number>();
        for (const p of listed) {
          const pa = this.k.space.translate(p.va);
          if (pa !== null) known.add(pa);
        }
        const vas = new Set(listed.map((p) => p.va));
        const pools = this.poolHits();
        this.scanned = scanProcesses(this.ctx, known, PROCESS_TAGS.flatMap((t) => pools.get(t) ?? [])).filter((p) => !vas.has(p.va));
      }
    }
    return [...listed, ...this.scanned];
  }

  /** Physical pool headers of every scanned tag, from one pass over RAM. */
  private poolHits(): Map<string, number[]> {
    if (!this.pools) {
      const L = this.ctx!.L;
      const tagOff = L.has('_POOL_HEADER', 'PoolTag') ? L.off('_POOL_HEADER', 'PoolTag') : 4;
      this.pools = this.k.space ? scanPoolTags(this.k.space.mem, [...PROCESS_TAGS, ...NET_TAGS, ...DRIVER_TAGS], tagOff) : new Map();
    }
    return this.pools;
  }

  private selected(opts: ExtractOptions): EProc[] {
    let ps = this.allProcesses();
    if (opts.processRange) {
      const [a, b] = opts.processRange;
      const listed = this.listedProcesses();
      ps = listed.slice(a, b);
      // scanned-only processes belong to the last shard
      if (b >= listed.length) ps = [...ps, ...(this.scanned ?? [])];
    }
    if (opts.pid !== undefined) ps = ps.filter((p) => p.pid === opts.pid);
    return ps;
  }

  private st(p: EProc): ProcState {
    let s = this.state.get(p.va);
    if (!s) {
      s = { um: this.ctx ? processMem(this.ctx, p) : null };
      this.state.set(p.va, s);
    }
    return s;
  }
  private peb(p: EProc): PebInfo | null {
    const s = this.st(p);
    if (s.peb === undefined) s.peb = s.um ? readPeb(this.ctx!, p, s.um) : null;
    return s.peb;
  }
  private vads(p: EProc): Vad[] {
    const s = this.st(p);
    if (!s.vads) s.vads = this.k.space ? walkVads(this.ctx!, p) : [];
    return s.vads;
  }
  private threads(p: EProc): Row<'thread'>[] {
    const s = this.st(p);
    if (!s.threads) {
      const ctx = this.ctx!;
      s.threads = processThreads(this.k.triage ? { ...ctx, warn: () => {} } : ctx, p);
      const t = this.k.triage;
      if (t?.threadBlob) {
        const row = threadRowFrom(ctx, 0n, t.threadBlob, p.pid);
        const owner = t.threadBlob.readBigUInt64LE(ctx.L.off('_ETHREAD', 'Tcb') + ctx.L.off('_KTHREAD', 'Process'));
        if (owner === p.va && !s.threads.some((r) => r.thread_id === row.thread_id)) {
          row.object_address = this.triageThreadVa() ?? 0n;
          s.threads.push(row);
        }
      }
    }
    return s.threads;
  }
  /** VA of the triage ETHREAD copy: the KPRCB copy's CurrentThread (offset from KDBG). */
  private triageThreadVa(): bigint | null {
    const t = this.k.triage!;
    const kd = t.kdbgRaw;
    if (!kd || kd.length < 0x2b6) return null;
    const off = kd.readUInt16LE(0x2b4);
    const b = Buffer.alloc(8);
    if (t.source.readInto(t.triage.prcbOffset + off, b, 0, 8) !== 8) return null;
    const v = b.readBigUInt64LE(0);
    return isKernelPtr(v) ? v : null;
  }
  private wxPe(p: EProc): boolean {
    const s = this.st(p);
    if (!s.um) return false;
    return this.vads(p).some((v) => v.privateMemory && (v.protection & 7) >= 6 && isMz(s.um!, v.start));
  }
  private driverList(): Row<'kernel_module'>[] {
    if (!this.drivers) {
      if (this.k.triage) this.drivers = triageDriverRows(this.k);
      else if (this.ctx) {
        const listed = driverRows(this.ctx);
        const hidden = hiddenDriverRows(this.ctx, listed, DRIVER_TAGS.flatMap((t) => this.poolHits().get(t) ?? []), (pa) => {
          const page = pa - (pa % 4096);
          const va = kernelVasOf(this.k.space!, new Set([page])).get(page);
          return va === undefined ? null : va + BigInt(pa % 4096);
        });
        this.drivers = [...listed, ...hidden];
      } else this.drivers = [];
    }
    return this.drivers;
  }

  /** How each table is filled (the tables available on this dump are listed in `tables`). */
  private readonly extractors: Extractors = {
    kernel_module: () => this.driverList(),
    process: (opts) => {
      const ctx = this.need();
      const all = this.allProcesses();
      const names = new Map<number, string>();
      for (const p of all) if (p.inList && !names.has(p.pid)) names.set(p.pid, p.name);
      for (const p of all) if (!names.has(p.pid)) names.set(p.pid, p.name);
      return this.selected(opts).map((p) =>
        processRow(ctx, p, p.ppid === p.pid ? null : (names.get(p.ppid) ?? null), {
          peb: this.peb(p),
          threadCount: this.threads(p).length,
          wxPe: this.wxPe(p),
        }),
      );
    },
    thread: (opts) => this.selected(opts).flatMap((p) => this.threads(p)),
    vma: (opts) => this.selected(opts).flatMap((p) => this.vads(p).map((v) => vadRow(p, v, this.st(p).um))),
    loaded_library: (opts) => {
      const ctx = this.need();
      return this.selected(opts).flatMap((p) => {
        const um = this.st(p).um;
        return um ? userModuleRows(ctx, p, um, this.peb(p), this.vads(p)) : [];
      });
    },
    handle: (opts) => {
      const ctx = this.need();
      this.types ??= new ObjectTypes(ctx);
      return this.selected(opts).flatMap((p) => handleRows(ctx, p, this.types!));
    },
    env_var: (opts) =>
      this.selected(opts).flatMap((p) => {
        const um = this.st(p).um;
        const peb = this.peb(p);
        if (!um || !peb) return [];
        return readEnvironment(um, peb.environment).map(([name, value]) => ({ process_id: p.pid, name, value }));
      }),
    // file objects a process holds handles to (the Windows analogue of open descriptors)
    open_file: (opts) => {
      const ctx = this.need();
      this.types ??= new ObjectTypes(ctx);
      return this.selected(opts).flatMap((p) =>
        handleRows(ctx, p, this.types!)
          .filter((h) => h.object_type === 'File')
          .map((h) => ({ process_id: p.pid, fd: h.handle_value, path: h.name ?? '', kind: 'file', inode: null, flags: h.granted_access })),
      );
    },
    syscall: () => ssdtRows(this.need(), this.driverList()),
    indicator: (opts) => {
      const ctx = this.need();
      return this.selected(opts).flatMap((p) => {
        const um = this.st(p).um;
        return um ? indicatorRows(p, um, this.vads(p), (m) => ctx.warn(m)) : [];
      });
    },
    socket: (opts) => {
      const rows = socketRows(this.need(), this.allProcesses(), this.poolHits());
      return opts.pid !== undefined ? rows.filter((r) => r.process_id === opts.pid) : rows;
    },
  };

  extract<T extends TableName>(table: T, opts: ExtractOptions = {}): Row<T>[] {
    return this.tables.includes(table) ? extractWith(this.extractors, table, opts) : [];
  }
}


function isMz(um: Mem, va: bigint): boolean {
  const h = um.read(va, 2);
  return !!h && h[0] === 0x4d && h[1] === 0x5a;
}


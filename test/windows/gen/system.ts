// Builds a consistent Windows x64 kernel + user-space state inside a sparse PhysModel: ntoskrnl image
// (PE + CodeView), KDBG, processes (EPROCESS/PEB/loader lists/process parameters), threads, VAD trees,
// handle tables, drivers, SSDT, tcpip endpoints, an injected RWX PE, an unlinked process.
// Every struct offset comes from the build's ISF (isf.ts); public layouts used are cited where written.
import { addr } from '../../../lib/util/hex';
import { BUILDS, BuildId, BuildInfo } from './builds';
import { Isf, StructWriter, loadIsf } from './isf';
import { AddressSpace, PAGE, PhysModel } from './memory';
import { ObjectManager, Pool, tagValue } from './objects';
import { buildPe, defaultSections, PeSpec } from './pe';
import { Rng } from './rng';
import { DRIVERS, ProcSpec, ROOTKIT, scenario, SYS32 } from './scenario';
import type {
  DumpKind,
  Truth,
  TruthEndpoint,
  TruthHandle,
  TruthModule,
  TruthProcess,
  TruthThread,
  TruthTime,
  TruthVad,
} from './truth';

export const GENERATOR_VERSION = 7;

const PROT_NAMES = ['PAGE_NOACCESS', 'PAGE_READONLY', 'PAGE_EXECUTE', 'PAGE_EXECUTE_READ', 'PAGE_READWRITE', 'PAGE_WRITECOPY', 'PAGE_EXECUTE_READWRITE', 'PAGE_EXECUTE_WRITECOPY'];
const P_RO = 1;
const P_RW = 4;
const P_RWX = 6;
const P_EXEC_WC = 7;
const VAD_NONE = 0;
const VAD_IMAGE = 2;
const TCP_STATES: Record<string, number> = { CLOSED: 0, LISTENING: 1, SYN_SENT: 2, SYN_RCVD: 3, ESTABLISHED: 4, FIN_WAIT1: 5, FIN_WAIT2: 6, CLOSE_WAIT: 7, CLOSING: 8, LAST_ACK: 9, TIME_WAIT: 12, DELETE_TCB: 13 };

const EPOCH_DIFF_US = 11644473600000000n; // µs between 1601-01-01 and 1970-01-01

export function fileTime(unixMicros: bigint): TruthTime {
  const ft = (unixMicros + EPOCH_DIFF_US) * 10n;
  const ms = Number(unixMicros / 1000n);
  const us = Number(unixMicros % 1000000n);
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.' + String(us).padStart(6, '0') + 'Z');
  return { iso, filetime: ft.toString() };
}
const ftValue = (t: TruthTime): bigint => BigInt(t.filetime);

interface Proc {
  spec: ProcSpec;
  pid: number;
  ppid: number;
  space: AddressSpace | null;
  eproc: bigint;
  header: bigint;
  poolHeader: bigint;
  create: TruthTime;
  exit: TruthTime | null;
  peb: bigint;
  truth: TruthProcess;
  vads: VadSpec[];
  heap?: UserHeap;
  params?: bigint;
  imageBase: bigint;
}

interface VadSpec {
  start: bigint;
  end: bigint; // exclusive
  protection: number;
  vadType: number;
  priv: boolean;
  file: string | null;
}

/** Bump allocator over a private user region, mapping pages on demand (the process heap). */
class UserHeap {
  private cur: bigint;
  constructor(
    readonly sp: AddressSpace,
    readonly base: bigint,
    readonly reserve: bigint,
  ) {
    this.cur = base + 0x800n; // skip the _HEAP header area
  }
  alloc(n: number, align = 16): bigint {
    const a = BigInt(align);
    this.cur = (this.cur + a - 1n) & ~(a - 1n);
    const va = this.cur;
    this.cur += BigInt(n);
    if (this.cur > this.base + this.reserve) throw new Error('generator: user heap exhausted');
    for (let p = va & ~0xfffn; p < this.cur; p += 0x1000n) {
      if (!this.sp.isMapped(p)) this.sp.map(p, this.sp.mem.allocPage('user'), { user: true, nx: true });
    }
    if (!this.sp.isMapped(this.base)) this.sp.map(this.base, this.sp.mem.allocPage('user'), { user: true, nx: true });
    return va;
  }
  wstr(text: string): { va: bigint; len: number } {
    const b = Buffer.from(text + '\0', 'utf16le');
    const va = this.alloc(b.length, 8);
    this.sp.write(va, b);
    return { va, len: b.length - 2 };
  }
}

export interface BuiltSystem {
  mem: PhysModel;
  truth: Omit<Truth, 'file' | 'dumpHeader' | 'physical'> & { physical: Pick<Truth['physical'], 'runs' | 'numberOfPages' | 'maxAddress' | 'lowStubPa'> };
  build: BuildInfo;
  isf: Isf;
  kernBase: bigint;
  dtb: number;
  kdbgVa: bigint;
  psActiveProcessHead: bigint;
  psLoadedModuleList: bigint;
  pfnDatabaseVa: bigint;
  numberProcessors: number;
  bootMicros: bigint;
  dumpMicros: bigint;
}

export async function buildSystem(buildId: BuildId, sizeMiB: number, seed: number, kind: DumpKind, encodeKdbg = false, hostile = false): Promise<BuiltSystem> {
  const build = BUILDS[buildId];
  if (!build) throw new Error(`generator: unknown build ${buildId}`);
  const isf = await loadIsf(build.isfFile);
  const sb = new SystemBuilder(build, isf, sizeMiB, seed, kind);
  sb.encodeKdbg = encodeKdbg;
  sb.hostile = hostile;
  return sb.run();
}

class SystemBuilder {
  readonly rng: Rng;
  readonly mem: PhysModel;
  readonly ks: AddressSpace;
  kernBase = 0n;
  imageSize = 0;
  np!: Pool;
  pp!: Pool;
  om!: ObjectManager;
  cookie: number | null = null;
  selfIdx = 0;
  bootMicros: bigint;
  dumpMicros: bigint;
  procs: Proc[] = [];
  typeObjects: { index: number; name: string; va: bigint }[] = [];
  fileObjects = new Map<string, bigint>();
  sessions = new Map<number, bigint>();
  drivers: { name: string; path: string; base: bigint; size: number; ldr: bigint; suspicious: boolean }[] = [];
  ntdllBase = 0n;
  userCounter = 0;
  readonly numberProcessors: number;

  constructor(
    readonly b: BuildInfo,
    readonly isf: Isf,
    readonly sizeMiB: number,
    readonly seed: number,
    readonly kind: DumpKind,
  ) {
    if (!Number.isInteger(sizeMiB) || sizeMiB < 64 || sizeMiB > 65536) throw new Error('generator: sizeMiB must be an integer in [64, 65536]');
    this.rng = new Rng(seed);
    this.mem = new PhysModel(sizeMiB * 256, this.rng.fork('phys'));
    this.ks = new AddressSpace(this.mem);
    const r = this.rng.fork('time');
    this.bootMicros = BigInt(Date.UTC(2024, 0, 1)) * 1000n + BigInt(r.int(0, 300 * 86400)) * 1000000n + BigInt(r.int(0, 999999));
    this.dumpMicros = this.bootMicros + BigInt(r.int(3600, 40000)) * 1000000n + BigInt(r.int(0, 999999));
    this.numberProcessors = this.rng.fork('cpu').pick([2, 4, 8]);
  }

  ks64(va: bigint, v: bigint | number): void {
    this.ks.u64(va, v);
  }
  sym(name: string): bigint {
    return this.kernBase + BigInt(this.isf.sym(name));
  }
  struct(type: string): { buf: Buffer; w: StructWriter } {
    const buf = Buffer.alloc(this.isf.size(type));
    return { buf, w: new StructWriter(this.isf, type, buf) };
  }
  /** UNICODE_STRING at `path` of writer w, text stored at bufVa */
  ustr(w: StructWriter, path: string, text: string, bufVa: bigint): void {
    const n = Buffer.byteLength(text, 'utf16le');
    w.set(path + '.Length', n).set(path + '.MaximumLength', n + 2).set(path + '.Buffer', bufVa);
  }
  /** kernel string in paged pool */
  kstr(text: string, tag = 'ObNm'): bigint {
    const b = Buffer.from(text + '\0', 'utf16le');
    const va = this.pp.alloc(b.length, tag);
    this.ks.write(va, b);
    return va;
  }

  run(): BuiltSystem {
    this.layoutKernel();
    this.writeKernelImage();
    this.registerObjectTypes();
    this.writeSharedData();
    this.loadDrivers();
    this.createProcesses();
    this.writeSsdt();
    const network = this.createEndpoints();
    const kdbgVa = this.writeKdbg();
    const lowStub = this.writeLowStub();
    if (this.hostile) this.applyHostile();
    this.finalizePageTables();
    return this.collect(network, kdbgVa, lowStub);
  }

  // ---- kernel address-space layout -------------------------------------------------------------
  regionStart = 0n;
  nonPagedBase = 0n;
  pagedBase = 0n;
  driverCursor = 0n;

  layoutKernel(): void {
    const r = this.rng.fork('kaslr');
    // ntoskrnl size: every symbol the ISF knows lies inside the image; the last page holds .rdata's
    // debug directory.
    this.imageSize = Math.ceil((this.isf.maxSymbolRva(0x4000000) + 0x3000) / PAGE) * PAGE;
    if (this.b.legacyLayout) {
      // Win7: kernel inside the large-page mapped region starting at 0xfffff80002800000, base 4 KiB aligned
      this.regionStart = 0xfffff80002800000n + BigInt(r.int(0, 3)) * 0x200000n;
      this.kernBase = this.regionStart + BigInt(r.int(0x10, 0x80)) * 0x1000n;
      this.nonPagedBase = 0xfffffa8000000000n + BigInt(r.int(0x10, 0x80)) * 0x1000000n;
      this.pagedBase = 0xfffff8a000000000n + BigInt(r.int(0x10, 0x80)) * 0x1000000n;
      this.selfIdx = 0x1ed;
    } else {
      // Win10 KASLR: kernel at a 2 MiB-aligned slot in 0xfffff800'00000000..
      this.regionStart = 0xfffff80000000000n + (BigInt(r.int(1, 7)) << 32n) + BigInt(r.int(0x100, 0x3f0)) * 0x200000n;
      this.kernBase = this.regionStart;
      this.nonPagedBase = 0xffff800000000000n + (BigInt(r.int(0x4000, 0x5fff)) << 32n) + BigInt(r.int(0, 0xff)) * 0x1000000n;
      this.pagedBase = 0xffff800000000000n + (BigInt(r.int(0x2000, 0x3fff)) << 32n) + BigInt(r.int(0, 0xff)) * 0x1000000n;
      const used = new Set([this.idx4(this.regionStart), this.idx4(this.nonPagedBase), this.idx4(this.pagedBase), this.idx4(0xfffff78000000000n)]);
      do this.selfIdx = r.int(0x100, 0x1fe);
      while (used.has(this.selfIdx));
    }
    // kernel image: 2 MiB large pages (as ntoskrnl/hal are mapped on real systems)
    const regionBytes = Math.ceil((Number(this.kernBase - this.regionStart) + this.imageSize) / 0x200000) * 0x200000;
    const first = this.mem.allocLarge(regionBytes / PAGE, 'kernel');
    for (let off = 0; off < regionBytes; off += 0x200000) this.ks.map(this.regionStart + BigInt(off), first + off / PAGE, { large: true });
    this.driverCursor = this.regionStart + BigInt(regionBytes) + BigInt(r.int(2, 16)) * 0x10000n;
    this.np = new Pool(this.ks, this.isf, this.nonPagedBase, 1);
    this.pp = new Pool(this.ks, this.isf, this.pagedBase, 2);
    const cookieSym = this.isf.hasSym('ObHeaderCookie');
    this.cookie = cookieSym ? r.int(1, 255) : null;
    this.om = new ObjectManager(this.ks, this.isf, this.cookie, this.b.protectedTags);
  }

  idx4(va: bigint): number {
    return Number((va >> 39n) & 511n);
  }

  writeKernelImage(): void {
    const sections = defaultSections(this.imageSize - 0x1000).concat([]);
    const spec: PeSpec = {
      imageBase: this.kernBase,
      sizeOfImage: this.imageSize,
      timeDateStamp: 0x5f000000 + this.rng.fork('pe').int(0, 0xffffff),
      entryRva: this.isf.hasSym('KiSystemStartup') ? this.isf.sym('KiSystemStartup') : 0x1000,
      subsystem: 1,
      dll: false,
      sections,
      codeView: { guid: this.isf.guid, age: this.isf.age, pdb: this.isf.pdbName, rva: this.imageSize - 0x1000 },
    };
    const pe = buildPe(spec);
    this.ks.write(this.kernBase, pe.headers);
    for (const x of pe.extra) this.ks.write(this.kernBase + BigInt(x.rva), x.data);
    // globals with values the parser may look at
    if (this.cookie !== null) this.ks.write(this.sym('ObHeaderCookie'), Buffer.from([this.cookie]));
    if (this.isf.hasSym('MmPteBase')) this.ks64(this.sym('MmPteBase'), 0xffff000000000000n | (BigInt(this.selfIdx) << 39n));
    if (this.isf.hasSym('KeNumberProcessors')) this.ks.u32(this.sym('KeNumberProcessors'), this.numberProcessors);
    if (this.isf.hasSym('NtBuildNumber')) this.ks.u32(this.sym('NtBuildNumber'), (0xf0000000 | this.b.buildNumber) >>> 0);
    if (this.isf.hasSym('NtBuildLab')) {
      const lab = `${this.b.buildNumber}.${this.b.version.split('.')[3]}.amd64fre.generated.000000-0000`;
      this.ks.write(this.sym('NtBuildLab'), Buffer.from(lab + '\0', 'latin1'));
    }
    const wr = this.rng.fork('kiwait');
    this.waitNever = (BigInt(wr.u32()) << 32n) | BigInt(wr.u32());
    this.waitAlways = (BigInt(wr.u32()) << 32n) | BigInt(wr.u32());
    if (this.isf.hasSym('KiWaitNever')) this.ks64(this.sym('KiWaitNever'), this.waitNever);
    if (this.isf.hasSym('KiWaitAlways')) this.ks64(this.sym('KiWaitAlways'), this.waitAlways);
    // MmPfnDatabase holds the PFN array base (not populated in generated dumps)
    if (this.isf.hasSym('MmPfnDatabase')) this.ks64(this.sym('MmPfnDatabase'), this.b.legacyLayout ? 0xfffffa8000000000n : 0xffff_9a00_0000_0000n);
  }

  registerObjectTypes(): void {
    const table = this.sym('ObTypeIndexTable');
    this.ks64(table, 0n);
    this.ks64(table + 8n, 0xbad0b0b0n);
    this.b.objectTypes.forEach((n, i) => this.om.typeIndex.set(n, i + 2));
    const typeSize = this.isf.size('_OBJECT_TYPE');
    for (const [name, index] of this.om.typeIndex) {
      const nameVa = this.kstr(name);
      const o = this.om.create(this.np, 'Type', typeSize, 'ObjT', { name: { text: name, nameBuffer: this.kstr(name) } });
      const { buf, w } = this.struct('_OBJECT_TYPE');
      const tl = o.body + BigInt(this.isf.off('_OBJECT_TYPE', 'TypeList'));
      w.set('TypeList.Flink', tl).set('TypeList.Blink', tl).set('Index', index);
      this.ustr(w, 'Name', name, nameVa);
      const key: Record<string, string> = { Process: 'Proc', Thread: 'Thre', File: 'File', Mutant: 'Muta', Event: 'Even', Type: 'ObjT' };
      if (key[name]) w.set('Key', tagValue(key[name]));
      this.ks.write(o.body, buf);
      this.ks64(table + BigInt(index * 8), o.body);
      this.typeObjects.push({ index, name, va: o.body });
      if (name === 'Type' && this.isf.hasSym('ObpTypeObjectType')) this.ks64(this.sym('ObpTypeObjectType'), o.body);
    }
  }

  sharedPfn = 0;
  writeSharedData(): void {
    // KUSER_SHARED_DATA: kernel VA 0xfffff78000000000, user VA 0x7ffe0000 (same physical page)
    this.sharedPfn = this.mem.allocPage('kernel');
    this.ks.map(0xfffff78000000000n, this.sharedPfn, { nx: true });
    const { buf, w } = this.struct('_KUSER_SHARED_DATA');
    w.set('NtMajorVersion', this.b.ntMajor).set('NtMinorVersion', this.b.ntMinor).set('NtProductType', 1);
    if (this.isf.has('_KUSER_SHARED_DATA', 'NtBuildNumber')) w.set('NtBuildNumber', this.b.buildNumber);
    const st = ftValue(fileTime(this.dumpMicros));
    w.set('SystemTime.LowPart', st & 0xffffffffn).set('SystemTime.High1Time', st >> 32n).set('SystemTime.High2Time', st >> 32n);
    w.bytes('NtSystemRoot', Buffer.from('C:\\Windows\0', 'utf16le'));
    this.ks.write(0xfffff78000000000n, buf);
  }

  // ---- drivers ---------------------------------------------------------------------------------
  loadDrivers(): void {
    const r = this.rng.fork('drivers');
    const ldrType = this.isf.hasType('_KLDR_DATA_TABLE_ENTRY') ? '_KLDR_DATA_TABLE_ENTRY' : '_LDR_DATA_TABLE_ENTRY';
    const head = this.sym('PsLoadedModuleList');
    const entries: bigint[] = [];
    const all: [string, string, bigint, number, boolean][] = [['ntoskrnl.exe', '\\SystemRoot\\system32\\ntoskrnl.exe', this.kernBase, this.imageSize, false]];
    const list = [...DRIVERS];
    list.splice(r.int(6, list.length), 0, ROOTKIT);
    for (const [name, path] of list) {
      const size = r.int(4, 40) * 0x2000;
      const base = this.driverCursor;
      this.driverCursor += BigInt(size) + BigInt(r.int(1, 8)) * 0x1000n;
      for (let off = 0; off < size; off += PAGE) this.ks.map(base + BigInt(off), this.mem.allocPage('kernel'), { nx: off === 0 });
      const pe = buildPe({
        imageBase: base,
        sizeOfImage: size,
        timeDateStamp: 0x50000000 + r.int(0, 0x2fffffff),
        entryRva: 0x1000 + r.int(0, size / 2 - 0x1000) & ~0xf,
        subsystem: 1,
        dll: name.endsWith('.dll'),
        sections: defaultSections(size - 0x1000),
        codeView: { guid: r.bytes(16).toString('hex'), age: 1, pdb: name.replace(/\.[^.]+$/, '.pdb'), rva: size - 0x800 },
      });
      this.ks.write(base, pe.headers);
      for (const x of pe.extra) this.ks.write(base + BigInt(x.rva), x.data);
      all.push([name, path, base, size, name === ROOTKIT[0]]);
    }
    for (const [name, path, base, size, suspicious] of all) {
      const va = this.np.alloc(this.isf.size(ldrType), 'MmLd');
      const { buf, w } = this.struct(ldrType);
      w.set('DllBase', base).set('SizeOfImage', size).set('EntryPoint', base + 0x1000n);
      this.ustr(w, 'FullDllName', path, this.kstr(path, 'MmLd'));
      this.ustr(w, 'BaseDllName', name, this.kstr(name, 'MmLd'));
      w.set('Flags', 0x49104000);
      if (this.isf.has(ldrType, 'LoadCount')) w.set('LoadCount', 1);
      this.ks.write(va, buf);
      entries.push(va);
      this.drivers.push({ name, path, base, size, ldr: va, suspicious });
    }
    this.linkList(head, entries, this.isf.off(ldrType, 'InLoadOrderLinks'));
  }

  /** Writes a circular LIST_ENTRY chain: head ↔ e0 ↔ e1 … (entries are struct bases, `off` the link field). */
  linkList(head: bigint, entries: bigint[], off: number, sp: AddressSpace = this.ks): void {
    const links = entries.map((e) => e + BigInt(off));
    const all = [head, ...links];
    for (let i = 0; i < all.length; i++) {
      sp.u64(all[i], all[(i + 1) % all.length]);
      sp.u64(all[i] + 8n, all[(i - 1 + all.length) % all.length]);
    }
  }

  // ---- processes -------------------------------------------------------------------------------
  createProcesses(): void {
    const specs = scenario(this.b);
    const r = this.rng.fork('procs');
    const usedPids = new Set<number>([0, 4]);
    const pidFor = (i: number): number => {
      if (i === 0) return 4;
      let p: number;
      do p = r.int(i === 1 && this.b.hasRegistryProcess ? 0x18 : 0x40, i === 1 && this.b.hasRegistryProcess ? 0x3f : 0x3000) * 4;
      while (usedPids.has(p));
      usedPids.add(p);
      return p;
    };
    let t = this.bootMicros;
    const byName = new Map<string, Proc>();
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      const pid = pidFor(i);
      let ppid = 0;
      if (s.parent?.startsWith('-')) {
        // parent exited long ago (smss session instances, userinit): a pid not in the list
        let p: number;
        do p = r.int(0x40, 0x3000) * 4;
        while (usedPids.has(p));
        usedPids.add(p);
        ppid = p;
      } else if (s.parent) ppid = byName.get(s.parent)!.pid;
      t += BigInt(i === 0 ? 0 : r.int(200000, 20000000));
      const create = fileTime(i === 0 ? this.bootMicros : t);
      const exit = s.exited ? fileTime(t + BigInt(r.int(1000000, 9000000))) : null;
      const p = this.createProcess(s, pid, ppid, create, exit, r);
      this.procs.push(p);
      if (!byName.has(s.name)) byName.set(s.name, p);
    }
    // the list PsActiveProcessHead links, in creation order, every process except the unlinked one
    const linked = this.procs.filter((p) => !p.spec.hidden);
    this.linkList(this.sym('PsActiveProcessHead'), linked.map((p) => p.eproc), this.isf.off('_EPROCESS', 'ActiveProcessLinks'));
    for (const p of this.procs.filter((q) => q.spec.hidden)) {
      const l = p.eproc + BigInt(this.isf.off('_EPROCESS', 'ActiveProcessLinks'));
      this.ks64(l, l); // DKOM unlink leaves the entry pointing at itself
      this.ks64(l + 8n, l);
    }
    // handles need every process to exist first (cross-process handles)
    for (const p of this.procs) this.createHandles(p, r);
  }

  session(id: number): bigint {
    let s = this.sessions.get(id);
    if (s === undefined) {
      const size = this.isf.size('_MM_SESSION_SPACE');
      s = size < PAGE - 64 ? this.np.alloc(size, 'MmSc') : this.np.allocPages(Math.ceil(size / PAGE));
      const { buf, w } = this.struct('_MM_SESSION_SPACE');
      w.set('SessionId', id);
      this.ks.write(s, buf);
      this.sessions.set(id, s);
    }
    return s;
  }

  fileObject(path: string): bigint {
    const hit = this.fileObjects.get(path);
    if (hit) return hit;
    const o = this.om.create(this.np, 'File', this.isf.size('_FILE_OBJECT'), 'File', { handles: 1, pointers: 2 });
    const { buf, w } = this.struct('_FILE_OBJECT');
    w.set('Type', 5).set('Size', this.isf.size('_FILE_OBJECT'));
    this.ustr(w, 'FileName', path, this.kstr(path, 'IoNm'));
    this.ks.write(o.body, buf);
    this.fileObjects.set(path, o.body);
    return o.body;
  }

  createProcess(s: ProcSpec, pid: number, ppid: number, create: TruthTime, exit: TruthTime | null, r: Rng): Proc {
    const isf = this.isf;
    const epSize = isf.size('_EPROCESS');
    const o = this.om.create(this.np, 'Process', epSize, 'Proc', { quota: true, handles: 3, pointers: 40 });
    this.np.gap(r.int(0, 3));
    const isSystem = pid === 4;
    // every process but System has its own PML4 (Registry too, though it has no user-mode image)
    const space = isSystem ? null : new AddressSpace(this.mem, this.ks);
    const dtb = space ? space.dtb : this.ks.dtb;
    const truth: TruthProcess = {
      pid,
      ppid,
      name: s.name.slice(0, 14),
      imagePath: s.path,
      commandLine: s.cmd,
      createTime: create,
      exitTime: exit,
      session: s.session,
      wow64: !!s.wow64,
      eprocess: addr(o.body),
      poolHeader: addr(o.poolBlock),
      dtb: addr(dtb),
      peb: addr(0),
      inActiveList: !s.hidden,
      hidden: !!s.hidden,
      exited: !!s.exited,
      userMemoryPresent: !!space && !s.noPeb && !s.exited && this.kind !== 'kernel-bitmap',
      threads: [],
      modules: [],
      unlinkedModules: [],
      vads: [],
      handles: [],
      flags: s.flags ?? [],
      environment: null,
      transitionPages: [],
    };
    const p: Proc = { spec: s, pid, ppid, space, eproc: o.body, header: o.header, poolHeader: o.poolBlock, create, exit, peb: 0n, truth, vads: [], imageBase: 0n };
    if (space && !s.noPeb) this.buildUserSpace(p, r);
    const { buf, w } = this.struct('_EPROCESS');
    w.set('Pcb.Header.Type', 3).set('Pcb.Header.Size', Math.floor(isf.size('_KPROCESS') / 4) & 0xff);
    w.set('Pcb.DirectoryTableBase', BigInt(dtb));
    w.set('UniqueProcessId', pid).set('InheritedFromUniqueProcessId', ppid);
    w.bytes('ImageFileName', Buffer.from(s.name.slice(0, 14) + '\0', 'latin1'));
    w.set('CreateTime', ftValue(create));
    if (exit) w.set('ExitTime', ftValue(exit));
    w.set('Peb', p.peb);
    if (s.session !== null) w.set('Session', this.session(s.session));
    if (isf.has('_EPROCESS', 'ActiveThreads')) w.set('ActiveThreads', s.exited ? 0 : s.threads);
    // ThreadListHead (EPROCESS) and Pcb.ThreadListHead (KPROCESS) start empty; filled by createThreads
    for (const l of ['ThreadListHead', 'Pcb.ThreadListHead']) {
      const a = o.body + BigInt(isf.off('_EPROCESS', l));
      w.set(l + '.Flink', a).set(l + '.Blink', a);
    }
    // full NT path of the image (SeAuditProcessCreationInfo.ImageFileName → OBJECT_NAME_INFORMATION)
    if (s.path) {
      const nt = '\\Device\\HarddiskVolume3' + s.path.slice(2);
      const oni = this.pp.alloc(isf.size('_OBJECT_NAME_INFORMATION') + (nt.length + 1) * 2, 'SeOn');
      const ob = Buffer.alloc(isf.size('_OBJECT_NAME_INFORMATION'));
      const ow = new StructWriter(isf, '_OBJECT_NAME_INFORMATION', ob);
      const strVa = oni + BigInt(ob.length);
      this.ustr(ow, 'Name', nt, strVa);
      this.ks.write(oni, ob);
      this.ks.write(strVa, Buffer.from(nt + '\0', 'utf16le'));
      w.set('SeAuditProcessCreationInfo.ImageFileName', oni);
      if (isf.has('_EPROCESS', 'ImageFilePointer')) w.set('ImageFilePointer', this.fileObject(s.path.slice(2)));
    }
    if (s.wow64) {
      // Win10: _EPROCESS.WoW64Process → _EWOW64PROCESS {Peb (32-bit PEB VA), Machine 0x14c}
      // Win7: _EPROCESS.Wow64Process → _WOW64_PROCESS whose first member is the PEB32 pointer
      const peb32 = this.peb32For(p);
      const field = isf.has('_EPROCESS', 'WoW64Process') ? 'WoW64Process' : 'Wow64Process';
      const sz = isf.hasType('_EWOW64PROCESS') ? isf.size('_EWOW64PROCESS') : 0x10;
      const wv = this.np.alloc(sz, 'PsWo');
      const wb = Buffer.alloc(sz);
      wb.writeBigUInt64LE(peb32, 0);
      if (isf.has('_EWOW64PROCESS', 'Machine')) new StructWriter(isf, '_EWOW64PROCESS', wb).set('Machine', 0x14c);
      this.ks.write(wv, wb);
      w.set(field, wv);
    }
    // VAD tree
    if (p.vads.length) this.writeVadTree(p, w);
    this.ks.write(o.body, buf);
    if (!s.exited) this.createThreads(p, r);
    truth.peb = addr(p.peb);
    return p;
  }

  peb32Addr = new Map<Proc, bigint>();
  peb32For(p: Proc): bigint {
    return this.peb32Addr.get(p) ?? 0n;
  }

  // ---- user space ------------------------------------------------------------------------------
  buildUserSpace(p: Proc, r: Rng): void {
    const sp = p.space!;
    const s = p.spec;
    const isf = this.isf;
    const legacy = this.b.legacyLayout;
    const exited = !!s.exited;
    // User pages of an exited process are gone; its PEB pointer stays in the EPROCESS.
    const pebRegion = legacy ? 0x7fffffd0000n + BigInt(r.int(0, 8)) * 0x1000n : (BigInt(r.int(0x10, 0xff)) << 32n) + BigInt(r.int(0x100, 0xfff00)) * 0x1000n;
    p.peb = pebRegion;
    const nThreads = Math.max(1, s.threads);
    const tebSpan = 0x1000n + BigInt(nThreads) * 0x2000n;
    const heapBase = legacy ? 0x600000n + BigInt(r.int(0, 0x10)) * 0x10000n : 0x10000000000n + BigInt(r.int(0x100, 0xfff)) * 0x1000000n;
    const heapReserve = 0x100000n;
    const stackBase = legacy ? 0x100000n + BigInt(r.int(0, 8)) * 0x10000n : (BigInt(r.int(0x10, 0xff)) << 32n) + 0x80000000n + BigInt(r.int(0, 0x3ff)) * 0x100000n;
    const exeBase = s.wow64 ? 0x400000n : legacy ? 0xff000000n + BigInt(r.int(0, 0xef)) * 0x10000n : 0x7ff600000000n + BigInt(r.int(0, 0xffff)) * 0x10000n;
    p.imageBase = exeBase;
    // VADs common to every process
    p.vads.push({ start: pebRegion, end: pebRegion + tebSpan, protection: P_RW, vadType: VAD_NONE, priv: true, file: null });
    p.vads.push({ start: heapBase, end: heapBase + heapReserve, protection: P_RW, vadType: VAD_NONE, priv: true, file: null });
    p.vads.push({ start: stackBase, end: stackBase + 0x100000n, protection: P_RW, vadType: VAD_NONE, priv: true, file: null });
    p.vads.push({ start: 0x7ffe0000n, end: 0x7ffe1000n, protection: P_RO, vadType: VAD_NONE, priv: true, file: null });
    const localeBase = heapBase + 0x200000n;
    p.vads.push({ start: localeBase, end: localeBase + 0xc8000n, protection: P_RO, vadType: VAD_NONE, priv: false, file: '\\Windows\\System32\\locale.nls' });
    // modules: exe then DLLs (shared DLL bases are the same in every process, as on Windows)
    const mods: { name: string; path: string; base: bigint; size: number; hidden?: boolean }[] = [];
    const exeSize = r.int(8, 80) * 0x1000;
    mods.push({ name: s.path!.split('\\').pop()!, path: s.path!, base: exeBase, size: exeSize });
    for (const d of s.dlls) {
      const [name, path] = d.includes('@') ? d.split('@') : [d, SYS32 + d];
      mods.push({ name, path, ...this.dllPlacement(name, legacy) });
    }
    if (s.flags?.includes('hidden-dll')) mods.push({ name: 'inject64.dll', path: 'C:\\Users\\Public\\inject64.dll', base: legacy ? 0x10000000n : 0x180000000n, size: 0x1a000, hidden: true });
    for (const m of mods) p.vads.push({ start: m.base, end: m.base + BigInt(m.size), protection: P_EXEC_WC, vadType: VAD_IMAGE, priv: false, file: m.path.slice(2) });
    // injected private RWX region with a PE header (reflective loading / process hollowing residue)
    let inj: bigint | null = null;
    if (s.flags?.includes('injected-rwx-pe')) {
      inj = legacy ? 0x1f00000n + BigInt(r.int(0, 0x20)) * 0x10000n : 0x20000000000n + BigInt(r.int(0, 0xfff)) * 0x10000n;
      p.vads.push({ start: inj, end: inj + 0x5000n, protection: P_RWX, vadType: VAD_NONE, priv: true, file: null });
    }
    if (exited) {
      // MmCleanProcessAddressSpace has run: no VADs, no user pages; the EPROCESS and its PEB pointer remain
      p.vads = [];
      return;
    }
    // pages
    sp.map(0x7ffe0000n, this.sharedPfn, { user: true, write: false, nx: true });
    sp.map(pebRegion, this.mem.allocPage('user'), { user: true, nx: true });
    const heap = new UserHeap(sp, heapBase, heapReserve);
    p.heap = heap;
    sp.map(stackBase + 0xff000n, this.mem.allocPage('user'), { user: true, nx: true });
    sp.map(localeBase, this.mem.allocPage('user'), { user: true, write: false, nx: true });
    sp.write(localeBase, Buffer.from('\x80\x00\x00\x00NLS locale data', 'latin1'));
    for (const m of mods) {
      const pfn = this.mem.allocPage('user');
      sp.map(m.base, pfn, { user: true, write: false, nx: true });
      const pe = buildPe({
        imageBase: m.base,
        sizeOfImage: m.size,
        timeDateStamp: 0x50000000 + (hashStr(m.name) & 0x1fffffff),
        entryRva: 0x1000 + (hashStr(m.path) % Math.max(1, m.size / 2 - 0x1000)) & ~0xf,
        subsystem: m.name.toLowerCase().endsWith('.exe') ? 2 : 3,
        dll: !m.name.toLowerCase().endsWith('.exe'),
        pe32: !!s.wow64 && m === mods[0],
        sections: defaultSections(m.size - 0x1000),
      });
      sp.write(m.base, pe.headers);
      // a resident code page too
      sp.map(m.base + 0x1000n, this.mem.allocPage('user'), { user: true, write: false });
    }
    if (inj !== null) {
      for (let i = 0n; i < 5n; i++) sp.map(inj + i * 0x1000n, this.mem.allocPage('user'), { user: true, write: true, nx: false });
      const pe = buildPe({ imageBase: inj, sizeOfImage: 0x5000, timeDateStamp: 0x61a2b3c4, entryRva: 0x1230, subsystem: 2, dll: true, sections: defaultSections(0x4000) });
      sp.write(inj, pe.headers);
      sp.write(inj + 0x1000n, Buffer.from([0x48, 0x83, 0xec, 0x28, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x48, 0x83, 0xc4, 0x28, 0xc3]));
      this.injections.push({ pid: p.pid, start: addr(inj), end: addr(inj + 0x4fffn), protection: PROT_NAMES[P_RWX], peHeader: true });
    }
    // loader data + process parameters in the heap
    const ldrSize = isf.size('_PEB_LDR_DATA');
    const ldrVa = heap.alloc(ldrSize);
    const entType = '_LDR_DATA_TABLE_ENTRY';
    const entries: bigint[] = [];
    const listed = mods.filter((m) => !m.hidden);
    for (const m of listed) {
      const e = heap.alloc(isf.size(entType));
      const full = heap.wstr(m.path);
      const base = heap.wstr(m.name);
      const { buf, w } = this.struct(entType);
      w.set('DllBase', m.base).set('SizeOfImage', m.size).set('EntryPoint', m === mods[0] ? m.base + 0x1000n : m.base + 0x1100n);
      w.set('FullDllName.Length', full.len).set('FullDllName.MaximumLength', full.len + 2).set('FullDllName.Buffer', full.va);
      w.set('BaseDllName.Length', base.len).set('BaseDllName.MaximumLength', base.len + 2).set('BaseDllName.Buffer', base.va);
      if (isf.has(entType, 'ObsoleteLoadCount')) w.set('ObsoleteLoadCount', 0xffff);
      else if (isf.has(entType, 'LoadCount')) w.set('LoadCount', 0xffff);
      sp.write(e, buf);
      entries.push(e);
      p.truth.modules.push({ name: m.name, path: m.path, base: addr(m.base), size: m.size, ldrEntry: addr(e) });
    }
    p.truth.unlinkedModules = mods.filter((m) => m.hidden).map((m) => m.path);
    const lb = Buffer.alloc(ldrSize);
    const lw = new StructWriter(isf, '_PEB_LDR_DATA', lb);
    lw.set('Length', ldrSize).set('Initialized', 1);
    sp.write(ldrVa, lb);
    const ldrOff = (f: string): number => isf.off('_PEB_LDR_DATA', f);
    this.linkList(ldrVa + BigInt(ldrOff('InLoadOrderModuleList')), entries, isf.off(entType, 'InLoadOrderLinks'), sp);
    this.linkList(ldrVa + BigInt(ldrOff('InMemoryOrderModuleList')), entries, isf.off(entType, 'InMemoryOrderLinks'), sp);
    // initialization order omits the exe (it is not "initialized" as a DLL)
    this.linkList(ldrVa + BigInt(ldrOff('InInitializationOrderModuleList')), entries.slice(1), isf.off(entType, 'InInitializationOrderLinks'), sp);
    // RTL_USER_PROCESS_PARAMETERS (normalized: string buffers hold absolute pointers)
    const ppSize = isf.size('_RTL_USER_PROCESS_PARAMETERS');
    const ppVa = heap.alloc(ppSize);
    const { buf: pb, w: pw } = this.struct('_RTL_USER_PROCESS_PARAMETERS');
    const setU = (field: string, text: string): void => {
      const st = heap.wstr(text);
      pw.set(field + '.Length', st.len).set(field + '.MaximumLength', st.len + 2).set(field + '.Buffer', st.va);
    };
    pw.set('MaximumLength', ppSize).set('Length', ppSize).set('Flags', 1);
    setU('CurrentDirectory.DosPath', s.session === 1 ? 'C:\\Users\\alice\\' : 'C:\\Windows\\system32\\');
    setU('ImagePathName', s.path!);
    setU('CommandLine', s.cmd!);
    setU('WindowTitle', s.path!);
    setU('DesktopInfo', s.session === 1 ? 'Winsta0\\Default' : '');
    setU('DllPath', '');
    const env = ['ALLUSERSPROFILE=C:\\ProgramData', 'COMPUTERNAME=WS-ALICE-07', 'OS=Windows_NT', 'Path=C:\\Windows\\system32;C:\\Windows', 'SystemRoot=C:\\Windows', `USERNAME=${s.session === 1 ? 'alice' : 'SYSTEM'}`];
    const envBuf = Buffer.from(env.join('\0') + '\0\0', 'utf16le');
    // the environment block gets its own heap page, left in transition (standby list) as often seen
    heap.alloc(0, 0x1000);
    const envVa = heap.alloc(envBuf.length, 0x1000);
    sp.write(envVa, envBuf);
    heap.alloc(0, 0x1000);
    p.truth.transitionPages.push(addr(envVa));
    pw.set('Environment', envVa);
    p.truth.environment = env;
    if (isf.has('_RTL_USER_PROCESS_PARAMETERS', 'EnvironmentSize')) pw.set('EnvironmentSize', envBuf.length);
    sp.write(ppVa, pb);
    p.params = ppVa;
    // PEB
    const { buf: eb, w: ew } = this.struct('_PEB');
    ew.set('ImageBaseAddress', exeBase).set('Ldr', ldrVa).set('ProcessParameters', ppVa).set('ProcessHeap', heapBase);
    ew.set('OSMajorVersion', this.b.ntMajor).set('OSMinorVersion', this.b.ntMinor).set('OSBuildNumber', this.b.buildNumber);
    ew.set('NumberOfProcessors', this.numberProcessors);
    if (s.session !== null) ew.set('SessionId', s.session);
    sp.write(pebRegion, eb);
    if (s.wow64 && isf.hasType('_PEB32')) {
      // 32-bit PEB of a WoW64 process, just below the 64-bit PEB's region
      const peb32 = pebRegion + tebSpan;
      p.vads[0].end += 0x1000n;
      sp.map(peb32, this.mem.allocPage('user'), { user: true, nx: true });
      const { buf: b32, w: w32 } = this.struct('_PEB32');
      w32.set('ImageBaseAddress', Number(exeBase));
      sp.write(peb32, b32);
      this.peb32Addr.set(p, peb32);
    }
  }

  dllBases = new Map<string, { base: bigint; size: number }>();
  dllCursor = 0n;
  dllPlacement(name: string, legacy: boolean): { base: bigint; size: number } {
    const k = name.toLowerCase();
    let hit = this.dllBases.get(k);
    if (!hit) {
      const r = this.rng.fork('dll:' + k);
      if (this.dllCursor === 0n) this.dllCursor = legacy ? 0x77000000n : 0x7ffc00000000n + BigInt(this.rng.fork('dllbase').int(0, 0x3ff)) * 0x1000000n;
      const size = r.int(0x20, 0x1a0) * 0x1000;
      hit = { base: this.dllCursor, size };
      this.dllCursor += BigInt(Math.ceil((size + 0x10000) / 0x10000) * 0x10000);
      if (k === 'ntdll.dll') this.ntdllBase = hit.base;
      this.dllBases.set(k, hit);
    }
    return hit;
  }

  injections: Truth['injections'] = [];

  // ---- VAD tree (balanced BST by address) ------------------------------------------------------
  writeVadTree(p: Proc, ew: StructWriter): void {
    const isf = this.isf;
    const sorted = [...p.vads].sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) throw new Error(`generator: overlapping VADs in ${p.spec.name}`);
    const legacy = !isf.has('_MMVAD_SHORT', 'VadNode');
    const nodes = sorted.map((v) => this.allocVad(v, p));
    // truth
    p.truth.vads = sorted.map((v, i) => ({
      start: addr(v.start),
      end: addr(v.end - 1n),
      protection: v.protection,
      protectionName: PROT_NAMES[v.protection],
      type: v.vadType === VAD_IMAGE ? 'image' : v.priv ? 'private' : 'mapped',
      vadType: v.vadType,
      privateMemory: v.priv,
      fileName: v.file,
      va: addr(nodes[i].va),
      tag: nodes[i].tag,
    }));
    const build = (lo: number, hi: number, parent: bigint): bigint => {
      if (lo > hi) return 0n;
      const mid = (lo + hi) >> 1;
      const n = nodes[mid];
      const left = build(lo, mid - 1, n.va);
      const right = build(mid + 1, hi, n.va);
      if (legacy) {
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'u1')), parent);
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'LeftChild')), left);
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'RightChild')), right);
      } else {
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'VadNode.Left')), left);
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'VadNode.Right')), right);
        this.ks64(n.va + BigInt(isf.off('_MMVAD_SHORT', 'VadNode.ParentValue')), parent);
      }
      return n.va;
    };
    if (legacy) {
      // Win7 _MM_AVL_TABLE: the embedded BalancedRoot's RightChild is the real root
      const rootNode = p.eproc + BigInt(isf.off('_EPROCESS', 'VadRoot.BalancedRoot'));
      const root = build(0, nodes.length - 1, rootNode);
      ew.set('VadRoot.BalancedRoot.RightChild', root).set('VadRoot.BalancedRoot.u1.Parent', rootNode);
      ew.set('VadRoot.NumberGenericTableElements', nodes.length).set('VadRoot.DepthOfTree', Math.ceil(Math.log2(nodes.length + 1)));
    } else {
      const root = build(0, nodes.length - 1, 0n);
      ew.set('VadRoot.Root', root);
      if (isf.has('_EPROCESS', 'VadRoot.NumberGenericTableElements')) ew.set('VadRoot.NumberGenericTableElements', nodes.length);
      if (isf.has('_EPROCESS', 'VadCount')) ew.set('VadCount', nodes.length);
    }
  }

  allocVad(v: VadSpec, p: Proc): { va: bigint; tag: string } {
    const isf = this.isf;
    const long = v.file !== null;
    const type = long ? '_MMVAD' : '_MMVAD_SHORT';
    const tag = long ? 'Vad ' : 'VadS';
    const va = this.np.alloc(isf.size(type), tag);
    const { buf, w } = this.struct(type);
    const core = long && isf.has('_MMVAD', 'Core') ? 'Core.' : ''; // Win7 _MMVAD repeats the short fields inline
    const sv = v.start >> 12n;
    const ev = (v.end - 1n) >> 12n;
    if (isf.has('_MMVAD_SHORT', 'StartingVpnHigh')) {
      w.set(core + 'StartingVpn', sv & 0xffffffffn).set(core + 'StartingVpnHigh', sv >> 32n);
      w.set(core + 'EndingVpn', ev & 0xffffffffn).set(core + 'EndingVpnHigh', ev >> 32n);
    } else {
      w.set(core + 'StartingVpn', sv).set(core + 'EndingVpn', ev);
    }
    w.set(core + 'u.VadFlags.VadType', v.vadType).set(core + 'u.VadFlags.Protection', v.protection);
    if (isf.has('_MMVAD_SHORT', 'u.VadFlags.PrivateMemory')) w.set(core + 'u.VadFlags.PrivateMemory', v.priv ? 1 : 0);
    if (long) {
      const fo = this.fileObject(v.file!);
      const ca = this.np.alloc(isf.size('_CONTROL_AREA'), 'MmCa');
      const { buf: cb, w: cw } = this.struct('_CONTROL_AREA');
      cw.set('FilePointer.Value', fo | 0x5n).set('NumberOfMappedViews', 1).set('NumberOfUserReferences', 1);
      if (isf.has('_CONTROL_AREA', 'u.Flags.File')) cw.set('u.Flags.File', 1);
      if (v.vadType === VAD_IMAGE && isf.has('_CONTROL_AREA', 'u.Flags.Image')) cw.set('u.Flags.Image', 1);
      this.ks.write(ca, cb);
      const sub = this.np.alloc(isf.size('_SUBSECTION'), 'MmSt');
      const { buf: sb, w: sw } = this.struct('_SUBSECTION');
      sw.set('ControlArea', ca).set('PtesInSubsection', Number((v.end - v.start) >> 12n));
      this.ks.write(sub, sb);
      w.set('Subsection', sub);
      if (isf.has('_MMVAD', 'VadsProcess')) w.set('VadsProcess', p.eproc);
    }
    this.ks.write(va, buf);
    return { va, tag };
  }

  // ---- threads ---------------------------------------------------------------------------------
  createThreads(p: Proc, r: Rng): void {
    const isf = this.isf;
    const size = isf.size('_ETHREAD');
    const ethreads: bigint[] = [];
    const n = p.spec.threads;
    for (let i = 0; i < n; i++) {
      const o = this.om.create(this.np, 'Thread', size, 'Thre', { quota: true, handles: 1, pointers: 3 });
      const tid = r.int(0x20, 0x4000) * 4;
      const create = fileTime(BigInt(this.parseIso(p.create)) + BigInt(i * r.int(1000, 500000)));
      const { buf, w } = this.struct('_ETHREAD');
      w.set('Tcb.Header.Type', 6).set('Tcb.Header.Size', Math.floor(isf.size('_KTHREAD') / 4) & 0xff);
      w.set('Tcb.Process', p.eproc).set('Tcb.ApcState.Process', p.eproc).set('Tcb.State', 5);
      w.set('Cid.UniqueProcess', p.pid).set('Cid.UniqueThread', tid);
      w.set('CreateTime', ftValue(create));
      let start: bigint;
      let win32: bigint;
      let teb = 0n;
      if (!p.space) {
        start = this.sym(this.isf.hasSym('PspSystemThreadStartup') ? 'PspSystemThreadStartup' : 'KiSystemStartup');
        win32 = this.kernBase + BigInt(this.isf.sym(i % 2 ? 'ExpWorkerThread' : 'KeBalanceSetManager'));
      } else {
        start = this.ntdllBase + 0x1000n + BigInt(hashStr('RtlUserThreadStart') & 0xfff0);
        win32 = p.imageBase + 0x1000n;
        // an injected thread starts inside the private RWX region
        if (i === n - 1 && p.spec.flags?.includes('injected-rwx-pe')) win32 = BigInt(this.injections.find((x) => x.pid === p.pid)!.start) + 0x1000n;
        teb = p.peb + 0x1000n + BigInt(i) * 0x2000n;
        p.space.map(teb, this.mem.allocPage('user'), { user: true, nx: true });
        const { buf: tb, w: tw } = this.struct('_TEB');
        tw.set('NtTib.Self', teb).set('NtTib.StackBase', 0x100000n).set('ClientId.UniqueProcess', p.pid).set('ClientId.UniqueThread', tid).set('ProcessEnvironmentBlock', p.peb);
        p.space.write(teb, tb.subarray(0, Math.min(tb.length, 0x2000)).subarray(0, 0x1000));
      }
      w.set('StartAddress', start).set('Win32StartAddress', win32).set('Tcb.Teb', teb);
      this.ks.write(o.body, buf);
      ethreads.push(o.body);
      p.truth.threads.push({ tid, pid: p.pid, ethread: addr(o.body), createTime: create, exitTime: null, startAddress: addr(start), win32StartAddress: addr(win32), teb: addr(teb), state: 5 });
    }
    this.linkList(p.eproc + BigInt(isf.off('_EPROCESS', 'ThreadListHead')), ethreads, isf.off('_ETHREAD', 'ThreadListEntry'));
    this.linkList(p.eproc + BigInt(isf.off('_EPROCESS', 'Pcb.ThreadListHead')), ethreads, isf.off('_ETHREAD', 'Tcb.ThreadListEntry'));
  }

  parseIso(t: TruthTime): bigint {
    return BigInt(t.filetime) / 10n - EPOCH_DIFF_US;
  }

  // ---- handles ---------------------------------------------------------------------------------
  createHandles(p: Proc, r: Rng): void {
    const isf = this.isf;
    if (p.spec.exited) return; // an exited process has no ObjectTable
    const ht = this.pp.alloc(isf.size('_HANDLE_TABLE'), 'Obtb');
    const page = this.pp.allocPages(1); // level-0 table: one page of _HANDLE_TABLE_ENTRY
    const entSize = isf.size('_HANDLE_TABLE_ENTRY');
    const handles: TruthHandle[] = [];
    const add = (type: string, body: bigint, header: bigint, name: string, access: number, extra: Partial<TruthHandle> = {}): void => {
      const idx = handles.length + 1; // entry 0 is never a valid handle
      const eb = Buffer.alloc(entSize);
      const ew = new StructWriter(isf, '_HANDLE_TABLE_ENTRY', eb);
      if (isf.has('_HANDLE_TABLE_ENTRY', 'ObjectPointerBits')) {
        // Win8.1+: ObjectPointerBits = header VA >> 4 (sign-extended back when decoded), Unlocked bit 0
        ew.set('ObjectPointerBits', (header >> 4n) & ((1n << 44n) - 1n)).set('Unlocked', 1).set('RefCnt', 0x7fff);
        ew.set('GrantedAccessBits', access);
      } else {
        // Win7: Object = header VA | lock bit (0x1); GrantedAccess ULONG
        ew.set('Object', header | 1n).set('GrantedAccess', access);
      }
      this.ks.write(page + BigInt(idx * entSize), eb);
      handles.push({ value: idx * 4, type, name, grantedAccess: access, object: addr(body), objectHeader: addr(header), ...extra });
    };
    // File handles (the image directory / a log file)
    const files = p.pid === 4 ? ['\\$Extend\\$UsnJrnl:$J', '\\Windows\\System32\\config\\SYSTEM'] : [p.spec.path ? p.spec.path.slice(2).replace(/\\[^\\]+$/, '') : '\\Windows', '\\Windows\\System32\\en-US\\' + (p.spec.name.replace(/\.\w+$/, '') + '.mui')];
    for (const f of files) {
      const fo = this.fileObject(f);
      add('File', fo, fo - BigInt(isf.off('_OBJECT_HEADER', 'Body')), f, 0x100020);
    }
    // a named mutant and event
    const mname = p.spec.hidden ? 'Global\\wupd_mtx_7731' : `SM0:${p.pid}:304:WilStaging_02`;
    const mut = this.om.create(this.np, 'Mutant', isf.size('_KMUTANT'), 'Muta', { name: { text: mname, nameBuffer: this.kstr(mname) }, handles: 1 });
    this.ks.write(mut.body, Buffer.from([2])); // DISPATCHER_HEADER.Type = MutantObject
    add('Mutant', mut.body, mut.header, mname, 0x1f0001);
    const ename = `${p.spec.name.replace(/\.\w+$/, '')}_ShutdownEvent_${r.int(1000, 9999)}`;
    const ev = this.om.create(this.np, 'Event', isf.size('_KEVENT'), 'Even', { name: { text: ename, nameBuffer: this.kstr(ename) }, handles: 1 });
    this.ks.write(ev.body, Buffer.from([0])); // NotificationEvent
    add('Event', ev.body, ev.header, ename, 0x1f0003);
    // process / thread handles: parents hold their children; the injector holds explorer
    const hdrOf = (body: bigint): bigint => body - BigInt(isf.off('_OBJECT_HEADER', 'Body'));
    for (const c of this.procs.filter((q) => q.ppid === p.pid && q !== p).slice(0, 3)) {
      add('Process', c.eproc, hdrOf(c.eproc), `${c.truth.name}(${c.pid})`, 0x1fffff, { targetPid: c.pid });
      const th = c.truth.threads[0];
      if (th) add('Thread', BigInt(th.ethread), hdrOf(BigInt(th.ethread)), `TID ${th.tid} PID ${c.pid}`, 0x1fffff, { targetPid: c.pid, targetTid: th.tid });
    }
    if (p.spec.name === 'powershell.exe') {
      const victim = this.procs.find((q) => q.spec.flags?.includes('injected-rwx-pe'))!;
      add('Process', victim.eproc, hdrOf(victim.eproc), `${victim.truth.name}(${victim.pid})`, 0x1fffff, { targetPid: victim.pid });
    }
    const { buf, w } = this.struct('_HANDLE_TABLE');
    w.set('TableCode', page).set('QuotaProcess', p.pid === 4 ? 0n : p.eproc).set('UniqueProcessId', p.pid);
    w.set('NextHandleNeedingPool', (PAGE / entSize) * 4);
    if (isf.has('_HANDLE_TABLE', 'HandleCount')) w.set('HandleCount', handles.length);
    const l = ht + BigInt(isf.off('_HANDLE_TABLE', 'HandleTableList'));
    w.set('HandleTableList.Flink', l).set('HandleTableList.Blink', l);
    this.ks.write(ht, buf);
    this.ks64(p.eproc + BigInt(isf.off('_EPROCESS', 'ObjectTable')), ht);
    p.truth.handles = handles;
  }

  // ---- SSDT ------------------------------------------------------------------------------------
  ssdtTruth!: Truth['ssdt'];
  writeSsdt(): void {
    // KSERVICE_TABLE_DESCRIPTOR (x64): {PULONG Base; PULONG Count; ULONG64 Limit; PUCHAR Number}, 0x20 bytes.
    // KiServiceTable entries are LONGs: (target - KiServiceTable) << 4 | stack-argument count.
    const r = this.rng.fork('ssdt');
    const table = this.sym('KiServiceTable');
    // Win10+ kernels keep KiServiceLimit right after KiServiceTable: the gap is the real service count.
    // (Win7/8.1 place it elsewhere; there the per-build count from builds.ts is used.)
    const gap = (this.isf.sym('KiServiceLimit') - this.isf.sym('KiServiceTable')) / 4;
    const count = gap > 0 && gap <= 0x200 ? gap : this.b.serviceCount;
    const nt = this.isf.symbolsWithPrefix('Nt').filter(([n, rva]) => /^Nt[A-Z]/.test(n) && rva > 0x1000 && rva < this.imageSize - 0x2000);
    const hookIdx = Math.max(0, Math.min(count - 1, nt.findIndex(([n]) => n === 'NtQuerySystemInformation')));
    const rootkit = this.drivers.find((d) => d.suspicious)!;
    const entries: Truth['ssdt']['entries'] = [];
    const raw = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) {
      const [name, rva] = nt[i % nt.length];
      let target = this.kernBase + BigInt(rva);
      let hooked = false;
      let module = 'ntoskrnl.exe';
      let symbol: string | null = name;
      if (i === hookIdx) {
        target = rootkit.base + 0x1000n + BigInt(r.int(0x10, 0x800)) * 0x10n;
        hooked = true;
        module = rootkit.name;
        symbol = null;
      }
      const delta = target - table;
      if (delta >= 1n << 27n || delta < -(1n << 27n)) throw new Error('generator: SSDT target out of rel32>>4 range');
      const v = Number(BigInt.asIntN(32, (delta << 4n) | BigInt(r.int(0, 4))));
      raw.writeInt32LE(v, i * 4);
      entries.push({ index: i, raw: v, target: addr(target), symbol, module, hooked });
    }
    this.ks.write(table, raw);
    const desc = this.sym('KeServiceDescriptorTable');
    const d = Buffer.alloc(0x20);
    d.writeBigUInt64LE(table, 0);
    d.writeBigUInt64LE(BigInt(count), 0x10);
    if (this.isf.hasSym('KiArgumentTable')) d.writeBigUInt64LE(this.sym('KiArgumentTable'), 0x18);
    this.ks.write(desc, d);
    if (this.isf.hasSym('KeServiceDescriptorTableShadow')) this.ks.write(this.sym('KeServiceDescriptorTableShadow'), d);
    if (this.isf.hasSym('KiServiceLimit')) this.ks.u32(this.sym('KiServiceLimit'), count);
    this.ssdtTruth = { table: addr(table), descriptor: addr(desc), count, entries };
  }

  // ---- network endpoints (tcpip pool objects) --------------------------------------------------
  createEndpoints(): TruthEndpoint[] {
    const L = this.b.net;
    const r = this.rng.fork('net');
    const out: TruthEndpoint[] = [];
    const af = (family: number): bigint => {
      const va = this.np.alloc(L.inetafAddressFamily + 8, 'InNf');
      const b = Buffer.alloc(L.inetafAddressFamily + 8);
      b.writeUInt16LE(family, L.inetafAddressFamily);
      this.ks.write(va, b);
      return va;
    };
    const af4 = af(2);
    const af6 = af(0x17);
    const inAddr = (ip: string): bigint => {
      const va = this.np.alloc(16, 'InAd');
      this.ks.write(va, ipBytes(ip));
      return va;
    };
    const localAddress = (ip: string): bigint => {
      // _LOCAL_ADDRESS: pData (+0x10) → pointer → _IN_ADDR
      const ptr = this.np.alloc(8, 'IPpt');
      this.ks64(ptr, inAddr(ip));
      const la = this.np.alloc(L.localAddressPData + 8, 'IPla');
      this.ks64(la + BigInt(L.localAddressPData), ptr);
      return la;
    };
    const proc = (name: string): Proc => this.procs.find((p) => p.spec.name === name)!;
    // Volatility's table sizes undercount (members lie past 'size'): allocate up to the last member
    const span = (o: Record<string, number>): number => Math.max(o.size, ...Object.entries(o).filter(([k]) => k !== 'size').map(([, v]) => v + 8));
    const sz = { tcpE: span(L.tcpE), tcpL: span(L.tcpL), udpA: span(L.udpA) };
    const be16 = (v: number): Buffer => Buffer.from([v >> 8, v & 0xff]);
    const add = (e: { proto: TruthEndpoint['protocol']; local: string; lport: number; remote?: string; rport?: number; state?: string; owner: Proc }): void => {
      const v6 = e.proto.endsWith('6');
      const created = fileTime(this.parseIso(e.owner.create) + BigInt(r.int(1000000, 60000000)));
      let va: bigint;
      let tag: string;
      if (e.proto.startsWith('TCP') && e.state !== 'LISTENING') {
        tag = L.tcpTag;
        va = this.np.alloc(sz.tcpE, tag);
        const b = Buffer.alloc(sz.tcpE);
        const ai = this.np.alloc(0x18, 'TcpI');
        this.ks64(ai, localAddress(e.local));
        this.ks64(ai + BigInt(L.addrInfoRemote), inAddr(e.remote!));
        b.writeBigUInt64LE(v6 ? af6 : af4, L.tcpE.InetAF);
        b.writeBigUInt64LE(ai, L.tcpE.AddrInfo);
        b.writeUInt32LE(TCP_STATES[e.state!], L.tcpE.State);
        be16(e.lport).copy(b, L.tcpE.LocalPort);
        be16(e.rport!).copy(b, L.tcpE.RemotePort);
        b.writeBigUInt64LE(e.owner.eproc, L.tcpE.Owner);
        b.writeBigUInt64LE(ftValue(created), L.tcpE.CreateTime);
        this.ks.write(va, b);
      } else if (e.proto.startsWith('TCP')) {
        tag = 'TcpL';
        // the SMB listener ends flush with its pool page, and the next physical page is free
        va = e.lport === 445 ? this.np.allocAtPageEnd(sz.tcpL, tag) : this.np.alloc(sz.tcpL, tag);
        const b = Buffer.alloc(sz.tcpL);
        b.writeBigUInt64LE(v6 ? af6 : af4, L.tcpL.InetAF);
        b.writeBigUInt64LE(e.owner.eproc, L.tcpL.Owner);
        b.writeBigUInt64LE(ftValue(created), L.tcpL.CreateTime);
        b.writeBigUInt64LE(localAddress(e.local), L.tcpL.LocalAddr);
        be16(e.lport).copy(b, L.tcpL.Port);
        this.ks.write(va, b);
      } else {
        tag = 'UdpA';
        va = this.np.alloc(sz.udpA, tag);
        const b = Buffer.alloc(sz.udpA);
        b.writeBigUInt64LE(v6 ? af6 : af4, L.udpA.InetAF);
        b.writeBigUInt64LE(e.owner.eproc, L.udpA.Owner);
        b.writeBigUInt64LE(ftValue(created), L.udpA.CreateTime);
        let la: bigint;
        if (L.udpWin10) {
          la = this.np.alloc(8, 'IPla'); // _LOCAL_ADDRESS_WIN10_UDP.pData → _IN_ADDR
          this.ks64(la, inAddr(e.local));
        } else la = localAddress(e.local);
        b.writeBigUInt64LE(la, L.udpA.LocalAddr);
        be16(e.lport).copy(b, L.udpA.Port);
        this.ks.write(va, b);
      }
      out.push({
        protocol: e.proto,
        localAddr: e.local,
        localPort: e.lport,
        remoteAddr: e.remote ?? null,
        remotePort: e.rport ?? null,
        state: e.proto.startsWith('TCP') ? e.state! : null,
        pid: e.owner.pid,
        owner: e.owner.truth.name,
        va: addr(va),
        tag,
        createTime: created,
      });
    };
    const svcs = this.procs.filter((p) => p.spec.name === 'svchost.exe');
    const sys = proc('System');
    const myIp = `192.168.${r.int(0, 9)}.${r.int(10, 200)}`;
    add({ proto: 'TCPv4', local: '0.0.0.0', lport: 135, state: 'LISTENING', owner: svcs[1] });
    add({ proto: 'TCPv6', local: '::', lport: 135, state: 'LISTENING', owner: svcs[1] });
    add({ proto: 'TCPv4', local: '0.0.0.0', lport: 445, state: 'LISTENING', owner: sys });
    add({ proto: 'TCPv4', local: '0.0.0.0', lport: 49664, state: 'LISTENING', owner: proc('lsass.exe') });
    add({ proto: 'TCPv4', local: myIp, lport: r.int(49700, 60000), remote: '13.107.42.14', rport: 443, state: 'ESTABLISHED', owner: proc('explorer.exe') });
    add({ proto: 'TCPv4', local: myIp, lport: r.int(49700, 60000), remote: '203.0.113.50', rport: 8080, state: 'ESTABLISHED', owner: proc('powershell.exe') });
    add({ proto: 'TCPv4', local: myIp, lport: r.int(49700, 60000), remote: '185.220.101.7', rport: 4444, state: 'ESTABLISHED', owner: proc('winupd.exe') });
    add({ proto: 'TCPv4', local: myIp, lport: r.int(49700, 60000), remote: '198.51.100.23', rport: 80, state: 'CLOSE_WAIT', owner: proc('svch0st.exe') });
    add({ proto: 'UDPv4', local: '0.0.0.0', lport: 5353, owner: svcs[2] });
    add({ proto: 'UDPv4', local: myIp, lport: 137, owner: sys });
    add({ proto: 'UDPv6', local: '::', lport: 5355, owner: svcs[2] });
    return out;
  }

  // ---- KDBG ------------------------------------------------------------------------------------
  writeKdbg(): bigint {
    // KDDEBUGGER_DATA64 (wdbgexts.h), decoded form. Header DBGKD_DEBUG_DATA_HEADER64 {LIST_ENTRY64 List,
    // ULONG OwnerTag 'KDBG' @0x10, ULONG Size @0x14}; KernBase @0x18, PsLoadedModuleList @0x48,
    // PsActiveProcessHead @0x50, PspCidTable @0x58, ObpTypeObjectType @0xa0, MmPfnDatabase @0xc0,
    // MmPageSize @0x138, KiProcessorBlock @0x218, OffsetKThread{Teb,KernelStack,InitialStack,ApcProcess,
    // State} @0x29a..0x2a2, SizeEProcess @0x2a8, OffsetEprocessPeb @0x2aa, OffsetEprocessParentCID @0x2ac,
    // OffsetEprocessDirectoryTableBase @0x2ae, SizePrcb @0x2b0, SizeEThread @0x2c0 (checked against the
    // real KDBG in ../shared/images/windows-triage/triage_x64.dmp).
    const isf = this.isf;
    const va = this.sym('KdDebuggerDataBlock');
    const k = Buffer.alloc(this.b.kdbgSize);
    const listHead = isf.hasSym('KdpDebuggerDataListHead') ? this.sym('KdpDebuggerDataListHead') : va;
    k.writeBigUInt64LE(listHead, 0);
    k.writeBigUInt64LE(listHead, 8);
    if (listHead !== va) {
      this.ks64(listHead, va);
      this.ks64(listHead + 8n, va);
    }
    k.write('KDBG', 0x10, 'latin1');
    k.writeUInt32LE(this.b.kdbgSize, 0x14);
    k.writeBigUInt64LE(this.kernBase, 0x18);
    const q = (off: number, s: string): void => {
      if (isf.hasSym(s)) k.writeBigUInt64LE(this.sym(s), off);
    };
    q(0x20, 'RtlpBreakWithStatusInstruction');
    q(0x38, 'KiCallUserMode');
    q(0x40, 'KeUserCallbackDispatcher');
    q(0x48, 'PsLoadedModuleList');
    q(0x50, 'PsActiveProcessHead');
    q(0x58, 'PspCidTable');
    q(0x60, 'ExpSystemResourcesList');
    q(0x78, 'KeTimeIncrement');
    q(0x80, 'KeBugCheckCallbackListHead');
    q(0x90, 'IopErrorLogListHead');
    q(0x98, 'ObpRootDirectoryObject');
    q(0xa0, 'ObpTypeObjectType');
    q(0xc0, 'MmPfnDatabase');
    k.writeBigUInt64LE(0x1000n, 0x138);
    q(0x218, 'KiProcessorBlock');
    const h = (off: number, v: number): void => void k.writeUInt16LE(v & 0xffff, off);
    h(0x29a, isf.off('_KTHREAD', 'Teb'));
    h(0x29c, isf.off('_KTHREAD', 'KernelStack'));
    h(0x29e, isf.off('_KTHREAD', 'InitialStack'));
    h(0x2a0, isf.off('_KTHREAD', 'ApcState') + isf.off('_KAPC_STATE', 'Process'));
    h(0x2a2, isf.off('_KTHREAD', 'State'));
    h(0x2a8, isf.size('_EPROCESS'));
    h(0x2aa, isf.off('_EPROCESS', 'Peb'));
    h(0x2ac, isf.off('_EPROCESS', 'InheritedFromUniqueProcessId'));
    h(0x2ae, isf.off('_EPROCESS', 'Pcb.DirectoryTableBase'));
    h(0x2b0, isf.size('_KPRCB'));
    h(0x2c0, isf.size('_ETHREAD'));
    if (this.encodeKdbg) {
      if (this.b.legacyLayout) throw new Error('generator: KDBG encoding exists from Windows 8 on');
      this.encodeKdbgBlock(k, va);
    }
    this.ks.write(va, k);
    this.kdbgPa = this.ks.translate(va)!;
    return va;
  }
  kdbgPa = 0;
  encodeKdbg = false;
  waitNever = 0n;
  waitAlways = 0n;

  /**
   * KdCopyDataBlock's encoding (Win8+): stored = ror64(bswap64(plain ^ KiWaitAlways) ^ &KdDebuggerDataBlock,
   * KiWaitNever & 0xff) ^ KiWaitNever, per qword — the inverse of the decode Volatility applies
   * (rol(e ^ never, never & 0xff) ^ block, bswap, ^ always; cf. its KTIMER DPC decoding). KdpDataBlockEncoded = 1.
   */
  encodeKdbgBlock(k: Buffer, va: bigint): void {
    const M = (1n << 64n) - 1n;
    const rot = this.waitNever & 0x3fn;
    for (let i = 0; i + 8 <= k.length; i += 8) {
      let v = k.readBigUInt64LE(i) ^ this.waitAlways;
      v = bswap64(v) ^ va;
      v = ((v >> rot) | (v << (64n - rot))) & M;
      k.writeBigUInt64LE(v ^ this.waitNever, i);
    }
    if (this.isf.hasSym('KdpDataBlockEncoded')) this.ks.write(this.sym('KdpDataBlockEncoded'), Buffer.from([1]));
  }

  // ---- low stub (x64 PROCESSOR_START_BLOCK below 1 MiB) ----------------------------------------
  writeLowStub(): number {
    // First qword & 0xffffffffffff00ff == 0x00000001000600E9 (jmp + CompletionFlag...), LmTarget (kernel
    // entry) at +0x70, ProcessorState.SpecialRegisters.Cr3 at +0xA0 — the signature Volatility's
    // windows stacker and the field notes describe.
    const r = this.rng.fork('lowstub');
    const pfn = r.int(0x10, 0x9e);
    this.mem.claim(pfn, 'kernel');
    const page = this.mem.page(pfn);
    page.writeBigUInt64LE(0x00000001000600e9n | (BigInt(r.int(0x10, 0xff)) << 8n), 0);
    page.writeBigUInt64LE(this.kernelEntry(), 0x70);
    page.writeBigUInt64LE(BigInt(this.ks.dtb), 0xa0);
    return pfn * PAGE;
  }
  kernelEntry(): bigint {
    return this.kernBase + BigInt(this.isf.hasSym('KiSystemStartup') ? this.isf.sym('KiSystemStartup') : 0x1000);
  }

  // ---- hostile variant: corrupt kernel/user structures a parser must survive -------------------
  hostile = false;
  hostileTruth: Truth['hostile'] = null;

  applyHostile(): void {
    const isf = this.isf;
    const linked = this.procs.filter((p) => !p.spec.hidden);
    const links = (p: Proc): bigint => p.eproc + BigInt(isf.off('_EPROCESS', 'ActiveProcessLinks'));
    // 1. ActiveProcessLinks: the last process' Flink loops back to the second one (never reaches the head)
    const last = linked[linked.length - 1];
    this.ks64(links(last), links(linked[1]));
    // 2. VAD tree of explorer.exe: the rightmost node's right child is the root (a cycle)
    const ex = this.procs.find((p) => p.spec.name === 'explorer.exe')!;
    const vads = ex.truth.vads;
    const root = BigInt(vads[(vads.length - 1) >> 1].va);
    const rightmost = BigInt(vads[vads.length - 1].va);
    const rightField = isf.has('_MMVAD_SHORT', 'VadNode') ? 'VadNode.Right' : 'RightChild';
    this.ks64(rightmost + BigInt(isf.off('_MMVAD_SHORT', rightField)), root);
    // 3. notepad.exe's handle table claims level 3 (TableCode low bits), which does not exist
    const np = this.procs.find((p) => p.spec.name === 'notepad.exe')!;
    const ht = BigInt(this.ks.read(np.eproc + BigInt(isf.off('_EPROCESS', 'ObjectTable')), 8).readBigUInt64LE(0));
    const tc = ht + BigInt(isf.off('_HANDLE_TABLE', 'TableCode'));
    this.ks64(tc, this.ks.read(tc, 8).readBigUInt64LE(0) | 3n);
    // 4. the first svchost.exe's CommandLine: Length 0xfffe, Buffer in unmapped user memory
    const sv = this.procs.find((p) => p.spec.name === 'svchost.exe')!;
    const cl = sv.params! + BigInt(isf.off('_RTL_USER_PROCESS_PARAMETERS', 'CommandLine'));
    const u = Buffer.alloc(16);
    u.writeUInt16LE(0xfffe, 0);
    u.writeUInt16LE(0xfffe, 2);
    u.writeBigUInt64LE(0x10n, 8);
    sv.space!.write(cl, u);
    this.hostileTruth = {
      cyclicProcessList: { from: addr(last.eproc), to: addr(linked[1].eproc) },
      cyclicVadTree: { pid: ex.pid, node: addr(rightmost), root: addr(root) },
      badHandleTableLevel: { pid: np.pid, tableCode: addr(this.ks.read(tc, 8).readBigUInt64LE(0)) },
      badCommandLine: { pid: sv.pid },
    };
  }

  // ---- page tables: self-map + shared kernel half ----------------------------------------------
  finalizePageTables(): void {
    const NX = 1n << 63n;
    for (const p of this.procs) for (const va of p.truth.transitionPages) p.space!.makeTransition(BigInt(va));
    this.ks.setPml4e(this.selfIdx, BigInt(this.ks.dtb) | 0x63n | NX);
    for (const p of this.procs) {
      if (!p.space) continue;
      for (let i = 256; i < 512; i++) p.space.setPml4e(i, this.ks.pml4e(i));
      p.space.setPml4e(this.selfIdx, BigInt(p.space.dtb) | 0x63n | NX);
    }
  }

  collect(network: TruthEndpoint[], kdbgVa: bigint, lowStub: number): BuiltSystem {
    const truth: BuiltSystem['truth'] = {
      generator: { version: GENERATOR_VERSION, build: this.b.id, kind: this.kind, sizeMiB: this.sizeMiB, seed: this.seed },
      build: { id: this.b.id, version: this.b.version, buildNumber: this.b.buildNumber, pdb: { guid: this.isf.guid, age: this.isf.age, database: this.isf.pdbName }, isfFile: this.b.isfFile, netscanTable: this.b.net.table },
      physical: {
        runs: this.mem.runs.map((r) => ({ basePage: addr(r.basePage), pageCount: r.pageCount })),
        numberOfPages: this.mem.runs.reduce((s, r) => s + r.pageCount, 0),
        maxAddress: addr(this.mem.endPfn * PAGE),
        lowStubPa: addr(lowStub),
      },
      kernel: {
        kernBase: addr(this.kernBase),
        sizeOfImage: this.imageSize,
        dtb: addr(this.ks.dtb),
        selfRefIndex: this.selfIdx,
        pteBase: addr(0xffff000000000000n | (BigInt(this.selfIdx) << 39n)),
        kdbg: { va: addr(kdbgVa), size: this.b.kdbgSize, encoded: this.encodeKdbg, pa: addr(this.kdbgPa), kiWaitNever: addr(this.waitNever), kiWaitAlways: addr(this.waitAlways) },
        psActiveProcessHead: addr(this.sym('PsActiveProcessHead')),
        psLoadedModuleList: addr(this.sym('PsLoadedModuleList')),
        obHeaderCookie: this.cookie,
        kernelEntry: addr(this.kernelEntry()),
        largePages: true,
        nonPagedPool: addr(this.nonPagedBase),
        pagedPool: addr(this.pagedBase),
        numberProcessors: this.numberProcessors,
      },
      objectTypes: this.typeObjects.map((t) => ({ index: t.index, name: t.name, va: addr(t.va) })),
      processes: this.procs.map((p) => p.truth),
      drivers: this.drivers.map((d) => ({ name: d.name, path: d.path, base: addr(d.base), size: d.size, ldrEntry: addr(d.ldr), suspicious: d.suspicious })),
      ssdt: this.ssdtTruth,
      network,
      injections: this.injections,
      hostile: this.hostileTruth,
    };
    return {
      mem: this.mem,
      truth,
      build: this.b,
      isf: this.isf,
      kernBase: this.kernBase,
      dtb: this.ks.dtb,
      kdbgVa,
      psActiveProcessHead: this.sym('PsActiveProcessHead'),
      psLoadedModuleList: this.sym('PsLoadedModuleList'),
      pfnDatabaseVa: this.isf.hasSym('MmPfnDatabase') ? this.sym('MmPfnDatabase') : 0n,
      numberProcessors: this.numberProcessors,
      bootMicros: this.bootMicros,
      dumpMicros: this.dumpMicros,
    };
  }
}

function bswap64(v: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b.readBigUInt64BE(0);
}

function hashStr(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function ipBytes(ip: string): Buffer {
  if (ip.includes(':')) {
    const b = Buffer.alloc(16);
    if (ip === '::') return b;
    const [head, tail] = ip.split('::');
    const hs = head ? head.split(':') : [];
    const ts = tail ? tail.split(':') : [];
    const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
    return b;
  }
  const b = Buffer.alloc(16);
  ip.split('.').forEach((x, i) => (b[i] = Number(x)));
  return b;
}

// re-exported for the README/tests
export type { TruthModule, TruthThread };

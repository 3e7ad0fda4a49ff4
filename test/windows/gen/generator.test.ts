// Tests of the synthetic Windows dump generator itself: determinism, headers read back with a tiny
// reader written here (independent of lib/image/formats/windows*), page tables translating to the
// structures the truth names (through the generic lib/arch paging walker), and truth covering every table.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X86_64Space } from '../../../lib/arch/x86_64';
import type { PhysicalMemory, PhysRange } from '../../../lib/image/physical';
import { generateWindowsDump, Generated, BuildId } from './index';
import { BUILDS } from './builds';
import { loadIsf, Isf } from './isf';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-wingen-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Minimal physical-memory view over a generated file: raw (flat), full (runs) or bitmap dumps. */
class TinyPhys implements PhysicalMemory {
  readonly format: string;
  readonly ranges: PhysRange[] = [];
  readonly info = {};
  private fd: number;
  private map = new Map<number, number>(); // pfn → file offset
  readonly header: Buffer;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'r');
    this.header = Buffer.alloc(0x2000);
    fs.readSync(this.fd, this.header, 0, 0x2000, 0);
    const size = fs.fstatSync(this.fd).size;
    if (this.header.toString('latin1', 0, 8) !== 'PAGEDU64') {
      this.format = 'raw';
      for (let p = 0; p < size / 4096; p++) this.map.set(p, p * 4096);
      this.computeRanges();
      return;
    }
    const type = this.header.readUInt32LE(0xf98);
    if (type === 1) {
      this.format = 'full';
      const n = this.header.readUInt32LE(0x88);
      let off = 0x2000;
      for (let i = 0; i < n; i++) {
        const base = Number(this.header.readBigUInt64LE(0x98 + i * 16));
        const count = Number(this.header.readBigUInt64LE(0xa0 + i * 16));
        for (let k = 0; k < count; k++) this.map.set(base + k, off + k * 4096);
        off += count * 4096;
      }
    } else {
      this.format = 'bitmap';
      const sh = Buffer.alloc(0x38);
      fs.readSync(this.fd, sh, 0, 0x38, 0x2000);
      const first = Number(sh.readBigUInt64LE(0x20));
      const bits = Number(sh.readBigUInt64LE(0x30));
      const bm = Buffer.alloc(Math.ceil(bits / 8));
      fs.readSync(this.fd, bm, 0, bm.length, 0x2038);
      let off = first;
      for (let p = 0; p < bits; p++)
        if (bm[p >> 3] & (1 << (p & 7))) {
          this.map.set(p, off);
          off += 4096;
        }
    }
    this.computeRanges();
  }
  get source(): never {
    throw new Error('not used');
  }
  has(pfn: number): boolean {
    return this.map.has(pfn);
  }
  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    let done = 0;
    while (done < length) {
      const a = paddr + done;
      const off = this.map.get(Math.floor(a / 4096));
      if (off === undefined) return false;
      const n = Math.min(4096 - (a % 4096), length - done);
      fs.readSync(this.fd, target, targetOffset + done, n, off + (a % 4096));
      done += n;
    }
    return true;
  }
  page(pfn: number): Buffer | null {
    const b = Buffer.alloc(4096);
    return this.readPhys(pfn * 4096, b, 0, 4096) ? b : null;
  }
  close(): void {
    fs.closeSync(this.fd);
  }
  /** contiguous present-PFN ranges (the paging walker bounds table reads by them) */
  private computeRanges(): void {
    const pfns = [...this.map.keys()].sort((a, b) => a - b);
    for (const p of pfns) {
      const last = this.ranges[this.ranges.length - 1];
      if (last && last.end === p * 4096) last.end += 4096;
      else this.ranges.push({ start: p * 4096, end: p * 4096 + 4096, ram: true });
    }
  }
}

const B = (s: string): bigint => BigInt(s);

async function gen(build: BuildId, kind: 'full' | 'raw' | 'bitmap' | 'kernel-bitmap', seed = 11, sizeMiB = 64): Promise<Generated> {
  return generateWindowsDump({ build, kind, sizeMiB, seed, out: path.join(dir, `${build}-${kind}-${seed}-${sizeMiB}.dmp`) });
}

/** Structure checks through page tables, shared by all builds and kinds. */
function checkThroughPaging(g: Generated, isf: Isf, mem: TinyPhys): void {
  const t = g.truth;
  const ks = new X86_64Space(mem, Number(B(t.kernel.dtb)));
  // ntoskrnl PE header at KernBase with a CodeView RSDS record naming the ISF's GUID and age
  const mz = ks.read(B(t.kernel.kernBase), 0x1000)!;
  expect(mz.toString('latin1', 0, 2)).toBe('MZ');
  const nt = mz.readUInt32LE(0x3c);
  expect(mz.toString('latin1', nt, nt + 4)).toBe('PE\0\0');
  const ddir = nt + 24 + 112;
  const dbgRva = mz.readUInt32LE(ddir + 6 * 8);
  const dbg = ks.read(B(t.kernel.kernBase) + BigInt(dbgRva), 28)!;
  expect(dbg.readUInt32LE(12)).toBe(2);
  const cv = ks.read(B(t.kernel.kernBase) + BigInt(dbg.readUInt32LE(20)), 24)!;
  expect(cv.toString('latin1', 0, 4)).toBe('RSDS');
  const g16 = cv.subarray(4, 20);
  const guid = (g16.readUInt32LE(0).toString(16).padStart(8, '0') + g16.readUInt16LE(4).toString(16).padStart(4, '0') + g16.readUInt16LE(6).toString(16).padStart(4, '0') + g16.subarray(8).toString('hex')).toUpperCase();
  expect(guid).toBe(isf.guid);
  expect(cv.readUInt32LE(20)).toBe(isf.age);
  // KDBG (decoded)
  const kd = ks.read(B(t.kernel.kdbg.va), 0x60)!;
  expect(kd.toString('latin1', 0x10, 0x14)).toBe('KDBG');
  expect(kd.readBigUInt64LE(0x18)).toBe(B(t.kernel.kernBase));
  expect(kd.readBigUInt64LE(0x48)).toBe(B(t.kernel.psLoadedModuleList));
  expect(kd.readBigUInt64LE(0x50)).toBe(B(t.kernel.psActiveProcessHead));
  expect(B(t.kernel.kdbg.va) - B(t.kernel.kernBase)).toBe(BigInt(isf.sym('KdDebuggerDataBlock')));
  // self-referencing PML4 entry
  const pml4 = Buffer.alloc(4096);
  expect(mem.readPhys(Number(B(t.kernel.dtb)), pml4, 0, 4096)).toBe(true);
  expect(Number(pml4.readBigUInt64LE(t.kernel.selfRefIndex * 8) & 0xffffffffff000n)).toBe(Number(B(t.kernel.dtb)));
  // the kernel image uses 2 MiB pages
  const big = [...ks.mappings(B(t.kernel.kernBase), B(t.kernel.kernBase) + 0x200000n)];
  expect(big[0].size).toBe(0x200000);
  // every EPROCESS translates; pid and name read back through the ISF offsets
  const off = (f: string): bigint => BigInt(isf.off('_EPROCESS', f));
  for (const p of t.processes) {
    const ep = B(p.eprocess);
    const pa = ks.translate(ep);
    expect(pa).not.toBeNull();
    expect(ks.read(ep + off('UniqueProcessId'), 8)!.readBigUInt64LE(0)).toBe(BigInt(p.pid));
    expect(ks.read(ep + off('InheritedFromUniqueProcessId'), 8)!.readBigUInt64LE(0)).toBe(BigInt(p.ppid));
    const name = ks.read(ep + off('ImageFileName'), 15)!;
    expect(name.toString('latin1', 0, name.indexOf(0))).toBe(p.name);
    // psscan view: the pool header carries the process tag
    const tag = ks.read(B(p.poolHeader) + BigInt(isf.off('_POOL_HEADER', 'PoolTag')), 4)!;
    expect(tag.toString('latin1', 0, 3)).toBe('Pro');
  }
  // walking PsActiveProcessHead finds exactly the linked processes
  const head = B(t.kernel.psActiveProcessHead);
  const seen: number[] = [];
  let cur = ks.read(head, 8)!.readBigUInt64LE(0);
  for (let i = 0; i < 1000 && cur !== head; i++) {
    const ep = cur - off('ActiveProcessLinks');
    seen.push(Number(ks.read(ep + off('UniqueProcessId'), 8)!.readBigUInt64LE(0)));
    cur = ks.read(cur, 8)!.readBigUInt64LE(0);
  }
  expect(seen).toEqual(t.processes.filter((p) => p.inActiveList).map((p) => p.pid));
  expect(t.processes.filter((p) => p.hidden).length).toBe(1);
  // loaded-module list = truth drivers, in order
  const ldrType = isf.hasType('_KLDR_DATA_TABLE_ENTRY') ? '_KLDR_DATA_TABLE_ENTRY' : '_LDR_DATA_TABLE_ENTRY';
  const dl = B(t.kernel.psLoadedModuleList);
  const bases: string[] = [];
  cur = ks.read(dl, 8)!.readBigUInt64LE(0);
  for (let i = 0; i < 1000 && cur !== dl; i++) {
    bases.push('0x' + ks.read(cur + BigInt(isf.off(ldrType, 'DllBase')), 8)!.readBigUInt64LE(0).toString(16).padStart(16, '0'));
    cur = ks.read(cur, 8)!.readBigUInt64LE(0);
  }
  expect(bases).toEqual(t.drivers.map((d) => d.base));
  // SSDT: entries decode to the truth targets; exactly one points into the suspicious driver
  const table = B(t.ssdt.table);
  const raw = ks.read(table, t.ssdt.count * 4)!;
  for (const e of t.ssdt.entries) expect('0x' + (table + (BigInt(raw.readInt32LE(e.index * 4)) >> 4n)).toString(16).padStart(16, '0')).toBe(e.target);
  const hooked = t.ssdt.entries.filter((e) => e.hooked);
  expect(hooked.length).toBe(1);
  const rk = t.drivers.find((d) => d.suspicious)!;
  expect(B(hooked[0].target) >= B(rk.base) && B(hooked[0].target) < B(rk.base) + BigInt(rk.size)).toBe(true);
  // network endpoints sit in pool blocks with their tag and point at the owner's EPROCESS
  for (const n of t.network) {
    const tag = ks.read(B(n.va) - 16n + BigInt(isf.off('_POOL_HEADER', 'PoolTag')), 4)!.toString('latin1');
    expect(tag).toBe(n.tag);
  }
}


/** Reads an ISF field (incl. bitfields) of a struct at `va`. */
function readField(ks: X86_64Space, isf: Isf, type: string, va: bigint, f: string): bigint {
  const r = isf.field(type, f);
  const b = ks.read(va + BigInt(r.offset), r.width)!;
  let v = r.width === 8 ? b.readBigUInt64LE(0) : r.width === 4 ? BigInt(b.readUInt32LE(0)) : r.width === 2 ? BigInt(b.readUInt16LE(0)) : BigInt(b[0]);
  if (r.type.kind === 'bitfield') v = (v >> BigInt(r.type.bit_position!)) & ((1n << BigInt(r.type.bit_length!)) - 1n);
  return v;
}

/** In-order walk of a process VAD tree (Win8+ _RTL_AVL_TREE or Win7 _MM_AVL_TABLE), decoded via the ISF. */
function walkVads(ks: X86_64Space, isf: Isf, eproc: bigint): { start: bigint; end: bigint; prot: number; vadType: number }[] {
  const legacy = !isf.has('_MMVAD_SHORT', 'VadNode');
  const root = legacy ? readField(ks, isf, '_EPROCESS', eproc, 'VadRoot.BalancedRoot.RightChild') : readField(ks, isf, '_EPROCESS', eproc, 'VadRoot.Root');
  const out: { start: bigint; end: bigint; prot: number; vadType: number }[] = [];
  const visit = (n: bigint, depth: number): void => {
    if (n === 0n || depth > 64) return;
    const l = readField(ks, isf, '_MMVAD_SHORT', n, legacy ? 'LeftChild' : 'VadNode.Left');
    const r = readField(ks, isf, '_MMVAD_SHORT', n, legacy ? 'RightChild' : 'VadNode.Right');
    visit(l, depth + 1);
    let sv = readField(ks, isf, '_MMVAD_SHORT', n, 'StartingVpn');
    let ev = readField(ks, isf, '_MMVAD_SHORT', n, 'EndingVpn');
    if (!legacy) {
      sv |= readField(ks, isf, '_MMVAD_SHORT', n, 'StartingVpnHigh') << 32n;
      ev |= readField(ks, isf, '_MMVAD_SHORT', n, 'EndingVpnHigh') << 32n;
    }
    out.push({ start: sv << 12n, end: (ev << 12n) | 0xfffn, prot: Number(readField(ks, isf, '_MMVAD_SHORT', n, 'u.VadFlags.Protection')), vadType: Number(readField(ks, isf, '_MMVAD_SHORT', n, 'u.VadFlags.VadType')) });
    visit(r, depth + 1);
  };
  visit(root, 0);
  return out;
}

async function checkUserSpace(build: BuildId, isf: Isf): Promise<void> {
  const g = await gen(build, 'raw');
  const mem = new TinyPhys(g.path);
  try {
    const t = g.truth;
    const ks = new X86_64Space(mem, Number(B(t.kernel.dtb)));
    for (const p of t.processes) {
      // VAD tree walk == truth VADs (every process that has VADs, also without user memory)
      const vads = walkVads(ks, isf, B(p.eprocess));
      expect(vads.map((v) => [addr16(v.start), addr16(v.end), v.prot, v.vadType])).toEqual(p.vads.map((v) => [v.start, v.end, v.protection, v.vadType]));
      if (!p.userMemoryPresent) continue;
      const us = new X86_64Space(mem, Number(B(p.dtb)));
      const peb = B(p.peb);
      const pp = us.read(peb + BigInt(isf.off('_PEB', 'ProcessParameters')), 8)!.readBigUInt64LE(0);
      const cl = us.read(pp + BigInt(isf.off('_RTL_USER_PROCESS_PARAMETERS', 'CommandLine')), 16)!;
      const s = us.read(cl.readBigUInt64LE(8), cl.readUInt16LE(0))!.toString('utf16le');
      expect(s).toBe(p.commandLine);
      expect(p.modules.length).toBeGreaterThan(0);
      expect(p.vads.length).toBeGreaterThan(3);
      expect(p.threads.length).toBeGreaterThan(0);
      expect(p.handles.length).toBeGreaterThan(0);
      // the PEB's InLoadOrder list == truth modules
      const ldr = us.read(peb + BigInt(isf.off('_PEB', 'Ldr')), 8)!.readBigUInt64LE(0);
      const head = ldr + BigInt(isf.off('_PEB_LDR_DATA', 'InLoadOrderModuleList'));
      const bases: string[] = [];
      let cur = us.read(head, 8)!.readBigUInt64LE(0);
      for (let i = 0; i < 100 && cur !== head; i++) {
        bases.push(addr16(us.read(cur + BigInt(isf.off('_LDR_DATA_TABLE_ENTRY', 'DllBase')), 8)!.readBigUInt64LE(0)));
        cur = us.read(cur, 8)!.readBigUInt64LE(0);
      }
      expect(bases).toEqual(p.modules.map((m) => m.base));
      expect(p.vads.some((v) => v.type === 'image' && v.fileName === p.imagePath!.slice(2))).toBe(true);
      expect(p.modules[0].path).toBe(p.imagePath);
    }
    // environment page: transition PTE — invisible to a plain walker, readable with windowsTransition
    const np = t.processes.find((q) => q.name === 'notepad.exe')!;
    const envVa = B(np.transitionPages[0]);
    expect(new X86_64Space(mem, Number(B(np.dtb))).translate(envVa)).toBeNull();
    const env = new X86_64Space(mem, Number(B(np.dtb)), { windowsTransition: true }).read(envVa, 0x400)!.toString('utf16le');
    expect(env.split('\0').slice(0, np.environment!.length)).toEqual(np.environment);
    const inj = t.injections[0];
    const victim = t.processes.find((p) => p.pid === inj.pid)!;
    const vs = new X86_64Space(mem, Number(B(victim.dtb)));
    expect(vs.read(B(inj.start), 2)!.toString('latin1')).toBe('MZ');
    expect(victim.vads.find((v) => v.start === inj.start)!.protectionName).toBe('PAGE_EXECUTE_READWRITE');
    // the kernel half is shared by every process address space
    expect(vs.translate(B(t.kernel.kernBase))).toBe(ks.translate(B(t.kernel.kernBase)));
    // handle table entries decode to the truth object headers and types
    const win8 = isf.has('_HANDLE_TABLE_ENTRY', 'ObjectPointerBits');
    const p = t.processes.find((q) => q.name === 'powershell.exe')!;
    const ht = ks.read(B(p.eprocess) + BigInt(isf.off('_EPROCESS', 'ObjectTable')), 8)!.readBigUInt64LE(0);
    const code = ks.read(ht + BigInt(isf.off('_HANDLE_TABLE', 'TableCode')), 8)!.readBigUInt64LE(0);
    expect(code & 3n).toBe(0n);
    for (const h of p.handles) {
      const e = ks.read(code + BigInt((h.value / 4) * 16), 16)!;
      const hdr = win8 ? ((e.readBigUInt64LE(0) >> 20n) << 4n) | 0xffff000000000000n : e.readBigUInt64LE(0) & ~7n;
      expect(addr16(hdr)).toBe(h.objectHeader);
      expect(win8 ? e.readUInt32LE(8) & 0x1ffffff : e.readUInt32LE(8)).toBe(h.grantedAccess);
      const ti = ks.read(hdr + BigInt(isf.off('_OBJECT_HEADER', 'TypeIndex')), 1)![0];
      const cookie = t.kernel.obHeaderCookie;
      const idx = cookie === null ? ti : ti ^ cookie ^ Number((hdr >> 8n) & 0xffn);
      expect(t.objectTypes.find((o) => o.index === idx)!.name).toBe(h.type);
    }
  } finally {
    mem.close();
  }
}

const addr16 = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

describe('windows dump generator', () => {
  let isf19041: Isf;
  beforeAll(async () => {
    isf19041 = await loadIsf(BUILDS['19041'].isfFile);
  });

  test('same seed → byte-identical dump; another seed → different dump', async () => {
    const a = await gen('19041', 'full', 5);
    const b = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 64, seed: 5, out: path.join(dir, 'again.dmp') });
    const c = await gen('19041', 'full', 6);
    expect(sha256(a.path)).toBe(sha256(b.path));
    expect(sha256(a.path)).not.toBe(sha256(c.path));
    expect(JSON.stringify({ ...a.truth, file: null })).toBe(JSON.stringify({ ...b.truth, file: null }));
  });

  test('19041 full: DUMP_HEADER64 fields read back', async () => {
    const g = await gen('19041', 'full');
    const h = Buffer.alloc(0x2000);
    const fd = fs.openSync(g.path, 'r');
    fs.readSync(fd, h, 0, 0x2000, 0);
    fs.closeSync(fd);
    const t = g.truth;
    expect(h.toString('latin1', 0, 8)).toBe('PAGEDU64');
    expect(h.readUInt32LE(0xf98)).toBe(1);
    expect(h.readUInt32LE(0x0c)).toBe(19041);
    expect(h.readBigUInt64LE(0x10)).toBe(B(t.kernel.dtb));
    expect(h.readBigUInt64LE(0x80)).toBe(B(t.kernel.kdbg.va));
    expect(h.readBigUInt64LE(0x28)).toBe(B(t.kernel.psActiveProcessHead));
    expect(h.readUInt32LE(0x30)).toBe(0x8664);
    const runs = h.readUInt32LE(0x88);
    expect(runs).toBe(t.physical.runs.length);
    let pages = 0;
    for (let i = 0; i < runs; i++) {
      expect(h.readBigUInt64LE(0x98 + i * 16)).toBe(B(t.physical.runs[i].basePage));
      expect(Number(h.readBigUInt64LE(0xa0 + i * 16))).toBe(t.physical.runs[i].pageCount);
      pages += t.physical.runs[i].pageCount;
    }
    // holes between runs (the memory map is not contiguous)
    expect(t.physical.runs.length).toBeGreaterThanOrEqual(3);
    expect(Number(h.readBigUInt64LE(0x90))).toBe(pages);
    expect(fs.statSync(g.path).size).toBe(0x2000 + pages * 4096);
    expect(Number(h.readBigUInt64LE(0xfa0))).toBe(fs.statSync(g.path).size);
    expect(t.dumpHeader!.dumpType).toBe(1);
  });

  test('19041 full: page tables translate the truth structures', async () => {
    const g = await gen('19041', 'full');
    const mem = new TinyPhys(g.path);
    try {
      checkThroughPaging(g, isf19041, mem);
    } finally {
      mem.close();
    }
  });

  test('19041 raw: low stub below 1 MiB names the DTB; same memory as the full dump', async () => {
    const g = await gen('19041', 'raw');
    const f = await gen('19041', 'full');
    const raw = new TinyPhys(g.path);
    const full = new TinyPhys(f.path);
    try {
      expect(raw.format).toBe('raw');
      expect(fs.statSync(g.path).size).toBe(Number(B(g.truth.physical.maxAddress)));
      let stub = -1;
      for (let pfn = 1; pfn < 0x100; pfn++) {
        const p = raw.page(pfn)!;
        if ((p.readBigUInt64LE(0) & 0xffffffffffff00ffn) === 0x00000001000600e9n) {
          stub = pfn;
          expect(p.readBigUInt64LE(0xa0)).toBe(B(g.truth.kernel.dtb));
          expect(p.readBigUInt64LE(0x70)).toBe(B(g.truth.kernel.kernelEntry));
          break;
        }
      }
      expect(stub * 4096).toBe(Number(B(g.truth.physical.lowStubPa)));
      // every present page of the full dump equals the raw image at the same physical address
      for (const r of f.truth.physical.runs)
        for (let k = 0; k < r.pageCount; k += 97) {
          const pfn = Number(B(r.basePage)) + k;
          expect(full.page(pfn)!.equals(raw.page(pfn)!)).toBe(true);
        }
      checkThroughPaging(g, isf19041, raw);
    } finally {
      raw.close();
      full.close();
    }
  });

  test('19041: user space — PEB, command line, loader list, VADs, injected RWX PE, handles', async () => {
    await checkUserSpace('19041', isf19041);
  });


  test('bitmap (FDMP, DumpType 5): summary header, bitmap, pages equal the raw twin', async () => {
    const b = await gen('19041', 'bitmap');
    const r = await gen('19041', 'raw');
    const bm = new TinyPhys(b.path);
    const raw = new TinyPhys(r.path);
    try {
      expect(bm.header.readUInt32LE(0xf98)).toBe(5);
      const sh = Buffer.alloc(0x38);
      const fd = fs.openSync(b.path, 'r');
      fs.readSync(fd, sh, 0, 0x38, 0x2000);
      fs.closeSync(fd);
      expect(sh.toString('latin1', 0, 8)).toBe('FDMPDUMP');
      const first = Number(sh.readBigUInt64LE(0x20));
      const pages = Number(sh.readBigUInt64LE(0x28));
      expect(first % 4096).toBe(0);
      expect(fs.statSync(b.path).size).toBe(first + pages * 4096);
      expect(pages).toBe(b.truth.physical.presentPages);
      expect(pages).toBeLessThan(b.truth.physical.numberOfPages); // free pages are left out
      let checked = 0;
      for (let pfn = 0; pfn < Number(sh.readBigUInt64LE(0x30)); pfn += 13)
        if (bm.has(pfn)) {
          expect(bm.page(pfn)!.equals(raw.page(pfn)!)).toBe(true);
          checked++;
        }
      expect(checked).toBeGreaterThan(100);
      checkThroughPaging(b, isf19041, bm);
      // edge case on purpose: the :445 listener ends flush with its pool page and the next PFN is absent
      const l = b.truth.network.find((n) => n.localPort === 445)!;
      const ks = new X86_64Space(bm, Number(B(b.truth.kernel.dtb)));
      const lpa = ks.translate(B(l.va))!;
      const blockEnd = B(l.va) - 16n + BigInt(ks.read(B(l.va) - 16n, 4)!.readUInt8(2) * 16);
      expect(blockEnd & 0xfffn).toBe(0n);
      expect(bm.has(Math.floor(lpa / 4096) + 1)).toBe(false);
    } finally {
      bm.close();
      raw.close();
    }
  });

  test('kernel-bitmap (SDMP, DumpType 6): kernel structures present, user pages absent', async () => {
    const g = await gen('19041', 'kernel-bitmap');
    const mem = new TinyPhys(g.path);
    try {
      expect(mem.header.readUInt32LE(0xf98)).toBe(6);
      checkThroughPaging(g, isf19041, mem);
      const p = g.truth.processes.find((q) => q.name === 'notepad.exe')!;
      expect(p.userMemoryPresent).toBe(false);
      expect(new X86_64Space(mem, Number(B(p.dtb))).read(B(p.peb), 8)).toBeNull();
    } finally {
      mem.close();
    }
  });

  for (const build of ['7601', '9600', '14393', '17763', '18362', '20348', '22000'] as BuildId[]) {
    test(`${build}: full dump translates the truth structures; raw twin user space, VADs, handles`, async () => {
      const isf = await loadIsf(BUILDS[build].isfFile);
      const g = await gen(build, 'full');
      expect(g.truth.build.pdb.guid).toBe(isf.guid);
      const mem = new TinyPhys(g.path);
      try {
        checkThroughPaging(g, isf, mem);
      } finally {
        mem.close();
      }
      await checkUserSpace(build, isf);
    });
  }


  test('19041 raw with encodeKdbg: KDBG stored encoded, decodes (rol/xor/bswap/xor) to the plain block', async () => {
    const g = await generateWindowsDump({ build: '19041', kind: 'raw', sizeMiB: 64, seed: 11, encodeKdbg: true, out: path.join(dir, 'enc.raw') });
    const plain = await gen('19041', 'raw');
    const mem = new TinyPhys(g.path);
    const pm = new TinyPhys(plain.path);
    try {
      const t = g.truth;
      expect(t.kernel.kdbg.encoded).toBe(true);
      const ks = new X86_64Space(mem, Number(B(t.kernel.dtb)));
      const va = B(t.kernel.kdbg.va);
      const enc = ks.read(va, t.kernel.kdbg.size)!;
      expect(enc.indexOf('KDBG')).toBe(-1);
      // the key values sit in the kernel image at the ISF's KiWaitNever / KiWaitAlways
      const kb = B(t.kernel.kernBase);
      const never = ks.read(kb + BigInt(isf19041.sym('KiWaitNever')), 8)!.readBigUInt64LE(0);
      const always = ks.read(kb + BigInt(isf19041.sym('KiWaitAlways')), 8)!.readBigUInt64LE(0);
      expect(addr16(never)).toBe(t.kernel.kdbg.kiWaitNever);
      const M = (1n << 64n) - 1n;
      const dec = Buffer.alloc(enc.length);
      for (let i = 0; i < enc.length; i += 8) {
        const n = never & 63n;
        let v = enc.readBigUInt64LE(i) ^ never;
        v = ((v << n) | (v >> (64n - n))) & M;
        v ^= va;
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(v);
        dec.writeBigUInt64LE(b.readBigUInt64LE(0) ^ always, i);
      }
      const pks = new X86_64Space(pm, Number(B(plain.truth.kernel.dtb)));
      expect(dec.equals(pks.read(B(plain.truth.kernel.kdbg.va), plain.truth.kernel.kdbg.size)!)).toBe(true);
      expect(dec.toString('latin1', 0x10, 0x14)).toBe('KDBG');
    } finally {
      mem.close();
      pm.close();
    }
  });


  test('hostile variant: exactly the listed corruptions, nothing else changes', async () => {
    const h = await generateWindowsDump({ build: '19041', kind: 'raw', sizeMiB: 64, seed: 11, hostile: true, out: path.join(dir, 'hostile.raw') });
    const plain = await gen('19041', 'raw');
    const hm = new TinyPhys(h.path);
    const pm = new TinyPhys(plain.path);
    try {
      const t = h.truth;
      const hs = t.hostile!;
      const ks = new X86_64Space(hm, Number(B(t.kernel.dtb)));
      const lo = BigInt(isf19041.off('_EPROCESS', 'ActiveProcessLinks'));
      expect(ks.read(B(hs.cyclicProcessList.from) + lo, 8)!.readBigUInt64LE(0)).toBe(B(hs.cyclicProcessList.to) + lo);
      expect(ks.read(B(hs.cyclicVadTree.node) + BigInt(isf19041.off('_MMVAD_SHORT', 'VadNode.Right')), 8)!.readBigUInt64LE(0)).toBe(B(hs.cyclicVadTree.root));
      expect(B(hs.badHandleTableLevel.tableCode) & 3n).toBe(3n);
      // only the pages holding those four fields differ from the plain twin
      let differing = 0;
      for (let pfn = 0; pfn < Number(B(t.physical.maxAddress)) / 4096; pfn++) if (!hm.page(pfn)!.equals(pm.page(pfn)!)) differing++;
      expect(differing).toBeGreaterThan(0);
      expect(differing).toBeLessThanOrEqual(4);
      expect(plain.truth.hostile).toBeNull();
      expect(JSON.stringify(t.processes)).toBe(JSON.stringify(plain.truth.processes));
    } finally {
      hm.close();
      pm.close();
    }
  });

  test('truth covers every table', async () => {
    const { truth: t } = await gen('19041', 'full');
    expect(t.processes.length).toBeGreaterThan(15);
    expect(t.processes.some((p) => p.wow64)).toBe(true);
    expect(t.processes.some((p) => p.exited && p.exitTime)).toBe(true);
    expect(t.processes.some((p) => p.unlinkedModules.length > 0)).toBe(true);
    expect(t.drivers.length).toBeGreaterThan(10);
    expect(t.drivers[0].name).toBe('ntoskrnl.exe');
    expect(new Set(t.network.map((n) => n.protocol))).toEqual(new Set(['TCPv4', 'TCPv6', 'UDPv4', 'UDPv6']));
    const pids = new Set(t.processes.map((p) => p.pid));
    for (const n of t.network) expect(pids.has(n.pid)).toBe(true);
    expect(t.network.some((n) => t.processes.find((p) => p.pid === n.pid)!.hidden)).toBe(true);
    expect(t.injections.length).toBe(1);
    expect(t.objectTypes.find((o) => o.name === 'Process')).toBeDefined();
    for (const p of t.processes) expect(new Date(p.createTime.iso).getTime()).toBeGreaterThan(0);
  });
});

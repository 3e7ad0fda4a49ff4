// Sparse model of guest physical memory plus x64 4-level page tables written into it.
// Layout followed: Intel SDM vol. 3A §4.5 (IA-32e paging): PML4E/PDPTE/PDE/PTE, bit 0 P, 1 R/W,
// 2 U/S, 5 A, 6 D, 7 PS (2 MiB page at PD level), 8 G, 63 XD; frame bits 51..12 (51..21 for 2 MiB).
// Only pages the generator writes are held in memory; everything else is produced while streaming.
import type { Rng } from './rng';

export type PageClass = 'kernel' | 'user';

export interface PhysRun {
  basePage: number;
  pageCount: number;
}

export const PAGE = 4096;

export class PhysModel {
  readonly pages = new Map<number, Buffer>();
  readonly cls = new Map<number, PageClass>();
  readonly runs: PhysRun[];
  readonly endPfn: number;
  private readonly used = new Set<number>();
  /** free pages pinned as free (zero in full/raw dumps, absent from bitmap dumps) */
  readonly forcedFree = new Set<number>();
  constructor(
    totalPages: number,
    private readonly rng: Rng,
  ) {
    // Shape of a real PC memory map (cf. the runs in _PHYSICAL_MEMORY_DESCRIPTOR of real dumps):
    // page 0 and 0xA0000..0xFFFFF (VGA/BIOS) absent, a small firmware hole and a larger reserved hole.
    const r: PhysRun[] = [{ basePage: 1, pageCount: 0x9e }];
    let left = totalPages - 0x9e;
    const first = 0x100;
    const a = Math.floor(left * 0.3) & ~0x1ff;
    r.push({ basePage: first, pageCount: a });
    left -= a;
    const second = first + a + 0x10; // 64 KiB firmware hole
    const b = Math.floor(left * 0.5) & ~0x1ff;
    r.push({ basePage: second, pageCount: b });
    left -= b;
    const third = (second + b + 0x800 + 0x1ff) & ~0x1ff; // ≥ 8 MiB reserved hole, run starts 2 MiB-aligned
    r.push({ basePage: third, pageCount: left });
    this.runs = r;
    this.endPfn = third + left;
  }

  isRam(pfn: number): boolean {
    for (const r of this.runs) if (pfn >= r.basePage && pfn < r.basePage + r.pageCount) return true;
    return false;
  }

  isUsed(pfn: number): boolean {
    return this.used.has(pfn);
  }

  /**
   * A random free RAM page at or above 1 MiB (scattered, like a real PFN allocator after uptime).
   * `freeSuccessor`: also pin the next PFN as a free page, so an object ending at this page's end is
   * followed by a page bitmap dumps leave out (readers must not assume the next PFN is present).
   */
  allocPage(cls: PageClass, freeSuccessor = false): number {
    const big = this.runs.slice(1);
    const total = big.reduce((s, r) => s + r.pageCount, 0);
    for (let tries = 0; tries < 10000; tries++) {
      let k = this.rng.int(0, total - 1);
      let pfn = -1;
      for (const r of big) {
        if (k < r.pageCount) {
          pfn = r.basePage + k;
          break;
        }
        k -= r.pageCount;
      }
      if (pfn >= 0 && !this.used.has(pfn) && !this.forcedFree.has(pfn)) {
        if (freeSuccessor && (this.used.has(pfn + 1) || !this.isRam(pfn + 1))) continue;
        this.claim(pfn, cls);
        if (freeSuccessor) this.forcedFree.add(pfn + 1);
        return pfn;
      }
    }
    throw new Error('generator: physical memory exhausted (increase sizeMiB)');
  }

  /** A free 2 MiB-aligned block of `count` pages (for large-page mappings). */
  allocLarge(count: number, cls: PageClass): number {
    const last = this.runs[this.runs.length - 1];
    const lo = Math.ceil(last.basePage / 512) * 512;
    const hi = last.basePage + last.pageCount - count;
    for (let tries = 0; tries < 1000; tries++) {
      const start = lo + this.rng.int(0, Math.max(0, Math.floor((hi - lo) / 512))) * 512;
      let ok = start + count <= last.basePage + last.pageCount;
      for (let p = start; ok && p < start + count; p++) if (this.used.has(p) || this.forcedFree.has(p)) ok = false;
      if (ok) {
        for (let p = start; p < start + count; p++) this.claim(p, cls);
        return start;
      }
    }
    throw new Error('generator: no free 2 MiB-aligned block (increase sizeMiB)');
  }

  claim(pfn: number, cls: PageClass): void {
    this.used.add(pfn);
    this.cls.set(pfn, cls);
  }

  /** The content buffer of a page (created zero-filled on first use). */
  page(pfn: number): Buffer {
    let p = this.pages.get(pfn);
    if (!p) {
      p = Buffer.alloc(PAGE);
      this.pages.set(pfn, p);
      if (!this.used.has(pfn)) this.claim(pfn, 'kernel');
    }
    return p;
  }

  writePhys(pa: number, data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      const a = pa + done;
      const pfn = Math.floor(a / PAGE);
      const o = a % PAGE;
      const n = Math.min(PAGE - o, data.length - done);
      data.copy(this.page(pfn), o, done, done + n);
      done += n;
    }
  }

  readPhys(pa: number, n: number): Buffer {
    const out = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const a = pa + done;
      const pfn = Math.floor(a / PAGE);
      const o = a % PAGE;
      const k = Math.min(PAGE - o, n - done);
      const p = this.pages.get(pfn);
      if (p) p.copy(out, done, o, o + k);
      done += k;
    }
    return out;
  }
}

export const KERNEL_HALF = 0xffff800000000000n;
const M64 = (1n << 64n) - 1n;
export const canonical = (v: bigint): bigint => (v & (1n << 47n) ? v | 0xffff000000000000n : v) & M64;

export interface MapOpts {
  user?: boolean;
  write?: boolean;
  nx?: boolean;
  large?: boolean;
}

/** One x64 address space: a PML4 page and the tables below it, all living in PhysModel pages. */
export class AddressSpace {
  readonly pml4: number;
  private readonly leaf = new Map<bigint, number>(); // 4 KiB VA page → pfn (for fast writes)
  private readonly largeLeaf = new Map<bigint, number>(); // 2 MiB VA → first pfn
  constructor(
    readonly mem: PhysModel,
    /** kernel space this process space shares its upper half with (undefined for the kernel itself) */
    readonly kernel?: AddressSpace,
  ) {
    this.pml4 = mem.allocPage('kernel');
    mem.page(this.pml4);
  }

  get dtb(): number {
    return this.pml4 * PAGE;
  }

  private entryAt(tablePfn: number, idx: number): bigint {
    return this.mem.page(tablePfn).readBigUInt64LE(idx * 8);
  }

  private setEntry(tablePfn: number, idx: number, v: bigint): void {
    this.mem.page(tablePfn).writeBigUInt64LE(v, idx * 8);
  }

  /** next-level table of an entry, created when absent */
  private table(tablePfn: number, idx: number, user: boolean): number {
    const e = this.entryAt(tablePfn, idx);
    if (e & 1n) {
      if (e & 0x80n) throw new Error('generator: mapping collides with a large page');
      if (user && !(e & 4n)) this.setEntry(tablePfn, idx, e | 4n);
      return Number((e >> 12n) & 0xffffffffffn);
    }
    const pfn = this.mem.allocPage('kernel');
    this.mem.page(pfn);
    this.setEntry(tablePfn, idx, (BigInt(pfn) << 12n) | 0x23n | (user ? 4n : 0n));
    return pfn;
  }

  private spaceFor(va: bigint): AddressSpace {
    return va >= KERNEL_HALF && this.kernel ? this.kernel : this;
  }

  map(va: bigint, pfn: number, o: MapOpts = {}): void {
    if (va >= KERNEL_HALF && this.kernel) return this.kernel.map(va, pfn, o);
    const i4 = Number((va >> 39n) & 511n);
    const i3 = Number((va >> 30n) & 511n);
    const i2 = Number((va >> 21n) & 511n);
    const i1 = Number((va >> 12n) & 511n);
    const user = !!o.user;
    const pdpt = this.table(this.pml4, i4, user);
    const pd = this.table(pdpt, i3, user);
    let flags = 0x1n | 0x20n | 0x40n | (o.write !== false ? 2n : 0n) | (user ? 4n : 0x100n) | (o.nx ? 1n << 63n : 0n);
    if (o.large) {
      if (va & 0x1fffffn || pfn % 512) throw new Error('generator: unaligned large page');
      if (this.entryAt(pd, i2) & 1n) throw new Error('generator: large page over an existing table');
      this.setEntry(pd, i2, (BigInt(pfn) << 12n) | flags | 0x80n);
      this.largeLeaf.set(va, pfn);
      return;
    }
    const pt = this.table(pd, i2, user);
    this.setEntry(pt, i1, (BigInt(pfn) << 12n) | flags);
    this.leaf.set(va & ~0xfffn, pfn);
  }

  /**
   * Turns the present 4 KiB PTE of `va` into a Windows transition PTE (P = 0, Transition bit 11 = 1,
   * Prototype bit 10 = 0, frame kept): the page is still in RAM on the standby/modified list, and
   * Windows-aware readers (MMPTE_TRANSITION) treat it as readable.
   */
  makeTransition(va: bigint): void {
    if (va >= KERNEL_HALF && this.kernel) return this.kernel.makeTransition(va);
    let table = this.pml4;
    for (const shift of [39n, 30n, 21n]) {
      const e = this.entryAt(table, Number((va >> shift) & 511n));
      if (!(e & 1n) || e & 0x80n) throw new Error('generator: makeTransition needs a 4 KiB mapping');
      table = Number((e >> 12n) & 0xffffffffffn);
    }
    const i1 = Number((va >> 12n) & 511n);
    const e = this.entryAt(table, i1);
    if (!(e & 1n)) throw new Error('generator: makeTransition of an unmapped page');
    this.setEntry(table, i1, (e & ~1n & ~0x400n) | 0x800n);
  }

  /** Sets a raw PML4 entry (self-map, shared kernel half). */
  setPml4e(idx: number, v: bigint): void {
    this.setEntry(this.pml4, idx, v);
  }
  pml4e(idx: number): bigint {
    return this.entryAt(this.pml4, idx);
  }

  /** VA → physical address through the generator's own bookkeeping (not by walking tables). */
  translate(va: bigint): number | null {
    const sp = this.spaceFor(va);
    const p = sp.leaf.get(va & ~0xfffn);
    if (p !== undefined) return p * PAGE + Number(va & 0xfffn);
    const l = sp.largeLeaf.get(va & ~0x1fffffn);
    if (l !== undefined) return l * PAGE + Number(va & 0x1fffffn);
    return null;
  }

  isMapped(va: bigint): boolean {
    return this.translate(va) !== null;
  }

  write(va: bigint, data: Buffer): void {
    let done = 0;
    while (done < data.length) {
      const cur = va + BigInt(done);
      const pa = this.translate(cur);
      if (pa === null) throw new Error(`generator: write to unmapped VA 0x${cur.toString(16)}`);
      const n = Math.min(PAGE - (pa % PAGE), data.length - done);
      this.mem.writePhys(pa, data.subarray(done, done + n));
      done += n;
    }
  }

  read(va: bigint, n: number): Buffer {
    const out = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const cur = va + BigInt(done);
      const pa = this.translate(cur);
      if (pa === null) throw new Error(`generator: read of unmapped VA 0x${cur.toString(16)}`);
      const k = Math.min(PAGE - (pa % PAGE), n - done);
      this.mem.readPhys(pa, k).copy(out, done);
      done += k;
    }
    return out;
  }

  u64(va: bigint, v: bigint | number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
    this.write(va, b);
  }
  u32(va: bigint, v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.write(va, b);
  }
}

// AArch64 (ARMv8-A VMSA) virtual → physical translation over a PhysicalMemory, stage 1, EL1&0 regime:
// 4 KiB granule, 48-bit VA, 4 levels (L0..L3: VA bits 47:39, 38:30, 29:21, 20:12), block descriptors at
// L1 (1 GiB) and L2 (2 MiB), 48-bit output addresses. The top VA bits pick the root: all ones →
// TTBR1_EL1 (kernel: swapper_pg_dir), all zeros → TTBR0_EL1 (a process: mm->pgd). The contiguous hint
// (bit 52) only tells the TLB that 16 neighbouring entries agree, so a walk ignores it. Other granules
// (16/64 KiB) and VA sizes (39/42/47/52-bit) are refused with a clear message rather than mis-walked.
import type { PhysicalMemory } from '../image/physical';
import { MemqError } from '../util/errors';
import { PagedSpace, type Mapping } from './space';

const TWO32 = 4294967296;
const VALID = 1;
const TABLE = 2; // at L0..L2: table (1) vs block (0); at L3: page (1) vs reserved (0)
/** a table base / output address is bits 47:12 of a descriptor or TTBR (ASID in 63:48, CnP in bit 0) */
const OA_MASK = 0x0000_ffff_ffff_f000n;
const KERNEL_HALF = 0xffff_0000_0000_0000n;

export interface Aarch64Options {
  /** VA bits of the translation regime (TCR_EL1.T1SZ = 64 − vaBits); only 48 is supported */
  vaBits?: number;
  /** translation granule in bytes (PAGESIZE); only 4096 is supported */
  pageSize?: number;
  /** TTBR1_EL1 value or physical address of the kernel root table (swapper_pg_dir) */
  ttbr1?: number | bigint | null;
  /** TTBR0_EL1 value or physical address of the user root table (a process's mm->pgd) */
  ttbr0?: number | bigint | null;
}

/** Throws a MemqError unless (vaBits, pageSize) is a layout this translator walks. */
export function checkAarch64Layout(vaBits: number, pageSize: number): void {
  if (pageSize !== 4096) {
    const g = pageSize === 16384 || pageSize === 65536 ? `${pageSize / 1024} KiB` : `${pageSize}-byte`;
    throw new MemqError(`AArch64: ${g} translation granule not supported yet (only 4 KiB pages)`, 'E_UNSUPPORTED_ARCH');
  }
  if (vaBits !== 48) {
    throw new MemqError(`AArch64: ${vaBits}-bit virtual addresses not supported yet (only 48-bit VA, 4-level tables)`, 'E_UNSUPPORTED_ARCH');
  }
}

function root(v: number | bigint | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return Number(BigInt(v) & OA_MASK);
}

export class Aarch64Space extends PagedSpace {
  private tlb = new Map<number, number>();
  private readonly buf = Buffer.alloc(8);
  readonly ttbr1: number | null;
  readonly ttbr0: number | null;
  private readonly maxPhys: number;

  constructor(
    readonly mem: PhysicalMemory,
    opts: Aarch64Options,
  ) {
    super();
    checkAarch64Layout(opts.vaBits ?? 48, opts.pageSize ?? 4096);
    this.ttbr1 = root(opts.ttbr1);
    this.ttbr0 = root(opts.ttbr0);
    this.maxPhys = mem.ranges.reduce((m, r) => Math.max(m, r.end), 0);
  }

  /** The same kernel half with another user root (a process's mm->pgd, physical). */
  withUserRoot(ttbr0: number | bigint): Aarch64Space {
    return new Aarch64Space(this.mem, { ttbr1: this.ttbr1, ttbr0 });
  }

  /** Reads a descriptor; [lo, hi] or null when the table page is absent. */
  private entry(table: number, index: number): [number, number] | null {
    if (table >= this.maxPhys) return null;
    if (!this.mem.readPhys(table + index * 8, this.buf, 0, 8)) return null;
    return [this.buf.readUInt32LE(0), this.buf.readUInt32LE(4)];
  }

  private static next(lo: number, hi: number): number {
    return (hi & 0xffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
  }

  translate(va: bigint): number | null {
    const hi32 = Number((va >> 32n) & 0xffffffffn);
    const lo32 = Number(va & 0xffffffffn);
    const key = hi32 * 1048576 + (lo32 >>> 12);
    const cached = this.tlb.get(key);
    if (cached !== undefined) return cached + (lo32 & 0xfff);
    const pa = this.walk(hi32, lo32);
    if (pa === null) return null;
    if (this.tlb.size > 65536) this.tlb.clear();
    this.tlb.set(key, pa - (lo32 & 0xfff));
    return pa;
  }

  private rootFor(hi32: number): number | null {
    const top = hi32 >>> 16;
    if (top === 0xffff) return this.ttbr1;
    if (top === 0) return this.ttbr0;
    return null; // not canonical for a 48-bit VA: a translation fault
  }

  private walk(hi32: number, lo32: number): number | null {
    const table0 = this.rootFor(hi32);
    if (table0 === null) return null;
    let e = this.entry(table0, (hi32 >>> 7) & 511);
    if (!e || !(e[0] & VALID) || !(e[0] & TABLE)) return null; // no L0 blocks with a 4 KiB granule
    e = this.entry(Aarch64Space.next(e[0], e[1]), ((hi32 & 0x7f) << 2) | (lo32 >>> 30));
    if (!e || !(e[0] & VALID)) return null;
    if (!(e[0] & TABLE)) return (e[1] & 0xffff) * TWO32 + ((e[0] & 0xc0000000) >>> 0) + (lo32 & 0x3fffffff);
    e = this.entry(Aarch64Space.next(e[0], e[1]), (lo32 >>> 21) & 511);
    if (!e || !(e[0] & VALID)) return null;
    if (!(e[0] & TABLE)) return (e[1] & 0xffff) * TWO32 + ((e[0] & 0xffe00000) >>> 0) + (lo32 & 0x1fffff);
    e = this.entry(Aarch64Space.next(e[0], e[1]), (lo32 >>> 12) & 511);
    if (!e || (e[0] & 3) !== 3) return null; // L3: 0b11 = page; 0b01 is reserved
    return Aarch64Space.next(e[0], e[1]) + (lo32 & 0xfff);
  }

  *mappings(start: bigint, end: bigint, maxMappings = 1 << 22): Generator<Mapping> {
    let count = 0;
    const self = this;
    function* level(table: number, lvl: number, base: bigint): Generator<Mapping> {
      const shift = 12n + 9n * BigInt(3 - lvl);
      const span = 1n << shift;
      for (let i = 0; i < 512; i++) {
        const va = base + BigInt(i) * span;
        if (va + span <= start || va >= end) continue;
        const e = self.entry(table, i);
        if (!e || !(e[0] & VALID)) continue;
        const isTable = (e[0] & TABLE) !== 0;
        if (lvl === 3 ? !isTable : !isTable && lvl === 0) continue; // reserved encodings
        if (lvl === 3 || !isTable) {
          if (++count > maxMappings) return;
          const mask = lvl === 3 ? 0xfffff000 : lvl === 2 ? 0xffe00000 : 0xc0000000;
          yield { va, pa: (e[1] & 0xffff) * TWO32 + ((e[0] & mask) >>> 0), size: Number(span) };
        } else {
          yield* level(Aarch64Space.next(e[0], e[1]), lvl + 1, va);
        }
        if (count > maxMappings) return;
      }
    }
    if (this.ttbr0 !== null) yield* level(this.ttbr0, 0, 0n);
    if (this.ttbr1 !== null) yield* level(this.ttbr1, 0, KERNEL_HALF);
  }
}

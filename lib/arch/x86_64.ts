// x86-64 virtual → physical translation over a PhysicalMemory: 4- and 5-level paging, 1 GiB and
// 2 MiB large pages. Addresses cross the API as bigint (kernel VAs exceed 2^53); the walk itself uses
// 32-bit halves and doubles so the hot path does no BigInt arithmetic.
import type { PhysicalMemory } from '../image/physical';
import { PagedSpace, type Mapping } from './space';

export type { Mapping } from './space';

const P = 1; // present
const PS = 0x80; // page size (large page) at PDPT / PD level
const TWO32 = 4294967296;

export interface PagingOptions {
  /** 5-level paging (LA57) */
  la57?: boolean;
  /** Windows: treat transition PTEs (bit 11 set, prototype bit 10 clear) as present */
  windowsTransition?: boolean;
}

export class X86_64Space extends PagedSpace {
  private tlb = new Map<number, number>();
  private readonly pteBuf = Buffer.alloc(8);
  readonly levels: 4 | 5;
  /** frames at or above this are garbage (beyond anything the dump describes) */
  private readonly maxPhys: number;
  constructor(
    readonly mem: PhysicalMemory,
    /** physical address of the top-level table (CR3 with flag bits masked) */
    readonly dtb: number,
    readonly opts: PagingOptions = {},
  ) {
    super();
    this.levels = opts.la57 ? 5 : 4;
    this.dtb = Math.floor(dtb / 4096) * 4096;
    this.maxPhys = mem.ranges.reduce((m, r) => Math.max(m, r.end), 0);
  }

  /** Reads a page-table entry; returns [lo, hi] or null when the table page is absent. */
  private entry(table: number, index: number): [number, number] | null {
    if (table >= this.maxPhys) return null;
    if (!this.mem.readPhys(table + index * 8, this.pteBuf, 0, 8)) return null;
    return [this.pteBuf.readUInt32LE(0), this.pteBuf.readUInt32LE(4)];
  }

  private present(lo: number): boolean {
    if (lo & P) return true;
    return !!this.opts.windowsTransition && (lo & 0x800) !== 0 && (lo & 0x400) === 0;
  }

  private static frame(lo: number, hi: number): number {
    return (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
  }

  /** Translates a VA to a physical address, or null if unmapped / not in the dump. */
  translate(va: bigint): number | null {
    const hi32 = Number((va >> 32n) & 0xffffffffn);
    const lo32 = Number(va & 0xffffffffn);
    const vpnKey = hi32 * 1048576 + (lo32 >>> 12); // unique per 4 KiB page for 48/57-bit VAs (< 2^53)
    const cached = this.tlb.get(vpnKey);
    if (cached !== undefined) return cached + (lo32 & 0xfff);
    const pa = this.walk(hi32, lo32);
    if (pa === null) return null;
    if (this.tlb.size > 65536) this.tlb.clear();
    this.tlb.set(vpnKey, pa - (lo32 & 0xfff));
    return pa;
  }

  private walk(hi32: number, lo32: number): number | null {
    // bits: PML5 56..48, PML4 47..39, PDPT 38..30, PD 29..21, PT 20..12
    let table = this.dtb;
    if (this.levels === 5) {
      const e = this.entry(table, (hi32 >>> 16) & 511);
      if (!e || !(e[0] & P)) return null;
      table = X86_64Space.frame(e[0], e[1]);
    }
    const i4 = ((hi32 >>> 7) & 511);
    const i3 = ((hi32 & 0x7f) << 2) | (lo32 >>> 30);
    const i2 = (lo32 >>> 21) & 511;
    const i1 = (lo32 >>> 12) & 511;
    let e = this.entry(table, i4);
    if (!e || !(e[0] & P)) return null;
    e = this.entry(X86_64Space.frame(e[0], e[1]), i3);
    if (!e || !(e[0] & P)) return null;
    if (e[0] & PS) {
      // 1 GiB page: frame bits 51..30
      const base = (e[1] & 0xfffff) * TWO32 + ((e[0] & 0xc0000000) >>> 0);
      return base + (lo32 & 0x3fffffff);
    }
    e = this.entry(X86_64Space.frame(e[0], e[1]), i2);
    if (!e || !(e[0] & P)) return null;
    if (e[0] & PS) {
      const base = (e[1] & 0xfffff) * TWO32 + ((e[0] & 0xffe00000) >>> 0);
      return base + (lo32 & 0x1fffff);
    }
    e = this.entry(X86_64Space.frame(e[0], e[1]), i1);
    if (!e || !this.present(e[0])) return null;
    return X86_64Space.frame(e[0], e[1]) + (lo32 & 0xfff);
  }

  /** Reads `length` bytes at `va` into target; false if any page is unmapped or absent. */
  /**
   * Enumerates present leaf mappings whose VA lies in [start, end), in VA order, bounded by
   * `maxMappings` so a corrupt table cannot make this run forever.
   */
  *mappings(start: bigint, end: bigint, maxMappings = 1 << 22): Generator<Mapping> {
    let count = 0;
    const sext = (v: bigint): bigint => {
      const bits = BigInt(this.levels === 5 ? 57 : 48);
      return v & (1n << (bits - 1n)) ? (v | (~0n << bits)) & 0xffffffffffffffffn : v;
    };
    const self = this;
    function* level(table: number, depth: number, base: bigint): Generator<Mapping> {
      // depth: number of levels below this table (0 = PT)
      const shift = 12n + 9n * BigInt(depth);
      const span = 1n << shift;
      for (let i = 0; i < 512; i++) {
        const va = sext(base + BigInt(i) * span);
        const vaEnd = va + span;
        if (vaEnd <= start || va >= end) continue;
        const e = self.entry(table, i);
        if (!e) continue;
        const isLeaf = depth === 0 || ((depth === 1 || depth === 2) && (e[0] & PS) !== 0);
        if (depth === 0 ? !self.present(e[0]) : !(e[0] & P)) continue;
        if (isLeaf) {
          if (++count > maxMappings) return;
          const mask = depth === 0 ? 0xfffff000 : depth === 1 ? 0xffe00000 : 0xc0000000;
          const pa = (e[1] & 0xfffff) * TWO32 + ((e[0] & mask) >>> 0);
          yield { va, pa, size: Number(span) };
        } else {
          yield* level(X86_64Space.frame(e[0], e[1]), depth - 1, base + BigInt(i) * span);
        }
      }
    }
    yield* level(this.dtb, this.levels - 1, 0n);
  }
}

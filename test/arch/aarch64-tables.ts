// A small generator of AArch64 stage-1 translation tables (4 KiB granule, 48-bit VA) in a sparse fake
// physical memory, built from the descriptor format in the Arm ARM (D8.3): bits 1:0 = 0b11 table/page,
// 0b01 block; output address in bits 47:12; attributes around it (AF bit 10, nG bit 11, AP 7:6,
// SH 9:8, AttrIndx 4:2, Contiguous bit 52, PXN 53, UXN 54) that a walk must not mistake for address bits.
import type { PhysicalMemory, PhysRange } from '../../lib/image/physical';
import { BufferSource } from '../../lib/image/byte-source';

export const ATTRS = (1n << 10n) | (1n << 11n) | (3n << 8n) | (1n << 6n) | (4n << 2n) | (1n << 53n) | (1n << 54n);
export const CONTIGUOUS = 1n << 52n;

export class SparseMemory implements PhysicalMemory {
  readonly format = 'test-sparse';
  readonly source = new BufferSource(Buffer.alloc(0), 'sparse');
  readonly info = {};
  readonly pages = new Map<number, Buffer>();
  constructor(readonly size: number) {}
  get ranges(): PhysRange[] {
    return [{ start: 0, end: this.size, ram: true }];
  }
  page(pfn: number): Buffer {
    let p = this.pages.get(pfn);
    if (!p) this.pages.set(pfn, (p = Buffer.alloc(4096)));
    return p;
  }
  write(pa: number, data: Buffer): void {
    for (let i = 0; i < data.length; i++) this.page(Math.floor((pa + i) / 4096))[(pa + i) % 4096] = data[i];
  }
  readPhys(paddr: number, target: Uint8Array, off: number, len: number): boolean {
    if (paddr < 0 || paddr + len > this.size) return false;
    for (let i = 0; i < len; i++) {
      const a = paddr + i;
      const p = this.pages.get(Math.floor(a / 4096));
      target[off + i] = p ? p[a % 4096] : 0;
    }
    return true;
  }
  close(): void {}
}

/** Builds one translation regime's tables from a root; tables are allocated downward from `nextTable`. */
export class TableBuilder {
  constructor(
    readonly mem: SparseMemory,
    readonly root: number,
    private nextTable: number,
  ) {}

  private desc(table: number, index: number): bigint {
    return this.mem.page(table / 4096).readBigUInt64LE(index * 8);
  }
  setDesc(table: number, index: number, v: bigint): void {
    this.mem.page(table / 4096).writeBigUInt64LE(BigInt.asUintN(64, v), index * 8);
  }

  private index(va: bigint, level: number): number {
    return Number((va >> BigInt(39 - 9 * level)) & 511n);
  }

  /** The table at `level` covering va, creating table descriptors on the way. */
  tableAt(va: bigint, level: number): number {
    let t = this.root;
    for (let l = 0; l < level; l++) {
      const i = this.index(va, l);
      let d = this.desc(t, i);
      if ((d & 3n) !== 3n) {
        this.nextTable -= 4096;
        d = BigInt(this.nextTable) | 3n | (l === 0 ? 1n << 63n : 0n); // NSTable-ish high bit set too
        this.setDesc(t, i, d);
      }
      t = Number(d & 0x0000fffffffff000n);
    }
    return t;
  }

  /** 4 KiB page at L3. */
  page(va: bigint, pa: number, extra = 0n): void {
    this.setDesc(this.tableAt(va, 3), this.index(va, 3), BigInt(pa) | 3n | ATTRS | extra);
  }
  /** block at L1 (1 GiB) or L2 (2 MiB). */
  block(va: bigint, pa: number, level: 1 | 2): void {
    this.setDesc(this.tableAt(va, level), this.index(va, level), BigInt(pa) | 1n | ATTRS);
  }
  /** raw descriptor at `level` (for reserved / invalid encodings). */
  raw(va: bigint, level: number, v: bigint): void {
    this.setDesc(this.tableAt(va, level), this.index(va, level), v);
  }
}

// Kernel pool allocations and executive objects, laid out as Windows does:
//   [_POOL_HEADER][optional object headers…][_OBJECT_HEADER up to .Body][object body]
// _POOL_HEADER (x64, 16 bytes; BlockSize/PreviousSize in 16-byte units, PoolTag, PoolType odd = nonpaged,
// even = paged, 0 = free — as Volatility's pool.py reads it). Optional headers precede _OBJECT_HEADER in
// InfoMask bit order from the header downwards: CREATOR_INFO (0x1) nearest, then NAME_INFO (0x2),
// HANDLE_INFO (0x4), QUOTA_INFO (0x8), PROCESS_INFO (0x10) (ObpInfoMaskToOffset). Win10+ TypeIndex is
// stored as index ^ ObHeaderCookie ^ byte 1 of the _OBJECT_HEADER address (ObGetObjectType).
// Allocations of a page or more come from "big pool": page aligned, no _POOL_HEADER.
import type { Isf } from './isf';
import { StructWriter } from './isf';
import { AddressSpace, PAGE } from './memory';

export class Pool {
  private cur = 0n; // next free byte in the current page (0 = need a new page)
  private curEnd = 0n;
  private prevBlocks = 0;
  private nextPage: bigint;
  constructor(
    readonly ks: AddressSpace,
    readonly isf: Isf,
    readonly base: bigint,
    /** 1 nonpaged, 2 paged (PoolType field value = POOL_TYPE + 1) */
    readonly poolType: number,
  ) {
    this.nextPage = base;
  }

  private newPage(freeSuccessor = false): bigint {
    const va = this.nextPage;
    this.nextPage += BigInt(PAGE);
    this.ks.map(va, this.ks.mem.allocPage('kernel', freeSuccessor), { nx: true });
    this.ks.mem.page(this.ks.translate(va)! / PAGE);
    return va;
  }

  /** Skips a few pages so pool regions are not one dense run (real pools are fragmented). */
  gap(pages: number): void {
    this.nextPage += BigInt(pages * PAGE);
    this.cur = 0n;
  }

  /** Allocates `size` bytes with a pool header; returns the VA just after the header. */
  alloc(size: number, tag: string | number): bigint {
    const hdr = this.isf.size('_POOL_HEADER');
    const total = Math.ceil((size + hdr) / 16) * 16;
    if (total >= PAGE - 16) throw new Error(`generator: pool block too large (${size})`);
    if (this.cur === 0n || this.cur + BigInt(total) > this.curEnd) {
      this.cur = this.newPage();
      this.curEnd = this.cur + BigInt(PAGE);
      this.prevBlocks = 0;
    }
    const at = this.cur;
    this.cur += BigInt(total);
    const b = Buffer.alloc(hdr);
    const w = new StructWriter(this.isf, '_POOL_HEADER', b);
    w.set('PreviousSize', this.prevBlocks).set('BlockSize', total / 16).set('PoolType', this.poolType).set('PoolIndex', 0);
    b.writeUInt32LE(typeof tag === 'number' ? tag >>> 0 : tagValue(tag), this.isf.off('_POOL_HEADER', 'PoolTag'));
    this.ks.write(at, b);
    this.prevBlocks = total / 16;
    return at + BigInt(hdr);
  }

  /**
   * Like alloc(), but the block ends exactly at the end of a fresh pool page whose physical successor is
   * a free page: the space before it is a free block (PoolType 0). Real pools are full of such blocks.
   */
  allocAtPageEnd(size: number, tag: string | number): bigint {
    const hdr = this.isf.size('_POOL_HEADER');
    const total = Math.ceil((size + hdr) / 16) * 16;
    this.cur = this.newPage(true);
    this.curEnd = this.cur + BigInt(PAGE);
    this.prevBlocks = 0;
    const filler = PAGE - total;
    if (filler >= hdr) {
      const b = Buffer.alloc(hdr);
      const w = new StructWriter(this.isf, '_POOL_HEADER', b);
      w.set('BlockSize', filler / 16).set('PoolType', 0);
      b.writeUInt32LE(tagValue('Free'), this.isf.off('_POOL_HEADER', 'PoolTag'));
      this.ks.write(this.cur, b);
      this.cur += BigInt(filler);
      this.prevBlocks = filler / 16;
    }
    return this.alloc(size, tag);
  }

  /** Page-aligned allocation of whole pages (big pool, no pool header). */
  allocPages(n: number): bigint {
    this.cur = 0n;
    const va = this.nextPage;
    for (let i = 0; i < n; i++) this.newPage();
    return va;
  }
}

export function tagValue(tag: string): number {
  const b = Buffer.alloc(4, 0x20);
  Buffer.from(tag, 'latin1').copy(b, 0, 0, 4);
  return b.readUInt32LE(0);
}

/** Pre-Win8 kernels set PROTECTED_POOL (0x80000000) in the tags of executive objects: 'Pro\xe3'. */
export function protectTag(tag: string): number {
  return (tagValue(tag) | 0x80000000) >>> 0;
}

export interface ObjectAlloc {
  header: bigint;
  body: bigint;
  poolBlock: bigint;
}

export class ObjectManager {
  readonly typeIndex = new Map<string, number>();
  constructor(
    readonly ks: AddressSpace,
    readonly isf: Isf,
    /** ObHeaderCookie byte (Win10+) or null (older kernels store the plain index) */
    readonly cookie: number | null,
    readonly protectedTags: boolean,
  ) {}

  encodeTypeIndex(index: number, header: bigint): number {
    if (this.cookie === null) return index;
    return (index ^ this.cookie ^ Number((header >> 8n) & 0xffn)) & 0xff;
  }

  tag(tag: string, executive: boolean): number {
    return executive && this.protectedTags ? protectTag(tag) : tagValue(tag);
  }

  /**
   * Creates an object of `typeName` (must be registered in typeIndex) with a `bodySize`-byte body.
   * Returns the header and body VAs; the body is zero-filled for the caller to fill in.
   */
  create(
    pool: Pool,
    typeName: string,
    bodySize: number,
    tag: string,
    opts: { name?: { text: string; nameBuffer: bigint }; quota?: boolean; creator?: bigint; handles?: number; pointers?: number } = {},
  ): ObjectAlloc {
    const idx = this.typeIndex.get(typeName);
    if (idx === undefined) throw new Error(`generator: object type ${typeName} not registered`);
    const bodyOff = this.isf.off('_OBJECT_HEADER', 'Body');
    let infoMask = 0;
    const parts: { bit: number; size: number }[] = [];
    if (opts.quota) parts.push({ bit: 0x8, size: this.isf.size('_OBJECT_HEADER_QUOTA_INFO') });
    if (opts.name) parts.push({ bit: 0x2, size: this.isf.size('_OBJECT_HEADER_NAME_INFO') });
    if (opts.creator !== undefined) parts.push({ bit: 0x1, size: this.isf.size('_OBJECT_HEADER_CREATOR_INFO') });
    for (const p of parts) infoMask |= p.bit;
    const optTotal = parts.reduce((s, p) => s + p.size, 0);
    const block = pool.alloc(optTotal + bodyOff + bodySize, this.tag(tag, true));
    const header = block + BigInt(optTotal);
    const body = header + BigInt(bodyOff);
    // optional headers, lowest address first (QUOTA, NAME, CREATOR)
    let at = block;
    for (const p of parts) {
      const b = Buffer.alloc(p.size);
      if (p.bit === 0x8) {
        const w = new StructWriter(this.isf, '_OBJECT_HEADER_QUOTA_INFO', b);
        w.set('PagedPoolCharge', 0x1000).set('NonPagedPoolCharge', bodySize + bodyOff);
      } else if (p.bit === 0x2) {
        const w = new StructWriter(this.isf, '_OBJECT_HEADER_NAME_INFO', b);
        const n = Buffer.from(opts.name!.text, 'utf16le');
        w.set('Name.Length', n.length).set('Name.MaximumLength', n.length + 2).set('Name.Buffer', opts.name!.nameBuffer).set('ReferenceCount', 1);
        this.ks.write(opts.name!.nameBuffer, Buffer.concat([n, Buffer.alloc(2)]));
      } else if (p.bit === 0x1) {
        const w = new StructWriter(this.isf, '_OBJECT_HEADER_CREATOR_INFO', b);
        const tl = at + BigInt(this.isf.off('_OBJECT_HEADER_CREATOR_INFO', 'TypeList'));
        w.set('TypeList.Flink', tl).set('TypeList.Blink', tl).set('CreatorUniqueProcess', opts.creator!);
      }
      this.ks.write(at, b);
      at += BigInt(p.size);
    }
    const hb = Buffer.alloc(bodyOff);
    const hw = new StructWriter(this.isf, '_OBJECT_HEADER', hb);
    hw.set('PointerCount', opts.pointers ?? 1 + (opts.handles ?? 0))
      .set('HandleCount', opts.handles ?? 0)
      .set('TypeIndex', this.encodeTypeIndex(idx, header))
      .set('InfoMask', infoMask);
    this.ks.write(header, hb);
    return { header, body, poolBlock: block - BigInt(this.isf.size('_POOL_HEADER')) };
  }
}

// Typed reads of kernel structures: BTF offsets (cached per struct.member) + an address space.
// Unreadable memory raises ReadFault, which extractors catch per object so one bad pointer skips one
// object (with a warning) instead of failing the whole table.
import type { VirtualSpace } from '../../arch/space';
import type { TypeLayouts } from '../../symbols/layouts';
import { MemqError, isTransientError } from '../../util/errors';
import { hex } from '../../util/hex';

export class ReadFault extends Error {
  constructor(readonly va: bigint, what: string) {
    super(`unreadable ${what} at ${hex(va)}`);
  }
}

export class KView {
  private offs = new Map<string, number>();
  private readonly b8 = Buffer.alloc(8);
  constructor(readonly types: TypeLayouts, readonly space: VirtualSpace) {}

  /** Same BTF, another address space (a process's page tables). */
  withSpace(space: VirtualSpace): KView {
    const v = new KView(this.types, space);
    v.offs = this.offs;
    return v;
  }

  off(struct: string, member: string): number {
    const key = `${struct}.${member}`;
    let o = this.offs.get(key);
    if (o === undefined) {
      const m = this.types.member(struct, member);
      if (!m) throw new MemqError(`${this.types.description}: ${struct}.${member} not found`, 'E_LAYOUT');
      o = m.offset;
      this.offs.set(key, o);
    }
    return o;
  }

  has(struct: string, member: string): boolean {
    return this.types.member(struct, member) !== undefined;
  }

  size(struct: string): number {
    return this.types.structSize(struct);
  }

  private fill(va: bigint, n: number, what: string): Buffer {
    if (!this.space.readInto(va, this.b8, 0, n)) throw new ReadFault(va, what);
    return this.b8;
  }
  u8(va: bigint): number {
    return this.fill(va, 1, 'u8')[0];
  }
  u16(va: bigint): number {
    return this.fill(va, 2, 'u16').readUInt16LE(0);
  }
  u32(va: bigint): number {
    return this.fill(va, 4, 'u32').readUInt32LE(0);
  }
  i32(va: bigint): number {
    return this.fill(va, 4, 'i32').readInt32LE(0);
  }
  u64(va: bigint): bigint {
    return this.fill(va, 8, 'u64').readBigUInt64LE(0);
  }
  /** u64 as a JS number (counters, sizes, times < 2^53) */
  n64(va: bigint): number {
    const b = this.fill(va, 8, 'u64');
    return b.readUInt32LE(4) * 4294967296 + b.readUInt32LE(0);
  }
  ptr(va: bigint): bigint {
    return this.u64(va);
  }
  bytes(va: bigint, len: number): Buffer {
    const b = this.space.read(va, len);
    if (!b) throw new ReadFault(va, `${len} bytes`);
    return b;
  }
  /** NUL-terminated string of at most `max` bytes (reads page by page so a short string near an unmapped page works). */
  cstr(va: bigint, max = 256): string {
    let out = '';
    let cur = va;
    let left = max;
    while (left > 0) {
      const inPage = 4096 - Number(cur & 0xfffn);
      const n = Math.min(inPage, left);
      const b = this.space.read(cur, n);
      if (!b) {
        if (out.length) return out;
        throw new ReadFault(cur, 'string');
      }
      const z = b.indexOf(0);
      if (z >= 0) return out + b.toString('utf8', 0, z);
      out += b.toString('utf8');
      cur += BigInt(n);
      left -= n;
    }
    return out;
  }

  /** Reads a member by its BTF size (1/2/4/8 bytes, bitfields honoured) as a number. */
  num(base: bigint, struct: string, member: string): number {
    const f = this.types.member(struct, member);
    if (!f) throw new ReadFault(base, `${struct}.${member} (not in ${this.types.description})`);
    const size = f.size;
    const va = base + BigInt(f.offset);
    if (f.bitSize) {
      const nbytes = Math.ceil((f.bitOffset + f.bitSize) / 8);
      const b = this.bytes(va, nbytes);
      let v = 0;
      for (let i = nbytes - 1; i >= 0; i--) v = v * 256 + b[i];
      return Math.floor(v / 2 ** f.bitOffset) % 2 ** f.bitSize;
    }
    switch (size) {
      case 1: return this.u8(va);
      case 2: return this.u16(va);
      case 4: return this.u32(va);
      case 8: return this.n64(va);
      default: throw new ReadFault(va, `${struct}.${member} of size ${size}`);
    }
  }

  /** Element count of an array member (0 if absent or not an array). */
  count(struct: string, member: string): number {
    return this.types.member(struct, member)?.count ?? 0;
  }

  /** Pointer member. */
  p(base: bigint, struct: string, member: string): bigint {
    return this.ptr(base + BigInt(this.off(struct, member)));
  }

  /**
   * Walks a circular list_head starting at `head` (the list anchor), yielding the address of each
   * entry (entry = node - memberOffset). Stops at the anchor, on a repeat, or after `max` entries.
   */
  *list(head: bigint, memberOffset: number, max = 1 << 16, onProblem?: (msg: string) => void): Generator<bigint> {
    const seen = new Set<bigint>();
    let node: bigint;
    try {
      node = this.ptr(head);
    } catch (e) {
      if (isTransientError(e)) throw e; // S3 "try again" is never "unreadable, skipped"
      onProblem?.(`list head ${hex(head)} unreadable`);
      return;
    }
    let n = 0;
    while (node !== head) {
      if (node === 0n || seen.has(node)) {
        onProblem?.(`list at ${hex(head)} ${node === 0n ? 'hit NULL' : 'has a cycle'} after ${n} entries — cut`);
        return;
      }
      if (++n > max) {
        onProblem?.(`list at ${hex(head)} longer than ${max} entries — cut`);
        return;
      }
      seen.add(node);
      yield node - BigInt(memberOffset);
      try {
        node = this.ptr(node);
      } catch (e) {
        if (isTransientError(e)) throw e;
        onProblem?.(`list at ${hex(head)} broken at ${hex(node)}`);
        return;
      }
    }
  }
}

// Virtual-memory readers for the Windows engine: one interface over paged memory (X86_64Space on
// full/bitmap/raw dumps) and the sparse VA-keyed layer of triage dumps, plus the small typed helpers
// every walker uses (pointers, UNICODE_STRINGs, bounded LIST_ENTRY walks).
import type { X86_64Space } from '../../arch/x86_64';
import type { SparseVirtualLayer } from '../../image/formats/windows/triage';

export interface VirtualReader {
  read(va: bigint, length: number): Buffer | null;
}

export class PagedReader implements VirtualReader {
  constructor(readonly space: X86_64Space) {}
  read(va: bigint, length: number): Buffer | null {
    return this.space.read(va, length);
  }
}

/** Reads from the first reader that has the bytes (triage: process/thread blobs, then data blocks). */
export class SparseReader implements VirtualReader {
  constructor(readonly layer: SparseVirtualLayer) {}
  read(va: bigint, length: number): Buffer | null {
    return this.layer.read(va, length);
  }
}

export const KERNEL_MIN = 0xffff800000000000n;
export const USER_MAX = 0x00007fffffffffffn;
const MASK64 = (1n << 64n) - 1n;

export function isKernelPtr(v: bigint): boolean {
  return v >= KERNEL_MIN && v <= MASK64;
}
export function isUserPtr(v: bigint): boolean {
  return v > 0n && v <= USER_MAX;
}

export class Mem {
  constructor(readonly r: VirtualReader) {}
  read(va: bigint, length: number): Buffer | null {
    if (length <= 0 || length > 64 << 20) return null;
    return this.r.read(va & MASK64, length);
  }
  u64(va: bigint): bigint | null {
    const b = this.read(va, 8);
    return b ? b.readBigUInt64LE(0) : null;
  }
  u32(va: bigint): number | null {
    const b = this.read(va, 4);
    return b ? b.readUInt32LE(0) : null;
  }
  u16(va: bigint): number | null {
    const b = this.read(va, 2);
    return b ? b.readUInt16LE(0) : null;
  }
  u8(va: bigint): number | null {
    const b = this.read(va, 1);
    return b ? b[0] : null;
  }
  /** UTF-16LE text of `bytes` bytes at va (bounded to 64 KiB); null when unreadable. */
  utf16(va: bigint, bytes: number): string | null {
    if (bytes <= 0) return '';
    const b = this.read(va, Math.min(bytes & ~1, 0x10000));
    return b ? b.toString('utf16le') : null;
  }
  /** A UNICODE_STRING {u16 Length, u16 Max, pad, ptr Buffer} held at `va`. */
  unicodeString(va: bigint): string | null {
    const b = this.read(va, 16);
    return b ? this.unicodeFrom(b, 0) : null;
  }
  /** A UNICODE_STRING at `off` inside an already read struct buffer. */
  unicodeFrom(buf: Buffer, off: number): string | null {
    if (off + 16 > buf.length) return null;
    const len = buf.readUInt16LE(off);
    const max = buf.readUInt16LE(off + 2);
    const ptr = buf.readBigUInt64LE(off + 8);
    if (len === 0) return '';
    if (len > max && max !== 0) return null;
    if (ptr === 0n) return null;
    return this.utf16(ptr, len);
  }
  /**
   * Walks a doubly linked LIST_ENTRY ring from its head; yields the address of each entry (not the
   * containing struct). Stops at the head, a repeat, an unreadable link or `max` entries.
   */
  *walkList(head: bigint, max = 100000): Generator<bigint> {
    const seen = new Set<bigint>([head]);
    let cur = this.u64(head);
    let n = 0;
    while (cur !== null && cur !== 0n && !seen.has(cur) && n++ < max) {
      seen.add(cur);
      yield cur;
      cur = this.u64(cur);
    }
  }
}

/** Reads a NUL-terminated latin1 string out of a fixed-size field. */
export function cString(buf: Buffer, off: number, max: number): string {
  const end = Math.min(buf.length, off + max);
  const z = buf.indexOf(0, off);
  return buf.toString('latin1', off, z >= 0 && z < end ? z : end);
}

// Shared plumbing for formats that store physical memory as a list of contiguous runs (LiME, AVML,
// ELF PT_LOADs): a sorted segment table with binary search, reads that may span adjacent segments,
// and the rule that tells device memory (not RAM) from RAM.
import { MemqError } from '../../util/errors';
import type { PhysRange } from '../physical';

/** One contiguous run of physical memory and how to fetch its bytes. */
export interface Segment {
  start: number;
  /** one past the last byte */
  end: number;
  ram: boolean;
  /** copies `len` bytes at `off` (relative to `start`); false if they cannot be produced */
  read(off: number, target: Uint8Array, targetOffset: number, len: number): boolean;
}

/** Largest physical address we accept: 2^52 (x86-64 MAXPHYADDR); keeps every address exact in a double. */
export const MAX_PHYS = 2 ** 52;

/**
 * The 32-bit PCI hole: QEMU, VirtualBox and real firmware put device BARs (VGA framebuffer at
 * 0xfd000000, BIOS ROM at 0xfffc0000, …) between 3 GiB and 4 GiB. No x86 machine has a RAM block
 * that *starts* there (low RAM starts at 0 and may run up to 0xe0000000; high RAM starts at 4 GiB),
 * so a run lying wholly inside the hole is device memory a dumper included, not RAM.
 */
export function isDeviceMemory(start: number, end: number): boolean {
  return start >= 0xc000_0000 && end <= 0x1_0000_0000;
}

export class SegmentTable {
  readonly segments: readonly Segment[];
  private readonly starts: Float64Array;
  readonly ranges: PhysRange[];
  constructor(segs: Segment[], what: string) {
    const sorted = [...segs].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].start < sorted[i - 1].end) {
        throw new MemqError(
          `${what}: overlapping memory ranges 0x${sorted[i - 1].start.toString(16)}-0x${sorted[i - 1].end.toString(16)} and ` +
            `0x${sorted[i].start.toString(16)}-0x${sorted[i].end.toString(16)}`,
          'E_FORMAT',
        );
      }
    }
    this.segments = sorted;
    this.starts = Float64Array.from(sorted, (s) => s.start);
    this.ranges = mergeRanges(sorted.map((s) => ({ start: s.start, end: s.end, ram: s.ram })));
  }

  /** index of the segment containing paddr, or -1 */
  find(paddr: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] <= paddr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 && paddr < this.segments[best].end ? best : -1;
  }

  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    if (!(paddr >= 0) || !(length >= 0) || paddr + length > MAX_PHYS) return false;
    let i = this.find(paddr);
    let pos = paddr;
    let out = targetOffset;
    let left = length;
    while (left > 0) {
      if (i < 0 || i >= this.segments.length) return false;
      const s = this.segments[i];
      if (pos < s.start || pos >= s.end) return false;
      const n = Math.min(left, s.end - pos);
      if (!s.read(pos - s.start, target, out, n)) return false;
      pos += n;
      out += n;
      left -= n;
      i++;
    }
    return true;
  }
}

/** Merges touching ranges of the same kind (sorted input). */
export function mergeRanges(rs: PhysRange[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && last.end === r.start && last.ram === r.ram) last.end = r.end;
    else out.push({ ...r });
  }
  return out;
}

/** Reads a little-endian u64 as a number, failing clearly when it does not fit in 2^53. */
export function u64(buf: Buffer, off: number, what: string, where: string): number {
  const v = buf.readBigUInt64LE(off);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MemqError(`${where}: ${what} 0x${v.toString(16)} is out of range`, 'E_FORMAT');
  }
  return Number(v);
}

export function hx(n: number): string {
  return '0x' + n.toString(16);
}

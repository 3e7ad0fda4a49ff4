// The virtual address-space contract shared by every architecture's translation layer (x86-64,
// AArch64): VA (bigint, kernel VAs exceed 2^53) → physical, reads, and leaf-mapping enumeration.
import type { PhysicalMemory } from '../image/physical';

export interface Mapping {
  va: bigint;
  pa: number;
  size: number;
}

export interface VirtualSpace {
  readonly mem: PhysicalMemory;
  /** Translates a VA to a physical address, or null if unmapped / not in the dump. */
  translate(va: bigint): number | null;
  /** Reads `length` bytes at `va` into target; false if any page is unmapped or absent. */
  readInto(va: bigint, target: Uint8Array, targetOffset: number, length: number): boolean;
  read(va: bigint, length: number): Buffer | null;
  /** Present leaf mappings whose VA lies in [start, end), in VA order, at most `maxMappings`. */
  mappings(start: bigint, end: bigint, maxMappings?: number): Generator<Mapping>;
}

export type Arch = 'x86_64' | 'arm64';

/**
 * The reads every translation layer shares: page by page through `translate` (a 4 KiB page is the
 * smallest mapping on both architectures), false as soon as a page is unmapped or absent.
 */
export abstract class PagedSpace implements VirtualSpace {
  abstract readonly mem: PhysicalMemory;
  abstract translate(va: bigint): number | null;
  abstract mappings(start: bigint, end: bigint, maxMappings?: number): Generator<Mapping>;

  readInto(va: bigint, target: Uint8Array, targetOffset: number, length: number): boolean {
    let done = 0;
    let cur = va;
    while (done < length) {
      const pa = this.translate(cur);
      if (pa === null) return false;
      const n = Math.min(4096 - (pa & 0xfff), length - done);
      if (!this.mem.readPhys(pa, target, targetOffset + done, n)) return false;
      done += n;
      cur += BigInt(n);
    }
    return true;
  }

  read(va: bigint, length: number): Buffer | null {
    const buf = Buffer.allocUnsafe(length);
    return this.readInto(va, buf, 0, length) ? buf : null;
  }
}

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

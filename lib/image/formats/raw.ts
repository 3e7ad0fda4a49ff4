// Raw physical image: byte at file offset X is physical address X (pmemsave, /dev/mem copies).
// Detected last: anything that is not another known format is treated as raw if it is page-aligned.
import type { ByteSource } from '../byte-source';
import type { PhysicalMemory, PhysRange } from '../physical';

export class RawMemory implements PhysicalMemory {
  readonly format = 'raw';
  readonly ranges: PhysRange[];
  readonly info: Record<string, string | number | boolean>;
  constructor(readonly source: ByteSource) {
    this.ranges = [{ start: 0, end: source.size, ram: true }];
    this.info = { 'raw.size': source.size };
  }
  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    if (paddr < 0 || paddr + length > this.source.size) return false;
    return this.source.readInto(paddr, target, targetOffset, length) === length;
  }
  close(): void {
    this.source.close();
  }
}

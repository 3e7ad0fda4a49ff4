// Shared test helpers for image-format tests: open a synthetic buffer through the real detector.
import { BufferSource } from '../../lib/image/byte-source';
import { openPhysical } from '../../lib/image/detect';
import type { PhysicalMemory } from '../../lib/image/physical';
import '../../lib/image/formats';

export function openBuffer(buf: Buffer, name = 'fixture.bin'): PhysicalMemory {
  return openPhysical(new BufferSource(buf, name));
}

export function read(mem: PhysicalMemory, paddr: number, len: number): Buffer | null {
  const b = Buffer.alloc(len);
  return mem.readPhys(paddr, b, 0, len) ? b : null;
}

/** null when equal; otherwise where the bytes first differ (jest's deep equality on Buffers is very slow). */
export function mismatch(actual: Uint8Array | null, expected: Uint8Array): string | null {
  if (!actual) return 'read returned nothing (absent)';
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected)) return null;
  let i = 0;
  while (actual[i] === expected[i]) i++;
  return `first difference at byte ${i}: got 0x${actual[i].toString(16)}, expected 0x${expected[i].toString(16)}`;
}

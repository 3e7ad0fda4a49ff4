// The physical-memory view every dump format decodes to: guest-physical address → bytes.
// Formats (raw, LiME, ELF core, kdump, Windows crash dumps) implement PhysicalMemory; everything
// above (paging, kernel discovery) sees only this interface.
import type { ByteSource } from './byte-source';

export interface PhysRange {
  /** first physical address */
  start: number;
  /** one past the last physical address */
  end: number;
  /** true for RAM; false for device memory a dumper included (VGA framebuffer, BIOS ROM) */
  ram: boolean;
}

export interface PhysicalMemory {
  /** short format id: 'raw', 'lime', 'elf', 'kdump', 'windows-full', … */
  readonly format: string;
  /** the byte source the format was decoded from (for sizes and names) */
  readonly source: ByteSource;
  /** physical ranges present in the dump, sorted, non-overlapping */
  readonly ranges: readonly PhysRange[];
  /**
   * Copies `length` bytes at physical `paddr` into `target`. Returns false if any byte of the range is
   * absent from the dump (target content is then unspecified). Must not throw on absent ranges.
   */
  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean;
  /** format-specific facts for `memq info` (header fields, CR3 hints, compression) */
  readonly info: Record<string, string | number | boolean>;
  /** hints a format header may carry: DTB/CR3, kernel base, etc. */
  readonly hints?: { cr3?: number[]; vmcoreinfo?: string };
  close(): void;
}

/** Reads `length` physical bytes or returns null if not all present. */
export function physRead(mem: PhysicalMemory, paddr: number, length: number): Buffer | null {
  const buf = Buffer.allocUnsafe(length);
  return mem.readPhys(paddr, buf, 0, length) ? buf : null;
}

/** Total RAM bytes described by the ranges. */
export function ramBytes(mem: PhysicalMemory): number {
  return mem.ranges.reduce((s, r) => s + (r.ram ? r.end - r.start : 0), 0);
}

/** Iterates RAM in chunks (for scans); yields [paddr, bytes]. Chunks never cross a range boundary. */
export function* scanRam(mem: PhysicalMemory, chunk = 4 << 20): Generator<[number, Buffer]> {
  const buf = Buffer.allocUnsafe(chunk);
  for (const r of mem.ranges) {
    if (!r.ram) continue;
    for (let p = r.start; p < r.end; p += chunk) {
      const n = Math.min(chunk, r.end - p);
      if (mem.readPhys(p, buf, 0, n)) yield [p, buf.subarray(0, n)];
      else {
        // partially present chunk (sparse formats): fall back to page granularity
        for (let q = p; q < p + n; q += 4096) {
          const m = Math.min(4096, p + n - q);
          const page = Buffer.allocUnsafe(m);
          if (mem.readPhys(q, page, 0, m)) yield [q, page];
        }
      }
    }
  }
}

// The physical-memory view every dump format decodes to: guest-physical address → bytes.
// Formats (raw, LiME, ELF core, kdump, Windows crash dumps) implement PhysicalMemory; everything
// above (paging, kernel discovery) sees only this interface.
import type { ByteSource } from './byte-source';
import { MemqError } from '../util/errors';

export interface PhysRange {
  /** first physical address */
  start: number;
  /** one past the last physical address */
  end: number;
  /** true for RAM; false for device memory a dumper included (VGA framebuffer, BIOS ROM) */
  ram: boolean;
}

/** what a dump header says beyond the memory itself */
export interface DumpHints {
  cr3?: number[];
  vmcoreinfo?: string;
  /** CPU architecture the header names (ELF e_machine, kdump utsname.machine or its CPU notes) */
  arch?: 'x86_64' | 'arm64';
  /** how the architecture was recognised, for `memq info` */
  archSource?: string;
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
  /** hints a format header may carry: DTB/CR3, kernel base, the CPU architecture, etc. */
  readonly hints?: DumpHints;
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

/**
 * Makes `mem` answer "absent" for a page whose stored data cannot be read (a kdump cut short, a
 * corrupt compressed page) instead of throwing, and reports each such page once through the returned
 * handle's `onSkip`: extractors then skip the one object that needed it, with a warning, as for a
 * page the dump never held. Only bad *input* is turned into "absent": a TransientError (S3 "try
 * again") and an unsupported codec (E_UNSUPPORTED: every page of the dump would fail) still propagate.
 * The object itself is kept (its readPhys is replaced), so format checks by class still hold.
 */
export function skipUnreadable(mem: PhysicalMemory): SkipHandle {
  const tagged = mem as PhysicalMemory & { [SKIP]?: SkipHandle };
  const existing = tagged[SKIP];
  if (existing) return existing;
  const inner = mem.readPhys.bind(mem);
  const reported = new Set<number>();
  const handle: SkipHandle = { onSkip: () => undefined, skipped: 0 };
  tagged.readPhys = (paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean => {
    try {
      return inner(paddr, target, targetOffset, length);
    } catch (e) {
      if (!(e instanceof MemqError) || e.code === 'E_UNSUPPORTED') throw e;
      const page = Math.floor(paddr / 4096);
      if (!reported.has(page) && reported.size < 100_000) {
        reported.add(page);
        handle.skipped++;
        handle.onSkip(`unreadable page skipped: ${e.message}`);
      }
      return false;
    }
  };
  Object.defineProperty(tagged, SKIP, { value: handle });
  return handle;
}

const SKIP = Symbol('skipUnreadable');

export interface SkipHandle {
  /** called once per distinct unreadable page */
  onSkip: (msg: string) => void;
  /** distinct unreadable pages met so far */
  skipped: number;
}

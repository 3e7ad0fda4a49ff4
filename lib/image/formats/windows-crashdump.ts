// Windows 64-bit crash dumps ('PAGEDU64'): full (DumpType 1, physical runs after the 0x2000 header),
// bitmap (DumpType 5/6 and the older kernel type 2, 'SDMP'/'FDMP' _SUMMARY_DUMP64 at 0x2000 with one
// bit per physical page) and triage (DumpType 4, no physical memory: a sparse VA-keyed layer, see
// windows/triage.ts). Header layouts: windows/dump-header.ts.
import type { ByteSource } from '../byte-source';
import { readExact } from '../byte-source';
import type { PhysicalMemory, PhysRange } from '../physical';
import { registerFormat } from '../detect';
import { MemqError } from '../../util/errors';
import { hex } from '../../util/hex';
import {
  DUMP_HEADER64_SIZE,
  DUMP_TYPES,
  filetimeToDate,
  looksLikeDumpHeader64,
  parseContextX64,
  parseDumpHeader64,
  type DumpHeader64,
} from './windows/dump-header';
import {
  parseTriageHeader,
  readDataBlocks,
  readTriageDrivers,
  validateTriage,
  SparseVirtualLayer,
  type TriageDriver,
  type TriageHeader64,
} from './windows/triage';
import { parseKdbg, type Kdbg } from './windows/kdbg';

const PAGE = 4096;

interface Segment {
  /** physical start, file offset, length (bytes) */
  pa: number;
  file: number;
  len: number;
}

/** Common base: a sorted list of physical segments mapped to file offsets. */
export abstract class SegmentedDump implements PhysicalMemory {
  abstract readonly format: string;
  readonly ranges: PhysRange[];
  readonly info: Record<string, string | number | boolean>;
  readonly hints: { cr3?: number[] };
  private readonly starts: Float64Array;
  constructor(
    readonly source: ByteSource,
    readonly header: DumpHeader64,
    private readonly segments: Segment[],
  ) {
    this.starts = Float64Array.from(segments.map((s) => s.pa));
    this.ranges = mergeRanges(segments);
    this.info = headerInfo(header);
    this.hints = { cr3: [Number(header.directoryTableBase & ~0xfffn)] };
  }
  private seg(pa: number): Segment | null {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= pa) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0) return null;
    const s = this.segments[hi];
    return pa < s.pa + s.len ? s : null;
  }
  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    let done = 0;
    while (done < length) {
      const p = paddr + done;
      const s = this.seg(p);
      if (!s) return false;
      const n = Math.min(length - done, s.pa + s.len - p);
      if (this.source.readInto(s.file + (p - s.pa), target, targetOffset + done, n) !== n) return false;
      done += n;
    }
    return true;
  }
  /**
   * Sequential scan of the page data in file order (big reads, no cache churn): yields each chunk and
   * a function mapping an offset in it to its physical address. Page data is contiguous in the file,
   * so this reads every present page exactly once, however fragmented the physical layout is.
   */
  *scanFileOrder(chunk = 4 << 20): Generator<[Buffer, (off: number) => number]> {
    const byFile = [...this.segments].sort((a, b) => a.file - b.file);
    if (!byFile.length) return;
    const fileStarts = byFile.map((s) => s.file);
    const toPhys = (fileOff: number): number => {
      let lo = 0;
      let hi = fileStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (fileStarts[mid] <= fileOff) lo = mid;
        else hi = mid - 1;
      }
      const s = byFile[lo];
      return s.pa + (fileOff - s.file);
    };
    const start = byFile[0].file;
    const last = byFile[byFile.length - 1];
    const end = Math.min(last.file + last.len, this.source.size);
    const buf = Buffer.allocUnsafe(chunk);
    for (let f = start; f < end; f += chunk) {
      const n = this.source.readInto(f, buf, 0, Math.min(chunk, end - f));
      if (n <= 0) break;
      const base = f;
      yield [buf.subarray(0, n), (off: number) => toPhys(base + off)];
    }
  }
  close(): void {
    this.source.close();
  }
}

function mergeRanges(segs: Segment[]): PhysRange[] {
  const out: PhysRange[] = [];
  for (const s of segs) {
    const last = out[out.length - 1];
    if (last && last.end === s.pa) last.end += s.len;
    else out.push({ start: s.pa, end: s.pa + s.len, ram: true });
  }
  return out;
}

function headerInfo(h: DumpHeader64): Record<string, string | number | boolean> {
  return {
    'windows.dump_type': `${DUMP_TYPES[h.dumpType] ?? 'unknown'} (${h.dumpType})`,
    'windows.header_version': `${h.majorVersion}.${h.minorVersion}`,
    'windows.build_number': h.minorVersion,
    'windows.machine': hex(h.machineImageType),
    'windows.processors': h.numberProcessors,
    'windows.bugcheck': `${hex(h.bugCheckCode)} (${h.bugCheckParameters.map((p) => hex(p)).join(', ')})`,
    'windows.header_dtb': hex(h.directoryTableBase),
    'windows.header_kdbg': hex(h.kdDebuggerDataBlock),
    'windows.header_ps_active_process_head': hex(h.psActiveProcessHead),
    'windows.header_ps_loaded_module_list': hex(h.psLoadedModuleList),
    'windows.context_rip': h.machineImageType === 0x8664 ? hex(parseContextX64(h.context).Rip ?? 0n) : 'n/a',
    'windows.system_time': filetimeToDate(h.systemTime)?.toISOString() ?? 'unset',
  };
}

export class WindowsFullDump extends SegmentedDump {
  readonly format = 'windows-full';
  static open(src: ByteSource, h: DumpHeader64): WindowsFullDump {
    const segs: Segment[] = [];
    let file = DUMP_HEADER64_SIZE;
    const sorted = [...h.runs].sort((a, b) => a.basePage - b.basePage);
    let prevEnd = -1;
    for (const r of sorted) {
      const pa = r.basePage * PAGE;
      const len = r.pageCount * PAGE;
      if (pa < prevEnd) throw new MemqError(`${src.name}: inconsistent full dump header — physical runs overlap at ${hex(pa)}`, 'E_FORMAT');
      prevEnd = pa + len;
      if (len) segs.push({ pa, file: 0, len });
    }
    // file order is header order, not sorted order
    for (const r of h.runs) {
      const s = segs.find((x) => x.pa === r.basePage * PAGE);
      if (s) s.file = file;
      file += r.pageCount * PAGE;
    }
    if (file > src.size) {
      throw new MemqError(
        `${src.name}: truncated Windows full dump — its ${h.runs.length} physical runs need 0x${file.toString(16)} bytes, file has 0x${src.size.toString(16)}`,
        'E_TRUNCATED',
      );
    }
    const d = new WindowsFullDump(src, h, segs);
    d.info['windows.physical_runs'] = h.runs.length;
    return d;
  }
}

export class WindowsBitmapDump extends SegmentedDump {
  readonly format = 'windows-bitmap';
  static open(src: ByteSource, h: DumpHeader64): WindowsBitmapDump {
    const sh = readExact(src, DUMP_HEADER64_SIZE, 0x38);
    const sig = sh.toString('latin1', 0, 4);
    const valid = sh.toString('latin1', 4, 8);
    // Windows writes ValidDump 'DUMP' here (some tools write 'DU64'): accept both
    if ((sig !== 'SDMP' && sig !== 'FDMP') || (valid !== 'DUMP' && valid !== 'DU64')) {
      throw new MemqError(`${src.name}: Windows bitmap dump without a _SUMMARY_DUMP64 header (expected 'SDMP'/'FDMP' + 'DUMP' at 0x2000, found '${sh.toString('latin1', 0, 8).replace(/[^\x20-\x7e]/g, '.')}')`, 'E_FORMAT');
    }
    const headerSize = sh.readBigUInt64LE(0x20);
    const pages = sh.readBigUInt64LE(0x28);
    const bits = sh.readBigUInt64LE(0x30);
    if (bits > 1n << 36n || headerSize > BigInt(src.size) || headerSize < BigInt(DUMP_HEADER64_SIZE + 0x38)) {
      throw new MemqError(`${src.name}: inconsistent _SUMMARY_DUMP64 — HeaderSize 0x${headerSize.toString(16)}, BitmapSize ${bits} bits`, 'E_FORMAT');
    }
    const nbits = Number(bits);
    const bitmapBytes = Math.ceil(nbits / 32) * 4;
    if (DUMP_HEADER64_SIZE + 0x38 + bitmapBytes > Number(headerSize)) {
      throw new MemqError(`${src.name}: inconsistent _SUMMARY_DUMP64 — a ${nbits}-bit bitmap does not fit below HeaderSize 0x${headerSize.toString(16)}`, 'E_FORMAT');
    }
    const segs: Segment[] = [];
    let file = Number(headerSize);
    // Read the bitmap in 1 MiB slices; walk 32-bit words, skipping all-zero / all-one words quickly.
    const SLICE = 1 << 20;
    let runStart = -1;
    let runFile = 0;
    for (let base = 0; base < bitmapBytes; base += SLICE) {
      const chunk = readExact(src, DUMP_HEADER64_SIZE + 0x38 + base, Math.min(SLICE, bitmapBytes - base));
      const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2);
      for (let wi = 0; wi < words.length; wi++) {
        const w = words[wi];
        const pageBase = (base / 4 + wi) * 32;
        if (w === 0 && runStart < 0) continue;
        if (w === 0xffffffff && runStart >= 0 && pageBase + 32 <= nbits) {
          file += 32 * PAGE;
          continue;
        }
        for (let b = 0; b < 32; b++) {
          const page = pageBase + b;
          if (page >= nbits) break;
          const set = (w >>> b) & 1;
          if (set && runStart < 0) {
            runStart = page;
            runFile = file;
          } else if (!set && runStart >= 0) {
            segs.push({ pa: runStart * PAGE, file: runFile, len: (page - runStart) * PAGE });
            runStart = -1;
          }
          if (set) file += PAGE;
        }
      }
    }
    if (runStart >= 0) segs.push({ pa: runStart * PAGE, file: runFile, len: (nbits - runStart) * PAGE });
    if (file > src.size) {
      throw new MemqError(
        `${src.name}: truncated Windows bitmap dump — the bitmap marks ${(file - Number(headerSize)) / PAGE} pages (0x${file.toString(16)} bytes needed), file has 0x${src.size.toString(16)}`,
        'E_TRUNCATED',
      );
    }
    const d = new WindowsBitmapDump(src, h, segs);
    d.info['windows.summary_signature'] = sig;
    d.info['windows.bitmap_pages'] = Number(pages);
    d.info['windows.bitmap_bits'] = nbits;
    return d;
  }
}

/** Triage dump: no physical memory; the engine reads the sparse virtual layer and the blobs. */
export class WindowsTriageDump implements PhysicalMemory {
  readonly format = 'windows-triage';
  readonly ranges: PhysRange[] = [];
  readonly info: Record<string, string | number | boolean>;
  readonly hints: { cr3?: number[] };
  readonly triage: TriageHeader64;
  readonly drivers: TriageDriver[];
  readonly kdbg: Kdbg | null;
  readonly kdbgRaw: Buffer | null;
  readonly virtual: SparseVirtualLayer;
  readonly processBlob: Buffer | null;
  readonly threadBlob: Buffer | null;
  constructor(
    readonly source: ByteSource,
    readonly header: DumpHeader64,
  ) {
    const t = parseTriageHeader(source);
    validateTriage(source, t);
    this.triage = t;
    this.drivers = readTriageDrivers(source, t);
    this.kdbgRaw = t.debuggerDataSize ? readExact(source, t.debuggerDataOffset, t.debuggerDataSize) : null;
    this.kdbg = this.kdbgRaw ? parseKdbg(this.kdbgRaw) : null;
    const blocks = readDataBlocks(source, t);
    this.virtual = new SparseVirtualLayer(source, blocks);
    // EPROCESS/ETHREAD copies: sizes from KDBG (SizeEProcess/SizeEThread), bounded by the file.
    const blob = (off: number, size: number) =>
      off >= DUMP_HEADER64_SIZE && size > 0 && size <= 0x4000 && off + size <= source.size ? readExact(source, off, size) : null;
    this.processBlob = blob(t.processOffset, this.kdbg?.sizeEProcess ?? 0);
    this.threadBlob = blob(t.threadOffset, this.kdbg?.sizeEThread ?? 0);
    this.info = headerInfo(header);
    this.info['windows.triage_drivers'] = this.drivers.length;
    this.info['windows.triage_data_blocks'] = blocks.length;
    this.info['windows.machine_arch'] = header.machineImageType === 0xaa64 ? 'arm64' : header.machineImageType === 0x8664 ? 'x64' : 'other';
    this.hints = { cr3: [Number(header.directoryTableBase & ~0xfffn)] };
  }
  readPhys(): boolean {
    return false;
  }
  close(): void {
    this.source.close();
  }
}

export type WindowsCrashDump = WindowsFullDump | WindowsBitmapDump | WindowsTriageDump;

export function openWindowsCrashDump(src: ByteSource): WindowsCrashDump {
  const h = parseDumpHeader64(src);
  if (h.machineImageType !== 0x8664 && h.machineImageType !== 0xaa64) {
    throw new MemqError(`${src.name}: Windows crash dump for machine ${hex(h.machineImageType)}; expected x64 (0x8664) or ARM64 (0xaa64)`, 'E_FORMAT');
  }
  switch (h.dumpType) {
    case 1:
      return WindowsFullDump.open(src, h);
    case 2:
    case 5:
    case 6:
      return WindowsBitmapDump.open(src, h);
    case 4:
      return new WindowsTriageDump(src, h);
    default:
      throw new MemqError(
        `${src.name}: unsupported Windows crash dump type ${h.dumpType} at 0xF98 (expected 1 full, 2/5/6 bitmap, 4 triage)`,
        'E_FORMAT',
      );
  }
}

registerFormat({
  id: 'windows-crashdump',
  description: "Windows crash dump ('PAGEDU64')",
  // 32-bit dumps ('PAGEDUMP') are claimed too, only to say clearly that they are not supported
  matches: (head) => looksLikeDumpHeader64(head) || head.toString('latin1', 0, 8) === 'PAGEDUMP',
  open: (src) => {
    const head = Buffer.alloc(8);
    src.readInto(0, head, 0, 8);
    if (head.toString('latin1') === 'PAGEDUMP') {
      throw new MemqError(`${src.name}: 32-bit Windows crash dump ('PAGEDUMP'); memq reads 64-bit dumps ('PAGEDU64') only`, 'E_FORMAT');
    }
    return openWindowsCrashDump(src);
  },
});

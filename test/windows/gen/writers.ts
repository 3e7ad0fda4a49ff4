// Streams a generated PhysModel to disk as a Windows crash dump or a raw image, one page at a time.
// Layouts followed:
// - DUMP_HEADER64 (0x2000 bytes; 'PAGE','DU64'; unused bytes hold the 'PAGE' fill pattern): MajorVersion
//   0x08, MinorVersion 0x0C, DirectoryTableBase 0x10, PfnDataBase 0x18, PsLoadedModuleList 0x20,
//   PsActiveProcessHead 0x28, MachineImageType 0x30, NumberProcessors 0x34, BugCheckCode 0x38,
//   BugCheckParameter1..4 0x40, KdDebuggerDataBlock 0x80, PhysicalMemoryBlockBuffer 0x88 (0x2C0 bytes),
//   ContextRecord 0x348, ExceptionRecord 0xF00, DumpType 0xF98, RequiredDumpSpace 0xFA0, SystemTime 0xFA8,
//   Comment 0xFB0, SystemUpTime 0x1030, ProductType 0x1040, SuiteMask 0x1044 (as in rizin's dmp64 specs and
//   kdmp-parser; offsets checked on ../shared/images/windows-triage/triage_x64.dmp).
// - _PHYSICAL_MEMORY_DESCRIPTOR64 {u32 NumberOfRuns, u32 pad, u64 NumberOfPages, {u64 BasePage, u64 PageCount}[]}.
// - full dump (DumpType 1): page data from 0x2000, runs in order, no gaps.
// - bitmap dumps (DumpType 5 full 'FDMP', 6 kernel 'SDMP'): _SUMMARY_DUMP64 at 0x2000 {Signature,
//   ValidDump 'DUMP', HeaderSize (file offset of the first page) at +0x20, Pages present at +0x28,
//   BitmapSize in bits at +0x30, bitmap at +0x38}; present pages follow in ascending PFN order.
// - raw: flat guest-physical image; holes in the memory map are zero-filled.
import * as fs from 'node:fs';
import { addr } from '../../../lib/util/hex';
import type { BuiltSystem } from './system';
import { fileTime } from './system';
import { PAGE } from './memory';
import { Rng, hash32 } from './rng';
import type { DumpKind, Truth } from './truth';

const CHUNK = 1 << 20;

/** The four content classes of a physical page in the generated machine. */
type PageData = 'content' | 'noise' | 'zero';

export interface WriteResult {
  size: number;
  presentPages: number;
  dumpHeader: Truth['dumpHeader'];
  format: string;
}

export function writeDump(sys: BuiltSystem, kind: DumpKind, out: string, seed: number): WriteResult {
  const mem = sys.mem;
  // Bytes of memory the generator does not model: 1 MiB of seeded noise with the top bit of every byte
  // set, so it can never spell an ASCII pool tag, 'MZ', 'KDBG' or 'RSDS' by accident.
  const noise = new Rng(seed ^ 0x5eed).bytes(CHUNK);
  for (let i = 0; i < noise.length; i++) noise[i] |= 0x80;
  const zero = Buffer.alloc(PAGE);
  const classify = (pfn: number): PageData => {
    if (mem.pages.has(pfn)) return 'content';
    if (mem.isUsed(pfn)) return 'noise';
    if (mem.forcedFree.has(pfn)) return 'zero';
    return hash32(pfn, seed) % 8 < 5 ? 'noise' : 'zero';
  };
  const pageBytes = (pfn: number, c: PageData): Buffer => {
    if (c === 'content') return mem.pages.get(pfn)!;
    if (c === 'zero') return zero;
    const o = (hash32(pfn, seed ^ 0x1234) % (CHUNK / PAGE)) * PAGE;
    return noise.subarray(o, o + PAGE);
  };
  // which pages a bitmap dump keeps: full bitmap drops free (zero) pages; kernel bitmap also drops user pages
  const keep = (pfn: number, c: PageData): boolean => {
    if (kind === 'bitmap') return c !== 'zero';
    if (kind === 'kernel-bitmap') {
      if (c === 'zero') return false;
      const cls = mem.cls.get(pfn);
      if (cls) return cls === 'kernel';
      return hash32(pfn, seed ^ 0x777) % 2 === 0;
    }
    return true;
  };

  const fd = fs.openSync(out, 'w');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let fill = 0;
    let pos = 0;
    const flush = (): void => {
      if (fill) fs.writeSync(fd, chunk, 0, fill, pos);
      pos += fill;
      fill = 0;
    };
    const put = (b: Buffer): void => {
      if (fill + b.length > CHUNK) flush();
      b.copy(chunk, fill);
      fill += b.length;
    };
    if (kind === 'raw') {
      let runIdx = 0;
      for (let pfn = 0; pfn < mem.endPfn; pfn++) {
        while (runIdx < mem.runs.length && pfn >= mem.runs[runIdx].basePage + mem.runs[runIdx].pageCount) runIdx++;
        const r = mem.runs[runIdx];
        const inRam = r && pfn >= r.basePage;
        // the low stub page sits below the first run boundary only if claimed; it is inside run 0 here
        put(inRam || mem.pages.has(pfn) ? pageBytes(pfn, classify(pfn)) : zero);
      }
      flush();
      return { size: pos, presentPages: mem.endPfn, dumpHeader: null, format: 'raw' };
    }
    // crash dumps: pass 1 decides present pages (bitmap kinds) so the header can state sizes
    const totalPages = mem.runs.reduce((s, r) => s + r.pageCount, 0);
    let present = totalPages;
    let bitmap: Buffer | null = null;
    if (kind !== 'full') {
      bitmap = Buffer.alloc(Math.ceil(mem.endPfn / 8));
      present = 0;
      for (const r of mem.runs)
        for (let pfn = r.basePage; pfn < r.basePage + r.pageCount; pfn++)
          if (keep(pfn, classify(pfn))) {
            bitmap[pfn >> 3] |= 1 << (pfn & 7);
            present++;
          }
    }
    const summaryAt = 0x2000;
    const firstPage = bitmap ? Math.ceil((summaryAt + 0x38 + bitmap.length) / PAGE) * PAGE : 0x2000;
    const size = firstPage + present * PAGE;
    const dumpType = kind === 'full' ? 1 : kind === 'bitmap' ? 5 : 6;
    const { header, truth } = dumpHeader(sys, dumpType, size, totalPages);
    put(header);
    if (bitmap) {
      const sh = Buffer.alloc(firstPage - summaryAt);
      sh.write(kind === 'bitmap' ? 'FDMP' : 'SDMP', 0, 'latin1');
      sh.write('DUMP', 4, 'latin1');
      sh.writeBigUInt64LE(BigInt(firstPage), 0x20);
      sh.writeBigUInt64LE(BigInt(present), 0x28);
      sh.writeBigUInt64LE(BigInt(mem.endPfn), 0x30);
      bitmap.copy(sh, 0x38);
      put(sh);
      truth.summary = { signature: kind === 'bitmap' ? 'FDMP' : 'SDMP', validDump: 'DUMP', headerSize: addr(firstPage), bitmapBits: mem.endPfn, pages: present };
    }
    truth.firstPageOffset = firstPage;
    for (const r of mem.runs)
      for (let pfn = r.basePage; pfn < r.basePage + r.pageCount; pfn++) {
        const c = classify(pfn);
        if (bitmap && !(bitmap[pfn >> 3] & (1 << (pfn & 7)))) continue;
        put(pageBytes(pfn, c));
      }
    flush();
    if (pos !== size) throw new Error(`generator: wrote ${pos} bytes, expected ${size}`);
    return { size, presentPages: present, dumpHeader: truth, format: kind === 'full' ? 'windows-full' : 'windows-bitmap' };
  } finally {
    fs.closeSync(fd);
  }
}

function dumpHeader(sys: BuiltSystem, dumpType: number, fileSize: number, totalPages: number): { header: Buffer; truth: NonNullable<Truth['dumpHeader']> } {
  const h = Buffer.alloc(0x2000);
  for (let i = 0; i < h.length; i += 4) h.write('PAGE', i, 'latin1');
  h.write('PAGEDU64', 0, 'latin1');
  h.writeUInt32LE(0xf, 0x08); // free (retail) build
  h.writeUInt32LE(sys.build.buildNumber, 0x0c);
  h.writeBigUInt64LE(BigInt(sys.dtb), 0x10);
  h.writeBigUInt64LE(sys.pfnDatabaseVa, 0x18);
  h.writeBigUInt64LE(sys.psLoadedModuleList, 0x20);
  h.writeBigUInt64LE(sys.psActiveProcessHead, 0x28);
  h.writeUInt32LE(0x8664, 0x30);
  h.writeUInt32LE(sys.numberProcessors, 0x34);
  const bugCheck = 0xe2; // MANUALLY_INITIATED_CRASH (keyboard / NotMyFault crash to take a full dump)
  h.writeUInt32LE(bugCheck, 0x38);
  for (let i = 0; i < 4; i++) h.writeBigUInt64LE(0n, 0x40 + i * 8);
  h.writeBigUInt64LE(sys.kdbgVa, 0x80);
  // _PHYSICAL_MEMORY_DESCRIPTOR64 at 0x88
  const runs = sys.mem.runs;
  if (16 + runs.length * 16 > 0x2c0) throw new Error('generator: too many runs for the header');
  h.writeUInt32LE(runs.length, 0x88);
  h.writeUInt32LE(0, 0x8c);
  h.writeBigUInt64LE(BigInt(totalPages), 0x90);
  runs.forEach((r, i) => {
    h.writeBigUInt64LE(BigInt(r.basePage), 0x98 + i * 16);
    h.writeBigUInt64LE(BigInt(r.pageCount), 0xa0 + i * 16);
  });
  // CONTEXT (x64) at 0x348: zeroed, then ContextFlags/MxCsr/segments/EFlags/Rsp/Rip
  h.fill(0, 0x348, 0x348 + 0x4d0);
  h.writeUInt32LE(0x10001f, 0x348 + 0x30);
  h.writeUInt32LE(0x1f80, 0x348 + 0x34);
  h.writeUInt16LE(0x10, 0x348 + 0x38);
  h.writeUInt16LE(0x2b, 0x348 + 0x3a);
  h.writeUInt16LE(0x2b, 0x348 + 0x3c);
  h.writeUInt16LE(0x53, 0x348 + 0x3e);
  h.writeUInt16LE(0x2b, 0x348 + 0x40);
  h.writeUInt16LE(0x18, 0x348 + 0x42);
  h.writeUInt32LE(0x40286, 0x348 + 0x44);
  h.writeBigUInt64LE(BigInt(sys.truth.kernel.kernelEntry), 0x348 + 0xf8);
  // EXCEPTION_RECORD64 at 0xF00: breakpoint
  h.fill(0, 0xf00, 0xf98);
  h.writeUInt32LE(0x80000003, 0xf00);
  h.writeUInt32LE(1, 0xf04);
  h.writeBigUInt64LE(BigInt(sys.truth.kernel.kernelEntry), 0xf10);
  h.writeUInt32LE(dumpType, 0xf98);
  h.writeBigUInt64LE(BigInt(fileSize), 0xfa0);
  const st = fileTime(sys.dumpMicros);
  h.writeBigUInt64LE(BigInt(st.filetime), 0xfa8);
  h.writeBigUInt64LE((sys.dumpMicros - sys.bootMicros) * 10n, 0x1030);
  h.writeUInt32LE(0, 0x1038);
  h.writeUInt32LE(0, 0x103c);
  h.writeUInt32LE(1, 0x1040); // VER_NT_WORKSTATION
  h.writeUInt32LE(0x110, 0x1044);
  h.writeUInt32LE(0, 0x1048);
  return {
    header: h,
    truth: {
      signature: 'PAGE',
      validDump: 'DU64',
      majorVersion: 0xf,
      minorVersion: sys.build.buildNumber,
      dumpType,
      directoryTableBase: addr(sys.dtb),
      pfnDataBase: addr(sys.pfnDatabaseVa),
      psLoadedModuleList: addr(sys.psLoadedModuleList),
      psActiveProcessHead: addr(sys.psActiveProcessHead),
      kdDebuggerDataBlock: addr(sys.kdbgVa),
      machineImageType: 0x8664,
      numberProcessors: sys.numberProcessors,
      bugCheckCode: bugCheck,
      bugCheckParameters: [addr(0), addr(0), addr(0), addr(0)],
      systemTime: st,
      requiredDumpSpace: addr(fileSize),
      summary: null,
      firstPageOffset: 0x2000,
    },
  };
}

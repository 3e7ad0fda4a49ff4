// DUMP_HEADER64 of a Windows crash dump ('PAGEDU64'): the 0x2000-byte header every 64-bit kernel dump
// starts with. Offsets follow the documented layout (dbghelp/WinDbg headers, checked on the real
// triage dumps in ../shared/images/windows-triage): DirectoryTableBase 0x10, KdDebuggerDataBlock 0x80,
// _PHYSICAL_MEMORY_DESCRIPTOR64 0x88, ContextRecord 0x348, Exception 0xF00, DumpType 0xF98.
import type { ByteSource } from '../../byte-source';
import { readAt } from '../../byte-source';
import { MemqError } from '../../../util/errors';

export const DUMP_HEADER64_SIZE = 0x2000;

export const DUMP_TYPES: Record<number, string> = {
  1: 'full',
  2: 'kernel',
  4: 'triage',
  5: 'bitmap',
  6: 'kernel-bitmap',
};

export interface PhysicalRun {
  basePage: number;
  pageCount: number;
}

export interface DumpHeader64 {
  majorVersion: number;
  /** the Windows build number (e.g. 19041) */
  minorVersion: number;
  directoryTableBase: bigint;
  pfnDataBase: bigint;
  psLoadedModuleList: bigint;
  psActiveProcessHead: bigint;
  machineImageType: number;
  numberProcessors: number;
  bugCheckCode: number;
  bugCheckParameters: bigint[];
  kdDebuggerDataBlock: bigint;
  numberOfRuns: number;
  numberOfPages: bigint;
  runs: PhysicalRun[];
  dumpType: number;
  requiredDumpSpace: bigint;
  systemTime: bigint;
  systemUpTime: bigint;
  miniDumpFields: number;
  productType: number;
  suiteMask: number;
  /** raw CONTEXT record bytes (0xBB8 at 0x348) */
  context: Buffer;
}

/** The 'PAGE' signature repeated: Windows fills unused header bytes with it. */
const PAGE_FILL = 0x45474150;

export function looksLikeDumpHeader64(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 8) === 'PAGEDU64';
}

export function parseDumpHeader64(src: ByteSource): DumpHeader64 {
  if (src.size < DUMP_HEADER64_SIZE) {
    throw new MemqError(
      `${src.name}: truncated Windows crash dump — DUMP_HEADER64 needs 0x2000 bytes, file has ${src.size}`,
      'E_TRUNCATED',
    );
  }
  const h = readAt(src, 0, DUMP_HEADER64_SIZE);
  if (h.toString('latin1', 0, 8) !== 'PAGEDU64') {
    throw new MemqError(`${src.name}: not a 64-bit Windows crash dump (expected 'PAGEDU64' at offset 0)`, 'E_FORMAT');
  }
  const u64 = (o: number) => h.readBigUInt64LE(o);
  const dumpType = h.readUInt32LE(0xf98);
  // Runs are only meaningful for full dumps; other types leave the 'PAGE' fill pattern there.
  let numberOfRuns = h.readUInt32LE(0x88);
  const runs: PhysicalRun[] = [];
  const maxRuns = Math.floor((0x348 - 0x88 - 0x10) / 16);
  if (numberOfRuns === PAGE_FILL) numberOfRuns = 0;
  if (dumpType === 1) {
    if (numberOfRuns === 0 || numberOfRuns > maxRuns) {
      throw new MemqError(
        `${src.name}: inconsistent Windows full dump header — PhysicalMemoryBlock.NumberOfRuns at 0x88 is ${numberOfRuns}, expected 1..${maxRuns}`,
        'E_FORMAT',
      );
    }
    for (let i = 0; i < numberOfRuns; i++) {
      const base = u64(0x98 + i * 16);
      const count = u64(0xa0 + i * 16);
      if (base > 1n << 40n || count > 1n << 40n) {
        throw new MemqError(`${src.name}: inconsistent physical memory run ${i} at 0x${(0x98 + i * 16).toString(16)} (base page 0x${base.toString(16)}, count 0x${count.toString(16)})`, 'E_FORMAT');
      }
      runs.push({ basePage: Number(base), pageCount: Number(count) });
    }
  }
  return {
    majorVersion: h.readUInt32LE(0x8),
    minorVersion: h.readUInt32LE(0xc),
    directoryTableBase: u64(0x10),
    pfnDataBase: u64(0x18),
    psLoadedModuleList: u64(0x20),
    psActiveProcessHead: u64(0x28),
    machineImageType: h.readUInt32LE(0x30),
    numberProcessors: h.readUInt32LE(0x34),
    bugCheckCode: h.readUInt32LE(0x38),
    bugCheckParameters: [u64(0x40), u64(0x48), u64(0x50), u64(0x58)],
    kdDebuggerDataBlock: u64(0x80),
    numberOfRuns,
    numberOfPages: dumpType === 1 ? u64(0x90) : 0n,
    runs,
    dumpType,
    requiredDumpSpace: u64(0xfa0),
    systemTime: u64(0xfa8),
    systemUpTime: u64(0x1030),
    miniDumpFields: h.readUInt32LE(0x1038),
    productType: h.readUInt32LE(0x1040),
    suiteMask: h.readUInt32LE(0x1044),
    context: Buffer.from(h.subarray(0x348, 0x348 + 0xbb8)),
  };
}

/** FILETIME (100 ns since 1601) → Date, or null when zero/out of range. */
export function filetimeToDate(ft: bigint): Date | null {
  if (ft <= 0n) return null;
  const ms = Number(ft / 10000n) - 11644473600000;
  if (ms < 0 || ms > 253402300799999) return null;
  return new Date(ms);
}

const CONTEXT_GPRS = ['Rax', 'Rcx', 'Rdx', 'Rbx', 'Rsp', 'Rbp', 'Rsi', 'Rdi', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15', 'Rip'];

/** x64 CONTEXT record: MxCsr 0x34, EFlags 0x44, Rax…R15 from 0x78, Rip 0xF8 (winnt.h layout). */
export function parseContextX64(c: Buffer): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  if (c.length < 0x100) return out;
  CONTEXT_GPRS.forEach((r, i) => (out[r] = c.readBigUInt64LE(0x78 + i * 8)));
  out.EFlags = BigInt(c.readUInt32LE(0x44));
  out.MxCsr = BigInt(c.readUInt32LE(0x34));
  return out;
}

// TRIAGE_DUMP64 (DumpType 4, kernel minidump) at offset 0x2000: the small dump Windows writes by
// default. It holds no physical memory runs — only copies of the current EPROCESS/ETHREAD, the
// decoded KDDEBUGGER_DATA64, the loaded-driver list with a string pool, and "data blocks": kernel
// memory copied out and keyed by virtual address, which we serve as a sparse virtual layer.
// Field offsets were checked on the real dumps in ../shared/images/windows-triage (x64 and ARM64).
import type { ByteSource } from '../../byte-source';
import { readAt, readExact } from '../../byte-source';
import { MemqError } from '../../../util/errors';

export const TRIAGE_HEADER_OFFSET = 0x2000;
const DRIVER_ENTRY_SIZE = 0x90;
const MAX_DRIVERS = 65536;
const MAX_BLOCKS = 1 << 20;

export interface TriageHeader64 {
  servicePackBuild: number;
  sizeOfDump: number;
  validOffset: number;
  contextOffset: number;
  exceptionOffset: number;
  mmOffset: number;
  unloadedDriversOffset: number;
  prcbOffset: number;
  processOffset: number;
  threadOffset: number;
  callStackOffset: number;
  sizeOfCallStack: number;
  driverListOffset: number;
  driverCount: number;
  stringPoolOffset: number;
  stringPoolSize: number;
  brokenDriverOffset: number;
  triageOptions: number;
  topOfStack: bigint;
  dataPageAddress: bigint;
  dataPageOffset: number;
  dataPageSize: number;
  debuggerDataOffset: number;
  debuggerDataSize: number;
  dataBlocksOffset: number;
  dataBlocksCount: number;
}

export interface TriageDriver {
  /** full path from the string pool, e.g. \SystemRoot\system32\ntoskrnl.exe */
  name: string;
  dllBase: bigint;
  sizeOfImage: number;
  /** the KLDR_DATA_TABLE_ENTRY copy (0x88 bytes) */
  entry: Buffer;
}

export interface DataBlock {
  va: bigint;
  fileOffset: number;
  size: number;
}

export function parseTriageHeader(src: ByteSource): TriageHeader64 {
  const t = readExact(src, TRIAGE_HEADER_OFFSET, 0x80);
  const u = (o: number) => t.readUInt32LE(o);
  return {
    servicePackBuild: u(0x0),
    sizeOfDump: u(0x4),
    validOffset: u(0x8),
    contextOffset: u(0xc),
    exceptionOffset: u(0x10),
    mmOffset: u(0x14),
    unloadedDriversOffset: u(0x18),
    prcbOffset: u(0x1c),
    processOffset: u(0x20),
    threadOffset: u(0x24),
    callStackOffset: u(0x28),
    sizeOfCallStack: u(0x2c),
    driverListOffset: u(0x30),
    driverCount: u(0x34),
    stringPoolOffset: u(0x38),
    stringPoolSize: u(0x3c),
    brokenDriverOffset: u(0x40),
    triageOptions: u(0x44),
    topOfStack: t.readBigUInt64LE(0x48),
    dataPageAddress: t.readBigUInt64LE(0x50),
    dataPageOffset: u(0x58),
    dataPageSize: u(0x5c),
    debuggerDataOffset: u(0x70),
    debuggerDataSize: u(0x74),
    dataBlocksOffset: u(0x78),
    dataBlocksCount: u(0x7c),
  };
}

function checkRange(src: ByteSource, what: string, offset: number, length: number): void {
  if (offset < TRIAGE_HEADER_OFFSET || length < 0 || offset + length > src.size) {
    throw new MemqError(
      `${src.name}: inconsistent triage dump — ${what} at 0x${offset.toString(16)} (+0x${length.toString(16)}) lies outside the file (0x${src.size.toString(16)} bytes)`,
      'E_FORMAT',
    );
  }
}

/** Validates every region the header points at, so later reads cannot run off the file. */
export function validateTriage(src: ByteSource, t: TriageHeader64): void {
  if (t.driverCount > MAX_DRIVERS) throw new MemqError(`${src.name}: triage DriverCount ${t.driverCount} is implausible (max ${MAX_DRIVERS})`, 'E_FORMAT');
  if (t.dataBlocksCount > MAX_BLOCKS) throw new MemqError(`${src.name}: triage DataBlocksCount ${t.dataBlocksCount} is implausible (max ${MAX_BLOCKS})`, 'E_FORMAT');
  if (t.sizeOfDump > src.size) {
    throw new MemqError(`${src.name}: truncated triage dump — header says SizeOfDump 0x${t.sizeOfDump.toString(16)}, file has 0x${src.size.toString(16)} bytes`, 'E_TRUNCATED');
  }
  if (t.driverCount) checkRange(src, 'driver list', t.driverListOffset, t.driverCount * DRIVER_ENTRY_SIZE);
  if (t.stringPoolSize) checkRange(src, 'string pool', t.stringPoolOffset, t.stringPoolSize);
  if (t.debuggerDataSize) checkRange(src, 'KDDEBUGGER_DATA64', t.debuggerDataOffset, t.debuggerDataSize);
  if (t.dataBlocksCount) checkRange(src, 'data block table', t.dataBlocksOffset, t.dataBlocksCount * 16);
}

/** Driver list: entries of {u32 name offset; u32 pad; KLDR_DATA_TABLE_ENTRY (0x88)}. */
export function readTriageDrivers(src: ByteSource, t: TriageHeader64): TriageDriver[] {
  const out: TriageDriver[] = [];
  if (!t.driverCount) return out;
  const list = readExact(src, t.driverListOffset, t.driverCount * DRIVER_ENTRY_SIZE);
  const poolEnd = t.stringPoolOffset + t.stringPoolSize;
  for (let i = 0; i < t.driverCount; i++) {
    const e = list.subarray(i * DRIVER_ENTRY_SIZE, (i + 1) * DRIVER_ENTRY_SIZE);
    const nameOff = e.readUInt32LE(0);
    const entry = Buffer.from(e.subarray(8));
    let name = '';
    if (nameOff >= t.stringPoolOffset && nameOff + 4 <= poolEnd) {
      const chars = readExact(src, nameOff, 4).readUInt32LE(0);
      const bytes = Math.min(chars * 2, poolEnd - nameOff - 4, 0x2000);
      name = readAt(src, nameOff + 4, bytes).toString('utf16le');
    }
    out.push({ name, dllBase: entry.readBigUInt64LE(0x30), sizeOfImage: entry.readUInt32LE(0x40), entry });
  }
  return out;
}

/** The VA-keyed data blocks, sorted by VA; blocks outside the file are dropped. */
export function readDataBlocks(src: ByteSource, t: TriageHeader64): DataBlock[] {
  if (!t.dataBlocksCount) return [];
  const tab = readExact(src, t.dataBlocksOffset, t.dataBlocksCount * 16);
  const out: DataBlock[] = [];
  for (let i = 0; i < t.dataBlocksCount; i++) {
    const b = { va: tab.readBigUInt64LE(i * 16), fileOffset: tab.readUInt32LE(i * 16 + 8), size: tab.readUInt32LE(i * 16 + 12) };
    if (b.size === 0 || b.fileOffset + b.size > src.size) continue;
    out.push(b);
  }
  out.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  return out;
}

/**
 * Sparse virtual memory made of triage data blocks (and any extra blobs registered at known VAs, such
 * as the EPROCESS/ETHREAD copies). Reads succeed only when every byte is covered.
 */
export class SparseVirtualLayer {
  private blocks: { va: bigint; end: bigint; data: () => Buffer }[] = [];
  constructor(private readonly src: ByteSource, blocks: DataBlock[]) {
    for (const b of blocks) {
      this.blocks.push({ va: b.va, end: b.va + BigInt(b.size), data: () => readExact(src, b.fileOffset, b.size) });
    }
  }
  /** Adds an in-memory blob at a VA (used for the EPROCESS/ETHREAD copies). Later blobs win. */
  addBlob(va: bigint, data: Buffer): void {
    this.blocks.push({ va, end: va + BigInt(data.length), data: () => data });
    this.blocks.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  }
  get blockCount(): number {
    return this.blocks.length;
  }
  private find(va: bigint): number {
    // last block with start <= va
    let lo = 0;
    let hi = this.blocks.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.blocks[mid].va <= va) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // overlapping blocks: step back to any earlier block that still covers va
    for (let i = best; i >= 0 && i > best - 8; i--) if (this.blocks[i].end > va) return i;
    return -1;
  }
  read(va: bigint, length: number): Buffer | null {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    let cur = va;
    for (let guard = 0; done < length && guard < 4096; guard++) {
      const i = this.find(cur);
      if (i < 0) return null;
      const b = this.blocks[i];
      const data = b.data();
      const off = Number(cur - b.va);
      const n = Math.min(length - done, data.length - off);
      if (n <= 0) return null;
      data.copy(out, done, off, off + n);
      done += n;
      cur += BigInt(n);
    }
    return done === length ? out : null;
  }
}

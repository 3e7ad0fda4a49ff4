// KDDEBUGGER_DATA64 (tag 'KDBG'): the kernel's debugger data block. Its layout is fixed by the public
// wdbgexts.h (only ever appended to), so it is read without symbols: KernBase at 0x18, list heads at
// 0x48/0x50, MmPfnDatabase 0xC0, KiProcessorBlock 0x218, the EPROCESS/ETHREAD offsets at 0x2A8…0x2C0.
// Crash dumps carry a decoded copy; on Win8+ live memory it is XOR-encoded (see decodeKdbg).

export interface Kdbg {
  ownerTag: string;
  size: number;
  kernBase: bigint;
  psLoadedModuleList: bigint;
  psActiveProcessHead: bigint;
  pspCidTable: bigint;
  mmPfnDatabase: bigint;
  kiProcessorBlock: bigint;
  ntBuildLab: bigint;
  sizeEProcess: number;
  offsetEprocessPeb: number;
  offsetEprocessParentCID: number;
  offsetEprocessDirectoryTableBase: number;
  sizeEThread: number;
}

export const KDBG_MIN_SIZE = 0x2c8;

/** Parses a decoded KDBG; returns null when the tag is not 'KDBG' or the buffer is too short. */
export function parseKdbg(b: Buffer): Kdbg | null {
  if (b.length < KDBG_MIN_SIZE || b.toString('latin1', 0x10, 0x14) !== 'KDBG') return null;
  const q = (o: number) => b.readBigUInt64LE(o);
  const w = (o: number) => b.readUInt16LE(o);
  return {
    ownerTag: 'KDBG',
    size: b.readUInt32LE(0x14),
    kernBase: q(0x18),
    psLoadedModuleList: q(0x48),
    psActiveProcessHead: q(0x50),
    pspCidTable: q(0x58),
    mmPfnDatabase: q(0xc0),
    kiProcessorBlock: q(0x218),
    ntBuildLab: q(0x208),
    sizeEProcess: w(0x2a8),
    offsetEprocessPeb: w(0x2aa),
    offsetEprocessParentCID: w(0x2ac),
    offsetEprocessDirectoryTableBase: w(0x2ae),
    sizeEThread: w(0x2c0),
  };
}

const M64 = (1n << 64n) - 1n;
function rol(v: bigint, n: number): bigint {
  const s = BigInt(n & 63);
  return ((v << s) | (v >> ((64n - s) & 63n))) & M64;
}
function bswap64(v: bigint): bigint {
  let r = 0n;
  for (let i = 0; i < 8; i++) r = (r << 8n) | ((v >> BigInt(i * 8)) & 0xffn);
  return r;
}

/**
 * Decodes a Win8+ encoded KDBG (KdCopyDataBlock): each qword q becomes
 * bswap(rol(q ^ KiWaitNever, KiWaitNever & 0xff) ^ kdbgAddress) ^ KiWaitAlways.
 */
export function decodeKdbg(enc: Buffer, kdbgAddress: bigint, waitNever: bigint, waitAlways: bigint): Buffer {
  const out = Buffer.alloc(enc.length - (enc.length % 8));
  for (let i = 0; i + 8 <= enc.length; i += 8) {
    let v = enc.readBigUInt64LE(i);
    v = rol(v ^ waitNever, Number(waitNever & 0xffn));
    v = bswap64(v ^ kdbgAddress) ^ waitAlways;
    out.writeBigUInt64LE(v & M64, i);
  }
  return out;
}

// Minimal PE reader for kernel discovery: validates an MZ/PE image in memory and pulls out
// SizeOfImage and the CodeView RSDS record (PDB GUID, age, name) that selects the symbol layout.
import type { Mem } from './memory';

export interface PeInfo {
  sizeOfImage: number;
  machine: number;
  pdb?: { guid: string; age: number; name: string };
}

function guidText(b: Buffer, o: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  let s = h(b.readUInt32LE(o), 8) + h(b.readUInt16LE(o + 4), 4) + h(b.readUInt16LE(o + 6), 4);
  for (let i = 8; i < 16; i++) s += h(b[o + i], 2);
  return s.toUpperCase();
}

/** Parses the PE headers at `base`; null when there is no valid image there. */
export function readPe(mem: Mem, base: bigint): PeInfo | null {
  const dos = mem.read(base, 0x40);
  if (!dos || dos[0] !== 0x4d || dos[1] !== 0x5a) return null;
  const lfanew = dos.readUInt32LE(0x3c);
  if (lfanew < 0x40 || lfanew > 0x1000) return null;
  const nt = mem.read(base + BigInt(lfanew), 0x108);
  if (!nt || nt.readUInt32LE(0) !== 0x4550) return null;
  const machine = nt.readUInt16LE(4);
  const opt = 0x18;
  if (nt.readUInt16LE(opt) !== 0x20b) return null; // PE32+ only
  const sizeOfImage = nt.readUInt32LE(opt + 0x38);
  const out: PeInfo = { sizeOfImage, machine };
  // data directory 6 = debug
  const nDirs = nt.readUInt32LE(opt + 0x6c);
  if (nDirs > 6) {
    const dbgRva = nt.readUInt32LE(opt + 0x70 + 6 * 8);
    const dbgSize = nt.readUInt32LE(opt + 0x70 + 6 * 8 + 4);
    if (dbgRva && dbgSize && dbgRva < sizeOfImage) {
      const count = Math.min(Math.floor(dbgSize / 28), 16);
      const dirs = mem.read(base + BigInt(dbgRva), count * 28);
      for (let i = 0; dirs && i < count; i++) {
        if (dirs.readUInt32LE(i * 28 + 12) !== 2) continue; // IMAGE_DEBUG_TYPE_CODEVIEW
        const len = dirs.readUInt32LE(i * 28 + 16);
        const rva = dirs.readUInt32LE(i * 28 + 20);
        if (!rva || len < 24 || rva >= sizeOfImage) continue;
        const cv = mem.read(base + BigInt(rva), Math.min(len, 0x200));
        if (!cv || cv.toString('latin1', 0, 4) !== 'RSDS') continue;
        const z = cv.indexOf(0, 24);
        out.pdb = { guid: guidText(cv, 4), age: cv.readUInt32LE(20), name: cv.toString('latin1', 24, z > 0 ? z : cv.length) };
        break;
      }
    }
  }
  return out;
}

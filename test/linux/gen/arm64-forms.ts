// Derives the raw, LiME and ELF forms of the arm64 dev dump from its kdump, as its README describes
// (the folder ships only memory.kdump): the kdump is decoded here independently of lib/image (test
// truth must not come from the code under test) — second (dumpable) bitmap, 24-byte page
// descriptors {offset, size, flags, page_flags}, zlib when flags & 1, 65536-byte blocks.
//  - raw:  zero-filled, file offset = physical address, RAM at 0x40000000 (a sparse file);
//  - lime: LiME v1, one range per top-level "System RAM" of ground-truth.json iomem;
//  - elf:  ET_CORE, EM_AARCH64 (183), one PT_NOTE (the kdump's note bytes) and one PT_LOAD for RAM.
// Files are written once into the memq cache dir (tmp name + rename).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { cacheDir } from '../../../lib/image/open';

export type Arm64Form = 'raw' | 'lime' | 'elf';

interface Kdump {
  block: number;
  /** pfn → decompressed block */
  blocks: Map<number, Buffer>;
  notes: Buffer;
}

function readKdump(file: string): Kdump {
  const f = fs.readFileSync(file);
  if (f.toString('latin1', 0, 8) !== 'KDUMP   ') throw new Error('derive: not a kdump');
  const block = f.readInt32LE(428);
  const subHdr = f.readInt32LE(432);
  const bitmapBlocks = f.readUInt32LE(436);
  const sh = block;
  const maxMapnr = Number(f.readBigUInt64LE(sh + 96)) || f.readUInt32LE(440);
  const notes = f.subarray(Number(f.readBigUInt64LE(sh + 48)), Number(f.readBigUInt64LE(sh + 48)) + Number(f.readBigUInt64LE(sh + 56)));
  const bm = block * (1 + subHdr);
  const half = (bitmapBlocks * block) / 2;
  const bitmap2 = f.subarray(bm + half, bm + 2 * half);
  let desc = bm + 2 * half;
  const blocks = new Map<number, Buffer>();
  for (let pfn = 0; pfn < maxMapnr; pfn++) {
    if (!((bitmap2[pfn >> 3] >> (pfn & 7)) & 1)) continue;
    const off = Number(f.readBigUInt64LE(desc));
    const size = f.readUInt32LE(desc + 8);
    const flags = f.readUInt32LE(desc + 12);
    desc += 24;
    const data = f.subarray(off, off + size);
    blocks.set(pfn, flags & 1 ? zlib.inflateSync(data) : Buffer.from(data));
  }
  return { block, blocks, notes: Buffer.from(notes) };
}

export function arm64Form(kdumpFile: string, ram: [number, number][], form: Arm64Form): string {
  const st = fs.statSync(kdumpFile);
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `derived-arm64-v1.${form}.${st.size}.${Math.floor(st.mtimeMs)}`);
  if (fs.existsSync(out)) return out;
  const k = readKdump(kdumpFile);
  const phys = (start: number, end: number, fd: number, at: number) => {
    for (let p = start; p < end; p += k.block) {
      const b = k.blocks.get(Math.floor(p / k.block));
      if (b) fs.writeSync(fd, b, 0, Math.min(k.block, end - p), at + (p - start));
    }
  };
  const tmp = `${out}.partial-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const ramEnd = Math.max(...ram.map(([, e]) => e));
    const ramStart = Math.min(...ram.map(([s]) => s));
    if (form === 'raw') {
      for (const [s, e] of ram) phys(s, e, fd, s);
      fs.ftruncateSync(fd, ramEnd);
    } else if (form === 'lime') {
      let pos = 0;
      for (const [s, e] of ram) {
        const h = Buffer.alloc(32);
        h.writeUInt32LE(0x4c694d45, 0);
        h.writeUInt32LE(1, 4);
        h.writeBigUInt64LE(BigInt(s), 8);
        h.writeBigUInt64LE(BigInt(e - 1), 16);
        fs.writeSync(fd, h, 0, 32, pos);
        phys(s, e, fd, pos + 32);
        pos += 32 + (e - s);
      }
    } else {
      const eh = Buffer.alloc(64);
      eh.writeUInt32BE(0x7f454c46, 0);
      eh[4] = 2; // ELFCLASS64
      eh[5] = 1; // little-endian
      eh[6] = 1;
      eh.writeUInt16LE(4, 16); // ET_CORE
      eh.writeUInt16LE(183, 18); // EM_AARCH64
      eh.writeUInt32LE(1, 20);
      eh.writeBigUInt64LE(64n, 32); // e_phoff
      eh.writeUInt16LE(64, 52);
      eh.writeUInt16LE(56, 54);
      eh.writeUInt16LE(2, 56);
      const ph = Buffer.alloc(112);
      const noteOff = 64 + 112;
      const loadOff = Math.ceil((noteOff + k.notes.length) / 4096) * 4096;
      ph.writeUInt32LE(4, 0); // PT_NOTE
      ph.writeBigUInt64LE(BigInt(noteOff), 8);
      ph.writeBigUInt64LE(BigInt(k.notes.length), 32);
      ph.writeBigUInt64LE(BigInt(k.notes.length), 40);
      ph.writeUInt32LE(1, 56); // PT_LOAD
      ph.writeUInt32LE(7, 60);
      ph.writeBigUInt64LE(BigInt(loadOff), 64);
      ph.writeBigUInt64LE(BigInt(ramStart), 72); // p_vaddr = p_paddr, as QEMU writes with paging off
      ph.writeBigUInt64LE(BigInt(ramStart), 80);
      ph.writeBigUInt64LE(BigInt(ramEnd - ramStart), 88);
      ph.writeBigUInt64LE(BigInt(ramEnd - ramStart), 96);
      fs.writeSync(fd, eh, 0, 64, 0);
      fs.writeSync(fd, ph, 0, 112, 64);
      fs.writeSync(fd, k.notes, 0, k.notes.length, noteOff);
      phys(ramStart, ramEnd, fd, loadOff);
      fs.ftruncateSync(fd, loadOff + (ramEnd - ramStart));
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, out);
  return out;
}

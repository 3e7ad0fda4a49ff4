// Derives the raw and LiME forms of a dev dump from its ELF core, for kernels whose image folder
// ships only ELF + kdump (linux-dev-6.12; its README says how the real ones were made):
//  - raw:  each RAM PT_LOAD's bytes at its physical address (file size = end of the last RAM
//          PT_LOAD, like QMP pmemsave of all RAM); the VGA window 0xa0000-0xbffff, which QEMU's ELF
//          does not hold, stays zero (pmemsave would show the bus there — tests skip it);
//  - lime: LiME v1, one range per top-level "System RAM" block of iomem in ground-truth.json,
//          bytes taken from the ELF's PT_LOADs;
//  - avml: the same ranges as AVML writes them (magic 'AVML', version 2, each range a snappy-framed
//          stream of 64 KiB chunks followed by its u64 length), so AVML is covered on real memory too.
// The ELF program headers are parsed here independently of lib/image (test truth must not come from
// the code under test). Files are written once into the memq cache dir (tmp name + rename).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { cacheDir } from '../../lib/image/open';
import { dumpPath, groundTruth, type Kernel } from './dumps';
import { snappyFrames } from '../image/gen/lime';

interface Load {
  offset: number;
  paddr: number;
  size: number;
}

function elfLoads(fd: number): Load[] {
  const eh = Buffer.alloc(64);
  fs.readSync(fd, eh, 0, 64, 0);
  if (eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) throw new Error('derive: not an ELF64 LE core');
  const phoff = Number(eh.readBigUInt64LE(32));
  const phnum = eh.readUInt16LE(56);
  const ph = Buffer.alloc(phnum * 56);
  fs.readSync(fd, ph, 0, ph.length, phoff);
  const loads: Load[] = [];
  for (let i = 0; i < phnum; i++) {
    if (ph.readUInt32LE(i * 56) !== 1) continue;
    loads.push({
      offset: Number(ph.readBigUInt64LE(i * 56 + 8)),
      paddr: Number(ph.readBigUInt64LE(i * 56 + 24)),
      size: Number(ph.readBigUInt64LE(i * 56 + 32)),
    });
  }
  return loads.sort((a, b) => a.paddr - b.paddr);
}

/** Reads physical [p, p+n) from the ELF into buf; throws if not fully covered by PT_LOADs. */
function readElfPhys(src: number, loads: Load[], p: number, n: number, buf: Buffer): void {
  for (let done = 0; done < n; ) {
    const q = p + done;
    const l = loads.find((x) => x.paddr <= q && q < x.paddr + x.size);
    if (!l) throw new Error(`derive: physical 0x${q.toString(16)} is not in any PT_LOAD`);
    const m = Math.min(n - done, l.paddr + l.size - q);
    if (fs.readSync(src, buf, done, m, l.offset + (q - l.paddr)) !== m) throw new Error('derive: short read from ELF');
    done += m;
  }
}

/** Copies physical [start, end) from the ELF into `out` at `outPos`. */
function copyPhys(src: number, loads: Load[], start: number, end: number, out: number, outPos: number): void {
  const buf = Buffer.allocUnsafe(4 << 20);
  for (let p = start; p < end; ) {
    const n = Math.min(buf.length, end - p);
    readElfPhys(src, loads, p, n, buf);
    fs.writeSync(out, buf, 0, n, outPos + (p - start));
    p += n;
  }
}

/** System RAM blocks (top-level iomem entries) as [start, endExclusive). */
export function systemRam(kernel: Kernel): [number, number][] {
  const iomem = groundTruth(kernel).iomem as { depth: number; start: string; end: string; name: string }[];
  return iomem.filter((e) => e.depth === 0 && e.name === 'System RAM').map((e) => [parseInt(e.start, 16), parseInt(e.end, 16) + 1]);
}

/** Path to a derived raw or LiME file for `kernel` (built from the ELF core on first use). */
export async function derivedDump(kernel: Kernel, kind: 'raw' | 'lime' | 'avml'): Promise<string> {
  const elf = await dumpPath(kernel, 'memory.elf.gz');
  const st = fs.statSync(elf);
  const key = crypto.createHash('sha256').update(`derive-v1\0${kernel}\0${kind}\0${elf}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 16);
  const dir = cacheDir();
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `derived-${kernel}.${kind}.${key}`);
  if (fs.existsSync(out)) return out;
  const tmp = `${out}.partial-${process.pid}`;
  const src = fs.openSync(elf, 'r');
  let dst = fs.openSync(tmp, 'w');
  try {
    const loads = elfLoads(src);
    if (kind === 'raw') {
      // RAM PT_LOADs only: device blocks (VGA framebuffer, BIOS) sit in the 32-bit PCI hole above 3 GiB
      const ram = loads.filter((l) => l.paddr < 0xc000_0000);
      for (const l of ram) copyPhys(src, loads, l.paddr, l.paddr + l.size, dst, l.paddr);
      const size = Math.max(...ram.map((l) => l.paddr + l.size));
      fs.ftruncateSync(dst, size);
    } else if (kind === 'avml') {
      let pos = 0;
      const piece = Buffer.alloc(65536);
      for (const [start, end] of systemRam(kernel)) {
        const h = Buffer.alloc(32);
        h.writeUInt32LE(0x4c4d5641, 0);
        h.writeUInt32LE(2, 4);
        h.writeBigUInt64LE(BigInt(start), 8);
        h.writeBigUInt64LE(BigInt(end - 1), 16);
        fs.writeSync(dst, h, 0, 32, pos);
        pos += 32;
        const streamStart = pos;
        for (let p = start, first = true; p < end; p += piece.length, first = false) {
          const n = Math.min(piece.length, end - p);
          readElfPhys(src, loads, p, n, piece);
          // snappyFrames emits the 'sNaPpY' identifier first: keep it only for the range's first chunk
          let frames = snappyFrames(Buffer.from(piece.subarray(0, n)));
          if (!first) frames = frames.subarray(10);
          fs.writeSync(dst, frames, 0, frames.length, pos);
          pos += frames.length;
        }
        const t = Buffer.alloc(8);
        t.writeBigUInt64LE(BigInt(pos - streamStart));
        fs.writeSync(dst, t, 0, 8, pos);
        pos += 8;
      }
    } else {
      let pos = 0;
      for (const [start, end] of systemRam(kernel)) {
        const h = Buffer.alloc(32);
        h.writeUInt32LE(0x4c694d45, 0);
        h.writeUInt32LE(1, 4);
        h.writeBigUInt64LE(BigInt(start), 8);
        h.writeBigUInt64LE(BigInt(end - 1), 16);
        fs.writeSync(dst, h, 0, 32, pos);
        copyPhys(src, loads, start, end, dst, pos + 32);
        pos += 32 + (end - start);
      }
    }
    fs.closeSync(dst);
    dst = -1;
    fs.renameSync(tmp, out);
  } catch (e) {
    if (dst >= 0) fs.closeSync(dst);
    fs.rmSync(tmp, { force: true });
    throw e;
  } finally {
    fs.closeSync(src);
  }
  return out;
}

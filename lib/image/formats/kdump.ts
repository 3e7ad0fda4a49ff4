// kdump-compressed dumps (makedumpfile, QEMU `dump-guest-memory -z|-l|-s`, crash's "diskdump").
// Layout in blocks of block_size (= page size):
//   block 0           disk_dump_header   'KDUMP   ', header_version, utsname, …, block_size, sub_hdr_size,
//                                        bitmap_blocks, max_mapnr, …
//   block 1           kdump_sub_header   (sub_hdr_size blocks) phys_base, …, vmcoreinfo/notes offsets,
//                                        64-bit start/end pfn and max_mapnr (v6+)
//   then              bitmaps            bitmap_blocks: first half = pages in the dump's RAM map,
//                                        second half = pages actually written ("dumpable")
//   then              page descriptors   one {u64 offset, u32 size, u32 flags, u64 page_flags} per
//                                        dumpable page, in pfn order; flags name the codec
// A pfn's descriptor index is the rank of its bit in the second bitmap (popcount of all earlier bits),
// computed with a per-64-bit-word prefix count. Decoded pages go through a small LRU. The flattened
// stream variant is rearranged on the fly by FlatSource.
import { readExact, type ByteSource } from '../byte-source';
import type { DumpHints, PhysicalMemory, PhysRange } from '../physical';
import { MemqError } from '../../util/errors';
import { BlockLru, decodeBlock, type Codec } from './codecs';
import { FlatSource, looksFlattened } from './flattened';
import { MAX_PHYS, hx, isDeviceMemory, mergeRanges, u64 } from './segments';

export const KDUMP_SIGNATURE = 'KDUMP   ';
const DISKDUMP_SIGNATURE = 'DISKDUMP';
const DESC_SIZE = 24;
const NT_PRSTATUS = 1;
const NT_ARM_SVE = 0x405;
/** page descriptor flags (makedumpfile diskdump_mod.h) */
const FLAG_ZLIB = 0x1;
const FLAG_LZO = 0x2;
const FLAG_SNAPPY = 0x4;
const FLAG_ZSTD = 0x20;
/** bitmaps are held in memory: 256 MiB covers 8 TiB of 4 KiB pages per bitmap */
const MAX_BITMAP_BYTES = 256 << 20;

export function looksLikeKdump(head: Buffer): boolean {
  if (head.length < 8) return false;
  const sig = head.toString('latin1', 0, 8);
  return sig === KDUMP_SIGNATURE || sig === DISKDUMP_SIGNATURE;
}

export function looksLikeFlattenedKdump(head: Buffer): boolean {
  return looksFlattened(head);
}

export class KdumpMemory implements PhysicalMemory {
  readonly format = 'kdump';
  readonly ranges: PhysRange[];
  readonly info: Record<string, string | number | boolean> = {};
  readonly hints: DumpHints = {};
  readonly blockSize: number;
  readonly maxMapnr: number;
  readonly dumpablePages: number;
  private readonly pageShift: number;
  private readonly bitmap2: Uint32Array;
  /** rank[w] = set bits of bitmap2 before 64-bit word w */
  private readonly rank: Float64Array;
  private readonly descOff: number;
  private readonly lru = new BlockLru(64);
  private readonly desc = Buffer.alloc(DESC_SIZE);
  /** the source pages are read from (a FlatSource for flattened input) */
  private readonly data: ByteSource;

  constructor(readonly source: ByteSource) {
    const name = source.name;
    let data: ByteSource = source;
    let flattened = false;
    const first = readExact(source, 0, Math.min(source.size, 32));
    if (looksFlattened(first)) {
      data = new FlatSource(source);
      flattened = true;
    }
    this.data = data;
    const where = flattened ? `${name} (flattened)` : name;
    const h = readExact(data, 0, 464);
    const sig = h.toString('latin1', 0, 8);
    if (sig !== KDUMP_SIGNATURE && sig !== DISKDUMP_SIGNATURE) {
      throw new MemqError(`${where}: expected 'KDUMP   ' signature at offset 0, found ${JSON.stringify(sig)}`, 'E_FORMAT');
    }
    const version = h.readInt32LE(8);
    if (version < 0 || version > 100) throw new MemqError(`${where}: kdump header_version ${version} at offset 0x8 is implausible`, 'E_FORMAT');
    const uts = (i: number) => h.toString('latin1', 12 + i * 65, 12 + (i + 1) * 65).replace(/\0.*$/s, '');
    const blockSize = h.readInt32LE(428);
    if (blockSize < 512 || blockSize > 65536 || (blockSize & (blockSize - 1)) !== 0) {
      throw new MemqError(`${where}: kdump block_size ${blockSize} at offset 0x1ac, expected a power of two 512..65536`, 'E_FORMAT');
    }
    const subHdrSize = h.readInt32LE(432);
    const bitmapBlocks = h.readUInt32LE(436);
    let maxMapnr = h.readUInt32LE(440);
    if (subHdrSize < 0 || subHdrSize > 1 << 20) throw new MemqError(`${where}: kdump sub_hdr_size ${subHdrSize} at offset 0x1b0 out of range`, 'E_FORMAT');
    this.blockSize = blockSize;
    this.pageShift = Math.log2(blockSize);

    // sub header (block 1)
    let physBase: number | undefined;
    if (subHdrSize > 0) {
      const sh = readExact(data, blockSize, Math.min(104, subHdrSize * blockSize));
      physBase = Number(sh.readBigUInt64LE(0));
      this.info['kdump.dump_level'] = sh.readInt32LE(8);
      if (sh.readInt32LE(12)) this.info['kdump.split'] = true;
      if (version >= 3 && sh.length >= 48) {
        const vOff = u64(sh, 32, 'offset_vmcoreinfo', `${where}: kdump sub header`);
        const vSize = u64(sh, 40, 'size_vmcoreinfo', `${where}: kdump sub header`);
        if (vSize > 0 && vSize < 1 << 20 && vOff + vSize <= data.size) {
          this.hints.vmcoreinfo = readExact(data, vOff, vSize).toString('latin1').replace(/\0+$/, '');
        }
      }
      if (version >= 4 && sh.length >= 64) {
        const nOff = u64(sh, 48, 'offset_note', `${where}: kdump sub header`);
        const nSize = u64(sh, 56, 'size_note', `${where}: kdump sub header`);
        if (nSize > 0 && nSize < 16 << 20 && nOff + nSize <= data.size) this.parseNotes(readExact(data, nOff, nSize));
      }
      if (version >= 6 && sh.length >= 104) {
        const m64 = u64(sh, 96, 'max_mapnr_64', `${where}: kdump sub header`);
        if (m64 > 0) maxMapnr = m64;
      }
    }
    if (maxMapnr === 0 || maxMapnr * blockSize > MAX_PHYS) {
      throw new MemqError(`${where}: kdump max_mapnr ${maxMapnr} out of range`, 'E_FORMAT');
    }
    this.maxMapnr = maxMapnr;

    // bitmaps: bitmap_blocks covers both; each half has ≥ max_mapnr bits
    const bitmapOff = blockSize * (1 + subHdrSize);
    const half = (bitmapBlocks * blockSize) / 2;
    if (bitmapBlocks === 0 || bitmapBlocks % 2 !== 0 || half * 8 < maxMapnr) {
      throw new MemqError(
        `${where}: kdump bitmap_blocks ${bitmapBlocks} at offset 0x1b4 cannot hold two bitmaps of max_mapnr ${maxMapnr} bits`,
        'E_FORMAT',
      );
    }
    if (half > MAX_BITMAP_BYTES) throw new MemqError(`${where}: kdump bitmap of ${half} bytes exceeds ${MAX_BITMAP_BYTES}`, 'E_FORMAT');
    // (a flattened stream can claim a huge sparse virtual size: bound by the real file as well)
    if (bitmapOff + 2 * half > data.size || 2 * half > source.size) {
      throw new MemqError(`${where}: kdump bitmaps (${2 * half} bytes at ${hx(bitmapOff)}) run past end of file (${data.size})`, 'E_TRUNCATED');
    }
    const used = Math.ceil(maxMapnr / 64) * 8; // bytes of the bitmap that matter
    const bm2 = readExact(data, bitmapOff + half, Math.min(half, used));
    const words = new Uint32Array(used / 4);
    new Uint8Array(words.buffer).set(bm2);
    // clear bits past max_mapnr so they neither rank nor appear as ranges
    const tailBits = maxMapnr % 64;
    if (tailBits) {
      const w = words.length - 2;
      if (tailBits <= 32) {
        words[w] &= 2 ** tailBits - 1;
        words[w + 1] = 0;
      } else words[w + 1] &= 2 ** (tailBits - 32) - 1;
    }
    this.bitmap2 = words;
    const rank = new Float64Array(words.length / 2 + 1);
    let total = 0;
    for (let w = 0; w < words.length / 2; w++) {
      rank[w] = total;
      total += popcount(words[2 * w]) + popcount(words[2 * w + 1]);
    }
    rank[words.length / 2] = total;
    this.rank = rank;
    this.dumpablePages = total;
    this.descOff = bitmapOff + 2 * half;
    if (this.descOff + total * DESC_SIZE > data.size) {
      throw new MemqError(
        `${where}: kdump page descriptors (${total} × 24 bytes at ${hx(this.descOff)}) run past end of file (${data.size})`,
        'E_TRUNCATED',
      );
    }
    this.ranges = mergeRanges(this.runs().map(([s, e]) => ({ start: s, end: e, ram: !isDeviceMemory(s, e) })));

    // Fail early and clearly on a codec we cannot decode: sample the first descriptors.
    const sample = Math.min(total, 64);
    if (sample > 0) {
      const d = readExact(data, this.descOff, sample * DESC_SIZE);
      for (let i = 0; i < sample; i++) {
        const flags = d.readUInt32LE(i * DESC_SIZE + 12);
        if (flags & FLAG_LZO && !(flags & (FLAG_ZLIB | FLAG_SNAPPY | FLAG_ZSTD))) {
          decodeBlock('lzo', new Uint8Array(0), blockSize, `${where}: page descriptor #${i} at ${hx(this.descOff + i * DESC_SIZE)}`);
        }
      }
    }

    this.info.format = flattened ? 'kdump-compressed (makedumpfile flattened stream)' : 'kdump-compressed';
    this.info['kdump.header_version'] = version;
    this.info['kdump.block_size'] = blockSize;
    this.info['kdump.max_mapnr'] = maxMapnr;
    this.info['kdump.dumpable_pages'] = total;
    this.info['kdump.nr_cpus'] = h.readInt32LE(460);
    this.info['kdump.utsname'] = [0, 1, 2, 3, 4].map(uts).join(' ').trim();
    const machine = uts(4);
    if (/^(aarch64|arm64)$/.test(machine)) this.setArch('arm64', `kdump header utsname.machine "${machine}"`);
    else if (/^(x86_64|amd64)$/.test(machine)) this.setArch('x86_64', `kdump header utsname.machine "${machine}"`);
    if (this.hints.arch) this.info['kdump.arch'] = `${this.hints.arch} (${this.hints.archSource})`;
    if (physBase !== undefined) this.info['kdump.phys_base'] = '0x' + BigInt.asUintN(64, BigInt(physBase)).toString(16);
    if (flattened) this.info['kdump.flattened_records'] = (data as FlatSource).records;
    if (this.hints.cr3?.length) this.info['kdump.qemu_cr3'] = this.hints.cr3.map(hx).join(',');
  }

  private setArch(arch: 'x86_64' | 'arm64', why: string): void {
    if (!this.hints.arch) {
      this.hints.arch = arch;
      this.hints.archSource = why;
    }
  }

  private parseNotes(buf: Buffer): void {
    // ELF notes as in the ELF core; only the QEMU CPU state (CR3) and VMCOREINFO matter here.
    const QEMU_CR0 = 8 + 16 * 8 + 2 * 8 + 10 * 24;
    let p = 0;
    for (let count = 0; p + 12 <= buf.length && count < 65536; count++) {
      const namesz = buf.readUInt32LE(p);
      const descsz = buf.readUInt32LE(p + 4);
      const nameOff = p + 12;
      const descOff = nameOff + namesz + ((4 - (namesz % 4)) % 4);
      const next = descOff + descsz + ((4 - (descsz % 4)) % 4);
      if (next > buf.length) break;
      const name = buf.toString('latin1', nameOff, nameOff + namesz).replace(/\0+$/, '');
      const type = buf.readUInt32LE(p + 8);
      // the CPU notes name the architecture when the header's utsname does not (QEMU writes "Unknown"):
      // NT_PRSTATUS is 392 bytes on AArch64 (x0-x30, sp, pc, pstate) and 336 on x86-64; NT_ARM_SVE is arm64-only
      if (name === 'CORE' && type === NT_PRSTATUS && descsz === 392) this.setArch('arm64', 'kdump CPU notes (392-byte AArch64 NT_PRSTATUS)');
      else if (name === 'LINUX' && type === NT_ARM_SVE) this.setArch('arm64', 'kdump CPU notes (NT_ARM_SVE)');
      else if (name === 'CORE' && type === NT_PRSTATUS && descsz === 336) this.setArch('x86_64', 'kdump CPU notes (336-byte x86-64 NT_PRSTATUS)');
      if (name === 'QEMU' && descsz >= QEMU_CR0 + 40) {
        (this.hints.cr3 ??= []).push(Number(buf.readBigUInt64LE(descOff + QEMU_CR0 + 24) & 0x000f_ffff_ffff_f000n));
      } else if (name === 'VMCOREINFO' && !this.hints.vmcoreinfo) {
        this.hints.vmcoreinfo = buf.toString('latin1', descOff, descOff + descsz).replace(/\0+$/, '');
      }
      p = next;
    }
  }

  /** Runs of set bits in bitmap2 as [startAddr, endAddr) — word at a time; full/empty words are skipped whole. */
  private runs(): [number, number][] {
    const out: [number, number][] = [];
    const w = this.bitmap2;
    let runStart = -1;
    for (let i = 0; i < w.length; i++) {
      const v = w[i];
      if (v === 0xffffffff) {
        if (runStart < 0) runStart = i * 32;
        continue;
      }
      if (v === 0) {
        if (runStart >= 0) {
          out.push([runStart, i * 32]);
          runStart = -1;
        }
        continue;
      }
      for (let b = 0; b < 32; b++) {
        const set = (v >>> b) & 1;
        const pfn = i * 32 + b;
        if (set && runStart < 0) runStart = pfn;
        else if (!set && runStart >= 0) {
          out.push([runStart, pfn]);
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) out.push([runStart, w.length * 32]);
    return out.map(([s, e]) => [s * this.blockSize, e * this.blockSize]);
  }

  /** descriptor index of pfn, or -1 if the page is not in the dump */
  private descIndex(pfn: number): number {
    if (pfn < 0 || pfn >= this.maxMapnr) return -1;
    const wi = pfn >>> 5;
    const bit = pfn & 31;
    const word = this.bitmap2[wi];
    if (((word >>> bit) & 1) === 0) return -1;
    const w64 = wi >>> 1;
    let r = this.rank[w64];
    if (wi & 1) r += popcount(this.bitmap2[wi - 1]);
    r += popcount(bit === 0 ? 0 : word & ((2 ** bit - 1) >>> 0));
    return r;
  }

  /** Decoded page `pfn`, or null when absent. Throws MemqError on corrupt or unsupported page data. */
  page(pfn: number): Buffer | null {
    const idx = this.descIndex(pfn);
    if (idx < 0) return null;
    const dpos = this.descOff + idx * DESC_SIZE;
    this.data.readInto(dpos, this.desc, 0, DESC_SIZE);
    const d = this.desc;
    const off = Number(d.readBigUInt64LE(0));
    // keyed by data offset: makedumpfile points every zero page at one shared copy, so they hit here
    const hit = this.lru.get(off);
    if (hit) return hit;
    const size = d.readUInt32LE(8);
    const flags = d.readUInt32LE(12);
    const where = `${this.source.name}: page pfn ${hx(pfn)} (descriptor at ${hx(dpos)}, data at ${hx(off)}+${size})`;
    if (off === 0 && size === 0) return null; // incomplete dump: page never written
    if (size === 0 || size > this.blockSize * 2 || off + size > this.data.size) {
      throw new MemqError(`${where}: descriptor points outside the file (size ${this.data.size})`, 'E_FORMAT');
    }
    const raw = readExact(this.data, off, size);
    let codec: Codec | null = null;
    if (flags & FLAG_ZLIB) codec = 'zlib';
    else if (flags & FLAG_ZSTD) codec = 'zstd';
    else if (flags & FLAG_SNAPPY) codec = 'snappy';
    else if (flags & FLAG_LZO) codec = 'lzo';
    let page: Buffer;
    if (codec) page = decodeBlock(codec, raw, this.blockSize, where);
    else if (size === this.blockSize) page = raw;
    else throw new MemqError(`${where}: uncompressed page of ${size} bytes, expected ${this.blockSize}`, 'E_FORMAT');
    this.lru.set(off, page);
    return page;
  }

  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    if (!(paddr >= 0) || !(length >= 0) || paddr + length > this.maxMapnr * this.blockSize) return false;
    let pos = paddr;
    let out = targetOffset;
    const end = paddr + length;
    while (pos < end) {
      const pfn = Math.floor(pos / this.blockSize);
      const inPage = pos - pfn * this.blockSize;
      const n = Math.min(this.blockSize - inPage, end - pos);
      const p = this.page(pfn);
      if (!p) return false;
      target.set(p.subarray(inPage, inPage + n), out);
      pos += n;
      out += n;
    }
    return true;
  }

  close(): void {
    this.lru.clear();
    this.source.close();
  }
}

/** Population count of a 32-bit word (SWAR). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

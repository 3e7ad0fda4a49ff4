// Writes kdump-compressed files from makedumpfile's documented layout (diskdump_mod.h), and the
// flattened stream form (makedumpfile.h: 4 KiB header "makedumpfile"/type 1/version 1 big-endian,
// records {be64 offset, be64 size, data}, end record -1/-1). Independent of lib/image.
//   block 0  disk_dump_header: char signature[8] 'KDUMP   '; int header_version @8; new_utsname
//            (6×65 bytes) @12; timeval @408; status @424; block_size @428; sub_hdr_size @432;
//            bitmap_blocks @436; max_mapnr @440; total_ram_blocks @444; device_blocks @448;
//            written_blocks @452; current_cpu @456; nr_cpus @460
//   block 1… kdump_sub_header: phys_base @0; dump_level @8; split @12; start_pfn @16; end_pfn @24;
//            offset_vmcoreinfo @32; size_vmcoreinfo @40; offset_note @48; size_note @56;
//            offset_eraseinfo @64; size_eraseinfo @72; start_pfn_64 @80; end_pfn_64 @88; max_mapnr_64 @96
//   bitmaps  two halves (RAM pages, dumped pages), bit = pfn, LSB first
//   page_desc {u64 offset, u32 size, u32 flags (zlib 1, lzo 2, snappy 4, zstd 0x20), u64 page_flags}
import * as zlib from 'node:zlib';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as { compress(d: Uint8Array): Uint8Array };

export type PageCodec = 'none' | 'zlib' | 'snappy' | 'zstd' | 'lzo';
export interface PageSpec {
  pfn: number;
  data: Buffer;
  codec?: PageCodec;
  /** exact compressed bytes to store (e.g. a reference-encoder zstd frame) */
  stored?: Buffer;
}
export interface KdumpOptions {
  version?: number;
  blockSize?: number;
  maxMapnr: number;
  codec?: PageCodec;
  vmcoreinfo?: string;
  notes?: Buffer;
  /** pfns marked as RAM in the first bitmap but not dumped */
  ramOnly?: number[];
  signature?: string;
}

const FLAGS: Record<PageCodec, number> = { none: 0, zlib: 1, lzo: 2, snappy: 4, zstd: 0x20 };

/** A zstd frame made of raw (type 0) and RLE (type 1) blocks, per RFC 8878 §3.1. */
export function zstdRawFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(4 + 1 + 2);
  hdr.writeUInt32LE(0xfd2fb528, 0);
  hdr[4] = 0x60; // Frame_Content_Size_flag 1 (2 bytes, value - 256), Single_Segment 1
  hdr.writeUInt16LE(data.length - 256, 5);
  parts.push(hdr);
  // first half as an RLE block if it is uniform, else raw; second half raw
  const halves = [data.subarray(0, data.length / 2), data.subarray(data.length / 2)];
  halves.forEach((h, i) => {
    const last = i === 1 ? 1 : 0;
    const uniform = h.every((x) => x === h[0]);
    const bh = Buffer.alloc(3);
    bh.writeUIntLE(last | ((uniform ? 1 : 0) << 1) | (h.length << 3), 0, 3);
    parts.push(bh, uniform ? Buffer.from([h[0]]) : h);
  });
  return Buffer.concat(parts);
}

function encode(codec: PageCodec, page: Buffer): Buffer {
  switch (codec) {
    case 'zlib':
      return zlib.deflateSync(page);
    case 'snappy':
      return Buffer.from(snappy.compress(page));
    case 'zstd':
      return zstdRawFrame(page);
    case 'lzo':
      return Buffer.concat([Buffer.from([0x11, 0, 0])]); // only the flag matters: no decoder
    case 'none':
      return page;
  }
}

export function makeKdump(pages: PageSpec[], opts: KdumpOptions): Buffer {
  const bs = opts.blockSize ?? 4096;
  const version = opts.version ?? 6;
  const sorted = [...pages].sort((a, b) => a.pfn - b.pfn);
  // sub header area: sub header, then notes, then vmcoreinfo
  const sub = Buffer.alloc(104);
  const notes = opts.notes ?? Buffer.alloc(0);
  const vmci = Buffer.from(opts.vmcoreinfo ?? '', 'latin1');
  const subArea = Buffer.concat([sub, notes, vmci]);
  const subBlocks = Math.max(1, Math.ceil(subArea.length / bs));
  const halfBlocks = Math.max(1, Math.ceil(Math.ceil(opts.maxMapnr / 8) / bs));
  const bm1 = Buffer.alloc(halfBlocks * bs);
  const bm2 = Buffer.alloc(halfBlocks * bs);
  for (const p of sorted) {
    bm1[p.pfn >> 3] |= 1 << (p.pfn & 7);
    bm2[p.pfn >> 3] |= 1 << (p.pfn & 7);
  }
  for (const pfn of opts.ramOnly ?? []) bm1[pfn >> 3] |= 1 << (pfn & 7);
  const descStart = bs * (1 + subBlocks + 2 * halfBlocks);
  const descs = Buffer.alloc(sorted.length * 24);
  const datas: Buffer[] = [];
  let dataOff = descStart + descs.length;
  sorted.forEach((p, i) => {
    const codec = p.codec ?? opts.codec ?? 'zlib';
    let body = p.stored ?? encode(codec, p.data);
    let flags = FLAGS[codec];
    // like makedumpfile: keep the page raw when compression does not pay
    if (!p.stored && codec !== 'lzo' && body.length >= bs) {
      body = p.data;
      flags = 0;
    }
    descs.writeBigUInt64LE(BigInt(dataOff), i * 24);
    descs.writeUInt32LE(body.length, i * 24 + 8);
    descs.writeUInt32LE(flags, i * 24 + 12);
    datas.push(body);
    dataOff += body.length;
  });
  const h = Buffer.alloc(bs);
  h.write((opts.signature ?? 'KDUMP   ').padEnd(8).slice(0, 8), 0, 'latin1');
  h.writeInt32LE(version, 8);
  ['Linux', 'synthetic', '6.1.0-test', '#1 SMP', 'x86_64', '(none)'].forEach((s, i) => h.write(s, 12 + i * 65, 'latin1'));
  h.writeInt32LE(bs, 428);
  h.writeInt32LE(subBlocks, 432);
  h.writeUInt32LE(2 * halfBlocks, 436);
  h.writeUInt32LE(Math.min(opts.maxMapnr, 0xffffffff), 440);
  h.writeUInt32LE(opts.maxMapnr, 444);
  h.writeUInt32LE(sorted.length, 452);
  h.writeInt32LE(1, 460);
  sub.writeBigUInt64LE(0x1000000n, 0);
  sub.writeInt32LE(1, 8);
  if (notes.length) {
    sub.writeBigUInt64LE(BigInt(bs + 104), 48);
    sub.writeBigUInt64LE(BigInt(notes.length), 56);
  }
  if (vmci.length) {
    sub.writeBigUInt64LE(BigInt(bs + 104 + notes.length), 32);
    sub.writeBigUInt64LE(BigInt(vmci.length), 40);
  }
  sub.writeBigUInt64LE(BigInt(opts.maxMapnr), 88);
  sub.writeBigUInt64LE(BigInt(opts.maxMapnr), 96);
  const subBuf = Buffer.alloc(subBlocks * bs);
  Buffer.concat([sub, notes, vmci]).copy(subBuf);
  return Buffer.concat([h, subBuf, bm1, bm2, descs, ...datas]);
}

export interface FlattenOptions {
  /** bytes per record (default 4096) */
  recordSize?: number;
  /** emit records in a shuffled order (deterministic) */
  shuffle?: boolean;
  /** before the real records, write garbage records over the same offsets (later records must win) */
  overwritten?: boolean;
}

export function flatten(file: Buffer, opts: FlattenOptions = {}): Buffer {
  const size = opts.recordSize ?? 4096;
  const head = Buffer.alloc(4096);
  head.write('makedumpfile', 0, 'latin1');
  head.writeBigInt64BE(1n, 16);
  head.writeBigInt64BE(1n, 24);
  const recs: [number, Buffer][] = [];
  for (let off = 0; off < file.length; off += size) recs.push([off, file.subarray(off, off + size)]);
  if (opts.shuffle) {
    // deterministic Fisher-Yates with an LCG
    let s = 12345;
    for (let i = recs.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [recs[i], recs[j]] = [recs[j], recs[i]];
    }
  }
  const out: Buffer[] = [head];
  const rec = (off: number, data: Buffer) => {
    const h = Buffer.alloc(16);
    h.writeBigInt64BE(BigInt(off), 0);
    h.writeBigInt64BE(BigInt(data.length), 8);
    out.push(h, data);
  };
  if (opts.overwritten) {
    // garbage straddling record boundaries, to be overwritten by the real records that follow
    for (let off = size / 2; off + size < file.length; off += 3 * size) rec(off, Buffer.alloc(size, 0xee));
  }
  for (const [off, data] of recs) rec(off, data);
  const end = Buffer.alloc(16, 0xff);
  out.push(end);
  return Buffer.concat(out);
}

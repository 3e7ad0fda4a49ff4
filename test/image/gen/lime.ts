// Writes LiME v1 and AVML v2 files from their documented layouts (LiME: 32-byte header
// {u32 magic 0x4C694D45, u32 version 1, u64 start, u64 end inclusive, u64 0} + raw bytes; AVML:
// magic 'AVML' version 2, the range as a snappy *framed* stream, then u64 compressed length).
// Independent of lib/image: uses snappyjs only for the raw snappy blocks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as { compress(d: Uint8Array): Uint8Array };

export interface RangeSpec {
  start: number;
  data: Buffer;
}

function header(magic: number, version: number, start: number, endIncl: number): Buffer {
  const h = Buffer.alloc(32);
  h.writeUInt32LE(magic, 0);
  h.writeUInt32LE(version, 4);
  h.writeBigUInt64LE(BigInt(start), 8);
  h.writeBigUInt64LE(BigInt(endIncl), 16);
  return h;
}

export function makeLime(ranges: RangeSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of ranges) parts.push(header(0x4c694d45, 1, r.start, r.start + r.data.length - 1), r.data);
  return Buffer.concat(parts);
}

// CRC-32C (Castagnoli), masked as the snappy framing format requires.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
function maskedCrc32c(d: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < d.length; i++) c = CRC_TABLE[(c ^ d[i]) & 0xff] ^ (c >>> 8);
  c = (c ^ 0xffffffff) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function chunk(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntLE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

export interface AvmlOptions {
  /** uncompressed bytes per chunk (≤ 65536; AVML's writer uses 65536) */
  chunkSize?: number;
  /** store every n-th chunk uncompressed (type 0x01) */
  rawEvery?: number;
  /** insert a padding (0xfe) and a skippable (0x80) chunk after the first data chunk */
  extraChunks?: boolean;
}

export function snappyFrames(data: Buffer, opts: AvmlOptions = {}): Buffer {
  const size = opts.chunkSize ?? 65536;
  const parts: Buffer[] = [chunk(0xff, Buffer.from('sNaPpY', 'latin1'))];
  for (let off = 0, n = 0; off < data.length; off += size, n++) {
    const piece = data.subarray(off, off + size);
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE(maskedCrc32c(piece), 0);
    if (opts.rawEvery && n % opts.rawEvery === opts.rawEvery - 1) parts.push(chunk(0x01, Buffer.concat([crc, piece])));
    else parts.push(chunk(0x00, Buffer.concat([crc, Buffer.from(snappy.compress(piece))])));
    if (opts.extraChunks && n === 0) {
      parts.push(chunk(0xfe, Buffer.alloc(7)), chunk(0x80, Buffer.from('skip me')));
    }
  }
  return Buffer.concat(parts);
}

export function makeAvml(ranges: RangeSpec[], opts: AvmlOptions = {}): Buffer {
  const parts: Buffer[] = [];
  for (const r of ranges) {
    const frames = snappyFrames(r.data, opts);
    const trailer = Buffer.alloc(8);
    trailer.writeBigUInt64LE(BigInt(frames.length));
    parts.push(header(0x4c4d5641, 2, r.start, r.start + r.data.length - 1), frames, trailer);
  }
  return Buffer.concat(parts);
}

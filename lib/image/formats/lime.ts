// LiME (Linux Memory Extractor) and AVML dumps. Both are a sequence of 32-byte range headers
// {u32 magic, u32 version, u64 start, u64 end (inclusive), u64 reserved}, each followed by the range:
//  - LiME v1: magic 'EMiL' (0x4C694D45), raw bytes, end-start+1 of them;
//  - AVML v2: magic 'AVML' (0x4C4D5641), the range in the snappy *framing* format, then a u64 with
//    the compressed length. The length sits *after* the data, so opening walks each range's chunk
//    headers (4-8 bytes per 64 KiB chunk) into a compact index; chunk bodies are decoded on demand.
import { readExact, type ByteSource } from '../byte-source';
import type { PhysicalMemory } from '../physical';
import { MemqError } from '../../util/errors';
import { BlockLru, decodeBlock } from './codecs';
import { MAX_PHYS, SegmentTable, hx, isDeviceMemory, u64, type Segment } from './segments';

export const LIME_MAGIC = 0x4c694d45;
export const AVML_MAGIC = 0x4c4d5641;
const HEADER = 32;
/** bound on ranges: real dumps have tens; this stops a hostile file from making us walk forever */
const MAX_RANGES = 1 << 16;

export function looksLikeLime(head: Buffer): boolean {
  if (head.length < HEADER) return false;
  const magic = head.readUInt32LE(0);
  const version = head.readUInt32LE(4);
  return (magic === LIME_MAGIC && version === 1) || (magic === AVML_MAGIC && version === 2);
}

export class LimeMemory implements PhysicalMemory {
  readonly format: string;
  readonly ranges;
  readonly info: Record<string, string | number | boolean>;
  private readonly table: SegmentTable;
  private readonly lru = new BlockLru(32);

  constructor(readonly source: ByteSource) {
    const segs: Segment[] = [];
    let off = 0;
    let compressed = 0;
    let n = 0;
    while (off < source.size) {
      if (++n > MAX_RANGES) throw new MemqError(`${source.name}: more than ${MAX_RANGES} LiME ranges`, 'E_FORMAT');
      const h = readExact(source, off, HEADER);
      const magic = h.readUInt32LE(0);
      const version = h.readUInt32LE(4);
      const where = `${source.name}: LiME range header #${n} at offset ${hx(off)}`;
      const isLime = magic === LIME_MAGIC && version === 1;
      const isAvml = magic === AVML_MAGIC && version === 2;
      if (!isLime && !isAvml) {
        throw new MemqError(
          `${where}: expected magic 0x4c694d45 version 1 (LiME) or 0x4c4d5641 version 2 (AVML), found ${hx(magic)} version ${version}`,
          'E_FORMAT',
        );
      }
      const start = u64(h, 8, 'start', where);
      const endIncl = u64(h, 16, 'end', where);
      if (endIncl < start || endIncl >= MAX_PHYS) {
        throw new MemqError(`${where}: bad range start ${hx(start)} end ${hx(endIncl)}`, 'E_FORMAT');
      }
      const len = endIncl - start + 1;
      const dataOff = off + HEADER;
      if (isLime) {
        if (dataOff + len > source.size) {
          throw new MemqError(
            `${where}: range ${hx(start)}-${hx(endIncl)} needs ${len} bytes at ${hx(dataOff)}, file has ${source.size}`,
            'E_TRUNCATED',
          );
        }
        segs.push({
          start,
          end: start + len,
          ram: !isDeviceMemory(start, start + len),
          read: (o, t, to, l) => source.readInto(dataOff + o, t, to, l) === l,
        });
        off = dataOff + len;
      } else {
        // AVML: the compressed length is stored *after* the data; find it by walking the frame chunks.
        const chunks = new AvmlChunks(source, dataOff, len, where, this.lru);
        off = chunks.streamEnd + 8;
        if (off > source.size) throw new MemqError(`${where}: missing compressed-size trailer`, 'E_TRUNCATED');
        const stored = u64(readExact(source, chunks.streamEnd, 8), 0, 'compressed size', where);
        if (stored !== chunks.streamEnd - dataOff) {
          throw new MemqError(
            `${where}: compressed-size trailer says ${stored} bytes, snappy stream is ${chunks.streamEnd - dataOff}`,
            'E_FORMAT',
          );
        }
        compressed++;
        segs.push({ start, end: start + len, ram: !isDeviceMemory(start, start + len), read: (o, t, to, l) => chunks.read(o, t, to, l) });
      }
    }
    if (segs.length === 0) throw new MemqError(`${source.name}: LiME file without ranges`, 'E_FORMAT');
    this.table = new SegmentTable(segs, source.name);
    this.ranges = this.table.ranges;
    this.format = compressed ? 'avml' : 'lime';
    this.info = {
      format: compressed ? 'AVML (LiME v2, snappy)' : 'LiME v1',
      'lime.ranges': segs.length,
      'lime.compressed_ranges': compressed,
    };
  }

  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    return this.table.readPhys(paddr, target, targetOffset, length);
  }

  close(): void {
    this.lru.clear();
    this.source.close();
  }
}

// Snappy framing format (https://github.com/google/snappy/blob/main/framing_format.txt):
// chunk = u8 type, u24 length, body. 0xff stream identifier 'sNaPpY'; 0x00 compressed
// (u32 masked CRC-32C + raw snappy); 0x01 uncompressed (CRC + bytes); 0x80-0xfe skippable;
// 0x02-0x7f reserved unskippable. Every data chunk holds at most 65536 uncompressed bytes.
// The CRC-32C is not verified (a per-byte checksum would dominate read time); corruption still shows
// as a snappy decode error or a length mismatch, both reported with the chunk's file offset.
const MAX_CHUNK_OUT = 65536;
let lruKeySpace = 0;

/** Index of one AVML range's snappy frame stream: uncompressed offset → chunk position. */
class AvmlChunks {
  readonly streamEnd: number;
  private readonly outStart: Float64Array;
  private readonly fileOff: Float64Array;
  private readonly bodyLen: Uint32Array;
  private readonly kind: Uint8Array;
  private readonly count: number;
  private readonly keyBase: number;

  constructor(
    private readonly src: ByteSource,
    dataOff: number,
    private readonly len: number,
    private readonly where: string,
    private readonly lru: BlockLru,
  ) {
    // Typically one chunk per 64 KiB; arrays grow (doubling) if a writer used smaller chunks.
    const cap0 = Math.min(Math.ceil(len / MAX_CHUNK_OUT) + 16, 1 << 20);
    let outStart = new Float64Array(cap0);
    let fileOff = new Float64Array(cap0);
    let bodyLen = new Uint32Array(cap0);
    let kind = new Uint8Array(cap0);
    let n = 0;
    let pos = dataOff;
    let produced = 0;
    let sawId = false;
    // Terminates: every chunk advances `pos` by ≥ 4 bytes and `pos` must stay inside the file.
    while (produced < len) {
      const h = readExact(src, pos, 4);
      const type = h[0];
      const clen = h[1] | (h[2] << 8) | (h[3] << 16);
      const body = pos + 4;
      if (body + clen > src.size) {
        throw new MemqError(`${where}: snappy chunk at ${hx(pos)} (${clen} bytes) runs past end of file`, 'E_TRUNCATED');
      }
      if (type === 0xff) {
        const id = readExact(src, body, Math.min(clen, 6));
        if (clen !== 6 || id.toString('latin1') !== 'sNaPpY') {
          throw new MemqError(`${where}: bad snappy stream identifier at ${hx(pos)}`, 'E_FORMAT');
        }
        sawId = true;
      } else if (type === 0x00 || type === 0x01) {
        if (!sawId) throw new MemqError(`${where}: snappy stream does not start with 'sNaPpY' at ${hx(dataOff)}`, 'E_FORMAT');
        if (clen < 4) throw new MemqError(`${where}: snappy chunk at ${hx(pos)} too short`, 'E_FORMAT');
        let outLen: number;
        if (type === 0x01) outLen = clen - 4;
        else {
          const pre = readExact(src, body + 4, Math.min(5, clen - 4));
          outLen = -1;
          for (let i = 0, v = 0, shift = 0; i < pre.length; i++, shift += 7) {
            v += (pre[i] & 0x7f) * 2 ** shift;
            if ((pre[i] & 0x80) === 0) {
              outLen = v;
              break;
            }
          }
        }
        if (outLen <= 0 || outLen > MAX_CHUNK_OUT || produced + outLen > len) {
          throw new MemqError(`${where}: snappy chunk at ${hx(pos)} claims ${outLen} bytes (range has ${len - produced} left)`, 'E_FORMAT');
        }
        if (n === outStart.length) {
          const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T, C: new (n: number) => T): T => {
            const b = new C(a.length * 2);
            b.set(a as never);
            return b;
          };
          outStart = grow(outStart, Float64Array);
          fileOff = grow(fileOff, Float64Array);
          bodyLen = grow(bodyLen, Uint32Array);
          kind = grow(kind, Uint8Array);
        }
        outStart[n] = produced;
        fileOff[n] = body + 4;
        bodyLen[n] = clen - 4;
        kind[n] = type;
        n++;
        produced += outLen;
      } else if (type >= 0x02 && type <= 0x7f) {
        throw new MemqError(`${where}: reserved unskippable snappy chunk type ${hx(type)} at ${hx(pos)}`, 'E_FORMAT');
      }
      pos = body + clen;
    }
    // Padding/skippable chunks may follow the last data chunk: the stream ends where the u64 trailer
    // equals the stream length. Bounded by the file: each skipped chunk advances ≥ 4 bytes.
    while (pos + 8 <= src.size) {
      const t = readExact(src, pos, 8);
      if (Number(t.readBigUInt64LE(0)) === pos - dataOff) break;
      const type = t[0];
      if (type < 0x80 || type === 0xff) break; // not skippable: let the caller report the bad trailer
      pos += 4 + (t[1] | (t[2] << 8) | (t[3] << 16));
    }
    this.streamEnd = pos;
    this.outStart = outStart;
    this.fileOff = fileOff;
    this.bodyLen = bodyLen;
    this.kind = kind;
    this.count = n;
    this.keyBase = lruKeySpace;
    lruKeySpace += n;
  }

  private chunk(i: number): Buffer {
    const key = this.keyBase + i;
    const hit = this.lru.get(key);
    if (hit) return hit;
    const outLen = (i + 1 < this.count ? this.outStart[i + 1] : this.len) - this.outStart[i];
    const body = readExact(this.src, this.fileOff[i], this.bodyLen[i]);
    const where = `${this.where}: snappy chunk at ${hx(this.fileOff[i] - 8)}`;
    let out: Buffer;
    if (this.kind[i] === 0x01) {
      if (body.length !== outLen) throw new MemqError(`${where}: uncompressed chunk size mismatch`, 'E_FORMAT');
      out = body;
    } else out = decodeBlock('snappy', body, outLen, where);
    this.lru.set(key, out);
    return out;
  }

  read(off: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    // binary search the chunk holding `off`
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.outStart[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    let i = lo;
    let pos = off;
    let out = targetOffset;
    const end = off + length;
    while (pos < end && i < this.count) {
      const c = this.chunk(i);
      const inChunk = pos - this.outStart[i];
      const n = Math.min(c.length - inChunk, end - pos);
      target.set(c.subarray(inChunk, inChunk + n), out);
      pos += n;
      out += n;
      i++;
    }
    return pos === end;
  }
}

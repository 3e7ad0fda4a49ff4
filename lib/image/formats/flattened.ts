// makedumpfile's *flattened* stream format (what `makedumpfile -F` and QEMU `dump-guest-memory -z`
// to a pipe write): a 4 KiB header {char signature[16] = "makedumpfile", be64 type = 1, be64 version
// = 1}, then records {be64 offset, be64 size, data[size]} that say "these bytes belong at this
// offset of the real kdump file", ended by a record with offset = size = -1. FlatSource indexes the
// record headers once (16 bytes each, data skipped) and serves the rearranged file as a ByteSource,
// so the kdump parser reads it unchanged and nothing is loaded whole. Later records win on overlap.
import { readExact, type ByteSource } from '../byte-source';
import { MemqError } from '../../util/errors';
import { hx } from './segments';

export const FLAT_HEADER_SIZE = 4096;
const SIGNATURE = 'makedumpfile';
/** bound on records; each record consumes ≥ 16 bytes of file so this also bounds by size */
const MAX_RECORDS = 1 << 26;

export function looksFlattened(head: Buffer): boolean {
  return head.length >= 32 && head.toString('latin1', 0, 12) === SIGNATURE && head[12] === 0;
}

export class FlatSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  readonly records: number;
  /** sorted, non-overlapping pieces of the virtual file: virtual start, length, position in inner */
  private readonly vStart: Float64Array;
  private readonly vLen: Float64Array;
  private readonly fPos: Float64Array;

  constructor(readonly inner: ByteSource) {
    this.name = inner.name;
    const h = readExact(inner, 0, 32);
    if (!looksFlattened(h)) throw new MemqError(`${inner.name}: expected 'makedumpfile' flattened signature at offset 0`, 'E_FORMAT');
    const type = h.readBigInt64BE(16);
    const version = h.readBigInt64BE(24);
    if (type !== 1n) throw new MemqError(`${inner.name}: flattened header type ${type} at offset 0x10, expected 1`, 'E_FORMAT');
    if (version < 1n) throw new MemqError(`${inner.name}: flattened header version ${version} at offset 0x18, expected ≥ 1`, 'E_FORMAT');

    // Pass 1: read record headers into typed arrays (write order).
    let cap = 4096;
    let off = new Float64Array(cap);
    let len = new Float64Array(cap);
    let pos = new Float64Array(cap);
    let n = 0;
    let p = FLAT_HEADER_SIZE;
    let ended = false;
    while (p + 16 <= inner.size) {
      const r = readExact(inner, p, 16);
      const o = r.readBigInt64BE(0);
      const s = r.readBigInt64BE(8);
      if (o === -1n && s === -1n) {
        ended = true;
        break;
      }
      const where = `${inner.name}: flattened record #${n} at ${hx(p)}`;
      if (o < 0n || s < 0n || o + s > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new MemqError(`${where}: bad offset ${o} / size ${s}`, 'E_FORMAT');
      }
      const size = Number(s);
      if (p + 16 + size > inner.size) {
        throw new MemqError(`${where}: ${size} data bytes run past end of file (${inner.size})`, 'E_TRUNCATED');
      }
      if (n >= MAX_RECORDS) throw new MemqError(`${where}: more than ${MAX_RECORDS} records`, 'E_FORMAT');
      if (n === cap) {
        cap *= 2;
        off = grow(off, cap);
        len = grow(len, cap);
        pos = grow(pos, cap);
      }
      off[n] = Number(o);
      len[n] = size;
      pos[n] = p + 16;
      n++;
      p += 16 + size;
    }
    if (!ended && p !== inner.size) {
      throw new MemqError(`${inner.name}: flattened record header at ${hx(p)} cut short (file ends at ${hx(inner.size)})`, 'E_TRUNCATED');
    }
    this.records = n;

    // Pass 2: resolve to non-overlapping pieces. Writers emit records mostly in offset order, so
    // sorting is usually skipped; overlaps are rare and take the slower painting path.
    const order = new Uint32Array(n);
    let inOrder = true;
    for (let k = 0; k < n; k++) {
      order[k] = k;
      if (k > 0 && off[k] < off[k - 1]) inOrder = false;
    }
    if (!inOrder) order.sort((a, b) => off[a] - off[b] || a - b);
    let overlap = false;
    for (let k = 1; k < n; k++) {
      const a = order[k - 1];
      if (off[a] + len[a] > off[order[k]]) {
        overlap = true;
        break;
      }
    }
    if (!overlap) {
      let m = 0;
      for (let k = 0; k < n; k++) if (len[order[k]] > 0) m++;
      this.vStart = new Float64Array(m);
      this.vLen = new Float64Array(m);
      this.fPos = new Float64Array(m);
      let j = 0;
      for (let k = 0; k < n; k++) {
        const i = order[k];
        if (len[i] === 0) continue;
        this.vStart[j] = off[i];
        this.vLen[j] = len[i];
        this.fPos[j] = pos[i];
        j++;
      }
      this.size = m ? this.vStart[m - 1] + this.vLen[m - 1] : 0;
      return;
    }
    const pieces: [number, number, number][] = [];
    {
      // Elementary intervals between all record boundaries; paint from the last record backwards,
      // skipping already-painted intervals with a "next unpainted" union-find (linear overall).
      const bounds = Array.from(new Set(Array.from({ length: n }, (_, i) => [off[i], off[i] + len[i]]).flat())).sort((a, b) => a - b);
      const m = bounds.length - 1;
      const owner = new Int32Array(Math.max(m, 0)).fill(-1);
      const next = Int32Array.from({ length: m + 1 }, (_, i) => i);
      const find = (x: number): number => {
        let r = x;
        while (next[r] !== r) r = next[r];
        while (next[x] !== r) {
          const t = next[x];
          next[x] = r;
          x = t;
        }
        return r;
      };
      const lower = (v: number): number => {
        let lo = 0;
        let hi = bounds.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (bounds[mid] < v) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
      for (let i = n - 1; i >= 0; i--) {
        if (len[i] === 0) continue;
        const a = lower(off[i]);
        const b = lower(off[i] + len[i]);
        for (let k = find(a); k < b; k = find(k)) {
          owner[k] = i;
          next[k] = k + 1;
        }
      }
      for (let k = 0; k < m; k++) {
        const i = owner[k];
        if (i < 0) continue;
        const fp = pos[i] + (bounds[k] - off[i]);
        const last = pieces[pieces.length - 1];
        if (last && last[0] + last[1] === bounds[k] && last[2] + last[1] === fp) last[1] += bounds[k + 1] - bounds[k];
        else pieces.push([bounds[k], bounds[k + 1] - bounds[k], fp]);
      }
    }
    this.vStart = Float64Array.from(pieces, (x) => x[0]);
    this.vLen = Float64Array.from(pieces, (x) => x[1]);
    this.fPos = Float64Array.from(pieces, (x) => x[2]);
    this.size = pieces.length ? pieces[pieces.length - 1][0] + pieces[pieces.length - 1][1] : 0;
  }

  /** Bytes never written by any record read as zero (a sparse file, like the real rearranged one). */
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    const end = Math.min(offset + length, this.size);
    // last piece starting at or before offset
    let lo = 0;
    let hi = this.vStart.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.vStart[mid] <= offset) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let p = offset;
    let out = targetOffset;
    if (i < 0) i = 0;
    while (p < end) {
      if (i >= this.vStart.length || p < this.vStart[i]) {
        // hole up to the next piece
        const holeEnd = Math.min(end, i < this.vStart.length ? this.vStart[i] : end);
        target.fill(0, out, out + (holeEnd - p));
        out += holeEnd - p;
        p = holeEnd;
        continue;
      }
      const pieceEnd = this.vStart[i] + this.vLen[i];
      if (p >= pieceEnd) {
        i++;
        continue;
      }
      const n = Math.min(end, pieceEnd) - p;
      const got = this.inner.readInto(this.fPos[i] + (p - this.vStart[i]), target, out, n);
      if (got !== n) return p - offset + got;
      p += n;
      out += n;
      i++;
    }
    return p - offset;
  }

  close(): void {
    this.inner.close();
  }
}

function grow(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

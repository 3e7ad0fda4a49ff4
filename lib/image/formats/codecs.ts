// Block codecs used inside dump formats (kdump pages, AVML chunks). Each decoder writes exactly
// `expected` bytes or throws a MemqError naming the codec and the place; output size is always
// bounded by the caller, never by a header in the compressed data.
import * as zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { MemqError } from '../../util/errors';

interface SnappyApi {
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}
// snappyjs ships no type declarations; this is its whole API surface we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as SnappyApi;

export type Codec = 'zlib' | 'zstd' | 'snappy' | 'lzo';

/** Reads the snappy raw-format preamble (uncompressed length varint); -1 when malformed. */
export function snappyLength(data: Uint8Array): number {
  let result = 0;
  for (let i = 0, shift = 0; i < 5 && i < data.length; i++, shift += 7) {
    const c = data[i];
    result += (c & 0x7f) * 2 ** shift;
    if ((c & 0x80) === 0) return result;
  }
  return -1;
}

/** Decodes `data` with `codec` into a buffer of exactly `expected` bytes. */
export function decodeBlock(codec: Codec, data: Uint8Array, expected: number, where: string): Buffer {
  let out: Uint8Array;
  try {
    switch (codec) {
      case 'zlib':
        out = zlib.inflateSync(data, { maxOutputLength: expected });
        break;
      case 'zstd': {
        // Passing the output buffer keeps fzstd from sizing an allocation from the (untrusted) frame header.
        const buf = new Uint8Array(expected);
        out = zstdDecompress(data, buf);
        break;
      }
      case 'snappy': {
        const n = snappyLength(data);
        if (n !== expected) throw new Error(`uncompressed length ${n}, expected ${expected}`);
        out = snappy.uncompress(data, expected);
        break;
      }
      case 'lzo':
        throw new MemqError(
          `${where}: page compressed with LZO — no LZO decoder is available (no pure-JS LZO package fits); ` +
            `re-create the dump with zlib (makedumpfile -c), snappy (-p) or zstd (-z)`,
          'E_UNSUPPORTED',
        );
    }
  } catch (e) {
    if (e instanceof MemqError) throw e;
    throw new MemqError(`${where}: corrupt ${codec} data (${(e as Error).message})`, 'E_FORMAT');
  }
  if (out.length !== expected) {
    throw new MemqError(`${where}: ${codec} data decoded to ${out.length} bytes, expected ${expected}`, 'E_FORMAT');
  }
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

/** Small LRU of decoded blocks keyed by a number (pfn, chunk index). */
export class BlockLru {
  private map = new Map<number, Buffer>();
  constructor(private readonly capacity: number) {}
  get(key: number): Buffer | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: number, value: Buffer): void {
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value as number);
    this.map.set(key, value);
  }
  clear(): void {
    this.map.clear();
  }
}

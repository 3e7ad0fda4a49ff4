// Random-access byte sources: the only way any parser touches dump bytes. Reads are positional and
// synchronous (parsers walk pointers; sync reads keep them simple and fast). Every source is wrapped
// in a BlockCache so repeated small reads of the same region cost one underlying read.
// An S3 ranged-GET source implements the same interface (see lib/image/s3-source.ts).
import * as fs from 'node:fs';
import { MemqError } from '../util/errors';

export interface ByteSource {
  /** total size in bytes */
  readonly size: number;
  /** human-readable origin (path, s3://bucket/key) for error messages */
  readonly name: string;
  /** Copies up to `length` bytes at `offset` into `target` at `targetOffset`; returns bytes copied (short at EOF). */
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number;
  close(): void;
}

/** Reads `length` bytes at `offset`; throws a clear error if the source is shorter. */
export function readExact(src: ByteSource, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  const n = src.readInto(offset, buf, 0, length);
  if (n !== length) {
    throw new MemqError(
      `${src.name}: truncated — needed ${length} bytes at offset 0x${offset.toString(16)}, file has ${src.size} bytes`,
      'E_TRUNCATED',
    );
  }
  return buf;
}

/** Reads up to `length` bytes; the result may be shorter at end of source. */
export function readAt(src: ByteSource, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  const n = src.readInto(offset, buf, 0, length);
  return n === length ? buf : buf.subarray(0, n);
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number;
  constructor(readonly name: string) {
    try {
      this.fd = fs.openSync(name, 'r');
    } catch (e) {
      throw new MemqError(`cannot open ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'E_IO');
    }
    const st = fs.fstatSync(this.fd);
    if (!st.isFile()) {
      fs.closeSync(this.fd);
      throw new MemqError(`${name} is not a regular file`, 'E_IO');
    }
    this.size = st.size;
  }
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    const want = Math.min(length, this.size - offset);
    let done = 0;
    while (done < want) {
      const n = fs.readSync(this.fd, target, targetOffset + done, want - done, offset + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  constructor(private readonly data: Uint8Array, readonly name = 'buffer') {
    this.size = data.length;
  }
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    const n = Math.min(length, this.size - offset);
    target.set(this.data.subarray(offset, offset + n), targetOffset);
    return n;
  }
  close(): void {}
}

export interface CacheStats {
  hits: number;
  misses: number;
  bytesRead: number;
}

/**
 * LRU cache of fixed-size blocks over a ByteSource. Block size defaults to 64 KiB (a good unit for
 * both local preads and S3 ranged GETs); capacity bounds memory regardless of dump size.
 */
export class BlockCache implements ByteSource {
  readonly size: number;
  readonly name: string;
  readonly stats: CacheStats = { hits: 0, misses: 0, bytesRead: 0 };
  private blocks = new Map<number, Buffer>();
  private readonly maxBlocks: number;
  constructor(
    readonly inner: ByteSource,
    readonly blockSize = 64 * 1024,
    capacityBytes = 64 * 1024 * 1024,
  ) {
    this.size = inner.size;
    this.name = inner.name;
    this.maxBlocks = Math.max(4, Math.floor(capacityBytes / blockSize));
  }
  private block(index: number): Buffer {
    const hit = this.blocks.get(index);
    if (hit) {
      this.stats.hits++;
      // refresh LRU position
      this.blocks.delete(index);
      this.blocks.set(index, hit);
      return hit;
    }
    this.stats.misses++;
    const start = index * this.blockSize;
    const len = Math.min(this.blockSize, this.size - start);
    const buf = Buffer.allocUnsafe(Math.max(0, len));
    const n = this.inner.readInto(start, buf, 0, len);
    this.stats.bytesRead += n;
    const b = n === len ? buf : buf.subarray(0, n);
    if (this.blocks.size >= this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    this.blocks.set(index, b);
    return b;
  }
  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    // Large reads bypass the cache: they would only evict useful blocks.
    if (length >= this.blockSize * 4) {
      const n = this.inner.readInto(offset, target, targetOffset, length);
      this.stats.bytesRead += n;
      return n;
    }
    const end = Math.min(offset + length, this.size);
    let pos = offset;
    let out = targetOffset;
    while (pos < end) {
      const bi = Math.floor(pos / this.blockSize);
      const blk = this.block(bi);
      const inBlock = pos - bi * this.blockSize;
      const n = Math.min(blk.length - inBlock, end - pos);
      if (n <= 0) break;
      target.set(blk.subarray(inBlock, inBlock + n), out);
      pos += n;
      out += n;
    }
    return pos - offset;
  }
  close(): void {
    this.blocks.clear();
    this.inner.close();
  }
}

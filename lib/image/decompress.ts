// gzip / xz wrappers around dumps: detected by magic bytes, streamed to a temp file (never held in
// memory), written atomically (tmp name + rename) so an interrupted run leaves no half file behind.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MemqError } from '../util/errors';

export type WrapperKind = 'gzip' | 'xz';

export function wrapperKind(head: Buffer): WrapperKind | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return null;
}

export async function decompressToFile(
  kind: WrapperKind,
  file: string,
  out: string,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const total = fs.statSync(file).size;
  const tmp = `${out}.partial-${process.pid}`;
  try {
    // Compressed bytes, counted for the progress bar; read errors propagate through the generator.
    const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    async function* counted(): AsyncGenerator<Buffer> {
      let done = 0;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        done += chunk.length;
        onProgress?.(done, total);
        yield chunk;
      }
    }
    if (kind === 'gzip') {
      await pipeline(Readable.from(counted()), zlib.createGunzip(), fs.createWriteStream(tmp));
    } else {
      await pipeline(await xzDecoded(Readable.from(counted())), fs.createWriteStream(tmp));
    }
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof MemqError) throw e;
    throw new MemqError(`${file}: ${kind} decompression failed: ${(e as Error).message}`, 'E_DECOMPRESS');
  }
}

/**
 * xz via the WebAssembly decoder of the `xz-decompress` package (no native code). It works on web
 * streams: the compressed Node stream is bridged in, the decoded web stream bridged back out, so a
 * decoder error surfaces as a stream error (and rejects the pipeline) instead of an uncaught throw.
 */
async function xzDecoded(compressed: Readable): Promise<Readable> {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as {
    XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
  };
  const web = Readable.toWeb(compressed) as unknown as ReadableStream<Uint8Array>;
  return Readable.fromWeb(new XzReadableStream(web) as unknown as import('node:stream/web').ReadableStream);
}

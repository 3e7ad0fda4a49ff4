// gzip / xz wrappers around dumps: detected by magic bytes, streamed to a temp file (never held in
// memory), written atomically (tmp name + rename) so an interrupted run leaves no half file behind.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Transform, Readable } from 'node:stream';
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
  let done = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      onProgress?.(done, total);
      cb(null, chunk);
    },
  });
  const tmp = `${out}.partial-${process.pid}`;
  try {
    const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    let decoder: NodeJS.ReadWriteStream;
    if (kind === 'gzip') decoder = zlib.createGunzip();
    else decoder = await xzDecoder();
    await pipeline(input, counter, decoder, fs.createWriteStream(tmp));
    fs.renameSync(tmp, out);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof MemqError) throw e;
    throw new MemqError(`${file}: ${kind} decompression failed: ${(e as Error).message}`, 'E_DECOMPRESS');
  }
}

/** xz via the WebAssembly decoder of the `xz-decompress` package (no native code). */
async function xzDecoder(): Promise<NodeJS.ReadWriteStream> {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as {
    XzReadableStream: new (s: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
  };
  // Bridge a Node duplex: writes feed a web stream, the decoder's output is read back.
  const { PassThrough } = await import('node:stream');
  const inbound = new PassThrough();
  const outbound = new PassThrough();
  const web = Readable.toWeb(inbound) as unknown as ReadableStream<Uint8Array>;
  const decoded = Readable.fromWeb(new XzReadableStream(web) as unknown as import('node:stream/web').ReadableStream);
  decoded.on('error', (e) => outbound.destroy(e));
  decoded.pipe(outbound);
  const duplex = new Transform({
    transform(chunk, _enc, cb) {
      inbound.write(chunk, cb);
    },
    flush(cb) {
      inbound.end();
      outbound.on('end', () => cb());
      outbound.on('error', cb);
    },
  });
  outbound.on('data', (d) => duplex.push(d));
  return duplex;
}

// Decompression bombs for tests, built cheaply: a gzip file may hold several members, decompressed
// one after the other, so one small member (16 MiB of one byte value) repeated N times inflates to
// N × 16 MiB. Nothing here ever writes the inflated bytes.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export const MEMBER_BYTES = 16 << 20;

/** Writes a gzip file that inflates to `logicalBytes` (a multiple of 16 MiB) of `fill`. */
export function writeGzipBomb(file: string, logicalBytes: number, fill = 0): number {
  const member = zlib.gzipSync(Buffer.alloc(MEMBER_BYTES, fill), { level: 9 });
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < Math.ceil(logicalBytes / MEMBER_BYTES); i++) fs.writeSync(fd, member);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

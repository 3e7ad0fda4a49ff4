// The dump's SHA-256 for the snapshot manifest, computed in a worker thread while the tables are
// extracted, so on an ordinary dump it costs no wall time. Hashing reads every byte of the file,
// holes of a sparse file included (Node has no SEEK_DATA to skip them): on a mostly-empty sparse dump
// it would cost many times the analysis, whose cost does not grow with empty memory. So:
//   - hash: true  (CLI --hash)     always hash;
//   - hash: false (CLI --no-hash)  never;
//   - unset (default)              hash, except a file of ≥ 1 GiB with less than half its bytes
//                                  allocated on disk (sparse), where the hash is skipped.
// A skipped hash is never silent: the manifest records `sha256: null`, why (`hash_skipped`, also a
// warning) and the sampled identity the discovery cache uses (size, mtime, hash of three 4 KiB blocks).
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { dumpIdentity, type DumpIdentity } from '../os/discovery-cache';

// plain JS so it runs the same from the sources (tsx) and from the compiled CLI bundle; one reused
// 8 MiB buffer (a stream allocates a chunk per read, which on a sparse dump costs more than hashing)
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const h = crypto.createHash('sha256');
const fd = fs.openSync(workerData.file, 'r');
try {
  const buf = Buffer.allocUnsafe(8 << 20);
  for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) h.update(n === buf.length ? buf : buf.subarray(0, n));
} finally {
  fs.closeSync(fd);
}
parentPort.postMessage(h.digest('hex'));
`;

export interface DumpHash {
  sha256: string | null;
  /** recorded when the full hash was skipped */
  identity?: DumpIdentity;
  /** why the full hash was skipped */
  skipped?: string;
}

const GiB = 2 ** 30;

/** Why the default skips hashing `file` (a mostly-unallocated sparse file), or null to hash it. */
export function sparseReason(file: string): string | null {
  const st = fs.statSync(file);
  const allocated = st.blocks * 512;
  // blocks = 0 on a filesystem that does not report them: not evidence of holes
  if (st.size < GiB || st.blocks === 0 || allocated >= st.size / 2) return null;
  return `sparse file (${(allocated / 2 ** 20).toFixed(0)} MiB allocated of ${(st.size / GiB).toFixed(1)} GiB): its SHA-256 would read every hole; --hash computes it`;
}

/**
 * Starts hashing `file` on a worker thread; `result()` waits for it. `mode`: true always, false never,
 * undefined = unless the file is sparse (sparseReason).
 */
export function startDumpHash(file: string, mode?: boolean): { result(): Promise<DumpHash>; cancel(): void } {
  const skip = mode === false ? '--no-hash' : mode === true ? null : sparseReason(file);
  if (skip !== null) return { result: async () => ({ sha256: null, identity: dumpIdentity(file), skipped: skip }), cancel: () => undefined };
  const worker = new Worker(WORKER, { eval: true, workerData: { file } });
  const done = new Promise<DumpHash>((resolve, reject) => {
    worker.once('message', (hex: string) => resolve({ sha256: hex }));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`hashing ${file} stopped (exit ${code})`)));
  });
  // a failed analysis abandons the hash: nobody awaits it, so its rejection must not surface as unhandled
  done.catch(() => undefined);
  return { result: () => done, cancel: () => void worker.terminate() };
}

/** SHA-256 of a whole file on a worker thread (the bench times this part on its own). */
export async function sha256File(file: string): Promise<string> {
  return (await startDumpHash(file, true).result()).sha256!;
}

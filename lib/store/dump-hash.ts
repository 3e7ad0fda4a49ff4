// The dump's SHA-256 for the snapshot manifest, computed in a worker thread while the tables are
// extracted. Hashing reads every byte of the file (holes of a sparse dump included), which on a
// large dump costs more than the analysis itself; on its own thread it overlaps the extraction
// instead of following it. `hash: false` (CLI `--no-hash`) skips it: the manifest then records
// `sha256: null` and the sampled identity (size, mtime, hash of three 4 KiB blocks) the discovery
// cache uses, so a forensic hash is never left out silently.
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
}

/** Starts hashing `file` on a worker thread; `result()` waits for it. Not started when `enabled` is false. */
export function startDumpHash(file: string, enabled = true): { result(): Promise<DumpHash>; cancel(): void } {
  if (!enabled) return { result: async () => ({ sha256: null, identity: dumpIdentity(file) }), cancel: () => undefined };
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
  return (await startDumpHash(file).result()).sha256!;
}

// gzip / xz wrappers around dumps: detected by magic bytes, streamed to a temp file (never held in
// memory), written atomically (tmp name + rename) so an interrupted run leaves no half file behind.
// A decompression bomb is stopped by a budget (a maximum per dump and the free disk minus a margin);
// the partial file is removed on every exit path: error, budget, SIGINT/SIGTERM/SIGHUP, process exit,
// and — for SIGKILL — by the next writer or the parent of a killed worker (its name carries the pid).
// All-zero pages are left as holes, so a mostly-empty memory dump costs little disk.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MemqError } from '../util/errors';
import { removeOnExit } from '../util/cleanup';

export type WrapperKind = 'gzip' | 'xz';

export function wrapperKind(head: Buffer): WrapperKind | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return null;
}

/** How much one decompression may write. */
export interface DecompressBudget {
  /** most bytes one dump may decompress to (logical size) */
  maxBytes: number;
  /** free space to leave on the output's filesystem */
  marginBytes: number;
  /** free bytes on the filesystem holding `dir` (tests pass a small one) */
  freeBytes?: (dir: string) => number;
}

const GiB = 2 ** 30;

/** "512M", "64G", "1T" or plain bytes; null when unparsable. */
export function parseBytes(text: string | undefined): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text ?? '');
  if (!m) return null;
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: GiB, t: 2 ** 40 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}

/**
 * The budget from the environment: MEMQ_MAX_DECOMPRESSED (default 256G) per dump, and
 * MEMQ_DISK_MARGIN (default the larger of 1G and 5 % of the filesystem) left free.
 */
export function defaultBudget(env: NodeJS.ProcessEnv = process.env): DecompressBudget {
  const max = parseBytes(env.MEMQ_MAX_DECOMPRESSED);
  if (env.MEMQ_MAX_DECOMPRESSED !== undefined && max === null) throw new MemqError(`MEMQ_MAX_DECOMPRESSED="${env.MEMQ_MAX_DECOMPRESSED}" is not a size (e.g. 64G, 512M)`, 'E_USAGE');
  const margin = parseBytes(env.MEMQ_DISK_MARGIN);
  if (env.MEMQ_DISK_MARGIN !== undefined && margin === null) throw new MemqError(`MEMQ_DISK_MARGIN="${env.MEMQ_DISK_MARGIN}" is not a size (e.g. 1G)`, 'E_USAGE');
  return { maxBytes: max ?? 256 * GiB, marginBytes: margin ?? -1 };
}

function statfsFree(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

function fsSize(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.blocks * s.bsize;
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['TiB', 2 ** 40], ['GiB', GiB], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) if (n >= size) return `${+(n / size).toFixed(1)} ${unit}`;
  return `${n} B`;
}

/** Name of a partial output of `out` written by process `pid`. */
export function partialName(out: string, pid = process.pid): string {
  return `${out}.partial-${pid}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes partial outputs in `dir` left by processes that are gone (a writer killed with SIGKILL
 * cannot clean up after itself), or by `pid` when given (the parent of a worker that just ended).
 */
export function removeStalePartials(dir: string, pid?: number): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /\.partial-(\d+)$/.exec(n);
    if (!m) continue;
    const owner = Number(m[1]);
    if (pid !== undefined ? owner !== pid : owner === process.pid || pidAlive(owner)) continue;
    fs.rmSync(path.join(dir, n), { force: true });
    removed.push(n);
  }
  return removed;
}

const BLOCK = 4096; // a page: the unit a memory dump is zero in
const ZERO = Buffer.alloc(BLOCK);
/** free disk is checked again after each this many bytes written */
const FREE_CHECK = 64 << 20;

/**
 * The decompressed bytes go to `fd` at increasing offsets; all-zero 4 KiB blocks are left as holes
 * (mostly-empty memory dumps then take little disk). Stops with a MemqError past the budget.
 */
class BudgetedSink extends Writable {
  pos = 0;
  /** bytes really written (not holes) */
  stored = 0;
  private nextFreeCheck: number;
  constructor(
    private readonly fd: number,
    private readonly dir: string,
    private readonly limits: { logical: number; disk: number; margin: number; free: (dir: string) => number },
    private readonly overBudget: (why: string) => MemqError,
  ) {
    super({ highWaterMark: 1 << 20 });
    this.nextFreeCheck = FREE_CHECK;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      this.put(chunk);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private put(chunk: Buffer): void {
    if (this.pos + chunk.length > this.limits.logical) {
      throw this.overBudget(`decompresses to more than ${formatBytes(this.limits.logical)}`);
    }
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart < 0) return;
      const n = end - runStart;
      if (this.stored + n > this.limits.disk) throw this.overBudget(`needs more disk than the ${formatBytes(this.limits.disk)} free beyond the margin`);
      let off = 0;
      while (off < n) off += fs.writeSync(this.fd, chunk, runStart + off, n - off, this.pos + runStart + off);
      this.stored += n;
      runStart = -1;
    };
    // blocks aligned to the output offset, so holes fall on whole blocks of the file
    let i = 0;
    while (i < chunk.length) {
      const inBlock = BLOCK - ((this.pos + i) % BLOCK);
      const n = Math.min(inBlock, chunk.length - i);
      const zero = n === BLOCK && chunk.compare(ZERO, 0, n, i, i + n) === 0;
      if (zero) flush(i);
      else if (runStart < 0) runStart = i;
      i += n;
    }
    flush(chunk.length);
    this.pos += chunk.length;
    if (this.stored >= this.nextFreeCheck) {
      // other writers share the disk: keep the margin however the free space moves
      this.nextFreeCheck = this.stored + FREE_CHECK;
      if (this.limits.free(this.dir) < this.limits.margin) throw this.overBudget(`would leave less than ${formatBytes(this.limits.margin)} free on the disk`);
    }
  }
}

export async function decompressToFile(
  kind: WrapperKind,
  file: string,
  out: string,
  onProgress?: (done: number, total: number) => void,
  budget: DecompressBudget = defaultBudget(),
): Promise<void> {
  const total = fs.statSync(file).size;
  const dir = path.dirname(out);
  const free = budget.freeBytes ?? statfsFree;
  const margin = budget.marginBytes >= 0 ? budget.marginBytes : Math.max(GiB, Math.floor(fsSize(dir) * 0.05));
  const disk = Math.max(0, free(dir) - margin);
  const overBudget = (why: string) =>
    new MemqError(
      `${file}: ${kind} data ${why} (budget: MEMQ_MAX_DECOMPRESSED=${formatBytes(budget.maxBytes)} per dump, ` +
        `free disk in the cache minus MEMQ_DISK_MARGIN=${formatBytes(margin)}); stopped, partial output removed`,
      'E_BUDGET',
    );
  if (disk === 0) throw overBudget(`cannot be decompressed: ${formatBytes(free(dir))} free`);
  removeStalePartials(dir);
  const tmp = partialName(out);
  const release = removeOnExit(tmp);
  const fd = fs.openSync(tmp, 'w', 0o600);
  let open = true;
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
    const sink = new BudgetedSink(fd, dir, { logical: budget.maxBytes, disk, margin, free }, overBudget);
    if (kind === 'gzip') {
      await pipeline(Readable.from(counted()), zlib.createGunzip({ chunkSize: 1 << 20 }), sink);
    } else {
      await pipeline(await xzDecoded(Readable.from(counted())), sink);
    }
    fs.ftruncateSync(fd, sink.pos); // trailing holes
    open = false;
    fs.closeSync(fd);
    fs.renameSync(tmp, out);
  } catch (e) {
    if (open) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    if (e instanceof MemqError) throw e;
    throw new MemqError(`${file}: ${kind} decompression failed: ${(e as Error).message}`, 'E_DECOMPRESS');
  } finally {
    release();
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

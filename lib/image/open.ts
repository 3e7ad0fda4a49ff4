// Opens a dump path as physical memory: unwraps gzip/xz into a cached temp file (with progress),
// then wraps the file in a block cache and detects the format by content.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { BlockCache, FileSource, type ByteSource } from './byte-source';
import { openPhysical } from './detect';
import type { PhysicalMemory } from './physical';
import { decompressToFile, wrapperKind, type DecompressBudget } from './decompress';
import './formats'; // registers every format probe

export interface OpenOptions {
  /** where decompressed copies of .gz/.xz dumps are kept (default $MEMQ_CACHE or <tmp>/memq-cache) */
  cacheDir?: string;
  /** progress of decompression: bytes done / total compressed bytes */
  onProgress?: (done: number, total: number) => void;
  /** block cache capacity in bytes */
  cacheBytes?: number;
  /** limits of gzip/xz decompression (default: MEMQ_MAX_DECOMPRESSED / MEMQ_DISK_MARGIN, decompress.ts) */
  budget?: DecompressBudget;
}

export function cacheDir(opts: OpenOptions = {}): string {
  return opts.cacheDir ?? process.env.MEMQ_CACHE ?? path.join(os.tmpdir(), 'memq-cache');
}

/**
 * Returns a path to the uncompressed dump: the path itself, or a cached decompressed copy keyed by
 * the compressed file's identity (path, size, mtime) so repeated runs decompress once.
 */
export async function materialize(file: string, opts: OpenOptions = {}): Promise<string> {
  const src = new FileSource(file);
  const head = Buffer.alloc(Math.min(6, src.size));
  src.readInto(0, head, 0, head.length);
  src.close();
  const kind = wrapperKind(head);
  if (!kind) return file;
  const out = cachedCopyPath(file, opts);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (fs.existsSync(out)) return out;
  await decompressToFile(kind, file, out, opts.onProgress, opts.budget);
  return out;
}

/** Where materialize() keeps (or would keep) the decompressed copy of a wrapped dump. */
export function cachedCopyPath(file: string, opts: OpenOptions = {}): string {
  const st = fs.statSync(file);
  const key = crypto
    .createHash('sha256')
    .update(`${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  return path.join(cacheDir(opts), `${path.basename(file).replace(/\.(gz|xz)$/i, '')}.${key}`);
}

/** Opens a byte source (already uncompressed) with the block cache and format detection. */
export function openSource(src: ByteSource, opts: OpenOptions = {}): PhysicalMemory {
  return openPhysical(new BlockCache(src, 64 * 1024, opts.cacheBytes ?? 64 * 1024 * 1024));
}

export async function openDumpFile(file: string, opts: OpenOptions = {}): Promise<PhysicalMemory> {
  const real = await materialize(file, opts);
  return openSource(new FileSource(real), opts);
}

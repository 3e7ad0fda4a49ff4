// What `memq dump` exports from a Linux dump, as byte layouts over physical memory (no bytes copied
// here): a process's memory regions (present pages at their offset in the VMA), the executable and
// libraries it maps rebuilt in file layout (page-cache pages first, the process's mapped pages for
// offsets the cache lacks), and page-cache files by path. Anything memory does not hold is a hole.
import type { LinuxContext, Task } from './context';
import { vmaRows, vmasOf } from './vmas';
import { cachedFile, lookupPath } from './page-cache';
import { openFds } from './files';
import { hex } from '../../util/hex';

/** a region export larger than this is cut (and says so): memory regions can be sparse terabytes */
export const MAX_REGION_BYTES = 1 << 30;
/** rebuilt files and page-cache files larger than this are cut */
export const MAX_FILE_BYTES = 1 << 30;
const VM_WRITE = 0x2;

export interface Piece {
  /** offset in the exported file */
  offset: number;
  /** physical address of the bytes */
  pa: number;
  length: number;
  /** where the bytes come from: the page cache or the process's page tables */
  from: 'page_cache' | 'mapped';
}

export interface Layout {
  /** exported file size (holes included) */
  size: number;
  /** non-overlapping, in offset order */
  pieces: Piece[];
  notes: string[];
}

export interface RegionExport extends Layout {
  start: bigint;
  end: bigint;
  protection: string;
  fileName: string | null;
  kind: string;
  pageOffset: number;
  objectAddress: bigint;
}

export interface ImageExport extends Layout {
  path: string;
  inode: bigint;
  ino: number;
  fileSize: number;
  isMainExecutable: boolean;
}

/** Present pages of each VMA of `t`, at their offset from the VMA start. */
export function regionLayouts(ctx: LinuxContext, t: Task): RegionExport[] {
  const space = ctx.userSpace(t);
  if (!space) return [];
  return vmaRows(ctx, [t]).map((v) => {
    const size = Math.min(v.size, MAX_REGION_BYTES);
    const notes = v.size > size ? [`region larger than ${MAX_REGION_BYTES} bytes: first ${size} exported`] : [];
    const end = v.start + BigInt(size);
    const pieces: Piece[] = [];
    ctx.safe(`region ${hex(v.start)} of pid ${t.pid}`, () => {
      for (const m of space.mappings(v.start, end, Math.ceil(size / 4096) + 1)) {
        const from = m.va < v.start ? v.start : m.va;
        const to = m.va + BigInt(m.size) > end ? end : m.va + BigInt(m.size);
        if (to > from) pieces.push({ offset: Number(from - v.start), pa: m.pa + Number(from - m.va), length: Number(to - from), from: 'mapped' });
      }
    }, undefined);
    return { start: v.start, end: v.end, protection: v.protection, fileName: v.file_name, kind: v.kind, pageOffset: v.page_offset, objectAddress: v.object_address, size, pieces, notes };
  });
}

/**
 * The executable and every file mapped executable, in file layout: page-cache pages of the inode
 * (the file's own bytes), then for offsets the cache lacks the pages the process maps at that file
 * offset (a private writable mapping's page may hold relocations: noted).
 */
export function imageLayouts(ctx: LinuxContext, t: Task): ImageExport[] {
  const v = ctx.v;
  const space = ctx.userSpace(t);
  if (!space || t.mm === 0n) return [];
  const exeFile = ctx.safe('exe_file', () => v.p(t.mm, 'mm_struct', 'exe_file'), 0n);
  const exeInode = exeFile ? ctx.safe('exe inode', () => v.p(exeFile, 'file', 'f_inode'), 0n) : 0n;
  const vmas = vmasOf(ctx, t);
  const rows = vmaRows(ctx, [t]);
  const byInode = new Map<bigint, { path: string; vmas: typeof vmas; exec: boolean }>();
  for (const m of vmas) {
    if (!m.file) continue;
    const inode = ctx.safe('vma inode', () => v.p(m.file, 'file', 'f_inode'), 0n);
    if (!inode) continue;
    const g = byInode.get(inode) ?? byInode.set(inode, { path: rows.find((r) => r.object_address === m.addr)?.file_name ?? `inode-${hex(inode)}`, vmas: [], exec: false }).get(inode)!;
    g.vmas.push(m);
    g.exec ||= (m.flags & 0x4) !== 0;
  }
  const out: ImageExport[] = [];
  for (const [inode, g] of byInode) {
    if (!g.exec && inode !== exeInode) continue;
    const img = ctx.safe(`image ${g.path}`, () => {
      const cache = cachedFile(ctx, inode, MAX_FILE_BYTES);
      const size = Math.min(cache.size, MAX_FILE_BYTES);
      const notes: string[] = cache.size > size ? [`file larger than ${MAX_FILE_BYTES} bytes: first ${size} exported`] : [];
      const byOffset = new Map<number, Piece>();
      for (const [index, pa] of cache.pages) {
        const offset = index * 4096;
        if (offset < size) byOffset.set(offset, { offset, pa, length: Math.min(4096, size - offset), from: 'page_cache' });
      }
      let privateWritable = 0;
      for (const m of g.vmas) {
        const base = m.pgoff * 4096;
        for (const mp of space.mappings(m.start, m.end, Number((m.end - m.start) >> 12n) + 1)) {
          for (let o = 0; o < mp.size; o += 4096) {
            const offset = base + Number(mp.va - m.start) + o;
            if (offset >= size || byOffset.has(offset)) continue;
            byOffset.set(offset, { offset, pa: mp.pa + o, length: Math.min(4096, size - offset), from: 'mapped' });
            if (m.flags & VM_WRITE) privateWritable++;
          }
        }
      }
      if (privateWritable) notes.push(`${privateWritable} page(s) taken from a writable private mapping (not in the page cache): they may hold the loader's relocations, not the file's bytes`);
      const pieces = [...byOffset.values()].sort((a, b) => a.offset - b.offset);
      return { path: g.path, inode, ino: cache.ino, fileSize: cache.size, isMainExecutable: inode === exeInode, size, pieces, notes };
    }, null);
    if (img) out.push(img);
  }
  return out;
}

export interface CacheExport extends Layout {
  path: string;
  inode: bigint;
  ino: number;
  fileSize: number;
  nrpages: number;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** The regular files a process has open (fd table), from the page cache. */
export function openFileLayouts(ctx: LinuxContext, t: Task): (CacheExport & { fd: number })[] {
  const v = ctx.v;
  const out: (CacheExport & { fd: number })[] = [];
  for (const f of ctx.safe(`files of pid ${t.pid}`, () => openFds(ctx, t), [])) {
    const r = ctx.safe(`fd ${f.fd} of pid ${t.pid}`, () => {
      const inode = v.p(f.file, 'file', 'f_inode');
      if (!inode || (v.num(inode, 'inode', 'i_mode') & S_IFMT) !== S_IFREG) return null;
      return { ...inodeLayout(ctx, inode, f.path), fd: f.fd };
    }, null);
    if (r) out.push(r);
  }
  return out;
}

/** A file by path from the page cache (MemqError when its dentry is not cached). */
export function pageCacheLayout(ctx: LinuxContext, path: string): CacheExport {
  return inodeLayout(ctx, lookupPath(ctx, path), path);
}

function inodeLayout(ctx: LinuxContext, inode: bigint, path: string): CacheExport {
  const cache = cachedFile(ctx, inode, MAX_FILE_BYTES);
  const size = Math.min(cache.size, MAX_FILE_BYTES);
  const pieces: Piece[] = [...cache.pages]
    .map(([index, pa]) => ({ offset: index * 4096, pa, length: Math.min(4096, size - index * 4096), from: 'page_cache' as const }))
    .filter((p) => p.length > 0)
    .sort((a, b) => a.offset - b.offset);
  const notes = cache.size > size ? [`file larger than ${MAX_FILE_BYTES} bytes: first ${size} exported`] : [];
  return { path, inode, ino: cache.ino, fileSize: cache.size, nrpages: cache.nrpages, size, pieces, notes };
}

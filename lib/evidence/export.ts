// `memq dump`: writes evidence files out of a Linux dump and a manifest.json for chain of custody —
// per file its sha256 (of the bytes written, after any fix-up), size, what memory held and what is a
// zero-filled hole, the kernel object it came from, and the dump's identity (path, size, mtime,
// sha256) and snapshot facts. Process memory regions also get a map (map.json) like /proc/PID/maps.
// Bytes are copied physical page by page through positional reads; holes are never written (sparse).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OsEngine } from '../os/engine';
import type { LinuxContext, Task } from '../os/linux/context';
import { imageLayouts, openFileLayouts, pageCacheLayout, regionLayouts, type Layout } from '../os/linux/evidence';
import { MemqError } from '../util/errors';
import { hex } from '../util/hex';

export interface ExportRequest {
  out: string;
  pids: number[];
  files: string[];
  regions: boolean;
  images: boolean;
  /** also the regular files each process has open, from the page cache */
  openFiles?: boolean;
  /** snapshot id when the dump is one of a store's snapshots (provenance) */
  snapshot?: string;
}

export interface ManifestItem {
  kind: 'region' | 'region_map' | 'image' | 'page_cache_file';
  /** path relative to the output directory */
  path: string;
  sha256: string;
  size: number;
  process_id: number | null;
  process_name: string | null;
  /** what was exported: VA range, or the file path in the guest */
  source: string;
  /** kernel object it came from: vm_area_struct, inode (hex) */
  object_address: string | null;
  /** bytes memory held (the rest are zero-filled holes) */
  present_bytes: number;
  /** zero-filled ranges [offset, length] (not in memory) */
  holes: [number, number][];
  notes: string[];
}

export interface Manifest {
  tool: string;
  created: string;
  dump: { path: string; size: number; mtime: string; sha256: string | null; format: string };
  snapshot: Record<string, string | number | boolean | null>;
  items: ManifestItem[];
  warnings: string[];
}

/** dumps up to this size are hashed for the manifest (streamed); larger ones are identified by size and mtime */
const MAX_DUMP_HASH_BYTES = 64 * 1024 ** 3;
const COPY_CHUNK = 1 << 20;
/** logical bytes (holes included) one export writes at most: sparse regions of many processes add up */
export const MAX_EXPORT_BYTES = 16 * 1024 ** 3;

function sha256File(file: string, limit = Infinity): string | null {
  const st = fs.statSync(file);
  if (st.size > limit) return null;
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    for (let pos = 0; ; ) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** holes of a layout: [offset, length] ranges no piece covers */
export function holesOf(l: Layout): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  for (const p of l.pieces) {
    if (p.offset > at) out.push([at, p.offset - at]);
    at = Math.max(at, p.offset + p.length);
  }
  if (at < l.size) out.push([at, l.size - at]);
  return out;
}

/** Writes a layout's present bytes at their offsets (file truncated to size first: holes read as zeros). */
function writeLayout(ctx: LinuxContext, file: string, l: Layout, fixup?: (fd: number, l: Layout) => string[]): { present: number; notes: string[] } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'wx+');
  let present = 0;
  const notes: string[] = [];
  try {
    fs.ftruncateSync(fd, l.size);
    const buf = Buffer.allocUnsafe(COPY_CHUNK);
    for (const p of l.pieces) {
      for (let done = 0; done < p.length; ) {
        const n = Math.min(buf.length, p.length - done);
        if (ctx.k.mem.readPhys(p.pa + done, buf, 0, n)) {
          fs.writeSync(fd, buf, 0, n, p.offset + done);
          present += n;
        } else notes.push(`bytes at offset ${p.offset + done} (+${n}) absent from the dump: zero-filled`);
        done += n;
      }
    }
    if (fixup) notes.push(...fixup(fd, l));
  } finally {
    fs.closeSync(fd);
  }
  return { present, notes };
}

const covered = (l: Layout, from: number, to: number) => {
  for (let at = from; at < to; ) {
    const p = l.pieces.find((x) => x.offset <= at && at < x.offset + x.length);
    if (!p) return false;
    at = p.offset + p.length;
  }
  return true;
};

/**
 * ELF fix-up for a rebuilt image: a loader maps the program headers but rarely the section header table
 * (at the end of the file); when memory did not hold it, e_shoff/e_shnum/e_shstrndx are zeroed so tools
 * read the program headers instead of garbage sections.
 */
export function elfFixup(fd: number, l: Layout): string[] {
  if (!covered(l, 0, 64)) return ['ELF header page not in memory: no header to check'];
  const h = Buffer.alloc(64);
  fs.readSync(fd, h, 0, 64, 0);
  if (h.readUInt32BE(0) !== 0x7f454c46) return ['first page is not an ELF header'];
  if (h[4] !== 2 || h[5] !== 1) return ['not a little-endian ELF64: header left as is'];
  const shoff = Number(h.readBigUInt64LE(0x28));
  const shentsize = h.readUInt16LE(0x3a);
  const shnum = h.readUInt16LE(0x3c);
  const notes: string[] = [];
  if (shnum > 0 && (shoff + shentsize * shnum > l.size || !covered(l, shoff, shoff + shentsize * shnum))) {
    h.writeBigUInt64LE(0n, 0x28);
    h.writeUInt16LE(0, 0x3c);
    h.writeUInt16LE(0, 0x3e);
    fs.writeSync(fd, h, 0x28, 8, 0x28);
    fs.writeSync(fd, h, 0x3c, 4, 0x3c);
    notes.push(`ELF fix-up: section header table (offset ${shoff}, ${shnum} entries) not in memory: e_shoff, e_shnum, e_shstrndx set to 0`);
  }
  const phoff = Number(h.readBigUInt64LE(0x20));
  const phnum = h.readUInt16LE(0x38);
  if (phnum > 0 && !covered(l, phoff, phoff + h.readUInt16LE(0x36) * phnum)) notes.push('program header table not fully in memory');
  return notes;
}

/** a guest path as a relative path under the output directory (no .., no absolute parts) */
function safeRel(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .map((s) => s.replace(/[\x00-\x1f]/g, '_'))
    .join('/')
    .replace(/ \(deleted\)$/, '.deleted');
}

export function exportEvidence(eng: OsEngine, dumpPath: string, req: ExportRequest): Manifest {
  if (eng.os !== 'linux' || !('ctx' in eng)) throw new MemqError('memq dump: Linux dumps only for now', 'E_UNSUPPORTED');
  const ctx = (eng as unknown as { ctx: LinuxContext }).ctx;
  if (req.pids.length === 0 && req.files.length === 0) throw new MemqError('memq dump: name a process (--pid) or a file (--file) to export', 'E_USAGE');
  if (fs.existsSync(req.out) && fs.readdirSync(req.out).length > 0) throw new MemqError(`memq dump: ${req.out} is not empty (exports never overwrite evidence)`, 'E_USAGE');
  fs.mkdirSync(req.out, { recursive: true });
  const st = fs.statSync(dumpPath);
  const info = eng.info();
  const manifest: Manifest = {
    tool: `memq ${(require('../../package.json') as { version: string }).version}`,
    created: new Date().toISOString(),
    dump: { path: path.resolve(dumpPath), size: st.size, mtime: st.mtime.toISOString(), sha256: sha256File(dumpPath, MAX_DUMP_HASH_BYTES), format: eng.mem.format },
    snapshot: {
      snapshot: req.snapshot ?? null,
      os: 'linux',
      kernel_version: String(info.kernel_version ?? ''),
      banner: String(info.banner ?? ''),
      dtb: String(info.dtb ?? ''),
      kaslr_shift: String(info.kaslr_shift ?? ''),
    },
    items: [],
    warnings: [],
  };
  if (manifest.dump.sha256 === null) manifest.warnings.push(`dump larger than ${MAX_DUMP_HASH_BYTES} bytes: identified by path, size and mtime (not hashed)`);
  let budget = MAX_EXPORT_BYTES;
  const add = (rel: string, l: Layout, base: Omit<ManifestItem, 'path' | 'sha256' | 'size' | 'present_bytes' | 'holes' | 'notes'>, fixup?: (fd: number, l: Layout) => string[]) => {
    if (l.size > budget) {
      manifest.warnings.push(`${rel}: not exported — the export would pass ${MAX_EXPORT_BYTES} bytes (export fewer processes or files at a time)`);
      return null;
    }
    budget -= l.size;
    const file = path.join(req.out, rel);
    const w = writeLayout(ctx, file, l, fixup);
    const item: ManifestItem = { ...base, path: rel, sha256: sha256File(file)!, size: l.size, present_bytes: w.present, holes: holesOf(l), notes: [...l.notes, ...w.notes] };
    manifest.items.push(item);
    return item;
  };
  for (const pid of req.pids) {
    const t: Task | undefined = ctx.tasks().find((x) => x.pid === pid);
    if (!t) throw new MemqError(`memq dump: no process ${pid} in this dump`, 'E_NOT_FOUND');
    if (ctx.isKernelThread(t)) throw new MemqError(`memq dump: pid ${pid} is a kernel thread (no user memory)`, 'E_USAGE');
    const dir = `pid-${pid}`;
    const who = { process_id: t.tgid, process_name: t.comm };
    if (req.regions) {
      const map: Record<string, unknown>[] = [];
      for (const r of regionLayouts(ctx, t)) {
        const rel = `${dir}/regions/${r.start.toString(16)}-${r.end.toString(16)}.bin`;
        const item = add(rel, r, { kind: 'region', ...who, source: `${hex(r.start)}-${hex(r.end)} ${r.protection} ${r.fileName ?? ''}`.trim(), object_address: hex(r.objectAddress) });
        map.push({ start: hex(r.start), end: hex(r.end), protection: r.protection, page_offset: r.pageOffset, kind: r.kind, file_name: r.fileName, export: item ? rel : null, sha256: item?.sha256 ?? null, present_bytes: item?.present_bytes ?? null, holes: item?.holes ?? null, vm_area_struct: hex(r.objectAddress) });
      }
      const rel = `${dir}/map.json`;
      fs.writeFileSync(path.join(req.out, rel), JSON.stringify(map, null, 1) + '\n', { flag: 'wx' });
      const size = fs.statSync(path.join(req.out, rel)).size;
      manifest.items.push({ kind: 'region_map', path: rel, sha256: sha256File(path.join(req.out, rel))!, size, ...who, source: `memory map of pid ${pid}`, object_address: hex(t.mm), present_bytes: size, holes: [], notes: [] });
    }
    if (req.images) {
      for (const img of imageLayouts(ctx, t)) {
        const rel = `${dir}/images/${img.isMainExecutable ? 'exe/' : 'lib/'}${safeRel(img.path)}`;
        const fromCache = img.pieces.filter((p) => p.from === 'page_cache').reduce((n, p) => n + p.length, 0);
        add(rel, { ...img, notes: [...img.notes, `${fromCache} bytes from the page cache, the rest of what is present from the process's mapped pages; file size ${img.fileSize} (inode ${img.ino})`] }, { kind: 'image', ...who, source: img.path, object_address: hex(img.inode) }, elfFixup);
      }
    }
    if (req.openFiles) {
      for (const f of openFileLayouts(ctx, t)) {
        add(`${dir}/open-files/${f.fd}/${safeRel(f.path)}`, { ...f, notes: [...f.notes, `fd ${f.fd}, inode ${f.ino}: ${f.pieces.length} of ${Math.ceil(f.size / 4096)} pages cached (nrpages ${f.nrpages})`] }, { kind: 'page_cache_file', ...who, source: f.path, object_address: hex(f.inode) });
      }
    }
  }
  for (const f of req.files) {
    const l = pageCacheLayout(ctx, f);
    add(`page-cache/${safeRel(f)}`, { ...l, notes: [...l.notes, `inode ${l.ino}: ${l.pieces.length} of ${Math.ceil(l.size / 4096)} pages cached (nrpages ${l.nrpages})`] }, { kind: 'page_cache_file', process_id: null, process_name: null, source: f, object_address: hex(l.inode) });
  }
  manifest.warnings.push(...eng.warnings);
  fs.writeFileSync(path.join(req.out, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n', { flag: 'wx' });
  return manifest;
}

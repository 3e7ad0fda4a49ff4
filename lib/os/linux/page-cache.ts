// Files in the page cache: a path is looked up through the dentry cache (from init's root, child by
// child, across mounts), its inode's address_space (i_mapping) gives the cached pages through the
// i_pages xarray (index → struct page / folio → physical frame via vmemmap; large folios as
// multi-index entries: head slot + sibling slots). Pages the cache does not hold are holes. Everything is bounded: path depth, children per directory, xarray nodes and file size.
import type { LinuxContext } from './context';
import { MemqError } from '../../util/errors';
import { hex } from '../../util/hex';

const XA_CHUNK_SHIFT = 6n;
const XA_CHUNK = 64;
const MAX_XA_NODES = 1 << 16;
const MAX_CHILDREN = 1 << 16;
const MAX_DEPTH = 64;
/** the x86-64 vmemmap base without CONFIG_RANDOMIZE_MEMORY (arch/x86/include/asm/pgtable_64_types.h) */
const DEFAULT_VMEMMAP = 0xffffea0000000000n;

export interface CachedFile {
  inode: bigint;
  ino: number;
  size: number;
  /** page index → physical address of the cached page */
  pages: Map<number, number>;
  /** i_mapping->nrpages as the kernel counted them (for the manifest: how complete the cache was) */
  nrpages: number;
}

function vmemmapBase(ctx: LinuxContext): bigint {
  return ctx.memoKernel('vmemmap_base', () => {
    if (ctx.k.arch !== 'x86_64') throw new MemqError('page-cache export: x86-64 dumps only for now (vmemmap layout)', 'E_UNSUPPORTED_ARCH');
    const sym = ctx.k.syms.get('vmemmap_base');
    return sym === undefined ? DEFAULT_VMEMMAP : ctx.v.u64(sym);
  });
}

/** struct page / folio address → physical address of its frame (null if not a plausible vmemmap entry) */
export function pagePhys(ctx: LinuxContext, page: bigint): number | null {
  const base = vmemmapBase(ctx);
  const size = BigInt(ctx.v.size('page'));
  if (page < base || (page - base) % size !== 0n) return null;
  const pfn = (page - base) / size;
  if (pfn > 1n << 40n) return null;
  return Number(pfn) * 4096;
}

function dentryChildren(ctx: LinuxContext, d: bigint): bigint[] {
  const v = ctx.v;
  const out: bigint[] = [];
  if (v.has('dentry', 'd_subdirs')) {
    // ≤ 6.7: list_head d_subdirs, children linked through d_child
    const childOff = v.off('dentry', 'd_child');
    for (const c of v.list(d + BigInt(v.off('dentry', 'd_subdirs')), childOff, MAX_CHILDREN, (m) => ctx.warn(`dentry children: ${m}`))) out.push(c);
  } else if (v.has('dentry', 'd_children')) {
    // ≥ 6.8: hlist_head d_children, children linked through hlist_node d_sib
    const sibOff = BigInt(v.off('dentry', 'd_sib'));
    let n = v.ptr(d + BigInt(v.off('dentry', 'd_children')));
    const seen = new Set<bigint>();
    while (n !== 0n && !seen.has(n) && out.length < MAX_CHILDREN) {
      seen.add(n);
      out.push(n - sibOff);
      n = v.ptr(n);
    }
  }
  return out;
}

/** the mount whose mountpoint is `dentry` under `parentMount` (struct mount), from the mount hash-free child list */
function mountedOn(ctx: LinuxContext, parentMount: bigint, dentry: bigint): bigint | null {
  const v = ctx.v;
  const childOff = v.off('mount', 'mnt_child');
  for (const m of v.list(parentMount + BigInt(v.off('mount', 'mnt_mounts')), childOff, 4096, (msg) => ctx.warn(`mounts: ${msg}`))) {
    if (v.p(m, 'mount', 'mnt_mountpoint') === dentry) return m;
  }
  return null;
}

/** Looks an absolute path up in the dentry cache from pid 1's root; returns the inode address. */
export function lookupPath(ctx: LinuxContext, path: string): bigint {
  const v = ctx.v;
  if (!path.startsWith('/')) throw new MemqError(`page-cache export: "${path}" is not an absolute path`, 'E_USAGE');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length > MAX_DEPTH || parts.includes('..')) throw new MemqError(`page-cache export: "${path}": too deep or has ".."`, 'E_USAGE');
  const init = ctx.tasks().find((t) => t.pid === 1) ?? ctx.tasks()[0];
  if (!init) throw new MemqError('page-cache export: no task to take the root directory from', 'E_NOT_FOUND');
  const fs = v.p(init.addr, 'task_struct', 'fs');
  const rootPath = fs + BigInt(v.off('fs_struct', 'root'));
  const mountOff = BigInt(v.off('mount', 'mnt'));
  let mount = v.p(rootPath, 'path', 'mnt') - mountOff;
  let d = v.p(rootPath, 'path', 'dentry');
  for (const name of parts) {
    let next: bigint | null = null;
    for (const c of dentryChildren(ctx, d)) {
      if (ctx.paths.dentryName(c) === name && v.p(c, 'dentry', 'd_inode') !== 0n) {
        next = c;
        break;
      }
    }
    if (next === null) throw new MemqError(`page-cache export: "${path}": "${name}" is not in the dentry cache (never looked up, or evicted)`, 'E_NOT_FOUND');
    d = next;
    // a mount point: continue in the mounted filesystem's root (stacked mounts: the last one wins)
    for (let i = 0; i < 16; i++) {
      const m = mountedOn(ctx, mount, d);
      if (!m) break;
      mount = m;
      d = v.p(m + mountOff, 'vfsmount', 'mnt_root');
    }
  }
  const inode = v.p(d, 'dentry', 'd_inode');
  if (inode === 0n) throw new MemqError(`page-cache export: "${path}" has no inode (negative dentry)`, 'E_NOT_FOUND');
  return inode;
}

/** The pages of an inode's page cache (i_mapping->i_pages), bounded by `maxBytes` of file size. */
export function cachedFile(ctx: LinuxContext, inode: bigint, maxBytes: number): CachedFile {
  const v = ctx.v;
  const size = v.num(inode, 'inode', 'i_size');
  const mapping = v.p(inode, 'inode', 'i_mapping');
  const pages = new Map<number, number>();
  const file: CachedFile = { inode, ino: v.num(inode, 'inode', 'i_ino'), size, pages, nrpages: 0 };
  if (mapping === 0n) return file;
  file.nrpages = v.num(mapping, 'address_space', 'nrpages');
  const maxIndex = Math.ceil(Math.min(size, maxBytes) / 4096);
  const head = v.ptr(mapping + BigInt(v.off('address_space', 'i_pages') + v.off('xarray', 'xa_head')));
  const slotsOff = BigInt(v.off('xa_node', 'slots'));
  const shiftOff = BigInt(v.off('xa_node', 'shift'));
  let nodes = 0;
  const isNode = (e: bigint) => (e & 3n) === 2n && e > 4096n;
  // multi-index entries (large folios, CONFIG_XARRAY_MULTI): the folio in its first slot, sibling
  // entries xa_mk_sibling(first slot) = (slot << 2) | 2 in the others; a slot of a node with shift s
  // covers 1 << s indices. A folio's frames are physically contiguous (one struct page run).
  const isSibling = (e: bigint) => (e & 3n) === 2n && e < (BigInt(XA_CHUNK) << 2n);
  const limit = BigInt(maxIndex);
  /** the folio's pages for indices [index, index + count): frame = head frame + (index - headIndex) */
  // a hostile xarray (a node linked many times) cannot make this loop more than a few times the file
  let budget = maxIndex * 4 + 4096;
  const pagesOf = (headPa: number, headIndex: bigint, index: bigint, count: bigint) => {
    for (let i = index; i < index + count && i < limit && budget-- > 0; i++) pages.set(Number(i), headPa + Number(i - headIndex) * 4096);
  };
  /** a leaf entry's head frame, or null for holes: value entries (bit 0: shadow / swap), internal entries (retry, zero) */
  const folioPhys = (e: bigint): number | null => (e === 0n || (e & 3n) !== 0n || e < ctx.kernelFloor ? null : pagePhys(ctx, e));
  const visit = (entry: bigint, base: bigint, depth: number): void => {
    if (!isNode(entry)) {
      if (base >= limit) return;
      const pa = folioPhys(entry);
      if (pa !== null) pages.set(Number(base), pa);
      return;
    }
    if (depth > 12 || ++nodes > MAX_XA_NODES) {
      ctx.warn(`page cache of inode ${hex(inode)}: xarray too deep/large — cut`);
      return;
    }
    const node = entry - 2n;
    const shift = BigInt(v.u8(node + shiftOff));
    if (shift > 60n || shift % XA_CHUNK_SHIFT !== 0n) return;
    const slots = v.bytes(node + slotsOff, XA_CHUNK * 8);
    const span = 1n << shift;
    let head: { slot: number; pa: number; index: bigint } | null = null;
    for (let i = 0; i < XA_CHUNK; i++) {
      const s = slots.readBigUInt64LE(i * 8);
      const idx = base + (BigInt(i) << shift);
      if (idx >= limit) break;
      if (s === 0n) {
        head = null;
        continue;
      }
      if (isSibling(s)) {
        // continues the folio of an earlier slot of this node (only the one just before: a folio's slots are adjacent)
        if (head && Number(s >> 2n) === head.slot) pagesOf(head.pa, head.index, idx, span);
        continue;
      }
      if (isNode(s)) {
        head = null;
        if (shift > 0n) visit(s, idx, depth + 1);
        continue;
      }
      const pa = folioPhys(s);
      head = pa === null ? null : { slot: i, pa, index: idx };
      if (pa !== null) pagesOf(pa, idx, idx, span);
    }
  };
  ctx.safe(`page cache of inode ${hex(inode)}`, () => visit(head, 0n, 0), undefined);
  return file;
}

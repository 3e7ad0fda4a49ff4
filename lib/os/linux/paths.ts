// Path names from dentries and mounts, as the kernel's d_path() builds them: walk d_parent up to the
// mount root, hop to the parent mount's mountpoint, stop at the root mount. Special filesystems
// (sockets, pipes, anonymous inodes) get the names /proc/PID/fd shows. Depth-bounded.
import type { KView } from './view';

const SOCKFS_MAGIC = 0x534f434b;
const PIPEFS_MAGIC = 0x50495045;
const ANON_INODE_FS_MAGIC = 0x09041934;
const MAX_DEPTH = 256;
// FMODE_BACKING ("file is embedded in a struct backing_file", 6.6+) moved from bit 25 to bit 24 in
// 6.12, and BTF carries no macros: both bits are accepted, and backing_file.user_path is used only
// when the real path also looks like a backing file's (see fromFile) — so a kernel where bit 24 or 25
// means something else never gets a neighbouring object's path.
const FMODE_BACKING_BITS = (1 << 24) | (1 << 25);
const ERR_PTR_MIN = 0xfffffffffffff001n; // -MAX_ERRNO

export interface ResolvedPath {
  path: string;
  deleted: boolean;
  inode: number | null;
  mode: number | null;
}

export class PathResolver {
  private cache = new Map<string, ResolvedPath>();
  constructor(private readonly v: KView) {}

  dentryName(dentry: bigint): string {
    const v = this.v;
    const qstr = dentry + BigInt(v.off('dentry', 'd_name'));
    const len = v.u32(qstr + BigInt(v.off('qstr', 'len')));
    const namePtr = v.ptr(qstr + BigInt(v.off('qstr', 'name')));
    if (len === 0 || len > 255) return '';
    return v.bytes(namePtr, len).toString('utf8');
  }

  private isRoot(dentry: bigint): boolean {
    return this.v.p(dentry, 'dentry', 'd_parent') === dentry;
  }

  private unhashed(dentry: bigint): boolean {
    // d_hash is an hlist_bl_node {next, pprev}: unhashed when pprev == NULL
    const pprev = this.v.ptr(dentry + BigInt(this.v.off('dentry', 'd_hash')) + 8n);
    return pprev === 0n;
  }

  /** Resolves a struct path { vfsmount *mnt; dentry *dentry } located at `pathVa`. */
  fromPathStruct(pathVa: bigint): ResolvedPath {
    const v = this.v;
    const mnt = v.p(pathVa, 'path', 'mnt');
    const dentry = v.p(pathVa, 'path', 'dentry');
    return this.resolve(mnt, dentry);
  }

  /**
   * The path /proc/PID/maps shows for a struct file (the kernel's file_user_path()). An overlayfs
   * file mmap()ed on 6.6+ leaves the *real* (lower/upper layer) file in vma->vm_file, a backing_file
   * whose f_path is on the layer's private clone mount; the overlay path is backing_file.user_path.
   */
  fromFile(file: bigint): ResolvedPath {
    const v = this.v;
    const real = this.fromPathStruct(file + BigInt(v.off('file', 'f_path')));
    if (!v.has('backing_file', 'user_path') || !v.has('mount', 'mnt_ns')) return real;
    if ((v.u32(file + BigInt(v.off('file', 'f_mode'))) & FMODE_BACKING_BITS) === 0) return real;
    // the layer's clone mount (clone_private_mount()) is in no mount namespace: its mnt_ns is
    // MNT_NS_INTERNAL, an ERR_PTR; a file opened through a mount tree has a real namespace pointer
    const mnt = v.p(file + BigInt(v.off('file', 'f_path')), 'path', 'mnt');
    const ns = v.p(mnt - BigInt(v.off('mount', 'mnt')), 'mount', 'mnt_ns');
    if (ns !== 0n && ns < ERR_PTR_MIN) return real;
    const user = this.fromPathStruct(file + BigInt(v.off('backing_file', 'user_path')));
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    // the overlay dentry carries the real dentry's name
    return base(user.path) === base(real.path) ? user : real;
  }

  resolve(vfsmnt: bigint, dentry: bigint): ResolvedPath {
    const key = `${vfsmnt}:${dentry}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const v = this.v;
    let inode: number | null = null;
    let mode: number | null = null;
    let magic = 0;
    const inodePtr = v.p(dentry, 'dentry', 'd_inode');
    if (inodePtr) {
      inode = v.num(inodePtr, 'inode', 'i_ino');
      mode = v.num(inodePtr, 'inode', 'i_mode');
      const sb = v.p(inodePtr, 'inode', 'i_sb');
      if (sb) magic = v.num(sb, 'super_block', 's_magic');
    }
    let path: string;
    let deleted = false;
    if (magic === SOCKFS_MAGIC) path = `socket:[${inode}]`;
    else if (magic === PIPEFS_MAGIC) path = `pipe:[${inode}]`;
    else if (magic === ANON_INODE_FS_MAGIC) path = `anon_inode:${this.dentryName(dentry)}`;
    else {
      deleted = !this.isRoot(dentry) && this.unhashed(dentry);
      path = this.walk(vfsmnt, dentry);
    }
    const r = { path, deleted, inode, mode };
    this.cache.set(key, r);
    return r;
  }

  private walk(vfsmnt: bigint, dentry: bigint): string {
    const v = this.v;
    const mountOff = BigInt(v.off('mount', 'mnt'));
    const parts: string[] = [];
    let mnt = vfsmnt;
    let d = dentry;
    for (let i = 0; i < MAX_DEPTH; i++) {
      const mount = mnt - mountOff;
      const mntRoot = v.p(mnt, 'vfsmount', 'mnt_root');
      if (d === mntRoot || this.isRoot(d)) {
        const parent = v.p(mount, 'mount', 'mnt_parent');
        if (parent === mount || parent === 0n) break;
        d = v.p(mount, 'mount', 'mnt_mountpoint');
        mnt = parent + mountOff;
        continue;
      }
      parts.push(this.dentryName(d));
      d = v.p(d, 'dentry', 'd_parent');
    }
    return '/' + parts.reverse().join('/');
  }
}

/** File type letter from i_mode (S_IFMT). */
export function fileKind(mode: number | null, path: string): string {
  if (path.startsWith('socket:')) return 'socket';
  if (path.startsWith('pipe:')) return 'pipe';
  if (path.startsWith('anon_inode:')) return 'anon';
  if (mode === null) return 'file';
  switch (mode & 0o170000) {
    case 0o140000: return 'socket';
    case 0o120000: return 'link';
    case 0o100000: return 'file';
    case 0o060000: return 'block';
    case 0o040000: return 'dir';
    case 0o020000: return 'char';
    case 0o010000: return 'fifo';
    default: return 'file';
  }
}

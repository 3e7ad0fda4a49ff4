// Mounts of every mount namespace some task uses, as /proc/PID/mountinfo lists them: mount id, parent
// id, device (s_dev major:minor), root within the filesystem, mount point (from the namespace root),
// per-mount options, filesystem type and source. The namespace's mounts are a list (mnt_namespace.list
// of mount.mnt_list) up to 6.7 and an rb-tree (mnt_namespace.mounts of mount.mnt_node) since 6.8;
// both walks are bounded.
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { namespacesOf } from './namespaces';
import { hex } from '../../util/hex';

const MAX_MOUNTS = 100_000;
const MAX_TREE_DEPTH = 128;
const MAX_DENTRY_DEPTH = 256;

// fs/proc_namespace.c show_mnt_opts: MNT_* bits of vfsmount.mnt_flags and their mountinfo names
const MNT_READONLY = 0x40;
const MNT_OPTS: [number, string][] = [
  [0x01, 'nosuid'],
  [0x02, 'nodev'],
  [0x04, 'noexec'],
  [0x08, 'noatime'],
  [0x10, 'nodiratime'],
  [0x20, 'relatime'],
  [0x80, 'nosymfollow'],
];

export function mountOptions(flags: number): string {
  return [flags & MNT_READONLY ? 'ro' : 'rw', ...MNT_OPTS.filter(([bit]) => flags & bit).map(([, n]) => n)].join(',');
}

/** struct mount addresses of a namespace, in /proc mount order */
function mountsOf(ctx: LinuxContext, ns: bigint): bigint[] {
  const v = ctx.v;
  const warn = (m: string) => ctx.warn(`mounts of namespace ${hex(ns)}: ${m}`);
  if (v.has('mnt_namespace', 'list') && v.has('mount', 'mnt_list')) {
    return [...v.list(ns + BigInt(v.off('mnt_namespace', 'list')), v.off('mount', 'mnt_list'), MAX_MOUNTS, warn)];
  }
  if (!v.has('mnt_namespace', 'mounts') || !v.has('mount', 'mnt_node')) {
    warn('this kernel has neither mnt_namespace.list nor mnt_namespace.mounts');
    return [];
  }
  // rb-tree keyed by mount id: in-order walk = creation order, as /proc lists it
  const nodeOff = BigInt(v.off('mount', 'mnt_node'));
  const left = BigInt(v.off('rb_node', 'rb_left'));
  const right = BigInt(v.off('rb_node', 'rb_right'));
  const out: bigint[] = [];
  const seen = new Set<bigint>();
  const visit = (node: bigint, depth: number): void => {
    if (!node) return;
    if (depth > MAX_TREE_DEPTH || seen.has(node) || out.length >= MAX_MOUNTS) {
      warn(seen.has(node) ? 'tree has a cycle — cut' : 'tree too deep or large — cut');
      return;
    }
    seen.add(node);
    visit(v.ptr(node + left), depth + 1);
    out.push(node - nodeOff);
    visit(v.ptr(node + right), depth + 1);
  };
  visit(v.ptr(ns + BigInt(v.off('mnt_namespace', 'mounts'))), 0);
  return out;
}

/** path of a dentry inside its filesystem (mountinfo's "root" field) */
function dentryPath(ctx: LinuxContext, dentry: bigint): string {
  const v = ctx.v;
  const parts: string[] = [];
  let d = dentry;
  for (let i = 0; i < MAX_DENTRY_DEPTH; i++) {
    const parent = v.p(d, 'dentry', 'd_parent');
    if (!parent || parent === d) break;
    parts.push(ctx.paths.dentryName(d));
    d = parent;
  }
  return '/' + parts.reverse().join('/');
}

function mountRow(ctx: LinuxContext, nsInum: number, m: bigint): Row<'mount'> {
  const v = ctx.v;
  const vfs = m + BigInt(v.off('mount', 'mnt'));
  const sb = v.p(vfs, 'vfsmount', 'mnt_sb');
  const root = v.p(vfs, 'vfsmount', 'mnt_root');
  const sdev = v.u32(sb + BigInt(v.off('super_block', 's_dev')));
  const type = v.p(sb, 'super_block', 's_type');
  const parent = v.p(m, 'mount', 'mnt_parent');
  const devname = v.p(m, 'mount', 'mnt_devname');
  const id = v.num(m, 'mount', 'mnt_id');
  return {
    mnt_ns: nsInum,
    mount_id: id,
    parent_mount_id: parent && parent !== m ? v.num(parent, 'mount', 'mnt_id') : id,
    // dev_t inside the kernel: major in the top 12 bits, minor in the low 20 (MINORBITS)
    device: `${sdev >>> 20}:${sdev & 0xfffff}`,
    root: dentryPath(ctx, root),
    mount_point: ctx.paths.resolve(vfs, root).path,
    options: mountOptions(v.num(vfs, 'vfsmount', 'mnt_flags')),
    fs_type: type ? v.cstr(v.p(type, 'file_system_type', 'name'), 64) : '',
    source: devname ? v.cstr(devname, 4096) : null,
    object_address: m,
  };
}

/** Mount rows of every distinct mount namespace the tasks use (first-seen order), read once per analysis. */
export function mountRows(ctx: LinuxContext): Row<'mount'>[] {
  return ctx.memoKernel('mounts', () => readMountRows(ctx));
}

function readMountRows(ctx: LinuxContext): Row<'mount'>[] {
  const spaces = new Map<bigint, number>();
  for (const t of ctx.tasks()) {
    const ns = namespacesOf(ctx, t);
    if (ns && ns.mnt_ns_addr && ns.mnt_ns !== null && !spaces.has(ns.mnt_ns_addr)) spaces.set(ns.mnt_ns_addr, ns.mnt_ns);
  }
  const out: Row<'mount'>[] = [];
  for (const [addr, inum] of spaces) {
    const mounts = ctx.safe(`mounts of namespace ${inum}`, () => mountsOf(ctx, addr), []);
    for (const m of mounts) {
      const row = ctx.safe(`mount ${hex(m)}`, () => mountRow(ctx, inum, m), null);
      if (row) out.push(row);
    }
  }
  return out;
}

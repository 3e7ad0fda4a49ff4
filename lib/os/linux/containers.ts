// Containers from cgroup v2 paths: container runtimes put each container in a cgroup whose name
// carries the runtime and the container id (systemd driver: docker-<id>.scope, cri-containerd-<id>.scope,
// crio-<id>.scope, libpod-<id>.scope; cgroupfs driver: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>),
// and Kubernetes puts pods in kubepods[-<qos>]-pod<uid>.slice. One row per container, with the
// namespaces and hostname of its init process and whether any of its processes is in a host namespace.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { hostNamespaces, inodeColumns, namespacesOf, type TaskNamespaces } from './namespaces';
import { mountRows } from './mounts';

export interface CgroupContainer {
  runtime: string;
  id: string;
  pod_uid: string | null;
  qos_class: string | null;
}

const HEX64 = '[0-9a-f]{64}';
/** leaf cgroup name → runtime (systemd cgroup driver scopes; conmon/shim scopes are not containers) */
const SCOPES: [RegExp, string][] = [
  [new RegExp(`^docker-(${HEX64})\\.scope$`), 'docker'],
  [new RegExp(`^cri-containerd-(${HEX64})\\.scope$`), 'containerd'],
  [new RegExp(`^crio-(${HEX64})\\.scope$`), 'cri-o'],
  [new RegExp(`^libpod-(${HEX64})\\.scope$`), 'podman'],
  [/^machine-(.+)\.scope$/, 'systemd-nspawn'],
];
const POD_SLICE = /^kubepods(?:-(besteffort|burstable))?-pod([0-9a-f_]{36})\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{36})$/;

/** Runtime, container id and pod of a cgroup v2 path; null when the path is not a container's. */
export function parseContainerCgroup(path: string): CgroupContainer | null {
  const parts = path.split('/').filter((p) => p.length > 0);
  if (!parts.length) return null;
  const leaf = parts[parts.length - 1];
  let pod_uid: string | null = null;
  let qos_class: string | null = null;
  const kube = parts[0] === 'kubepods.slice' || parts[0] === 'kubepods';
  if (kube) {
    qos_class = 'guaranteed'; // pods of the guaranteed class sit directly under kubepods
    for (const p of parts) {
      const slice = POD_SLICE.exec(p);
      if (slice) {
        pod_uid = slice[2].replace(/_/g, '-');
        if (slice[1]) qos_class = slice[1];
      }
      const dir = POD_DIR.exec(p);
      if (dir) pod_uid = dir[1];
      if (p === 'besteffort' || p === 'burstable') qos_class = p;
    }
  }
  for (const [re, runtime] of SCOPES) {
    const m = re.exec(leaf);
    if (m) return { runtime, id: m[1], pod_uid, qos_class };
  }
  const bare = new RegExp(`^${HEX64}$`).test(leaf);
  // cgroupfs driver: /docker/<id>; under a kubepods pod directory the runtime is not in the path
  if (bare && parts.length >= 2 && parts[parts.length - 2] === 'docker') return { runtime: 'docker', id: leaf, pod_uid, qos_class };
  if (bare && pod_uid) return { runtime: 'cri', id: leaf, pod_uid, qos_class };
  const lxc = /^lxc\.payload\.(.+)$/.exec(parts[0]);
  if (lxc) return { runtime: 'lxc', id: lxc[1], pod_uid: null, qos_class: null };
  return null;
}

/** The container a task runs in (null on the host), memoized per task. */
export function containerOf(ctx: LinuxContext, t: Task): CgroupContainer | null {
  return ctx.memo('container', t, () => {
    const path = namespacesOf(ctx, t)?.cgroup_path;
    return path ? parseContainerCgroup(path) : null;
  });
}

const SHARED: [keyof Row<'container'>, keyof TaskNamespaces][] = [
  ['shares_host_pid', 'pid_ns'],
  ['shares_host_net', 'net_ns'],
  ['shares_host_mnt', 'mnt_ns'],
  ['shares_host_uts', 'uts_ns'],
  ['shares_host_ipc', 'ipc_ns'],
  ['shares_host_user', 'user_ns'],
];

/** One row per container found among all tasks. */
export function containerRows(ctx: LinuxContext): Row<'container'>[] {
  const groups = new Map<string, { c: CgroupContainer; path: string; tasks: Task[] }>();
  for (const t of ctx.tasks()) {
    const c = containerOf(ctx, t);
    if (!c) continue;
    const key = `${c.runtime}:${c.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { c, path: namespacesOf(ctx, t)!.cgroup_path!, tasks: [] }));
    g.tasks.push(t);
  }
  const host = hostNamespaces(ctx);
  const parentOf = (t: Task) => ctx.safe(`parent of ${t.pid}`, () => {
    const p = ctx.v.p(t.addr, 'task_struct', 'real_parent');
    return p ? ctx.v.i32(p + BigInt(ctx.v.off('task_struct', 'tgid'))) : 0;
  }, 0);
  const out: Row<'container'>[] = [];
  for (const { c, path, tasks } of groups.values()) {
    const pids = new Set(tasks.map((t) => t.tgid));
    // the container's init: pid 1 of its pid namespace, else the lowest pid whose parent is outside
    const sorted = [...tasks].sort((a, b) => a.tgid - b.tgid);
    const init =
      sorted.find((t) => namespacesOf(ctx, t)?.ns_pid === 1) ?? sorted.find((t) => !pids.has(parentOf(t))) ?? sorted[0];
    const ns = namespacesOf(ctx, init);
    const rootfs = ctx.safe(`root of pid ${init.pid}`, () => rootOf(ctx, init), null);
    const row: Row<'container'> = {
      container_id: c.id,
      runtime: c.runtime,
      cgroup_path: path,
      pod_uid: c.pod_uid,
      // the kubelet gives a pod's UTS namespace the pod name as hostname (unless the pod spec sets one)
      pod_name: c.pod_uid ? ns?.hostname ?? null : null,
      qos_class: c.qos_class,
      hostname: ns?.hostname ?? null,
      init_process_id: init.tgid,
      process_count: tasks.length,
      rootfs,
      mounts_outside_rootfs: rootfs === null || ns?.mnt_ns == null ? null : outsideRoot(ctx, ns.mnt_ns, rootfs),
      ...inodeColumns(ns ?? null),
      shares_host_pid: null,
      shares_host_net: null,
      shares_host_mnt: null,
      shares_host_uts: null,
      shares_host_ipc: null,
      shares_host_user: null,
    };
    // any process, not only init: a process that joined a host namespace (nsenter/setns) from inside
    // the container's cgroup is the escape signal
    for (const [col, key] of SHARED) {
      const theirs = host?.[key];
      if (typeof theirs !== 'number') continue;
      const mine = tasks.map((t) => namespacesOf(ctx, t)?.[key]).filter((x): x is number => typeof x === 'number');
      if (mine.length) (row[col] as boolean | null) = mine.some((x) => x === theirs);
    }
    out.push(row);
  }
  return out.sort((a, b) => a.init_process_id - b.init_process_id);
}

/**
 * Mounts of a mount namespace outside `root`: none once a runtime has pivot_root'ed into the container
 * root and detached the old one; the host's mounts (its root filesystem included) when it only chroot'ed.
 */
function outsideRoot(ctx: LinuxContext, mntNs: number, root: string): number {
  const under = (mp: string) => root === '/' || mp === root || mp.startsWith(`${root}/`);
  return mountRows(ctx).filter((m) => m.mnt_ns === mntNs && !under(m.mount_point)).length;
}

/** The process's root directory (fs->root) as a path in its mount namespace: a container's rootfs. */
function rootOf(ctx: LinuxContext, t: Task): string | null {
  const v = ctx.v;
  const fs = v.p(t.addr, 'task_struct', 'fs');
  if (!fs) return null;
  return ctx.paths.fromPathStruct(fs + BigInt(v.off('fs_struct', 'root'))).path;
}

// Namespaces and cgroup of a task, as /proc/PID/ns/*, NSpid and /proc/PID/cgroup show them: the
// inode number of each namespace (task->nsproxy->X_ns->ns.inum; the user namespace through the
// task's credentials; the pid namespace through the task's struct pid, not pid_ns_for_children),
// the pid inside the task's own pid namespace (pid->numbers[pid->level].nr), the cgroup v2 path
// (task->cgroups->dfl_cgrp->kn, kernfs names up to the hierarchy root) and the UTS hostname.
// Layouts come from BTF; a member a kernel lacks yields null, never a guessed offset. Older spellings
// (proc_inum before 3.19, pids[].pid before 4.19) are asked for by name but no dump here has them.
import type { LinuxContext, Task } from './context';
import type { KView } from './view';

/** kernfs nesting (and so cgroup depth) we follow before calling the chain corrupt */
const MAX_CGROUP_DEPTH = 128;
const MAX_NAME = 256;

export interface TaskNamespaces {
  pid_ns: number | null;
  net_ns: number | null;
  mnt_ns: number | null;
  uts_ns: number | null;
  ipc_ns: number | null;
  user_ns: number | null;
  cgroup_ns: number | null;
  time_ns: number | null;
  /** pid in the task's own (innermost) pid namespace */
  ns_pid: number | null;
  /** pids from the outermost namespace to the innermost (NSpid) */
  ns_pids: number[];
  cgroup_path: string | null;
  hostname: string | null;
  /** struct mnt_namespace address (0n when the task has no nsproxy: exiting) */
  mnt_ns_addr: bigint;
}

/** The seven namespace inode columns the process and container rows share (null when unreadable). */
export function inodeColumns(ns: TaskNamespaces | null) {
  return {
    pid_ns: ns?.pid_ns ?? null,
    net_ns: ns?.net_ns ?? null,
    mnt_ns: ns?.mnt_ns ?? null,
    uts_ns: ns?.uts_ns ?? null,
    ipc_ns: ns?.ipc_ns ?? null,
    user_ns: ns?.user_ns ?? null,
    cgroup_ns: ns?.cgroup_ns ?? null,
  };
}

/** nsproxy member → the struct it points to */
const NSPROXY: [keyof TaskNamespaces, string, string][] = [
  ['net_ns', 'net_ns', 'net'],
  ['mnt_ns', 'mnt_ns', 'mnt_namespace'],
  ['uts_ns', 'uts_ns', 'uts_namespace'],
  ['ipc_ns', 'ipc_ns', 'ipc_namespace'],
  ['cgroup_ns', 'cgroup_ns', 'cgroup_namespace'],
  ['time_ns', 'time_ns', 'time_namespace'],
];

/** inode number of a namespace struct: ns_common.inum (3.19+), proc_inum before (null when neither or NULL) */
function inum(v: KView, ns: bigint, struct: string): number | null {
  if (!ns) return null;
  for (const f of ['ns.inum', 'proc_inum']) if (v.has(struct, f)) return v.u32(ns + BigInt(v.off(struct, f)));
  return null;
}

/** the task's struct pid: task->thread_pid (4.19+), task->pids[PIDTYPE_PID].pid before */
function taskPid(v: KView, task: bigint): bigint {
  if (v.has('task_struct', 'thread_pid')) return v.p(task, 'task_struct', 'thread_pid');
  if (v.has('task_struct', 'pids') && v.has('pid_link', 'pid')) return v.ptr(task + BigInt(v.off('task_struct', 'pids') + v.off('pid_link', 'pid')));
  return 0n;
}

/** (level, numbers[]) of a struct pid: numbers[0] is the initial namespace, numbers[level] the task's own */
function pidNumbers(v: KView, pid: bigint): { nrs: number[]; ns: bigint } | null {
  if (!pid || !v.has('pid', 'numbers')) return null;
  const level = v.u32(pid + BigInt(v.off('pid', 'level')));
  if (level > 32) return null; // MAX_PID_NS_LEVEL is 32: anything larger is not a struct pid
  const upid = v.size('upid');
  const base = pid + BigInt(v.off('pid', 'numbers'));
  const nrs: number[] = [];
  for (let i = 0; i <= level; i++) nrs.push(v.i32(base + BigInt(i * upid + v.off('upid', 'nr'))));
  const ns = v.ptr(base + BigInt(level * upid + v.off('upid', 'ns')));
  return { nrs, ns };
}

/** cgroup v2 path of a struct cgroup: kernfs node names from the hierarchy root down ("/" for the root) */
export function cgroupPath(ctx: LinuxContext, cgrp: bigint): string | null {
  const v = ctx.v;
  if (!cgrp || !v.has('cgroup', 'kn')) return null;
  return ctx.memoKernel(`cgroup-path:${cgrp}`, () => {
    const parentField = v.has('kernfs_node', 'parent') ? 'parent' : '__parent';
    const parts: string[] = [];
    let kn = v.p(cgrp, 'cgroup', 'kn');
    for (let depth = 0; kn; depth++) {
      if (depth > MAX_CGROUP_DEPTH) {
        ctx.warn(`cgroup at ${cgrp.toString(16)}: kernfs parent chain deeper than ${MAX_CGROUP_DEPTH} — cut`);
        return null;
      }
      const parent = v.p(kn, 'kernfs_node', parentField);
      if (!parent) break; // the hierarchy root: its name is not part of the path
      parts.push(v.cstr(v.p(kn, 'kernfs_node', 'name'), MAX_NAME));
      kn = parent;
    }
    return '/' + parts.reverse().join('/');
  });
}

function readNamespaces(ctx: LinuxContext, taskAddr: bigint): TaskNamespaces {
  const v = ctx.v;
  const out: TaskNamespaces = {
    pid_ns: null, net_ns: null, mnt_ns: null, uts_ns: null, ipc_ns: null, user_ns: null, cgroup_ns: null, time_ns: null,
    ns_pid: null, ns_pids: [], cgroup_path: null, hostname: null, mnt_ns_addr: 0n,
  };
  const nsproxy = v.has('task_struct', 'nsproxy') ? v.p(taskAddr, 'task_struct', 'nsproxy') : 0n;
  // a layout source without these structs (a partial ISF) leaves the columns null: say so once
  if (!v.types.hasStruct('nsproxy') || !v.types.hasStruct('pid')) ctx.warn(`namespaces: ${v.types.description} has no struct nsproxy/pid layout — namespace columns left null`);
  if (nsproxy) {
    for (const [key, member, struct] of NSPROXY) {
      if (!v.has('nsproxy', member)) continue;
      const ns = v.p(nsproxy, 'nsproxy', member);
      (out[key] as number | null) = inum(v, ns, struct);
      if (key === 'mnt_ns') out.mnt_ns_addr = ns;
      if (key === 'uts_ns' && ns && v.has('uts_namespace', 'name.nodename')) {
        out.hostname = v.cstr(ns + BigInt(v.off('uts_namespace', 'name.nodename')), 65);
      }
    }
  }
  // /proc/PID/ns/user is the user namespace of the task's credentials
  const cred = v.p(taskAddr, 'task_struct', 'real_cred');
  if (cred && v.has('cred', 'user_ns')) out.user_ns = inum(v, v.p(cred, 'cred', 'user_ns'), 'user_namespace');
  // /proc/PID/ns/pid is the namespace the task's own pid lives in (task_active_pid_ns)
  const nums = pidNumbers(v, taskPid(v, taskAddr));
  if (nums) {
    out.ns_pids = nums.nrs;
    out.ns_pid = nums.nrs[nums.nrs.length - 1];
    out.pid_ns = inum(v, nums.ns, 'pid_namespace');
  }
  if (v.has('task_struct', 'cgroups') && v.has('css_set', 'dfl_cgrp')) {
    const cset = v.p(taskAddr, 'task_struct', 'cgroups');
    if (cset) out.cgroup_path = cgroupPath(ctx, v.p(cset, 'css_set', 'dfl_cgrp'));
  }
  return out;
}

/** Namespaces of a task, read once per analysis and shared by the process, container and mount tables. */
export function namespacesOf(ctx: LinuxContext, t: Task): TaskNamespaces | null {
  return ctx.memo('ns', t, () => ctx.safe(`namespaces of pid ${t.pid}`, () => readNamespaces(ctx, t.addr), null));
}

/** The host's namespaces: those of init_task (the idle task, which every namespace tree starts from). */
export function hostNamespaces(ctx: LinuxContext): TaskNamespaces | null {
  return ctx.memoKernel('host-ns', () => {
    const init = ctx.k.syms.get('init_task');
    return init === undefined ? null : ctx.safe('namespaces of init_task', () => readNamespaces(ctx, init), null);
  });
}

// Second view of the process set: every task reachable from the PID namespace's IDR (init_pid_ns.idr,
// an xarray of struct pid → pid->tasks[PIDTYPE_PID] → task_struct.pid_links[0]). A task that has a
// PID but is missing from the init_task.tasks list was unlinked from it — the classic way to hide a
// process (DKOM). The xarray walk (lib/os/linux/xarray.ts) is bounded in depth and node count.
import type { LinuxContext } from './context';
import { xarrayEntries } from './xarray';

const MAX_PIDS = 1 << 20;

/** task_struct addresses of every task with a PID in the initial namespace. */
export function tasksFromPidIdr(ctx: LinuxContext): bigint[] {
  const v = ctx.v;
  const KERNEL = ctx.kernelFloor;
  const ns = ctx.k.syms.get('init_pid_ns');
  if (ns === undefined && ctx.k.arch === 'arm64') ctx.warn('hidden-process check (pid IDR) off: init_pid_ns is not in text-only kallsyms; pass --system-map');
  if (ns === undefined || !v.has('pid_namespace', 'idr') || !v.has('xa_node', 'slots') || !v.has('task_struct', 'pid_links')) return [];
  const head = ns + BigInt(v.off('pid_namespace', 'idr') + v.off('idr', 'idr_rt') + v.off('xarray', 'xa_head'));
  const pids = xarrayEntries(ctx, head, 'pid IDR', MAX_PIDS).map((e) => e.entry);
  const tasksOff = BigInt(v.off('pid', 'tasks'));
  const linkOff = BigInt(v.off('task_struct', 'pid_links'));
  const out: bigint[] = [];
  for (const pid of pids) {
    const first = ctx.safe('struct pid', () => v.ptr(pid + tasksOff), 0n); // tasks[PIDTYPE_PID].first
    if (first > KERNEL) out.push(first - linkOff);
  }
  return out;
}

// Second view of the process set: every task reachable from the PID namespace's IDR (init_pid_ns.idr,
// an xarray of struct pid → pid->tasks[PIDTYPE_PID] → task_struct.pid_links[0]). A task that has a
// PID but is missing from the init_task.tasks list was unlinked from it — the classic way to hide a
// process (DKOM). Walk is bounded in depth and node count.
import type { LinuxContext } from './context';

const XA_CHUNK = 64;
const MAX_NODES = 20_000;
const MAX_PIDS = 1 << 20;

/** task_struct addresses of every task with a PID in the initial namespace. */
export function tasksFromPidIdr(ctx: LinuxContext): bigint[] {
  const v = ctx.v;
  const KERNEL = ctx.kernelFloor;
  const ns = ctx.k.syms.get('init_pid_ns');
  if (ns === undefined && ctx.k.arch === 'arm64') ctx.warn('hidden-process check (pid IDR) off: init_pid_ns is not in text-only kallsyms; pass --system-map');
  if (ns === undefined || !v.has('pid_namespace', 'idr') || !v.has('xa_node', 'slots') || !v.has('task_struct', 'pid_links')) return [];
  const head = v.ptr(ns + BigInt(v.off('pid_namespace', 'idr') + v.off('idr', 'idr_rt') + v.off('xarray', 'xa_head')));
  const slotsOff = BigInt(v.off('xa_node', 'slots'));
  const pids: bigint[] = [];
  let nodes = 0;
  const isNode = (e: bigint) => (e & 3n) === 2n && e > 4096n;
  const visit = (entry: bigint, depth: number): void => {
    if (entry === 0n || pids.length >= MAX_PIDS) return;
    if (!isNode(entry)) {
      if ((entry & 3n) === 0n && entry > KERNEL) pids.push(entry);
      return;
    }
    if (depth > 12 || ++nodes > MAX_NODES) {
      ctx.warn('pid IDR too deep/large — cut');
      return;
    }
    const node = entry - 2n;
    const slots = v.bytes(node + slotsOff, XA_CHUNK * 8);
    for (let i = 0; i < XA_CHUNK; i++) visit(slots.readBigUInt64LE(i * 8), depth + 1);
  };
  ctx.safe('pid IDR', () => visit(head, 0), undefined);
  const tasksOff = BigInt(v.off('pid', 'tasks'));
  const linkOff = BigInt(v.off('task_struct', 'pid_links'));
  const out: bigint[] = [];
  for (const pid of pids) {
    const first = ctx.safe('struct pid', () => v.ptr(pid + tasksOff), 0n); // tasks[PIDTYPE_PID].first
    if (first > KERNEL) out.push(first - linkOff);
  }
  return out;
}

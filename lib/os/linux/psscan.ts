// psscan for Linux: finds struct task_structs by scanning physical memory, independent of every kernel
// list, so a process unlinked from both the task list and the PID IDR is still found. Anchor: each task
// holds task->sched_class, a pointer to one of a handful of scheduler-class objects in the kernel image
// (fair/rt/dl/idle/stop). Those 8-byte values are searched with Buffer.indexOf (native memmem, no JS
// loop over bytes); each hit is then checked as a task_struct: a thread-group leader (group_leader
// leads back to itself), sane pid/tgid, printable comm, kernel pointers where the kernel keeps them,
// and alive (no exit_state, not TASK_DEAD) — freed task_structs left in slab pages keep their bytes, but
// a reaped task is EXIT_DEAD/TASK_DEAD first. Identity is the physical address: the scan sees the
// direct-map alias of tasks the list knows by their kernel-image address (init_task).
import { scanRam } from '../../image/physical';
import type { LinuxContext } from './context';

const MASK64 = (1n << 64n) - 1n;
const PID_MAX_LIMIT = 4 * 1024 * 1024;
const TASK_DEAD = 0x80;
const MAX_HITS = 1 << 20;
const MAX_TASKS = 1 << 17;
const SCHED_CLASSES = ['fair_sched_class', 'rt_sched_class', 'dl_sched_class', 'ext_sched_class'];

export interface ScanStats {
  bytes: number;
  hits: number;
  ms: number;
}

export interface ScanResult {
  /** physical address → task_struct direct-map VA, for each live thread-group leader found */
  leaders: Map<number, bigint>;
  stats: ScanStats;
}

/** 8-byte little-endian needles of the sched_class pointers tasks may hold. */
function needles(ctx: LinuxContext, known: bigint[]): Buffer[] {
  const v = ctx.v;
  const values = new Set<bigint>();
  for (const name of SCHED_CLASSES) {
    const a = ctx.k.syms.get(name);
    if (a !== undefined) values.add(a);
  }
  // profile-free without data symbols: the classes the listed tasks use (a hidden user task runs in fair)
  for (const t of known.slice(0, 4096)) {
    const c = ctx.safe('sched_class', () => v.p(t, 'task_struct', 'sched_class'), 0n);
    if (c > ctx.kernelFloor) values.add(c);
  }
  return [...values].map((x) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(x);
    return b;
  });
}

/** Scans all RAM for live thread-group leaders; `known` = task addresses from the lists (for needles). */
export function scanTasks(ctx: LinuxContext, known: bigint[]): ScanResult {
  const v = ctx.v;
  const t0 = performance.now();
  const schedOff = v.off('task_struct', 'sched_class');
  const ndl = needles(ctx, known);
  const hits: number[] = [];
  let bytes = 0;
  for (const [at, chunk] of scanRam(ctx.k.mem)) {
    bytes += chunk.length;
    for (const n of ndl) {
      for (let i = chunk.indexOf(n); i >= 0 && hits.length < MAX_HITS; i = chunk.indexOf(n, i + 8)) {
        if (((at + i) & 7) !== 0) {
          i -= 7; // unaligned match: resume one byte later (i + 8 - 7)
          continue;
        }
        if (at + i >= schedOff) hits.push(at + i - schedOff);
      }
    }
  }
  if (hits.length >= MAX_HITS) ctx.warn(`task scan: more than ${MAX_HITS} candidates — cut`);
  const leaders = new Map<number, bigint>();
  for (const pa of hits) {
    if (leaders.size >= MAX_TASKS) break;
    const va = (BigInt(pa) + ctx.k.pageOffsetBase) & MASK64;
    if (ctx.safe('task scan candidate', () => isLiveLeader(ctx, va, pa), false)) leaders.set(pa, va);
  }
  return { leaders, stats: { bytes, hits: hits.length, ms: performance.now() - t0 } };
}

const COMM_OK = /^[\x20-\x7e]{1,15}$/;

function isLiveLeader(ctx: LinuxContext, va: bigint, pa: number): boolean {
  const v = ctx.v;
  const space = ctx.k.space;
  if (space.translate(va) !== pa) return false; // not in the direct map (or another alias)
  const pid = v.i32(va + BigInt(v.off('task_struct', 'pid')));
  const tgid = v.i32(va + BigInt(v.off('task_struct', 'tgid')));
  if (pid <= 0 || pid >= PID_MAX_LIMIT || pid !== tgid) return false;
  const leader = v.p(va, 'task_struct', 'group_leader');
  if (leader < ctx.kernelFloor || space.translate(leader) !== pa) return false;
  const comm = v.bytes(va + BigInt(v.off('task_struct', 'comm')), 16);
  const z = comm.indexOf(0);
  if (z <= 0 || !COMM_OK.test(comm.toString('latin1', 0, z))) return false;
  if (v.num(va, 'task_struct', 'exit_state') !== 0) return false;
  const stateField = v.has('task_struct', '__state') ? '__state' : 'state';
  if (v.u32(va + BigInt(v.off('task_struct', stateField))) & TASK_DEAD) return false;
  // (tasks.next/prev are not checked: an unlinked task holds LIST_POISON or stale pointers there)
  for (const f of ['real_parent', 'cred', 'real_cred', 'stack', 'signal']) {
    if (v.p(va, 'task_struct', f) < ctx.kernelFloor) return false;
  }
  return true;
}

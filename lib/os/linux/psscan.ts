// psscan for Linux: finds struct task_structs by scanning physical memory, independent of every kernel
// list, so a process unlinked from both the task list and the PID IDR is still found. Where the struct
// page array and task_struct_cachep are known (x86-64 with data symbols) only the task_struct cache's
// slab pages are read (≈ 0.5 MiB instead of all RAM: what matters on zlib kdumps); otherwise all RAM,
// which the tests check finds the same tasks. Anchor: each task
// holds task->sched_class, a pointer to one of a handful of scheduler-class objects in the kernel image
// (fair/rt/dl/idle/stop). Those values are searched with Buffer.indexOf (native search, no JS loop
// over bytes; one pass for the high bytes the classes share); each hit is then checked as a task_struct: a thread-group leader (group_leader
// leads back to itself), sane pid/tgid, printable comm, kernel pointers where the kernel keeps them,
// and alive or a zombie not yet reaped — freed task_structs left in slab pages keep their bytes, but a
// reaped task is EXIT_DEAD first. Identity is the physical address: the scan sees the
// direct-map alias of tasks the list knows by their kernel-image address (init_task).
import { scanRam } from '../../image/physical';
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { exeOf, taskStateLetter } from './processes';
import { hex } from '../../util/hex';

const MASK64 = (1n << 64n) - 1n;
const PID_MAX_LIMIT = 4 * 1024 * 1024;
const TASK_DEAD = 0x80;
const EXIT_ZOMBIE = 0x20;
const MAX_HITS = 1 << 20;
const MAX_TASKS = 1 << 17;
const SCHED_CLASSES = ['fair_sched_class', 'rt_sched_class', 'dl_sched_class', 'ext_sched_class'];

export interface ScanStats {
  /** what was scanned: the task_struct cache's slabs, or all RAM */
  mode: 'slab' | 'ram';
  bytes: number;
  hits: number;
  ms: number;
}

export interface ScanResult {
  /** physical address → task_struct direct-map VA, for each live thread-group leader found */
  leaders: Map<number, bigint>;
  stats: ScanStats;
}

/** The sched_class pointer values tasks may hold. */
function classValues(ctx: LinuxContext, known: bigint[]): bigint[] {
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
  return [...values];
}

/**
 * Search plan: the scheduler classes sit next to each other in the kernel image (the __sched_class
 * section), so their pointers share their high bytes. One indexOf pass for that shared high part
 * (the last `k` bytes of the little-endian value) finds every class at once; each hit is then checked
 * as an aligned full 8-byte value. Without ≥ 4 shared bytes: one pass per value.
 */
function plan(values: bigint[]): { needles: Buffer[]; skip: number } {
  const bufs = values.map((x) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(x);
    return b;
  });
  let k = 8;
  while (k > 0 && !bufs.every((b) => b.subarray(8 - k).equals(bufs[0].subarray(8 - k)))) k--;
  if (bufs.length > 1 && k >= 4) return { needles: [bufs[0].subarray(8 - k)], skip: 8 - k };
  return { needles: bufs, skip: 0 };
}

export type ScanMode = 'slab' | 'ram';

const PAGE = 4096;
const PAGE_BATCH = 1024; // struct pages read per vmemmap read (64 KiB with 64-byte struct page)
const MAX_SLAB_PAGES = 1024; // a slab is at most an order-10 compound page

/**
 * Physical ranges holding the task_struct kmem_cache's slabs, found through the struct page array
 * (vmemmap): a slab's head page has slab.slab_cache == task_struct_cachep (an indexOf over the
 * struct pages), its tail pages compound_head == head | 1. Null when vmemmap_base or
 * task_struct_cachep are unknown (arm64, kallsyms without data symbols, no RANDOMIZE_MEMORY): the
 * caller then scans all RAM.
 */
function taskSlabRanges(ctx: LinuxContext): [number, number][] | null {
  const v = ctx.v;
  const vmemmapVar = ctx.k.syms.get('vmemmap_base');
  const cacheVar = ctx.k.syms.get('task_struct_cachep');
  if (ctx.k.arm64 || vmemmapVar === undefined || cacheVar === undefined || !v.has('slab', 'slab_cache') || !v.has('page', 'compound_head')) return null;
  const vmemmap = v.ptr(vmemmapVar);
  const cachep = v.ptr(cacheVar);
  const psize = v.size('page');
  if (cachep < ctx.kernelFloor || vmemmap < ctx.kernelFloor || psize < 32 || psize > 256) return null;
  const cacheOff = v.off('slab', 'slab_cache');
  const headOff = v.off('page', 'compound_head');
  const needle = Buffer.alloc(8);
  needle.writeBigUInt64LE(cachep);
  const out: [number, number][] = [];
  for (const r of ctx.k.mem.ranges) {
    if (!r.ram) continue;
    for (let pfn = Math.floor(r.start / PAGE); pfn < Math.ceil(r.end / PAGE); pfn += PAGE_BATCH) {
      const n = Math.min(PAGE_BATCH, Math.ceil(r.end / PAGE) - pfn);
      const pages = ctx.k.space.read(vmemmap + BigInt(pfn) * BigInt(psize), n * psize);
      if (!pages) continue; // struct pages of this stretch not in the dump: nothing to say about it
      for (let i = pages.indexOf(needle); i >= 0; i = pages.indexOf(needle, i + 1)) {
        if (i % psize !== cacheOff) continue;
        const head = pfn + (i - cacheOff) / psize;
        // the tail pages link back to the head page (compound_head = head's struct page | 1)
        const tailMark = (vmemmap + BigInt(head) * BigInt(psize)) | 1n;
        let len = 1;
        while (len < MAX_SLAB_PAGES && ctx.safe('slab tail page', () => v.ptr(vmemmap + BigInt(head + len) * BigInt(psize) + BigInt(headOff)), 0n) === tailMark) len++;
        out.push([head * PAGE, (head + len) * PAGE]);
      }
    }
  }
  return out;
}

/** [physical address, bytes] chunks of the ranges (read whole; a slab is ≤ 4 MiB). */
function* readRanges(ctx: LinuxContext, ranges: [number, number][]): Generator<[number, Buffer]> {
  for (const [start, end] of ranges) {
    const buf = Buffer.alloc(end - start);
    if (ctx.k.mem.readPhys(start, buf, 0, buf.length)) yield [start, buf];
  }
}

/**
 * Scans for live thread-group leaders; `known` = task addresses from the lists (for the classes).
 * `slab` (default where the struct page array and task_struct_cachep are known): only the
 * task_struct cache's slabs; `ram`: every RAM page (also what `slab` falls back to).
 */
export function scanTasks(ctx: LinuxContext, known: bigint[], mode: ScanMode = 'slab'): ScanResult {
  const v = ctx.v;
  const t0 = performance.now();
  const schedOff = v.off('task_struct', 'sched_class');
  const values = classValues(ctx, known);
  const wanted = new Set(values);
  const { needles, skip } = plan(values);
  const slabs = mode === 'slab' ? ctx.safe('task_struct slabs', () => taskSlabRanges(ctx), null) : null;
  const used: ScanMode = slabs ? 'slab' : 'ram';
  const hits: number[] = [];
  let bytes = 0;
  for (const [at, chunk] of slabs ? readRanges(ctx, slabs) : scanRam(ctx.k.mem)) {
    bytes += chunk.length;
    for (const n of needles) {
      for (let i = chunk.indexOf(n, skip); i >= 0 && hits.length < MAX_HITS; i = chunk.indexOf(n, i + 1)) {
        const slot = i - skip;
        // aligned, and (for the shared-suffix needle) the whole value one of the classes
        if (((at + slot) & 7) !== 0 || (skip && !wanted.has(chunk.readBigUInt64LE(slot)))) continue;
        if (at + slot >= schedOff) hits.push(at + slot - schedOff);
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
  return { leaders, stats: { mode: used, bytes, hits: hits.length, ms: performance.now() - t0 } };
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
  // a zombie (EXIT_ZOMBIE) is still a process until reaped (its state is TASK_DEAD and its stack is
  // gone); a reaped task is EXIT_DEAD first, and a running one has no exit_state and is not TASK_DEAD
  const exit = v.num(va, 'task_struct', 'exit_state');
  const stateField = v.has('task_struct', '__state') ? '__state' : 'state';
  if (exit !== 0 && exit !== EXIT_ZOMBIE) return false;
  if (exit === 0 && v.u32(va + BigInt(v.off('task_struct', stateField))) & TASK_DEAD) return false;
  // (tasks.next/prev are not checked: an unlinked task holds LIST_POISON or stale pointers there)
  for (const f of exit === 0 ? ['real_parent', 'cred', 'real_cred', 'stack', 'signal'] : ['real_parent', 'cred', 'real_cred', 'signal']) {
    if (v.p(va, 'task_struct', f) < ctx.kernelFloor) return false;
  }
  return true;
}

function startNs(ctx: LinuxContext, t: bigint): number | null {
  for (const f of ['start_boottime', 'real_start_time']) if (ctx.v.has('task_struct', f)) return ctx.v.n64(t + BigInt(ctx.v.off('task_struct', f)));
  return null;
}

/**
 * The task_scan table: one row per live thread-group leader in RAM, marked with whether the task list
 * and the PID IDR see it. Kernel-wide and run once per analysis (not part of `ps`: it reads all RAM).
 */
export function taskScanRows(ctx: LinuxContext): Row<'task_scan'>[] {
  const v = ctx.v;
  const tasks = ctx.tasks();
  const phys = (a: bigint) => ctx.k.space.translate(a);
  const onList = new Set(tasks.filter((t) => !t.hidden).map((t) => phys(t.addr)));
  const idr = ctx.pidIdrTasks.length ? new Set(ctx.pidIdrTasks.map(phys)) : null;
  const scan = scanTasks(ctx, tasks.map((t) => t.addr));
  ctx.k.sources.task_scan = `${scan.stats.mode === 'slab' ? 'task_struct cache slabs (struct page → slab_cache)' : 'all RAM'}: ${(scan.stats.bytes / 1024).toFixed(0)} KiB, ${scan.stats.hits} candidates, ${scan.leaders.size} live leaders`;
  const out: Row<'task_scan'>[] = [];
  for (const [pa, va] of scan.leaders) {
    const row = ctx.safe(`scanned task ${hex(va)}`, () => {
      const t = ctx.readTask(va, 0);
      const parent = v.p(va, 'task_struct', 'real_parent');
      const realCred = v.p(va, 'task_struct', 'real_cred');
      const cred = v.p(va, 'task_struct', 'cred');
      const kthread = ctx.isKernelThread(t);
      const exe = kthread ? null : ctx.safe(`exe of scanned pid ${t.pid}`, () => exeOf(ctx, t), null);
      return {
        process_id: t.tgid,
        parent_process_id: parent ? ctx.safe('parent', () => v.i32(parent + BigInt(v.off('task_struct', 'tgid'))), 0) : 0,
        name: t.comm,
        uid: ctx.safe('uid', () => v.u32(realCred + BigInt(v.off('cred', 'uid'))), null),
        euid: ctx.safe('euid', () => v.u32(cred + BigInt(v.off('cred', 'euid'))), null),
        state: taskStateLetter(v, va),
        start_time_ns: startNs(ctx, va),
        is_kernel_thread: kthread,
        exe_path: exe ? (exe.deleted ? `${exe.path} (deleted)` : exe.path) : null,
        object_address: va,
        in_task_list: onList.has(pa),
        in_pid_hash: idr ? idr.has(pa) : null,
      };
    }, null);
    if (row) out.push(row);
  }
  for (const r of out) {
    if (!r.in_task_list) ctx.warn(`pid ${r.process_id} (${r.name}) found by the task_struct scan but not on the task list${r.in_pid_hash === false ? ' nor in the PID IDR' : ''}: hidden`);
  }
  return out.sort((a, b) => (a.process_id ?? 0) - (b.process_id ?? 0));
}

// Shared state of one Linux analysis: the kernel profile, typed views, the task list and per-process
// address spaces, computed once and reused by every table extractor.
import { X86_64Space } from '../../arch/x86_64';
import { Aarch64Space } from '../../arch/aarch64';
import type { VirtualSpace } from '../../arch/space';
import type { LinuxKernel } from './kernel';
import { KView, ReadFault } from './view';
import { PathResolver } from './paths';
import { hex } from '../../util/hex';
import { tasksFromPidIdr } from './pid-idr';

const PF_KTHREAD = 0x00200000;

export interface Task {
  /** task_struct address */
  addr: bigint;
  pid: number;
  tgid: number;
  comm: string;
  flags: number;
  mm: bigint;
  /** index in the kernel process list (for process-range shards) */
  index: number;
  /** true when found only through the PID IDR, not the task list (unlinked = hidden) */
  hidden?: boolean;
  /** its PID in init_pid_ns's IDR leads to it (undefined: the IDR could not be read) */
  inPidHash?: boolean;
}

export class LinuxContext {
  readonly v: KView;
  readonly paths: PathResolver;
  readonly warnings: string[];
  /** kernel pointers (slab objects, tree nodes) lie above this: the x86-64 kernel half, or arm64's PAGE_OFFSET (linear map) */
  readonly kernelFloor: bigint;
  private _tasks: Task[] | null = null;
  private spaces = new Map<bigint, VirtualSpace | null>();
  private memos = new Map<string, unknown>();

  constructor(readonly k: LinuxKernel) {
    this.v = new KView(k.types, k.space);
    this.paths = new PathResolver(this.v);
    this.warnings = k.warnings;
    this.kernelFloor = k.arm64 ? k.arm64.pageOffset : 0xffff800000000000n;
  }

  warn(msg: string): void {
    if (this.warnings.length < 1000 && !this.warnings.includes(msg)) this.warnings.push(msg);
  }

  /** Runs `fn`, turning a ReadFault into a warning and `fallback`. */
  safe<T>(what: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ReadFault) {
        this.warn(`${what}: ${e.message}`);
        return fallback;
      }
      throw e;
    }
  }

  /** Kernel-wide results computed once (null included). */
  memoKernel<T>(kind: string, fn: () => T): T {
    const key = `kernel:${kind}`;
    if (!this.memos.has(key)) this.memos.set(key, fn());
    return this.memos.get(key) as T;
  }

  /** Per-task results computed once and shared by every table that needs them (VMAs, fds). */
  memo<T>(kind: string, t: Task, fn: () => T): T {
    const key = `${kind}:${t.addr}`;
    if (!this.memos.has(key)) this.memos.set(key, fn());
    return this.memos.get(key) as T;
  }

  /** Thread-group leaders from init_task.tasks (the idle task itself excluded). */
  tasks(): Task[] {
    if (this._tasks) return this._tasks;
    const v = this.v;
    const init = this.k.syms.require('init_task');
    const off = v.off('task_struct', 'tasks');
    const out: Task[] = [];
    for (const t of v.list(init + BigInt(off), off, 1 << 20, (m) => this.warn(`task list: ${m}`))) {
      const task = this.safe(`task ${hex(t)}`, () => this.readTask(t, out.length), null);
      if (task) out.push(task);
    }
    // cross-view: thread-group leaders that have a PID but are not on the list
    const listed = new Set(out.map((t) => t.addr));
    const idr = tasksFromPidIdr(this);
    for (const addr of idr) {
      if (listed.has(addr)) continue;
      const task = this.safe(`task ${hex(addr)} from the pid IDR`, () => this.readTask(addr, out.length), null);
      if (!task || task.pid !== task.tgid || task.pid <= 0) continue;
      listed.add(addr);
      out.push({ ...task, hidden: true });
      this.warn(`pid ${task.pid} (${task.comm}) has a PID but is not on the task list: hidden`);
    }
    this.crossViews(out, idr);
    this._tasks = out;
    return out;
  }

  /** task_structs the PID IDR leads to (as the kernel links them), set by tasks() */
  pidIdrTasks: bigint[] = [];

  /** Marks each task with whether its PID (init_pid_ns IDR) leads back to it, compared by physical address. */
  private crossViews(out: Task[], idr: bigint[]): void {
    this.pidIdrTasks = idr;
    if (idr.length === 0) return; // IDR unreadable (or no init_pid_ns): unknown, not "missing"
    const phys = (a: bigint) => this.k.space.translate(a);
    const idrPhys = new Set(idr.map(phys));
    for (const t of out) t.inPidHash = idrPhys.has(phys(t.addr));
  }

  readTask(t: bigint, index: number): Task {
    const v = this.v;
    return {
      addr: t,
      pid: v.i32(t + BigInt(v.off('task_struct', 'pid'))),
      tgid: v.i32(t + BigInt(v.off('task_struct', 'tgid'))),
      comm: commOf(v, t),
      flags: v.u32(t + BigInt(v.off('task_struct', 'flags'))),
      mm: v.p(t, 'task_struct', 'mm'),
      index,
    };
  }

  isKernelThread(t: Task): boolean {
    return (t.flags & PF_KTHREAD) !== 0 || t.mm === 0n;
  }

  /** The process's own page tables (mm->pgd is a direct-map VA). */
  userSpace(t: Task): VirtualSpace | null {
    if (t.mm === 0n) return null;
    let s = this.spaces.get(t.mm);
    if (s === undefined) {
      s = this.safe(`mm of pid ${t.pid}`, () => {
        const pgd = this.v.p(t.mm, 'mm_struct', 'pgd');
        const phys = Number((pgd - this.k.pageOffsetBase) & 0xfffffffffffffn);
        // arm64: mm->pgd is the TTBR0 (user-half) root; kernel VAs still go through swapper_pg_dir
        if (this.k.space instanceof Aarch64Space) return this.k.space.withUserRoot(phys);
        return new X86_64Space(this.k.mem, phys, { la57: this.k.la57 });
      }, null);
      this.spaces.set(t.mm, s);
    }
    return s;
  }

  /** Selects tasks for an extraction: by pid and/or process-list index range. */
  select(opts: { pid?: number; processRange?: [number, number] } = {}): Task[] {
    return this.tasks().filter(
      (t) =>
        (opts.pid === undefined || t.pid === opts.pid) &&
        (!opts.processRange || (t.index >= opts.processRange[0] && t.index < opts.processRange[1])),
    );
  }
}

export function commOf(v: KView, t: bigint): string {
  const b = v.bytes(t + BigInt(v.off('task_struct', 'comm')), 16);
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z < 0 ? 16 : z);
}

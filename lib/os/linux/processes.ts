// Processes and threads from task_structs: ids, names, credentials, state, start time, argv and
// environment read from each process's own memory, executable and cwd paths.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { commOf } from './context';
import type { KView } from './view';
import { inodeColumns, namespacesOf } from './namespaces';
import { containerOf } from './containers';
import { credView } from './creds';

// /proc state letters (fs/proc/array.c task_state_array) and the task-state bits they index: ABI.
const STATE_LETTERS = 'RSDTtXZPI';
const TASK_REPORT = 0x7f;
const TASK_IDLE = 0x402;
const TASK_REPORT_IDLE = 0x80;
const TASK_RTLOCK_WAIT = 0x1000;
const MAX_ARGS_BYTES = 256 * 1024;

export function taskStateLetter(v: KView, t: bigint): string {
  const stateField = v.has('task_struct', '__state') ? '__state' : 'state';
  const st = v.u32(t + BigInt(v.off('task_struct', stateField)));
  const exit = v.num(t, 'task_struct', 'exit_state');
  let s = (st | exit) & TASK_REPORT;
  if ((st & TASK_IDLE) === TASK_IDLE) s = TASK_REPORT_IDLE;
  if (st & TASK_RTLOCK_WAIT) s = 2;
  const idx = s === 0 ? 0 : 32 - Math.clz32(s);
  return STATE_LETTERS[idx] ?? '?';
}

/** Reads the NUL-separated string block [start, end) from process memory. */
export function readStringBlock(ctx: LinuxContext, t: Task, start: bigint, end: bigint): string[] | null {
  if (end <= start) return [];
  const space = ctx.userSpace(t);
  if (!space) return null;
  const len = Math.min(Number(end - start), MAX_ARGS_BYTES);
  const buf = Buffer.alloc(len);
  // read page by page and keep the readable prefix: a page may be swapped out or missing
  let got = 0;
  while (got < len) {
    const va = start + BigInt(got);
    const n = Math.min(4096 - Number(va & 0xfffn), len - got);
    if (!space.readInto(va, buf, got, n)) break;
    got += n;
  }
  if (got < len) ctx.warn(`pid ${t.pid}: ${got ? 'part of' : 'all of'} argv/environment not in the dump`);
  if (got === 0) return null;
  let text = buf.toString('utf8', 0, got);
  if (got < len) text = text.slice(0, text.lastIndexOf('\0') + 1); // drop a cut-off last string
  if (text.endsWith('\0')) text = text.slice(0, -1);
  return text.length ? text.split('\0') : [];
}

function mmField(ctx: LinuxContext, t: Task, f: string): bigint {
  return ctx.v.ptr(t.mm + BigInt(ctx.v.off('mm_struct', f)));
}

export function argvOf(ctx: LinuxContext, t: Task): string[] {
  if (t.mm === 0n) return [];
  return readStringBlock(ctx, t, mmField(ctx, t, 'arg_start'), mmField(ctx, t, 'arg_end')) ?? [];
}

export function environOf(ctx: LinuxContext, t: Task): string[] {
  if (t.mm === 0n) return [];
  return readStringBlock(ctx, t, mmField(ctx, t, 'env_start'), mmField(ctx, t, 'env_end')) ?? [];
}

export function exeOf(ctx: LinuxContext, t: Task): { path: string; deleted: boolean } | null {
  if (t.mm === 0n) return null;
  const v = ctx.v;
  const file = v.p(t.mm, 'mm_struct', 'exe_file');
  if (!file) return null;
  const r = ctx.paths.fromPathStruct(file + BigInt(v.off('file', 'f_path')));
  return { path: r.path, deleted: r.deleted };
}

function cwdOf(ctx: LinuxContext, t: Task): string | null {
  const v = ctx.v;
  const fs = v.p(t.addr, 'task_struct', 'fs');
  if (!fs) return null;
  return ctx.paths.fromPathStruct(fs + BigInt(v.off('fs_struct', 'pwd'))).path;
}

function credIds(v: KView, t: bigint): { uid: number; gid: number; euid: number } {
  const cred = v.p(t, 'task_struct', 'real_cred');
  return {
    uid: v.u32(cred + BigInt(v.off('cred', 'uid'))),
    gid: v.u32(cred + BigInt(v.off('cred', 'gid'))),
    euid: v.u32(cred + BigInt(v.off('cred', 'euid'))),
  };
}

function startNs(v: KView, t: bigint): number | null {
  for (const f of ['start_boottime', 'real_start_time']) if (v.has('task_struct', f)) return v.n64(t + BigInt(v.off('task_struct', f)));
  return null;
}

/** Boot-relative ns → wall-clock Date (null when boot time is unknown). */
function wallClock(ctx: LinuxContext, ns: number | null): Date | null {
  const boot = ctx.k.bootTimeNs;
  if (boot === null || ns === null) return null;
  return new Date(Number((boot + BigInt(ns)) / 1_000_000n));
}

/** Threads of a thread group via signal->thread_head / task->thread_node. */
export function threadsOf(ctx: LinuxContext, t: Task): bigint[] {
  const v = ctx.v;
  const sig = v.p(t.addr, 'task_struct', 'signal');
  if (!sig || !v.has('signal_struct', 'thread_head')) return [t.addr];
  const head = sig + BigInt(v.off('signal_struct', 'thread_head'));
  return [...v.list(head, v.off('task_struct', 'thread_node'), 1 << 16, (m) => ctx.warn(`threads of pid ${t.pid}: ${m}`))];
}

const KTHREAD_NAME = /^\[.*\]$|^(kworker|ksoftirqd|kthreadd|migration|rcu_|kswapd|watchdog|cpuhp|idle_inject)\b/;
const SUSPICIOUS_DIR = /^\/(tmp|dev\/shm|var\/tmp)\/|\/\.[^/]+\//;
/** Daemons that the system starts (parent init or themselves) — anything else is unusual. */
const DAEMON_PARENTS: Record<string, string[]> = {
  agetty: ['init', 'systemd'],
  getty: ['init', 'systemd'],
  sshd: ['init', 'systemd', 'sshd'],
  cron: ['init', 'systemd'],
  crond: ['init', 'systemd'],
  'systemd-journal': ['systemd'],
  rsyslogd: ['init', 'systemd'],
};
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh']);
const WEB_SERVERS = new Set(['httpd', 'nginx', 'apache2', 'php-fpm', 'lighttpd', 'java', 'node']);

export function processRows(ctx: LinuxContext, tasks: Task[], wx: (t: Task) => boolean): Row<'process'>[] {
  const v = ctx.v;
  const byPid = new Map(ctx.tasks().map((t) => [t.pid, t]));
  const out: Row<'process'>[] = [];
  for (const t of tasks) {
    const row = ctx.safe(`process ${t.pid}`, () => {
      const parent = v.p(t.addr, 'task_struct', 'real_parent');
      const ppid = parent ? v.i32(parent + BigInt(v.off('task_struct', 'tgid'))) : 0;
      const kthread = ctx.isKernelThread(t);
      const argv = kthread ? [] : argvOf(ctx, t);
      const exe = kthread ? null : ctx.safe(`exe of pid ${t.pid}`, () => exeOf(ctx, t), null);
      const ids = credIds(v, t.addr);
      const cv = credView(ctx, t);
      const sig = v.p(t.addr, 'task_struct', 'signal');
      const nthreads = sig ? v.num(sig, 'signal_struct', 'nr_threads') : 1;
      const parentName = byPid.get(ppid)?.comm ?? (parent ? ctx.safe('parent comm', () => commOf(v, parent), '') : '');
      const expectParents = DAEMON_PARENTS[t.comm];
      const unusualParent =
        !kthread &&
        ((expectParents !== undefined && !expectParents.includes(parentName)) || (SHELLS.has(t.comm) && WEB_SERVERS.has(parentName)));
      const r: Row<'process'> = {
        process_id: t.tgid,
        parent_process_id: ppid,
        name: t.comm,
        argv,
        command_line: argv.join(' '),
        exe_path: exe?.path ?? null,
        exe_deleted: exe?.deleted ?? false,
        cwd: kthread ? null : ctx.safe(`cwd of pid ${t.pid}`, () => cwdOf(ctx, t), null),
        uid: ids.uid,
        gid: ids.gid,
        euid: ids.euid,
        state: taskStateLetter(v, t.addr),
        start_time_ns: startNs(v, t.addr),
        create_time: wallClock(ctx, startNs(v, t.addr)),
        exit_time: null,
        is_kernel_thread: kthread,
        thread_count: nthreads,
        session_id: null,
        is_wow64: null,
        object_address: t.addr,
        in_process_list: !t.hidden,
        in_pid_hash: t.inPidHash ?? null,
        cred_address: cv.cred,
        flag_shared_cred: cv.shared,
        flag_root_from_user: cv.rootFromUser,
        flag_kernel_thread_name: !kthread && KTHREAD_NAME.test(t.comm),
        flag_deleted_exe: exe?.deleted ?? false,
        flag_suspicious_path: !!exe && SUSPICIOUS_DIR.test(exe.path),
        flag_wx_memory: !kthread && wx(t),
        flag_unusual_parent: unusualParent,
        ...namespaceColumns(ctx, t),
      };
      return r;
    }, null);
    if (row) out.push(row);
  }
  return out;
}

/** The namespace/cgroup/container columns of a process row (all null when the task has none readable). */
function namespaceColumns(ctx: LinuxContext, t: Task) {
  const ns = namespacesOf(ctx, t);
  return {
    ns_pid: ns?.ns_pid ?? null,
    ...inodeColumns(ns),
    time_ns: ns?.time_ns ?? null,
    cgroup_path: ns?.cgroup_path ?? null,
    container_id: containerOf(ctx, t)?.id ?? null,
  };
}

export function threadRows(ctx: LinuxContext, tasks: Task[]): Row<'thread'>[] {
  const v = ctx.v;
  const out: Row<'thread'>[] = [];
  for (const t of tasks) {
    for (const th of ctx.safe(`threads of ${t.pid}`, () => threadsOf(ctx, t), [])) {
      const row = ctx.safe(`thread ${th}`, (): Row<'thread'> => ({
        process_id: t.tgid,
        thread_id: v.i32(th + BigInt(v.off('task_struct', 'pid'))),
        name: commOf(v, th),
        state: taskStateLetter(v, th),
        start_address: null,
        create_time: wallClock(ctx, startNs(v, th)),
        object_address: th,
      }), null);
      if (row) out.push(row);
    }
  }
  return out;
}

export function envRows(ctx: LinuxContext, tasks: Task[]): Row<'env_var'>[] {
  const out: Row<'env_var'>[] = [];
  for (const t of tasks) {
    if (ctx.isKernelThread(t)) continue;
    const env = ctx.safe(`environment of ${t.pid}`, () => environOf(ctx, t), []);
    for (const e of env) {
      const eq = e.indexOf('=');
      out.push({ process_id: t.tgid, name: eq < 0 ? e : e.slice(0, eq), value: eq < 0 ? '' : e.slice(eq + 1) });
    }
  }
  return out;
}


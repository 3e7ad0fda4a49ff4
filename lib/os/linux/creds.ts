// Credential anomalies per process (what a privilege-escalation rootkit leaves): the struct cred a
// task runs with (task->cred) shared with another thread group — the kernel gives every process its
// own cred at fork/exec (copy_creds/prepare_creds; only CLONE_THREAD shares), so two processes on one
// cred means someone assigned it, e.g. `task->cred = init_cred` or another root task's cred — and uid
// or euid 0 under a parent chain that has a non-root process (root gained below a user process;
// setuid programs such as su/sudo do this legitimately). The parent walk is bounded.
import type { LinuxContext, Task } from './context';

const MAX_DEPTH = 64;

export interface CredView {
  cred: bigint | null;
  shared: boolean | null;
  rootFromUser: boolean | null;
}

/** cred → thread groups using it, for every task (kernel-wide, computed once). */
function credOwners(ctx: LinuxContext): Map<bigint, Set<number>> {
  return ctx.memoKernel('cred owners', () => {
    const m = new Map<bigint, Set<number>>();
    for (const t of ctx.tasks()) {
      const c = ctx.safe(`cred of pid ${t.pid}`, () => ctx.v.p(t.addr, 'task_struct', 'cred'), 0n);
      if (c < ctx.kernelFloor) continue;
      let s = m.get(c);
      if (!s) m.set(c, (s = new Set()));
      s.add(t.tgid);
    }
    return m;
  });
}

function effectiveRoot(ctx: LinuxContext, task: bigint): boolean {
  const v = ctx.v;
  const cred = v.p(task, 'task_struct', 'cred');
  return v.u32(cred + BigInt(v.off('cred', 'uid'))) === 0 || v.u32(cred + BigInt(v.off('cred', 'euid'))) === 0;
}

/** true when an ancestor (below the idle task) runs with a non-zero real uid */
function userAncestor(ctx: LinuxContext, task: bigint): boolean {
  const v = ctx.v;
  const seen = new Set<bigint>([task]);
  let cur = v.p(task, 'task_struct', 'real_parent');
  for (let i = 0; i < MAX_DEPTH && cur >= ctx.kernelFloor && !seen.has(cur); i++) {
    seen.add(cur);
    if (v.i32(cur + BigInt(v.off('task_struct', 'pid'))) <= 0) return false;
    const cred = v.p(cur, 'task_struct', 'real_cred');
    if (v.u32(cred + BigInt(v.off('cred', 'uid'))) !== 0) return true;
    cur = v.p(cur, 'task_struct', 'real_parent');
  }
  return false;
}

export function credView(ctx: LinuxContext, t: Task): CredView {
  const cred = ctx.safe(`cred of pid ${t.pid}`, () => ctx.v.p(t.addr, 'task_struct', 'cred'), null);
  if (cred === null || cred < ctx.kernelFloor) return { cred: null, shared: null, rootFromUser: null };
  const owners = credOwners(ctx).get(cred);
  const rootFromUser = ctx.isKernelThread(t)
    ? false
    : ctx.safe(`parent chain of pid ${t.pid}`, () => effectiveRoot(ctx, t.addr) && userAncestor(ctx, t.addr), null);
  return { cred, shared: owners ? owners.size > 1 : null, rootFromUser };
}

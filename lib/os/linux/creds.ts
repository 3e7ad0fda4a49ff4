// Credential anomalies per process (what a privilege-escalation rootkit leaves): task->cred or
// real_cred being the cred of another thread group — the kernel gives every process its own cred at
// fork/exec (copy_creds/prepare_creds; only CLONE_THREAD shares), so two processes on one cred means
// someone assigned it, e.g. `task->cred = &init_cred` (init_task's) or another root task's cred — and uid
// or euid 0 under a parent chain that has a non-root process (root gained below a user process;
// setuid programs such as su/sudo do this legitimately). The parent walk is bounded.
import type { LinuxContext, Task } from './context';

const MAX_DEPTH = 64;

export interface CredView {
  cred: bigint | null;
  shared: boolean | null;
  rootFromUser: boolean | null;
}

/**
 * cred → thread groups that own it as their real_cred (what fork/exec/commit_creds set), with the idle
 * task (tgid 0) owning init_cred — no process should run on it. A task inside override_creds()
 * (overlayfs, NFS, …) has task->cred ≠ real_cred for a moment: that temporary cred is not anyone's own,
 * so comparing against owners (not against other tasks' temporary creds) keeps it from looking shared.
 */
function credOwners(ctx: LinuxContext): Map<bigint, Set<number>> {
  return ctx.memoKernel('cred owners', () => {
    const v = ctx.v;
    const m = new Map<bigint, Set<number>>();
    const own = (c: bigint, tgid: number) => {
      if (c < ctx.kernelFloor) return;
      let s = m.get(c);
      if (!s) m.set(c, (s = new Set()));
      s.add(tgid);
    };
    const init = ctx.k.syms.get('init_task');
    if (init !== undefined) ctx.safe('cred of init_task', () => own(v.p(init, 'task_struct', 'real_cred'), 0), undefined);
    for (const t of ctx.tasks()) ctx.safe(`cred of pid ${t.pid}`, () => own(v.p(t.addr, 'task_struct', 'real_cred'), t.tgid), undefined);
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
  const v = ctx.v;
  const ptrs = ctx.safe(`cred of pid ${t.pid}`, () => [v.p(t.addr, 'task_struct', 'cred'), v.p(t.addr, 'task_struct', 'real_cred')], null);
  if (ptrs === null || ptrs[0] < ctx.kernelFloor) return { cred: null, shared: null, rootFromUser: null };
  const owners = credOwners(ctx);
  // shared: either pointer is the own cred of another thread group (or init_task's init_cred)
  const shared = ptrs.some((c) => [...(owners.get(c) ?? [])].some((g) => g !== t.tgid));
  const rootFromUser = ctx.isKernelThread(t)
    ? false
    : ctx.safe(`parent chain of pid ${t.pid}`, () => effectiveRoot(ctx, t.addr) && userAncestor(ctx, t.addr), null);
  return { cred: ptrs[0], shared, rootFromUser };
}

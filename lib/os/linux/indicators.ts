// Indicator table for Linux: IPs, domains and URLs in each process's writable memory (heap, stack,
// anonymous and data mappings — where a process keeps what it received or was told), found by the
// shared collector over the pages actually present in the dump. Bounded per process.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { vmasOf } from './vmas';
import { IndicatorCollector } from '../common/indicator-collector';

const VM_READ = 0x1;
const VM_WRITE = 0x2;

export function indicatorRows(ctx: LinuxContext, tasks: Task[]): Row<'indicator'>[] {
  const out: Row<'indicator'>[] = [];
  for (const t of tasks) {
    const space = ctx.userSpace(t);
    if (!space) continue;
    const c = new IndicatorCollector(space, t.tgid);
    for (const vma of vmasOf(ctx, t)) {
      if ((vma.flags & (VM_READ | VM_WRITE)) !== (VM_READ | VM_WRITE)) continue;
      const region = vma.file ? ctx.safe('vma path', () => ctx.paths.fromFile(vma.file).path, null) : null;
      c.scanRegion(vma.start, vma.end, region ?? kindOf(vma.start, t, ctx));
      if (c.exhausted) {
        ctx.warn(`indicators: pid ${t.pid} has more than ${c.budgetBytes >> 20} MiB of writable memory; scan truncated`);
        break;
      }
    }
    out.push(...c.rows);
  }
  return out;
}

function kindOf(start: bigint, t: Task, ctx: LinuxContext): string {
  return ctx.safe('mm bounds', () => {
    const v = ctx.v;
    const brk = v.p(t.mm, 'mm_struct', 'brk');
    const startBrk = v.p(t.mm, 'mm_struct', 'start_brk');
    if (start >= startBrk && start < brk) return '[heap]';
    return start >= v.p(t.mm, 'mm_struct', 'start_stack') - (8n << 20n) ? '[stack]' : 'anon';
  }, 'anon');
}

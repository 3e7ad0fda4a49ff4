// Indicator table for Linux: IPs, domains and URLs in each process's writable memory (heap, stack,
// anonymous and data mappings — where a process keeps what it received or was told), found by the
// shared scanner over the pages actually present in the dump. Bounded per process.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { vmasOf } from './vmas';
import { scanIndicators } from '../common/indicators';

const VM_READ = 0x1;
const VM_WRITE = 0x2;
const MAX_BYTES_PER_PROCESS = 64 << 20;
const MAX_RUN = 4 << 20;

export function indicatorRows(ctx: LinuxContext, tasks: Task[]): Row<'indicator'>[] {
  const out: Row<'indicator'>[] = [];
  for (const t of tasks) {
    const space = ctx.userSpace(t);
    if (!space) continue;
    const vmas = ctx.safe(`maps of pid ${t.pid}`, () => vmasOf(ctx, t), []);
    let budget = MAX_BYTES_PER_PROCESS;
    const seen = new Set<string>();
    for (const vma of vmas) {
      if ((vma.flags & (VM_READ | VM_WRITE)) !== (VM_READ | VM_WRITE)) continue;
      const region = vma.file ? ctx.safe('vma path', () => ctx.paths.fromPathStruct(vma.file + BigInt(ctx.v.off('file', 'f_path'))).path, null) : null;
      // gather runs of contiguous present pages, scan each run as one buffer
      let runStart = -1n;
      const chunks: Buffer[] = [];
      let runBytes = 0;
      const flush = () => {
        if (!chunks.length) return;
        const buf = Buffer.concat(chunks);
        for (const h of scanIndicators(buf, runStart)) {
          const key = `${h.kind}\0${h.value}\0${h.address}`;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push({ process_id: t.tgid, kind: h.kind, value: h.value, address: h.address, region: region ?? kindOf(vma.start, t, ctx) });
        }
        chunks.length = 0;
        runBytes = 0;
      };
      for (const m of space.mappings(vma.start, vma.end)) {
        if (budget <= 0) break;
        const page = Buffer.alloc(m.size);
        if (!ctx.k.mem.readPhys(m.pa, page, 0, m.size)) {
          flush();
          continue;
        }
        if (!chunks.length || runStart + BigInt(runBytes) !== m.va || runBytes >= MAX_RUN) {
          flush();
          runStart = m.va;
        }
        chunks.push(page);
        runBytes += m.size;
        budget -= m.size;
      }
      flush();
      if (budget <= 0) {
        ctx.warn(`indicators: pid ${t.pid} has more than ${MAX_BYTES_PER_PROCESS >> 20} MiB of writable memory; scan truncated`);
        break;
      }
    }
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

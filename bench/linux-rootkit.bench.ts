// Kernel rootkit views (#16) on the real dumps: the task_struct scan (psscan: the default slab-only
// scan, and the all-RAM scan in MB/s; candidates, live leaders, peak RSS) and the eBPF / module-view /
// credential extraction times.
// The raw 6.1 image separates the scan itself from kdump page decompression. Printed, not asserted.
// Run: npm run bench -- linux-rootkit
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDumpFile, materialize } from '../lib/image/open';
import { openEngine } from '../lib/os/open';
import type { LinuxEngine } from '../lib/os/linux';
import { scanTasks } from '../lib/os/linux/psscan';

const IMAGES = path.resolve(__dirname, '../../shared/images');
const cases: [string, string][] = [
  ['6.1 rootkit', 'linux-dev-rootkit/memory.kdump'],
  ['6.1', 'linux-dev/memory.raw.gz'],
  ['6.1', 'linux-dev/memory.kdump'],
  ['6.12', 'linux-dev-6.12/memory.kdump'],
  ['arm64', 'linux-dev-arm64/memory.kdump'],
];

const ms = (t: number) => `${t.toFixed(0)} ms`;

async function main(): Promise<void> {
  console.log('kernel       format        psscan(slab)  KiB   psscan(all RAM)  MB/s   hits/leaders  bpf    modules  process(+creds)  rss');
  for (const [kernel, rel] of cases) {
    const src = path.join(IMAGES, rel);
    if (!fs.existsSync(src)) continue;
    const file = await materialize(src); // decompression of .gz is not part of the figure
    const eng = openEngine(await openDumpFile(file)) as LinuxEngine;
    const ctx = eng.ctx;
    const known = ctx.tasks().map((t) => t.addr); // the list + IDR (and one scan, inside tasks())
    const slab = scanTasks(ctx, known, 'slab'); // the default: the task_struct cache's slabs only
    const scan = scanTasks(ctx, known, 'ram'); // every RAM page (arm64, or without the struct page array)
    const mbs = scan.stats.bytes / (1 << 20) / (scan.stats.ms / 1000);
    const slabCol = slab.stats.mode === 'slab' ? `${ms(slab.stats.ms).padEnd(13)} ${(slab.stats.bytes / 1024).toFixed(0).padEnd(5)}` : `${'(all RAM)'.padEnd(13)} ${'-'.padEnd(5)}`;
    let t = performance.now();
    let bpf = 'refused';
    try {
      eng.extract('bpf_program');
      eng.extract('bpf_map');
      bpf = ms(performance.now() - t);
    } catch {
      /* arm64 without data symbols: the tables refuse (tested) */
    }
    t = performance.now();
    eng.extract('kernel_module');
    const mods = performance.now() - t;
    t = performance.now();
    eng.extract('process');
    const procs = performance.now() - t;
    console.log(
      `${kernel.padEnd(12)} ${path.basename(rel).padEnd(13)} ${slabCol} ${ms(scan.stats.ms).padEnd(16)} ${mbs.toFixed(0).padEnd(6)} ${`${scan.stats.hits}/${scan.leaders.size}`.padEnd(13)} ${bpf.padEnd(6)} ${ms(mods).padEnd(8)} ${ms(procs).padEnd(16)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
    eng.mem.close();
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

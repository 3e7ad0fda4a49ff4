// Linux engine benchmark on the real dev dumps: per format, wall time and MB/s of `ps` (open +
// profile-free discovery + process table) and full `analyze` (every table + Parquet), per-stage
// timings, and peak RSS. Printed, not asserted. Run: npm run bench -- linux
// (MEMQ_BENCH_KERNEL=arm64|6.1|6.12|6.1-rk runs one kernel's rows only)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile, materialize } from '../lib/image/open';
import { findVmcoreInfo } from '../lib/symbols/vmcoreinfo';
import { openEngine } from '../lib/os/open';
import { analyzeTables } from '../lib/store/analyze';
import { tableNames } from '../lib/model';

const IMAGES = path.resolve(__dirname, '../../shared/images');
const cases: [string, string][] = ([
  ['6.1', 'linux-dev/memory.raw.gz'],
  ['6.1', 'linux-dev/memory.lime.gz'],
  ['6.1', 'linux-dev/memory.elf.gz'],
  ['6.1', 'linux-dev/memory.kdump'],
  ['6.12', 'linux-dev-6.12/memory.elf.gz'],
  ['6.12', 'linux-dev-6.12/memory.kdump'],
  ['arm64', 'linux-dev-arm64/memory.kdump'],
  ['6.1-rk', 'linux-dev-rootkit/memory.kdump'], // rootkit-dev scenario: a hidden module's ftrace/kprobe/netfilter/keyboard hooks (kernel_hook) // Debian 6.1 arm64 (AArch64 translation, data symbols found in the image)
] as [string, string][]).filter(([k]) => !process.env.MEMQ_BENCH_KERNEL || k === process.env.MEMQ_BENCH_KERNEL);

const mb = (bytes: number) => bytes / (1 << 20);

async function main(): Promise<void> {
  console.log('kernel  format          ps(cold)  analyze   MB/s(analyze)  stages');
  for (const [kernel, rel] of cases) {
    const file = await materialize(path.join(IMAGES, rel)); // decompression is not part of the figure
    const size = fs.statSync(file).size;
    // ps, cold: a fresh open of the file, discovery, process table
    let t0 = performance.now();
    const mem = await openDumpFile(file);
    const tOpen = performance.now() - t0;
    const t1 = performance.now();
    findVmcoreInfo(mem);
    const tScan = performance.now() - t1;
    const t2 = performance.now();
    const eng = openEngine(mem);
    const tDiscover = performance.now() - t2;
    const t3 = performance.now();
    const procs = eng.extract('process');
    const tPs = performance.now() - t3;
    const psTotal = performance.now() - t0;
    mem.close();
    // analyze, cold again
    t0 = performance.now();
    const eng2 = openEngine(await openDumpFile(file));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-'));
    const { timings_ms, counts } = await analyzeTables(eng2, out, tableNames);
    const analyzeMs = performance.now() - t0;
    eng2.mem.close();
    fs.rmSync(out, { recursive: true, force: true });
    const stages = `open ${tOpen.toFixed(0)}, vmcoreinfo scan ${tScan.toFixed(0)}, kallsyms+btf ${tDiscover.toFixed(0)}, process(${procs.length}) ${tPs.toFixed(0)}; ` +
      Object.entries(timings_ms).map(([t, v]) => `${t} ${v}`).join(', ') + `; kernel_hook rows ${counts.kernel_hook ?? 0}`;
    console.log(
      `${kernel.padEnd(7)} ${path.basename(rel).padEnd(15)} ${`${psTotal.toFixed(0)} ms`.padEnd(9)} ${`${analyzeMs.toFixed(0)} ms`.padEnd(9)} ${(mb(size) / (analyzeMs / 1000)).toFixed(0).padEnd(14)} ${stages}`,
    );
  }
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

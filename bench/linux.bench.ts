// Linux engine benchmark on the real dev dumps: per format, wall time and MB/s of `ps` (open +
// profile-free discovery + process table) and full `analyze` (every table + Parquet), per-stage
// timings, and peak RSS. Printed, not asserted. Run: npm run bench -- linux
// x86-64 and ARM64 rows come out of the same run (MEMQ_BENCH_KERNEL=arm64|6.1|6.12 runs one kernel's
// rows only; =6.1-rk only the rootkit-dev rows; =rootkit only the containers/namespaces line). The arm64 raw form is derived from its kdump (test/linux/gen/arm64-forms.ts); the
// "no VMCOREINFO" rows wipe every copy of the note through a copy-on-write overlay (the patched
// addresses are found once, outside the timing) so discovery runs on the kallsyms/BTF/init_task scans.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile, materialize } from '../lib/image/open';
import { findVmcoreInfo } from '../lib/symbols/vmcoreinfo';
import { openEngine } from '../lib/os/open';
import { analyzeTables } from '../lib/store/analyze';
import { tableNames } from '../lib/model';
import type { PhysicalMemory } from '../lib/image/physical';
import { scanRam } from '../lib/image/physical';
import { OverlayMemory } from '../test/support/overlay';
import { arm64Form } from '../test/linux/gen/arm64-forms';
import type { LinuxEngine } from '../lib/os/linux';
import { namespacesOf } from '../lib/os/linux/namespaces';

const IMAGES = path.resolve(__dirname, '../../shared/images');
const NO_VMCI = ' (no VMCOREINFO)';
const cases: [string, string][] = ([
  ['6.1', 'linux-dev/memory.raw.gz'],
  ['6.1', 'linux-dev/memory.lime.gz'],
  ['6.1', 'linux-dev/memory.elf.gz'],
  ['6.1', 'linux-dev/memory.kdump'],
  ['6.1', `linux-dev/memory.kdump${NO_VMCI}`],
  ['6.12', 'linux-dev-6.12/memory.elf.gz'],
  ['6.12', 'linux-dev-6.12/memory.kdump'],
  ['arm64', 'linux-dev-arm64/memory.kdump'], // Debian 6.1 arm64 (AArch64 translation, data symbols found in the image)
  ['arm64', 'linux-dev-arm64/memory.raw'], // derived from the kdump (zeros below RAM at 1 GiB, as QEMU virt)
  ['arm64', `linux-dev-arm64/memory.kdump${NO_VMCI}`],
  ['6.1-rk', 'linux-dev-rootkit/memory.kdump'], // rootkit-dev scenario: a hidden module's ftrace/kprobe/netfilter/keyboard hooks (kernel_hook)
] as [string, string][]).filter(([k]) => !process.env.MEMQ_BENCH_KERNEL || k === process.env.MEMQ_BENCH_KERNEL);

/** the dump file of a case (the arm64 raw form is derived from the kdump, as its README says) */
async function fileOf(rel: string): Promise<string> {
  const base = rel.replace(NO_VMCI, '');
  if (base !== 'linux-dev-arm64/memory.raw') return materialize(path.join(IMAGES, base));
  const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, 'linux-dev-arm64/ground-truth.json'), 'utf8'));
  const ram = (gt.iomem as { depth: number; start: string; end: string; name: string }[])
    .filter((r) => r.depth === 0 && r.name === 'System RAM')
    .map((r) => [Number(BigInt(r.start)), Number(BigInt(r.end)) + 1] as [number, number]);
  return arm64Form(path.join(IMAGES, 'linux-dev-arm64/memory.kdump'), ram, 'raw');
}

/** physical addresses of every "OSRELEASE=" in RAM (found once, outside the timing) */
async function noteAddresses(file: string): Promise<number[]> {
  const mem = await openDumpFile(file);
  const at: number[] = [];
  const mark = Buffer.from('OSRELEASE=');
  for (const [base, chunk] of scanRam(mem)) for (let i = chunk.indexOf(mark); i >= 0; i = chunk.indexOf(mark, i + 1)) at.push(base + i);
  mem.close();
  return at;
}

/** a fresh open of the file; with `wipe`, a copy-on-write overlay with those notes overwritten */
async function openCase(file: string, wipe: number[] | null): Promise<PhysicalMemory> {
  const mem = await openDumpFile(file);
  if (!wipe) return mem;
  const ov = new OverlayMemory(mem);
  for (const a of wipe) ov.write(a, Buffer.from('X'));
  return ov;
}

const mb = (bytes: number) => bytes / (1 << 20);

async function main(): Promise<void> {
  console.log('arch    kernel  format                          ps(cold)  analyze   MB/s(analyze)  stages');
  for (const [kernel, rel] of cases) {
    const file = await fileOf(rel); // decompression / derivation is not part of the figure
    const size = fs.statSync(file).size;
    const wipe = rel.endsWith(NO_VMCI) ? await noteAddresses(file) : null;
    // ps, cold: a fresh open of the file, discovery, process table
    let t0 = performance.now();
    const mem = await openCase(file, wipe);
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
    const arch = String(eng.info().arch);
    mem.close();
    // analyze, cold again
    t0 = performance.now();
    const eng2 = openEngine(await openCase(file, wipe));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-'));
    const { timings_ms, counts } = await analyzeTables(eng2, out, tableNames);
    const analyzeMs = performance.now() - t0;
    eng2.mem.close();
    fs.rmSync(out, { recursive: true, force: true });
    const stages = `open ${tOpen.toFixed(0)}, vmcoreinfo scan ${tScan.toFixed(0)}, kallsyms+btf ${tDiscover.toFixed(0)}, process(${procs.length}) ${tPs.toFixed(0)}; ` +
      Object.entries(timings_ms).map(([t, v]) => `${t} ${v}`).join(', ') + `; kernel_hook rows ${counts.kernel_hook ?? 0}`;
    console.log(
      `${arch.padEnd(7)} ${(kernel === 'arm64' ? '6.1' : kernel).padEnd(7)} ${path.basename(rel).padEnd(31)} ${`${psTotal.toFixed(0)} ms`.padEnd(9)} ${`${analyzeMs.toFixed(0)} ms`.padEnd(9)} ${(mb(size) / (analyzeMs / 1000)).toFixed(0).padEnd(14)} ${stages}`,
    );
  }
  await containersBench();
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

/**
 * Containers and namespaces (#16) on the rootkit-dev dump (docker + Kubernetes containers): what the
 * namespace/cgroup columns add to the process table, and the container and mount tables, on a fresh
 * engine each (nothing memoized from another run), plus the full analyze with them.
 */
async function containersBench(): Promise<void> {
  if (process.env.MEMQ_BENCH_KERNEL && process.env.MEMQ_BENCH_KERNEL !== 'rootkit') return;
  const file = await materialize(path.join(IMAGES, 'linux-dev-rootkit/memory.kdump'));
  if (!fs.existsSync(file)) return;
  const timed = <T>(f: () => T): [T, number] => {
    const t = performance.now();
    const r = f();
    return [r, performance.now() - t];
  };
  const eng = openEngine(await openDumpFile(file)) as LinuxEngine;
  const [tasks, tTasks] = timed(() => eng.ctx.tasks());
  const [, tNs] = timed(() => tasks.map((t) => namespacesOf(eng.ctx, t)));
  const [ctrs, tCtr] = timed(() => eng.extract('container'));
  const [mounts, tMount] = timed(() => eng.extract('mount'));
  const [procs, tProc] = timed(() => eng.extract('process'));
  eng.mem.close();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-'));
  const t0 = performance.now();
  const eng2 = openEngine(await openDumpFile(file));
  const { timings_ms } = await analyzeTables(eng2, out, tableNames);
  const analyzeMs = performance.now() - t0;
  eng2.mem.close();
  fs.rmSync(out, { recursive: true, force: true });
  console.log(
    `rootkit memory.kdump: task list(${tasks.length}) ${tTasks.toFixed(0)} ms, namespaces+cgroup of every task ${tNs.toFixed(1)} ms, ` +
      `container(${ctrs.length}) ${tCtr.toFixed(1)} ms, mount(${mounts.length}) ${tMount.toFixed(1)} ms, process(${procs.length}, namespaces memoized) ${tProc.toFixed(0)} ms; ` +
      `analyze ${analyzeMs.toFixed(0)} ms (container ${timings_ms.container} ms, mount ${timings_ms.mount} ms, process ${timings_ms.process} ms)`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

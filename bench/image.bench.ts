// Image-layer benchmark on the real dev dumps: per format, sequential full-RAM read throughput,
// random 4 KiB page reads per second and peak RSS. Each format runs in its own child process so
// peak RSS is per format. Prints; asserts nothing. `npm run bench -- image`
import { spawnSync } from 'node:child_process';
import { openDumpFile } from '../lib/image/open';
import { ramBytes } from '../lib/image/physical';
import { dumpPath, type Kernel } from '../test/support/dumps';
import { derivedDump } from '../test/support/derive';

const CASES: [Kernel, string][] = [
  ['6.1', 'memory.raw.gz'],
  ['6.1', 'memory.lime.gz'],
  ['6.1', 'memory.elf.gz'],
  ['6.1', 'memory.kdump'],
  ['6.12', 'memory.elf.gz'],
  ['6.12', 'memory.kdump'],
  ['6.1', 'derived:avml'], // AVML of the same RAM, written by test/support/derive.ts
];
const RANDOM_READS = 20000;

async function measure(kernel: Kernel, file: string): Promise<void> {
  // decompression / derivation (if any) happens before timing
  const path = file.startsWith('derived:') ? await derivedDump(kernel, 'avml') : await dumpPath(kernel, file);
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const mem = await openDumpFile(path);
  const openMs = performance.now() - t;

  // sequential: every RAM range, 1 MiB at a time
  const buf = Buffer.allocUnsafe(1 << 20);
  t = performance.now();
  let bytes = 0;
  for (const r of mem.ranges) {
    if (!r.ram) continue;
    for (let p = r.start; p < r.end; p += buf.length) {
      const n = Math.min(buf.length, r.end - p);
      if (mem.readPhys(p, buf, 0, n)) bytes += n;
    }
  }
  const seqS = (performance.now() - t) / 1000;

  // random 4 KiB pages over RAM (fresh open: cold caches)
  mem.close();
  const mem2 = await openDumpFile(path);
  const pages: number[] = [];
  for (const r of mem2.ranges) if (r.ram) for (let p = Math.ceil(r.start / 4096) * 4096; p + 4096 <= r.end; p += 4096) pages.push(p);
  let seed = 1;
  const page = Buffer.allocUnsafe(4096);
  t = performance.now();
  let ok = 0;
  for (let i = 0; i < RANDOM_READS; i++) {
    seed = (seed * 48271) % 2147483647;
    if (mem2.readPhys(pages[seed % pages.length], page, 0, 4096)) ok++;
  }
  const randS = (performance.now() - t) / 1000;
  mem2.close();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      kernel,
      file,
      format: mem.format,
      ram_mb: +(ramBytes(mem) / 2 ** 20).toFixed(1),
      open_ms: +openMs.toFixed(1),
      seq_mb_s: +(bytes / 2 ** 20 / seqS).toFixed(0),
      random_pages_s: Math.round(ok / randS),
      peak_rss_mb: +maxRssMb.toFixed(0),
      rss_before_mb: +(rss0 / 2 ** 20).toFixed(0),
    }),
  );
}

async function main(): Promise<void> {
  const [kernel, file] = process.argv.slice(2);
  if (kernel && file) return measure(kernel as Kernel, file);
  console.log('format        kernel  file              open ms  seq MB/s  rand 4K/s  peak RSS MB');
  for (const [k, f] of CASES) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, k, f], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`${k} ${f}: failed\n${r.stderr}`);
      process.exitCode = 1;
      continue;
    }
    const j = JSON.parse(line);
    console.log(
      `${j.format.padEnd(13)} ${k.padEnd(7)} ${f.padEnd(17)} ${String(j.open_ms).padStart(7)}  ${String(j.seq_mb_s).padStart(8)}  ${String(j.random_pages_s).padStart(9)}  ${String(j.peak_rss_mb).padStart(11)}`,
    );
  }
}

void main();

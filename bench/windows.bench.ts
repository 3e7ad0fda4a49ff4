// Windows engine benchmark: wall time and peak RSS of `memq ps` and `memq analyze` (CLI, one child
// process each) on a generated 1 GiB full crash dump (build 19041) and its bitmap twin (same RAM).
// Dumps come from the test generator (test/windows/gen) and are cached. Prints; asserts nothing.
// `npm run bench -- windows`
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateWindowsDump, type DumpKind } from '../test/windows/gen';

const SIZE_MIB = Number(process.env.MEMQ_BENCH_WIN_MIB ?? 1024);
const MEMQ = path.resolve(__dirname, '../bin/memq.js');

function run(args: string[]): { wallS: number; cpuS: number; rssMiB: number; ok: boolean; err: string } {
  // /usr/bin/time reports the child's elapsed seconds, user+sys CPU seconds (load-independent on a
  // shared machine) and peak RSS (KiB) on stderr
  const r = spawnSync('/usr/bin/time', ['-f', 'MEMQ_TIME %e %U %S %M', process.execPath, MEMQ, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const m = /MEMQ_TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr ?? '');
  return {
    wallS: m ? Number(m[1]) : NaN,
    cpuS: m ? Number(m[2]) + Number(m[3]) : NaN,
    rssMiB: m ? Number(m[4]) / 1024 : NaN,
    ok: r.status === 0,
    err: (r.stderr ?? '').split('\n')[0],
  };
}

async function main(): Promise<void> {
  const rows: string[][] = [['dump', 'size', 'command', 'wall s', 'cpu s', 'peak RSS MiB', 'result']];
  for (const kind of ['full', 'bitmap'] as DumpKind[]) {
    const t0 = performance.now();
    const g = await generateWindowsDump({ build: '19041', kind, sizeMiB: SIZE_MIB, seed: 1 });
    const genS = ((performance.now() - t0) / 1000).toFixed(1);
    const size = `${(fs.statSync(g.path).size / 2 ** 20).toFixed(0)} MiB`;
    process.stdout.write(`${kind}: ${g.path} (${size}, generated/cached in ${genS} s)\n`);
    const ps = run(['ps', g.path, '--format', 'jsonl']);
    rows.push([`19041 ${kind}`, size, 'ps', ps.wallS.toFixed(2), ps.cpuS.toFixed(2), ps.rssMiB.toFixed(0), ps.ok ? 'ok' : ps.err]);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-winbench-'));
    const an = run(['analyze', g.path, '--out', out]);
    rows.push([`19041 ${kind}`, size, 'analyze', an.wallS.toFixed(2), an.cpuS.toFixed(2), an.rssMiB.toFixed(0), an.ok ? 'ok' : an.err]);
    fs.rmSync(out, { recursive: true, force: true });
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(w[i])).join('  ') + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

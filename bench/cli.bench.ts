// CLI start-up and per-command cost as a user sees it (child processes of bin/memq.js, the built
// dist/cli): `memq --help`, a command's start-up before it touches the dump (`ps` on a missing file:
// parse options, load the command's bundle, fail at open), and `ps` / `analyze` on the real dev dumps
// with a cold discovery cache (first command on a dump) and a warm one (every later command).
// Medians of several runs; the same through the TypeScript sources (tsx) for comparison.
// `npm run bench -- cli`. Prints; asserts nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { materialize } from '../lib/image/open';
import { freshCache, IMAGES, memq, repeat, runNode, s, table } from './support/memq-cli';

const N = Number(process.env.MEMQ_BENCH_RUNS ?? 7);

async function main(): Promise<void> {
  const rows = [['what', 'built (dist/cli) wall s', 'min', 'from sources (tsx) wall s']];
  const node = repeat(N, () => ({ ...runNode(['-e', '0']), code: 0 }));
  rows.push(['node -e 0 (Node itself)', s(node.med.wallS), s(Math.min(...node.walls)), '']);
  const startup = (args: string[]) => {
    const built = repeat(N, () => memq(args));
    const src = repeat(3, () => memq(args, { MEMQ_FROM_SOURCE: '1' }));
    rows.push([`memq ${args.join(' ')}`, s(built.med.wallS), s(Math.min(...built.walls)), s(src.med.wallS)]);
  };
  startup(['--help']);
  // start-up of dump commands up to the open (they exit 1 there)
  startup(['ps', '/nonexistent.dump']);
  startup(['analyze', '/nonexistent.dump']);
  process.stdout.write(table(rows));

  const dumps = ['linux-dev/memory.kdump', 'linux-dev/memory.elf.gz', 'linux-dev-6.12/memory.kdump'];
  const out = [['dump', 'size MiB', 'command', 'cold wall s', 'warm wall s', 'warm cpu s', 'peak RSS MiB']];
  for (const rel of dumps) {
    const file = await materialize(path.join(IMAGES, rel)); // decompression is not part of the figure
    const size = (fs.statSync(file).size / 2 ** 20).toFixed(0);
    for (const cmd of ['ps', 'analyze'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-out-'));
      const args = cmd === 'ps' ? ['ps', file, '--format', 'jsonl'] : ['analyze', file, '--out', dir];
      // cold: a fresh discovery cache per run
      const cold = repeat(3, () => memq(args, { MEMQ_CACHE: freshCache() }));
      const cache = freshCache();
      memq(args, { MEMQ_CACHE: cache });
      const warm = repeat(N, () => memq(args, { MEMQ_CACHE: cache }));
      out.push([rel, size, cmd, s(cold.med.wallS), s(warm.med.wallS), s(warm.med.cpuS), warm.med.rssMiB.toFixed(0)]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write('\n' + table(out));
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});

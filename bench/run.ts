// `npm run bench`: runs every bench/*.bench.ts in turn (each prints its own throughput and peak RSS
// on the real dumps). Pass a name filter to run only some: `npm run bench -- linux`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const filter = process.argv[2];
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  // a fresh process per bench so peak RSS is per benchmark
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

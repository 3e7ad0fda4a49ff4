// Hunting benchmark: a local store of 100 snapshots (the dev dumps — 6.1 and 6.12 kdump — analyzed
// once each, their Parquet copied under 2 projects × 10 machines × 5 snapshots), then p50/p95 of
// `memq hunt` over all bundled playbooks (whole store and one machine), of `memq ioc` for a fixed set
// of indicator values, and of `memq diff`. Printed, not asserted; peak RSS at the end.
// Run: npm run bench -- hunt   (aim: hunt < 5 s on 2 cores)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildFleetStore, FLEET, SOURCES } from './support/fleet-store';
import { openLocalStore, runQuery, type LocalStore } from '../lib/engine';
import type { Scope } from '../lib/query';
import { loadPlaybooks } from '../lib/hunt/loader';
import { platformsInScope, runHunt } from '../lib/hunt/runner';
import { searchIocs } from '../lib/ioc/search';
import { diffSnapshots } from '../lib/diff/snapshot-diff';
import { localSqlExecutor } from '../lib/ioc/local';

const { projects: PROJECTS, machines: MACHINES, snapshots: SNAPSHOTS } = FLEET;
const RUNS = Number(process.env.MEMQ_BENCH_RUNS ?? 7);

const iocSets: [string, string[]][] = [
  ['pool IP', ['10.9.8.7']],
  ['pool URL', ['stratum+tcp://10.9.8.7:3333']],
  ['process name', ['evil-miner']],
  ['path', ['/tmp/.hidden']],
  ['domain', ['badguy.example.com']],
  ['sha256', ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']],
  ['10 mixed', ['10.9.8.7', 'evil-miner', '/tmp/.hidden', 'kupdated', 'badguy.example.com', '198.51.100.7', 'fe80::1', 'powershell.exe', 'https://c2.example.net/x', 'd41d8cd98f00b204e9800998ecf8427e']],
];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeRuns(fn: () => Promise<unknown>, runs = RUNS): Promise<number[]> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}


async function hunt(store: LocalStore, scope: Scope, perQuery: number[]) {
  const playbooks = loadPlaybooks();
  return runHunt(async (text) => {
    const t = performance.now();
    const r = await runQuery(store, text, scope, { maxRows: 100_000 });
    perQuery.push(performance.now() - t);
    return { columns: r.columns.map((c) => c.name), rows: r.rows };
  }, playbooks, { platforms: platformsInScope(store.snapshots(), scope) });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hbench-'));
  try {
    const { analyzeMs, copyMs } = await buildFleetStore(dir);
    const store = openLocalStore(dir);
    const snapshots = store.snapshots().length;
    const nPlaybooks = loadPlaybooks().length;
    console.log(
      `store: ${snapshots} snapshots (${PROJECTS} projects × ${MACHINES} machines × ${SNAPSHOTS}), analyze ${analyzeMs.toFixed(0)} ms for ${SOURCES.length} dumps, copy ${copyMs.toFixed(0)} ms; ${RUNS} runs after 1 warm-up`,
    );

    console.log(`\nhunt (${nPlaybooks} playbooks)`);
    console.log(`${'scope'.padEnd(26)} ${'run'.padStart(4)} ${'fired'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'query p50'.padStart(10)} ${'query p95'.padStart(10)}`);
    for (const [name, scope] of [
      ['all 100 snapshots', {}],
      ['one machine (5 snapshots)', { projects: ['proj1'], machines: ['host-03'] }],
    ] as [string, Scope][]) {
      const perQuery: number[] = [];
      let fired = 0;
      let ran = 0;
      const times = await timeRuns(async () => {
        const rep = await hunt(store, scope, perQuery);
        fired = rep.fired;
        ran = rep.playbooks_run;
      });
      perQuery.sort((a, b) => a - b);
      console.log(
        `${name.padEnd(26)} ${String(ran).padStart(4)} ${String(fired).padStart(5)} ${pct(times, 50).toFixed(0).padStart(8)} ${pct(times, 95).toFixed(0).padStart(8)} ${pct(perQuery, 50).toFixed(1).padStart(10)} ${pct(perQuery, 95).toFixed(1).padStart(10)}`,
      );
    }

    console.log('\nioc (all 100 snapshots, every string column of every table)');
    console.log(`${'values'.padEnd(14)} ${'hits'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
    const exec = localSqlExecutor(store);
    const allIoc: number[] = [];
    for (const [name, values] of iocSets) {
      let hits = 0;
      const times = await timeRuns(async () => {
        hits = (await searchIocs(exec, values, { maxRowsPerTable: 100_000 })).hits.length;
      });
      allIoc.push(...times);
      console.log(`${name.padEnd(14)} ${String(hits).padStart(6)} ${pct(times, 50).toFixed(0).padStart(8)} ${pct(times, 95).toFixed(0).padStart(8)}`);
    }
    allIoc.sort((a, b) => a - b);
    console.log(`all ioc searches: p50 ${pct(allIoc, 50).toFixed(0)} ms, p95 ${pct(allIoc, 95).toFixed(0)} ms`);

    const a = { project: 'proj0', machine: 'host-00', snapshot: '2026-11-20' };
    const b = { project: 'proj0', machine: 'host-00', snapshot: '2026-11-21' };
    let entries = 0;
    const dt = await timeRuns(async () => {
      entries = (await diffSnapshots(exec, a, b)).entries.length;
    });
    console.log(`\ndiff 6.1 vs 6.12 snapshot: ${entries} entries, p50 ${pct(dt, 50).toFixed(0)} ms, p95 ${pct(dt, 95).toFixed(0)} ms`);
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

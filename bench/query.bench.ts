// Query benchmark: a local store of 100 snapshots (the dev dumps analyzed once each — 6.1 and 6.12
// kdump — then their Parquet copied under 2 projects × 10 machines × 5 snapshots), and p50/p95
// latency of a fixed set of queries on DuckDB, over all snapshots and scoped to one machine.
// Printed, not asserted. Run: npm run bench -- query   (aim: p50 < 100 ms on 2 cores)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildFleetStore, FLEET, SOURCES } from './support/fleet-store';
import { openLocalStore, runQuery } from '../lib/engine';
import type { Scope } from '../lib/query';

const { projects: PROJECTS, machines: MACHINES, snapshots: SNAPSHOTS } = FLEET;
const RUNS = Number(process.env.MEMQ_BENCH_RUNS ?? 11);

const queries: [string, string][] = [
  ['seed', 'process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"'],
  ['all processes', 'process'],
  ['W+X anon memory', 'process.vad_object.is_writable && process.vad_object.is_executable && process.vad_object.file_name == null'],
  ['LD_PRELOAD', 'process.env_object.name == "LD_PRELOAD"'],
  ['argv contains', 'process.process_object.argv contains "stratum+tcp://"'],
  ['regex on names', 'process.process_object.name imatches "^\\[?kworker" && !process.process_object.is_kernel_thread'],
  ['exe in tmp', 'process.process_object.exe_path matches "^/(tmp|dev/shm|var/tmp)/" || process.process_object.exe_deleted'],
  ['listeners', 'select socket.socket_object.local_port, socket.process_object.name where socket.socket_object.state == "LISTEN"'],
  ['shell + socket', 'process.process_object.name in ["bash", "sh", "nc"] && process.socket_object.family in ["AF_INET", "AF_INET6"]'],
  ['exec mappings', 'select process.process_object.process_id, process.vad_object.start, process.vad_object.file_name where process.vad_object.is_executable'],
  ['hidden modules', 'module.module_object.hidden || !module.module_object.in_module_list'],
  ['hooked syscalls', 'syscall.syscall_object.hooked'],
  ['kernel log', 'kernel_log.log_object.message icontains "error"'],
];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-qbench-'));
  try {
    const { analyzeMs, copyMs } = await buildFleetStore(dir);

    const snapshots = openLocalStore(dir).snapshots().length;
    console.log(`store: ${snapshots} snapshots (${PROJECTS} projects × ${MACHINES} machines × ${SNAPSHOTS}), analyze ${analyzeMs.toFixed(0)} ms for ${SOURCES.length} dumps, copy ${copyMs.toFixed(0)} ms; ${RUNS} runs per query after 1 warm-up`);
    for (const mode of ['files', 'memory'] as const) {
      const store = openLocalStore(dir, { cache: mode === 'memory' });
      const t0 = performance.now();
      await runQuery(store, 'process limit 1');
      console.log(`\n##### store mode: ${mode === 'files' ? 'Parquet files read by each query' : 'tables loaded into DuckDB memory (REPL, hunt, server)'}`);
      console.log(`first query (DuckDB start + ${mode === 'files' ? 'views' : 'loading every table'}): ${(performance.now() - t0).toFixed(0)} ms`);
      await timeQueries(store);
      store.close();
    }
    console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function timeQueries(store: ReturnType<typeof openLocalStore>): Promise<void> {
  {
    const scopes: [string, Scope][] = [
      ['all 100 snapshots', {}],
      ['one machine (5 snapshots)', { projects: ['proj1'], machines: ['host-03'] }],
    ];
    const all: number[] = [];
    for (const [scopeName, scope] of scopes) {
      console.log(`\n${scopeName}`);
      // cpu = process CPU time (all DuckDB threads) per run: wall minus cpu is waiting, e.g. for
      // cores other processes hold on a shared machine
      console.log(`${'query'.padEnd(18)} ${'rows'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'cpu p50'.padStart(8)}`);
      for (const [name, q] of queries) {
        const first = await runQuery(store, q, scope, { maxRows: 1_000_000 });
        const times: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const t = performance.now();
          const c = process.cpuUsage();
          await runQuery(store, q, scope, { maxRows: 1_000_000 });
          times.push(performance.now() - t);
          const d = process.cpuUsage(c);
          cpu.push((d.user + d.system) / 1000);
        }
        times.sort((a, b) => a - b);
        cpu.sort((a, b) => a - b);
        all.push(...times);
        console.log(`${name.padEnd(18)} ${String(first.rows.length).padStart(6)} ${pct(times, 50).toFixed(1).padStart(8)} ${pct(times, 95).toFixed(1).padStart(8)} ${pct(cpu, 50).toFixed(1).padStart(8)}`);
      }
    }
    all.sort((a, b) => a - b);
    console.log(`\nall queries: p50 ${pct(all, 50).toFixed(1)} ms, p95 ${pct(all, 95).toFixed(1)} ms`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

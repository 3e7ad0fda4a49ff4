// Cloud pipeline benchmark on the real dev kdump: the real planner's shard plan, then every shard run
// the way a cold Lambda runs it (fresh engine each time: open + kernel discovery + extraction), with
// reads counted through a 1 MiB block cache exactly like the S3 source's (a cache miss = one S3
// ranged GET). Prints per-shard time, GETs and Parquet bytes, peak RSS, and the plan of a 64 GiB dump
// extrapolated from these measurements (assumptions printed). marketplace/scale.md quotes this output.
// Run: npm run bench -- pipeline
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlockCache, FileSource, type ByteSource } from '../lib/image/byte-source';
import { openSource } from '../lib/image/open';
import { openEngine } from '../lib/os/open';
import { analyzeTables } from '../lib/store/analyze';
import { defaultLimits, planShards, summarizePlan, isProcessKeyed, type ShardSpec } from '../lib/pipeline/plan';
import type { TableName } from '../lib/model';

const DUMP = path.resolve(__dirname, '../../shared/images/linux-dev/memory.kdump');
const GiB = 1024 ** 3;

/** Counts underlying reads (S3 GETs when the inner source is S3) below a 1 MiB block cache. */
class Counting implements ByteSource {
  gets = 0;
  bytes = 0;
  constructor(private readonly inner: ByteSource) {}
  get size() {
    return this.inner.size;
  }
  get name() {
    return this.inner.name;
  }
  readInto(o: number, t: Uint8Array, to: number, n: number): number {
    this.gets++;
    const r = this.inner.readInto(o, t, to, n);
    this.bytes += r;
    return r;
  }
  close() {
    this.inner.close();
  }
}

function openCounted(): { counter: Counting; open: (hints?: Record<string, number | string>) => ReturnType<typeof openEngine> } {
  const counter = new Counting(new FileSource(DUMP));
  return { counter, open: (hints) => openEngine(openSource(new BlockCache(counter, 1 << 20, 256 << 20)), { hints }) };
}

async function main() {
  const size = fs.statSync(DUMP).size;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-pipe-'));
  // plan with the real planner
  const probe = openCounted();
  let t = performance.now();
  const eng0 = probe.open();
  const openMs = performance.now() - t;
  const procs = eng0.processCount();
  const engTables = [...eng0.tables];
  const hints = eng0.discoveryHints?.() ?? {}; // the real plan step hands these to every shard
  eng0.mem.close();
  const shards = planShards(engTables, procs, size);
  console.log(`dev kdump: ${(size / 1e6).toFixed(1)} MB, ${procs} processes, engine tables: ${engTables.length}`);
  console.log(`engine open (format + kernel discovery): ${openMs.toFixed(0)} ms, ${probe.counter.gets} GETs, ${(probe.counter.bytes / 1e6).toFixed(1)} MB read`);
  console.log(`plan (defaultLimits): ${shards.length} shards`, summarizePlan(shards));

  const per: { s: ShardSpec; ms: number; extractMs: number; gets: number; mb: number; parquet: number; rows: number }[] = [];
  for (const s of shards) {
    if (s.kind === 'hash') {
      const c = new Counting(new FileSource(DUMP));
      const t0 = performance.now();
      const h = require('node:crypto').createHash('sha256');
      const buf = Buffer.allocUnsafe(8 << 20);
      for (let p = s.byteRange[0]; p < s.byteRange[1]; ) {
        const n = c.readInto(p, buf, 0, Math.min(buf.length, s.byteRange[1] - p));
        h.update(buf.subarray(0, n));
        p += n;
      }
      h.digest();
      per.push({ s, ms: performance.now() - t0, extractMs: performance.now() - t0, gets: c.gets, mb: c.bytes / 1e6, parquet: 0, rows: 0 });
      continue;
    }
    const o = openCounted();
    const t0 = performance.now();
    const eng = o.open(hints);
    const t1 = performance.now();
    const { counts } = await analyzeTables(eng, tmp, [s.table], { processRange: s.processRange, fileName: () => `${s.id}.parquet` });
    const t2 = performance.now();
    eng.mem.close();
    per.push({ s, ms: t2 - t0, extractMs: t2 - t1, gets: o.counter.gets, mb: o.counter.bytes / 1e6, parquet: fs.statSync(path.join(tmp, `${s.id}.parquet`)).size, rows: counts[s.table] ?? 0 });
  }
  console.log('\nshard                    total ms  extract ms   GETs   MB read   rows  parquet KB');
  for (const p of per) {
    console.log(`${p.s.id.padEnd(24)} ${p.ms.toFixed(0).padStart(8)} ${p.extractMs.toFixed(0).padStart(11)} ${String(p.gets).padStart(6)} ${p.mb.toFixed(1).padStart(9)} ${String(p.rows).padStart(6)} ${(p.parquet / 1024).toFixed(1).padStart(11)}`);
  }
  const sum = (f: (p: (typeof per)[number]) => number) => per.reduce((a, p) => a + f(p), 0);
  const totalMs = sum((p) => p.ms);
  const gets = sum((p) => p.gets);
  const parquet = sum((p) => p.parquet);
  console.log(`\ntotal shard time ${(totalMs / 1000).toFixed(1)} s, ${gets} GETs, Parquet ${(parquet / 1024).toFixed(0)} KB; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

  // shards open with the probe's discovery hints: their open cost, not the probe's cold one, repeats
  const tableShards = per.filter((p) => p.s.kind === 'table');
  const shardOpenMs = tableShards.reduce((a, p) => a + (p.ms - p.extractMs), 0) / Math.max(1, tableShards.length);
  // ---- extrapolation to a 64 GiB dump (assumptions stated, inputs measured above)
  const P64 = Number(process.env.MEMQ_BENCH_PROCS_64G ?? 2000);
  const big = planShards(engTables, P64, 64 * GiB);
  const extractPerProc = new Map<TableName, number>();
  for (const tname of engTables) {
    const ps = per.filter((p) => p.s.kind === 'table' && p.s.table === tname);
    extractPerProc.set(tname, ps.reduce((a, p) => a + p.extractMs, 0) / Math.max(1, isProcessKeyed(tname) ? procs : 1));
  }
  const memGB = 4; // shard Lambda memory (lib/infra/pipeline.ts)
  const hashMBps = (sum((p) => (p.s.kind === 'hash' ? p.mb : 0)) / Math.max(1e-3, sum((p) => (p.s.kind === 'hash' ? p.ms : 0)))) * 1000;
  const s3MBps = Number(process.env.MEMQ_BENCH_S3_MBPS ?? 90); // assumed single-stream S3 GET throughput in Lambda
  let lambdaS = 0;
  let maxShardS = 0;
  let bigGets = 0;
  for (const s of big) {
    let sec: number;
    if (s.kind === 'hash') {
      const mb = (s.byteRange[1] - s.byteRange[0]) / 1e6;
      sec = mb / Math.min(hashMBps, s3MBps);
      bigGets += Math.ceil((s.byteRange[1] - s.byteRange[0]) / (8 << 20));
    } else {
      const n = s.processRange ? Math.min(s.processRange[1], P64) - s.processRange[0] : 1;
      // open cost scales with neither dump size nor process count (kernel discovery reads symbols/BTF)
      sec = shardOpenMs / 1000 + ((extractPerProc.get(s.table) ?? 0) * (isProcessKeyed(s.table) ? n : 1)) / 1000;
      const getsPerShard = per.find((p) => p.s.kind === 'table' && p.s.table === s.table)?.gets ?? 0;
      bigGets += getsPerShard * (isProcessKeyed(s.table) ? Math.max(1, n / Math.max(1, procs)) : 1);
    }
    lambdaS += sec;
    maxShardS = Math.max(maxShardS, sec);
  }
  const gbS = lambdaS * memGB;
  const cost = { lambda: gbS * 0.0000166667, requests: big.length * 0.0000002 + (big.length * 4 * 0.000025), s3: bigGets * 0.0000004 };
  console.log(`\n64 GiB extrapolation (assumptions: ${P64} processes, per-process extraction time as measured, probe open ${openMs.toFixed(0)} ms once, hinted shard open ${shardOpenMs.toFixed(0)} ms each, S3 ${s3MBps} MB/s per stream, ${memGB} GB shard Lambdas):`);
  console.log(`  plan: ${big.length} shards`, summarizePlan(big));
  console.log(`  longest shard ≈ ${maxShardS.toFixed(0)} s (Lambda limit 900 s); total ≈ ${(lambdaS / 60).toFixed(1)} Lambda-minutes = ${gbS.toFixed(0)} GB-s`);
  console.log(`  ≈ ${bigGets.toFixed(0)} S3 GETs; cost ≈ $${cost.lambda.toFixed(3)} Lambda + $${cost.requests.toFixed(4)} invocations/state transitions + $${cost.s3.toFixed(4)} S3 GETs`);
  console.log(`  Parquet per snapshot ≈ ${((parquet / procs) * P64 / 1e6).toFixed(1)} MB if output scales with processes → a full-scan hunt reads ≈ that (Athena $5/TB: $${(((parquet / procs) * P64) / 1e12 * 5).toFixed(5)})`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

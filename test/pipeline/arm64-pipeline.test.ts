// The cloud path on an ARM64 dump (issue #18): the arm64 dev kdump goes through the pipeline steps
// the Lambdas run — probe → plan (in a cold container, with the probe's hints) → every shard (some in
// cold containers) → finalize — against in-memory ports. The independent truth is `memq analyze` of
// the same dump on local disk: every table's rows in the lake equal the local Parquet's rows, and the
// process count equals the guest's ground truth. The Lambdas themselves stay x86-64 (README).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { FileSource } from '../../lib/image/byte-source';
import { closeCachedEngine, finalize, plan, probe, runShard, type SnapshotJob } from '../../lib/pipeline/steps';
import { defaultLimits, type ShardSpec } from '../../lib/pipeline/plan';
import { partitionPrefix, shardItemsKey } from '../../lib/pipeline/keys';
import type { PipelineDeps } from '../../lib/pipeline/ports';
import { analyzeToDirectory, type SnapshotManifest } from '../../lib/store/analyze';
import { tableNames } from '../../lib/model';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);
process.env.MEMQ_LOG = 'off';

const DIR = path.join(IMAGES, 'linux-dev-arm64');
const KDUMP = path.join(DIR, 'memory.kdump');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const ORG = 'o';
const PROJECT = 'p';
const MACHINE = 'graviton';

/** the ports the steps need, in memory: a lake bucket, the dump on disk as the "S3 object", a metadata record */
function memoryDeps(tmp: string): { deps: PipelineDeps; lake: Map<string, Buffer>; registered: string[][] } {
  const lake = new Map<string, Buffer>();
  const registered: string[][] = [];
  const records = new Map<string, Record<string, unknown>>([['snapshot:s1', { id: 's1', org_id: ORG, project_id: PROJECT, machine_id: MACHINE, status: 'analyzing' }]]);
  const deps = {
    lake: {
      bucket: 'lake',
      put: async (k: string, b: Uint8Array | string) => void lake.set(k, Buffer.from(b)),
      getText: async (k: string) => lake.get(k)?.toString('utf8') ?? null,
      list: async (prefix: string) => [...lake.keys()].filter((k) => k.startsWith(prefix)),
      delete: async (keys: readonly string[]) => keys.forEach((k) => lake.delete(k)),
    },
    dumps: { head: async () => ({ size: fs.statSync(KDUMP).size, etag: 'e', metadata: {} }), open: () => new FileSource(KDUMP) },
    repo: {
      get: async (kind: string, id: string) => (records.has(`${kind}:${id}`) ? { ...records.get(`${kind}:${id}`) } : null),
      put: async (kind: string, rec: Record<string, unknown>) => void records.set(`${kind}:${rec.id}`, rec),
    },
    partitions: { register: async (tables: readonly string[]) => void registered.push([...tables]) },
    usage: { record: async () => true },
    tmpDir: tmp,
    // small process ranges so the 53 arm64 processes span several shards per process-keyed table
    limits: { ...defaultLimits, processesPerShard: 20, processesPerShardByTable: {}, hashPartBytes: 8 << 20 },
  } as unknown as PipelineDeps;
  return { deps, lake, registered };
}

describe('pipeline steps on the arm64 dev kdump', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-a64-pipe-'));
  let local: SnapshotManifest;
  const localDir = path.join(tmp, 'local');
  const { deps, lake, registered } = memoryDeps(tmp);
  const job: SnapshotJob = { snapshot: 's1', org: ORG, project: PROJECT, machine: MACHINE, bucket: 'dumps', key: `dumps/${ORG}/${PROJECT}/${MACHINE}/memory.kdump`, size: fs.statSync(KDUMP).size };
  let shards: ShardSpec[];

  beforeAll(async () => {
    local = await analyzeToDirectory(KDUMP, localDir);
  });
  afterAll(() => {
    closeCachedEngine();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('probe recognises arm64 Linux; plan in a cold container shards it like any dump', async () => {
    const probed = await probe(deps, job);
    expect(probed.probe).toMatchObject({ os: 'linux', format: 'kdump', kernel: gt.kernel.release });
    expect(probed.probe.info.arch).toBe('arm64');
    expect(BigInt(probed.probe.info.kimage_voffset as string)).toBe(BigInt(gt.kernel.arm64.kimage_voffset));
    expect(probed.probe.hints?.vmcoreinfo_paddr).toEqual(expect.any(Number));
    const payload = JSON.parse(JSON.stringify(probed)) as typeof probed; // a Step Functions payload
    closeCachedEngine();
    const planned = await plan(deps, payload);
    shards = JSON.parse(lake.get(shardItemsKey(job.snapshot))!.toString('utf8'));
    expect(shards).toHaveLength(planned.shardCount);
    expect(shards.filter((s) => s.kind === 'table' && s.table === 'vma').map((s) => (s.kind === 'table' ? s.processRange : null))).toEqual([[0, 20], [20, 40], [40, 2 ** 31 - 1]]);
    expect(shards.filter((s) => s.kind === 'hash')).toHaveLength(Math.ceil(job.size / (8 << 20)));
    for (const s of shards) if (s.kind === 'table') expect(s.hints).toEqual(payload.probe.hints);
  });

  test('every shard (every third in a cold container), then finalize: lake rows equal memq analyze rows', async () => {
    let i = 0;
    for (const shard of shards) {
      if (i++ % 3 === 0) closeCachedEngine();
      await runShard(deps, { job, shard });
    }
    const fin = await finalize(deps, { job });
    expect(fin.counts.process).toBe(gt.processes.length);
    expect(fin.counts).toEqual(Object.fromEntries(Object.entries(local.counts).filter(([t]) => fin.counts[t] !== undefined)));
    expect(registered).toEqual([[...tableNames]]);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const t of tableNames) {
        const files: string[] = [];
        for (const k of [...lake.keys()].filter((k) => k.startsWith(partitionPrefix(t, { project: PROJECT, machine: MACHINE, snapshot: job.snapshot })))) {
          const f = path.join(tmp, 'cloud', k);
          fs.mkdirSync(path.dirname(f), { recursive: true });
          fs.writeFileSync(f, lake.get(k)!);
          files.push(f);
        }
        const localFile = path.join(localDir, `${t}.parquet`);
        const localRows = Number((await (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${localFile}')`)).getRows())[0]![0]);
        if (!files.length) {
          expect([t, localRows]).toEqual([t, 0]);
          continue;
        }
        const list = `[${files.map((f) => `'${f}'`).join(', ')}], hive_partitioning = false`;
        const cloudRows = Number((await (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${list})`)).getRows())[0]![0]);
        const missing = Number((await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM read_parquet('${localFile}') EXCEPT ALL SELECT * FROM read_parquet(${list}))`)).getRows()[0]![0]);
        const extra = Number((await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM read_parquet(${list}) EXCEPT ALL SELECT * FROM read_parquet('${localFile}'))`)).getRows()[0]![0]);
        expect({ t, cloudRows, missing, extra }).toEqual({ t, cloudRows: localRows, missing: 0, extra: 0 });
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    // the manifest keeps the arm64 facts the probe found
    const manifest = JSON.parse(lake.get([...lake.keys()].find((k) => k.startsWith('_manifests/') && k.endsWith('manifest.json'))!)!.toString('utf8'));
    expect(manifest.info.arch).toBe('arm64');
    expect(manifest.dump.format).toBe('kdump');
  });
});

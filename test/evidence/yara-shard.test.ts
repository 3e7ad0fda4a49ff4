// YARA in the cloud pipeline: the planner's yara_match shard (one for the whole dump: the table is not
// process-keyed) runs the job's rules with the same runShard() the shard Lambda runs — here over the
// rootkit-dev kdump through in-memory ports — and stores the matches as the shard's Parquet; a job
// without rules stores none, and a broken rule fails the shard with its line and column.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planShards } from '../../lib/pipeline/plan';
import { ingest, runShard, type SnapshotJob } from '../../lib/pipeline/steps';
import { dumpKey, shardObjectKey, shardResultKey } from '../../lib/pipeline/keys';
import type { ObjectStore, PipelineDeps } from '../../lib/pipeline/ports';
import { FileSource } from '../../lib/image/byte-source';
import { closeCachedEngine } from '../../lib/pipeline/steps';
import { tableNames } from '../../lib/model';
import { openDump } from '../../lib/os/open';
import { compileRules } from '../../lib/yara/engine';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);

const DUMP = path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump');
const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, 'linux-dev-rootkit', 'ground-truth.json'), 'utf8'));

class MemoryLake implements ObjectStore {
  readonly bucket = 'lake';
  readonly objects = new Map<string, Uint8Array | string>();
  async put(key: string, body: Uint8Array | string): Promise<void> {
    this.objects.set(key, body);
  }
  async getText(key: string): Promise<string | null> {
    const o = this.objects.get(key);
    return o === undefined ? null : String(o);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-yara-shard-'));
});
afterAll(() => {
  closeCachedEngine();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function deps(lake: MemoryLake): PipelineDeps {
  return {
    lake,
    dumps: { head: async () => ({ size: fs.statSync(DUMP).size, etag: 'e', metadata: {} }), open: () => new FileSource(DUMP) },
    repo: {} as PipelineDeps['repo'],
    partitions: { register: async () => undefined },
    usage: { record: async () => true },
    tmpDir: tmp,
  };
}

const job = (yara_rules?: string): SnapshotJob => ({ snapshot: 'snp1', org: 'o', project: 'p', machine: 'm', bucket: 'dumps', key: 'k', size: fs.statSync(DUMP).size, ...(yara_rules ? { yara_rules } : {}) });
const partition = { project: 'p', machine: 'm', snapshot: 'snp1' };

test('the planner gives yara_match one shard for the whole dump', () => {
  const shards = planShards(tableNames, 63, fs.statSync(DUMP).size);
  expect(shards.filter((s) => s.kind === 'table' && s.table === 'yara_match').map((s) => s.id)).toEqual(['yara_match-all']);
});

test("the yara_match shard runs the job's rules: the keylogger buffer in the hidden module, the miner's heap marker", async () => {
  const shard = planShards(tableNames, 63, fs.statSync(DUMP).size).find((s) => s.id === 'yara_match-all')!;
  const lake = new MemoryLake();
  const rules = 'rule keylog { strings: $k = "memqdevkeylog42" condition: $k }\nrule heap { strings: $h = "MEMQ-HEAP:wallet" condition: $h }\n';
  const r = await runShard(deps(lake), { job: job(rules), shard });
  const result = JSON.parse(String(lake.objects.get(shardResultKey('snp1', shard.id))));
  expect(result.table).toBe('yara_match');
  expect(result.rows).toBe(r.rows);
  const parquet = lake.objects.get(shardObjectKey('yara_match', partition, shard.id)) as Uint8Array;
  expect(Buffer.from(parquet).subarray(0, 4).toString()).toBe('PAR1');
  // the rows themselves: the same table the local path writes (read back through DuckDB in yara-store.test.ts);
  // here their count equals the local extraction's over the same dump and rules
  const eng = await openDump(DUMP);
  const scanner = await compileRules([{ name: 'job.yar', text: rules }]);
  try {
    const local = eng.extract('yara_match', { yara: { scanner } });
    expect(r.rows).toBe(local.length);
    expect(local.some((x) => x.rule === 'keylog' && x.module_name === gt.rootkit.module.name)).toBe(true);
    expect(local.some((x) => x.rule === 'heap' && x.process_id === gt.roles.evil_miner && x.file_name === '[heap]')).toBe(true);
  } finally {
    scanner.free();
    eng.mem.close();
  }
});

test('without rules the shard stores nothing; a broken rule fails it with line and column', async () => {
  const shard = planShards(tableNames, 63, fs.statSync(DUMP).size).find((s) => s.id === 'yara_match-all')!;
  const lake = new MemoryLake();
  expect((await runShard(deps(lake), { job: job(), shard })).rows).toBe(0);
  expect(lake.objects.has(shardObjectKey('yara_match', partition, shard.id))).toBe(false);
  await expect(runShard(deps(lake), { job: job('rule x {\n  condition: $a\n}'), shard })).rejects.toThrow(/YARA rules job\.yar: line 2, column 14/);
});

test("ingest of an API upload puts the snapshot's YARA rules (POST /snapshots yara_rules) into the job", async () => {
  const rules = 'rule keylog { strings: $k = "memqdevkeylog42" condition: $k }';
  const snap = { id: 'snp1', org_id: 'o', project_id: 'p', machine_id: 'm', yara_rules: rules };
  const records = new Map<string, unknown>([['snp1', snap]]);
  const d = deps(new MemoryLake());
  d.repo = { get: async (_kind: string, id: string) => records.get(id) ?? null, put: async (_kind: string, v: { id: string }) => void records.set(v.id, v) } as unknown as PipelineDeps['repo'];
  const started: SnapshotJob[] = [];
  const key = dumpKey({ org: 'o', project: 'p', machine: 'm', snapshot: 'snp1', file: 'memory.kdump' });
  const r = await ingest(d, { bucket: 'dumps', key, versionOrEtag: 'v1' }, async (_name, j) => (started.push(j), true));
  expect(r.started).toBe(true);
  expect(started.map((j) => [j.snapshot, j.yara_rules])).toEqual([['snp1', rules]]);
});

// End-to-end run of the pipeline Lambda handlers (lambdas/pipeline.ts) in order — ingest → probe →
// plan → every shard → finalize — with real SDK v3 clients against s3rver (the real dev kdump, read
// by S3 ranged GETs) and dynalite; Glue and Step Functions are mocked (aws-sdk-client-mock). The
// independent truth is `memq analyze` of the same dump on local disk: every table's rows in the lake
// must equal the local Parquet's rows, and a retried shard must not add rows.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GlueClient, BatchCreatePartitionCommand } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { DuckDBInstance } from '@duckdb/node-api';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { imagesAvailable, describeWithImages, dumpPath } from '../support/dumps';
import { startDynamo, startS3, credentials, type LocalDynamo, type LocalS3 } from './local-aws';
import { DynamoRepository, createTableInput } from '../../lib/platform/dynamo-repository';
import { GluePartitionRegistrar, S3DumpReader, S3ObjectStore } from '../../lib/pipeline/aws';
import { DynamoUsageSink, usageCreateTableInput } from '../../lib/pipeline/usage-table';
import { s3DumpOpener } from '../../lib/pipeline/s3-dump';
import { closeCachedEngine, type SnapshotJob } from '../../lib/pipeline/steps';
import { defaultLimits, type ShardSpec } from '../../lib/pipeline/plan';
import { partitionPrefix, shardItemsKey } from '../../lib/pipeline/keys';
import { analyzeToDirectory, type SnapshotManifest } from '../../lib/store/analyze';
import { tableNames } from '../../lib/model';
import * as handlers from '../../lambdas/pipeline';

process.env.MEMQ_LOG = 'off';
const ORG = 'org_test';
const PROJECT = 'prj_test';
const MACHINE = 'mch_dev';
const KEY = `dumps/${ORG}/${PROJECT}/${MACHINE}/memory.kdump`;
// small ranges so the dev dump (54 processes, 28 MB) exercises process-range and byte-range shards
const limits = { ...defaultLimits, processesPerShard: 20, processesPerShardByTable: {}, hashPartBytes: 8 << 20 };

const run = describeWithImages;

run('pipeline handlers end to end on the real dev kdump', () => {
  let s3: LocalS3;
  let ddb: LocalDynamo;
  let kdump: string;
  let localDir: string;
  let local: SnapshotManifest;
  const glue = mockClient(GlueClient);
  const sfn = mockClient(SFNClient);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-pipe-'));

  beforeAll(async () => {
    kdump = await dumpPath('6.1', 'memory.kdump');
    localDir = path.join(tmp, 'local');
    local = await analyzeToDirectory(kdump, localDir);
    s3 = await startS3(['dumps', 'lake']);
    ddb = await startDynamo();
    await ddb.client.send(new CreateTableCommand(createTableInput('meta')));
    await ddb.client.send(new CreateTableCommand(usageCreateTableInput('usage')));
    await s3.client.send(new PutObjectCommand({ Bucket: 'dumps', Key: KEY, Body: fs.createReadStream(kdump), ContentLength: fs.statSync(kdump).size, Metadata: { 'memq-user': 'usr_1' } }));
    const repo = new DynamoRepository(ddb.client, 'meta');
    const at = new Date().toISOString();
    await repo.put('org', { id: ORG, name: 'Test org', created_at: at });
    await repo.put('project', { id: PROJECT, org_id: ORG, name: 'IR', description: '', created_by: 'usr_1', created_at: at });
    glue.on(BatchCreatePartitionCommand).resolves({ Errors: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111111111111:execution:sm:x', startDate: new Date() });
    handlers.setDeps(
      {
        lake: new S3ObjectStore(s3.client, 'lake'),
        dumps: new S3DumpReader(s3.client, s3DumpOpener({ endpoint: s3.endpoint, forcePathStyle: true, credentials, region: 'us-east-1' })),
        repo,
        partitions: new GluePartitionRegistrar(new GlueClient({ region: 'us-east-1' }), 'memq_db', 'lake'),
        usage: new DynamoUsageSink(ddb.client, 'usage'),
        tmpDir: tmp,
        limits,
      },
      new SFNClient({ region: 'us-east-1' }),
    );
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:sm';
  }, 180000);

  afterAll(async () => {
    handlers.setDeps(undefined);
    closeCachedEngine();
    s3?.stop();
    await ddb?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const event = (etag: string) => ({ detail: { bucket: { name: 'dumps' }, object: { key: KEY, etag } } });
  let job: SnapshotJob;
  let shards: ShardSpec[];

  test('ingest: one snapshot and one execution name per object; a failed start is completed by the retry', async () => {
    // the first delivery creates the record, then StartExecution fails (throttled): the retry must start it
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handlers.ingest(event('abc123'))).rejects.toThrow('Rate exceeded');
    const first = await handlers.ingest(event('abc123'));
    expect(first.started).toBe(true);
    // a redelivered event names the same execution (Step Functions deduplicates by name)
    const again = await handlers.ingest(event('abc123'));
    expect(again.snapshot).toBe(first.snapshot);
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.args[0].input.name))).toEqual(new Set([first.snapshot]));
    job = JSON.parse(calls[0]!.args[0].input.input!).job;
    expect(job).toMatchObject({ org: ORG, project: PROJECT, machine: MACHINE, bucket: 'dumps', key: KEY, size: fs.statSync(kdump).size });
    // a dump under a project of another org is not analyzed
    const foreign = await handlers.ingest({ detail: { bucket: { name: 'dumps' }, object: { key: `dumps/org_other/${PROJECT}/${MACHINE}/x.raw`, etag: 'e' } } });
    expect(foreign.started).toBe(false);
  });

  test('probe finds the kernel through S3 ranged reads; plan shards by table, process range and byte range', async () => {
    const p = await handlers.probe({ job });
    expect(p.probe).toMatchObject({ os: 'linux', format: 'kdump', kernel: local.kernel });
    const planned = await handlers.plan(p);
    expect(planned.itemsKey).toBe(shardItemsKey(job.snapshot));
    const body = await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: planned.itemsKey }))).Body!.transformToString();
    shards = JSON.parse(body);
    expect(shards).toHaveLength(planned.shardCount);
    // 54 processes in ranges of 20 → 3 ranges per process-keyed table; 28 MB in 8 MiB parts → 4 hash shards
    const procRanges = shards.filter((s) => s.kind === 'table' && s.table === 'vma');
    expect(procRanges.map((s) => (s.kind === 'table' ? s.processRange : null))).toEqual([[0, 20], [20, 40], [40, 2 ** 31 - 1]]);
    expect(shards.filter((s) => s.kind === 'hash')).toHaveLength(Math.ceil(fs.statSync(kdump).size / (8 << 20)));
    expect(shards.some((s) => s.kind === 'table' && s.table === 'syscall' && !s.processRange)).toBe(true);
  }, 120000);

  test('every shard, one of them twice (a retry), then finalize: lake rows equal memq analyze rows', async () => {
    for (const shard of shards) await handlers.shard({ job, shard });
    // the retry runs in a "fresh container": no cached engine
    closeCachedEngine();
    const retried = shards.find((s) => s.kind === 'table' && s.table === 'process')!;
    await handlers.shard({ job, shard: retried });
    // an object an earlier, differently planned attempt left in the partition is removed by finalize
    const staleKey = `${partitionPrefix('process', { project: PROJECT, machine: MACHINE, snapshot: job.snapshot })}part-stale.parquet`;
    await s3.client.send(new PutObjectCommand({ Bucket: 'lake', Key: staleKey, Body: fs.readFileSync(path.join(localDir, 'process.parquet')) }));
    const fin = await handlers.finalize({ job });
    expect(fin.counts).toEqual(Object.fromEntries(Object.entries(local.counts).filter(([t]) => fin.counts[t] !== undefined)));

    // download each table's partition and compare with the local Parquet as multisets of rows
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      for (const t of tableNames) {
        const keys = await new S3ObjectStore(s3.client, 'lake').list(partitionPrefix(t, { project: PROJECT, machine: MACHINE, snapshot: job.snapshot }));
        const files: string[] = [];
        for (const k of keys) {
          const f = path.join(tmp, 'cloud', k);
          fs.mkdirSync(path.dirname(f), { recursive: true });
          const bytes = await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: k }))).Body!.transformToByteArray();
          fs.writeFileSync(f, bytes);
          files.push(f);
        }
        const localFile = path.join(localDir, `${t}.parquet`);
        const localRows = Number((await (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${localFile}')`)).getRows())[0]![0]);
        if (!files.length) {
          expect([t, localRows]).toEqual([t, 0]);
          continue;
        }
        // hive_partitioning off: compare the files' own columns (partition values live in the path)
        const list = `[${files.map((f) => `'${f}'`).join(', ')}], hive_partitioning = false`;
        const cloudRows = Number((await (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${list})`)).getRows())[0]![0]);
        const missing = (await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM read_parquet('${localFile}') EXCEPT ALL SELECT * FROM read_parquet(${list}))`)).getRows()[0]![0];
        const extra = (await conn.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM read_parquet(${list}) EXCEPT ALL SELECT * FROM read_parquet('${localFile}'))`)).getRows()[0]![0];
        expect({ t, cloudRows, missing: Number(missing), extra: Number(extra) }).toEqual({ t, cloudRows: localRows, missing: 0, extra: 0 });
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  }, 300000);

  test('finalize recorded status, counts, manifest hash, partitions and one usage record', async () => {
    const repo = new DynamoRepository(ddb.client, 'meta');
    const snap = (await repo.get('snapshot', job.snapshot))!;
    expect(snap).toMatchObject({ status: 'ready', os: 'linux', kernel: local.kernel, org_id: ORG, project_id: PROJECT, machine_id: MACHINE, created_by: 'usr_1' });
    expect(snap.counts.process).toBe(local.counts.process);
    // manifest hash: SHA-256 over 8 MiB parts combined — recomputed here from the local file
    const data = fs.readFileSync(kdump);
    const parts = [];
    for (let o = 0; o < data.length; o += 8 << 20) parts.push(crypto.createHash('sha256').update(data.subarray(o, o + (8 << 20))).digest());
    const tree = `sha256-tree-${8 << 20}:${crypto.createHash('sha256').update(Buffer.concat(parts)).digest('hex')}`;
    const manifestKey = `_manifests/project=${PROJECT}/machine=${MACHINE}/snapshot=${job.snapshot}/manifest.json`;
    const manifest = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: manifestKey }))).Body!.transformToString());
    expect(manifest.dump).toMatchObject({ sha256: tree, size: data.length, format: 'kdump' });
    const calls = glue.commandCalls(BatchCreatePartitionCommand);
    expect(new Set(calls.map((c) => c.args[0].input.TableName))).toEqual(new Set(tableNames));
    for (const c of calls) expect(c.args[0].input.PartitionInputList![0]!.Values).toEqual([PROJECT, MACHINE, job.snapshot]);
    const usage = await DynamoDBDocumentClient.from(ddb.client).send(new GetCommand({ TableName: 'usage', Key: { pk: `usage#${job.snapshot}` } }));
    expect(usage.Item).toMatchObject({ org: ORG, bytes: data.length, pending: 'PENDING' });
    // finalize again (Step Functions retry): same outcome, usage still recorded once
    await handlers.finalize({ job });
    expect((await repo.get('snapshot', job.snapshot))!.counts).toEqual(snap.counts);
  }, 120000);

  // issue 13, item 4: a dump cut at 97% — the shards skip the objects on the lost pages (warnings in the
  // manifest) instead of failing; the snapshot is ready with every process
  test('a kdump cut at 97%: the shards skip unreadable objects, the manifest records them, the snapshot is ready', async () => {
    const cutKey = `dumps/${ORG}/${PROJECT}/${MACHINE}/cut.kdump`;
    const whole = fs.readFileSync(kdump);
    const cut = whole.subarray(0, Math.floor(whole.length * 0.97));
    await s3.client.send(new PutObjectCommand({ Bucket: 'dumps', Key: cutKey, Body: cut, ContentLength: cut.length, Metadata: { 'memq-user': 'usr_1' } }));
    const before = sfn.commandCalls(StartExecutionCommand).length;
    expect((await handlers.ingest({ detail: { bucket: { name: 'dumps' }, object: { key: cutKey, etag: 'cut1' } } })).started).toBe(true);
    const cutJob: SnapshotJob = JSON.parse(sfn.commandCalls(StartExecutionCommand)[before]!.args[0].input.input!).job;
    const planned = await handlers.plan(await handlers.probe({ job: cutJob }));
    const items: ShardSpec[] = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: planned.itemsKey }))).Body!.transformToString());
    for (const shard of items) await handlers.shard({ job: cutJob, shard });
    closeCachedEngine();
    await handlers.finalize({ job: cutJob });
    const snap = (await new DynamoRepository(ddb.client, 'meta').get('snapshot', cutJob.snapshot))!;
    expect(snap).toMatchObject({ status: 'ready' });
    expect(snap.counts.process).toBe(local.counts.process);
    const manifestKey = `_manifests/project=${PROJECT}/machine=${MACHINE}/snapshot=${cutJob.snapshot}/manifest.json`;
    const manifest = JSON.parse(await (await s3.client.send(new GetObjectCommand({ Bucket: 'lake', Key: manifestKey }))).Body!.transformToString());
    expect(manifest.warnings.filter((w: string) => w.startsWith('unreadable page skipped:')).length).toBeGreaterThan(0);
  }, 300000);

  test('fail records the reason on the snapshot', async () => {
    await handlers.fail({ job, error: { Error: 'MemqError', Cause: JSON.stringify({ errorMessage: 'kdump: bad bitmap at 0x1000' }) } });
    const repo = new DynamoRepository(ddb.client, 'meta');
    expect(await repo.get('snapshot', job.snapshot)).toMatchObject({ status: 'failed', error: 'MemqError: kdump: bad bitmap at 0x1000' });
  });
});

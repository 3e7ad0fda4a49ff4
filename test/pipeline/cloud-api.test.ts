// The API Lambda (lambdas/api.ts → lib/api router → CloudDataPlane) with real SDK clients against
// s3rver and dynalite, Athena and Glue mocked: a presigned upload lands where the ingest handler
// picks it up for the same snapshot, queries run asynchronously over Athena scoped to the caller's
// snapshots, another org sees nothing, and deleting a snapshot removes its lake data, dump and
// partitions.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GlueClient, BatchDeletePartitionCommand, BatchCreatePartitionCommand } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { startDynamo, startS3, type LocalDynamo, type LocalS3 } from './local-aws';
import { DynamoRepository, createTableInput } from '../../lib/platform/dynamo-repository';
import { Platform } from '../../lib/platform/service';
import type { User } from '../../lib/platform/model';
import { createApi } from '../../lib/api';
import { AthenaSdkPort } from '../../lib/engine/athena';
import { CloudDataPlane } from '../../lib/pipeline/cloud-data-plane';
import { GluePartitionRegistrar, S3DumpReader, S3ObjectStore } from '../../lib/pipeline/aws';
import { DynamoUsageSink, usageCreateTableInput } from '../../lib/pipeline/usage-table';
import * as apiLambda from '../../lambdas/api';
import * as pipeline from '../../lambdas/pipeline';

process.env.MEMQ_LOG = 'off';
const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);
const sfn = mockClient(SFNClient);
let s3: LocalS3;
let ddb: LocalDynamo;
let platform: Platform;
let alice: User;
let mallory: User;
let current: User;
let projectId: string;

beforeAll(async () => {
  s3 = await startS3(['dumps', 'lake', 'results']);
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(createTableInput('meta')));
  await ddb.client.send(new CreateTableCommand(usageCreateTableInput('usage')));
  const repo = new DynamoRepository(ddb.client, 'meta');
  platform = new Platform(repo);
  alice = (await platform.createOrgWithAdmin('Acme', 'alice@acme.test', 'Alice')).user;
  mallory = (await platform.createOrgWithAdmin('Other', 'mallory@other.test', 'Mallory')).user;
  current = alice;
  const data = new CloudDataPlane({
    s3: s3.client,
    glue: new GlueClient({ region: 'us-east-1' }),
    athena: new AthenaSdkPort({ client: new AthenaClient({ region: 'us-east-1' }), workGroup: 'wg', database: 'memq_db', sleep: async () => undefined }),
    dumpsBucket: 'dumps',
    lakeBucket: 'lake',
    resultsBucket: 'results',
    database: 'memq_db',
  });
  apiLambda.setApi(createApi({ platform, data, auth: { authenticate: async (h) => (h.authorization === 'Bearer test' ? current : null) } }));
  pipeline.setDeps(
    {
      lake: new S3ObjectStore(s3.client, 'lake'),
      dumps: new S3DumpReader(s3.client, () => {
        throw new Error('not read in this test');
      }),
      repo,
      partitions: new GluePartitionRegistrar(new GlueClient({ region: 'us-east-1' }), 'memq_db', 'lake'),
      usage: new DynamoUsageSink(ddb.client, 'usage'),
      tmpDir: '/tmp',
    },
    new SFNClient({ region: 'us-east-1' }),
  );
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:sm';
}, 60000);

afterAll(async () => {
  apiLambda.setApi(undefined);
  pipeline.setDeps(undefined);
  s3?.stop();
  await ddb?.stop();
});

const call = async (method: string, path: string, body?: unknown, query?: Record<string, string>) => {
  const r = await apiLambda.handler({
    httpMethod: method,
    path: `/api/v1${path}`,
    headers: { Authorization: 'Bearer test', 'Content-Type': 'application/json' },
    queryStringParameters: query ?? null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  });
  return { status: r.statusCode, json: r.body ? JSON.parse(r.body) : null };
};

let snapId: string;
let dumpKeyOf: string;

test('first start of a stack creates the first organization for the AdminEmail, once', async () => {
  await ddb.client.send(new CreateTableCommand(createTableInput('meta-fresh')));
  const fresh = new Platform(new DynamoRepository(ddb.client, 'meta-fresh'));
  expect(await apiLambda.ensureFirstOrg(fresh, 'root@corp.test', 'Corp IR')).toBe(true);
  expect(await apiLambda.ensureFirstOrg(fresh, 'root@corp.test', 'Corp IR')).toBe(false);
  const [org] = await fresh.repo.all('org');
  const admin = await fresh.userForExternalIdentity('cognito-sub-1', 'root@corp.test');
  expect(admin).toMatchObject({ org_id: org!.id, org_admin: true, email: 'root@corp.test' });
});

test('POST /snapshots returns a presigned S3 PUT; the uploaded object lands where ingest starts this snapshot', async () => {
  current = alice;
  const p = await call('POST', '/projects', { name: 'IR-1' });
  expect(p.status).toBe(201);
  projectId = p.json.id;
  const r = await call('POST', '/snapshots', { project_id: projectId, machine_name: 'web-01', dump_name: 'mem dump.raw', size: 4096 });
  expect(r.status).toBe(201);
  expect(r.json.upload).toMatchObject({ method: 'PUT', via_api: false });
  snapId = r.json.snapshot.id;
  const put = await fetch(r.json.upload.url, { method: 'PUT', body: Buffer.alloc(4096, 7), headers: { 'content-length': '4096' } });
  expect(put.status).toBe(200);
  const u = new URL(r.json.upload.url);
  dumpKeyOf = decodeURIComponent(u.pathname.replace(/^\/dumps\//, ''));
  expect(dumpKeyOf).toBe(`dumps/${alice.org_id}/${projectId}/${r.json.snapshot.machine_id}/${snapId}/mem_dump.raw`);
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'dumps', Key: dumpKeyOf }));
  expect(head.ContentLength).toBe(4096);

  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
  const ev = { detail: { bucket: { name: 'dumps' }, object: { key: dumpKeyOf, etag: head.ETag! } } };
  expect(await pipeline.ingest(ev)).toEqual({ snapshot: snapId, started: true });
  expect((await call('GET', `/snapshots/${snapId}`)).json).toMatchObject({ status: 'analyzing', size: 4096 });
  expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!).job.snapshot).toBe(snapId);
  // a key naming another org's project with this snapshot id is refused
  const forged = dumpKeyOf.replace(alice.org_id, mallory.org_id);
  await s3.client.send(new PutObjectCommand({ Bucket: 'dumps', Key: forged, Body: 'x' }));
  expect(await pipeline.ingest({ detail: { bucket: { name: 'dumps' }, object: { key: forged, etag: 'e' } } })).toMatchObject({ started: false });
});

test('queries run on Athena asynchronously, scoped to the caller\'s snapshots; another user cannot read the job', async () => {
  // the pipeline (tested in pipeline-e2e) marks the snapshot ready; only ready snapshots are queried
  await platform.updateSnapshotStatus(snapId, { status: 'ready', progress: 1, stage: 'done' });
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'qe-9' });
  athena.on(GetQueryExecutionCommand).resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { TotalExecutionTimeInMillis: 900 } } });
  const cols = ['project', 'machine', 'snapshot', 'process_id', 'parent_process_id', 'name', 'command_line'];
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) },
      Rows: [{ Data: cols.map((c) => ({ VarCharValue: c })) }, { Data: [projectId, 'm', snapId, '101', '1', 'agetty', '/sbin/agetty'].map((v) => ({ VarCharValue: v })) }],
    },
  });
  const started = await call('POST', '/queries', { text: 'process.process_object.name == "agetty"', scope: { snapshot_ids: [snapId] } });
  expect([started.status, started.json]).toEqual([202, expect.anything()]);
  const sql = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
  expect(sql.QueryString).toContain('"memq_db"."process"');
  expect(sql.ExecutionParameters).toEqual([`'${snapId}'`, "'agetty'"]);
  const first = await call('GET', `/queries/${started.json.id}`);
  expect(first.json).toMatchObject({ job: { status: 'running' }, page: null });
  const done = await call('GET', `/queries/${started.json.id}`);
  expect(done.json.job).toMatchObject({ status: 'done', total: 1 });
  expect(done.json.page.rows).toEqual([[projectId, 'm', snapId, 101, 1, 'agetty', '/sbin/agetty']]);
  current = mallory;
  expect((await call('GET', `/queries/${started.json.id}`)).status).toBe(404);
  expect((await call('GET', `/snapshots/${snapId}`)).status).toBe(404);
  const foreignQuery = await call('POST', '/queries', { text: 'process.process_object.name == "agetty"', scope: { snapshot_ids: [snapId] } });
  expect(foreignQuery.status).toBe(404);
  current = alice;
});

test('browsing a table and running playbooks go to Athena, always scoped to the snapshot', async () => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string }) => ({ QueryExecutionId: /count\(\*\)/.test(i.QueryString) ? 'qe-count' : 'qe-rows' }));
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  const procCols = ['process_id', 'parent_process_id', 'name'];
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'qe-count' }).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] }, Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '1' }] }] },
  });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'qe-rows' }).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: procCols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: [{ Data: procCols.map((c) => ({ VarCharValue: c })) }] },
  });
  const b = await call('GET', `/snapshots/${snapId}/tables/process`, undefined, { 'f.name': 'AGET', limit: '10', order_by: 'process_id' });
  expect(b.status).toBe(200);
  expect(b.json).toMatchObject({ total: 1, offset: 0 });
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
  expect(starts).toHaveLength(2);
  const snap = (await call('GET', `/snapshots/${snapId}`)).json;
  for (const st of starts) {
    expect(st.QueryString).toContain('"memq_db"."process" WHERE "project" = ? AND "machine" = ? AND "snapshot" = ? AND strpos(lower("name"), lower(?)) > 0');
    expect(st.ExecutionParameters).toEqual([`'${projectId}'`, `'${snap.machine_id}'`, `'${snapId}'`, "'AGET'"]);
    expect(st.WorkGroup).toBe('wg');
  }
  athena.resetHistory();
  const h = await call('POST', '/hunts', { scope: { snapshot_ids: [snapId] } });
  expect(h.status).toBe(200);
  expect(h.json.playbooks_run).toBeGreaterThan(0);
  expect(h.json.errors).toEqual([]);
  const hs = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
  expect(hs.length).toBeGreaterThan(0);
  for (const st of hs) expect(st.ExecutionParameters).toContain(`'${snapId}'`);
});

test('IOC search runs regexp_like over Athena with the snapshot scope and maps hits', async () => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string }) => ({ QueryExecutionId: /FROM "?process"? /.test(i.QueryString) ? 'qe-proc' : 'qe-none' }));
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'qe-none' }).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
  athena.on(GetQueryResultsCommand, { QueryExecutionId: 'qe-proc' }).callsFake(() => {
    const sql = athena.commandCalls(StartQueryExecutionCommand).find((c) => /FROM "?process"? /.test(c.args[0].input.QueryString!))!.args[0].input.QueryString!;
    // answer with the columns the generated SQL selects, one row whose command_line holds the IOC
    const cols = [...sql.split('FROM')[0]!.matchAll(/t\."([a-z_]+)"/g)].map((m) => m[1]!);
    const values: Record<string, string | null> = { project: projectId, machine: 'm', snapshot: snapId, process_id: '108', argv: '[/tmp/.hidden/evil-miner, --pool, stratum+tcp://10.9.8.7:3333]', command_line: '/tmp/.hidden/evil-miner --pool stratum+tcp://10.9.8.7:3333' };
    const value = (c: string) => (c in values ? values[c]! : null);
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: [{ Data: cols.map((c) => ({ VarCharValue: c })) }, { Data: cols.map((c) => ({ VarCharValue: value(c) })) }] } };
  });
  const r = await call('POST', '/ioc', { values: ['10.9.8.7'], scope: { snapshot_ids: [snapId] } });
  expect(r.status).toBe(200);
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
  expect(starts.length).toBeGreaterThan(1);
  for (const st of starts) {
    expect(st.QueryString).toContain('regexp_like');
    expect(st.ExecutionParameters).toContain(`'${snapId}'`);
  }
  expect(r.json.snapshots_searched).toBe(1);
  expect(r.json.hits.length).toBeGreaterThan(0);
  expect(r.json.hits).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ ioc: '10.9.8.7', snapshot_id: snapId, table: 'process', column: 'command_line', where: expect.objectContaining({ process_id: 108 }) }),
      expect.objectContaining({ ioc: '10.9.8.7', snapshot_id: snapId, table: 'process', column: 'argv' }),
    ]),
  );
});

test('DELETE /snapshots/{id} removes its lake partitions, manifest, dump and Glue partitions', async () => {
  const snap = (await call('GET', `/snapshots/${snapId}`)).json;
  const part = `project=${projectId}/machine=${snap.machine_id}/snapshot=${snapId}/`;
  await s3.client.send(new PutObjectCommand({ Bucket: 'lake', Key: `process/${part}part-process-p000000.parquet`, Body: 'x' }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'lake', Key: `_manifests/${part}manifest.json`, Body: '{}' }));
  await s3.client.send(new PutObjectCommand({ Bucket: 'lake', Key: `process/project=${projectId}/machine=${snap.machine_id}/snapshot=other/keep.parquet`, Body: 'x' }));
  glue.on(BatchDeletePartitionCommand).resolves({ Errors: [] });
  glue.on(BatchCreatePartitionCommand).resolves({ Errors: [] });
  expect((await call('DELETE', `/snapshots/${snapId}`)).status).toBe(200);
  const lake = (await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake' }))).Contents?.map((c) => c.Key) ?? [];
  expect(lake).toEqual([`process/project=${projectId}/machine=${snap.machine_id}/snapshot=other/keep.parquet`]);
  const dumps = (await s3.client.send(new ListObjectsV2Command({ Bucket: 'dumps', Prefix: `dumps/${alice.org_id}/` }))).Contents ?? [];
  expect(dumps).toEqual([]);
  const del = glue.commandCalls(BatchDeletePartitionCommand);
  expect(del.length).toBeGreaterThanOrEqual(12);
  for (const c of del) expect(c.args[0].input.PartitionsToDelete).toEqual([{ Values: [projectId, snap.machine_id, snapId] }]);
});

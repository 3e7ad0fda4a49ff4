// The API Lambda (lambdas/api.ts → lib/api router → CloudDataPlane) with real SDK clients against
// s3rver and dynalite, Athena and Glue mocked: a presigned upload lands where the ingest handler
// picks it up for the same snapshot, queries run asynchronously over Athena scoped to the caller's
// snapshots, another org sees nothing, and deleting a snapshot removes its lake data, dump and
// partitions.
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import * as crypto from 'node:crypto';
import { AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GlueClient, BatchDeletePartitionCommand, BatchCreatePartitionCommand } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { iocTables } from '../../lib/ioc/search';
import type { LocalDynamo, LocalS3 } from './local-aws';
import { startCloudApi } from './cloud-api-world';
import { DynamoRepository, createTableInput } from '../../lib/platform/dynamo-repository';
import { Platform } from '../../lib/platform/service';
import type { User } from '../../lib/platform/model';
import { compileQuery } from '../../lib/query';
import { tables } from '../../lib/model';
import { evidenceQuery } from '../../lib/hunt/evidence';
import { GluePartitionRegistrar, S3DumpReader, S3ObjectStore } from '../../lib/pipeline/aws';
import { DynamoUsageSink } from '../../lib/pipeline/usage-table';
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

let world: Awaited<ReturnType<typeof startCloudApi>>;
beforeAll(async () => {
  world = await startCloudApi({ who: () => current, usageTable: 'usage', maxSinglePutBytes: 100 * 1024 ** 2 /* the multipart test stays small */ });
  ({ s3, ddb, platform } = world);
  const repo = world.repo;
  alice = (await platform.createOrgWithAdmin('Acme', 'alice@acme.test', 'Alice')).user;
  mallory = (await platform.createOrgWithAdmin('Other', 'mallory@other.test', 'Mallory')).user;
  current = alice;
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
  pipeline.setDeps(undefined);
  await world?.stop();
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
  const admin = await fresh.userForExternalIdentity('cognito-sub-1', 'root@corp.test', true);
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

test('browsing a table goes to Athena, always scoped to the snapshot', async () => {
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
    expect(st.QueryString).toContain(`"memq_db"."process" WHERE "project" = ? AND "machine" = ? AND "snapshot" = ? AND lower("name") LIKE lower(?) ESCAPE '\\'`);
    expect(st.ExecutionParameters).toEqual([`'${projectId}'`, `'${snap.machine_id}'`, `'${snapId}'`, "'%AGET%'"]);
    expect(st.WorkGroup).toBe('wg');
  }
});

test('a hunt is a job across invocations: POST starts a few Athena queries, each GET polls their execution ids and starts more, the result groups hits by tactic', async () => {
  athena.reset();
  const pbs = (await call('GET', '/playbooks')).json as { id: string; platform: string; severity: string; queries: string[]; techniques: { id: string; tactics: string[] }[] }[];
  const deleted = pbs.find((p) => p.id === 'linux-deleted-executable')!;
  // every execution is RUNNING when first polled and SUCCEEDED afterwards; only the deleted-executable query returns a row
  const sqlOf = new Map<string, string>();
  const polled = new Set<string>();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string }) => {
    const id = `qe-h${sqlOf.size}`;
    sqlOf.set(id, i.QueryString);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).callsFake((i: { QueryExecutionId: string }) => {
    const first = !polled.has(i.QueryExecutionId);
    polled.add(i.QueryExecutionId);
    return { QueryExecution: { Status: { State: first ? 'RUNNING' : 'SUCCEEDED' } } };
  });
  // hunts run each playbook query in its evidence form (as `memq hunt` does)
  const deletedSql = compileQuery(evidenceQuery(deleted.queries[0]!), { dialect: 'athena', database: 'memq_db', scope: { snapshots: [snapId] } });
  athena.on(GetQueryResultsCommand).callsFake((i: { QueryExecutionId: string }) => {
    const hit = sqlOf.get(i.QueryExecutionId) === deletedSql.sql;
    const cols = hit ? deletedSql.columns.map((c) => c.name) : ['project'];
    const value: Record<string, string> = { project: projectId, machine: 'm', snapshot: snapId, process_id: '4242', name: 'dropper' };
    const rows = [{ Data: cols.map((c) => ({ VarCharValue: c })) }, ...(hit ? [{ Data: cols.map((c) => ({ VarCharValue: value[c] ?? null })) }] : [])];
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: rows } };
  });
  // the snapshot is Linux: Windows playbooks are not run
  await platform.updateSnapshotStatus(snapId, { os: 'linux' });
  const linuxQueries = new Set(pbs.filter((p) => p.platform !== 'windows').flatMap((p) => p.queries));

  const h = await call('POST', '/hunts', { scope: { snapshot_ids: [snapId] } });
  expect(h.status).toBe(202);
  expect(h.json).toMatchObject({ status: 'running', result: null, snapshot_ids: [snapId], progress: { done: 0, total: linuxQueries.size } });
  // the request only started the first bounded batch of queries (it never waits for Athena)
  expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(8);
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(0);

  let job = h.json;
  let polls = 0;
  for (; job.status === 'running' && polls < 100; polls++) {
    const before = athena.commandCalls(StartQueryExecutionCommand).length;
    const running = before - job.progress.done;
    job = (await call('GET', `/hunts/${h.json.id}`)).json;
    // never more than 8 queries in flight
    expect(athena.commandCalls(StartQueryExecutionCommand).length - job.progress.done).toBeLessThanOrEqual(8);
    expect(running).toBeLessThanOrEqual(8);
  }
  expect(polls).toBeGreaterThan(2);
  expect(job.status).toBe('done');
  expect(job.progress).toEqual({ done: linuxQueries.size, total: linuxQueries.size });
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
  expect(starts).toHaveLength(linuxQueries.size); // each query once, although polled several times
  for (const st of starts) {
    expect(st.ExecutionParameters).toContain(`'${snapId}'`);
    expect(st.WorkGroup).toBe('wg');
  }
  const r = job.result;
  expect(r.playbooks_run).toBe(pbs.filter((p) => p.platform !== 'windows').length);
  expect(r.errors).toEqual([]);
  expect(r.hits).toHaveLength(1);
  expect(r.hits[0]).toMatchObject({ playbook_id: 'linux-deleted-executable', snapshot_id: snapId });
  expect(r.hits[0].rows[0][r.hits[0].columns.indexOf('process_id')]).toBe(4242);
  // grouped by ATT&CK tactic → technique (tactics and technique from GET /playbooks)
  const tac = r.by_tactic.find((t: { shortname: string }) => t.shortname === deleted.techniques[0]!.tactics[0]);
  expect(tac.techniques.find((t: { id: string }) => t.id === deleted.techniques[0]!.id).playbooks).toEqual([expect.objectContaining({ id: 'linux-deleted-executable', count: 1 })]);
  // a finished job is served from the results bucket without touching Athena
  athena.resetHistory();
  expect((await call('GET', `/hunts/${h.json.id}`)).json).toEqual(job);
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(0);
  // what it found on the snapshot is kept in the metadata table, beyond the job: the poll that finished
  // the hunt wrote it; it is served after the job's state is gone (the results bucket expires in a week)
  const summary = { snapshot_id: snapId, hunt_id: h.json.id, owner_id: alice.id, playbooks_run: r.playbooks_run, hits: 1, playbooks: 1, severity: deleted.severity, errors: 0, by_playbook: [{ playbook_id: 'linux-deleted-executable', hits: 1, severity: deleted.severity }] };
  const sums = await call('GET', `/projects/${projectId}/hunt-summaries`);
  expect(sums.status).toBe(200);
  expect(sums.json).toEqual([{ ...summary, started_at: expect.any(String), finished_at: expect.any(String) }]);
  const item = await ddb.client.send(new GetItemCommand({ TableName: 'meta', Key: { pk: { S: `hunt_summary#${snapId}` } }, ConsistentRead: true }));
  expect(JSON.parse(item.Item!.body!.S!)).toEqual(sums.json[0]);
  expect(item.Item!.kind).toBeUndefined(); // not a platform record: no index lists it
  await s3.client.send(new DeleteObjectCommand({ Bucket: 'results', Key: `hunts/${h.json.id}.json` }));
  expect((await call('GET', `/hunts/${h.json.id}`)).status).toBe(404);
  expect((await call('GET', `/projects/${projectId}/hunt-summaries`)).json).toEqual(sums.json);
  // another org cannot read the job, nor start a hunt over the snapshot, nor see the counts
  current = mallory;
  expect((await call('GET', `/hunts/${h.json.id}`)).status).toBe(404);
  expect((await call('POST', '/hunts', { scope: { snapshot_ids: [snapId] } })).status).toBe(404);
  expect((await call('GET', `/projects/${projectId}/hunt-summaries`)).status).toBe(404);
  current = alice;
});

test('a throttled start is retried by a later poll; a failed Athena query is reported per playbook; the hunt still completes', async () => {
  athena.reset();
  athena
    .on(StartQueryExecutionCommand)
    .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
    .callsFake((i: { QueryString: string }) => ({ QueryExecutionId: /"process"/.test(i.QueryString) ? 'qe-bad' : 'qe-ok' }));
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'qe-bad' }).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'bytes scanned limit exceeded' } } });
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'qe-ok' }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
  const h = await call('POST', '/hunts', { scope: { snapshot_ids: [snapId] }, playbook_ids: ['linux-deleted-executable'] });
  expect(h.json).toMatchObject({ status: 'running', progress: { done: 0 } });
  let job = h.json;
  for (let i = 0; i < 20 && job.status === 'running'; i++) job = (await call('GET', `/hunts/${h.json.id}`)).json;
  expect(job.status).toBe('done');
  expect(job.result.playbooks_run).toBe(1);
  expect(job.result.errors).toEqual([{ playbook_id: 'linux-deleted-executable', message: expect.stringContaining('bytes scanned limit exceeded') }]);
  // the throttled query was started again (once), not given up
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString);
  expect(starts).toHaveLength(job.progress.total + 1);
  expect(new Set(starts).size).toBe(job.progress.total);
});

test('the process page on Athena: only browses, each scoped to the snapshot; short pages run no count statement; reports: HTML, and PDF only with a Chromium (the Lambda has none)', async () => {
  athena.reset();
  await platform.updateSnapshotStatus(snapId, { os: 'linux' });
  const runs = new Map<string, { sql: string; params: string[] }>();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string; ExecutionParameters?: string[] }) => {
    const id = `qe-p${runs.size}`;
    runs.set(id, { sql: i.QueryString, params: i.ExecutionParameters ?? [] });
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  // an in-memory process table: 4242 (dropper) ← 1 (init) ← 0
  const procs: Record<string, Record<string, string>> = { '4242': { process_id: '4242', parent_process_id: '1', name: 'dropper' }, '1': { process_id: '1', parent_process_id: '0', name: 'init' } };
  const procCols = Object.keys(tables.process.columns);
  athena.on(GetQueryResultsCommand).callsFake((i: { QueryExecutionId: string }) => {
    const r = runs.get(i.QueryExecutionId)!;
    const table = /"memq_db"\."(\w+)"/.exec(r.sql)![1]!;
    const cols = Object.keys(tables[table as keyof typeof tables].columns);
    const pid = r.params[3]?.replace(/'/g, '');
    const rows = table === 'process' && /"process_id" = \?/.test(r.sql) && pid && procs[pid] ? [procs[pid]!] : [];
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: [{ Data: cols.map((c) => ({ VarCharValue: c })) }, ...rows.map((row) => ({ Data: (table === 'process' ? procCols : cols).map((c) => ({ VarCharValue: row[c] ?? undefined })) }))] } };
  });
  const v = await call('GET', `/snapshots/${snapId}/processes/4242`);
  expect(v.status).toBe(200);
  const name = (pg: any, r: any[]) => r[pg.columns.findIndex((c: any) => c.name === 'name')];
  expect(name(v.json.process, v.json.process.rows[0])).toBe('dropper');
  expect(v.json.ancestors.rows.map((r: any[]) => name(v.json.ancestors, r))).toEqual(['init']);
  expect(v.json.sections.map((x: any) => x.table)).toContain('shell_history');
  expect(v.json.sections.map((x: any) => x.table)).not.toContain('handle');
  const snap = (await call('GET', `/snapshots/${snapId}`)).json;
  const statements = [...runs.values()];
  // process, its parent, the children, one per section; no count(*) since every page came back short
  expect(statements).toHaveLength(3 + v.json.sections.length);
  for (const st of statements) {
    expect(st.sql).toMatch(/WHERE "project" = \? AND "machine" = \? AND "snapshot" = \? AND "(process_id|parent_process_id)" = \?/);
    expect(st.sql).not.toContain('count(*)');
    expect(st.params.slice(0, 3)).toEqual([`'${projectId}'`, `'${snap.machine_id}'`, `'${snapId}'`]);
  }
  // another org: not found
  current = mallory;
  expect((await call('GET', `/snapshots/${snapId}/processes/4242`)).status).toBe(404);
  current = alice;
  // reports: the HTML comes from the Lambda; a PDF needs a Chromium, which it lacks (501 saying so)
  const rs = await call('POST', '/result-sets', { project_id: projectId, name: 'dropper', query: 'process.process_object.name == "dropper"', columns: ['snapshot', 'process_id', 'name'], rows: [[snapId, 4242, 'dropper']] });
  expect(rs.status).toBe(201);
  const raw = (format?: string) => apiLambda.handler({ httpMethod: 'GET', path: `/api/v1/result-sets/${rs.json.id}/report`, headers: { Authorization: 'Bearer test' }, queryStringParameters: format ? { format } : null, body: null, isBase64Encoded: false });
  const html = await raw();
  expect(html.statusCode).toBe(200);
  expect(html.body).toContain('pid 4242 dropper');
  const before = process.env.MEMQ_CHROMIUM;
  process.env.MEMQ_CHROMIUM = '/nonexistent/chromium';
  try {
    const pdf = await raw('pdf');
    expect(pdf.statusCode).toBe(501);
    expect(pdf.body).toContain('PDF export needs a Chromium');
  } finally {
    if (before === undefined) delete process.env.MEMQ_CHROMIUM;
    else process.env.MEMQ_CHROMIUM = before;
  }
  expect((await call('DELETE', `/result-sets/${rs.json.id}`)).status).toBe(200);
});

test('a custom playbook runs in a cloud hunt: kept with the job, replayed on the poll that finishes it; another org cannot name it', async () => {
  const yaml = ['id: dropper-name', 'title: Dropper by name', 'description: cloud test', 'attack: [T1059]', 'severity: high', 'platform: linux', 'queries:', '  - process.process_object.name == "dropper"'].join('\n');
  const created = await call('POST', '/playbooks', { project_id: projectId, yaml, classification: 'RED' });
  expect(created.status).toBe(201);
  const P = created.json.id as string;
  athena.reset();
  const customSql = compileQuery(evidenceQuery('process.process_object.name == "dropper"'), { dialect: 'athena', database: 'memq_db', scope: { snapshots: [snapId] } });
  const sqlOf = new Map<string, string>();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string }) => {
    const id = `qe-c${sqlOf.size}`;
    sqlOf.set(id, i.QueryString);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).callsFake((i: { QueryExecutionId: string }) => {
    const hit = sqlOf.get(i.QueryExecutionId) === customSql.sql;
    const cols = hit ? customSql.columns.map((c) => c.name) : ['project'];
    const value: Record<string, string> = { project: projectId, machine: 'm', snapshot: snapId, process_id: '4242', name: 'dropper' };
    const rows = [{ Data: cols.map((c) => ({ VarCharValue: c })) }, ...(hit ? [{ Data: cols.map((c) => ({ VarCharValue: value[c] ?? null })) }] : [])];
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: rows } };
  });
  const h = await call('POST', '/hunts', { scope: { snapshot_ids: [snapId] }, playbook_ids: [P, 'linux-deleted-executable'] });
  expect(h.status).toBe(202);
  let job = h.json;
  for (let i = 0; i < 20 && job.status === 'running'; i++) job = (await call('GET', `/hunts/${h.json.id}`)).json;
  expect(job.status).toBe('done');
  expect(job.result.playbooks_run).toBe(2);
  expect(job.result.hits).toEqual([expect.objectContaining({ playbook_id: P, title: 'Dropper by name', snapshot_id: snapId })]);
  expect(job.result.hits[0].rows[0][job.result.hits[0].columns.indexOf('process_id')]).toBe(4242);
  current = mallory;
  expect((await call('POST', '/hunts', { scope: { all: true }, playbook_ids: [P] })).status).toBe(404);
  expect((await call('GET', '/playbooks')).json.some((p: { id: string }) => p.id === P)).toBe(false);
  current = alice;
  // this hunt is now the snapshot's latest; its custom playbook counts for whoever may read it (its creator)…
  const latest = async () => (await call('GET', `/projects/${projectId}/hunt-summaries`)).json[0];
  expect(await latest()).toMatchObject({ hunt_id: h.json.id, playbooks_run: 2, hits: 1, playbooks: 1, severity: 'high', by_playbook: [{ playbook_id: P, hits: 1, severity: 'high' }] });
  expect((await call('DELETE', `/playbooks/${P}`)).status).toBe(200);
  // …and for nobody once it is deleted
  expect(await latest()).toMatchObject({ hunt_id: h.json.id, hits: 0, playbooks: 0, severity: null, by_playbook: [] });
});

test('dumps over the single-PUT limit go up in presigned parts: create, more part URLs, PUT with fetch, complete; abort', async () => {
  glue.on(BatchDeletePartitionCommand).resolves({ Errors: [] }); // the test's snapshots are deleted at the end
  const size = 130 * 1024 ** 2;
  const r = await call('POST', '/snapshots', { project_id: projectId, machine_name: 'db-01', dump_name: 'big.raw', size });
  expect(r.status).toBe(201);
  const id = r.json.snapshot.id;
  expect(r.json.upload).toEqual({ method: 'POST', url: `/api/v1/snapshots/${id}/multipart`, via_api: false, multipart: true });
  const created = await call('POST', `/snapshots/${id}/multipart`, { part_count: 2 });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ part_size: 64 * 1024 ** 2, part_count: 3 });
  expect(created.json.parts.map((p: { part_number: number }) => p.part_number)).toEqual([1, 2]);
  const more = await call('GET', `/snapshots/${id}/multipart/parts`, undefined, { upload_id: created.json.upload_id, first_part: '3', part_count: '10' });
  expect(more.json.parts).toEqual([expect.objectContaining({ part_number: 3, offset: 128 * 1024 ** 2, length: 2 * 1024 ** 2 })]);
  expect((await call('GET', `/snapshots/${id}/multipart/parts`, undefined, { upload_id: created.json.upload_id, first_part: '4' })).status).toBe(400);
  const chunk = crypto.randomBytes(1024 * 1024);
  const body = Buffer.concat(Array.from({ length: 130 }, (_, i) => (i % 3 ? chunk : Buffer.from(chunk).reverse())));
  const etags: { part_number: number; etag: string }[] = [];
  for (const p of [...created.json.parts, ...more.json.parts]) {
    const put = await fetch(p.url, { method: 'PUT', body: body.subarray(p.offset, p.offset + p.length) });
    expect(put.status).toBe(200);
    etags.push({ part_number: p.part_number, etag: put.headers.get('etag')! });
  }
  const done = await call('POST', `/snapshots/${id}/multipart/complete`, { upload_id: created.json.upload_id, parts: etags });
  expect(done.status).toBe(200);
  expect(done.json).toMatchObject({ id, status: 'analyzing' });
  const key = `dumps/${alice.org_id}/${projectId}/${r.json.snapshot.machine_id}/${id}/big.raw`;
  const got = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: 'dumps', Key: key }))).Body!.transformToByteArray());
  expect(got.length).toBe(size);
  expect(crypto.createHash('sha256').update(got).digest('hex')).toBe(crypto.createHash('sha256').update(body).digest('hex'));
  // the snapshot no longer waits for bytes
  expect((await call('POST', `/snapshots/${id}/multipart`, {})).status).toBe(409);
  expect((await call('DELETE', `/snapshots/${id}`)).status).toBe(200);

  // abort (s3rver has no AbortMultipartUpload: the real client's command is checked on its way out)
  const r2 = await call('POST', '/snapshots', { project_id: projectId, machine_name: 'db-01', dump_name: 'other.raw', size });
  const c2 = await call('POST', `/snapshots/${r2.json.snapshot.id}/multipart`, { part_count: 1 });
  const send = jest.spyOn(s3.client, 'send');
  send.mockImplementationOnce(async (cmd: unknown) => {
    expect(cmd).toBeInstanceOf(AbortMultipartUploadCommand);
    expect((cmd as AbortMultipartUploadCommand).input).toEqual({ Bucket: 'dumps', Key: `dumps/${alice.org_id}/${projectId}/${r2.json.snapshot.machine_id}/${r2.json.snapshot.id}/other.raw`, UploadId: c2.json.upload_id });
    return {};
  });
  expect((await call('DELETE', `/snapshots/${r2.json.snapshot.id}/multipart`, undefined, { upload_id: c2.json.upload_id })).json).toEqual({ ok: true });
  expect(send).toHaveBeenCalledTimes(1);
  send.mockRestore();
  // another org cannot touch the upload
  current = mallory;
  expect((await call('POST', `/snapshots/${r2.json.snapshot.id}/multipart`, {})).status).toBe(404);
  expect((await call('DELETE', `/snapshots/${r2.json.snapshot.id}/multipart`, undefined, { upload_id: c2.json.upload_id })).status).toBe(404);
  current = alice;
  expect((await call('DELETE', `/snapshots/${r2.json.snapshot.id}`)).status).toBe(200);
  glue.reset();
}, 120000);

test("the web UI's uploadMultipart (web/src/lib/api.ts) sends a big file in parts through these routes", async () => {
  glue.on(BatchDeletePartitionCommand).resolves({ Errors: [] });
  const size = 130 * 1024 ** 2;
  const r = await call('POST', '/snapshots', { project_id: projectId, machine_name: 'db-02', dump_name: 'ui.raw', size });
  expect(r.json.upload.multipart).toBe(true);
  // browser stand-ins: the API client's relative /api/v1 calls go to the Lambda, XMLHttpRequest PUTs to s3rver via fetch
  const realFetch = globalThis.fetch;
  const g = globalThis as unknown as Record<string, unknown>;
  g.localStorage = { getItem: () => 'test', setItem: () => undefined, removeItem: () => undefined };
  g.fetch = async (url: string, init: RequestInit = {}) => {
    if (!url.startsWith('/api/v1')) return realFetch(url, init);
    const u = new URL(url, 'http://ui.test');
    const res = await apiLambda.handler({
      httpMethod: init.method ?? 'GET', path: u.pathname, headers: init.headers as Record<string, string>,
      queryStringParameters: Object.fromEntries(u.searchParams), body: (init.body as string) ?? null, isBase64Encoded: false,
    });
    return new Response(res.body, { status: res.statusCode, headers: res.headers as Record<string, string> });
  };
  g.XMLHttpRequest = class {
    status = 0;
    responseText = '';
    upload: { onprogress?: (e: { loaded: number }) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    private m = 'GET';
    private u = '';
    private h: Headers | null = null;
    open(m: string, u: string) { this.m = m; this.u = u; }
    setRequestHeader() {}
    getResponseHeader(n: string) { return this.h?.get(n) ?? null; }
    send(body: Blob) {
      void realFetch(this.u, { method: this.m, body }).then(async (res) => {
        this.upload.onprogress?.({ loaded: body.size });
        Object.assign(this, { status: res.status, h: res.headers, responseText: await res.text() });
        this.onload?.();
      }, () => this.onerror?.());
    }
  };
  try {
    // required, not imported: the web module needs the DOM types of web/tsconfig.json
    const { uploadMultipart } = require('../../web/src/lib/api') as { uploadMultipart(id: string, f: File, p: (f: number) => void): Promise<void> };
    const chunk = crypto.randomBytes(1024 * 1024);
    const bytes = Buffer.concat(Array.from({ length: 130 }, (_, i) => (i % 5 ? chunk : Buffer.from(chunk).reverse())));
    const seen: number[] = [];
    await uploadMultipart(r.json.snapshot.id, new File([bytes], 'ui.raw'), (f) => seen.push(f));
    expect(seen[seen.length - 1]).toBe(1);
    expect((await call('GET', `/snapshots/${r.json.snapshot.id}`)).json.status).toBe('analyzing');
    const key = `dumps/${alice.org_id}/${projectId}/${r.json.snapshot.machine_id}/${r.json.snapshot.id}/ui.raw`;
    const got = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: 'dumps', Key: key }))).Body!.transformToByteArray());
    expect(crypto.createHash('sha256').update(got).digest('hex')).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
  } finally {
    g.fetch = realFetch;
    delete g.XMLHttpRequest;
    delete g.localStorage;
  }
  expect((await call('DELETE', `/snapshots/${r.json.snapshot.id}`)).status).toBe(200);
  glue.reset();
}, 120000);

test('IOC search is a job across invocations: POST records one statement per table and starts a few, each GET polls and starts more, the result maps hits', async () => {
  athena.reset();
  // every execution is RUNNING when first polled, then SUCCEEDED; only the process table's statement returns a row
  const sqlOf = new Map<string, string>();
  const polled = new Set<string>();
  athena.on(StartQueryExecutionCommand).callsFake((i: { QueryString: string }) => {
    const id = `qe-i${sqlOf.size}`;
    sqlOf.set(id, i.QueryString);
    return { QueryExecutionId: id };
  });
  athena.on(GetQueryExecutionCommand).callsFake((i: { QueryExecutionId: string }) => {
    const first = !polled.has(i.QueryExecutionId);
    polled.add(i.QueryExecutionId);
    return { QueryExecution: { Status: { State: first ? 'RUNNING' : 'SUCCEEDED' } } };
  });
  athena.on(GetQueryResultsCommand).callsFake((i: { QueryExecutionId: string }) => {
    const sql = sqlOf.get(i.QueryExecutionId)!;
    if (!/FROM "?process"? /.test(sql)) return { ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } };
    // answer with the columns the generated SQL selects, one row whose command_line holds the IOC
    const cols = [...sql.split('FROM')[0]!.matchAll(/t\."([a-z_]+)"/g)].map((m) => m[1]!);
    const values: Record<string, string | null> = { project: projectId, machine: 'm', snapshot: snapId, process_id: '108', argv: '[/tmp/.hidden/evil-miner, --pool, stratum+tcp://10.9.8.7:3333]', command_line: '/tmp/.hidden/evil-miner --pool stratum+tcp://10.9.8.7:3333' };
    const value = (c: string) => (c in values ? values[c]! : null);
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Type: 'varchar' })) }, Rows: [{ Data: cols.map((c) => ({ VarCharValue: c })) }, { Data: cols.map((c) => ({ VarCharValue: value(c) })) }] } };
  });
  const tablesSearched = iocTables().length;
  const st = await call('POST', '/ioc-searches', { values: ['10.9.8.7'], scope: { snapshot_ids: [snapId] } });
  expect(st.status).toBe(202);
  expect(st.json).toMatchObject({ status: 'running', result: null, snapshot_ids: [snapId], values: ['10.9.8.7'], progress: { done: 0, total: tablesSearched } });
  // the request only started the first bounded batch (it never waits for Athena)
  expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(8);
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(0);
  let job = st.json;
  let polls = 0;
  for (; job.status === 'running' && polls < 100; polls++) {
    job = (await call('GET', `/ioc-searches/${st.json.id}`)).json;
    expect(athena.commandCalls(StartQueryExecutionCommand).length - job.progress.done).toBeLessThanOrEqual(8);
  }
  expect(polls).toBeGreaterThan(2);
  expect(job).toMatchObject({ status: 'done', error: null, progress: { done: tablesSearched, total: tablesSearched } });
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
  expect(starts).toHaveLength(tablesSearched); // each statement once, although polled several times
  for (const s of starts) {
    expect(s.QueryString).toContain('regexp_like');
    expect(s.ExecutionParameters).toContain(`'${snapId}'`);
  }
  expect(job.result).toMatchObject({ snapshots_searched: 1, truncated: [], errors: [] });
  expect(job.result.hits).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ ioc: '10.9.8.7', snapshot_id: snapId, table: 'process', column: 'command_line', where: expect.objectContaining({ process_id: 108 }) }),
      expect.objectContaining({ ioc: '10.9.8.7', snapshot_id: snapId, table: 'process', column: 'argv' }),
    ]),
  );
  expect(job.result.hits.every((h: { table: string }) => h.table === 'process')).toBe(true);
  // a finished search is served from the results bucket without touching Athena
  athena.resetHistory();
  expect((await call('GET', `/ioc-searches/${st.json.id}`)).json).toEqual(job);
  expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(0);
  // another org cannot read the job, nor search the snapshot
  current = mallory;
  expect((await call('GET', `/ioc-searches/${st.json.id}`)).status).toBe(404);
  expect((await call('POST', '/ioc-searches', { values: ['10.9.8.7'], scope: { snapshot_ids: [snapId] } })).status).toBe(404);
  current = alice;
  expect((await call('GET', '/ioc-searches/ioc_nope')).status).toBe(404);
});

test('an IOC statement Athena fails is reported per table; throttled starts are retried; the search still completes', async () => {
  athena.reset();
  athena
    .on(StartQueryExecutionCommand)
    .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
    .callsFake((i: { QueryString: string }) => ({ QueryExecutionId: /FROM "?process"? /.test(i.QueryString) ? 'qe-bad' : 'qe-ok' }));
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'qe-bad' }).resolves({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'bytes scanned limit exceeded' } } });
  athena.on(GetQueryExecutionCommand, { QueryExecutionId: 'qe-ok' }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
  const st = await call('POST', '/ioc-searches', { values: ['evil.example.com'], scope: { snapshot_ids: [snapId] } });
  let job = st.json;
  for (let i = 0; i < 30 && job.status === 'running'; i++) job = (await call('GET', `/ioc-searches/${st.json.id}`)).json;
  expect(job.status).toBe('done');
  expect(job.result.errors).toEqual([{ table: 'process', message: expect.stringContaining('bytes scanned limit exceeded') }]);
  expect(job.result.hits).toEqual([]);
  const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString);
  expect(starts).toHaveLength(job.progress.total + 1);
  expect(new Set(starts).size).toBe(job.progress.total);
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
  // its hunt summary goes with it
  expect((await ddb.client.send(new GetItemCommand({ TableName: 'meta', Key: { pk: { S: `hunt_summary#${snapId}` } }, ConsistentRead: true }))).Item).toBeUndefined();
  const lake = (await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake' }))).Contents?.map((c) => c.Key) ?? [];
  expect(lake).toEqual([`process/project=${projectId}/machine=${snap.machine_id}/snapshot=other/keep.parquet`]);
  const dumps = (await s3.client.send(new ListObjectsV2Command({ Bucket: 'dumps', Prefix: `dumps/${alice.org_id}/` }))).Contents ?? [];
  expect(dumps).toEqual([]);
  const del = glue.commandCalls(BatchDeletePartitionCommand);
  expect(del.length).toBeGreaterThanOrEqual(12);
  for (const c of del) expect(c.args[0].input.PartitionsToDelete).toEqual([{ Values: [projectId, snap.machine_id, snapId] }]);
});

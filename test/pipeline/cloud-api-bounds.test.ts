// Cloud API responses bounded by construction (issue #10): through the API Lambda's handler (real S3 on
// s3rver, metadata on dynalite, Athena mocked) a page of wide query rows is cut below the byte cap and
// its next_offset cursor walks the whole result; the snapshot overview — precomputed by the pipeline's
// finalize from the shards' slices — is served with zero Athena calls, each section within its row and
// byte budget while `total` still counts every row; a response over Lambda's 6 MB becomes a clear 500.
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import type { LocalDynamo, LocalS3 } from './local-aws';
import { startCloudApi } from './cloud-api-world';
import type { DynamoRepository } from '../../lib/platform/dynamo-repository';
import type { Platform } from '../../lib/platform/service';
import type { User } from '../../lib/platform/model';
import { toApiGatewayResult } from '../../lib/api/lambda-adapter';
import { S3ObjectStore } from '../../lib/pipeline/aws';
import { finalize, type PlanFile, type ShardResult, type SnapshotJob } from '../../lib/pipeline/steps';
import { planKey, shardResultKey } from '../../lib/pipeline/keys';
import { OVERVIEW_SECTIONS, overviewSlices } from '../../lib/store/overview';
import { MAX_PAGE_BYTES } from '../../lib/dataplane/page-bytes';
import { tableNames, type TableName } from '../../lib/model';
import * as apiLambda from '../../lambdas/api';

process.env.MEMQ_LOG = 'off';
const athena = mockClient(AthenaClient);
const LAMBDA_LIMIT = 6 * 1024 * 1024;
let s3: LocalS3;
let ddb: LocalDynamo;
let repo: DynamoRepository;
let platform: Platform;
let alice: User;
let projectId: string;

let world: Awaited<ReturnType<typeof startCloudApi>>;
beforeAll(async () => {
  world = await startCloudApi({ who: () => alice });
  ({ s3, ddb, repo, platform } = world);
  alice = (await platform.createOrgWithAdmin('Acme', 'alice@acme.test', 'Alice')).user;
  const p = await call('GET', '/me');
  expect(p.status).toBe(200);
  projectId = (await call('POST', '/projects', { name: 'IR-bounds' })).json.id;
}, 60000);

afterAll(async () => {
  await world?.stop();
});

/** One request through the API Lambda exactly as API Gateway delivers it; `bytes` is the Lambda response size. */
async function call(method: string, path: string, body?: unknown, query?: Record<string, string>) {
  const r = await apiLambda.handler({
    httpMethod: method,
    path: `/api/v1${path}`,
    headers: { Authorization: 'Bearer test', 'Content-Type': 'application/json' },
    queryStringParameters: query ?? null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  });
  const ct = r.headers['content-type'] ?? '';
  return { status: r.statusCode, headers: r.headers, bytes: Buffer.byteLength(JSON.stringify(r)), json: r.body && ct.includes('json') ? JSON.parse(r.body) : null, body: r.body };
}

async function readySnapshot(name: string): Promise<{ id: string; machine_id: string }> {
  const r = await call('POST', '/snapshots', { project_id: projectId, machine_name: name, dump_name: `${name}.raw`, size: 4096 });
  expect(r.status).toBe(201);
  return r.json.snapshot;
}

test('a page of wide query rows is cut below the byte cap; next_offset walks every row once, in order', async () => {
  const snap = await readySnapshot('wide');
  await platform.updateSnapshotStatus(snap.id, { status: 'ready', progress: 1, stage: 'done' });
  // 3,000 rows of ~2.4 KB (long command lines): 7 MB of rows, over Lambda's 6 MB in one page
  const N = 3000;
  const cols = ['project', 'machine', 'snapshot', 'process_id', 'parent_process_id', 'name', 'command_line'];
  const row = (i: number) => [projectId, snap.machine_id, snap.id, String(i), '1', `p${i}`, `/usr/bin/worker --id=${i} ` + 'x'.repeat(2400)];
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'qe-wide' });
  athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' }, Statistics: { TotalExecutionTimeInMillis: 10 } } });
  athena.on(GetQueryResultsCommand).callsFake((i: { NextToken?: string; MaxResults?: number }) => {
    const from = i.NextToken ? Number(i.NextToken) : 0;
    const to = Math.min(N, from + (i.MaxResults ?? 1000));
    const data = [];
    if (!i.NextToken) data.push({ Data: cols.map((c) => ({ VarCharValue: c })) }); // header row on the first page
    for (let k = from; k < to; k++) data.push({ Data: row(k).map((v) => ({ VarCharValue: v })) });
    return { ResultSet: { ResultSetMetadata: { ColumnInfo: cols.map((c) => ({ Name: c, Label: c, Type: 'varchar' })) }, Rows: data }, NextToken: to < N ? String(to) : undefined };
  });
  const started = await call('POST', '/queries', { text: 'process.process_object.name contains "p"', scope: { snapshot_ids: [snap.id] } });
  expect(started.status).toBe(202);
  const first = await call('GET', `/queries/${started.json.id}`, undefined, { limit: '0' });
  expect(first.json.job).toMatchObject({ status: 'done', total: N });

  const seen: number[] = [];
  let offset: number | null = 0;
  let pages = 0;
  while (offset !== null) {
    const r = await call('GET', `/queries/${started.json.id}`, undefined, { offset: String(offset), limit: '100000' });
    expect(r.status).toBe(200);
    expect(r.bytes).toBeLessThan(LAMBDA_LIMIT);
    const rowsBytes = Buffer.byteLength(JSON.stringify(r.json.page.rows));
    expect(rowsBytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(r.json.page).toMatchObject({ offset, total: N });
    expect(r.json.page.rows.length).toBeGreaterThan(0);
    if (pages === 0) expect(r.json.page.rows.length).toBeLessThan(N); // the first page was cut by size, not by limit
    seen.push(...r.json.page.rows.map((x: unknown[]) => x[3] as number));
    const next: number | null = r.json.page.next_offset;
    if (next !== null) expect(next).toBe(offset + r.json.page.rows.length);
    offset = next;
    pages++;
  }
  expect(pages).toBeGreaterThan(1);
  expect(seen).toEqual(Array.from({ length: N }, (_, i) => i));

  // CSV pages carry the same cursor in a header
  const csv = await call('GET', `/queries/${started.json.id}`, undefined, { offset: '0', limit: '100000', format: 'csv' });
  expect(csv.status).toBe(200);
  expect(Number(csv.headers['x-next-offset'])).toBeGreaterThan(0);
  expect(Number(csv.headers['x-next-offset'])).toBeLessThan(N);
  // a small limit is still honoured, and the cursor follows it
  const small = await call('GET', `/queries/${started.json.id}`, undefined, { offset: '10', limit: '5' });
  expect(small.json.page.rows.map((x: unknown[]) => x[3])).toEqual([10, 11, 12, 13, 14]);
  expect(small.json.page.next_offset).toBe(15);
  const last = await call('GET', `/queries/${started.json.id}`, undefined, { offset: String(N - 2), limit: '5' });
  expect(last.json.page.rows).toHaveLength(2);
  expect(last.json.page.next_offset).toBeNull();
});

/** A process row as the engine extracts it (zod types: bigint addresses, Dates). */
function processRow(i: number, wide: boolean): Record<string, unknown> {
  return {
    process_id: i, parent_process_id: 1, name: `proc${i}`, argv: ['/bin/p', String(i)], command_line: wide ? 'y'.repeat(1500) : `/bin/p ${i}`,
    exe_path: '/bin/p', exe_deleted: false, cwd: '/', uid: 0, gid: 0, euid: 0, state: 'S', start_time_ns: i * 1000, create_time: new Date(1_700_000_000_000 + i),
    exit_time: null, is_kernel_thread: false, thread_count: 1, session_id: null, is_wow64: null, object_address: 0xffff888000000000n + BigInt(i) * 0x1000n,
    in_process_list: true, flag_kernel_thread_name: false, flag_deleted_exe: false, flag_suspicious_path: false, flag_wx_memory: false, flag_unusual_parent: false,
    ns_pid: null, pid_ns: null, net_ns: null, mnt_ns: null, uts_ns: null, ipc_ns: null, user_ns: null, cgroup_ns: null, time_ns: null, cgroup_path: null, container_id: null,
  };
}

test('the overview is precomputed by finalize and served with zero Athena calls, every section within its row and byte budget', async () => {
  const snap = await readySnapshot('overview');
  const job: SnapshotJob = { snapshot: snap.id, org: alice.org_id, project: projectId, machine: snap.machine_id, bucket: 'dumps', key: 'k', size: 4096 };
  // three process shards (20,000 wide rows: far over the section's budget), one per other overview table,
  // and a shard of a table the overview does not show; the hash shard completes the plan
  const shards: { id: string; table: TableName; rows: Record<string, unknown>[] }[] = [
    ...[0, 1, 2].map((k) => ({ id: `process-${k}`, table: 'process' as TableName, rows: Array.from({ length: k < 2 ? 8000 : 4000 }, (_, j) => processRow(k * 8000 + j, true)) })),
    { id: 'kernel_module-0', table: 'kernel_module', rows: [] },
    { id: 'socket-0', table: 'socket', rows: [] },
    { id: 'kernel_log-0', table: 'kernel_log', rows: [] },
    {
      id: 'syscall-0', table: 'syscall',
      rows: Array.from({ length: 400 }, (_, j) => ({ table_name: 'x64', index: j, handler: 0xffffffff81000000n + BigInt(j), symbol: `__x64_sys_${j}`, module: j % 100 === 7 ? 'rootkit' : null, hooked: j % 100 === 7 })),
    },
  ];
  const lake = new S3ObjectStore(s3.client, 'lake');
  const plan: PlanFile = {
    job, probe: { format: 'raw', os: 'linux', kernel: '6.1', info: {} },
    shards: [...shards.map((s) => ({ id: s.id, kind: 'table' as const, table: s.table })), { id: 'hash-0', kind: 'hash' as const, part: 0, byteRange: [0, 4096] as [number, number] }] as unknown as PlanFile['shards'],
    warnings: [], planned_at: new Date().toISOString(),
  };
  await lake.put(planKey(snap.id), JSON.stringify(plan), 'application/json');
  for (const s of shards) {
    // exactly what runShard stores: its table's row count and, for overview tables, its slice
    const r: ShardResult = { id: s.id, kind: 'table', table: s.table, rows: s.rows.length, ms: 1, warnings: [], overview: overviewSlices(s.table, s.rows) };
    await lake.put(shardResultKey(snap.id, s.id), JSON.stringify(r), 'application/json');
  }
  await lake.put(shardResultKey(snap.id, 'hash-0'), JSON.stringify({ id: 'hash-0', kind: 'hash', part: 0, bytes: 4096, sha256: 'ab'.repeat(32), ms: 1 }), 'application/json');
  const deps = { lake, repo, dumps: null as never, partitions: { register: async () => undefined }, usage: { record: async () => true }, tmpDir: '/tmp' };
  await finalize(deps, { job });

  athena.reset();
  athena.onAnyCommand().rejects(new Error('the overview must not query Athena'));
  const r = await call('GET', `/snapshots/${snap.id}/overview`);
  expect(r.status).toBe(200);
  expect(athena.calls()).toHaveLength(0);
  expect(r.bytes).toBeLessThan(LAMBDA_LIMIT);
  expect(r.json.snapshot).toMatchObject({ id: snap.id, status: 'ready', counts: { process: 20000, syscall: 400 } });
  for (const s of OVERVIEW_SECTIONS) {
    const page = r.json[s.key];
    expect(page.columns.map((c: { name: string }) => c.name)).toEqual(Object.keys((require('../../lib/model').tables as Record<string, { columns: object }>)[s.table]!.columns));
    expect(page.rows.length).toBeLessThanOrEqual(s.limit);
    expect(Buffer.byteLength(JSON.stringify(page.rows))).toBeLessThanOrEqual(s.maxBytes + 2);
  }
  // processes: cut by bytes (20,000 wide rows), first rows in plan order, cells as the browse routes send them
  expect(r.json.processes.total).toBe(20000);
  expect(r.json.processes.rows.length).toBeGreaterThan(500);
  expect(r.json.processes.rows.length).toBeLessThan(8000);
  const procCols = r.json.processes.columns.map((c: { name: string }) => c.name) as string[];
  const p0 = Object.fromEntries(procCols.map((c, i) => [c, r.json.processes.rows[0][i]]));
  expect(p0).toMatchObject({ process_id: 0, object_address: '0xffff888000000000', create_time: new Date(1_700_000_000_000).toISOString(), argv: ['/bin/p', '0'], session_id: null });
  // hooked syscalls: the filter applies before the cap; total counts the hooked ones only
  expect(r.json.hooked_syscalls.total).toBe(4);
  expect(r.json.hooked_syscalls.rows.map((x: unknown[]) => x[1])).toEqual([7, 107, 207, 307]);
  expect(r.json.modules).toMatchObject({ rows: [], total: 0 });

  // the number of tables does not matter: still one S3 read, no Athena
  expect(tableNames.length).toBeGreaterThan(OVERVIEW_SECTIONS.length);
  expect(athena.calls()).toHaveLength(0);
});

test('a snapshot without a precomputed overview answers 409 (no Athena fallback inside the request)', async () => {
  const snap = await readySnapshot('old');
  await platform.updateSnapshotStatus(snap.id, { status: 'ready', progress: 1, stage: 'done' });
  athena.reset();
  athena.onAnyCommand().rejects(new Error('the overview must not query Athena'));
  const r = await call('GET', `/snapshots/${snap.id}/overview`);
  expect(r.status).toBe(409);
  expect(r.json.error.message).toMatch(/no precomputed overview/);
  expect(athena.calls()).toHaveLength(0);
});

test('a response over Lambda\'s 6 MB limit becomes a clear 500, not an invocation failure', () => {
  const big = toApiGatewayResult({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: 'z'.repeat(7 * 1024 * 1024) }) });
  expect(big.statusCode).toBe(500);
  expect(JSON.parse(big.body).error).toMatchObject({ code: 'E_RESPONSE_TOO_LARGE' });
  const ok = toApiGatewayResult({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: 'z'.repeat(4 * 1024 * 1024) }) });
  expect(ok.statusCode).toBe(200);
});

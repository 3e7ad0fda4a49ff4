// Every API route through the one router (createApi().handle), with response shapes checked against
// the route schemas. Data is real: the dev kdump is uploaded through the API, analyzed by the child
// worker into a temp store, then browsed, queried, hunted and IOC-searched; expectations come from the
// guest's ground-truth.json. The authorization matrix runs over HTTP semantics (status codes).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApi, type Api } from '../../lib/api/router';
import { routes } from '../../lib/api/routes';
import { API_PREFIX, type ApiResponse } from '../../lib/api/http';
import { tokenAuthenticator } from '../../lib/api/identity';
import { localDataPlane } from '../../lib/dataplane/planes';
import type { DataPlaneService } from '../../lib/dataplane/service';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { dumpPath, groundTruth } from '../support/dumps';
import { findChromium } from '../../lib/util/chromium-pdf';
import { fileHuntSummaryStore } from '../../lib/dataplane/hunt-summaries';

const called = new Set<string>();
let api: Api;
let data: DataPlaneService;
let platform: Platform;
let storeDir: string;

type Opts = { token?: string; params?: Record<string, string>; query?: Record<string, string>; body?: unknown; raw?: AsyncIterable<Uint8Array> };

/** Calls a route by its id (so the test proves every route is exercised). */
async function call(id: string, o: Opts = {}): Promise<{ status: number; body: any; res: ApiResponse }> {
  const r = routes.find((x) => x.id === id);
  if (!r) throw new Error(`no route ${id}`);
  called.add(id);
  const p = r.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(o.params?.[n] ?? ''));
  const res = await api.handle({
    method: r.method,
    path: API_PREFIX + p,
    query: o.query,
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
    body: o.raw ?? (o.body === undefined ? null : JSON.stringify(o.body)),
  });
  const text = typeof res.body === 'string' ? res.body : Buffer.from(res.body).toString();
  let body: any = text;
  if ((res.headers['content-type'] ?? '').startsWith('application/json')) body = JSON.parse(text);
  if (res.status === 500) throw new Error(`500 from ${id}: ${text}`);
  return { status: res.status, body, res };
}

/** Starts a hunt (202 with a job at once) and polls GET /hunts/{id} until it is finished. */
async function hunt(token: string, body: unknown): Promise<{ start: Awaited<ReturnType<typeof call>>; job: any }> {
  const start = await call('startHunt', { token, body });
  if (start.status !== 202) return { start, job: null };
  // a job answers at once: still running, or (a hunt DuckDB finished within the request) done with its result
  if (start.body.status === 'running') expect(start.body.result).toBeNull();
  else expect(start.body).toMatchObject({ status: 'done', result: expect.any(Object) });
  let job: any;
  for (let i = 0; i < 600; i++) {
    job = (await call('huntStatus', { token, params: { id: start.body.id } })).body;
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { start, job };
}

/** Starts an IOC search (202 with a job at once) and polls GET /ioc-searches/{id} until it is finished. */
async function iocSearch(token: string, body: unknown): Promise<{ start: Awaited<ReturnType<typeof call>>; job: any }> {
  const start = await call('startIocSearch', { token, body });
  if (start.status !== 202) return { start, job: null };
  let job: any = start.body;
  for (let i = 0; i < 600 && job.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    job = (await call('iocSearchStatus', { token, params: { id: start.body.id } })).body;
  }
  return { start, job };
}

const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-api-'));
  platform = new Platform(new SqliteRepository(':memory:'));
  data = localDataPlane(storeDir);
  api = createApi({ platform, data, auth: tokenAuthenticator(platform), localSignIn: true, validateResponses: true });
  await platform.bootstrap({ email: 'admin@a.test', password: 'admin-pw' });
  const b = await platform.createOrgWithAdmin('Org B', 'admin@b.test', 'B', 'b-password');
  void b;
});

afterAll(async () => {
  await data.close();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

test('health, catalog, openapi and sign-in', async () => {
  expect((await call('health')).body.ok).toBe(true);
  expect((await call('catalog')).status).toBe(401);
  const doc = (await api.handle({ method: 'GET', path: `${API_PREFIX}/openapi.json` })).body as string;
  const oa = JSON.parse(doc);
  expect(oa.openapi).toBe('3.1.0');
  // every route documented, with the request schema generated from zod
  for (const r of routes) expect(oa.paths[API_PREFIX + r.path][r.method.toLowerCase()].operationId).toBe(r.id);
  expect(oa.paths[`${API_PREFIX}/projects`].post.requestBody.content['application/json'].schema.required).toContain('name');
  expect((await call('login', { body: { email: 'admin@a.test', password: 'nope' } })).status).toBe(401);
  expect((await call('me')).status).toBe(401);
  const ok = await call('login', { body: { email: 'admin@a.test', password: 'admin-pw' } });
  expect(ok.status).toBe(200);
  tokens.admin = ok.body.token;
  tokens.b = (await call('login', { body: { email: 'admin@b.test', password: 'b-password' } })).body.token;
  // the catalog served to the UI is the model catalog, not a copy
  const cat = (await call('catalog', { token: tokens.b })).body;
  const { tables, objects } = require('../../lib/model');
  expect(Object.keys(cat.tables)).toEqual(Object.keys(tables));
  expect(cat.tables.process.columns.map((c: any) => c.name)).toEqual(Object.keys(tables.process.columns));
  expect(Object.keys(cat.objects.process.sub_objects)).toEqual(Object.keys(objects.process.subObjects));
  const me = await call('me', { token: tokens.admin });
  expect(me.body.user.email).toBe('admin@a.test');
  expect(me.body.user).not.toHaveProperty('password_hash');
  const t = await call('createToken', { token: tokens.admin, body: { name: 'ci' } });
  expect(t.status).toBe(201);
  expect((await call('me', { token: t.body.token })).body.user.email).toBe('admin@a.test');
  // validation errors name the field
  const bad = await call('createProject', { token: tokens.admin, body: { name: '' } });
  expect(bad.status).toBe(400);
  expect(bad.body.error.issues[0].path).toEqual(['name']);
});

test('users, projects, members, machines', async () => {
  for (const u of ['analyst', 'viewer', 'outsider']) {
    const r = await call('createUser', { token: tokens.admin, body: { email: `${u}@a.test`, name: u, password: `${u}-password` } });
    expect(r.status).toBe(201);
    ids[u] = r.body.id;
    tokens[u] = (await call('login', { body: { email: `${u}@a.test`, password: `${u}-password` } })).body.token;
  }
  expect((await call('createUser', { token: tokens.viewer, body: { email: 'x@a.test', name: 'x' } })).status).toBe(403);
  expect((await call('listUsers', { token: tokens.viewer })).body.length).toBe(4);
  const p = await call('createProject', { token: tokens.admin, body: { name: 'incident-7', description: 'dev box' } });
  expect(p.status).toBe(201);
  ids.project = p.body.id;
  ids.otherProject = (await call('createProject', { token: tokens.outsider, body: { name: 'other' } })).body.id;
  expect((await call('setMember', { token: tokens.admin, params: { id: ids.project }, body: { email: 'analyst@a.test', role: 'analyst' } })).status).toBe(200);
  expect((await call('setMember', { token: tokens.admin, params: { id: ids.project }, body: { user_id: ids.viewer, role: 'viewer' } })).status).toBe(200);
  expect((await call('setMember', { token: tokens.admin, params: { id: ids.project }, body: { user_id: ids.outsider, role: 'viewer' } })).status).toBe(200);
  expect((await call('removeMember', { token: tokens.admin, params: { id: ids.project, user_id: ids.outsider } })).status).toBe(200);
  // viewers cannot manage members
  expect((await call('setMember', { token: tokens.viewer, params: { id: ids.project }, body: { user_id: ids.outsider, role: 'owner' } })).status).toBe(403);
  const members = await call('listMembers', { token: tokens.viewer, params: { id: ids.project } });
  expect(members.body.map((m: any) => `${m.email}:${m.role}`).sort()).toEqual(['admin@a.test:owner', 'analyst@a.test:analyst', 'viewer@a.test:viewer']);
  expect((await call('getProject', { token: tokens.viewer, params: { id: ids.project } })).body.name).toBe('incident-7');
  expect((await call('getProject', { token: tokens.outsider, params: { id: ids.project } })).status).toBe(404);
  expect((await call('getProject', { token: tokens.b, params: { id: ids.project } })).status).toBe(404);
  expect((await call('listProjects', { token: tokens.viewer })).body.map((x: any) => x.role)).toEqual(['viewer']);
  const m = await call('createMachine', { token: tokens.analyst, params: { id: ids.project }, body: { name: 'memq-dev', os: 'linux' } });
  expect(m.status).toBe(201);
  ids.machine = m.body.id;
  expect((await call('createMachine', { token: tokens.viewer, params: { id: ids.project }, body: { name: 'nope' } })).status).toBe(403);
  expect((await call('listMachines', { token: tokens.viewer, params: { id: ids.project } })).body.map((x: any) => x.name)).toEqual(['memq-dev']);
});

test('upload the real dev kdump, analysis, browse and overview', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const size = fs.statSync(dump).size;
  expect((await call('createSnapshot', { token: tokens.viewer, body: { project_id: ids.project, machine_id: ids.machine, dump_name: 'memory.kdump', size } })).status).toBe(403);
  const c = await call('createSnapshot', { token: tokens.analyst, body: { project_id: ids.project, machine_id: ids.machine, dump_name: 'memory.kdump', size, classification: 'AMBER', tags: ['dev'] } });
  expect(c.status).toBe(201);
  expect(c.body.upload).toMatchObject({ method: 'PUT', via_api: true });
  ids.snap = c.body.snapshot.id;
  expect(c.body.snapshot.status).toBe('uploading');
  // a direct-upload completion on a local server is allowed only while uploading; we stream instead
  const up = await call('uploadSnapshot', { token: tokens.analyst, params: { id: ids.snap }, raw: fs.createReadStream(dump) });
  expect(up.status).toBe(200);
  expect(up.body.size).toBe(size);
  let snap: any;
  for (let i = 0; i < 300; i++) {
    snap = (await call('getSnapshot', { token: tokens.viewer, params: { id: ids.snap } })).body;
    if (snap.status === 'ready' || snap.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(snap.error).toBeNull();
  expect(snap.status).toBe('ready');
  expect(snap.os).toBe('linux');
  const gt = groundTruth('6.1');
  expect(snap.kernel).toBe(String(gt.kernel.release));
  expect(snap.counts.process).toBe(gt.processes.length);
  // a second upload to the same snapshot is refused
  expect((await call('createMultipartUpload', { token: tokens.analyst, params: { id: ids.snap }, body: {} })).status).toBe(409);
  expect((await call('completeUpload', { token: tokens.analyst, params: { id: ids.snap } })).status).toBe(409);

  const page = await call('browseTable', { token: tokens.viewer, params: { id: ids.snap, table: 'process' }, query: { limit: '5', order_by: 'process_id', desc: 'false', 'f.name': 'agett' } });
  expect(page.status).toBe(200);
  const cols = page.body.columns.map((c: any) => c.name);
  expect(page.body.total).toBe(1);
  const row = Object.fromEntries(cols.map((c: string, i: number) => [c, page.body.rows[0][i]]));
  expect(row).toMatchObject({ process_id: gt.roles.agetty, parent_process_id: 1, name: 'agetty' });
  const all = await call('browseTable', { token: tokens.viewer, params: { id: ids.snap, table: 'process' }, query: { limit: '2', offset: '3' } });
  expect(all.body.total).toBe(gt.processes.length);
  expect(all.body.rows.length).toBe(2);
  expect((await call('browseTable', { token: tokens.viewer, params: { id: ids.snap, table: 'process' }, query: { 'f.nope': 'x' } })).status).toBe(400);

  const ov = await call('snapshotOverview', { token: tokens.viewer, params: { id: ids.snap } });
  expect(ov.status).toBe(200);
  expect(ov.body.processes.total).toBe(gt.processes.length);
  expect(ov.body.modules.rows.map((r: any[]) => r[0]).sort()).toEqual(gt.modules.map((m) => m.name).sort());
  const pcols = ov.body.processes.columns.map((c: any) => c.name);
  const flagged = ov.body.processes.rows.filter((r: any[]) => r[pcols.indexOf('flag_deleted_exe')] === true).map((r: any[]) => r[pcols.indexOf('process_id')]);
  expect(flagged).toContain(gt.roles.deleted_exe);
  expect(ov.body.sockets.total).toBeGreaterThanOrEqual(3);
  // another org never sees it
  expect((await call('getSnapshot', { token: tokens.b, params: { id: ids.snap } })).status).toBe(404);
  expect((await call('browseTable', { token: tokens.b, params: { id: ids.snap, table: 'process' } })).status).toBe(404);
});

test('evidence export (#16): agetty\'s executable and map from the analyzed dev kdump, each file as the manifest hashes it', async () => {
  const gt = groundTruth('6.1');
  expect((await call('createExport', { token: tokens.analyst, params: { id: ids.snap }, body: {} })).status).toBe(400);
  const e = await call('createExport', { token: tokens.analyst, params: { id: ids.snap }, body: { pids: [gt.roles.agetty], files: [(gt.shell_history as { histfile: string }).histfile] } });
  expect(e.status).toBe(201);
  const items = e.body.manifest.items as { path: string; sha256: string; kind: string; source: string }[];
  const exe = items.find((i) => i.kind === 'image' && i.path.includes('/images/exe/'))!;
  expect(exe.source).toBe(gt.processes.find((p: { pid: number }) => p.pid === gt.roles.agetty)!.exe);
  const f = await call('exportFile', { token: tokens.viewer, params: { id: ids.snap, export_id: e.body.export_id }, query: { path: exe.path } });
  expect(f.status).toBe(200);
  const bytes = Buffer.from(f.res.body as Uint8Array);
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(require('node:crypto').createHash('sha256').update(bytes).digest('hex')).toBe(exe.sha256);
  // only what the manifest lists
  expect((await call('exportFile', { token: tokens.viewer, params: { id: ids.snap, export_id: e.body.export_id }, query: { path: '../../_uploads/x' } })).status).toBe(404);
  expect((await call('exportFile', { token: tokens.b, params: { id: ids.snap, export_id: e.body.export_id }, query: { path: exe.path } })).status).toBe(404);
});

test('multipart routes on the local server: refused with the streamed upload route to use instead', async () => {
  const c = await call('createSnapshot', { token: tokens.analyst, body: { project_id: ids.project, machine_name: 'big-box', dump_name: 'big.raw', size: 6 * 1024 ** 3 } });
  expect(c.body.upload).toMatchObject({ method: 'PUT', via_api: true });
  const id = c.body.snapshot.id;
  const content = `/api/v1/snapshots/${id}/content`;
  for (const [rid, o] of [
    ['createMultipartUpload', { body: { part_count: 3 } }],
    ['multipartParts', { query: { upload_id: 'u1', first_part: '2' } }],
    ['completeMultipartUpload', { body: { upload_id: 'u1', parts: [{ part_number: 1, etag: '"e"' }] } }],
    ['abortMultipartUpload', { query: { upload_id: 'u1' } }],
  ] as const) {
    const r = await call(rid, { token: tokens.analyst, params: { id }, ...o });
    expect([rid, r.status]).toEqual([rid, 409]);
    expect(r.body.error.message).toContain(`PUT ${content}`);
  }
  // authorization comes first: a viewer may not upload, org B does not see the snapshot
  expect((await call('createMultipartUpload', { token: tokens.viewer, params: { id }, body: {} })).status).toBe(403);
  expect((await call('createMultipartUpload', { token: tokens.b, params: { id }, body: {} })).status).toBe(404);
  expect((await call('multipartParts', { token: tokens.analyst, params: { id }, query: {} })).status).toBe(400); // upload_id is required
  expect((await call('deleteSnapshot', { token: tokens.analyst, params: { id } })).status).toBe(200);
});

test('a hostile upload fails analysis with a one-line reason, never hangs the server', async () => {
  const junk = Buffer.alloc(256 * 1024);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24; // deterministic noise, no dump format
  const c = await call('createSnapshot', { token: tokens.analyst, body: { project_id: ids.project, machine_name: 'junk-box', dump_name: 'junk.bin', size: junk.length } });
  const up = await call('uploadSnapshot', { token: tokens.analyst, params: { id: c.body.snapshot.id }, raw: (async function* () { yield junk; })() });
  expect(up.status).toBe(200);
  let snap: any;
  for (let i = 0; i < 300; i++) {
    snap = (await call('getSnapshot', { token: tokens.analyst, params: { id: c.body.snapshot.id } })).body;
    if (snap.status !== 'analyzing') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(snap.status).toBe('failed');
  expect(snap.error).toMatch(/junk|format|dump|kernel/i);
  expect(snap.error).not.toMatch(/\n|    at /);
  // no server path in what users read (#13 item 14): not the store, not the upload folder
  expect(snap.error).not.toContain(storeDir);
  expect(snap.error).not.toMatch(/\/_uploads\/|\/tmp\//);
  // browsing a failed snapshot is refused as a state conflict
  expect((await call('browseTable', { token: tokens.analyst, params: { id: c.body.snapshot.id, table: 'process' } })).status).toBe(409);
  expect((await call('deleteSnapshot', { token: tokens.analyst, params: { id: c.body.snapshot.id } })).status).toBe(200);
});

test('queries: check with position, the seed query finds agetty, paging and CSV', async () => {
  const bad = await call('checkQuery', { token: tokens.viewer, body: { text: 'process.process_object.parent_proces_id == 1' } });
  expect(bad.body.ok).toBe(false);
  expect(bad.body.position).toEqual({ line: 1, column: 24 });
  expect(bad.body.suggestions).toContain('parent_process_id');
  expect((await call('checkQuery', { token: tokens.viewer, body: { text: 'process.process_object.pid == 1' } })).body.ok).toBe(false);
  const rejected = await call('startQuery', { token: tokens.viewer, body: { text: 'process.nope.x == 1', scope: { project_id: ids.project } } });
  expect(rejected.status).toBe(400);
  expect(rejected.body.error.position.line).toBe(1);
  const seed = 'process.process_object.parent_process_id == 1 &&\nprocess.vad_object.file_name == "/usr/sbin/agetty"';
  const job = await call('startQuery', { token: tokens.viewer, body: { text: seed, scope: { project_id: ids.project } } });
  expect(job.status).toBe(202);
  let res: any;
  for (let i = 0; i < 100; i++) {
    res = (await call('queryResults', { token: tokens.viewer, params: { id: job.body.id } })).body;
    if (res.job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(res.job.status).toBe('done');
  const cols = res.page.columns.map((c: any) => c.name);
  expect(cols.slice(0, 3)).toEqual(['project', 'machine', 'snapshot']);
  expect(res.page.rows.length).toBe(1);
  const r0 = Object.fromEntries(cols.map((c: string, i: number) => [c, res.page.rows[0][i]]));
  expect(r0).toMatchObject({ snapshot: ids.snap, process_id: groundTruth('6.1').roles.agetty, name: 'agetty' });
  // paging over a larger result
  const big = await call('startQuery', { token: tokens.viewer, body: { text: 'process.process_object.process_id >= 0', scope: { snapshot_ids: [ids.snap] } } });
  let p2: any;
  for (let i = 0; i < 100; i++) {
    p2 = (await call('queryResults', { token: tokens.viewer, params: { id: big.body.id }, query: { offset: '10', limit: '5' } })).body;
    if (p2.job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(p2.page.total).toBe(groundTruth('6.1').processes.length);
  expect(p2.page.rows.length).toBe(5);
  const csv = await call('queryResults', { token: tokens.viewer, params: { id: job.body.id }, query: { format: 'csv' } });
  expect(csv.res.headers['content-type']).toMatch(/text\/csv/);
  expect((csv.body as string).split('\n')[0]!.split(',').slice(0, 3)).toEqual(['project', 'machine', 'snapshot']);
  expect(csv.body).toContain('agetty');
  // somebody else's job is not visible
  expect((await call('queryResults', { token: tokens.analyst, params: { id: job.body.id } })).status).toBe(404);
  // a scope naming a snapshot the caller cannot read is refused
  expect((await call('startQuery', { token: tokens.outsider, body: { text: seed, scope: { snapshot_ids: [ids.snap] } } })).status).toBe(404);
});

test('playbooks, hunt and IOC search', async () => {
  const pbs = await call('listPlaybooks', { token: tokens.viewer });
  expect(pbs.body.length).toBeGreaterThanOrEqual(20);
  expect(pbs.body.every((p: any) => p.techniques.length > 0 && p.techniques.every((t: any) => /^T\d{4}/.test(t.id)))).toBe(true);
  const { start, job } = await hunt(tokens.viewer, { scope: { project_id: ids.project } });
  expect(start.status).toBe(202);
  // progress counts the distinct playbook queries run; playbooks of another OS than the snapshot's are skipped
  const linuxPbs = pbs.body.filter((p: any) => p.platform !== 'windows');
  const distinctQueries = new Set(linuxPbs.flatMap((p: any) => p.queries)).size;
  expect(job).toMatchObject({ status: 'done', error: null, snapshot_ids: [ids.snap], progress: { done: distinctQueries, total: distinctQueries } });
  const h = { body: job.result };
  expect(h.body.playbooks_run).toBe(linuxPbs.length);
  const gt = groundTruth('6.1');
  const pidsOf = (id: string) => h.body.hits.filter((x: any) => x.playbook_id === id).flatMap((x: any) => x.rows.map((r: any[]) => r[x.columns.indexOf('process_id')]));
  expect(pidsOf('linux-deleted-executable')).toContain(gt.roles.deleted_exe);
  expect(pidsOf('linux-kernel-thread-name-masquerade')).toContain(gt.roles.fake_kthread);
  expect(h.body.hits.every((x: any) => x.snapshot_id === ids.snap)).toBe(true);
  // grouped by ATT&CK tactic → technique: the deleted-executable playbook sits under its technique's tactic
  const del = pbs.body.find((p: any) => p.id === 'linux-deleted-executable');
  const tac = h.body.by_tactic.find((t: any) => t.shortname === del.techniques[0].tactics[0]);
  expect(tac.techniques.find((t: any) => t.id === del.techniques[0].id).playbooks.map((p: any) => p.id)).toContain('linux-deleted-executable');
  // what the hunt found per snapshot is kept by the server (the fleet overview): the distinct hit rows of
  // this hunt, per playbook with its YAML severity, for every project member who may read the snapshot
  const distinctRows = (pb?: string) => new Set(h.body.hits.filter((x: any) => !pb || x.playbook_id === pb).flatMap((x: any) => x.rows.map((r: any) => `${x.playbook_id}\0${JSON.stringify(r)}`))).size;
  const sums = await call('projectHuntSummaries', { token: tokens.analyst, params: { id: ids.project } });
  expect(sums.status).toBe(200);
  expect(sums.body).toHaveLength(1);
  const sum = sums.body[0];
  expect(sum).toMatchObject({ snapshot_id: ids.snap, hunt_id: start.body.id, owner_id: ids.viewer, playbooks_run: linuxPbs.length, hits: distinctRows(), playbooks: new Set(h.body.hits.map((x: any) => x.playbook_id)).size });
  expect(Date.parse(sum.finished_at)).toBeGreaterThanOrEqual(Date.parse(sum.started_at));
  expect(sum.by_playbook.find((x: any) => x.playbook_id === 'linux-deleted-executable')).toEqual({ playbook_id: 'linux-deleted-executable', hits: distinctRows('linux-deleted-executable'), severity: del.severity });
  expect(sum.severity).toBe(['critical', 'high', 'medium', 'low', 'info'].find((sv) => sum.by_playbook.some((x: any) => x.severity === sv)));
  expect((await call('projectHuntSummaries', { token: tokens.viewer, params: { id: ids.project }, query: { snapshot_id: ids.snap } })).body).toEqual(sums.body);
  expect((await call('projectHuntSummaries', { token: tokens.viewer, params: { id: ids.project }, query: { snapshot_id: 'snp_other' } })).body).toEqual([]);
  // org B never sees the project, nor does the outsider (same org, not a member: as GET /snapshots?project_id=)
  expect((await call('projectHuntSummaries', { token: tokens.b, params: { id: ids.project } })).status).toBe(404);
  expect((await call('projectHuntSummaries', { token: tokens.outsider, params: { id: ids.project } })).status).toBe(404);
  // durable: a server started again over the store (a fresh adapter on the same folder) reads the same summary
  const again = await fileHuntSummaryStore(path.join(storeDir, '_platform', 'hunt-summaries')).get([ids.snap]);
  expect(again.get(ids.snap)).toEqual(sum);
  // the hunt job is its starter's: another user of the org, and another org, get "not found"
  expect((await call('huntStatus', { token: tokens.analyst, params: { id: start.body.id } })).status).toBe(404);
  expect((await call('huntStatus', { token: tokens.b, params: { id: start.body.id } })).status).toBe(404);
  expect((await call('huntStatus', { token: tokens.viewer, params: { id: 'hunt_nope' } })).status).toBe(404);
  // the process page of the deleted-executable process, from this hunt: its row, parent chain, one
  // section per table joined by pid (counts as the guest's /proc saw them) and the hunt's hits on it
  const del111 = gt.processes.find((p) => p.pid === gt.roles.deleted_exe)! as any;
  const pv = await call('getProcess', { token: tokens.viewer, params: { id: ids.snap, pid: String(gt.roles.deleted_exe) }, query: { hunt: start.body.id } });
  expect(pv.status).toBe(200);
  const pcell = (pg: any, r: any[], c: string) => r[pg.columns.findIndex((x: any) => x.name === c)];
  expect(pcell(pv.body.process, pv.body.process.rows[0], 'name')).toBe(del111.task_comm);
  expect(pcell(pv.body.process, pv.body.process.rows[0], 'exe_deleted')).toBe(true);
  expect(pv.body.ancestors.rows.map((r: any[]) => pcell(pv.body.ancestors, r, 'process_id'))).toEqual([del111.ppid]);
  expect(pv.body.children.total).toBe(gt.processes.filter((p) => p.ppid === del111.pid).length);
  const section = (t: string) => pv.body.sections.find((x: any) => x.table === t);
  expect(section('vma').page.total).toBe(del111.maps.length);
  expect(section('env_var').page.total).toBe(del111.environ.length);
  expect(section('open_file').page.total).toBe(Object.keys(del111.fds).length);
  expect(section('thread').page.total).toBe(del111.num_threads);
  expect(section('handle')).toBeUndefined(); // a Windows table: not on a Linux snapshot
  expect(pv.body.flagged_regions).toHaveLength(del111.maps.filter((m: any) => m.perms.includes('w') && m.perms.includes('x')).length);
  expect(pv.body.hits.map((x: any) => x.playbook_id)).toContain('linux-deleted-executable');
  expect(pv.body.hits.every((x: any) => x.rows.every((r: any[]) => r[x.columns.indexOf('process_id')] === gt.roles.deleted_exe))).toBe(true);
  // without a hunt: no hits; another user's hunt is not found; an unknown pid is not found
  expect((await call('getProcess', { token: tokens.viewer, params: { id: ids.snap, pid: String(gt.roles.deleted_exe) } })).body).toMatchObject({ hunt_id: null, hits: [] });
  expect((await call('getProcess', { token: tokens.analyst, params: { id: ids.snap, pid: String(gt.roles.deleted_exe) }, query: { hunt: start.body.id } })).status).toBe(404);
  expect((await call('getProcess', { token: tokens.outsider, params: { id: ids.snap, pid: '1' } })).status).toBe(404);
  expect((await call('getProcess', { token: tokens.viewer, params: { id: ids.snap, pid: '999999' } })).status).toBe(404);
  // the hunt as a self-contained HTML report (no external fetch), and as PDF where a Chromium is installed
  const rep = await call('huntReport', { token: tokens.viewer, params: { id: start.body.id } });
  expect(rep.status).toBe(200);
  expect(rep.res.headers['content-type']).toMatch(/^text\/html/);
  expect(rep.body).toContain(`pid ${gt.roles.deleted_exe} ${del111.task_comm}`);
  expect(rep.body).toContain('data-playbook="linux-deleted-executable"');
  expect(rep.body).not.toMatch(/<(script|link|img|iframe)\b|src=|href="http/i);
  expect((await call('huntReport', { token: tokens.analyst, params: { id: start.body.id } })).status).toBe(404);
  expect(rep.body).toContain('data-tlp="AMBER"'); // the snapshot's label
  // a stored finding from a real query, exported: TLP label, the process and its evidence, the rows
  let fq = (await call('startQuery', { token: tokens.analyst, body: { text: `select process.process_object.process_id, process.process_object.name, process.process_object.exe_path, process.env_object.name where process.process_object.process_id == ${gt.roles.deleted_exe}`, scope: { snapshot_ids: [ids.snap] } } })).body;
  for (let i = 0; fq.status === 'running' && i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100));
    fq = (await call('queryResults', { token: tokens.analyst, params: { id: fq.id }, query: { limit: '0' } })).body.job;
  }
  const fr = (await call('queryResults', { token: tokens.analyst, params: { id: fq.id } })).body.page;
  const finding = await call('createResultSet', { token: tokens.analyst, body: { project_id: ids.project, name: 'kupdated environment', query: fq.text, columns: fr.columns.map((c: any) => c.name), rows: fr.rows, classification: 'AMBER', tags: ['ir-1'] } });
  expect(finding.status).toBe(201);
  const frep = await call('resultSetReport', { token: tokens.viewer, params: { id: finding.body.id } });
  expect(frep.status).toBe(200);
  expect(frep.body).toContain('data-tlp="AMBER"');
  expect(frep.body).toContain('ir-1');
  expect(frep.body).toContain(`pid ${gt.roles.deleted_exe} ${del111.task_comm}`);
  // one evidence line per environment variable the guest's /proc showed
  for (const kv of del111.environ) expect(frep.body).toContain(`<li>exe_path=${del111.exe.replace(/ \(deleted\)$/, '')} env_object.name=${kv.split('=')[0]}</li>`);
  expect(frep.body).not.toMatch(/<(script|link|img|iframe)\b|src=/i);
  expect((await call('deleteResultSet', { token: tokens.analyst, params: { id: finding.body.id } })).status).toBe(200);
  const pdf = await call('huntReport', { token: tokens.viewer, params: { id: start.body.id }, query: { format: 'pdf' } });
  if (findChromium()) {
    expect(pdf.status).toBe(200);
    expect(pdf.res.headers['content-type']).toBe('application/pdf');
    expect(Buffer.from(pdf.res.body).subarray(0, 5).toString()).toBe('%PDF-');
  } else {
    expect(pdf.status).toBe(501);
    expect(JSON.stringify(pdf.body)).toContain('Chromium');
  }
  // a scope naming a snapshot the caller cannot read is refused before any job starts; org B hunts nothing
  expect((await call('startHunt', { token: tokens.outsider, body: { scope: { snapshot_ids: [ids.snap] } } })).status).toBe(404);
  const hb = await hunt(tokens.b, { scope: { all: true } });
  expect(hb.job).toMatchObject({ status: 'done', snapshot_ids: [] });
  expect(hb.job.result.hits).toEqual([]);
  const is = await iocSearch(tokens.viewer, { values: ['10.9.8.7', 'memq-dev-7f3a'], scope: { all: true } });
  expect(is.start.status).toBe(202);
  expect(is.start.body).toMatchObject({ values: ['10.9.8.7', 'memq-dev-7f3a'], snapshot_ids: [ids.snap] });
  expect(is.job).toMatchObject({ status: 'done', error: null });
  expect(is.job.progress.done).toBe(is.job.progress.total);
  expect(is.job.progress.total).toBeGreaterThan(5); // one step per table searched
  const ioc = { body: is.job.result };
  expect(ioc.body.snapshots_searched).toBe(1);
  expect(ioc.body.errors).toEqual([]);
  // the miner's pool address is in its command line, its marker in its environment (pids from ground truth)
  expect(ioc.body.hits.some((x: any) => x.ioc === '10.9.8.7' && x.kind === 'ipv4' && x.table === 'process' && x.column === 'command_line' && x.where.process_id === gt.roles.evil_miner)).toBe(true);
  expect(ioc.body.hits.some((x: any) => x.ioc === 'memq-dev-7f3a' && x.table === 'env_var' && x.where.process_id === gt.roles.evil_miner)).toBe(true);
  // the search is its starter's; org B searches nothing of org A's
  expect((await call('iocSearchStatus', { token: tokens.analyst, params: { id: is.start.body.id } })).status).toBe(404);
  expect((await call('iocSearchStatus', { token: tokens.b, params: { id: is.start.body.id } })).status).toBe(404);
  expect((await call('startIocSearch', { token: tokens.outsider, body: { values: ['10.9.8.7'], scope: { snapshot_ids: [ids.snap] } } })).status).toBe(404);
  const ib = await iocSearch(tokens.b, { values: ['10.9.8.7'], scope: { all: true } });
  expect(ib.job).toMatchObject({ status: 'done', snapshot_ids: [], result: { hits: [], snapshots_searched: 0 } });
});

test('saved queries and result sets with classification', async () => {
  const sq = await call('createSavedQuery', { token: tokens.analyst, body: { project_id: ids.project, name: 'agetty', text: 'process.process_object.name == "agetty"', classification: 'GREEN', tags: ['seed'] } });
  expect(sq.status).toBe(201);
  expect((await call('createSavedQuery', { token: tokens.viewer, body: { project_id: ids.project, name: 'x', text: 'x' } })).status).toBe(403);
  expect((await call('listSavedQueries', { token: tokens.viewer, query: { project_id: ids.project } })).body.map((q: any) => q.name)).toEqual(['agetty']);
  expect((await call('getSavedQuery', { token: tokens.viewer, params: { id: sq.body.id } })).body.classification).toBe('GREEN');
  expect((await call('updateSavedQuery', { token: tokens.viewer, params: { id: sq.body.id }, body: { name: 'y' } })).status).toBe(403);
  expect((await call('updateSavedQuery', { token: tokens.analyst, params: { id: sq.body.id }, body: { name: 'getty' } })).body.name).toBe('getty');
  // GREEN: readable org-wide, still not by org B
  expect((await call('getSavedQuery', { token: tokens.outsider, params: { id: sq.body.id } })).status).toBe(200);
  expect((await call('getSavedQuery', { token: tokens.b, params: { id: sq.body.id } })).status).toBe(404);
  expect((await call('deleteSavedQuery', { token: tokens.viewer, params: { id: sq.body.id } })).status).toBe(403);
  expect((await call('deleteSavedQuery', { token: tokens.analyst, params: { id: sq.body.id } })).status).toBe(200);
  const rs = await call('createResultSet', { token: tokens.analyst, body: { project_id: ids.project, name: 'finding', query: 'q', columns: ['pid'], rows: [[101]], classification: 'RED' } });
  expect(rs.status).toBe(201);
  expect((await call('getResultSet', { token: tokens.analyst, params: { id: rs.body.id } })).body.rows).toEqual([[101]]);
  // RED: the project's own owner and viewer do not see it
  expect((await call('getResultSet', { token: tokens.admin, params: { id: rs.body.id } })).status).toBe(404);
  // its report follows the same rule: the admin may not export a RED finding they may not read
  expect((await call('resultSetReport', { token: tokens.admin, params: { id: rs.body.id } })).status).toBe(404);
  expect((await call('listResultSets', { token: tokens.viewer, query: { project_id: ids.project } })).body).toEqual([]);
  expect((await call('listResultSets', { token: tokens.analyst, query: { project_id: ids.project } })).body.length).toBe(1);
  expect((await call('deleteResultSet', { token: tokens.analyst, params: { id: rs.body.id } })).status).toBe(200);
});

test('custom playbooks: validated YAML, classified and shared like saved queries, fire in hunts on the dev dump', async () => {
  const gt = groundTruth('6.1');
  // written independently of the bundled files: the agetty that init (pid 1) started, per ground truth
  const yaml = [
    'id: agetty-watch',
    'title: Getty started by init',
    'description: a test playbook',
    'attack: [T1059]',
    'severity: low',
    'platform: linux',
    'queries:',
    '  - process.process_object.name == "agetty" && process.process_object.parent_process_id == 1',
  ].join('\n');
  const body = { project_id: ids.project, yaml, tags: ['custom'] };
  expect((await call('createPlaybook', { token: tokens.viewer, body })).status).toBe(403);
  expect((await call('createPlaybook', { token: tokens.b, body })).status).toBe(404);
  // invalid: the loader's one-line message comes back as a 400
  const badField = await call('createPlaybook', { token: tokens.analyst, body: { ...body, yaml: yaml.replace('severity: low', 'severity: urgent') } });
  expect(badField.status).toBe(400);
  expect(badField.body.error.message).toMatch(/playbook field severity/);
  const badQuery = await call('createPlaybook', { token: tokens.analyst, body: { ...body, yaml: yaml.replace('parent_process_id', 'parent_proces_id') } });
  expect(badQuery.status).toBe(400);
  expect(badQuery.body.error.message).toMatch(/queries\[0\].*parent_proces_id/);
  expect((await call('createPlaybook', { token: tokens.analyst, body: { ...body, yaml: 'id: [' } })).body.error.message).toMatch(/invalid YAML/);
  const pb = await call('createPlaybook', { token: tokens.analyst, body });
  expect(pb.status).toBe(201);
  expect(pb.body).toMatchObject({ name: 'Getty started by init', slug: 'agetty-watch', classification: 'AMBER', tags: ['custom'] });
  const P = pb.body.id as string;
  // listed for project members with its classification; not for the outsider nor org B
  const listed = (await call('listPlaybooks', { token: tokens.viewer })).body.find((x: any) => x.id === P);
  expect(listed).toMatchObject({ custom: true, classification: 'AMBER', title: 'Getty started by init', project_id: ids.project });
  expect(listed.techniques[0].id).toBe('T1059');
  expect((await call('listPlaybooks', { token: tokens.outsider })).body.some((x: any) => x.id === P)).toBe(false);
  expect((await call('listPlaybooks', { token: tokens.b })).body.some((x: any) => x.id === P)).toBe(false);
  expect((await call('getPlaybook', { token: tokens.b, params: { id: P } })).status).toBe(404);
  expect((await call('getPlaybook', { token: tokens.viewer, params: { id: P } })).body.yaml).toBe(yaml);
  // it fires in a hunt, selected by id, with the row ground truth names
  const fired = async (token: string) => {
    const { start, job } = await hunt(token, { scope: { project_id: ids.project }, playbook_ids: [P] });
    if (start.status !== 202) return start.status;
    expect(job).toMatchObject({ status: 'done', progress: { total: 1 } });
    return job.result.hits.filter((x: any) => x.playbook_id === P).flatMap((x: any) => x.rows.map((r: any[]) => r[x.columns.indexOf('process_id')]));
  };
  expect(await fired(tokens.viewer)).toEqual([gt.roles.agetty]);
  // viewer cannot share, reclassify, edit or delete it
  const obj = { kind: 'playbook', id: P };
  expect((await call('share', { token: tokens.viewer, params: obj, body: { target_kind: 'user', target_id: ids.outsider } })).status).toBe(403);
  expect((await call('classify', { token: tokens.viewer, params: obj, body: { classification: 'GREEN' } })).status).toBe(403);
  expect((await call('updatePlaybook', { token: tokens.viewer, params: { id: P }, body: { yaml } })).status).toBe(403);
  expect((await call('deletePlaybook', { token: tokens.viewer, params: { id: P } })).status).toBe(403);
  // RED: the viewer (project member, not on the list) loses it: not listed, a hunt naming it is refused
  expect((await call('classify', { token: tokens.analyst, params: obj, body: { classification: 'RED' } })).body.classification).toBe('RED');
  expect((await call('listPlaybooks', { token: tokens.viewer })).body.some((x: any) => x.id === P)).toBe(false);
  expect((await call('getPlaybook', { token: tokens.admin, params: { id: P } })).status).toBe(404);
  expect(await fired(tokens.viewer)).toBe(404);
  // a named share lets the viewer run it; revoking stops that again
  const sh = await call('share', { token: tokens.analyst, params: obj, body: { target_kind: 'user', target_id: ids.viewer } });
  expect(sh.status).toBe(201);
  expect((await call('listShares', { token: tokens.viewer, params: obj })).body.map((x: any) => x.target_id)).toEqual([ids.viewer]);
  expect(await fired(tokens.viewer)).toEqual([gt.roles.agetty]);
  expect((await call('revokeShare', { token: tokens.analyst, params: { id: sh.body.id } })).status).toBe(200);
  expect(await fired(tokens.viewer)).toBe(404);
  // the latest hunt over the snapshot is the viewer's, run with P while it was shared: each reader counts
  // only the playbooks they may read now — P's creator its hit, the viewer (share revoked) and the admin (RED) nothing
  const latest = async (token: string) => (await call('projectHuntSummaries', { token, params: { id: ids.project } })).body[0];
  expect(await latest(tokens.analyst)).toMatchObject({ owner_id: ids.viewer, playbooks_run: 1, hits: 1, playbooks: 1, by_playbook: [{ playbook_id: P, hits: 1, severity: 'low' }] });
  expect(await latest(tokens.viewer)).toMatchObject({ owner_id: ids.viewer, playbooks_run: 1, hits: 0, playbooks: 0, severity: null, by_playbook: [] });
  expect(await latest(tokens.admin)).toMatchObject({ hits: 0, by_playbook: [] });
  // edit: validated the same way; the new title is listed
  expect((await call('updatePlaybook', { token: tokens.analyst, params: { id: P }, body: { yaml: 'id: x' } })).status).toBe(400);
  const upd = await call('updatePlaybook', { token: tokens.analyst, params: { id: P }, body: { yaml: yaml.replace('Getty started by init', 'Getty from init') } });
  expect(upd.body).toMatchObject({ name: 'Getty from init', classification: 'RED' });
  const audit = (await call('audit', { token: tokens.admin, query: { project_id: ids.project } })).body.filter((e: any) => e.resource_id === P).map((e: any) => e.action);
  expect(audit).toEqual(['playbook.update', 'share.revoke', 'share.create', 'classify', 'playbook.create']);
  expect((await call('deletePlaybook', { token: tokens.analyst, params: { id: P } })).status).toBe(200);
  expect((await call('getPlaybook', { token: tokens.analyst, params: { id: P } })).status).toBe(404);
});

test('authorization matrix over the API: shares, RED, revocation, viewer limits, audit', async () => {
  const snap = { kind: 'snapshot', id: ids.snap };
  // viewer: no share, no classify, no delete
  expect((await call('share', { token: tokens.viewer, params: snap, body: { target_kind: 'user', target_id: ids.outsider } })).status).toBe(403);
  expect((await call('classify', { token: tokens.viewer, params: snap, body: { classification: 'GREEN' } })).status).toBe(403);
  expect((await call('deleteSnapshot', { token: tokens.viewer, params: { id: ids.snap } })).status).toBe(403);
  // outsider (same org) does not see it, org B does not see it
  expect((await call('getSnapshot', { token: tokens.outsider, params: { id: ids.snap } })).status).toBe(404);
  // analyst shares with outsider → visible, in /shared; revoke → gone
  const sh = await call('share', { token: tokens.analyst, params: snap, body: { target_kind: 'user', email: 'outsider@a.test' } });
  expect(sh.status).toBe(201);
  expect((await call('getSnapshot', { token: tokens.outsider, params: { id: ids.snap } })).status).toBe(200);
  expect((await call('sharedWithMe', { token: tokens.outsider })).body.map((x: any) => x.item.id)).toEqual([ids.snap]);
  expect((await call('listShares', { token: tokens.viewer, params: snap })).body.length).toBe(1);
  expect((await call('revokeShare', { token: tokens.outsider, params: { id: sh.body.id } })).status).toBe(403);
  expect((await call('revokeShare', { token: tokens.analyst, params: { id: sh.body.id } })).body.revoked_at).not.toBeNull();
  expect((await call('getSnapshot', { token: tokens.outsider, params: { id: ids.snap } })).status).toBe(404);
  expect((await call('sharedWithMe', { token: tokens.outsider })).body).toEqual([]);
  // sharing into org B is refused as if the user did not exist
  expect((await call('share', { token: tokens.analyst, params: snap, body: { target_kind: 'user', email: 'admin@b.test' } })).status).toBe(404);
  // RED: only the creator (analyst) and named recipients
  const cl = await call('classify', { token: tokens.analyst, params: snap, body: { classification: 'RED', tags: ['ir-42'] } });
  expect(cl.body).toMatchObject({ classification: 'RED', tags: ['ir-42'] });
  expect((await call('getSnapshot', { token: tokens.viewer, params: { id: ids.snap } })).status).toBe(404);
  expect((await call('getSnapshot', { token: tokens.admin, params: { id: ids.snap } })).status).toBe(404);
  expect((await call('listSnapshots', { token: tokens.admin, query: { project_id: ids.project } })).body).toEqual([]);
  const hv = await hunt(tokens.viewer, { scope: { project_id: ids.project } });
  expect(hv.job.snapshot_ids).toEqual([]);
  expect(hv.job.result.hits).toEqual([]); // RED data is not hunted for people outside the list either
  await call('share', { token: tokens.analyst, params: snap, body: { target_kind: 'project', target_id: ids.otherProject } });
  expect((await call('getSnapshot', { token: tokens.outsider, params: { id: ids.snap } })).status).toBe(404);
  const named = await call('share', { token: tokens.analyst, params: snap, body: { target_kind: 'user', target_id: ids.viewer } });
  expect((await call('getSnapshot', { token: tokens.viewer, params: { id: ids.snap } })).body.classification).toBe('RED');
  await call('revokeShare', { token: tokens.analyst, params: { id: named.body.id } });
  expect((await call('getSnapshot', { token: tokens.viewer, params: { id: ids.snap } })).status).toBe(404);
  // a query over a RED snapshot: the audit log keeps the job and snapshot ids, not the query text (#13 item 7)
  const redQ = await call('startQuery', { token: tokens.analyst, body: { text: 'process.vad_object.file_name == "red-secret-term"', scope: { snapshot_ids: [ids.snap] } } });
  expect(redQ.status).toBe(202);
  // audit: owner reads the project's log (admin is owner of the project, but the log is metadata, not RED data)
  const audit = await call('audit', { token: tokens.admin, query: { project_id: ids.project } });
  expect(JSON.stringify(audit.body)).not.toContain('red-secret-term');
  expect(audit.body.find((e: any) => e.resource_id === redQ.body.id).detail).toEqual({ redacted: true, snapshots: [ids.snap] });
  const actions = audit.body.map((e: any) => e.action);
  for (const a of ['snapshot.upload', 'query.run', 'hunt.run', 'ioc.search', 'share.create', 'share.revoke', 'classify']) expect(actions).toContain(a);
  expect((await call('audit', { token: tokens.viewer, query: { project_id: ids.project } })).status).toBe(403);
  // lists page newest-first: the cursor of the next page is the x-next-cursor header (#13 item 8)
  const p1 = await call('audit', { token: tokens.admin, query: { limit: '2' } });
  expect(p1.body).toHaveLength(2);
  const p2 = await call('audit', { token: tokens.admin, query: { limit: '2', before: p1.res.headers['x-next-cursor']! } });
  expect(p2.body[0].id < p1.body[1].id).toBe(true);
  // delete: the creator (analyst) may delete; data goes too
  expect((await call('deleteSnapshot', { token: tokens.analyst, params: { id: ids.snap } })).status).toBe(200);
  expect(fs.existsSync(path.join(storeDir, 'process', `project=${ids.project}`, `machine=${ids.machine}`, `snapshot=${ids.snap}`))).toBe(false);
  expect((await call('audit', { token: tokens.admin })).body[0].action).toBe('snapshot.delete');
  expect((await call('logout', { token: tokens.outsider })).status).toBe(200);
  expect((await call('me', { token: tokens.outsider })).status).toBe(401);
});

test('accounts (#13 item 15): tokens expire and can be listed and revoked, passwords change, admins disable and delete users', async () => {
  const pw = 'temp-user-password';
  const made = await call('createUser', { token: tokens.admin, body: { email: 'temp@a.test', name: 'temp', password: pw } });
  expect(made.status).toBe(201);
  const login = async (password: string) => call('login', { body: { email: 'temp@a.test', password } });
  const t1 = (await login(pw)).body.token as string;
  const api1 = await call('createToken', { token: t1, body: { name: 'script', expires_in_days: 7 } });
  expect(api1.status).toBe(201);
  const list = (await call('listTokens', { token: t1 })).body as any[];
  expect(list.map((t) => t.name).sort()).toEqual(['script', 'sign-in']);
  const script = list.find((t) => t.name === 'script');
  const days = (Date.parse(script.expires_at) - Date.parse(script.created_at)) / 86_400_000;
  expect(Math.round(days)).toBe(7);
  expect(JSON.stringify(list)).not.toContain(api1.body.token); // only digests are listed
  // another user (not an admin) cannot revoke it; the owner can
  expect((await call('revokeToken', { token: tokens.viewer, params: { id: script.id } })).status).toBe(404);
  expect((await call('revokeToken', { token: t1, params: { id: script.id } })).status).toBe(200);
  expect((await call('me', { token: api1.body.token })).status).toBe(401);
  // password change: the current one is needed, the policy applies, other sessions end, this one stays
  const t2 = (await login(pw)).body.token as string;
  expect((await call('changePassword', { token: t1, body: { current_password: 'wrong-password', new_password: 'a new passphrase' } })).status).toBe(403);
  expect((await call('changePassword', { token: t1, body: { current_password: pw, new_password: 'short' } })).status).toBe(400);
  expect((await call('changePassword', { token: t1, body: { current_password: pw, new_password: 'a new passphrase' } })).status).toBe(200);
  expect((await call('me', { token: t1 })).status).toBe(200);
  expect((await call('me', { token: t2 })).status).toBe(401);
  expect((await login(pw)).status).toBe(401);
  // disable: no sign-in, no token; only an admin may; enable brings sign-in back
  const id = made.body.id as string;
  expect((await call('updateUser', { token: tokens.viewer, params: { id }, body: { disabled: true } })).status).toBe(403);
  const dis = await call('updateUser', { token: tokens.admin, params: { id }, body: { disabled: true } });
  expect(dis.body.disabled_at).toEqual(expect.any(String));
  expect((await call('me', { token: t1 })).status).toBe(401);
  expect((await login('a new passphrase')).body.error.message).toMatch(/disabled/);
  await call('updateUser', { token: tokens.admin, params: { id }, body: { disabled: false } });
  expect((await login('a new passphrase')).status).toBe(200);
  // org B's admin cannot touch org A's users; an admin cannot delete themselves
  expect((await call('deleteUser', { token: tokens.b, params: { id } })).status).toBe(404);
  const me = (await call('me', { token: tokens.admin })).body.user.id;
  expect((await call('deleteUser', { token: tokens.admin, params: { id: me } })).status).toBe(400);
  expect((await call('deleteUser', { token: tokens.admin, params: { id } })).status).toBe(200);
  expect((await login('a new passphrase')).status).toBe(401);
  expect((await call('listUsers', { token: tokens.admin })).body.map((u: any) => u.email)).not.toContain('temp@a.test');
});

test('every route was exercised', () => {
  expect(routes.map((r) => r.id).filter((id) => !called.has(id))).toEqual([]);
});

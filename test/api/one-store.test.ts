// One store, one truth (#15): what `memq add --store S` puts in S is listed by `memq serve --store S`
// (projects, machines and snapshots registered on first sight, owned by the local admin's org), also
// when added while the server runs; what is uploaded through the API is visible to `memq query` and
// `memq hunt --store S`. A snapshot name used at two places of the store is refused by `memq add` and
// never registered (queries scope by snapshot id). Expectations come from the dev dump's ground truth.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, type RunningServer } from '../../lib/api/server';
import { dumpPath, groundTruth } from '../support/dumps';

const BIN = path.resolve(__dirname, '../../bin/memq.js');
const gt = groundTruth('6.1');
let tmp: string;
let store: string;
let dump: string;
let server: RunningServer | null = null;
let token: string;

/** The CLI in a child process; asynchronous, so the server in this process keeps serving meanwhile. */
function memq(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MEMQ_PROGRESS: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, out, err })));
  });
}

async function call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server!.url}/api/v1${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: (r.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

async function serve(): Promise<void> {
  server = await startServer({ store, port: 0, webDir: null, admin: { email: 'admin@one.test', password: 'one-store-password' }, validateResponses: true });
  token = '';
  token = (await call('POST', '/auth/login', { email: 'admin@one.test', password: 'one-store-password' })).body.token;
}

const gtProc = (role: string) => gt.processes.find((p) => p.pid === gt.roles[role])!;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-one-store-'));
  store = path.join(tmp, 'store');
  dump = await dumpPath('6.1', 'memory.kdump');
  const a = await memq('add', dump, '--store', store, '--project', 'dev', '--machine', 'linux-dev', '--snapshot', 's1');
  if (a.code !== 0) throw new Error(`memq add failed: ${a.err}`);
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('memq add → memq serve lists the project, machine and snapshot, owned by the local admin', async () => {
  await serve();
  const me = (await call('GET', '/me')).body;
  const projects = (await call('GET', '/projects')).body;
  expect(projects).toEqual([expect.objectContaining({ id: 'dev', name: 'dev', org_id: me.user.org_id, role: 'owner' })]);
  expect((await call('GET', '/projects/dev/machines')).body).toEqual([expect.objectContaining({ id: 'linux-dev', name: 'linux-dev', os: 'linux' })]);
  const snaps = (await call('GET', '/snapshots?project_id=dev')).body;
  expect(snaps).toHaveLength(1);
  expect(snaps[0]).toMatchObject({ id: 's1', project_id: 'dev', machine_id: 'linux-dev', status: 'ready', os: 'linux', kernel: String(gt.kernel.release), dump_name: 'memory.kdump', size: fs.statSync(dump).size });
  expect(snaps[0].counts.process).toBe(gt.processes.length);
  // when the dump was taken, read from the dump (test/linux/capture-time.test.ts checks the value)
  expect(snaps[0].captured_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  // the registration is in the audit log
  const audit = (await call('GET', '/audit')).body;
  expect(audit.map((e: any) => e.action)).toEqual(expect.arrayContaining(['project.register', 'snapshot.register']));
  // and the data answers through the API: browse and query
  const page = (await call('GET', `/snapshots/s1/tables/process?f.process_id=${gt.roles.evil_miner}`)).body;
  expect(page.rows[0][page.columns.findIndex((c: any) => c.name === 'name')]).toBe(gtProc('evil_miner').task_comm);
  let job = (await call('POST', '/queries', { text: `process.process_object.process_id == ${gt.roles.deleted_exe}`, scope: { project_id: 'dev' } })).body;
  for (let i = 0; job.status === 'running' && i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = (await call('GET', `/queries/${job.id}?limit=0`)).body.job;
  }
  const res = (await call('GET', `/queries/${job.id}`)).body;
  expect(res.page.rows.map((r: unknown[]) => r[res.page.columns.findIndex((c: any) => c.name === 'name')])).toEqual([gtProc('deleted_exe').task_comm]);
}, 120_000);

test('a snapshot added while the server runs appears on the next request; restarting registers nothing twice', async () => {
  const a = await memq('add', dump, '--store', store, '--project', 'dev', '--machine', 'linux-dev-b', '--snapshot', 's2');
  expect(a.code).toBe(0);
  const ids = (await call('GET', '/snapshots')).body.map((s: any) => s.id).sort();
  expect(ids).toEqual(['s1', 's2']);
  await server!.close();
  await serve();
  expect((await call('GET', '/snapshots')).body.map((s: any) => s.id).sort()).toEqual(['s1', 's2']);
  expect((await call('GET', '/projects')).body).toHaveLength(1);
  // memq add --replace: the record follows the new manifest
  const before = (await call('GET', '/snapshots/s2')).body.created_at;
  expect((await memq('add', dump, '--store', store, '--project', 'dev', '--machine', 'linux-dev-b', '--snapshot', 's2', '--replace')).code).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(store, '_manifests', 'project=dev', 'machine=linux-dev-b', 'snapshot=s2', 'manifest.json'), 'utf8'));
  const after = (await call('GET', '/snapshots/s2')).body;
  expect(after.created_at).toBe(manifest.created_at);
  expect(after.created_at).not.toBe(before);
  expect(after.counts).toEqual(manifest.counts);
}, 300_000);

test('a snapshot name lives at one place: memq add refuses a second, and a copy made by hand is not registered', async () => {
  const dup = await memq('add', dump, '--store', store, '--project', 'other', '--machine', 'm', '--snapshot', 's1');
  expect(dup.code).not.toBe(0);
  expect(dup.err).toMatch(/snapshot name s1 is already used by dev\/linux-dev\/s1/);
  // a hand-made copy of s2's partition under another project (as an old store could hold)
  for (const top of fs.readdirSync(store)) {
    const from = path.join(store, top, 'project=dev', 'machine=linux-dev-b', 'snapshot=s2');
    if (fs.existsSync(from)) fs.cpSync(from, path.join(store, top, 'project=copy', 'machine=m2', 'snapshot=s2'), { recursive: true });
  }
  fs.writeFileSync(path.join(store, '_manifests', 'GENERATION'), `copy ${Date.now()}\n`);
  const snaps = (await call('GET', '/snapshots')).body;
  expect(snaps.map((s: any) => `${s.project_id}/${s.machine_id}/${s.id}`).sort()).toEqual(['dev/linux-dev-b/s2', 'dev/linux-dev/s1']);
  expect((await call('GET', '/projects')).body.map((p: any) => p.id)).toEqual(['dev']);
  // remove the copy again (its rows would otherwise answer scopes on s2)
  for (const top of fs.readdirSync(store)) fs.rmSync(path.join(store, top, 'project=copy'), { recursive: true, force: true });
}, 300_000);

test('a dump uploaded through the API is visible to memq query and memq hunt on the store', async () => {
  const size = fs.statSync(dump).size;
  const c = await call('POST', '/snapshots', { project_id: 'dev', machine_id: 'linux-dev', dump_name: 'memory.kdump', size });
  expect(c.status).toBe(201);
  const id = c.body.snapshot.id;
  const up = await fetch(`${server!.url}/api/v1/snapshots/${id}/content`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' }, body: fs.readFileSync(dump) });
  expect(up.status).toBe(200);
  let snap: any;
  for (let i = 0; i < 600; i++) {
    snap = (await call('GET', `/snapshots/${id}`)).body;
    if (snap.status === 'ready' || snap.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(snap).toMatchObject({ status: 'ready', error: null });
  // the same dump uploaded through the UI carries the same capture time as the CLI-added one
  const cliAdded = (await call('GET', '/snapshots/s1')).body;
  expect(snap.captured_at).toBe(cliAdded.captured_at);
  expect(snap.captured_at).toMatch(/^\d{4}-/);
  // the upload lives in the same store, under its project, machine and snapshot ids
  const q = await memq('query', '--store', store, '--snapshot', id, '--format', 'json', `process.process_object.process_id == ${gt.roles.evil_miner}`);
  expect(q.code).toBe(0);
  const rows = JSON.parse(q.out);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ project: 'dev', machine: 'linux-dev', snapshot: id, process_id: gt.roles.evil_miner, name: gtProc('evil_miner').task_comm });
  const h = await memq('hunt', '--store', store, '--snapshot', id, '--only', 'linux-deleted-executable', '--format', 'json');
  expect(h.code).toBe(1);
  const fired = JSON.parse(h.out).findings.map((f: any) => [f.snapshot, f.process_id]);
  expect(fired).toContainEqual([id, gt.roles.deleted_exe]);
  // memq snapshots names it as the server does (its partitions are ids)
  const listed = JSON.parse((await memq('snapshots', '--store', store, '--format', 'json')).out);
  expect(listed.find((x: any) => x.snapshot === id)).toMatchObject({ project: 'dev', machine: 'linux-dev', names: 'dev/linux-dev/memory.kdump', processes: gt.processes.length });
  expect(listed.find((x: any) => x.snapshot === 's1').names).toBe('');
  // and the server does not register its own upload a second time
  expect((await call('GET', '/snapshots')).body.filter((s: any) => s.id === id)).toHaveLength(1);
}, 300_000);

// YARA through the HTTP API of `memq serve`: POST /snapshots takes `yara_rules` (a broken rule is a 400
// naming its line and column), the upload's analysis runs them, and the yara_match table is browsable
// — on the real rootkit-dev kdump, checked against the ground truth's keylogger buffer.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createApi, type Api } from '../../lib/api/router';
import { routes } from '../../lib/api/routes';
import { API_PREFIX } from '../../lib/api/http';
import { tokenAuthenticator } from '../../lib/api/identity';
import { localDataPlane } from '../../lib/dataplane/planes';
import type { DataPlaneService } from '../../lib/dataplane/service';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);

const DUMP = path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump');
const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, 'linux-dev-rootkit', 'ground-truth.json'), 'utf8'));
const hook = (gt.rootkit.hooks as { type: string; keylog_addr: string }[]).find((h) => h.type === 'keyboard_notifier')!;
let api: Api;
let data: DataPlaneService;
let storeDir: string;
let token: string;

async function call(id: string, o: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown; raw?: AsyncIterable<Uint8Array> } = {}) {
  const r = routes.find((x) => x.id === id)!;
  const p = r.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(o.params?.[n] ?? ''));
  const res = await api.handle({ method: r.method, path: API_PREFIX + p, query: o.query, headers: { authorization: `Bearer ${token}` }, body: o.raw ?? (o.body === undefined ? null : JSON.stringify(o.body)) });
  const text = typeof res.body === 'string' ? res.body : Buffer.from(res.body).toString();
  return { status: res.status, body: (res.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(text) : text };
}

beforeAll(async () => {
  storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-yara-api-'));
  const platform = new Platform(new SqliteRepository(':memory:'));
  data = localDataPlane(storeDir);
  api = createApi({ platform, data, auth: tokenAuthenticator(platform), localSignIn: true, validateResponses: true });
  await platform.bootstrap({ email: 'admin@a.test', password: 'admin-pw' });
  token = (await call('login', { body: { email: 'admin@a.test', password: 'admin-pw' } })).body.token;
});
afterAll(async () => {
  await data.close();
  fs.rmSync(storeDir, { recursive: true, force: true });
});

test('POST /snapshots with yara_rules: a broken rule is a 400 with line and column; good rules fill yara_match', async () => {
  const project = (await call('createProject', { body: { name: 'yara' } })).body.id as string;
  const size = fs.statSync(DUMP).size;
  const base = { project_id: project, machine_name: 'rk', dump_name: 'memory.kdump', size };
  const bad = await call('createSnapshot', { body: { ...base, yara_rules: 'rule x {\n  condition: $a\n}' } });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toMatch(/YARA rules yara_rules: line 2, column 14/);
  const rules = 'rule keylog : keylogger { strings: $k = "memqdevkeylog42" condition: $k }';
  const c = await call('createSnapshot', { body: { ...base, yara_rules: rules } });
  expect(c.status).toBe(201);
  const id = c.body.snapshot.id as string;
  expect(c.body.snapshot.yara_rules).toBe(rules);
  expect((await call('uploadSnapshot', { params: { id }, raw: fs.createReadStream(DUMP) })).status).toBe(200);
  let snap: { status: string; error: string | null; counts: Record<string, number> } = { status: '', error: null, counts: {} };
  for (let i = 0; i < 1500 && snap.status !== 'ready' && snap.status !== 'failed'; i++) {
    await new Promise((r) => setTimeout(r, 200));
    snap = (await call('getSnapshot', { params: { id } })).body;
  }
  expect([snap.status, snap.error]).toEqual(['ready', null]);
  expect(snap.counts.yara_match).toBe(1);
  const page = await call('browseTable', { params: { id, table: 'yara_match' } });
  const cols = (page.body.columns as { name: string }[]).map((x) => x.name);
  const row = Object.fromEntries(cols.map((n, i) => [n, page.body.rows[0][i]]));
  expect([row.rule, row.module_name, row.address]).toEqual(['keylog', 'memq_testkit', `0x${(BigInt(hook.keylog_addr) + 1n).toString(16).padStart(16, '0')}`]);
});

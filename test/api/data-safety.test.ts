// Issue 13, items 1 and 3 through the API of `memq serve` (the router over the local data plane, the
// analysis child process included):
// - a gzip bomb uploaded with PUT /snapshots/{id}/content used to grow $MEMQ_CACHE without bound: it
//   now fails the analysis at the budget, with one line, and leaves nothing in the cache; a legitimate
//   mostly-zero dump that fits the budget is analyzed, and its decompressed copy is removed after;
// - DELETE /snapshots/{id} used to answer 200 while the worker kept writing: it now stops the worker
//   and removes its partial output before answering;
// - two uploads to one snapshot at once produced a file matching neither and a 500: now one wins,
//   the other gets 409, and the stored file is exactly the winner's bytes.
// - (item 2) an analysis worker killed mid-way leaves nothing of the snapshot visible in the store.
// Bombs inflate to zeros (holes on disk) or are stopped by a budget of 64–160 MiB: the disk is never filled.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { createApi, type Api } from '../../lib/api/router';
import { API_PREFIX } from '../../lib/api/http';
import { tokenAuthenticator } from '../../lib/api/identity';
import { localDataPlane } from '../../lib/dataplane/planes';
import type { DataPlaneService } from '../../lib/dataplane/service';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { writeGzipBomb, MEMBER_BYTES } from '../support/bomb';
import { IMAGES, dumpPath } from '../support/dumps';
import { listSnapshots, openLocalStore } from '../../lib/store/store';
import { runQuery } from '../../lib/engine';
import { tableNames } from '../../lib/model';

const PASSWORD = 'correct-horse-battery-staple-13';

interface Server {
  api: Api;
  data: DataPlaneService;
  store: string;
  cache: string;
  token: string;
  project: string;
  close(): Promise<void>;
}

const servers: Server[] = [];
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-safety-'))));
afterAll(async () => {
  for (const s of servers) await s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A local API (store, cache, platform) whose analysis child gets `env`. */
async function server(name: string, env: Record<string, string>): Promise<Server> {
  const store = path.join(tmp, name, 'store');
  const cache = path.join(tmp, name, 'cache');
  const platform = new Platform(new SqliteRepository(':memory:'));
  const data = localDataPlane(store, { env: { ...env, MEMQ_CACHE: cache } });
  const api = createApi({ platform, data, auth: tokenAuthenticator(platform), localSignIn: true, validateResponses: true });
  await platform.bootstrap({ email: 'admin@a.test', password: PASSWORD });
  const s: Server = { api, data, store, cache, token: '', project: '', close: () => data.close() };
  s.token = (await call(s, 'POST', '/auth/login', { body: JSON.stringify({ email: 'admin@a.test', password: PASSWORD }) })).body.token;
  s.project = (await call(s, 'POST', '/projects', { body: JSON.stringify({ name: 'p' }) })).body.id;
  servers.push(s);
  return s;
}

async function call(s: Server, method: string, p: string, o: { body?: string | AsyncIterable<Uint8Array> } = {}): Promise<{ status: number; body: any }> {
  const res = await s.api.handle({ method, path: API_PREFIX + p, headers: s.token ? { authorization: `Bearer ${s.token}` } : {}, body: o.body ?? null });
  const text = typeof res.body === 'string' ? res.body : Buffer.from(res.body).toString();
  return { status: res.status, body: (res.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(text) : text };
}

async function createSnapshot(s: Server, size: number): Promise<string> {
  const r = await call(s, 'POST', '/snapshots', { body: JSON.stringify({ project_id: s.project, machine_name: 'box', dump_name: 'memory.raw.gz', size }) });
  expect(r.status).toBe(201);
  return r.body.snapshot.id;
}

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  for await (const c of fs.createReadStream(file, { highWaterMark: 1 << 20 })) yield c as Buffer;
}

async function settled(s: Server, id: string): Promise<any> {
  for (;;) {
    const snap = (await call(s, 'GET', `/snapshots/${id}`)).body;
    if (snap.status !== 'analyzing') return snap;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const cacheFiles = (s: Server) => (fs.existsSync(s.cache) ? fs.readdirSync(s.cache).filter((n) => n !== 'discovery') : []);

test('a gzip bomb fails at the budget with one line and leaves nothing in the cache; a mostly-zero dump that fits is analyzed', async () => {
  const s = await server('budget', { MEMQ_MAX_DECOMPRESSED: '160M', MEMQ_DISK_MARGIN: '0' });
  const bomb = path.join(tmp, 'bomb-a.gz');
  const size = writeGzipBomb(bomb, 64 * MEMBER_BYTES, 0x41); // 1 GiB of 'A'
  const id = await createSnapshot(s, size);
  expect((await call(s, 'PUT', `/snapshots/${id}/content`, { body: fileChunks(bomb) })).status).toBe(200);
  const snap = await settled(s, id);
  expect(snap.status).toBe('failed');
  expect(snap.error).toMatch(/decompresses to more than 160 MiB/);
  expect(snap.error).not.toContain('\n');
  expect(cacheFiles(s)).toEqual([]);

  // the real 128 MiB raw dump, gzip-wrapped: fits in 160 MiB
  const gz = path.join(IMAGES, 'linux-dev/memory.raw.gz');
  const ok = await createSnapshot(s, fs.statSync(gz).size);
  expect((await call(s, 'PUT', `/snapshots/${ok}/content`, { body: fileChunks(gz) })).status).toBe(200);
  const done = await settled(s, ok);
  expect(done.status).toBe('ready');
  expect(done.counts.process).toBeGreaterThan(10);
  // the decompressed copy is not kept once the tables are written
  expect(cacheFiles(s)).toEqual([]);
});

test('DELETE /snapshots/{id} during decompression stops the worker and removes its partial output before answering', async () => {
  const s = await server('delete', { MEMQ_MAX_DECOMPRESSED: '1T', MEMQ_DISK_MARGIN: '0' });
  const bomb = path.join(tmp, 'bomb-zero.gz');
  const size = writeGzipBomb(bomb, 1024 * MEMBER_BYTES); // 16 GiB of zeros: holes, no disk
  const id = await createSnapshot(s, size);
  expect((await call(s, 'PUT', `/snapshots/${id}/content`, { body: fileChunks(bomb) })).status).toBe(200);
  let partial: string | undefined;
  while (!partial) {
    partial = cacheFiles(s).find((n) => /\.partial-\d+$/.test(n));
    if (!partial) {
      const snap = (await call(s, 'GET', `/snapshots/${id}`)).body;
      expect(snap.status).toBe('analyzing'); // not failed or finished before we could delete it
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const worker = Number(/\.partial-(\d+)$/.exec(partial)![1]);
  expect((await call(s, 'DELETE', `/snapshots/${id}`)).status).toBe(200);
  // the worker is gone, and with it everything it wrote
  expect(() => process.kill(worker, 0)).toThrow(/ESRCH/);
  expect(cacheFiles(s)).toEqual([]);
  expect(fs.readdirSync(path.join(s.store, '_uploads'))).toEqual([]);
  expect(fs.existsSync(path.join(s.store, '_staging')) ? fs.readdirSync(path.join(s.store, '_staging')) : []).toEqual([]);
  expect((await call(s, 'GET', `/snapshots/${id}`)).status).toBe(404);
});

test('two uploads to one snapshot at once: one wins, the other gets 409, the stored file is the winner\'s bytes', async () => {
  const s = await server('race', { MEMQ_MAX_DECOMPRESSED: '64M' });
  const chunk = (c: number) => Buffer.alloc(64 << 10, c);
  async function* slow(c: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 32; i++) {
      yield chunk(c);
      await new Promise((r) => setImmediate(r)); // the two bodies interleave
    }
  }
  const sha = (c: number) => {
    const h = crypto.createHash('sha256');
    for (let i = 0; i < 32; i++) h.update(chunk(c));
    return h.digest('hex');
  };
  const id = await createSnapshot(s, 32 * (64 << 10));
  const [a, b] = await Promise.all([call(s, 'PUT', `/snapshots/${id}/content`, { body: slow(0x61) }), call(s, 'PUT', `/snapshots/${id}/content`, { body: slow(0x62) })]);
  expect([a.status, b.status].sort()).toEqual([200, 409]);
  const loser = a.status === 409 ? a : b;
  expect(loser.body.error.message).toMatch(/another upload to this snapshot/);
  const winner = a.status === 200 ? 0x61 : 0x62;
  const uploads = path.join(s.store, '_uploads');
  expect(fs.readdirSync(uploads)).toEqual([`${id}.dump`]); // no temp file left behind
  expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(uploads, `${id}.dump`))).digest('hex')).toBe(sha(winner));
  // and once the winner is in, a later upload is refused too
  expect((await call(s, 'PUT', `/snapshots/${id}/content`, { body: slow(0x63) })).status).toBe(409);
  await settled(s, id);
});

test('an analysis worker killed mid-way leaves nothing of the snapshot in the store (item 2, server side)', async () => {
  const s = await server('crash', {});
  const dump = await dumpPath('6.1', 'memory.kdump');
  const id = await createSnapshot(s, fs.statSync(dump).size);
  expect((await call(s, 'PUT', `/snapshots/${id}/content`, { body: fileChunks(dump) })).status).toBe(200);
  // the worker stages its tables under <store>/_staging/<pid>-…: kill it once some are written
  const staging = path.join(s.store, '_staging');
  let victim: { pid: number; tables: number } | undefined;
  while (!victim) {
    for (const d of fs.existsSync(staging) ? fs.readdirSync(staging) : []) {
      const tables = tableNames.filter((t) => fs.existsSync(path.join(staging, d, t))).length;
      if (tables >= 2) victim = { pid: Number.parseInt(d, 10), tables };
    }
    if (!victim) {
      expect((await call(s, 'GET', `/snapshots/${id}`)).body.status).toBe('analyzing');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  process.kill(victim.pid, 'SIGKILL');
  const snap = await settled(s, id);
  expect(snap.status).toBe('failed');
  expect(victim.tables).toBeLessThan(tableNames.length);
  expect(listSnapshots(s.store)).toEqual([]);
  expect(fs.readdirSync(staging)).toEqual([]);
  const store = openLocalStore(s.store);
  try {
    expect((await runQuery(store, 'process')).rows).toEqual([]);
  } finally {
    store.close();
  }
});

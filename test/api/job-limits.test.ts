// #13 item 10: one user cannot take the job machinery for everyone. Per-user running quota (429 past
// it, even for 150 parallel starts), eviction that only ever removes the flooder's own results, turns
// between users at the engine, a result-size cap and a statement timeout. Fake engines and clocks: no
// timing assertions.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataPlaneService } from '../../lib/dataplane/service';
import { memoryJobStore } from '../../lib/dataplane/job-stores';
import { FairQueue } from '../../lib/dataplane/engines';
import type { DumpStore, ExecState, SqlEngine, SqlStatement } from '../../lib/dataplane/ports';
import type { Snapshot } from '../../lib/platform/model';
import { duckdbExecutor } from '../../lib/engine';
import { openLocalStore } from '../../lib/store/store';
import type { CompiledQuery } from '../../lib/query';

/** An engine whose statements finish only when the test says so. */
function fakeEngine(rowsOf: (st: SqlStatement) => unknown[][] = () => [[1]]) {
  const runs = new Map<string, { st: SqlStatement; owner?: string; state: ExecState }>();
  let n = 0;
  const engine: SqlEngine = {
    dialect: 'duckdb',
    settles: true,
    async start(st, o) {
      const id = `x${++n}`;
      runs.set(id, { st, owner: o?.owner, state: { state: 'running' } });
      return id;
    },
    async state(id) {
      return runs.get(id)?.state ?? { state: 'failed', reason: 'gone' };
    },
    async fetch(id, _columns, maxRows) {
      const rows = rowsOf(runs.get(id)!.st);
      return { rows: rows.slice(0, maxRows), truncated: rows.length > maxRows };
    },
  };
  const finishAll = () => runs.forEach((r) => (r.state = { state: 'succeeded', elapsedMs: 1 }));
  return { engine, runs, finishAll };
}

const snap = { id: 'snp_1', project_id: 'prj_1', machine_id: 'mac_1', os: 'linux' } as Snapshot;
const plane = (engine: SqlEngine, extra: object = {}) =>
  new DataPlaneService({
    engine,
    jobs: memoryJobStore({ maxEntriesPerOwner: 8, ttlMs: 3600_000 }),
    dumps: {} as DumpStore,
    limits: { maxResultRows: 1000, maxRunningJobsPerUser: 4, jobsExpireAfter: 'an hour', ...extra },
  });
const Q = 'process.process_object.process_id >= 0';

test('150 parallel queries from one user: 4 run, the rest are 429 at once; another user still starts', async () => {
  const { engine } = fakeEngine();
  const dp = plane(engine);
  const results = await Promise.allSettled(Array.from({ length: 150 }, () => dp.startQuery([snap], Q, 'usr_flood')));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
  expect(ok).toHaveLength(4);
  expect(refused).toHaveLength(146);
  expect(refused.every((e) => e.kind === 'rate_limited' && e.retryAfter >= 1)).toBe(true);
  expect((await dp.startQuery([snap], Q, 'usr_victim')).status).toBe('running');
  // hunts and IOC searches count against the same quota
  await expect(dp.startIocSearch([snap], ['1.2.3.4'], 10, 'usr_flood')).rejects.toMatchObject({ kind: 'rate_limited' });
});

test('the quota frees itself when jobs finish, polled or not', async () => {
  const { engine, finishAll } = fakeEngine();
  const dp = plane(engine);
  for (let i = 0; i < 4; i++) await dp.startQuery([snap], Q, 'usr_a');
  await expect(dp.startQuery([snap], Q, 'usr_a')).rejects.toMatchObject({ kind: 'rate_limited' });
  finishAll(); // nobody polled: admission advances the running jobs itself
  expect((await dp.startQuery([snap], Q, 'usr_a')).status).toBe('running');
});

test("a flood of finished jobs evicts only the flooder's own results, never another user's unread one", async () => {
  const { engine, finishAll } = fakeEngine();
  const dp = plane(engine);
  const victim = await dp.startQuery([snap], Q, 'usr_victim');
  finishAll();
  for (let i = 0; i < 100; i++) {
    await dp.startQuery([snap], Q, 'usr_flood');
    finishAll();
  }
  const r = await dp.queryPage(victim.id, 'usr_victim', 0, 10);
  expect(r.job.status).toBe('done');
  expect(r.page!.rows).toEqual([[1]]);
});

test('memory job store: per-owner bound, TTL for everyone', async () => {
  let t = 0;
  const js = memoryJobStore({ maxEntriesPerOwner: 3, ttlMs: 1000, now: () => t });
  await js.put('b1', 'victim', 'B');
  for (let i = 0; i < 50; i++) await js.put(`a${i}`, i, 'A');
  expect(await js.get('b1')).toBe('victim');
  expect(await js.get('a46')).toBeNull();
  expect([await js.get('a47'), await js.get('a48'), await js.get('a49')]).toEqual([47, 48, 49]);
  t = 2000;
  await js.put('c1', 'x', 'C');
  expect(await js.get('b1')).toBeNull();
});

test('the engine takes turns between users: a queued flood delays another user by one statement at most', async () => {
  const q = new FairQueue(1);
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const task = (name: string) => () =>
    new Promise<void>((resolve) => {
      order.push(name);
      gates.push(resolve);
    });
  for (let i = 0; i < 20; i++) q.push('flood', task(`f${i}`));
  q.push('victim', task('v'));
  expect(order).toEqual(['f0']);
  gates.shift()!();
  await new Promise((r) => setImmediate(r));
  expect(order).toEqual(['f0', 'v']);
  while (gates.length) {
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  }
  expect(order).toHaveLength(21);
});

test('result-size cap: a result over the byte limit fails the job with a message, not the server', async () => {
  const { engine, finishAll } = fakeEngine(() => Array.from({ length: 500 }, (_x, i) => [i, 'x'.repeat(1000)]));
  const dp = plane(engine, { maxResultBytes: 100_000 });
  const j = await dp.startQuery([snap], Q, 'usr_a');
  finishAll();
  const r = await dp.queryPage(j.id, 'usr_a', 0, 10);
  expect(r.job.status).toBe('failed');
  expect(r.job.error!.message).toMatch(/over 0 MB|over \d+ MB; narrow it down/);
  expect(r.page).toBeNull();
});

test('query timeout: a runaway statement is interrupted and frees the connection', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-timeout-'));
  const store = openLocalStore(dir, { create: true });
  try {
    const exec = duckdbExecutor(store);
    const slow = { sql: 'SELECT count(*) AS n FROM range(100000000000) a', params: [], paramKinds: [], columns: [{ name: 'n', kind: 'int64', path: 'n' }] } as unknown as CompiledQuery;
    await expect(exec.execute(slow, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'E_TIMEOUT' });
    // the connection is free again for the next statement
    const quick = { ...slow, sql: 'SELECT 42 AS n' } as CompiledQuery;
    expect((await exec.execute(quick, { timeoutMs: 5000 })).rows).toEqual([{ n: 42 }]);
  } finally {
    store.close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

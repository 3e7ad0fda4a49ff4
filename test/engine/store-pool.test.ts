// A store with a small connection pool (what `memq serve` uses): a heavy query on one connection does
// not hold a light one behind it — the light one finishes while the heavy one is still running —
// and a pool of one keeps the old one-at-a-time order. Ordering is asserted, never elapsed time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalStore, type LocalStore } from '../../lib/store/store';

let dir: string;
const stores: LocalStore[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-pool-'));
});
afterAll(() => {
  for (const s of stores) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a query that runs until interrupted, and resolves `started` once it is executing. */
function heavy(store: LocalStore, events: string[]) {
  let interrupt: () => void = () => undefined;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const done = store
    .withConnection(async (conn) => {
      interrupt = () => conn.interrupt();
      events.push('heavy started');
      started();
      // a cross join big enough to run for minutes: it ends only when interrupted
      await conn.run('SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = -1').catch(() => undefined);
      events.push('heavy ended');
    })
    .catch(() => undefined);
  // interrupt until it has ended: an interrupt that lands before the statement starts is a no-op
  const stop = () => {
    const t = setInterval(() => interrupt(), 20);
    interrupt();
    void done.finally(() => clearInterval(t));
  };
  return { running, done, stop };
}

test('with three connections a light query finishes while a heavy one is still running', async () => {
  const store = openLocalStore(dir, { connections: 3 });
  stores.push(store);
  const events: string[] = [];
  const h = heavy(store, events);
  await h.running;
  const n = await store.withConnection(async (conn) => Number((await conn.runAndReadAll('SELECT 42')).getRows()[0]![0]));
  events.push('light ended');
  h.stop();
  await h.done;
  expect(n).toBe(42);
  expect(events).toEqual(['heavy started', 'light ended', 'heavy ended']);
}, 120000);

test('with one connection callers take turns (the light query waits for the heavy one)', async () => {
  const store = openLocalStore(dir, {});
  stores.push(store);
  const events: string[] = [];
  const h = heavy(store, events);
  await h.running;
  const light = store.withConnection(async () => void events.push('light ran'));
  // let the light caller queue up behind the heavy one, then stop the heavy query
  await new Promise((r) => setImmediate(r));
  h.stop();
  await Promise.all([h.done, light]);
  expect(events).toEqual(['heavy started', 'heavy ended', 'light ran']);
}, 120000);

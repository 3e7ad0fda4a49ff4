// #13 item 9: password sign-in under attack. Guessing is throttled per account and per client address
// with a doubling back-off (a fake clock: no waiting, no timing assertions); a locked key is refused
// before any hashing; scrypt runs off the event loop; an unknown e-mail costs the same scrypt as a
// known one; weak passwords are refused when set.
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { createApi } from '../../lib/api/router';
import { tokenAuthenticator } from '../../lib/api/identity';
import { API_PREFIX } from '../../lib/api/http';
import type { DataPlane } from '../../lib/dataplane/types';

const GOOD = 'correct horse battery';

async function setup() {
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const pf = new Platform(new SqliteRepository(':memory:'), { loginLimits: { now: clock.now } });
  const { user } = await pf.createOrgWithAdmin('Org', 'root@o.test', 'Root', GOOD);
  for (let i = 0; i < 10; i++) await pf.createUser(await pf.subject(user), { email: `u${i}@o.test`, name: `u${i}`, password: GOOD });
  return { pf, clock };
}

const kindOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { kind?: string }) => e.kind ?? 'error');

test('200 wrong passwords: after 5 failures the account is locked (429) — even the right password waits — with a growing back-off', async () => {
  const { pf, clock } = await setup();
  const kinds: string[] = [];
  for (let i = 0; i < 200; i++) kinds.push(await kindOf(pf.login('u1@o.test', `guess-${i}`, '10.0.0.1')));
  expect(kinds.slice(0, 5)).toEqual(Array(5).fill('unauthenticated'));
  expect(kinds.slice(5).every((k) => k === 'rate_limited')).toBe(true);
  await expect(pf.login('u1@o.test', GOOD, '10.0.0.2')).rejects.toMatchObject({ kind: 'rate_limited', retryAfter: 1 });
  // the lock doubles with each failure after it lifts
  clock.advance(1000);
  await expect(pf.login('u1@o.test', 'again', '10.0.0.2')).rejects.toMatchObject({ kind: 'unauthenticated' });
  await expect(pf.login('u1@o.test', GOOD, '10.0.0.2')).rejects.toMatchObject({ kind: 'rate_limited', retryAfter: 2 });
  clock.advance(2000);
  expect((await pf.login('u1@o.test', GOOD, '10.0.0.2')).user.email).toBe('u1@o.test');
  // a success clears the account's count; other accounts were never affected
  await expect(pf.login('u1@o.test', 'once', '10.0.0.2')).rejects.toMatchObject({ kind: 'unauthenticated' });
  expect((await pf.login('u2@o.test', GOOD, '10.0.0.1')).user.email).toBe('u2@o.test');
});

test('one address spraying many accounts is locked; other addresses still sign in', async () => {
  const { pf } = await setup();
  const kinds: string[] = [];
  // known and unknown accounts alike (unknown ones cost the same dummy hash)
  for (let i = 0; i < 35; i++) kinds.push(await kindOf(pf.login(`u${i}@o.test`, 'Winter2026!', '203.0.113.9')));
  expect(kinds.slice(0, 30).every((k) => k === 'unauthenticated')).toBe(true);
  expect(kinds.slice(30).every((k) => k === 'rate_limited')).toBe(true);
  await expect(pf.login('u9@o.test', GOOD, '203.0.113.9')).rejects.toMatchObject({ kind: 'rate_limited' });
  expect((await pf.login('u9@o.test', GOOD, '198.51.100.7')).user.email).toBe('u9@o.test');
});

/** setImmediate callbacks that ran while `p` was pending: 0 means it finished without ever yielding to
 * the event loop (no thread-pool scrypt happened); many means it waited on the thread pool. */
async function ticksDuring(p: Promise<unknown>): Promise<number> {
  let done = false;
  let ticks = 0;
  const tick = () => {
    if (done) return;
    ticks++;
    setImmediate(tick);
  };
  setImmediate(tick);
  await p.catch(() => null);
  done = true;
  return ticks;
}

test('a locked sign-in is refused without hashing; an unknown e-mail hashes like a known one', async () => {
  const { pf } = await setup();
  await pf.login('nobody@o.test', 'warm-up').catch(() => null); // the dummy hash is made once
  expect(await ticksDuring(pf.login('u5@o.test', 'wrong-1'))).toBeGreaterThan(0);
  expect(await ticksDuring(pf.login('nobody@o.test', 'wrong-1'))).toBeGreaterThan(0);
  for (let i = 0; i < 4; i++) await kindOf(pf.login('u5@o.test', 'wrong'));
  const locked = pf.login('u5@o.test', GOOD);
  expect(await ticksDuring(locked)).toBe(0);
  expect(await kindOf(locked)).toBe('rate_limited');
});

test('scrypt runs off the event loop: other callbacks keep running while a sign-in hashes', async () => {
  const { pf } = await setup();
  let done = false;
  let ticks = 0;
  const tick = () => {
    ticks++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  await Promise.all([pf.login('u7@o.test', GOOD), pf.login('u8@o.test', GOOD), pf.login('nobody@o.test', GOOD).catch(() => null)]);
  done = true;
  // a synchronous scrypt would finish all three before the first setImmediate callback ran
  expect(ticks).toBeGreaterThan(3);
});

test('minimum password policy for new users and the first-run admin (MEMQ_ADMIN_PASSWORD=a is refused)', async () => {
  const { pf } = await setup();
  const s = await pf.subject((await pf.repo.find('user', 'email', 'root@o.test'))[0]!);
  for (const pw of ['a', 'short1', 'password', 'aaaaaaaaaaaa', 'newbie@o.test', 'newbie'])
    await expect(pf.createUser(s, { email: 'newbie@o.test', name: 'n', password: pw })).rejects.toMatchObject({ kind: 'invalid' });
  expect((await pf.createUser(s, { email: 'newbie@o.test', name: 'n', password: 'a fine passphrase' })).email).toBe('newbie@o.test');
  const fresh = new Platform(new SqliteRepository(':memory:'));
  await expect(fresh.bootstrap({ email: 'admin@x.test', password: 'a' })).rejects.toThrow(/MEMQ_ADMIN_PASSWORD.*at least 8/);
  expect((await fresh.bootstrap({ email: 'admin@x.test' })).created).toBe(true); // generated passwords pass
});

test('over the API: 429 with Retry-After, keyed by the client address the server saw', async () => {
  const { pf } = await setup();
  const api = createApi({ platform: pf, data: {} as DataPlane, auth: tokenAuthenticator(pf), localSignIn: true });
  const login = (password: string, client: string) =>
    api.handle({ method: 'POST', path: `${API_PREFIX}/auth/login`, client, body: JSON.stringify({ email: 'u3@o.test', password }) });
  for (let i = 0; i < 5; i++) expect((await login('nope-nope', '192.0.2.1')).status).toBe(401);
  const r = await login(GOOD, '192.0.2.1');
  expect(r.status).toBe(429);
  expect(r.headers['retry-after']).toBe('1');
  expect(JSON.parse(String(r.body)).error.code).toBe('E_RATE_LIMITED');
});

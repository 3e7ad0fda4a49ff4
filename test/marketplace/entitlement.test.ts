// The buyer deployment honours the subscription: the policy (full → read-only grace → ingest stops,
// data untouched), and the deployed Lambdas' gates reading the reporter's entitlement item from the
// usage table (dynalite, reached through the SDK's AWS_ENDPOINT_URL_DYNAMODB like any endpoint).
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startDynamo, credentials, type LocalDynamo } from '../pipeline/local-aws';
import { usageCreateTableInput, writeEntitlement } from '../../lib/pipeline/usage-table';
import { decide, GRACE_DAYS, refuseApi, refuseIngest } from '../../lib/marketplace/entitlement';

process.env.MEMQ_LOG = 'off';
let ddb: LocalDynamo;
beforeAll(async () => {
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(usageCreateTableInput('usage')));
});
afterAll(() => ddb.stop());

const day = 86_400_000;
const ended = (endedAt: string) => ({ state: 'ended' as const, endedAt, checkedAt: endedAt });

test('policy: active/pending/ending → full; ended → read-only for the grace period, then ingest stops; never a data-deleting state', () => {
  const t0 = new Date('2026-12-01T00:00:00Z');
  for (const state of ['active', 'pending', 'ending'] as const) expect(decide({ state, checkedAt: t0.toISOString() }, t0).mode).toBe('full');
  expect(decide(null, t0).mode).toBe('full'); // before the first check
  const ro = decide(ended('2026-12-01T00:00:00Z'), new Date(t0.getTime() + (GRACE_DAYS * day) - 1));
  expect(ro).toMatchObject({ mode: 'read-only', graceUntil: '2026-12-31T00:00:00.000Z' });
  const st = decide(ended('2026-12-01T00:00:00Z'), new Date(t0.getTime() + GRACE_DAYS * day));
  expect(st.mode).toBe('stopped');
  // never subscribed: the grace counts from the first `none` answer
  expect(decide({ state: 'none', checkedAt: '2027-02-01T00:00:00Z', noneSince: '2026-12-01T00:00:00Z' }, new Date('2027-02-01T00:00:00Z')).mode).toBe('stopped');

  const full = decide(null, t0);
  const reads: [string, string][] = [['GET', '/api/v1/snapshots/s1/overview'], ['POST', '/api/v1/query'], ['DELETE', '/api/v1/snapshots/s1'], ['POST', '/api/v1/hunt'], ['GET', '/api/v1/snapshots']];
  const newWork: [string, string] = ['POST', '/api/v1/snapshots'];
  const upload: [string, string][] = [['PUT', '/api/v1/snapshots/s1/content'], ['POST', '/api/v1/snapshots/s1/complete'], ['POST', '/api/v1/snapshots/s1/multipart'], ['GET', '/api/v1/snapshots/s1/multipart/parts'], ['POST', '/api/v1/snapshots/s1/multipart/complete']];
  for (const [m, p] of [...reads, newWork, ...upload]) expect(refuseApi(full, m, p)).toBeNull();
  for (const [m, p] of reads) expect(refuseApi(ro, m, p)).toBeNull();
  expect(refuseApi(ro, ...newWork)).toMatch(/read-only until 2026-12-31/);
  for (const [m, p] of upload) expect(refuseApi(ro, m, p)).toBeNull(); // uploads under way finish
  expect(refuseIngest(ro)).toBeNull();
  for (const [m, p] of reads) expect(refuseApi(st, m, p)).toBeNull(); // data stays readable
  for (const [m, p] of [newWork, ...upload]) expect(refuseApi(st, m, p)).toMatch(/grace period ended/);
  expect(refuseIngest(st)).toMatch(/no new uploads or analyses/);
});

test('deployed handlers: the API Lambda answers 403 to a new snapshot and the ingest Lambda starts nothing once the reporter stored an ended subscription', async () => {
  process.env.USAGE_TABLE = 'usage';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  process.env.CORS_ORIGIN = 'https://d111.cloudfront.net';
  await writeEntitlement(ddb.client, 'usage', { state: 'ended', endedAt: '2020-01-01T00:00:00Z', checkedAt: '2020-01-01T01:00:00Z' });
  const api = require('../../lambdas/api') as typeof import('../../lambdas/api');
  const r = await api.handler({ httpMethod: 'POST', path: '/api/v1/snapshots', body: '{}', headers: {} } as never);
  expect(r.statusCode).toBe(403);
  expect(JSON.parse(r.body).error).toMatch(/subscription of this account ended at 2020-01-01T00:00:00Z; the grace period ended/);
  expect(r.headers['access-control-allow-origin']).toBe('https://d111.cloudfront.net');
  const pipeline = require('../../lambdas/pipeline') as typeof import('../../lambdas/pipeline');
  const ing = await pipeline.ingest({ detail: { bucket: { name: 'dumps' }, object: { key: 'dumps/org1/proj1/mach1/snap_1/mem.raw', etag: 'e' } } });
  expect(ing).toMatchObject({ started: false, reason: expect.stringMatching(/no new uploads or analyses/) });
});

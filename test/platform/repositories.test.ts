// Both metadata repositories obey one contract: the same script runs against embedded SQLite and
// against DynamoDB (dynalite on 127.0.0.1), including conditional create and index lookups.
import * as http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { DynamoRepository, createMetadataTable } from '../../lib/platform/dynamo-repository';
import type { MetadataRepository } from '../../lib/platform/repository';
import { newId, now, type AuditEvent, type Machine, type Share } from '../../lib/platform/model';

const dynalite = require('dynalite') as (o: object) => http.Server;

async function contract(repo: MetadataRepository) {
  const pid = newId('prj');
  const ms: Machine[] = [];
  for (let i = 0; i < 5; i++) {
    const m: Machine = { id: newId('mac'), project_id: i < 3 ? pid : 'other', name: `m${i}`, os: 'linux', created_at: now() };
    ms.push(m);
    await repo.put('machine', m);
  }
  expect(await repo.get('machine', ms[1]!.id)).toEqual(ms[1]);
  expect(await repo.get('machine', 'nope')).toBeNull();
  const inP = await repo.find('machine', 'project_id', pid);
  expect(inP.map((m) => m.name).sort()).toEqual(['m0', 'm1', 'm2']);
  expect((await repo.find('machine', 'project_id', pid, 2)).length).toBe(2);
  // replace keeps one record and moves it between index values
  await repo.put('machine', { ...ms[0]!, project_id: 'other' });
  expect((await repo.find('machine', 'project_id', pid)).length).toBe(2);
  expect((await repo.find('machine', 'project_id', 'other')).length).toBe(3);
  // conditional create
  expect(await repo.create('machine', ms[4]!)).toBe(false);
  const fresh: Machine = { ...ms[4]!, id: newId('mac') };
  expect(await repo.create('machine', fresh)).toBe(true);
  // second index slot
  const sh: Share = {
    id: newId('shr'), org_id: 'o', resource_kind: 'snapshot', resource_id: 'snp_1', target_kind: 'user', target_id: 'usr_9',
    created_by: 'usr_1', created_at: now(), revoked_at: null, revoked_by: null,
  };
  await repo.put('share', sh);
  expect(await repo.find('share', 'target_id', 'usr_9')).toEqual([sh]);
  expect(await repo.find('share', 'resource_id', 'snp_1')).toEqual([sh]);
  // deletes
  await repo.delete('share', sh.id);
  expect(await repo.find('share', 'target_id', 'usr_9')).toEqual([]);
  expect((await repo.all('machine')).length).toBe(6);
  // schema violations are refused before they reach storage
  await expect(repo.put('machine', { ...fresh, os: 'plan9' } as unknown as Machine)).rejects.toThrow();
  // a field that is not indexed cannot be looked up
  await expect(repo.find('machine', 'name' as never, 'm1')).rejects.toThrow(/not an indexed field/);
  await pages(repo);
}

/** Lists page newest-first with a cursor: complete, disjoint, and new records show up first (#13 item 8). */
async function pages(repo: MetadataRepository) {
  const org = newId('org');
  const ev = (i: number): AuditEvent => ({ id: newId('aud'), org_id: org, at: now(), actor_id: 'usr_1', action: `a${i}`, resource_kind: 'x', resource_id: `r${i}`, project_id: null, detail: {} });
  const written: AuditEvent[] = [];
  for (let i = 0; i < 23; i++) {
    const e = ev(i);
    written.push(e);
    await repo.put('audit', e);
  }
  await repo.put('audit', { ...ev(99), org_id: 'someone-else' });
  const seen: string[] = [];
  let before: string | undefined;
  let calls = 0;
  do {
    const p = await repo.page('audit', 'org_id', org, { limit: 5, before });
    expect(p.items.length).toBeLessThanOrEqual(5);
    seen.push(...p.items.map((e) => e.action));
    before = p.next ?? undefined;
    calls++;
  } while (before && calls < 20);
  expect(calls).toBe(5);
  expect(seen).toEqual(written.map((e) => e.action).reverse());
  // a record written now is the first of the first page
  const fresh = ev(100);
  await repo.put('audit', fresh);
  const first = await repo.page('audit', 'org_id', org, { limit: 3 });
  expect(first.items.map((e) => e.action)).toEqual(['a100', 'a22', 'a21']);
  expect(first.next).toBe(first.items[2]!.id);
  // an exact fit ends with next null; an empty lookup is an empty last page
  expect((await repo.page('audit', 'org_id', org, { limit: 24 })).next).toBeNull();
  expect(await repo.page('audit', 'org_id', 'nobody', { limit: 5 })).toEqual({ items: [], next: null });
  // second index slot pages too
  expect((await repo.page('audit', 'resource_id', 'r7', {})).items.map((e) => e.action)).toEqual(['a7']);
}

test('SQLite repository keeps the contract', async () => {
  const repo = new SqliteRepository(':memory:');
  await contract(repo);
  await repo.close();
});

test('SQLite: past the 10,000-record lookup bound, the newest page still has the newest records (#13 item 8)', async () => {
  const repo = new SqliteRepository(':memory:');
  const at = now();
  for (let i = 0; i < 10_050; i++) await repo.put('audit', { id: newId('aud'), org_id: 'o', at, actor_id: 'u', action: `a${i}`, resource_kind: 'x', resource_id: 'r', project_id: null, detail: {} });
  expect((await repo.page('audit', 'org_id', 'o', { limit: 2 })).items.map((e) => e.action)).toEqual(['a10049', 'a10048']);
  await repo.close();
});

describe('DynamoDB repository (dynalite)', () => {
  let server: http.Server;
  let client: DynamoDBClient;
  beforeAll(async () => {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await createMetadataTable(client, 'memq-meta');
  });
  afterAll(async () => {
    client.destroy();
    await new Promise((r) => server.close(r));
  });
  test('keeps the contract', async () => {
    const repo = new DynamoRepository(client, 'memq-meta');
    await contract(repo);
  });
});

// Both metadata repositories obey one contract: the same script runs against embedded SQLite and
// against DynamoDB (dynalite on 127.0.0.1), including conditional create and index lookups.
import * as http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { DynamoRepository, createMetadataTable } from '../../lib/platform/dynamo-repository';
import type { MetadataRepository } from '../../lib/platform/repository';
import { newId, now, type Machine, type Share } from '../../lib/platform/model';

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
}

test('SQLite repository keeps the contract', async () => {
  const repo = new SqliteRepository(':memory:');
  await contract(repo);
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

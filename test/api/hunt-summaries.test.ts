// The two HuntSummaryStore adapters (lib/dataplane/hunt-summaries.ts) under the same contract: the
// newest finished hunt wins whatever order the writes arrive in (two hunts finishing close together, a
// slow poll writing late), reads return only what was stored for the asked ids, delete forgets, a
// lookup is bounded, and a damaged local file is ignored rather than served. The local store on a temp
// folder, the cloud store on dynalite with the metadata table's real key schema.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { MAX_SUMMARY_LOOKUP, dynamoHuntSummaryStore, fileHuntSummaryStore } from '../../lib/dataplane/hunt-summaries';
import { DynamoRepository, createTableInput } from '../../lib/platform/dynamo-repository';
import type { HuntSummary } from '../../lib/model/jobs';
import type { HuntSummaryStore } from '../../lib/dataplane/ports';
import { startDynamo, type LocalDynamo } from '../pipeline/local-aws';

let tmp: string;
let ddb: LocalDynamo;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-sums-'));
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(createTableInput('meta')));
}, 60_000);
afterAll(async () => {
  await ddb?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const summary = (snapshot_id: string, hunt_id: string, finished_at: string, hits: number): HuntSummary => ({
  snapshot_id,
  hunt_id,
  owner_id: 'usr_1',
  started_at: '2026-12-04T10:00:00.000Z',
  finished_at,
  playbooks_run: 3,
  hits,
  playbooks: hits ? 1 : 0,
  severity: hits ? 'high' : null,
  errors: 0,
  by_playbook: hits ? [{ playbook_id: 'linux-deleted-executable', hits, severity: 'high' }] : [],
});

const stores: [string, () => HuntSummaryStore][] = [
  ['local files', () => fileHuntSummaryStore(path.join(tmp, 'store', '_platform', 'hunt-summaries'))],
  ['DynamoDB metadata table', () => dynamoHuntSummaryStore(ddb.client, 'meta')],
];

test.each(stores)('%s: newest finish wins in any write order; get, delete, bounded lookup', async (_name, make) => {
  const store = make();
  const early = summary('snp/a b', 'hunt_early', '2026-12-04T10:00:05.000Z', 2);
  const late = summary('snp/a b', 'hunt_late', '2026-12-04T10:00:09.000Z', 0);
  // concurrent writes, the older one issued last: the later finish is what stays
  await Promise.all([store.put(late), store.put(early)]);
  expect((await store.get(['snp/a b'])).get('snp/a b')).toEqual(late);
  await store.put(early); // a slow poll writing late
  expect((await store.get(['snp/a b'])).get('snp/a b')).toEqual(late);
  // the same hunt written twice (two polls finishing it) is fine
  await store.put(late);
  const other = summary('s2', 'hunt_early', '2026-12-04T10:00:05.000Z', 5);
  await store.put(other);
  const got = await store.get(['snp/a b', 's2', 'never-hunted']);
  expect([...got.keys()].sort()).toEqual(['s2', 'snp/a b']);
  expect(got.get('s2')).toEqual(other);
  // a fresh adapter (a restarted server, another Lambda instance) reads the same
  expect((await make().get(['s2'])).get('s2')).toEqual(other);
  await store.delete('s2');
  expect((await store.get(['s2'])).size).toBe(0);
  expect((await store.get(['snp/a b'])).get('snp/a b')).toEqual(late);
  await expect(store.get(Array.from({ length: MAX_SUMMARY_LOOKUP + 1 }, (_, i) => `s${i}`))).rejects.toThrow(/at most 5000 snapshots/);
});

test('local files: a damaged or foreign file is not served; ids of any text stay inside the folder', async () => {
  const dir = path.join(tmp, 'damaged');
  const store = fileHuntSummaryStore(dir);
  await store.put(summary('../../etc', 'hunt_1', '2026-12-04T10:00:05.000Z', 1));
  expect(fs.readdirSync(dir)).toHaveLength(1);
  expect(fs.readdirSync(dir)[0]).toMatch(/^[0-9a-f]{40}\.json$/);
  const file = path.join(dir, fs.readdirSync(dir)[0]!);
  fs.writeFileSync(file, '{"snapshot_id": "../../etc", "hits": "many"');
  expect((await store.get(['../../etc'])).size).toBe(0);
  // a valid summary of another snapshot under this one's file name is not this snapshot's
  fs.writeFileSync(file, JSON.stringify(summary('someone-else', 'hunt_1', '2026-12-04T10:00:05.000Z', 1)));
  expect((await store.get(['../../etc'])).size).toBe(0);
  // a damaged file is replaced by the next hunt's summary
  await store.put(summary('../../etc', 'hunt_2', '2026-12-04T10:00:06.000Z', 0));
  expect((await store.get(['../../etc'])).get('../../etc')?.hunt_id).toBe('hunt_2');
});

test('DynamoDB: summary items are invisible to the platform repository (no kind, no index keys)', async () => {
  await dynamoHuntSummaryStore(ddb.client, 'meta').put(summary('snp_x', 'hunt_1', '2026-12-04T10:00:05.000Z', 1));
  const repo = new DynamoRepository(ddb.client, 'meta');
  expect(await repo.all('snapshot')).toEqual([]);
  expect(await repo.get('snapshot', 'snp_x')).toBeNull();
});

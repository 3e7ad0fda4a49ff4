// Metering truth, end to end: snapshots analyzed in a customer deployment (the usage records its
// finalize step writes) → the hourly usage reporter (SigV4-signed POSTs) → the seller's usage handler
// and ledger → the hourly meter job → the exact BatchMeterUsage records the real SDK client sends to a
// stand-in of the Metering Service, hour by hour — across a reporter retry (response lost after the
// seller stored the report), a duplicate delivery (the same POST twice, the same record written twice),
// a throttled meter run, unprocessed records and a meter run that dies after BatchMeterUsage answered.
// Nothing is billed twice, nothing is lost, and no record is ever sent with a changed quantity.
import * as http from 'node:http';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { startDynamo, type LocalDynamo } from '../pipeline/local-aws';
import { SellerStore, sellerCreateTableInput } from '../../lib/marketplace/seller-store';
import * as seller from '../../lib/marketplace/seller';
import { reportUsage } from '../../lib/marketplace/usage-reporter';
import { DynamoUsageSink, readEntitlement, usageCreateTableInput } from '../../lib/pipeline/usage-table';
import { startMeteringStandIn, type StandIn } from './metering-service';

process.env.MEMQ_LOG = 'off';
const PRODUCT = 'memqprod1';
const ACCOUNT = '222233334444';
const LICENSE = 'arn:aws:license-manager::294406891311:license:l-aaaabbbbccccddddeeeeffff00001111';
let now = new Date('2026-12-01T09:00:00Z');
let ddb: LocalDynamo;
let svc: StandIn;
let server: http.Server;
let url = '';
let deps: seller.SellerDeps;
/** how the seller endpoint misbehaves on the next POST */
let next: 'ok' | 'lose-response' | 'deliver-twice' = 'ok';

beforeAll(async () => {
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(sellerCreateTableInput('ledger')));
  await ddb.client.send(new CreateTableCommand(usageCreateTableInput('usage')));
  svc = await startMeteringStandIn({ now: () => now });
  svc.licenses.push({ account: ACCOUNT, arn: LICENSE, from: Date.parse('2026-12-01T08:00:00Z') });
  const metering = new MarketplaceMeteringClient({ region: 'us-east-1', endpoint: svc.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 });
  deps = { store: new SellerStore(ddb.client, 'ledger'), metering, productCode: PRODUCT, now: () => now };
  // subscription: registration + License Updated
  svc.tokens.set('tok', { CustomerAWSAccountId: ACCOUNT, LicenseArn: LICENSE, ProductCode: PRODUCT });
  await seller.register(deps, 'tok');
  await seller.subscription(deps, {
    id: 'e1', 'detail-type': 'License Updated - Manufacturer', source: 'aws.agreement-marketplace', time: '2026-12-01T08:00:00Z',
    detail: { agreement: { id: 'agmt-1' }, product: { code: PRODUCT }, license: { arn: LICENSE }, acceptor: { accountId: ACCOUNT } },
  });
  // the seller's usage route: API Gateway (AWS_IAM) in front of the handler, misbehaving on request
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      if (!/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/execute-api\/aws4_request, /.test(String(req.headers.authorization))) return res.writeHead(403).end('{}');
      const mode = next;
      next = 'ok';
      let r = await seller.usage(deps, ACCOUNT, JSON.parse(body));
      if (mode === 'deliver-twice') r = await seller.usage(deps, ACCOUNT, JSON.parse(body));
      if (mode === 'lose-response') return req.socket.destroy();
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prod/v1/usage`;
});
afterAll(async () => {
  server.close();
  await svc.close();
  await ddb.stop();
});

const at = (iso: string) => (now = new Date(iso));
const sink = () => new DynamoUsageSink(ddb.client, 'usage');
/** what finalize writes once a snapshot's analysis finished: one record, the dump's bytes */
const analyzed = (snapshot: string, bytes: number) => sink().record({ snapshot, org: 'o', hour: now.toISOString().slice(0, 13), bytes });
const report = () => reportUsage({ ddb: ddb.client, table: 'usage', url, region: 'us-east-1', credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }), now: () => now });
const billed = () => svc.billed.map((b) => `${b.hour} ${b.dimension}=${b.quantity}`).sort();

test('hour by hour: API activity → usage records → reports → BatchMeterUsage, exactly once across retries and duplicates', async () => {
  // 09:xx three dumps analyzed (3.5 GB, 0.6 GB, 16 GB); finalize retried for one of them
  at('2026-12-01T09:20:00Z');
  expect(await analyzed('snap_1', 3_500_000_000)).toBe(true);
  expect(await analyzed('snap_2', 600_000_000)).toBe(true);
  at('2026-12-01T09:50:00Z');
  expect(await analyzed('snap_3', 16_000_000_000)).toBe(true);
  expect(await analyzed('snap_3', 16_000_000_000)).toBe(false); // duplicate delivery of finalize

  // 10:07 the reporter sends 09:00's records; the seller stores them but the answer is lost
  at('2026-12-01T10:07:00Z');
  next = 'lose-response';
  await expect(report()).rejects.toThrow();
  // 10:17 metering: 10:00 (when the reports arrived) is still open, nothing to send
  at('2026-12-01T10:17:00Z');
  expect(await seller.meter(deps)).toMatchObject({ sent: 0 });
  // 10:40 one more dump
  at('2026-12-01T10:40:00Z');
  await analyzed('snap_4', 1_000_000_001);

  // 11:07 the reporter resends 09:00's records (duplicates at the seller) and sends 10:00's; the
  // seller gets that POST twice
  at('2026-12-01T11:07:00Z');
  next = 'deliver-twice';
  expect(await report()).toMatchObject({ sent: 4, batches: 1, entitlement: 'active' });
  expect(await report()).toMatchObject({ sent: 0, batches: 0, entitlement: 'active' }); // nothing pending: an empty report, the entitlement check
  expect((await readEntitlement(ddb.client, 'usage'))!.state).toBe('active');

  // 11:17 metering of 10:00 is throttled: the run fails, the sealed hour stays pending
  at('2026-12-01T11:17:00Z');
  svc.throttleNext = 1;
  await expect(seller.meter(deps)).rejects.toMatchObject({ name: 'ThrottlingException' });
  expect(billed()).toEqual([]);

  // 12:17 the retry: one of 10:00's records comes back unprocessed; 11:00 (snap_4) is billed
  at('2026-12-01T12:17:00Z');
  svc.unprocessNext = 1;
  expect(await seller.meter(deps)).toMatchObject({ unprocessed: 1 });
  // 13:17 the unprocessed one is sent, and the run dies right after BatchMeterUsage answered
  at('2026-12-01T13:17:00Z');
  const store = deps.store as SellerStore;
  const mark = store.markMetered.bind(store);
  let dies = true;
  store.markMetered = async (...a) => {
    if (dies) {
      dies = false;
      throw new Error('Lambda timed out');
    }
    return mark(...a);
  };
  await expect(seller.meter(deps)).rejects.toThrow('Lambda timed out');
  store.markMetered = mark;
  // 14:17 the next run resends the same sealed quantity: the service answers Success (idempotent)
  at('2026-12-01T14:17:00Z');
  expect(await seller.meter(deps)).toMatchObject({ success: 1, duplicate: 0 });
  expect(await seller.meter(deps)).toMatchObject({ sent: 0 });

  // what AWS bills: 10:00 = snap_1..3 (ceil(3.5)+ceil(0.6)+16 = 21 GB, 3 snapshots); 11:00 = snap_4
  // (ceil(1.000000001) = 2 GB, 1 snapshot). Reports are filed under the hour they reached the seller.
  expect(billed()).toEqual(['2026-12-01T10 analyzed_gb=21', '2026-12-01T10 snapshots=3', '2026-12-01T11 analyzed_gb=2', '2026-12-01T11 snapshots=1']);
  expect(svc.duplicates).toBe(0);
  expect(svc.violations).toEqual([]);
  // every request the service saw named the license per record and no product code
  for (const r of svc.requests) {
    expect(r.ProductCode).toBeUndefined();
    for (const u of r.UsageRecords) expect(u).toMatchObject({ CustomerAWSAccountId: ACCOUNT, LicenseArn: LICENSE });
  }
});

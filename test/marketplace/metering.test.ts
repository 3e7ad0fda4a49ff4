// AWS Marketplace SaaS integration, both halves: the seller handlers (lambdas/seller.ts) with the real
// DynamoDB client on dynalite and the Metering API mocked (aws-sdk-client-mock), and the customer-side
// usage reporter posting SigV4-signed reports to a local HTTP endpoint that feeds the seller's usage
// handler — registration → subscription → usage → hourly BatchMeterUsage, each step idempotent.
import * as http from 'node:http';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { BatchMeterUsageCommand, MarketplaceMeteringClient, ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import { mockClient } from 'aws-sdk-client-mock';
import { startDynamo, type LocalDynamo } from '../pipeline/local-aws';
import { SellerStore, sellerCreateTableInput } from '../../marketplace/src/seller-store';
import { reportUsage } from '../../marketplace/src/usage-reporter';
import { DynamoUsageSink, usageCreateTableInput } from '../../lib/pipeline/usage-table';
import * as handlers from '../../lambdas/seller';

process.env.MEMQ_LOG = 'off';
const PRODUCT = 'memqprod1';
const ACCOUNT = '222233334444';
let ddb: LocalDynamo;
let now = new Date('2026-11-25T10:20:00Z');
const metering = mockClient(MarketplaceMeteringClient);

beforeAll(async () => {
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(sellerCreateTableInput('ledger')));
  await ddb.client.send(new CreateTableCommand(usageCreateTableInput('usage')));
  handlers.setDeps({ store: new SellerStore(ddb.client, 'ledger'), metering: new MarketplaceMeteringClient({ region: 'us-east-1' }), productCode: PRODUCT, now: () => now });
});
afterAll(async () => {
  handlers.setDeps(undefined);
  await ddb.stop();
});

const api = (accountId: string | null, body: unknown) => ({ httpMethod: 'POST', body: JSON.stringify(body), requestContext: { identity: { accountId } } });
const sns = (action: string, customer = 'cust-1', product = PRODUCT) => ({
  Records: [{ messageId: 'm1', body: JSON.stringify({ Type: 'Notification', Message: JSON.stringify({ action, 'customer-identifier': customer, 'product-code': product }) }) }],
});
const doc = () => DynamoDBDocumentClient.from(ddb.client);

test('registration resolves the Marketplace token into a customer bound to its AWS account', async () => {
  metering.on(ResolveCustomerCommand, { RegistrationToken: 'tok-good' }).resolves({ CustomerIdentifier: 'cust-1', CustomerAWSAccountId: ACCOUNT, ProductCode: PRODUCT });
  metering.on(ResolveCustomerCommand, { RegistrationToken: 'tok-other' }).resolves({ CustomerIdentifier: 'cust-9', CustomerAWSAccountId: '999', ProductCode: 'someoneelse' });
  const r = await handlers.register({ httpMethod: 'POST', body: 'x-amzn-marketplace-token=tok-good' });
  expect(r.statusCode).toBe(200);
  expect(r.body).toContain(ACCOUNT);
  expect((await handlers.register({ httpMethod: 'POST', body: 'x-amzn-marketplace-token=tok-other' })).statusCode).toBe(400);
  expect((await handlers.register({ httpMethod: 'POST', body: '' })).statusCode).toBe(400);
  const c = await new SellerStore(ddb.client, 'ledger').customerByAccount(ACCOUNT);
  expect(c).toMatchObject({ customerIdentifier: 'cust-1', status: 'registered', productCode: PRODUCT });
});

test('usage is refused until the subscription is active, and from unknown or unsigned callers', async () => {
  expect((await handlers.usage(api(ACCOUNT, { records: [{ id: 'snap_a', bytes: 1 }] }))).statusCode).toBe(403);
  const r = await handlers.subscription(sns('subscribe-success'));
  expect(r.batchItemFailures).toEqual([]);
  expect((await new SellerStore(ddb.client, 'ledger').getCustomer('cust-1'))!.status).toBe('subscribed');
  expect((await handlers.usage(api('111111111111', { records: [{ id: 'snap_a', bytes: 1 }] }))).statusCode).toBe(403);
  expect((await handlers.usage(api(null, { records: [{ id: 'snap_a', bytes: 1 }] }))).statusCode).toBe(403);
  expect((await handlers.usage(api(ACCOUNT, { records: [] }))).statusCode).toBe(400);
  // another product's notification changes nothing
  await handlers.subscription(sns('unsubscribe-success', 'cust-1', 'otherproduct'));
  expect((await new SellerStore(ddb.client, 'ledger').getCustomer('cust-1'))!.status).toBe('subscribed');
});

test('customer reporter → signed POST → seller ledger; hourly metering sends each customer/dimension/hour once', async () => {
  // customer side: finalize recorded two snapshots in the 09:00 hour and one in the current hour
  const sink = new DynamoUsageSink(ddb.client, 'usage');
  await sink.record({ snapshot: 'snap_a', org: 'o', hour: '2026-11-25T09', bytes: 3_500_000_000 });
  await sink.record({ snapshot: 'snap_b', org: 'o', hour: '2026-11-25T09', bytes: 600_000_000 });
  await sink.record({ snapshot: 'snap_c', org: 'o', hour: '2026-11-25T10', bytes: 1 });
  expect(await sink.record({ snapshot: 'snap_a', org: 'o', hour: '2026-11-25T09', bytes: 3_500_000_000 })).toBe(false);

  // the seller endpoint: checks the SigV4 envelope, then hands the body to the usage handler
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', async () => {
      const auth = String(req.headers.authorization ?? '');
      seen.push(auth);
      if (!/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-east-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/.test(auth)) {
        res.writeHead(403).end('{"error":"bad signature"}');
        return;
      }
      const r = await handlers.usage(api(ACCOUNT, JSON.parse(body)));
      res.writeHead(r.statusCode, r.headers).end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prod/v1/usage`;
  const deps = { ddb: ddb.client, table: 'usage', url, region: 'us-east-1', credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }), now: () => now };
  try {
    expect(await reportUsage(deps)).toEqual({ sent: 2, batches: 1 }); // snap_c's hour is still open
    expect(seen).toHaveLength(1);
    expect(await reportUsage(deps)).toEqual({ sent: 0, batches: 0 }); // pending flags cleared
    const a = await doc().send(new GetCommand({ TableName: 'usage', Key: { pk: 'usage#snap_a' } }));
    expect(a.Item!.reported_at).toBeDefined();
    expect(a.Item!.pending).toBeUndefined();
  } finally {
    server.close();
  }
  // a resent report (reporter crashed after POST, before clearing) is a duplicate, not new usage
  const again = await handlers.usage(api(ACCOUNT, { records: [{ id: 'snap_a', bytes: 3_500_000_000 }] }));
  expect(JSON.parse(again.body)).toEqual({ results: { snap_a: 'duplicate' } });

  // seller metering at 11:05: the 10:00 hour (when the reports arrived) is closed
  now = new Date('2026-11-25T11:05:00Z');
  metering.on(BatchMeterUsageCommand).callsFake((input: { UsageRecords: { Dimension: string; Timestamp: Date; CustomerAWSAccountId: string }[] }) => ({
    Results: input.UsageRecords.map((u) => ({ UsageRecord: u, Status: 'Success', MeteringRecordId: `mr-${u.Dimension}` })),
    UnprocessedRecords: [],
  }));
  const m = (await handlers.meter()) as Record<string, number>;
  expect(m).toMatchObject({ sent: 2, success: 2 });
  const calls = metering.commandCalls(BatchMeterUsageCommand);
  expect(calls).toHaveLength(1);
  const recs = calls[0]!.args[0].input.UsageRecords!;
  expect(calls[0]!.args[0].input.ProductCode).toBe(PRODUCT);
  expect(recs.map((r) => [r.Dimension, r.Quantity, r.Timestamp!.toISOString(), r.CustomerAWSAccountId]).sort()).toEqual([
    ['analyzed_gb', 5, '2026-11-25T10:00:00.000Z', ACCOUNT], // ceil(3.5) + ceil(0.6) GB
    ['snapshots', 2, '2026-11-25T10:00:00.000Z', ACCOUNT],
  ]);
  // the next run has nothing left for that hour
  expect(await handlers.meter()).toMatchObject({ sent: 0 });
  expect(metering.commandCalls(BatchMeterUsageCommand)).toHaveLength(1);

  // a report in flight while its hour was metered lands in the next hour instead of being lost
  now = new Date('2026-11-25T10:59:59Z');
  const late = await handlers.usage(api(ACCOUNT, { records: [{ id: 'snap_late', bytes: 2_000_000_000 }] }));
  expect(JSON.parse(late.body)).toEqual({ results: { snap_late: 'added' } });
  const agg = await doc().send(new GetCommand({ TableName: 'ledger', Key: { pk: 'meter#cust-1#analyzed_gb#2026-11-25T11' } }));
  expect(agg.Item).toMatchObject({ quantity: 2, unmetered: 'PENDING' });
});

test('records older than BatchMeterUsage accepts are marked expired, not retried forever; unsubscribe stops usage', async () => {
  await doc().send(
    new PutCommand({
      TableName: 'ledger',
      Item: { pk: 'meter#cust-1#snapshots#2026-11-24T01', customerIdentifier: 'cust-1', awsAccountId: ACCOUNT, dimension: 'snapshots', hour: '2026-11-24T01', quantity: 1, unmetered: 'PENDING', hour_key: '2026-11-24T01#cust-1#snapshots' },
    }),
  );
  now = new Date('2026-11-25T12:10:00Z');
  metering.resetHistory();
  const r = (await handlers.meter()) as Record<string, number>;
  expect(r.sent).toBe(2); // the 11:00 hour (late report), not the expired one
  const old = await doc().send(new GetCommand({ TableName: 'ledger', Key: { pk: 'meter#cust-1#snapshots#2026-11-24T01' } }));
  expect(old.Item).toMatchObject({ meterStatus: 'expired' });
  await handlers.subscription(sns('unsubscribe-success'));
  expect((await handlers.usage(api(ACCOUNT, { records: [{ id: 'snap_z', bytes: 1 }] }))).statusCode).toBe(403);
});

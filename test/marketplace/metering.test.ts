// Seller side of the AWS Marketplace SaaS integration against the REAL metering SDK client talking to a
// local stand-in of the service (test/marketplace/metering-service.ts: the SDK's own serialization, the
// service's documented answers), the real DynamoDB client on dynalite, and EventBridge events in the
// shapes AWS documents (License Updated prints the license ARN without `arn:`, as AWS's example does).
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { startDynamo, type LocalDynamo } from '../pipeline/local-aws';
import { SellerStore, licenseKey, sellerCreateTableInput } from '../../lib/marketplace/seller-store';
import * as seller from '../../lib/marketplace/seller';
import { startMeteringStandIn, type StandIn } from './metering-service';

process.env.MEMQ_LOG = 'off';
const PRODUCT = 'memqprod1';
const LEGACY_PRODUCT = 'memqlegacy1';
const ACCOUNT = '222233334444';
const LICENSE = 'arn:aws:license-manager::294406891311:license:l-e52ca6f38bf84d0fafb8802ca15ac11a';
const LICENSE2 = 'arn:aws:license-manager::294406891311:license:l-0000000000000000000000000000renew';
let now = new Date('2026-11-25T10:20:00Z');
let ddb: LocalDynamo;
let svc: StandIn;
let deps: seller.SellerDeps;
let store: SellerStore;

beforeAll(async () => {
  ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(sellerCreateTableInput('ledger')));
  await ddb.client.send(new CreateTableCommand(sellerCreateTableInput('legacy')));
  svc = await startMeteringStandIn({ now: () => now, legacyProduct: LEGACY_PRODUCT });
  store = new SellerStore(ddb.client, 'ledger');
  const metering = new MarketplaceMeteringClient({ region: 'us-east-1', endpoint: svc.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 });
  deps = { store, metering, productCode: PRODUCT, now: () => now };
});
afterAll(async () => {
  await svc.close();
  await ddb.stop();
});

let evSeq = 0;
/** An EventBridge event as AWS Marketplace documents it (seller = manufacturer). */
function event(detailType: string, detail: Record<string, unknown>, time: string, id = `ev-${++evSeq}`) {
  return { version: '0', id, 'detail-type': detailType, source: 'aws.agreement-marketplace', account: '123456789012', time, region: 'us-east-1', resources: [], detail: { requestId: 'r', catalog: 'AWSMarketplace', ...detail } };
}
const licenseEvent = (type: 'License Updated' | 'License Deprovisioned', arn: string, agreement: string, time: string, product = PRODUCT) =>
  event(`${type} - Manufacturer`, { agreement: { id: agreement }, product: { code: product, id: 'prod-x' }, license: { arn: arn.replace(/^arn:/, '') }, acceptor: { accountId: ACCOUNT }, proposer: { accountId: '123456512334' }, offer: { id: 'offer-1' } }, time);
const agreementEvent = (type: string, agreement: string, time: string, extra: Record<string, unknown> = {}) =>
  event(`Purchase Agreement ${type} - Manufacturer`, { agreement: { id: agreement, ...extra }, acceptor: { accountId: ACCOUNT }, proposer: { accountId: '123456512334' }, offer: { id: 'offer-1' } }, time);
const doc = () => DynamoDBDocumentClient.from(ddb.client);

test('registration: ResolveCustomer answers without CustomerIdentifier; the customer is (account, license) and pending until License Updated', async () => {
  svc.tokens.set('tok-new', { CustomerAWSAccountId: ACCOUNT, LicenseArn: LICENSE, ProductCode: PRODUCT });
  svc.tokens.set('tok-other', { CustomerAWSAccountId: '999999999999', LicenseArn: LICENSE, ProductCode: 'someoneelse' });
  const r = await seller.register(deps, 'tok-new');
  expect(r).toMatchObject({ ok: true, customer: { key: `cust#${ACCOUNT}#l-e52ca6f38bf84d0fafb8802ca15ac11a`, awsAccountId: ACCOUNT, licenseArn: LICENSE, status: 'pending' } });
  expect((r as { customer: object }).customer).not.toHaveProperty('customerIdentifier');
  expect(await seller.register(deps, 'tok-other')).toMatchObject({ ok: false });
  await expect(seller.register(deps, 'tok-unknown')).rejects.toMatchObject({ name: 'InvalidTokenException' });
  // registering twice changes nothing
  expect(await seller.register(deps, 'tok-new')).toMatchObject({ ok: true, customer: { status: 'pending' } });
  // not active yet: usage is neither accepted nor lost (409 → the deployment resends)
  expect(await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_a', bytes: 1 }] })).toMatchObject({ status: 409, body: { entitlement: { state: 'pending' } } });
  expect(await seller.usage(deps, '111111111111', { records: [] })).toMatchObject({ status: 403, body: { entitlement: { state: 'none' } } });
});

test('License Updated activates (idempotently: a redelivered event is skipped); another product\'s events change nothing', async () => {
  const created = agreementEvent('Created', 'agmt-1', '2026-11-25T10:00:00Z', { intent: 'NEW', status: 'ACTIVE' });
  expect(await seller.subscription(deps, created)).toMatchObject({ applied: true });
  expect((await store.getCustomer(licenseKey(ACCOUNT, LICENSE)))!.status).toBe('pending'); // Created alone does not activate
  const upd = licenseEvent('License Updated', LICENSE, 'agmt-1', '2026-11-25T10:01:00Z');
  expect(await seller.subscription(deps, JSON.stringify(upd))).toMatchObject({ applied: true });
  expect(await seller.subscription(deps, upd)).toEqual({ applied: false, reason: 'duplicate delivery' });
  const c = (await store.getCustomer(licenseKey(ACCOUNT, LICENSE)))!;
  expect(c).toMatchObject({ status: 'subscribed', agreementId: 'agmt-1', licenseArn: LICENSE, activatedAt: '2026-11-25T10:01:00Z' });
  expect(await seller.subscription(deps, licenseEvent('License Deprovisioned', LICENSE, 'agmt-1', '2026-11-25T10:02:00Z', 'otherproduct'))).toMatchObject({ applied: false, reason: 'other product' });
  expect((await store.getCustomer(licenseKey(ACCOUNT, LICENSE)))!.status).toBe('subscribed');
  // a legacy SNS notification cannot touch a license-based listing
  expect(await seller.subscription(deps, JSON.stringify({ action: 'unsubscribe-success', 'customer-identifier': 'c1', 'product-code': PRODUCT }))).toMatchObject({ applied: false });
  expect(await seller.usage(deps, ACCOUNT, { records: [] })).toMatchObject({ status: 200, body: { entitlement: { state: 'active', licenseArn: LICENSE } } });
});

test('BatchMeterUsage carries CustomerAWSAccountId + LicenseArn per record and no ProductCode; retried requests are idempotent', async () => {
  now = new Date('2026-11-25T10:30:00Z');
  const u = await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_a', bytes: 3_500_000_000 }, { id: 'snap_b', bytes: 600_000_000 }] });
  expect(u).toMatchObject({ status: 200, body: { results: { snap_a: 'added', snap_b: 'added' } } });
  svc.licenses.push({ account: ACCOUNT, arn: LICENSE, from: Date.parse('2026-11-25T10:01:00Z') });
  now = new Date('2026-11-25T11:17:00Z');
  expect(await seller.meter(deps)).toMatchObject({ sent: 2, success: 2, duplicate: 0 });
  const req = svc.requests.at(-1);
  expect(req).not.toHaveProperty('ProductCode');
  expect(req.UsageRecords.map((r: any) => Object.keys(r).sort())).toEqual([
    ['CustomerAWSAccountId', 'Dimension', 'LicenseArn', 'Quantity', 'Timestamp'],
    ['CustomerAWSAccountId', 'Dimension', 'LicenseArn', 'Quantity', 'Timestamp'],
  ]);
  expect(svc.billed.map((b) => [b.dimension, b.hour, b.quantity, b.account, b.license]).sort()).toEqual([
    ['analyzed_gb', '2026-11-25T10', 5, ACCOUNT, LICENSE],
    ['snapshots', '2026-11-25T10', 2, ACCOUNT, LICENSE],
  ]);
  expect(await seller.meter(deps)).toMatchObject({ sent: 0 });
  expect(svc.violations).toEqual([]);
});

test('a whole-batch rejection (InvalidLicenseException) is resent record by record: the valid records are billed, the invalid one marked', async () => {
  const bad = 'arn:aws:license-manager::294406891311:license:l-notactiveforthisaccount000000000';
  await store.ensureCustomer({ key: licenseKey('333344445555', bad), awsAccountId: '333344445555', licenseArn: bad, productCode: PRODUCT }, now.toISOString());
  await store.applyStatus(licenseKey('333344445555', bad), { status: 'subscribed', at: '2026-11-25T09:00:00Z', activatedAt: '2026-11-25T09:00:00Z' }, now.toISOString());
  expect(await seller.usage(deps, '333344445555', { records: [{ id: 'snap_x', bytes: 1 }] })).toMatchObject({ status: 200 });
  expect(await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_c', bytes: 1 }] })).toMatchObject({ status: 200 });
  now = new Date('2026-11-25T12:17:00Z');
  const before = svc.billed.length;
  expect(await seller.meter(deps)).toMatchObject({ success: 2, rejected: 2 });
  expect(svc.billed.slice(before).map((b) => [b.account, b.dimension, b.quantity]).sort()).toEqual([
    [ACCOUNT, 'analyzed_gb', 1],
    [ACCOUNT, 'snapshots', 1],
  ]);
  const marked = await doc().send(new GetCommand({ TableName: 'ledger', Key: { pk: `meter#${licenseKey('333344445555', bad)}#snapshots#2026-11-25T11` } }));
  expect(marked.Item).toMatchObject({ meterStatus: 'InvalidLicenseException' });
  expect(marked.Item!.unmetered).toBeUndefined();
});

test('records 24 h old or more are marked expired and never sent (one of them would fail the whole batch)', async () => {
  await doc().send(
    new PutCommand({
      TableName: 'ledger',
      Item: { pk: `meter#${licenseKey(ACCOUNT, LICENSE)}#snapshots#2026-11-24T11`, customerKey: licenseKey(ACCOUNT, LICENSE), awsAccountId: ACCOUNT, licenseArn: LICENSE, dimension: 'snapshots', hour: '2026-11-24T11', quantity: 1, unmetered: 'PENDING', hour_key: `2026-11-24T11#x#snapshots` },
    }),
  );
  expect(await seller.meter(deps)).toMatchObject({ expired: 1, sent: 0 });
  expect(seller.timestampAccepted('2026-11-24T12', new Date('2026-11-25T11:59:00Z'))).toBe(true);
  expect(seller.timestampAccepted('2026-11-24T12', new Date('2026-11-25T12:00:00Z'))).toBe(false);
  // month close: March usage until 06:00 UTC on April 1
  expect(seller.timestampAccepted('2027-03-31T23', new Date('2027-04-01T05:59:00Z'))).toBe(true);
  expect(seller.timestampAccepted('2027-03-31T23', new Date('2027-04-01T06:00:00Z'))).toBe(false);
});

test('lifecycle: renewal keeps the buyer active on the new license; deprovision meters the open hour at once; Ended stops usage; out-of-order events converge', async () => {
  now = new Date('2026-11-26T08:10:00Z');
  // renewal: a new agreement (intent RENEW) and its License Updated, then the old agreement ends
  await seller.subscription(deps, agreementEvent('Created', 'agmt-2', '2026-11-26T08:00:00Z', { intent: 'RENEW', previousAgreementId: 'agmt-1' }));
  await seller.subscription(deps, licenseEvent('License Updated', LICENSE2, 'agmt-2', '2026-11-26T08:00:05Z'));
  svc.licenses.push({ account: ACCOUNT, arn: LICENSE2, from: Date.parse('2026-11-26T08:00:05Z') });
  await seller.subscription(deps, agreementEvent('Ended', 'agmt-1', '2026-11-26T08:00:10Z', { status: 'RENEWED' }));
  expect((await store.getCustomer(licenseKey(ACCOUNT, LICENSE)))!.status).toBe('unsubscribed');
  expect(await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_r', bytes: 2e9 }] })).toMatchObject({ status: 200, body: { entitlement: { state: 'active', licenseArn: LICENSE2 } } });
  // a resent report already counted under the old license is still a duplicate (claims are per account)
  expect(await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_a', bytes: 3_500_000_000 }] })).toMatchObject({ body: { results: { snap_a: 'duplicate' } } });

  // deprovision at 08:40: the final window opens and the current (open) hour is metered right away
  now = new Date('2026-11-26T08:40:00Z');
  const r = await seller.subscription(deps, licenseEvent('License Deprovisioned', LICENSE2, 'agmt-2', '2026-11-26T08:40:00Z'));
  expect(r.flush).toBe(licenseKey(ACCOUNT, LICENSE2));
  svc.licenses.find((l) => l.arn === LICENSE2)!.until = Date.parse('2026-11-26T09:40:00Z');
  const before = svc.billed.length;
  expect(await seller.meter(deps, { customerKey: r.flush })).toMatchObject({ success: 2 });
  expect(svc.billed.slice(before).map((b) => [b.license, b.hour, b.dimension, b.quantity]).sort()).toEqual([
    [LICENSE2, '2026-11-26T08', 'analyzed_gb', 2],
    [LICENSE2, '2026-11-26T08', 'snapshots', 1],
  ]);
  expect(await seller.usage(deps, ACCOUNT, { records: [] })).toMatchObject({ status: 200, body: { entitlement: { state: 'ending' } } });
  now = new Date('2026-11-26T09:41:00Z'); // window over, Ended not delivered yet: no more usage
  expect(await seller.usage(deps, ACCOUNT, { records: [{ id: 'snap_late', bytes: 1 }] })).toMatchObject({ status: 403, body: { entitlement: { state: 'ended', endedAt: '2026-11-26T08:40:00Z' } } });
  await seller.subscription(deps, agreementEvent('Ended', 'agmt-2', '2026-11-26T09:00:00Z', { status: 'CANCELLED' }));
  expect((await store.getCustomer(licenseKey(ACCOUNT, LICENSE2)))!).toMatchObject({ status: 'unsubscribed', endedAt: '2026-11-26T09:00:00Z', deprovisionedAt: '2026-11-26T08:40:00Z' });

  // out of order: an Ended that arrives before its License Updated wins; a stale License Updated cannot revive
  const L3 = 'arn:aws:license-manager::294406891311:license:l-3333333333333333333333333333ooo';
  await seller.subscription(deps, agreementEvent('Ended', 'agmt-3', '2026-11-26T09:30:00Z', { status: 'CANCELLED' }));
  await seller.subscription(deps, licenseEvent('License Updated', L3, 'agmt-3', '2026-11-26T09:10:00Z'));
  expect((await store.getCustomer(licenseKey(ACCOUNT, L3)))!.status).toBe('unsubscribed');
  await seller.subscription(deps, licenseEvent('License Updated', LICENSE2, 'agmt-2', '2026-11-26T08:00:05Z')); // redelivered under a new id
  expect((await store.getCustomer(licenseKey(ACCOUNT, LICENSE2)))!.status).toBe('unsubscribed');
  expect(svc.violations).toEqual([]);
});

test('legacy integration (existing product): CustomerIdentifier + ProductCode, SNS notifications — and nothing else', async () => {
  const legacyDeps: seller.SellerDeps = { ...deps, store: new SellerStore(ddb.client, 'legacy'), productCode: LEGACY_PRODUCT, mode: 'legacy' };
  now = new Date('2026-11-27T10:05:00Z');
  svc.tokens.set('tok-legacy', { CustomerIdentifier: 'cust-1', CustomerAWSAccountId: '444455556666', ProductCode: LEGACY_PRODUCT });
  // the notification may come first
  const sns = (action: string) => JSON.stringify({ action, 'customer-identifier': 'cust-1', 'product-code': LEGACY_PRODUCT });
  expect(await seller.subscription(legacyDeps, sns('subscribe-success'), '2026-11-27T10:00:00Z')).toMatchObject({ applied: true });
  expect(await seller.register(legacyDeps, 'tok-legacy')).toMatchObject({ ok: true, customer: { key: 'cust#legacy#cust-1', awsAccountId: '444455556666', status: 'subscribed' } });
  expect(await seller.usage(legacyDeps, '444455556666', { records: [{ id: 'snap_l', bytes: 1e9 }] })).toMatchObject({ status: 200 });
  now = new Date('2026-11-27T11:17:00Z');
  expect(await seller.meter(legacyDeps)).toMatchObject({ success: 2 });
  const req = svc.requests.at(-1);
  expect(req.ProductCode).toBe(LEGACY_PRODUCT);
  expect(req.UsageRecords.every((r: any) => r.CustomerIdentifier === 'cust-1' && !r.LicenseArn)).toBe(true);
  await seller.subscription(legacyDeps, sns('unsubscribe-success'), '2026-11-27T11:20:00Z');
  expect(await seller.usage(legacyDeps, '444455556666', { records: [{ id: 'snap_m', bytes: 1 }] })).toMatchObject({ status: 403 });
  expect(svc.violations).toEqual([]);
});

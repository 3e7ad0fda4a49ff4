// Seller-account Lambda handlers (AWS Marketplace SaaS integration): thin adapters from API Gateway,
// SQS (EventBridge agreement/license events, and legacy SNS notifications) and the hourly schedule to
// lib/marketplace/seller.ts.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { SellerStore } from '../lib/marketplace/seller-store';
import * as seller from '../lib/marketplace/seller';
import { log } from '../lib/util/log';

let deps: seller.SellerDeps | undefined;
function getDeps(): seller.SellerDeps {
  deps ??= {
    store: new SellerStore(new DynamoDBClient({}), process.env.SELLER_TABLE!),
    // ResolveCustomer and BatchMeterUsage are served in us-east-1 for SaaS products
    metering: new MarketplaceMeteringClient({ region: process.env.METERING_REGION ?? 'us-east-1' }),
    productCode: process.env.PRODUCT_CODE!,
    mode: process.env.INTEGRATION_MODE === 'legacy' ? 'legacy' : 'license',
    log,
  };
  return deps;
}
/** tests inject their own clients */
export function setDeps(d: seller.SellerDeps | undefined): void {
  deps = d;
}

interface ProxyEvent {
  httpMethod: string;
  body: string | null;
  isBase64Encoded?: boolean;
  queryStringParameters?: Record<string, string> | null;
  requestContext?: { identity?: { accountId?: string | null } };
}
interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const html = (status: number, title: string, text: string): ProxyResult => ({
  statusCode: status,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" },
  body: `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(text)}</p>`,
});
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
const bodyOf = (e: ProxyEvent) => (e.body == null ? '' : e.isBase64Encoded ? Buffer.from(e.body, 'base64').toString('utf8') : e.body);

/** Registration URL: AWS Marketplace POSTs the buyer's browser here with x-amzn-marketplace-token. */
export async function register(e: ProxyEvent): Promise<ProxyResult> {
  const token = new URLSearchParams(bodyOf(e)).get('x-amzn-marketplace-token') ?? e.queryStringParameters?.['x-amzn-marketplace-token'] ?? '';
  try {
    const r = await seller.register(getDeps(), token);
    if (!r.ok) return html(400, 'Registration failed', r.reason);
    log('info', 'customer registered', { customer: r.customer.key, account: r.customer.awsAccountId, status: r.customer.status });
    return html(
      200,
      'memq is linked to your AWS account',
      `AWS account ${r.customer.awsAccountId} is registered. Deploy memq into that account with the Quick Launch button on the listing; usage is reported by your deployment.`,
    );
  } catch (err) {
    log('error', 'registration error', { error: (err as Error).name });
    return html(400, 'Registration failed', 'the Marketplace token could not be resolved; open the listing and subscribe again');
  }
}

/** POST /v1/usage (AWS_IAM auth): a customer deployment reports analyzed snapshots. */
export async function usage(e: ProxyEvent): Promise<ProxyResult> {
  const account = e.requestContext?.identity?.accountId;
  if (!account) return { statusCode: 403, headers: { 'content-type': 'application/json' }, body: '{"error":"unsigned request"}' };
  let body: unknown;
  try {
    body = JSON.parse(bodyOf(e));
  } catch {
    return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: '{"error":"body is not JSON"}' };
  }
  const r = await seller.usage(getDeps(), account, body);
  return { statusCode: r.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(r.body) };
}

/**
 * SQS queue fed by the EventBridge rule on aws.agreement-marketplace events (body = the event) and, for
 * legacy integrations, by the listing's SNS topic (body = SNS envelope). A License Deprovisioned opens
 * the one-hour final metering window: that customer's usage is metered at once, open hour included.
 */
export async function subscription(e: { Records: { messageId: string; body: string }[] }): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const failures: { itemIdentifier: string }[] = [];
  for (const rec of e.Records) {
    try {
      const body = JSON.parse(rec.body) as { Type?: string; Message?: string; Timestamp?: string };
      const r = body.Type === 'Notification' && typeof body.Message === 'string' ? await seller.subscription(getDeps(), body.Message, body.Timestamp) : await seller.subscription(getDeps(), body);
      log('info', 'lifecycle message', { applied: r.applied, reason: r.reason });
      if (r.flush) log('info', 'final metering for a deprovisioned license', { customer: r.flush, ...(await seller.meter(getDeps(), { customerKey: r.flush })) });
    } catch (err) {
      log('error', 'lifecycle message failed', { error: (err as Error).message });
      failures.push({ itemIdentifier: rec.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** Hourly: BatchMeterUsage for closed hours. */
export async function meter(): Promise<unknown> {
  const r = await seller.meter(getDeps());
  log('info', 'metering run', { ...r });
  return r;
}

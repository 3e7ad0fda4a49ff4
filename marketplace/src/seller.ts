// Seller-side AWS Marketplace SaaS integration, as plain functions (lambdas/seller.ts adapts events):
//  register     — the listing's registration URL: x-amzn-marketplace-token → ResolveCustomer → customer
//  subscription — SNS subscription notifications (subscribe-success, unsubscribe-*, subscribe-fail)
//  usage        — signed usage reports from customer deployments, entitlement-checked, deduplicated
//  meter        — hourly BatchMeterUsage of closed hours, idempotent per customer/dimension/hour
import { BatchMeterUsageCommand, ResolveCustomerCommand, type MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { z } from 'zod';
import type { Customer, CustomerStatus, SellerStore } from './seller-store';

/** Metering dimensions of the listing (must match the dimensions configured in the listing). */
export const DIMENSIONS = {
  /** GB (10^9 bytes, rounded up per customer-hour) of physical memory analyzed */
  analyzed_gb: 'analyzed_gb',
  /** snapshots analyzed */
  snapshots: 'snapshots',
} as const;

export interface SellerDeps {
  store: SellerStore;
  metering: MarketplaceMeteringClient;
  productCode: string;
  now?: () => Date;
}

const hourOf = (d: Date) => d.toISOString().slice(0, 13);

export async function register(deps: SellerDeps, token: string): Promise<{ ok: true; customer: Customer } | { ok: false; reason: string }> {
  if (!token || token.length > 4096) return { ok: false, reason: 'missing x-amzn-marketplace-token' };
  const r = await deps.metering.send(new ResolveCustomerCommand({ RegistrationToken: token }));
  if (!r.CustomerIdentifier || !r.CustomerAWSAccountId) return { ok: false, reason: 'ResolveCustomer returned no customer' };
  if (r.ProductCode !== deps.productCode) return { ok: false, reason: `token is for product ${r.ProductCode}, not this listing` };
  const existing = await deps.store.getCustomer(r.CustomerIdentifier);
  const customer: Customer = {
    customerIdentifier: r.CustomerIdentifier,
    awsAccountId: r.CustomerAWSAccountId,
    productCode: r.ProductCode,
    // the SNS subscribe-success may arrive before or after the buyer lands on the registration page
    status: existing && existing.status !== 'registered' ? existing.status : 'registered',
    updatedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  await deps.store.putCustomer(customer);
  return { ok: true, customer };
}

const SnsNotification = z.object({
  action: z.enum(['subscribe-success', 'subscribe-fail', 'unsubscribe-pending', 'unsubscribe-success', 'entitlement-updated']),
  'customer-identifier': z.string().min(1),
  'product-code': z.string().min(1),
});

const statusFor: Record<string, CustomerStatus | null> = {
  'subscribe-success': 'subscribed',
  'subscribe-fail': 'subscribe-failed',
  'unsubscribe-pending': 'unsubscribe-pending',
  'unsubscribe-success': 'unsubscribed',
  'entitlement-updated': null,
};

/** Handles one SNS message body (the `Message` string of the notification). */
export async function subscription(deps: SellerDeps, message: string): Promise<{ applied: boolean; reason?: string }> {
  let n: z.infer<typeof SnsNotification>;
  try {
    n = SnsNotification.parse(JSON.parse(message));
  } catch {
    return { applied: false, reason: 'not a Marketplace subscription notification' };
  }
  if (n['product-code'] !== deps.productCode) return { applied: false, reason: 'other product' };
  const status = statusFor[n.action];
  if (!status) return { applied: false, reason: 'no status change' };
  const at = (deps.now?.() ?? new Date()).toISOString();
  if (await deps.store.setStatus(n['customer-identifier'], status, at)) return { applied: true };
  // notification before registration: keep the status so registration picks it up
  await deps.store.putRaw({ pk: `customer#${n['customer-identifier']}`, customerIdentifier: n['customer-identifier'], awsAccountId: '', productCode: n['product-code'], status, updatedAt: at });
  return { applied: true, reason: 'customer not registered yet' };
}

export const UsageReport = z.object({
  records: z
    .array(
      z.object({
        /** unique per customer deployment and record (the snapshot id): resending is harmless */
        id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
        bytes: z.number().int().min(0).max(2 ** 50),
      }),
    )
    .min(1)
    .max(100),
});
export type UsageReport = z.infer<typeof UsageReport>;

/**
 * Accepts a usage report signed by a customer deployment's role (API Gateway AWS_IAM auth gives the
 * caller's account). Usage is filed under the hour it arrives in, so an hour is complete once it ended.
 */
export async function usage(
  deps: SellerDeps,
  callerAccountId: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const parsed = UsageReport.safeParse(body);
  if (!parsed.success) return { status: 400, body: { error: 'invalid usage report', issues: parsed.error.issues.slice(0, 5).map((i) => i.message) } };
  const c = await deps.store.customerByAccount(callerAccountId);
  if (!c) return { status: 403, body: { error: 'this AWS account has no memq subscription (register through AWS Marketplace first)' } };
  // entitlement: only subscribed customers are metered; unsubscribed deployments are told so
  if (c.status !== 'subscribed') return { status: 403, body: { error: `subscription is ${c.status}` } };
  const results: Record<string, string> = {};
  for (const r of parsed.data.records) {
    const hour = hourOf(deps.now?.() ?? new Date());
    const gb = Math.ceil(r.bytes / 1e9);
    let out: 'added' | 'duplicate' = 'added';
    for (const [dim, q] of [[DIMENSIONS.snapshots, 1], [DIMENSIONS.analyzed_gb, gb]] as const) {
      if ((await deps.store.addUsage(c, r.id, dim, hour, q)) === 'duplicate') out = 'duplicate';
    }
    results[r.id] = out;
  }
  return { status: 200, body: { results } };
}

/** Meters every closed, unmetered hour: BatchMeterUsage in batches of 25; each aggregate is marked once sent. */
export async function meter(deps: SellerDeps): Promise<{ sent: number; success: number; duplicate: number; notSubscribed: number; unprocessed: number }> {
  const now = deps.now?.() ?? new Date();
  const pending = await deps.store.unmetered(hourOf(now));
  const stats = { sent: 0, success: 0, duplicate: 0, notSubscribed: 0, unprocessed: 0 };
  // BatchMeterUsage accepts records up to 6 hours old; older ones are marked expired, not retried forever
  const oldest = Date.parse(hourOf(new Date(now.getTime() - 6 * 3600_000)) + ':00:00Z');
  const fresh = [];
  for (const a of pending) {
    if (Date.parse(`${a.hour}:00:00Z`) < oldest) await deps.store.markMetered(a.pk, 'expired', null, now.toISOString());
    else if (a.quantity > 0) fresh.push(a);
    else await deps.store.markMetered(a.pk, 'zero', null, now.toISOString());
  }
  for (let i = 0; i < fresh.length; i += 25) {
    const batch = fresh.slice(i, i + 25);
    const r = await deps.metering.send(
      new BatchMeterUsageCommand({
        ProductCode: deps.productCode,
        UsageRecords: batch.map((a) => ({
          Timestamp: new Date(`${a.hour}:00:00Z`),
          CustomerAWSAccountId: a.awsAccountId || undefined,
          CustomerIdentifier: a.awsAccountId ? undefined : a.customerIdentifier,
          Dimension: a.dimension,
          Quantity: a.quantity,
        })),
      }),
    );
    stats.sent += batch.length;
    for (const res of r.Results ?? []) {
      const rec = res.UsageRecord;
      const a = batch.find((x) => x.dimension === rec?.Dimension && `${x.hour}:00:00Z` === rec?.Timestamp?.toISOString().slice(0, 13) + ':00:00Z' && (x.awsAccountId ? x.awsAccountId === rec?.CustomerAWSAccountId : x.customerIdentifier === rec?.CustomerIdentifier));
      if (!a) continue;
      const st = res.Status ?? 'Success';
      if (st === 'Success') stats.success++;
      else if (st === 'DuplicateRecord') stats.duplicate++;
      else stats.notSubscribed++;
      await deps.store.markMetered(a.pk, st, res.MeteringRecordId ?? null, now.toISOString());
    }
    stats.unprocessed += r.UnprocessedRecords?.length ?? 0; // left unmarked: the next run retries them
  }
  return stats;
}

// Seller-side AWS Marketplace SaaS integration, as plain functions (lambdas/seller.ts adapts events):
//  register     — the listing's registration URL: x-amzn-marketplace-token → ResolveCustomer → customer
//                 keyed by (CustomerAWSAccountId, LicenseArn)
//  subscription — lifecycle: EventBridge agreement/license events (source aws.agreement-marketplace),
//                 and the legacy SNS notifications for integrations that still receive them
//  usage        — signed usage reports from customer deployments, entitlement-checked, deduplicated;
//                 every answer carries the account's entitlement so the deployment can enforce it
//  meter        — BatchMeterUsage of closed hours (LicenseArn per record, no ProductCode), exactly once
//                 per (customer, dimension, hour)
//
// What the SDK model (@aws-sdk/client-marketplace-metering) says and this code relies on:
//  - ResolveCustomer: "For new SaaS product integrations, the CustomerIdentifier field is not
//    populated. Use CustomerAWSAccountId and LicenseArn".
//  - BatchMeterUsage: new integrations send CustomerAWSAccountId + LicenseArn per record and "do NOT
//    include ProductCode at the request level"; both for the same customer and hour bills twice.
//    ≤ 25 records per call; records are accepted up to 24 hours after the event (and not after 06:00
//    UTC on the 1st for the previous month) — one record out of bounds rejects the whole batch
//    (TimestampOutOfBoundsException). Identical requests are idempotent; DuplicateRecord means the same
//    customer/dimension/hour was metered before with a DIFFERENT quantity (not honored).
import { BatchMeterUsageCommand, ResolveCustomerCommand, type MarketplaceMeteringClient, type UsageRecord, type UsageRecordResult } from '@aws-sdk/client-marketplace-metering';
import { z } from 'zod';
import { legacyKey, licenseKey, type Customer, type CustomerStatus, type HourAggregate, type SellerStore } from './seller-store';

/** Metering dimensions of the listing (must match the dimensions configured in the listing). */
export const DIMENSIONS = {
  /** GB (10^9 bytes, rounded up per snapshot) of physical memory analyzed */
  analyzed_gb: 'analyzed_gb',
  /** snapshots analyzed */
  snapshots: 'snapshots',
} as const;

/** After License Deprovisioned, AWS accepts final metering records for one hour. */
export const FINAL_METERING_WINDOW_MS = 3600_000;

export type IntegrationMode = 'license' | 'legacy';

export interface SellerDeps {
  store: SellerStore;
  metering: MarketplaceMeteringClient;
  productCode: string;
  /** 'license' (CustomerAWSAccountId + LicenseArn; every listing created now) or 'legacy'
   * (CustomerIdentifier + ProductCode, existing integrations only). Never both for one product. */
  mode?: IntegrationMode;
  now?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

const nowOf = (d: SellerDeps) => d.now?.() ?? new Date();
const hourOf = (d: Date) => d.toISOString().slice(0, 13);
const modeOf = (d: SellerDeps): IntegrationMode => d.mode ?? 'license';

// ---------------------------------------------------------------------------------------------------
// registration

export async function register(deps: SellerDeps, token: string): Promise<{ ok: true; customer: Customer } | { ok: false; reason: string }> {
  if (!token || token.length > 4096) return { ok: false, reason: 'missing x-amzn-marketplace-token' };
  const r = await deps.metering.send(new ResolveCustomerCommand({ RegistrationToken: token }));
  if (r.ProductCode && r.ProductCode !== deps.productCode) return { ok: false, reason: `token is for product ${r.ProductCode}, not this listing` };
  const at = nowOf(deps).toISOString();
  let key: string;
  if (modeOf(deps) === 'license') {
    if (!r.CustomerAWSAccountId || !r.LicenseArn) return { ok: false, reason: 'ResolveCustomer returned no CustomerAWSAccountId/LicenseArn' };
    key = licenseKey(r.CustomerAWSAccountId, r.LicenseArn);
    await deps.store.ensureCustomer({ key, awsAccountId: r.CustomerAWSAccountId, licenseArn: r.LicenseArn, productCode: deps.productCode }, at);
  } else {
    if (!r.CustomerIdentifier || !r.CustomerAWSAccountId) return { ok: false, reason: 'ResolveCustomer returned no CustomerIdentifier (legacy integration)' };
    key = legacyKey(r.CustomerIdentifier);
    await deps.store.ensureCustomer({ key, awsAccountId: r.CustomerAWSAccountId, customerIdentifier: r.CustomerIdentifier, productCode: deps.productCode }, at);
  }
  // the activation event may arrive before or after the buyer lands here: the stored status stands
  return { ok: true, customer: (await deps.store.getCustomer(key))! };
}

// ---------------------------------------------------------------------------------------------------
// lifecycle events

/** EventBridge event from AWS Marketplace (default bus, us-east-1, source aws.agreement-marketplace). */
export const MarketplaceEvent = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.literal('aws.agreement-marketplace'),
  time: z.string().min(1),
  detail: z.object({
    agreement: z.object({ id: z.string().min(1), status: z.string().optional(), intent: z.string().optional(), endTime: z.string().optional(), previousAgreementId: z.string().optional() }).optional(),
    product: z.object({ code: z.string().optional(), id: z.string().optional() }).optional(),
    license: z.object({ arn: z.string().min(1) }).optional(),
    acceptor: z.object({ accountId: z.string().regex(/^\d{12}$/) }).optional(),
  }),
});
export type MarketplaceEvent = z.infer<typeof MarketplaceEvent>;

/** The detail types the seller stack's EventBridge rule forwards (manufacturer and proposer forms). */
export const EVENT_DETAIL_TYPES = [
  'Purchase Agreement Created - Manufacturer',
  'Purchase Agreement Created - Proposer',
  'Purchase Agreement Amended - Manufacturer',
  'Purchase Agreement Amended - Proposer',
  'Purchase Agreement Ended - Manufacturer',
  'Purchase Agreement Ended - Proposer',
  'License Updated - Manufacturer',
  'License Deprovisioned - Manufacturer',
  'Purchase Agreement Advisory Issued - Manufacturer',
  'Purchase Agreement Advisory Resolved - Manufacturer',
] as const;

const LegacySns = z.object({
  action: z.enum(['subscribe-success', 'subscribe-fail', 'unsubscribe-pending', 'unsubscribe-success', 'entitlement-updated']),
  'customer-identifier': z.string().min(1),
  'product-code': z.string().min(1),
});

const legacyStatus: Record<string, CustomerStatus | null> = {
  'subscribe-success': 'subscribed',
  'subscribe-fail': 'subscribe-failed',
  'unsubscribe-pending': 'unsubscribe-pending',
  'unsubscribe-success': 'unsubscribed',
  'entitlement-updated': null,
};

export interface LifecycleResult {
  applied: boolean;
  reason?: string;
  /** customer whose final metering window opened (License Deprovisioned): meter it now */
  flush?: string;
}

/**
 * Handles one lifecycle message: an EventBridge event (object or JSON) or a legacy SNS notification
 * body (`{ Message, Timestamp }` envelope or the bare message). Idempotent: a redelivered event is
 * skipped by id, and every state change is conditional on the event being newer than the state.
 */
export async function subscription(deps: SellerDeps, message: unknown, envelopeTime?: string): Promise<LifecycleResult> {
  let m: unknown = message;
  if (typeof m === 'string') {
    try {
      m = JSON.parse(m);
    } catch {
      return { applied: false, reason: 'not JSON' };
    }
  }
  const ev = MarketplaceEvent.safeParse(m);
  if (ev.success) return lifecycleEvent(deps, ev.data);
  const sns = LegacySns.safeParse(m);
  if (sns.success) return legacyNotification(deps, sns.data, envelopeTime);
  return { applied: false, reason: 'not a Marketplace lifecycle event' };
}

async function lifecycleEvent(deps: SellerDeps, e: MarketplaceEvent): Promise<LifecycleResult> {
  if (await deps.store.seenEvent(e.id)) return { applied: false, reason: 'duplicate delivery' };
  const now = nowOf(deps).toISOString();
  const type = e['detail-type'].replace(/ - (Manufacturer|Proposer)$/, '');
  const d = e.detail;
  const account = d.acceptor?.accountId;
  let result: LifecycleResult = { applied: false, reason: `${type}: recorded only` };
  switch (type) {
    case 'License Updated':
    case 'License Deprovisioned': {
      if (!d.license || !account) return { applied: false, reason: `${type} without license/acceptor` };
      if (d.product?.code !== deps.productCode) {
        result = { applied: false, reason: 'other product' };
        break;
      }
      const key = licenseKey(account, d.license.arn);
      await deps.store.ensureCustomer({ key, awsAccountId: account, licenseArn: normalizeLicenseArn(d.license.arn), productCode: deps.productCode }, now);
      if (type === 'License Updated') {
        // "do not activate a subscription unless you receive a License Updated event"; an agreement
        // that ended at or after this event's time wins (events may arrive out of order)
        const ag = d.agreement ? await deps.store.getAgreement(d.agreement.id) : null;
        const ended = ag?.agreementStatus === 'ENDED' && (ag.endedAt ?? '') >= e.time;
        const applied = await deps.store.applyStatus(
          key,
          ended ? { status: 'unsubscribed', at: ag!.endedAt!, agreementId: d.agreement?.id, endedAt: ag!.endedAt } : { status: 'subscribed', at: e.time, agreementId: d.agreement?.id, activatedAt: e.time },
          now,
        );
        result = { applied, reason: applied ? undefined : 'older than the current state' };
      } else {
        const applied = await deps.store.applyStatus(key, { status: 'unsubscribe-pending', at: e.time, deprovisionedAt: e.time }, now);
        result = { applied, reason: applied ? undefined : 'older than the current state', flush: key };
      }
      break;
    }
    case 'Purchase Agreement Created':
    case 'Purchase Agreement Amended':
      if (d.agreement) await deps.store.recordAgreement({ id: d.agreement.id, acceptor: account, status: 'ACTIVE', at: e.time, intent: d.agreement.intent, previousAgreementId: d.agreement.previousAgreementId });
      result = { applied: true, reason: `${type}: agreement recorded (access changes with License Updated)` };
      break;
    case 'Purchase Agreement Ended': {
      if (!d.agreement) return { applied: false, reason: 'Ended without agreement' };
      await deps.store.recordAgreement({ id: d.agreement.id, acceptor: account, status: 'ENDED', at: e.time, endedAt: e.time });
      // the license(s) bound to THIS agreement end; a renewal's new agreement is untouched
      const acct = account ?? (await deps.store.getAgreement(d.agreement.id))?.acceptor;
      let any = false;
      for (const c of acct ? await deps.store.customersByAccount(acct) : []) {
        if (c.agreementId !== d.agreement.id) continue;
        any = (await deps.store.applyStatus(c.key, { status: 'unsubscribed', at: e.time, endedAt: e.time }, now)) || any;
      }
      result = { applied: any, reason: any ? undefined : 'agreement recorded; no license bound to it yet' };
      break;
    }
    case 'Purchase Agreement Advisory Issued':
      deps.log?.('warn', 'Marketplace advisory on an agreement: review by a human (no automatic revocation)', { agreement: d.agreement?.id, account });
      break;
  }
  await deps.store.markEvent(e.id, e['detail-type'], now);
  return result;
}

/** License ARNs as events print them may lack the `arn:` prefix (AWS's own examples do). */
function normalizeLicenseArn(arn: string): string {
  return arn.startsWith('arn:') ? arn : `arn:${arn}`;
}

async function legacyNotification(deps: SellerDeps, n: z.infer<typeof LegacySns>, envelopeTime?: string): Promise<LifecycleResult> {
  if (n['product-code'] !== deps.productCode) return { applied: false, reason: 'other product' };
  if (modeOf(deps) !== 'legacy') return { applied: false, reason: 'legacy SNS notification ignored: this listing uses license-based integration (EventBridge)' };
  const status = legacyStatus[n.action];
  if (!status) return { applied: false, reason: 'no status change' };
  const now = nowOf(deps).toISOString();
  const at = envelopeTime ?? now;
  const key = legacyKey(n['customer-identifier']);
  // notification before registration: the customer is created now and registration fills the account
  await deps.store.ensureCustomer({ key, awsAccountId: '', customerIdentifier: n['customer-identifier'], productCode: deps.productCode }, now);
  const ch = status === 'subscribed' ? { status, at, activatedAt: at } : status === 'unsubscribe-pending' ? { status, at, deprovisionedAt: at } : status === 'unsubscribed' ? { status, at, endedAt: at } : { status, at };
  const applied = await deps.store.applyStatus(key, ch, now);
  return { applied, reason: applied ? undefined : 'older than the current state', flush: status === 'unsubscribe-pending' ? key : undefined };
}

// ---------------------------------------------------------------------------------------------------
// entitlement (what a customer deployment may do) and usage

export interface Entitlement {
  /** active: metered use; pending: subscribed, license not active yet; ending: final metering window;
   * ended: subscription over (since endedAt); none: this account never subscribed */
  state: 'active' | 'pending' | 'ending' | 'ended' | 'none';
  endedAt?: string;
  licenseArn?: string;
}

/** The account's entitlement and the customer its usage is billed to (several licenses: newest active). */
export function entitlementOf(customers: Customer[], now: Date): { entitlement: Entitlement; billTo: Customer | null } {
  const by = (s: CustomerStatus) => customers.filter((c) => c.status === s).sort((a, b) => (b.activatedAt ?? b.statusAt).localeCompare(a.activatedAt ?? a.statusAt));
  const active = by('subscribed')[0];
  if (active) return { entitlement: { state: 'active', licenseArn: active.licenseArn }, billTo: active };
  const ending = by('unsubscribe-pending').find((c) => now.getTime() - Date.parse(c.deprovisionedAt ?? c.statusAt) < FINAL_METERING_WINDOW_MS);
  if (ending) return { entitlement: { state: 'ending', endedAt: ending.deprovisionedAt ?? ending.statusAt, licenseArn: ending.licenseArn }, billTo: ending };
  if (by('pending').length) return { entitlement: { state: 'pending' }, billTo: null };
  const over = customers.filter((c) => c.status === 'unsubscribed' || c.status === 'unsubscribe-pending' || c.status === 'subscribe-failed');
  if (over.length) {
    const endedAt = over.map((c) => c.deprovisionedAt ?? c.endedAt ?? c.statusAt).sort().at(-1)!;
    return { entitlement: { state: 'ended', endedAt }, billTo: null };
  }
  return { entitlement: { state: 'none' }, billTo: null };
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
    .max(100),
});
export type UsageReport = z.infer<typeof UsageReport>;

/**
 * Accepts a usage report signed by a customer deployment's role (API Gateway AWS_IAM auth gives the
 * caller's account). An empty report is an entitlement check. Usage is filed under the hour it arrives
 * in, so an hour is complete once it ended. Answers: 200 (accepted), 409 (subscription not active yet:
 * keep the records and resend), 403 (no or ended subscription: the records will never be billed).
 */
export async function usage(deps: SellerDeps, callerAccountId: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const parsed = UsageReport.safeParse(body);
  if (!parsed.success) return { status: 400, body: { error: 'invalid usage report', issues: parsed.error.issues.slice(0, 5).map((i) => i.message) } };
  const now = nowOf(deps);
  const { entitlement, billTo } = entitlementOf(await deps.store.customersByAccount(callerAccountId), now);
  if (entitlement.state === 'none') return { status: 403, body: { error: 'this AWS account has no memq subscription (subscribe through AWS Marketplace first)', entitlement } };
  if (entitlement.state === 'ended') return { status: 403, body: { error: `the memq subscription of this account ended at ${entitlement.endedAt}`, entitlement } };
  if (!billTo) return { status: 409, body: { error: 'the subscription is not active yet; resend later', entitlement } };
  const results: Record<string, string> = {};
  const hour = hourOf(now);
  for (const r of parsed.data.records) {
    const gb = Math.ceil(r.bytes / 1e9);
    let out: 'added' | 'duplicate' = 'added';
    for (const [dim, q] of [[DIMENSIONS.snapshots, 1], [DIMENSIONS.analyzed_gb, gb]] as const) {
      if ((await deps.store.addUsage(billTo, r.id, dim, hour, q)) === 'duplicate') out = 'duplicate';
    }
    results[r.id] = out;
  }
  return { status: 200, body: { results, entitlement } };
}

// ---------------------------------------------------------------------------------------------------
// metering

/** Whether BatchMeterUsage still accepts a record for `hour` at `now` (24 h; month close at 06:00 UTC on the 1st). */
export function timestampAccepted(hour: string, now: Date): boolean {
  const t = Date.parse(`${hour}:00:00Z`);
  if (now.getTime() - t >= 24 * 3600_000 || t > now.getTime()) return false;
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return !(t < monthStart && now.getTime() >= monthStart + 6 * 3600_000);
}

export interface MeterStats {
  sent: number;
  success: number;
  duplicate: number;
  notSubscribed: number;
  rejected: number;
  expired: number;
  unprocessed: number;
}

const TERMINAL_BATCH_ERRORS = new Set(['InvalidLicenseException', 'InvalidCustomerIdentifierException', 'CustomerNotEntitledException', 'TimestampOutOfBoundsException', 'InvalidUsageDimensionException', 'InvalidProductCodeException']);

/**
 * Meters every closed, unmetered hour (or, for a customer whose final window opened, everything it has
 * including the current hour): each aggregate is sealed, sent with BatchMeterUsage (≤ 25 records, one
 * request per identity kind: LicenseArn records without ProductCode; legacy CustomerIdentifier records
 * with it), and marked with the outcome. A batch refused as a whole for one bad record is resent record
 * by record so the others are billed. Unprocessed records stay pending for the next run.
 */
export async function meter(deps: SellerDeps, opts: { customerKey?: string } = {}): Promise<MeterStats> {
  const now = nowOf(deps);
  const at = now.toISOString();
  const pending = (await deps.store.unmetered(opts.customerKey ? null : hourOf(now))).filter((a) => !opts.customerKey || a.customerKey === opts.customerKey);
  const stats: MeterStats = { sent: 0, success: 0, duplicate: 0, notSubscribed: 0, rejected: 0, expired: 0, unprocessed: 0 };
  const fresh: HourAggregate[] = [];
  for (const a of pending) {
    if (!timestampAccepted(a.hour, now)) {
      await deps.store.markMetered(a.pk, 'expired', null, at);
      stats.expired++;
      deps.log?.('error', 'usage older than BatchMeterUsage accepts: not billed', { customer: a.customerKey, hour: a.hour, dimension: a.dimension, quantity: a.quantity });
      continue;
    }
    const sealed = await deps.store.seal(a.pk, at);
    if (!sealed) continue;
    if (sealed.quantity > 0) fresh.push(sealed);
    else await deps.store.markMetered(a.pk, 'zero', null, at);
  }
  const licensed = fresh.filter((a) => a.licenseArn);
  const legacy = fresh.filter((a) => !a.licenseArn && a.customerIdentifier);
  for (const a of fresh.filter((x) => !x.licenseArn && !x.customerIdentifier)) await deps.store.markMetered(a.pk, 'no-identity', null, at);
  for (const [group, productCode] of [[licensed, undefined], [legacy, deps.productCode]] as const) {
    for (let i = 0; i < group.length; i += 25) await sendBatch(deps, group.slice(i, i + 25), productCode, stats, at);
  }
  return stats;
}

function recordOf(a: HourAggregate): UsageRecord {
  const base = { Timestamp: new Date(`${a.hour}:00:00Z`), Dimension: a.dimension, Quantity: a.quantity };
  return a.licenseArn ? { ...base, CustomerAWSAccountId: a.awsAccountId, LicenseArn: a.licenseArn } : { ...base, CustomerIdentifier: a.customerIdentifier };
}

const sameRecord = (a: HourAggregate, r: UsageRecord | undefined) =>
  !!r &&
  r.Dimension === a.dimension &&
  r.Timestamp?.getTime() === Date.parse(`${a.hour}:00:00Z`) &&
  (a.licenseArn ? r.LicenseArn === a.licenseArn && r.CustomerAWSAccountId === a.awsAccountId : r.CustomerIdentifier === a.customerIdentifier);

async function sendBatch(deps: SellerDeps, batch: HourAggregate[], productCode: string | undefined, stats: MeterStats, at: string): Promise<void> {
  let results: UsageRecordResult[];
  let unprocessed: UsageRecord[];
  try {
    const r = await deps.metering.send(new BatchMeterUsageCommand({ UsageRecords: batch.map(recordOf), ...(productCode ? { ProductCode: productCode } : {}) }));
    results = r.Results ?? [];
    unprocessed = r.UnprocessedRecords ?? [];
  } catch (e) {
    const name = (e as Error).name;
    if (!TERMINAL_BATCH_ERRORS.has(name)) throw e; // throttling/internal: the run fails, the aggregates stay pending
    if (batch.length > 1) {
      for (const a of batch) await sendBatch(deps, [a], productCode, stats, at);
      return;
    }
    stats.rejected++;
    deps.log?.('error', 'BatchMeterUsage rejected a record: not billed', { error: name, customer: batch[0]!.customerKey, hour: batch[0]!.hour, dimension: batch[0]!.dimension });
    await deps.store.markMetered(batch[0]!.pk, name, null, at);
    return;
  }
  stats.sent += batch.length;
  for (const res of results) {
    const a = batch.find((x) => sameRecord(x, res.UsageRecord));
    if (!a) continue;
    const st = res.Status ?? 'Success';
    if (st === 'Success') stats.success++;
    else if (st === 'DuplicateRecord') {
      stats.duplicate++;
      deps.log?.('error', 'DuplicateRecord: this customer/dimension/hour was metered before with another quantity', { customer: a.customerKey, hour: a.hour, dimension: a.dimension, quantity: a.quantity });
    } else stats.notSubscribed++;
    await deps.store.markMetered(a.pk, st, res.MeteringRecordId ?? null, at);
  }
  stats.unprocessed += unprocessed.length; // sealed, not marked: the next run resends the same quantity
}

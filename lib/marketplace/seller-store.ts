// Seller-side ledger (DynamoDB, seller account).
//
// Customers are keyed the way AWS Marketplace identifies them today: (CustomerAWSAccountId, LicenseArn)
// — `cust#<account>#<license id>`. The legacy key `cust#legacy#<CustomerIdentifier>` exists only for
// integrations that still receive a CustomerIdentifier (SNS notifications, ProductCode metering).
// One account may hold several licenses (concurrent agreements): `account#<id>` lists its customer keys.
// Agreements seen in EventBridge events are kept as `agreement#<id>` (an Ended may arrive before the
// License Updated that names the agreement), processed event ids as `event#<id>`.
//
// Usage: per-report claims `report#<account>#<dimension>#<report id>` (per account, so a renewal that
// changes the billing license cannot count a resent report twice) and hourly aggregates
// `meter#<customer key>#<dimension>#<hour>` that the meter job seals, sends with BatchMeterUsage, and
// marks — exactly once per (customer, dimension, hour).
import { tableWithSparseIndex } from '../util/dynamo-table';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const sellerTableShape = {
  partitionKey: 'pk',
  /** sparse index of hourly aggregates not yet metered */
  unmeteredIndex: { name: 'unmetered', partitionKey: 'unmetered', sortKey: 'hour_key' },
} as const;

/**
 * pending: registered or agreement created, license not (yet) active — no usage accepted.
 * subscribed: License Updated (or SNS subscribe-success) — usage accepted and metered.
 * unsubscribe-pending: License Deprovisioned (or SNS unsubscribe-pending) — the final metering window.
 * unsubscribed: Purchase Agreement Ended (or SNS unsubscribe-success).
 */
export type CustomerStatus = 'pending' | 'subscribed' | 'unsubscribe-pending' | 'unsubscribed' | 'subscribe-failed';

export interface Customer {
  key: string;
  awsAccountId: string;
  /** set for license-based (current) integrations */
  licenseArn?: string;
  /** set only for legacy integrations */
  customerIdentifier?: string;
  productCode: string;
  agreementId?: string;
  status: CustomerStatus;
  /** time of the event that set `status` (events older than this are ignored) */
  statusAt: string;
  activatedAt?: string;
  deprovisionedAt?: string;
  endedAt?: string;
  updatedAt: string;
}

export interface HourAggregate {
  pk: string;
  customerKey: string;
  awsAccountId: string;
  licenseArn?: string;
  customerIdentifier?: string;
  dimension: string;
  /** 'YYYY-MM-DDTHH' (UTC) */
  hour: string;
  quantity: number;
}

export const METER_PENDING = 'PENDING';

/** The license id (`l-…`) of a license ARN. AWS's own event examples print license ARNs without the
 * leading `arn:`; ResolveCustomer returns them with it — the id is what both agree on. */
export function licenseId(arn: string): string {
  const m = /(?:^|[:/])(l-[A-Za-z0-9]+)$/.exec(arn.trim());
  if (!m) throw new Error(`not a license ARN: ${arn.slice(0, 200)}`);
  return m[1]!;
}
export const licenseKey = (account: string, licenseArn: string) => `cust#${account}#${licenseId(licenseArn)}`;
export const legacyKey = (customerIdentifier: string) => `cust#legacy#${customerIdentifier}`;

const nextHour = (h: string) => new Date(Date.parse(`${h}:00:00Z`) + 3600_000).toISOString().slice(0, 13);
const isCondFail = (e: unknown) => (e as Error).name === 'ConditionalCheckFailedException';

export interface StatusChange {
  status: CustomerStatus;
  /** event time (ISO) */
  at: string;
  agreementId?: string;
  activatedAt?: string;
  deprovisionedAt?: string;
  endedAt?: string;
}

export class SellerStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(client: DynamoDBClient, private readonly table: string) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /**
   * Creates the customer if missing (status `pending`, or the given initial status) and links it to its
   * account. Identity fields never change once written. Idempotent.
   */
  async ensureCustomer(c: { key: string; awsAccountId: string; licenseArn?: string; customerIdentifier?: string; productCode: string }, now: string): Promise<void> {
    const names: Record<string, string> = { '#s': 'status', '#k': 'key' };
    const values: Record<string, unknown> = { ':a': c.awsAccountId, ':p': c.productCode, ':pending': 'pending', ':epoch': '1970-01-01T00:00:00.000Z', ':now': now, ':k': c.key };
    // a legacy notification may arrive before registration (account ''): the account is filled in later
    const sets = [
      c.awsAccountId ? 'awsAccountId = :a' : 'awsAccountId = if_not_exists(awsAccountId, :a)',
      'productCode = if_not_exists(productCode, :p)',
      '#s = if_not_exists(#s, :pending)',
      'statusAt = if_not_exists(statusAt, :epoch)',
      'updatedAt = :now',
      '#k = :k',
    ];
    if (c.licenseArn) {
      sets.push('licenseArn = if_not_exists(licenseArn, :l)');
      values[':l'] = c.licenseArn;
    }
    if (c.customerIdentifier) {
      sets.push('customerIdentifier = if_not_exists(customerIdentifier, :ci)');
      values[':ci'] = c.customerIdentifier;
    }
    await this.doc.send(new UpdateCommand({ TableName: this.table, Key: { pk: c.key }, UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
    if (c.awsAccountId) {
      await this.doc.send(new UpdateCommand({ TableName: this.table, Key: { pk: `account#${c.awsAccountId}` }, UpdateExpression: 'ADD #keys :k', ExpressionAttributeNames: { '#keys': 'keys' }, ExpressionAttributeValues: { ':k': new Set([c.key]) } }));
    }
  }

  /** Applies a status change unless a newer event already set the status. Returns whether it applied. */
  async applyStatus(key: string, ch: StatusChange, now: string): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'status' };
    const values: Record<string, unknown> = { ':s': ch.status, ':t': ch.at, ':now': now };
    const sets = ['#s = :s', 'statusAt = :t', 'updatedAt = :now'];
    for (const f of ['agreementId', 'activatedAt', 'deprovisionedAt', 'endedAt'] as const) {
      if (ch[f] === undefined) continue;
      sets.push(`${f} = :${f}`);
      values[`:${f}`] = ch[f];
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: key },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(statusAt) OR statusAt <= :t)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isCondFail(e)) return false;
      throw e;
    }
  }

  async getCustomer(key: string): Promise<Customer | null> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: key }, ConsistentRead: true }));
    if (!r.Item) return null;
    const { pk: _pk, ...c } = r.Item;
    return c as Customer;
  }

  async customersByAccount(accountId: string): Promise<Customer[]> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `account#${accountId}` }, ConsistentRead: true }));
    const keys = [...((r.Item?.keys as Set<string> | undefined) ?? [])].sort();
    const out: Customer[] = [];
    for (const k of keys) {
      const c = await this.getCustomer(k);
      if (c) out.push(c);
    }
    return out;
  }

  /** Records an agreement's lifecycle as seen in events (latest event time wins per field group). */
  async recordAgreement(a: { id: string; acceptor?: string; status: string; at: string; intent?: string; previousAgreementId?: string; endedAt?: string }): Promise<void> {
    const values: Record<string, unknown> = { ':s': a.status, ':t': a.at };
    const sets = ['agreementStatus = :s', 'statusAt = :t'];
    if (a.acceptor) (sets.push('acceptor = :a'), (values[':a'] = a.acceptor));
    if (a.intent) (sets.push('intent = :i'), (values[':i'] = a.intent));
    if (a.previousAgreementId) (sets.push('previousAgreementId = :pa'), (values[':pa'] = a.previousAgreementId));
    if (a.endedAt) (sets.push('endedAt = :e'), (values[':e'] = a.endedAt));
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `agreement#${a.id}` },
          UpdateExpression: `SET ${sets.join(', ')}`,
          // an ENDED agreement stays ended; otherwise the newest event wins
          ConditionExpression: 'attribute_not_exists(pk) OR (agreementStatus <> :ended AND statusAt <= :t) OR :s = :ended',
          ExpressionAttributeValues: { ...values, ':ended': 'ENDED' },
        }),
      );
    } catch (e) {
      if (!isCondFail(e)) throw e;
    }
  }

  async getAgreement(id: string): Promise<{ agreementStatus: string; endedAt?: string; acceptor?: string } | null> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `agreement#${id}` }, ConsistentRead: true }));
    return (r.Item as { agreementStatus: string; endedAt?: string; acceptor?: string } | undefined) ?? null;
  }

  /** true the first time an event id is seen after processing; false for a redelivery. */
  async markEvent(id: string, detailType: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: `event#${id}`, detailType, at }, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (e) {
      if (isCondFail(e)) return false;
      throw e;
    }
  }
  async seenEvent(id: string): Promise<boolean> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `event#${id}` }, ConsistentRead: true }));
    return !!r.Item;
  }

  /**
   * Adds one usage report to an hour's aggregate exactly once, with single-item conditional writes
   * only: (1) claim the report id (per account), (2) add it to the aggregate of `hour` unless that
   * aggregate lists it already or was sealed for metering — then the next hour is tried, (3) mark the
   * claim counted. A crash between the steps is completed by the resend; a resend of a counted report
   * is a 'duplicate'.
   */
  async addUsage(c: Customer, reportId: string, dimension: string, hour: string, quantity: number): Promise<'added' | 'duplicate'> {
    const claimKey = { pk: `report#${c.awsAccountId}#${dimension}#${reportId}` };
    let customerKey = c.key;
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...claimKey, counted: false, quantity, customerKey }, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if (!isCondFail(e)) throw e;
      const claim = await this.doc.send(new GetCommand({ TableName: this.table, Key: claimKey, ConsistentRead: true }));
      if (claim.Item?.counted) return 'duplicate';
      customerKey = (claim.Item?.customerKey as string | undefined) ?? customerKey;
      if (claim.Item?.hour) return this.markCounted(claimKey, claim.Item.hour as string, 'duplicate');
    }
    let h = hour;
    for (let attempt = 0; attempt < 6; attempt++, h = nextHour(h)) {
      const aggKey = { pk: `meter#${customerKey}#${dimension}#${h}` };
      const values: Record<string, unknown> = {
        ':q': quantity,
        ':ids': new Set([reportId]),
        ':id': reportId,
        ':c': customerKey,
        ':a': c.awsAccountId,
        ':d': dimension,
        ':h': h,
        ':u': METER_PENDING,
        ':hk': `${h}#${customerKey}#${dimension}`,
      };
      let ident = '';
      if (c.licenseArn) (ident += ', licenseArn = :l'), (values[':l'] = c.licenseArn);
      if (c.customerIdentifier) (ident += ', customerIdentifier = :ci'), (values[':ci'] = c.customerIdentifier);
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: aggKey,
            UpdateExpression: `ADD quantity :q, reports :ids SET customerKey = :c, awsAccountId = :a, dimension = :d, #h = :h, unmetered = :u, hour_key = :hk${ident}`,
            ConditionExpression: 'attribute_not_exists(sealedAt) AND attribute_not_exists(meteredAt) AND (attribute_not_exists(reports) OR NOT contains(reports, :id))',
            ExpressionAttributeNames: { '#h': 'hour' },
            ExpressionAttributeValues: values,
          }),
        );
        return this.markCounted(claimKey, h, 'added');
      } catch (e) {
        if (!isCondFail(e)) throw e;
        const agg = await this.doc.send(new GetCommand({ TableName: this.table, Key: aggKey, ConsistentRead: true }));
        if ((agg.Item?.reports as Set<string> | undefined)?.has(reportId)) return this.markCounted(claimKey, h, 'duplicate');
        // sealed for metering while this report was in flight: file it under the next hour
      }
    }
    throw new Error(`usage report ${reportId}: no open hour found`);
  }

  private async markCounted(key: { pk: string }, hour: string, result: 'added' | 'duplicate'): Promise<'added' | 'duplicate'> {
    await this.doc.send(new UpdateCommand({ TableName: this.table, Key: key, UpdateExpression: 'SET counted = :t, #h = :h', ExpressionAttributeNames: { '#h': 'hour' }, ExpressionAttributeValues: { ':t': true, ':h': hour } }));
    return result;
  }

  /** Aggregates of hours strictly before `beforeHour` (or all, when null), not yet metered (bounded). */
  async unmetered(beforeHour: string | null, limit = 1000): Promise<HourAggregate[]> {
    const out: HourAggregate[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < 20 && out.length < limit; page++) {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: sellerTableShape.unmeteredIndex.name,
          KeyConditionExpression: beforeHour ? 'unmetered = :u AND hour_key < :h' : 'unmetered = :u',
          ExpressionAttributeValues: beforeHour ? { ':u': METER_PENDING, ':h': beforeHour } : { ':u': METER_PENDING },
          ExclusiveStartKey: start,
        }),
      );
      for (const it of r.Items ?? []) out.push(it as HourAggregate);
      start = r.LastEvaluatedKey;
      if (!start) break;
    }
    return out.slice(0, limit);
  }

  /**
   * Seals an aggregate for metering: no report is added to it afterwards (late ones go to the next
   * hour), so the quantity sent is final. Re-sealing (a retried run) returns the same quantity.
   */
  async seal(pk: string, at: string): Promise<HourAggregate | null> {
    try {
      const r = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk },
          UpdateExpression: 'SET sealedAt = if_not_exists(sealedAt, :t)',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(meteredAt)',
          ExpressionAttributeValues: { ':t': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return r.Attributes as HourAggregate;
    } catch (e) {
      if (isCondFail(e)) return null;
      throw e;
    }
  }

  async markMetered(pk: string, status: string, meteringRecordId: string | null, at: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk },
        UpdateExpression: 'SET meteredAt = :t, meterStatus = :s, meteringRecordId = :m, sealedAt = if_not_exists(sealedAt, :t) REMOVE unmetered, hour_key',
        ExpressionAttributeValues: { ':t': at, ':s': status, ':m': meteringRecordId },
      }),
    );
  }

  /** Raw put, for tests and admin tooling. */
  async putRaw(item: Record<string, unknown>): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: item }));
  }
}

/** CreateTable input matching the CDK ledger table (tests create it on dynalite). */
export function sellerCreateTableInput(tableName: string) {
  return tableWithSparseIndex(tableName, sellerTableShape.partitionKey, sellerTableShape.unmeteredIndex);
}

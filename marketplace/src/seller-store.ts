// Seller-side ledger (DynamoDB, seller account): customers resolved at registration (with their AWS
// account, so signed usage calls map to a customer), per-report dedupe items, and hourly aggregates
// per (customer, dimension, hour) that the meter job sends with BatchMeterUsage exactly once.
import { tableWithSparseIndex } from '../../lib/util/dynamo-table';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const sellerTableShape = {
  partitionKey: 'pk',
  /** sparse index of hourly aggregates not yet metered */
  unmeteredIndex: { name: 'unmetered', partitionKey: 'unmetered', sortKey: 'hour_key' },
} as const;

export type CustomerStatus = 'registered' | 'subscribed' | 'unsubscribe-pending' | 'unsubscribed' | 'subscribe-failed';

export interface Customer {
  customerIdentifier: string;
  awsAccountId: string;
  productCode: string;
  status: CustomerStatus;
  updatedAt: string;
}

export interface HourAggregate {
  pk: string;
  customerIdentifier: string;
  awsAccountId: string;
  dimension: string;
  /** 'YYYY-MM-DDTHH' (UTC) */
  hour: string;
  quantity: number;
}

export const METER_PENDING = 'PENDING';

const nextHour = (h: string) => new Date(Date.parse(`${h}:00:00Z`) + 3600_000).toISOString().slice(0, 13);

export class SellerStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(client: DynamoDBClient, private readonly table: string) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async putCustomer(c: Customer): Promise<void> {
    // two items: by customer id (SNS notifications) and by AWS account (signed usage reports); each
    // put is idempotent, the account item is written last so it never points at a missing customer
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: `customer#${c.customerIdentifier}`, ...c } }));
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { pk: `account#${c.awsAccountId}`, customerIdentifier: c.customerIdentifier } }));
  }

  async getCustomer(customerIdentifier: string): Promise<Customer | null> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `customer#${customerIdentifier}` }, ConsistentRead: true }));
    if (!r.Item) return null;
    const { pk: _pk, ...c } = r.Item;
    return c as Customer;
  }

  async customerByAccount(accountId: string): Promise<Customer | null> {
    const r = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `account#${accountId}` }, ConsistentRead: true }));
    return r.Item ? this.getCustomer(r.Item.customerIdentifier as string) : null;
  }

  /** Sets the status of a known customer; false when the customer never registered. */
  async setStatus(customerIdentifier: string, status: CustomerStatus, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `customer#${customerIdentifier}` },
          UpdateExpression: 'SET #s = :s, updatedAt = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ':t': at },
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /**
   * Adds one usage report to an hour's aggregate exactly once, with single-item conditional writes
   * only (no transactions): (1) claim the report id, (2) add it to the aggregate of `hour` unless
   * that aggregate already lists it or was metered — then the next hour is tried, (3) mark the claim
   * counted. A crash between the steps is completed by the resend; a resend of a counted report is
   * a 'duplicate'.
   */
  async addUsage(c: Customer, reportId: string, dimension: string, hour: string, quantity: number): Promise<'added' | 'duplicate'> {
    const claimKey = { pk: `report#${c.customerIdentifier}#${dimension}#${reportId}` };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...claimKey, counted: false, quantity }, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      const claim = await this.doc.send(new GetCommand({ TableName: this.table, Key: claimKey, ConsistentRead: true }));
      if (claim.Item?.counted) return 'duplicate';
      if (claim.Item?.hour) return this.markCounted(claimKey, claim.Item.hour as string, 'duplicate');
    }
    let h = hour;
    for (let attempt = 0; attempt < 6; attempt++, h = nextHour(h)) {
      const aggKey = { pk: `meter#${c.customerIdentifier}#${dimension}#${h}` };
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: aggKey,
            UpdateExpression: 'ADD quantity :q, reports :ids SET customerIdentifier = :c, awsAccountId = :a, dimension = :d, #h = :h, unmetered = :u, hour_key = :hk',
            ConditionExpression: 'attribute_not_exists(meteredAt) AND (attribute_not_exists(reports) OR NOT contains(reports, :id))',
            ExpressionAttributeNames: { '#h': 'hour' },
            ExpressionAttributeValues: {
              ':q': quantity,
              ':ids': new Set([reportId]),
              ':id': reportId,
              ':c': c.customerIdentifier,
              ':a': c.awsAccountId,
              ':d': dimension,
              ':h': h,
              ':u': METER_PENDING,
              ':hk': `${h}#${c.customerIdentifier}#${dimension}`,
            },
          }),
        );
        return this.markCounted(claimKey, h, 'added');
      } catch (e) {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
        const agg = await this.doc.send(new GetCommand({ TableName: this.table, Key: aggKey, ConsistentRead: true }));
        if ((agg.Item?.reports as Set<string> | undefined)?.has(reportId)) return this.markCounted(claimKey, h, 'duplicate');
        // metered while this report was in flight: file it under the next hour
      }
    }
    throw new Error(`usage report ${reportId}: no open hour found`);
  }

  private async markCounted(key: { pk: string }, hour: string, result: 'added' | 'duplicate'): Promise<'added' | 'duplicate'> {
    await this.doc.send(new UpdateCommand({ TableName: this.table, Key: key, UpdateExpression: 'SET counted = :t, #h = :h', ExpressionAttributeNames: { '#h': 'hour' }, ExpressionAttributeValues: { ':t': true, ':h': hour } }));
    return result;
  }

  /** Aggregates of hours strictly before `beforeHour`, not yet metered (bounded). */
  async unmetered(beforeHour: string, limit = 1000): Promise<HourAggregate[]> {
    const out: HourAggregate[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < 20 && out.length < limit; page++) {
      const r = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: sellerTableShape.unmeteredIndex.name,
          KeyConditionExpression: 'unmetered = :u AND hour_key < :h',
          ExpressionAttributeValues: { ':u': METER_PENDING, ':h': beforeHour },
          ExclusiveStartKey: start,
        }),
      );
      for (const it of r.Items ?? []) out.push(it as HourAggregate);
      start = r.LastEvaluatedKey;
      if (!start) break;
    }
    return out.slice(0, limit);
  }

  async markMetered(pk: string, status: string, meteringRecordId: string | null, at: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk },
        UpdateExpression: 'SET meteredAt = :t, meterStatus = :s, meteringRecordId = :m REMOVE unmetered, hour_key',
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

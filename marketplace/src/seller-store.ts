// Seller-side ledger (DynamoDB, seller account): customers resolved at registration (with their AWS
// account, so signed usage calls map to a customer), per-report dedupe items, and hourly aggregates
// per (customer, dimension, hour) that the meter job sends with BatchMeterUsage exactly once.
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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

export class SellerStore {
  private readonly doc: DynamoDBDocumentClient;
  constructor(client: DynamoDBClient, private readonly table: string) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async putCustomer(c: Customer): Promise<void> {
    // two items: by customer id (SNS notifications) and by AWS account (signed usage reports)
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: { pk: `customer#${c.customerIdentifier}`, ...c } } },
          { Put: { TableName: this.table, Item: { pk: `account#${c.awsAccountId}`, customerIdentifier: c.customerIdentifier } } },
        ],
      }),
    );
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
   * Adds one usage report to the hour's aggregate, once: the report id is claimed in the same
   * transaction, so a resent report changes nothing. Fails (returns 'closed') if the hour was
   * already metered — the caller then files it under the current hour.
   */
  async addUsage(c: Customer, reportId: string, dimension: string, hour: string, quantity: number): Promise<'added' | 'duplicate' | 'closed'> {
    const aggKey = `meter#${c.customerIdentifier}#${dimension}#${hour}`;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { pk: `report#${c.customerIdentifier}#${dimension}#${reportId}`, hour, quantity },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.table,
                Key: { pk: aggKey },
                UpdateExpression:
                  'ADD quantity :q SET customerIdentifier = :c, awsAccountId = :a, dimension = :d, #h = :h, unmetered = :u, hour_key = :hk',
                ConditionExpression: 'attribute_not_exists(meteredAt)',
                ExpressionAttributeNames: { '#h': 'hour' },
                ExpressionAttributeValues: {
                  ':q': quantity,
                  ':c': c.customerIdentifier,
                  ':a': c.awsAccountId,
                  ':d': dimension,
                  ':h': hour,
                  ':u': METER_PENDING,
                  ':hk': `${hour}#${c.customerIdentifier}#${dimension}`,
                },
              },
            },
          ],
        }),
      );
      return 'added';
    } catch (e) {
      if ((e as Error).name !== 'TransactionCanceledException') throw e;
      const reasons = ((e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code);
      if (reasons[0] === 'ConditionalCheckFailed') return 'duplicate';
      if (reasons[1] === 'ConditionalCheckFailed') return 'closed';
      throw e;
    }
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
  const i = sellerTableShape.unmeteredIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [sellerTableShape.partitionKey, i.partitionKey, i.sortKey].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: sellerTableShape.partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}

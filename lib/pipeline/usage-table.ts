// Customer-side usage ledger (DynamoDB): one item per analyzed snapshot, written once by finalize, and
// read by the usage reporter, which forwards closed hours to the seller's metering endpoint. Key names
// live here so the CDK table, the sink and the reporter agree. One more item, `entitlement`, holds the
// subscription state the reporter last heard from the seller (read by the API and ingest to enforce it).
import { tableWithSparseIndex } from '../util/dynamo-table';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UsageRecord, UsageSink } from './ports';

export const usageTableShape = {
  partitionKey: 'pk',
  /** sparse index of records not yet reported: present only until the reporter confirms delivery */
  pendingIndex: { name: 'pending', partitionKey: 'pending', sortKey: 'hour_snapshot' },
} as const;

export const PENDING = 'PENDING';

export class DynamoUsageSink implements UsageSink {
  private readonly doc: DynamoDBDocumentClient;
  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client);
  }
  async record(u: UsageRecord): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `usage#${u.snapshot}`,
            snapshot: u.snapshot,
            org: u.org,
            hour: u.hour,
            bytes: u.bytes,
            [usageTableShape.pendingIndex.partitionKey]: PENDING,
            [usageTableShape.pendingIndex.sortKey]: `${u.hour}#${u.snapshot}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }
}

/** CreateTable input matching the CDK table (tests create it on dynalite). */
export function usageCreateTableInput(tableName: string) {
  return tableWithSparseIndex(tableName, usageTableShape.partitionKey, usageTableShape.pendingIndex);
}

/** Key of the one item holding the entitlement the usage reporter last heard from the seller. */
export const ENTITLEMENT_KEY = 'entitlement';

export interface EntitlementItem {
  state: 'active' | 'pending' | 'ending' | 'ended' | 'none';
  endedAt?: string;
  licenseArn?: string;
  checkedAt: string;
  noneSince?: string;
}

export async function readEntitlement(client: DynamoDBClient, tableName: string): Promise<EntitlementItem | null> {
  const r = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: tableName, Key: { pk: ENTITLEMENT_KEY }, ConsistentRead: true }));
  if (!r.Item) return null;
  const { pk: _pk, ...e } = r.Item;
  return e as EntitlementItem;
}

export async function writeEntitlement(client: DynamoDBClient, tableName: string, e: EntitlementItem): Promise<void> {
  await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: tableName, Item: { pk: ENTITLEMENT_KEY, ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) } }));
}

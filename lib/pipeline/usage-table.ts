// Customer-side usage ledger (DynamoDB): one item per analyzed snapshot, written once by finalize, and
// read by the usage reporter, which forwards closed hours to the seller's metering endpoint. Key names
// live here so the CDK table, the sink and the reporter agree.
import { tableWithSparseIndex } from '../util/dynamo-table';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
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

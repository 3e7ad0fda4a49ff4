// CreateTable input for the small DynamoDB tables memq keeps (usage records, the seller's metering
// ledger): a string partition key plus one sparse string-keyed index. Tests create the same table on
// dynalite that the CDK stacks declare, so the shape is written once.
export interface SparseIndexShape {
  name: string;
  partitionKey: string;
  sortKey: string;
}

export function tableWithSparseIndex(tableName: string, partitionKey: string, index: SparseIndexShape) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [partitionKey, index.partitionKey, index.sortKey].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}

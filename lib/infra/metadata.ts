// DynamoDB tables of the customer stack: the platform metadata table (orgs, users, projects, machines,
// snapshots, saved queries, shares, audit — key shape owned by lib/platform/dynamo-repository.ts) and
// the usage ledger (lib/pipeline/usage-table.ts). Both: customer-managed KMS, point-in-time recovery,
// on-demand capacity, RETAIN on stack deletion.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ddb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { dynamoTableShape } from '../platform/dynamo-repository';
import { usageTableShape } from '../pipeline/usage-table';

const S = ddb.AttributeType.STRING;

export class Metadata extends Construct {
  readonly table: ddb.Table;
  readonly usage: ddb.Table;

  constructor(scope: Construct, id: string, props: { key: kms.IKey }) {
    super(scope, id);
    const common = {
      billingMode: ddb.BillingMode.PAY_PER_REQUEST,
      encryption: ddb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    };
    this.table = new ddb.Table(this, 'Metadata', { ...common, partitionKey: { name: dynamoTableShape.partitionKey, type: S } });
    for (const i of dynamoTableShape.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: i.name,
        partitionKey: { name: i.partitionKey, type: S },
        sortKey: { name: i.sortKey, type: S },
        projectionType: ddb.ProjectionType.ALL,
      });
    }
    this.usage = new ddb.Table(this, 'Usage', { ...common, partitionKey: { name: usageTableShape.partitionKey, type: S } });
    this.usage.addGlobalSecondaryIndex({
      indexName: usageTableShape.pendingIndex.name,
      partitionKey: { name: usageTableShape.pendingIndex.partitionKey, type: S },
      sortKey: { name: usageTableShape.pendingIndex.sortKey, type: S },
      projectionType: ddb.ProjectionType.ALL,
    });
  }
}

// Buyer-side enforcement of the AWS Marketplace subscription (policy: lib/marketplace/entitlement.ts):
// the API Lambda and the ingest Lambda read the one `entitlement` item the usage reporter keeps in the
// usage table — GetItem on that key only (dynamodb:LeadingKeys), plus decrypt with the stack's key.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as ddb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ENTITLEMENT_KEY } from '../pipeline/usage-table';

export function enforceEntitlement(props: { usage: ddb.ITable; key: kms.IKey; readers: lambda.Function[] }): void {
  for (const fn of props.readers) {
    fn.addEnvironment('USAGE_TABLE', props.usage.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [props.usage.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [ENTITLEMENT_KEY] } },
      }),
    );
    props.key.grantDecrypt(fn);
  }
}

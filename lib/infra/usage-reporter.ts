// Customer-side usage reporter: an hourly Lambda that sends closed hours of the usage ledger to the
// seller's metering endpoint (SigV4-signed with its own role — no keys, no secrets: the seller maps
// the calling AWS account to the Marketplace customer resolved at registration).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ddb from 'aws-cdk-lib/aws-dynamodb';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { lambdaCode } from './bundle';

export interface UsageReporterProps {
  usage: ddb.ITable;
  /** https URL of the seller's POST /usage */
  sellerUsageUrl: string;
  /** execute-api ARN of that route, for the role's identity policy */
  sellerUsageArn: string;
  dlq: sqs.IQueue;
}

export class UsageReporter extends Construct {
  readonly handler: lambda.Function;
  constructor(scope: Construct, id: string, props: UsageReporterProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      code: lambdaCode(this, 'usage'),
      handler: 'index.handler',
      memorySize: 256,
      timeout: Duration.minutes(2),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: props.dlq,
      environment: { USAGE_TABLE: props.usage.tableName, SELLER_USAGE_URL: props.sellerUsageUrl },
    });
    props.usage.grantReadWriteData(this.handler);
    this.handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: [props.sellerUsageArn] }));
    new events.Rule(this, 'Hourly', {
      description: 'memq: report closed hours of usage to the seller',
      schedule: events.Schedule.cron({ minute: '7' }),
      targets: [new targets.LambdaFunction(this.handler, { deadLetterQueue: props.dlq, retryAttempts: 2 })],
    });
  }
}

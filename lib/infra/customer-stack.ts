// The stack a buyer deploys into their own account (their dumps never leave it): storage, metadata,
// catalog, pipeline, API, the web UI (CloudFront) and the usage reporter. Parameters are what the
// deploy guide documents.
import { Aws, CfnCondition, CfnOutput, CfnParameter, Fn, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { Api } from './api';
import { LakeCatalog } from './catalog';
import { Metadata } from './metadata';
import { Pipeline } from './pipeline';
import { Storage } from './storage';
import { UsageReporter } from './usage-reporter';
import { Web } from './web';
import { hardenLambdaRoles } from './lambda-roles';
import { enforceEntitlement } from './entitlement';

export interface CustomerStackProps extends StackProps {
  /** seller metering endpoint defaults (overridable by parameters) */
  sellerUsageUrl?: string;
  sellerUsageArn?: string;
}

export class MemqStack extends Stack {
  readonly storage: Storage;
  readonly metadata: Metadata;
  readonly catalog: LakeCatalog;
  readonly pipeline: Pipeline;
  readonly api: Api;
  readonly usageReporter: UsageReporter;
  readonly web: Web;
  readonly alarms: sns.Topic;

  constructor(scope: Construct, id: string, props: CustomerStackProps = {}) {
    super(scope, id, { description: 'memq memory forensics: dumps → Parquet → Athena, in your account', ...props });
    // Defaults that a new account's reduced Lambda quotas accept (concurrency as low as 10, function
    // memory as low as 3,008 MB): raise both after the quota increase the deploy guide asks for.
    const maxShards = new CfnParameter(this, 'MaxShardConcurrency', {
      type: 'Number',
      default: 8,
      minValue: 1,
      maxValue: 1000,
      description: 'shard Lambdas one analysis runs at once (Distributed Map MaxConcurrency); keep under your account Lambda concurrency quota minus other use (new accounts: 10)',
    });
    const shardMemory = new CfnParameter(this, 'ShardMemoryMb', {
      type: 'Number',
      default: 3008,
      minValue: 1024,
      maxValue: 10240,
      description: 'memory of the shard Lambda in MB (CPU scales with it); new accounts may be limited to 3008 until a quota increase',
    });
    const scanCutoff = new CfnParameter(this, 'AthenaScanCutoffBytes', {
      type: 'Number',
      default: 100 * 1024 ** 3,
      minValue: 10 * 1024 ** 2,
      description: 'Athena per-query bytes-scanned cutoff in bytes (default 100 GiB); a query scanning more is cancelled',
    });
    const alarmEmail = new CfnParameter(this, 'AlarmEmail', {
      type: 'String',
      default: '',
      description: 'optional e-mail subscribed to pipeline/Lambda alarms',
      allowedPattern: '^$|^[^@\\s]+@[^@\\s]+$',
    });
    const adminEmail = new CfnParameter(this, 'AdminEmail', {
      type: 'String',
      description: 'e-mail of the first memq administrator: gets a Cognito invitation and owns the first organization',
      allowedPattern: '^[^@\\s]+@[^@\\s]+$',
    });
    const orgName = new CfnParameter(this, 'OrganizationName', { type: 'String', default: 'memq', minLength: 1, maxLength: 200, description: 'name of the first organization' });
    const sellerUrl = new CfnParameter(this, 'SellerUsageUrl', {
      type: 'String',
      default: props.sellerUsageUrl ?? 'https://metering.example.invalid/v1/usage',
      description: 'seller metering endpoint (AWS Marketplace usage reporting)',
      allowedPattern: '^https://.+',
    });
    const sellerArn = new CfnParameter(this, 'SellerUsageApiArn', {
      type: 'String',
      default: props.sellerUsageArn ?? 'arn:aws:execute-api:us-east-1:111111111111:placeholder/*/POST/v1/usage',
      description: 'execute-api ARN of the seller metering route (the reporter role may invoke only this)',
      allowedPattern: '^arn:aws[a-z-]*:execute-api:.+',
    });

    const apiLogging = new CfnParameter(this, 'ApiGatewayLogging', {
      type: 'String',
      default: 'off',
      allowedValues: ['off', 'on'],
      description:
        "on: the API stage writes access logs and ERROR execution logs to CloudWatch. Needs this region's API Gateway account setting 'CloudWatch log role ARN' to be set already (this stack never changes that account-wide setting)",
    });
    const loggingEnabled = new CfnCondition(this, 'ApiGatewayLoggingOn', { expression: Fn.conditionEquals(apiLogging.valueAsString, 'on') });

    this.storage = new Storage(this, 'Storage');
    this.metadata = new Metadata(this, 'Metadata', { key: this.storage.key });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      lake: this.storage.lake,
      results: this.storage.athenaResults,
      key: this.storage.key,
      bytesScannedCutoff: scanCutoff.valueAsNumber,
    });
    this.alarms = new sns.Topic(this, 'Alarms', { displayName: 'memq alarms', masterKey: this.storage.key, enforceSSL: true });
    // Services that write into KMS-encrypted queues/topics of this stack need the key: CloudWatch alarms
    // publish to the alarm topic, EventBridge delivers to the DLQ. Only on behalf of this account's
    // alarms / rules in this region (aws:SourceAccount + aws:SourceArn: no confused deputy).
    for (const [service, sourceArn] of [
      ['cloudwatch.amazonaws.com', `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`],
      ['events.amazonaws.com', `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*`],
    ] as const) {
      this.storage.key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // in a key policy "*" means this key
          conditions: { StringEquals: { 'aws:SourceAccount': this.account }, ArnLike: { 'aws:SourceArn': sourceArn } },
        }),
      );
    }
    const hasEmail = new CfnCondition(this, 'HasAlarmEmail', { expression: Fn.conditionNot(Fn.conditionEquals(alarmEmail.valueAsString, '')) });
    const sub = new sns.Subscription(this, 'AlarmEmailSubscription', {
      topic: this.alarms,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: alarmEmail.valueAsString,
    });
    (sub.node.defaultChild as sns.CfnSubscription).cfnOptions.condition = hasEmail;
    this.pipeline = new Pipeline(this, 'Pipeline', {
      dumps: this.storage.dumps,
      lake: this.storage.lake,
      key: this.storage.key,
      metadata: this.metadata,
      catalog: this.catalog,
      alarmTopic: this.alarms,
      maxShardConcurrency: maxShards.valueAsNumber,
      shardMemoryMb: shardMemory.valueAsNumber,
    });
    // the API needs the web origin (CORS, Cognito callback URLs) and the web needs the API: lazily
    let web: Web | undefined;
    const webOrigin = Lazy.string({ produce: () => web!.origin });
    this.api = new Api(this, 'Api', {
      webOrigin,
      loggingEnabled,
      dumps: this.storage.dumps,
      lake: this.storage.lake,
      results: this.storage.athenaResults,
      key: this.storage.key,
      metadata: this.metadata,
      catalog: this.catalog,
      stateMachineArn: this.pipeline.stateMachine.stateMachineArn,
      adminEmail: adminEmail.valueAsString,
      orgName: orgName.valueAsString,
    });
    this.web = web = new Web(this, 'Web', { api: this.api, accessLogs: this.storage.logs, dumps: this.storage.dumps });
    this.usageReporter = new UsageReporter(this, 'UsageReporter', {
      usage: this.metadata.usage,
      sellerUsageUrl: sellerUrl.valueAsString,
      sellerUsageArn: sellerArn.valueAsString,
      dlq: this.pipeline.dlq,
    });
    // AWS Marketplace subscription ended → read-only grace period, then ingest stops (marketplace/README.md)
    enforceEntitlement({ usage: this.metadata.usage, key: this.storage.key, readers: [this.api.handler, this.pipeline.functions.ingest] });

    // every function logs to its own group through an inline policy (no AWSLambdaBasicExecutionRole)
    hardenLambdaRoles(this);

    new CfnOutput(this, 'WebUrl', { value: this.web.origin, description: 'the memq web UI (sign in with the AdminEmail invitation)' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.api.client.userPoolClientId });
    new CfnOutput(this, 'DumpsBucket', { value: this.storage.dumps.bucketName });
    new CfnOutput(this, 'LakeBucket', { value: this.storage.lake.bucketName });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroupName });
  }
}

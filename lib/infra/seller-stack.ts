// The seller-account stack of the AWS Marketplace SaaS integration (see marketplace/README.md):
// registration URL (ResolveCustomer), agreement/license lifecycle events from Amazon EventBridge (rule
// on the default bus → SQS; legacy SNS notifications only when a topic is given), the signed usage
// endpoint customer deployments report to, and the hourly BatchMeterUsage job. Deployed in us-east-1,
// where AWS Marketplace delivers the events. No buyer data
// ever reaches this stack: only account ids, snapshot ids and byte counts.
import { CfnCondition, CfnOutput, CfnParameter, CfnRule, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ddb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { lambdaCode } from './bundle';
import { ApiWaf } from './waf';
import { sellerTableShape } from '../marketplace/seller-store';
import { EVENT_DETAIL_TYPES } from '../marketplace/seller';

export class MemqSellerStack extends Stack {
  readonly table: ddb.Table;
  readonly api: apigw.RestApi;
  readonly functions: Record<'register' | 'usage' | 'subscription' | 'meter', lambda.Function>;
  readonly queue: sqs.Queue;
  readonly usageMethodArn: string;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { description: 'memq AWS Marketplace seller integration (registration, subscriptions, metering)', ...props });
    const productCode = new CfnParameter(this, 'ProductCode', {
      type: 'String',
      description: 'AWS Marketplace product code of the memq SaaS listing',
      allowedPattern: '^[a-z0-9]{1,64}$',
    });
    const mode = new CfnParameter(this, 'IntegrationMode', {
      type: 'String',
      default: 'license',
      allowedValues: ['license', 'legacy'],
      description:
        'license: customers are (CustomerAWSAccountId, LicenseArn), BatchMeterUsage without ProductCode — required for every SaaS listing created now. legacy: CustomerIdentifier + ProductCode, only for an integration that already meters that way (never switch a live product without AWS Marketplace Seller Operations)',
    });
    const topicArn = new CfnParameter(this, 'SubscriptionTopicArn', {
      type: 'String',
      default: '',
      description: 'legacy integrations only: SNS topic of the listing (aws-mp-subscription-notification-<code>). Leave empty: lifecycle events come from EventBridge',
      allowedPattern: '^$|^arn:aws:sns:us-east-1:\\d{12}:aws-mp-subscription-notification-.+$',
    });
    new CfnRule(this, 'MarketplaceRegion', {
      assertions: [{ assert: Fn.conditionEquals(Stack.of(this).region, 'us-east-1'), assertDescription: 'AWS Marketplace sends agreement/license events to the default event bus in us-east-1: deploy the seller stack there' }],
    });
    const hasTopic = new CfnCondition(this, 'HasLegacyTopic', { expression: Fn.conditionNot(Fn.conditionEquals(topicArn.valueAsString, '')) });

    const key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'memq seller ledger', removalPolicy: RemovalPolicy.RETAIN });
    this.table = new ddb.Table(this, 'Ledger', {
      partitionKey: { name: sellerTableShape.partitionKey, type: ddb.AttributeType.STRING },
      billingMode: ddb.BillingMode.PAY_PER_REQUEST,
      encryption: ddb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: sellerTableShape.unmeteredIndex.name,
      partitionKey: { name: sellerTableShape.unmeteredIndex.partitionKey, type: ddb.AttributeType.STRING },
      sortKey: { name: sellerTableShape.unmeteredIndex.sortKey, type: ddb.AttributeType.STRING },
    });

    const dlq = new sqs.Queue(this, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    const code = lambdaCode(this, 'seller');
    const fn = (name: 'register' | 'usage' | 'subscription' | 'meter', timeout: Duration) =>
      new lambda.Function(this, `${name[0]!.toUpperCase()}${name.slice(1)}`, {
        runtime: lambda.Runtime.NODEJS_24_X,
        code,
        handler: `index.${name}`,
        memorySize: 256,
        timeout,
        logGroup: new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }),
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: lambda.Tracing.ACTIVE,
        environment: { SELLER_TABLE: this.table.tableName, PRODUCT_CODE: productCode.valueAsString, METERING_REGION: 'us-east-1', INTEGRATION_MODE: mode.valueAsString },
      });
    this.functions = {
      register: fn('register', Duration.seconds(15)),
      usage: fn('usage', Duration.seconds(15)),
      subscription: fn('subscription', Duration.seconds(30)),
      meter: fn('meter', Duration.minutes(5)),
    };
    const F = this.functions;
    this.table.grantReadWriteData(F.register);
    this.table.grantReadWriteData(F.usage);
    this.table.grantReadWriteData(F.subscription);
    this.table.grantReadWriteData(F.meter);
    // Marketplace metering actions have no resource-level permissions: "*" is the only valid resource.
    F.register.addToRolePolicy(new iam.PolicyStatement({ actions: ['aws-marketplace:ResolveCustomer'], resources: ['*'] }));
    F.meter.addToRolePolicy(new iam.PolicyStatement({ actions: ['aws-marketplace:BatchMeterUsage'], resources: ['*'] }));

    // lifecycle: EventBridge (and legacy SNS) → SQS (buffer, retries, DLQ) → Lambda
    this.queue = new sqs.Queue(this, 'Subscriptions', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
    });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('sns.amazonaws.com'));
    // EventBridge delivers failed schedule invocations to the (KMS-encrypted) DLQ
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const legacySub = sns.Topic.fromTopicArn(this, 'MarketplaceTopic', topicArn.valueAsString).addSubscription(new subs.SqsSubscription(this.queue));
    (legacySub.node.defaultChild as sns.CfnSubscription).cfnOptions.condition = hasTopic;
    new events.Rule(this, 'MarketplaceEvents', {
      description: 'memq seller: AWS Marketplace agreement and license events (subscribe, amend, renew, deprovision, end)',
      eventPattern: { source: ['aws.agreement-marketplace'], detailType: [...EVENT_DETAIL_TYPES] },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: dlq, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });
    F.subscription.addEventSource(new sources.SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));

    new events.Rule(this, 'Hourly', {
      description: 'memq seller: BatchMeterUsage for closed hours',
      schedule: events.Schedule.cron({ minute: '17' }),
      targets: [new targets.LambdaFunction(F.meter, { deadLetterQueue: dlq, retryAttempts: 2 })],
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'memq seller endpoints: Marketplace registration, usage reports',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'prod',
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        metricsEnabled: true,
        throttlingRateLimit: 20,
        throttlingBurstLimit: 40,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      // Usage reports are signed by customer deployments' roles in THEIR accounts: IAM auth + a
      // resource policy admitting any authenticated AWS principal to this one route; the handler then
      // admits only accounts resolved at registration with an active subscription.
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/prod/POST/v1/usage', 'execute-api:/prod/POST/register', 'execute-api:/prod/GET/register'],
          }),
        ],
      }),
    });
    new ApiWaf(this, 'Waf', { api: this.api, metricPrefix: 'memq-seller', rateLimit: 500 });
    const validator = this.api.addRequestValidator('Validate', { validateRequestParameters: true, validateRequestBody: true });
    const reg = this.api.root.addResource('register');
    const regInt = new apigw.LambdaIntegration(F.register);
    // The buyer's browser arrives here from AWS Marketplace (form POST): no AWS credentials exist on
    // that request; the one-time token is verified by ResolveCustomer.
    reg.addMethod('POST', regInt, { authorizationType: apigw.AuthorizationType.NONE, requestValidator: validator });
    reg.addMethod('GET', regInt, { authorizationType: apigw.AuthorizationType.NONE, requestValidator: validator });
    const usageMethod = this.api.root
      .addResource('v1')
      .addResource('usage')
      .addMethod('POST', new apigw.LambdaIntegration(F.usage), { authorizationType: apigw.AuthorizationType.IAM, requestValidator: validator });
    this.usageMethodArn = usageMethod.methodArn;

    for (const [name, f] of Object.entries(F)) {
      new cw.Alarm(this, `${name}Errors`, {
        metric: f.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        alarmDescription: `memq seller ${name} errors`,
      });
    }
    new CfnOutput(this, 'RegistrationUrl', { value: `${this.api.url}register` });
    new CfnOutput(this, 'UsageUrl', { value: `${this.api.url}v1/usage` });
    new CfnOutput(this, 'UsageApiArn', { value: usageMethod.methodArn });
  }
}

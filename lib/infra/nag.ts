// cdk-nag AwsSolutions acknowledgements (cdk-nag v3: Validations.of(scope).acknowledge), each scoped
// to the construct it concerns and carrying the reason the finding does not apply. Findings that
// name resources use the CloudFormation logical ids, computed here from the constructs themselves.
// Anything not acknowledged here fails synthesis (and the tests): zero unsuppressed findings.
import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { MemqStack } from './customer-stack';
import type { MemqSellerStack } from './seller-stack';

export interface Ack {
  id: string;
  reason: string;
}

/** Every acknowledgement made, for the test that checks each has a reason and the docs. */
export const acknowledgements: { path: string; id: string; reason: string }[] = [];

function ack(scope: IConstruct, ...acks: Ack[]): void {
  for (const a of acks) {
    if (!a.reason || a.reason.length < 20) throw new Error(`nag acknowledgement ${a.id} needs a real reason`);
    Validations.of(scope).acknowledge(a);
    acknowledgements.push({ path: scope.node.path, ...a });
  }
}

const arn = (c: IConstruct) => `<${Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement)}.Arn>`;
const ref = (c: IConstruct) => `<${Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement)}>`;

const R = {
  basicRole:
    'seller stack only (the seller\'s own account): AWSLambdaBasicExecutionRole allows logs:CreateLogGroup/CreateLogStream/PutLogEvents on every log group of that account (Resource *); the customer stack replaces it with a policy scoped to each function\'s own log group (lib/infra/lambda-roles.ts)',
  xray: 'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (tracing is enabled on purpose)',
  kmsGrant:
    'KMS grant from the CDK L2 (GenerateDataKey*/ReEncrypt* for SSE-KMS reads/writes), scoped to the one customer-managed key of this stack',
  s3Read: 'CDK read grant (GetObject*/GetBucket*/List*) scoped to one bucket and, where the role needs no more, to one prefix',
  s3Write: 'CDK write grant (DeleteObject*/Abort* for overwriting and cleaning shard outputs) scoped to one bucket',
  ddbIndex: 'queries go through the table\'s own GSIs; index/* names only this table\'s indexes',
  lambdaVersions: 'Step Functions invokes these functions by ARN and qualified ARN (version/alias): the :* covers qualifiers of this one function only',
  cwRole:
    'seller stack only: it sets the seller account\'s API Gateway CloudWatch role (AWS::ApiGateway::Account), which needs the AWS managed push-to-logs policy; the customer stack never touches that account-wide setting',
} as const;

/** Acknowledgements every Lambda of ours needs; `basicRole` only where the managed logging policy is still attached (seller). */
function lambdaAcks(f: lambda.Function, extra: Ack[] = [], basicRole = false): void {
  ack(
    f,
    ...(basicRole ? [{ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: R.basicRole }] : []),
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: R.xray },
    { id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason: R.kmsGrant },
    { id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: R.kmsGrant },
    ...extra,
  );
}

const s3ReadAcks = (bucketArn: string[]): Ack[] => [
  { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: R.s3Read },
  { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: R.s3Read },
  { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: R.s3Read },
  ...bucketArn.map((r) => ({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason: R.s3Read })),
];
const s3WriteAcks: Ack[] = [
  { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: R.s3Write },
  { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: R.s3Write },
];

export function suppressCustomer(s: MemqStack): void {
  const dumps = arn(s.storage.dumps);
  const lake = arn(s.storage.lake);
  const meta = arn(s.metadata.table);
  const usage = arn(s.metadata.usage);
  const glueTables = `arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${s.catalog.databaseName}/*`;
  const metaIdx = { id: `AwsSolutions-IAM5[Resource::${meta}/index/*]`, reason: R.ddbIndex };
  const F = s.pipeline.functions;
  lambdaAcks(F.ingest, ...[[...s3ReadAcks([`${dumps}/dumps/*`]), metaIdx]]);
  lambdaAcks(F.probe, [...s3ReadAcks([`${dumps}/dumps/*`]), metaIdx]);
  lambdaAcks(F.plan, [...s3ReadAcks([`${dumps}/dumps/*`, `${lake}/*`]), ...s3WriteAcks, metaIdx]);
  lambdaAcks(F.shard, [...s3ReadAcks([`${dumps}/dumps/*`, `${lake}/*`]), ...s3WriteAcks, metaIdx]);
  lambdaAcks(F.finalize, [
    ...s3ReadAcks([`${lake}/*`]),
    ...s3WriteAcks,
    metaIdx,
    { id: `AwsSolutions-IAM5[Resource::${usage}/index/*]`, reason: R.ddbIndex },
    { id: `AwsSolutions-IAM5[Resource::${glueTables}]`, reason: 'partitions are registered on the tables of this stack\'s Glue database only (table/<db>/*)' },
  ]);
  lambdaAcks(F.fail, [metaIdx]);
  lambdaAcks(s.api.handler, [
    ...s3ReadAcks([`${dumps}/dumps/*`, `${lake}/*`, `${arn(s.storage.athenaResults)}/*`]),
    ...s3WriteAcks,
    metaIdx,
    { id: `AwsSolutions-IAM5[Resource::${glueTables}]`, reason: 'Athena reads table and partition metadata of this stack\'s Glue database only' },
  ]);
  lambdaAcks(s.usageReporter.handler, [{ id: `AwsSolutions-IAM5[Resource::${usage}/index/*]`, reason: R.ddbIndex }]);
  ack(
    s.web.deployer,
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: R.xray },
    { id: `AwsSolutions-IAM5[Resource::${arn(s.web.bucket)}/*]`, reason: 'the web-deploy custom resource writes and deletes the UI files: objects of the web bucket only (PutObject/DeleteObject, no other bucket)' },
  );
  ack(s.api.api, {
    id: 'AwsSolutions-APIG2',
    reason:
      'no API Gateway request validator: every route validates its path parameters, query and JSON body in the Lambda with the route\'s zod schema (lib/api/routes.ts, the same code as memq serve) and answers 400 with the issues; unknown paths and methods are refused by API Gateway (one method per route)',
  });
  const cdn = s.web.distribution;
  ack(
    cdn,
    {
      id: 'AwsSolutions-CFR4',
      reason:
        'the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the viewer security policy at TLSv1 (MinimumProtocolVersion applies only to a custom certificate); HTTP is redirected to HTTPS and the origins are reached over TLS 1.2. A custom domain with an ACM certificate and TLSv1.2_2021 is the documented follow-up',
    },
    { id: 'AwsSolutions-CFR1', reason: 'who may reach memq is decided by Cognito sign-in (invite-only, MFA), not by country; the customer can add geo restrictions to the distribution' },
    {
      id: 'AwsSolutions-CFR2',
      reason:
        'a CloudFront-scope web ACL can only be created in us-east-1 and this stack deploys in the customer\'s region; /api/* is forwarded to the API stage, which carries the regional WAF web ACL (managed rules + rate limit), and the static origin serves only the public UI build',
    },
  );

  const sm = s.pipeline.stateMachine;
  ack(
    sm,
    { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Step Functions log delivery (logs:*LogDelivery) and X-Ray actions have no resource-level permissions' },
    ...s3ReadAcks([`arn:<AWS::Partition>:s3:::${ref(s.storage.lake)}/*`, `${lake}/_pipeline/*`]),
    ...Object.values(F)
      .filter((f) => f !== F.ingest)
      .map((f) => ({ id: `AwsSolutions-IAM5[Resource::${arn(f)}:*]`, reason: R.lambdaVersions })),
  );
  const smName = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(sm).getLogicalId(sm.node.defaultChild as CfnElement)}"}]}]}`;
  ack(
    sm,
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${smName}:*]`,
      reason: 'the Distributed Map describes/stops its own child executions: execution ARNs of this state machine only',
    },
    {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${smName}/*:*]`,
      reason: 'the Distributed Map describes/stops its own child executions: execution ARNs of this state machine only',
    },
  );
}

export function suppressSeller(s: MemqSellerStack): void {
  const ledgerIdx = { id: `AwsSolutions-IAM5[Resource::${arn(s.table)}/index/*]`, reason: R.ddbIndex };
  for (const f of Object.values(s.functions)) lambdaAcks(f, [ledgerIdx], true);
  ack(s.api, { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', reason: R.cwRole });
  const register = s.api.root.getResource('register')!;
  for (const m of ['POST', 'GET']) {
    const method = register.node.findChild(m);
    ack(
      method,
      {
        id: 'AwsSolutions-APIG4',
        reason: 'the Marketplace registration URL is opened by the buyer\'s browser (form POST from AWS Marketplace) without credentials; the one-time token is verified with ResolveCustomer',
      },
      { id: 'AwsSolutions-COG4', reason: 'registration has no user pool by design (see APIG4); the Marketplace token is the credential' },
    );
  }
  const usageMethod = s.api.root.getResource('v1')!.getResource('usage')!.node.findChild('POST');
  ack(usageMethod, {
    id: 'AwsSolutions-COG4',
    reason: 'callers are customer deployments (Lambda roles in buyer accounts), authenticated with AWS_IAM SigV4 instead of a user pool',
  });
}

// CDK assertions for the customer and seller stacks: every security property and every wiring the
// issue asks for, checked on the synthesized CloudFormation. The app is synthesized once (with real
// offline esbuild bundling); synthesis includes cdk-nag AwsSolutions as a validation plugin, so a
// successful synth means zero unacknowledged findings. The state machine definition is validated as
// ASL with asl-validator.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { buildApp, type BuiltApp } from '../../lib/infra/app';
import { acknowledgements } from '../../lib/infra/nag';
import { routes as apiRoutes } from '../../lib/api/routes';
import { tables, tableNames, partitionKeys, glueType, type ColumnDef } from '../../lib/model';

// own bundle directory: test files run in parallel workers and must not rebuild each other's bundles
process.env.MEMQ_BUNDLE_DIR = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'memq-bundles-'));
afterAll(() => require('node:fs').rmSync(process.env.MEMQ_BUNDLE_DIR!, { recursive: true, force: true }));

let built: BuiltApp;
let cust: Template;
let seller: Template;

beforeAll(() => {
  built = buildApp();
  built.app.synth(); // throws if cdk-nag reports an unacknowledged finding
  cust = Template.fromStack(built.customer);
  seller = Template.fromStack(built.seller);
}, 180000);

type Res = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
const resources = (t: Template, type: string): [string, Res][] => Object.entries(t.findResources(type)) as [string, Res][];
/** CloudFormation logical id of a construct's default resource. */
const lid = (c: IConstruct): string => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const statementsOf = (t: Template, rolePath: string) => {
  const out: { Action: string | string[]; Resource: unknown; Effect: string }[] = [];
  for (const [, p] of resources(t, 'AWS::IAM::Policy')) {
    if (!JSON.stringify(p.Properties.Roles).includes(rolePath)) continue;
    out.push(...p.Properties.PolicyDocument.Statement);
  }
  return out;
};
const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('cdk-nag', () => {
  test('the plugin does fail synthesis on a finding (so a passing synth means something)', () => {
    const { App, Stack, Validations } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const s3 = require('aws-cdk-lib/aws-s3') as typeof import('aws-cdk-lib/aws-s3');
    const { AwsSolutionsChecks } = require('cdk-nag') as typeof import('cdk-nag');
    const app = new App({ outdir: require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'nag-')) });
    new s3.Bucket(new Stack(app, 'Bad'), 'Open', { enforceSSL: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow();
  });

  test('synthesis passes AwsSolutions with every acknowledgement carrying a reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const a of acknowledgements) {
      expect(a.id).toMatch(/^AwsSolutions-/);
      expect(a.reason.length).toBeGreaterThanOrEqual(20);
    }
  });
});

describe('Lambda bundles (local esbuild, no Docker)', () => {
  test('each bundle loads from an isolated directory (no repository node_modules) and exports its handlers', () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const path = require('node:path') as typeof import('node:path');
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const { bundleLambda } = require('../../lib/infra/bundle') as typeof import('../../lib/infra/bundle');
    const expected: Record<string, string[]> = {
      pipeline: ['fail', 'finalize', 'ingest', 'plan', 'probe', 'shard'],
      api: ['handler'],
      usage: ['handler'],
      seller: ['meter', 'register', 'subscription', 'usage'],
    };
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bundle-'));
    try {
      for (const [name, handlers] of Object.entries(expected)) {
        const dir = path.join(tmp, name);
        fs.cpSync(bundleLambda(name as never).dir, dir, { recursive: true });
        const out = execFileSync(process.execPath, ['-e', "console.log(JSON.stringify(Object.keys(require('./index.js'))))"], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
        expect([name, JSON.parse(out.trim().split('\n').pop()!)]).toEqual([name, expect.arrayContaining(handlers)]);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 120000);
});

describe('customer stack: storage', () => {
  test('every bucket blocks public access, denies non-TLS and is encrypted; data buckets with the CMK and access logs', () => {
    const buckets = resources(cust, 'AWS::S3::Bucket');
    expect(buckets).toHaveLength(4);
    for (const [, b] of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/aws:kms|AES256/);
    }
    const keyId = lid(built.customer.storage.key);
    const logs = lid(built.customer.storage.logs);
    for (const name of ['Dumps', 'Lake', 'AthenaResults']) {
      const id = lid(bucketOf(name));
      const b = cust.toJSON().Resources[id];
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      expect(b.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logs });
      expect(b.Properties.LifecycleConfiguration.Rules.length).toBeGreaterThan(0);
      expect(b.DeletionPolicy).toBe('Retain');
    }
    for (const name of ['Dumps', 'Lake']) {
      const b = cust.toJSON().Resources[lid(bucketOf(name))];
      expect(b.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    }
    for (const [, p] of resources(cust, 'AWS::S3::BucketPolicy')) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
    cust.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    // CloudWatch (alarm topic) and EventBridge (DLQ) may use the key, only for this account
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      cust.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: service }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
          ]),
        },
      });
    }
  });

  test('DynamoDB tables: customer-managed KMS and point-in-time recovery', () => {
    const t = resources(cust, 'AWS::DynamoDB::Table');
    expect(t).toHaveLength(2);
    for (const [, r] of t) {
      expect(r.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
      expect(r.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });
});

describe('customer stack: catalog', () => {
  test('one Glue table per catalog table, columns and partition keys derived from lib/model', () => {
    const gt = resources(cust, 'AWS::Glue::Table').map(([, r]) => r.Properties.TableInput);
    expect(gt.map((t) => t.Name).sort()).toEqual([...tableNames].sort());
    for (const t of gt) {
      const cols = Object.entries(tables[t.Name as keyof typeof tables].columns as Record<string, ColumnDef>);
      expect(t.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(cols.map(([n, c]) => [n, glueType(c.kind)]));
      expect(t.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual([...partitionKeys]);
      expect(t.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      // registered partitions (no projection): cross-snapshot hunts need no equality on snapshot
      expect(JSON.stringify(t.Parameters ?? {})).not.toContain('projection');
    }
  });

  test('Athena workgroup enforces KMS-encrypted results and a bytes-scanned cutoff', () => {
    cust.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: { Ref: 'AthenaScanCutoffBytes' },
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' } },
      },
    });
  });
});

describe('customer stack: pipeline', () => {
  test('a dump landing under dumps/ in the dumps bucket triggers ingest through EventBridge, with a DLQ', () => {
    const dumps = lid(built.customer.storage.dumps);
    expect(cust.toJSON().Resources[dumps].Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    const ingest = lid(built.customer.pipeline.functions.ingest);
    const dlq = lid(built.customer.pipeline.dlq);
    cust.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [{ Ref: dumps }] }, object: { key: [{ prefix: 'dumps/' }] } } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [ingest, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } }, RetryPolicy: Match.anyValue() })],
    });
    cust.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } } });
    cust.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    // failed executions also reach the DLQ
    cust.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.states'], detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } })],
    });
  });

  test('the state machine is valid ASL: probe → plan → Distributed Map (bounded) → finalize, retries and a failure state', () => {
    const asl = definition();
    const aslValidator = require('asl-validator') as (d: unknown, o?: object) => { isValid: boolean; errorsText: (s?: string) => string };
    const v = aslValidator(asl, { checkArn: true, checkPaths: true });
    if (!v.isValid) throw new Error(v.errorsText('\n'));
    expect(asl.StartAt).toBe('Probe');
    const s = asl.States;
    expect(s.Probe.Next).toBe('Plan');
    expect(s.Plan.Next).toBe('Shards');
    expect(s.Shards).toMatchObject({ Type: 'Map', MaxConcurrency: 100, Next: 'Finalize', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED' } } });
    expect(s.Shards.ItemReader).toMatchObject({ Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' }, Parameters: { 'Key.$': '$.itemsKey' } });
    expect(s.Finalize.Next).toBe('Ready');
    for (const name of ['Probe', 'Plan', 'Shards', 'Finalize']) expect(s[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' });
    for (const name of ['Probe', 'Plan', 'Finalize']) {
      expect(s[name].Retry[0]).toEqual({ ErrorEquals: ['MemqError'], MaxAttempts: 0 });
      expect(s[name].Retry[1]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, BackoffRate: 2 });
    }
    expect(s.Shards.ItemProcessor.States.Shard.Retry[1]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3 });
    expect(s.RecordFailure.Next).toBe('Failed');
    expect(s.Failed.Type).toBe('Fail');
    // the concurrency bound is a stack parameter with limits
    expect(cust.toJSON().Parameters.MaxShardConcurrency).toMatchObject({ Type: 'Number', Default: 100, MinValue: 1, MaxValue: 1000 });
    cust.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true }, LoggingConfiguration: Match.objectLike({ Level: 'ALL' }) });
  });

  test('least privilege: dump readers cannot write dumps, only finalize registers partitions, no wildcard actions', () => {
    const sts = (p: string) => statementsOf(cust, p);
    for (const fn of ['probe', 'plan', 'shard', 'ingest'] as const) {
      const role = lid(built.customer.pipeline.functions[fn].role!);
      const w = sts(role).filter((s) => actions(s).some((a) => /^s3:(Put|Delete)/.test(a)) && JSON.stringify(s.Resource).includes('StorageDumps'));
      expect([fn, w]).toEqual([fn, []]);
    }
    const glueUsers = resources(cust, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('glue:BatchCreatePartition'));
    expect(glueUsers).toHaveLength(1);
    expect(JSON.stringify(glueUsers[0]![1].Properties.Roles)).toContain('FinalizeFunction');
    for (const [, p] of resources(cust, 'AWS::IAM::Policy')) {
      for (const s of p.Properties.PolicyDocument.Statement) {
        for (const a of actions(s)) expect(a).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
        if (s.Resource === '*') for (const a of actions(s)) expect(a).toMatch(/^(xray|logs):/);
      }
    }
    // the API role may only PUT (presign) under dumps/
    const apiRole = lid(built.customer.api.handler.role!);
    const dumpsId = lid(built.customer.storage.dumps);
    const put = sts(apiRole).filter((s) => actions(s).some((a) => a.startsWith('s3:PutObject')) && JSON.stringify(s.Resource).includes(dumpsId));
    expect(put.length).toBeGreaterThan(0);
    for (const s of put) expect(JSON.stringify(s.Resource)).toContain('/dumps/*');
  });

  test('alarms on failed/timed-out executions, the DLQ and every Lambda\'s errors, all notifying the alarm topic', () => {
    const alarms = resources(cust, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const topic = lid(built.customer.alarms);
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    const metrics = alarms.map((a) => `${a.Namespace}:${a.MetricName}`);
    expect(metrics).toEqual(expect.arrayContaining(['AWS/States:ExecutionsFailed', 'AWS/States:ExecutionsTimedOut', 'AWS/SQS:ApproximateNumberOfMessagesVisible']));
    expect(metrics.filter((m) => m === 'AWS/Lambda:Errors')).toHaveLength(6);
    cust.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('Lambdas: current Node runtime, JSON logs to their own log group, X-Ray', () => {
    for (const [, f] of resources(cust, 'AWS::Lambda::Function')) {
      expect(f.Properties.Runtime).toBe('nodejs24.x');
      expect(f.Properties.LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: expect.anything() });
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    }
  });

  test('deploys without CDK bootstrap helpers: no custom resources', () => {
    const types = new Set(Object.values(cust.toJSON().Resources as Record<string, Res>).map((r) => r.Type));
    expect([...types].filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')).toEqual([]);
  });
});

describe('customer stack: API', () => {
  test('every method requires the Cognito user-pool authorizer', () => {
    const methods = resources(cust, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    // one method per lib/api route (+ GET /openapi.json), nothing else
    expect(methods.length).toBe(apiRoutes.length + 1);
    expect(methods.map(([, m]) => m.Properties.HttpMethod).sort()).toEqual([...apiRoutes.map((r) => r.method), 'GET'].sort());
    // invoke permissions: the API (one for all methods), the ingest rule, the usage schedule
    cust.resourceCountIs('AWS::Lambda::Permission', 3);
    const authorizer = lid(built.customer.api.authorizer);
    for (const [, m] of methods) expect(m.Properties).toMatchObject({ AuthorizationType: 'COGNITO_USER_POOLS', AuthorizerId: { Ref: authorizer } });
    const pool = lid(built.customer.api.userPool);
    cust.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', ProviderARNs: [{ 'Fn::GetAtt': [pool, 'Arn'] }] });
    cust.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    // the first administrator is invited by the stack and owns the first org (created by the API)
    cust.hasResourceProperties('AWS::Cognito::UserPoolUser', { Username: { Ref: 'AdminEmail' }, DesiredDeliveryMediums: ['EMAIL'] });
    cust.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ADMIN_EMAIL: { Ref: 'AdminEmail' }, ORG_NAME: { Ref: 'OrganizationName' } }) } });
  });

  test('the method table is the lib/api route table, path by path (hunt jobs and multipart uploads included)', () => {
    // full path of each API Gateway resource, walking ParentId up to the API's root
    const res = new Map(resources(cust, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties]));
    const pathOf = (id: string): string => {
      const r = res.get(id);
      if (!r) return ''; // the root resource (Fn::GetAtt RootResourceId)
      return `${r.ParentId.Ref ? pathOf(r.ParentId.Ref) : ''}/${r.PathPart}`;
    };
    const methods = resources(cust, 'AWS::ApiGateway::Method').map(([, m]) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId.Ref)}`);
    expect(methods.sort()).toEqual([...apiRoutes.map((r) => `${r.method} /api/v1${r.path}`), 'GET /api/v1/openapi.json'].sort());
    for (const m of ['POST /api/v1/hunts', 'GET /api/v1/hunts/{id}', 'POST /api/v1/snapshots/{id}/multipart', 'GET /api/v1/snapshots/{id}/multipart/parts', 'POST /api/v1/snapshots/{id}/multipart/complete', 'DELETE /api/v1/snapshots/{id}/multipart'])
      expect(methods).toContain(m);
  });

  test('stage: access logs, throttling, X-Ray, WAF', () => {
    cust.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DataTraceEnabled: false })],
    });
    cust.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });
});

describe('seller stack', () => {
  test('usage endpoint is IAM-authenticated, registration is public, nothing else exposed', () => {
    const methods = resources(seller, 'AWS::ApiGateway::Method').map(([, m]) => [m.Properties.HttpMethod, m.Properties.AuthorizationType]);
    expect(methods.sort()).toEqual([['GET', 'NONE'], ['POST', 'AWS_IAM'], ['POST', 'NONE']].sort());
  });

  test('metering permissions are on the two functions that need them only', () => {
    const withAction = (a: string) =>
      resources(seller, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes(a))
        .map(([, p]) => JSON.stringify(p.Properties.Roles));
    expect(withAction('aws-marketplace:BatchMeterUsage')).toEqual([expect.stringContaining('MeterServiceRole')]);
    expect(withAction('aws-marketplace:ResolveCustomer')).toEqual([expect.stringContaining('RegisterServiceRole')]);
  });

  test('subscription notifications: SNS topic parameter → encrypted SQS → Lambda with partial batch failures; ledger encrypted with PITR', () => {
    seller.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: { Ref: 'SubscriptionTopicArn' } });
    seller.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    for (const [, q] of resources(seller, 'AWS::SQS::Queue')) expect(q.Properties.KmsMasterKeyId).toBeDefined();
    seller.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, SSESpecification: { SSEEnabled: true, SSEType: 'KMS' } });
  });
});

function bucketOf(name: string) {
  const st = built.customer.storage;
  return name === 'Dumps' ? st.dumps : name === 'Lake' ? st.lake : st.athenaResults;
}

/** The state machine definition with CloudFormation intrinsics replaced by plausible literal values. */
function definition(): any {
  const sm = resources(cust, 'AWS::StepFunctions::StateMachine')[0]![1];
  const parts = (sm.Properties.DefinitionString['Fn::Join'] as [string, unknown[]])[1];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const o = p as Record<string, any>;
      if (o['Fn::GetAtt']) return `arn:aws:lambda:us-east-1:123456789012:function:${o['Fn::GetAtt'][0]}`;
      if (o.Ref === 'AWS::Partition') return 'aws';
      if (o.Ref === 'MaxShardConcurrency') return '100';
      if (o.Ref) return `ref-${String(o.Ref).toLowerCase()}`;
      throw new Error(`unexpected intrinsic ${JSON.stringify(o)}`);
    })
    .join('');
  return JSON.parse(text);
}

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
      webDeploy: ['handler', 'embeddedFiles'],
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
    expect(buckets).toHaveLength(6); // access logs, dumps, lake, Athena results, web UI, CloudFront logs
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
    // CloudWatch (alarm topic) and EventBridge (DLQ) may use the key, only for this account's alarms/rules
    for (const [service, arnPart] of [['cloudwatch.amazonaws.com', ':alarm:*'], ['events.amazonaws.com', ':rule/*']]) {
      cust.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: service },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
            }),
          ]),
        },
      });
      expect(JSON.stringify(cust.toJSON())).toContain(arnPart);
    }
    // every service-principal statement of every key policy (incl. CDK's own grants) is scoped
    for (const [, k] of resources(cust, 'AWS::KMS::Key')) {
      for (const st of k.Properties.KeyPolicy.Statement) {
        if (!st.Principal.Service) continue;
        expect([st.Principal.Service, st.Condition?.StringEquals?.['aws:SourceAccount']]).toEqual([st.Principal.Service, { Ref: 'AWS::AccountId' }]);
        expect([st.Principal.Service, JSON.stringify(st.Condition.ArnLike?.['aws:SourceArn'] ?? null)]).toEqual([st.Principal.Service, expect.stringContaining('AWS::AccountId')]);
      }
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
    // retriers in order: a bad dump is final; transient S3 trouble and Lambda throttling (a new
    // account's low quota) back off with jitter, more than 3 times; anything else 3 times
    const shard = s.Shards.ItemProcessor.States.Shard;
    for (const st of [s.Probe, s.Plan, s.Finalize, shard]) {
      expect(st.Retry[0]).toEqual({ ErrorEquals: ['MemqError'], MaxAttempts: 0 });
      expect(st.Retry[1]).toMatchObject({ ErrorEquals: ['TransientError'], MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(st.Retry[2]).toMatchObject({ ErrorEquals: expect.arrayContaining(['Lambda.TooManyRequestsException']), MaxAttempts: 10, MaxDelaySeconds: 120 });
      expect(st.Retry[3]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, BackoffRate: 2 });
      // payloads are JSON objects (ASL), never the "$" string CDK renders for a pass-through
      expect(typeof st.Parameters).toBe('object');
    }
    expect(shard.Parameters).toEqual({ 'job.$': '$.job', 'shard.$': '$.shard' });
    expect(s.Plan.Parameters).toEqual({ 'job.$': '$.job', 'probe.$': '$.probe' });
    // children's outputs go to S3 (ResultWriter), not into the 256 KiB execution payload
    expect(s.Shards.ResultPath).toBeNull();
    expect(s.Shards.ResultWriter).toMatchObject({ Resource: 'arn:aws:states:::s3:putObject', Parameters: { Prefix: '_pipeline/_map-results' } });
    expect(s.RecordFailure.Next).toBe('Failed');
    expect(s.Failed.Type).toBe('Fail');
    // the concurrency bound is a stack parameter with limits
    // defaults a new account's reduced Lambda quotas accept (10 concurrent executions, 3,008 MB)
    expect(cust.toJSON().Parameters.MaxShardConcurrency).toMatchObject({ Type: 'Number', Default: 8, MinValue: 1, MaxValue: 1000 });
    expect(cust.toJSON().Parameters.ShardMemoryMb).toMatchObject({ Type: 'Number', Default: 3008, MinValue: 1024, MaxValue: 10240 });
    cust.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.shard', MemorySize: { Ref: 'ShardMemoryMb' } });
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

  test('deploys without CDK bootstrap helpers: the only custom resource is the web deploy, served by our own Lambda', () => {
    const custom = Object.entries(cust.toJSON().Resources as Record<string, Res>).filter(([, r]) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource');
    expect(custom.map(([, r]) => r.Type)).toEqual(['Custom::MemqWebDeploy']);
    expect(custom[0]![1].Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [lid(built.customer.web.deployer), 'Arn'] });
    // no Python/CLI helpers (BucketDeployment, log retention, S3 notifications providers)
    expect(JSON.stringify(cust.toJSON())).not.toMatch(/python|AwsCliLayer|LogRetention|BucketNotificationsHandler/i);
  });
});

describe('customer stack: API', () => {
  test('Lambda roles: no AWS managed policies; each function may write only to its own log group', () => {
    for (const [, r] of resources(cust, 'AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
    const fns = resources(cust, 'AWS::Lambda::Function');
    for (const [, f] of fns) {
      const role = f.Properties.Role['Fn::GetAtt'][0];
      const group = f.Properties.LoggingConfig.LogGroup.Ref;
      const logs = statementsOf(cust, role).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
      expect([role, logs]).toEqual([role, [expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [group, 'Arn'] } })]]);
    }
  });

  test('every method requires the Cognito user-pool authorizer', () => {
    const methods = resources(cust, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS');
    // one method per lib/api route (+ GET /openapi.json), nothing else
    expect(methods.length).toBe(apiRoutes.length + 1);
    expect(methods.map(([, m]) => m.Properties.HttpMethod).sort()).toEqual([...apiRoutes.map((r) => r.method), 'GET'].sort());
    // invoke permissions: the API (one for all methods), the ingest rule, the usage schedule
    cust.resourceCountIs('AWS::Lambda::Permission', 3);
    // the API Lambda trusts authorizer claims because only this REST API may invoke it
    const handler = lid(built.customer.api.handler);
    const perms = resources(cust, 'AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(handler));
    expect(perms).toHaveLength(1);
    expect(perms[0]![1].Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    expect(perms[0]![1].Properties.SourceArn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: lid(built.customer.api.api) }, '/*/*/*']],
    });
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
    const methods = resources(cust, 'AWS::ApiGateway::Method')
      .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS') // CORS preflight, tested below
      .map(([, m]) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId.Ref)}`);
    expect(methods.sort()).toEqual([...apiRoutes.map((r) => `${r.method} /api/v1${r.path}`), 'GET /api/v1/openapi.json'].sort());
    for (const m of ['POST /api/v1/hunts', 'GET /api/v1/hunts/{id}', 'POST /api/v1/snapshots/{id}/multipart', 'GET /api/v1/snapshots/{id}/multipart/parts', 'POST /api/v1/snapshots/{id}/multipart/complete', 'DELETE /api/v1/snapshots/{id}/multipart'])
      expect(methods).toContain(m);
  });

  test('stage: throttling, X-Ray, WAF; access/execution logs only when the ApiGatewayLogging parameter says so', () => {
    cust.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { 'Fn::If': ['ApiGatewayLoggingOn', { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') }, { Ref: 'AWS::NoValue' }] },
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DataTraceEnabled: false, LoggingLevel: { 'Fn::If': ['ApiGatewayLoggingOn', 'ERROR', 'OFF'] } })],
    });
    expect(cust.toJSON().Parameters.ApiGatewayLogging).toMatchObject({ Default: 'off', AllowedValues: ['off', 'on'] });
    cust.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    // the account-wide API Gateway CloudWatch role is never taken over
    cust.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  test('CORS: OPTIONS on every resource without authorizer, and every answer names exactly the CloudFront origin', () => {
    const webOrigin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [lid(built.customer.web.distribution), 'DomainName'] }]] };
    const quoted = { 'Fn::Join': ['', ["'https://", { 'Fn::GetAtt': [lid(built.customer.web.distribution), 'DomainName'] }, "'"]] };
    const resourcesCount = resources(cust, 'AWS::ApiGateway::Resource').length + 1; // + root
    const options = resources(cust, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS');
    expect(options).toHaveLength(resourcesCount);
    for (const [, m] of options) {
      expect(m.Properties.AuthorizationType).toBe('NONE');
      expect(m.Properties.Integration.Type).toBe('MOCK');
      expect(m.Properties.Integration.IntegrationResponses[0].ResponseParameters).toMatchObject({
        'method.response.header.Access-Control-Allow-Origin': quoted,
        'method.response.header.Access-Control-Allow-Headers': "'Authorization,Content-Type'",
        'method.response.header.Vary': "'Origin'",
      });
    }
    for (const t of ['DEFAULT_4XX', 'DEFAULT_5XX'])
      cust.hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: t, ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Access-Control-Allow-Origin': quoted }) });
    const env = cust.toJSON().Resources[lid(built.customer.api.handler)].Properties.Environment.Variables;
    expect(env.CORS_ORIGIN).toEqual(webOrigin);
    expect(env.USER_POOL_CLIENT_ID).toBeUndefined(); // no JWT verification (nor JWKS fetch) in the Lambda
  });

  test('Cognito: managed login with code + PKCE for the CloudFront URL; users cannot change their e-mail; changes need verification', () => {
    const webSlash = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [lid(built.customer.web.distribution), 'DomainName'] }, '/']] };
    const client = resources(cust, 'AWS::Cognito::UserPoolClient')[0]![1].Properties;
    expect(client).toMatchObject({ AllowedOAuthFlows: ['code'], AllowedOAuthFlowsUserPoolClient: true, GenerateSecret: false, CallbackURLs: [webSlash], LogoutURLs: [webSlash], SupportedIdentityProviders: ['COGNITO'] });
    expect(client.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email']));
    expect(client.ReadAttributes).toContain('email');
    expect(client.WriteAttributes).not.toContain('email');
    expect(client.WriteAttributes).not.toContain('email_verified');
    cust.hasResourceProperties('AWS::Cognito::UserPool', { AutoVerifiedAttributes: ['email'], UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] } });
    cust.hasResourceProperties('AWS::Cognito::UserPoolDomain', { UserPoolId: { Ref: lid(built.customer.api.userPool) } });
  });
});

describe('customer stack: web UI', () => {
  test('private bucket: block public access, TLS only, encrypted, readable only by this distribution (OAC)', () => {
    const web = cust.toJSON().Resources[lid(built.customer.web.bucket)];
    expect(web.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(web.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(web.Properties.WebsiteConfiguration).toBeUndefined();
    const policy = resources(cust, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: lid(built.customer.web.bucket) }))![1];
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      }),
    ]);
    expect(JSON.stringify(allows[0].Condition)).toContain(lid(built.customer.web.distribution));
    cust.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }) });
  });

  test('distribution: HTTPS only, security headers policy, /api/* to the API stage uncached with every method and the Authorization header', () => {
    const d = cust.toJSON().Resources[lid(built.customer.web.distribution)].Properties.DistributionConfig;
    expect(d.DefaultCacheBehavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', ResponseHeadersPolicyId: { Ref: lid(built.customer.web.headers) } });
    expect(d.DefaultRootObject).toBe('index.html');
    expect(d.Logging.Bucket).toEqual({ 'Fn::GetAtt': [lid(built.customer.web.logBucket), 'RegionalDomainName'] });
    const api = d.CacheBehaviors.find((b: any) => b.PathPattern === 'api/*');
    expect(api).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']),
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader (forwards Authorization when caching is disabled)
    });
    const origin = d.Origins.find((o: any) => o.Id === api.TargetOriginId);
    expect(origin).toMatchObject({ OriginPath: '/prod', CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] } });
    expect(JSON.stringify(origin.DomainName)).toContain(lid(built.customer.api.api));
    // the same security headers `memq serve` sends, plus HSTS; connect-src adds only Cognito login and the dumps bucket
    const { securityHeaders } = require('../../lib/api/security-headers') as typeof import('../../lib/api/security-headers');
    const h = cust.toJSON().Resources[lid(built.customer.web.headers)].Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(h).toMatchObject({
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: securityHeaders['x-frame-options'], Override: true },
      ReferrerPolicy: { ReferrerPolicy: securityHeaders['referrer-policy'], Override: true },
      StrictTransportSecurity: { AccessControlMaxAgeSec: 31536000, IncludeSubdomains: true, Override: true },
    });
    const cspParts = h.ContentSecurityPolicy.ContentSecurityPolicy['Fn::Join'][1];
    const local = securityHeaders['content-security-policy'];
    const cut = local.indexOf("connect-src 'self'") + "connect-src 'self'".length;
    expect(cspParts[0]).toBe(local.slice(0, cut) + ' ');
    expect(cspParts[2]).toBe(local.slice(cut));
    expect(JSON.stringify(cspParts[1])).toContain('amazoncognito.com');
    expect(JSON.stringify(cspParts[1])).toContain(lid(built.customer.storage.dumps));
  });

  test('web deploy writes config.json with the deployed API path, user pool, client, region and Cognito domain', () => {
    const dep = resources(cust, 'Custom::MemqWebDeploy')[0]![1].Properties;
    expect(dep.Bucket).toEqual({ Ref: lid(built.customer.web.bucket) });
    expect(dep.Config).toEqual({
      apiBaseUrl: '/api/v1',
      region: { Ref: 'AWS::Region' },
      userPoolId: { Ref: lid(built.customer.api.userPool) },
      userPoolClientId: { Ref: lid(built.customer.api.client) },
      cognitoDomain: { 'Fn::Join': ['', ['https://', { Ref: lid(built.customer.web.domain) }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com']] },
    });
    expect(dep.WebHash).toMatch(/^[0-9a-f]{32}$/);
    // the deployer may write only the web bucket
    const role = lid(built.customer.web.deployer.role!);
    const s3 = statementsOf(cust, role).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    for (const s of s3) expect(JSON.stringify(s.Resource)).toContain(lid(built.customer.web.bucket));
    expect(cust.toJSON().Outputs.WebUrl.Value).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [lid(built.customer.web.distribution), 'DomainName'] }]] });
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

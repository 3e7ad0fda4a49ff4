// The ingest → analyze pipeline: S3 (EventBridge "Object Created" on dumps/) → ingest Lambda (one
// snapshot per object identity, execution name = snapshot id) → Step Functions: probe → plan →
// Distributed Map over the shard plan in S3 (bounded concurrency) → finalize; any failure → fail
// Lambda (reason on the snapshot) → Fail. Undeliverable ingest events and failed executions land in
// a KMS-encrypted DLQ; alarms watch executions, Lambda errors and the DLQ.
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdaCode } from './bundle';
import type { LakeCatalog } from './catalog';
import type { Metadata } from './metadata';
import { DUMP_PREFIX, MAP_RESULTS_PREFIX } from '../pipeline/keys';

export interface PipelineProps {
  dumps: s3.IBucket;
  lake: s3.IBucket;
  key: kms.IKey;
  metadata: Metadata;
  catalog: LakeCatalog;
  alarmTopic: sns.ITopic;
  /** Distributed Map child concurrency (shard Lambdas running at once) */
  maxShardConcurrency: number;
  /** memory of the shard Lambda in MB (CPU scales with it) */
  shardMemoryMb?: number;
}

export class Pipeline extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'ingest' | 'probe' | 'plan' | 'shard' | 'finalize' | 'fail', lambda.Function>;
  readonly dlq: sqs.Queue;
  readonly ingestRule: events.Rule;

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const code = lambdaCode(this, 'pipeline');
    const env = {
      METADATA_TABLE: props.metadata.table.tableName,
      USAGE_TABLE: props.metadata.usage.tableName,
      LAKE_BUCKET: props.lake.bucketName,
      DUMPS_BUCKET: props.dumps.bucketName,
      GLUE_DATABASE: props.catalog.databaseName,
      KMS_KEY_ID: props.key.keyArn,
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.dlq = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const fn = (name: string, memoryMb: number, timeout: Duration, extra: Partial<lambda.FunctionProps> = {}) => {
      const logGroup = new logs.LogGroup(this, `${name}FunctionLogs`, { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
      return new lambda.Function(this, `${name}Function`, {
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.X86_64, // the bundled DuckDB binding is linux-x64
        code,
        handler: `index.${name.charAt(0).toLowerCase()}${name.slice(1)}`,
        memorySize: memoryMb,
        timeout,
        environment: env,
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        tracing: lambda.Tracing.ACTIVE,
        ...extra,
      });
    };
    const shardMb = props.shardMemoryMb ?? 4096;
    this.functions = {
      ingest: fn('Ingest', 512, Duration.seconds(60), { deadLetterQueue: this.dlq, retryAttempts: 2 }),
      probe: fn('Probe', 2048, Duration.minutes(5)),
      plan: fn('Plan', 2048, Duration.minutes(10)),
      // a shard reads its slice by S3 ranges; /tmp holds one table's Parquet (bounded by the plan)
      shard: fn('Shard', shardMb, Duration.minutes(15), { ephemeralStorageSize: Size.gibibytes(2) }),
      finalize: fn('Finalize', 1024, Duration.minutes(10)),
      fail: fn('Fail', 512, Duration.minutes(1)),
    };
    const F = this.functions;

    // --- least-privilege grants: each step gets exactly what it touches
    for (const f of [F.probe, F.plan, F.shard]) props.dumps.grantRead(f, `${DUMP_PREFIX}*`);
    props.dumps.grantRead(F.ingest, `${DUMP_PREFIX}*`); // HeadObject for size and upload metadata
    for (const f of [F.plan, F.shard, F.finalize]) props.lake.grantReadWrite(f);
    props.lake.grantDelete(F.shard);
    props.lake.grantDelete(F.finalize);
    for (const f of Object.values(F)) props.metadata.table.grantReadWriteData(f);
    props.metadata.usage.grantWriteData(F.finalize);
    F.finalize.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['glue:BatchCreatePartition', 'glue:GetTable', 'glue:GetDatabase'], resources: props.catalog.glueArns() }),
    );

    // --- state machine
    // Retriers apply in order, first match wins: a MemqError is a verdict on the dump (retrying gives
    // the same answer); TransientError means "S3 or a neighbour hiccuped, try again"; Lambda throttling
    // (a new account's low concurrency quota) backs off for minutes rather than failing the analysis.
    const retryable = (t: tasks.LambdaInvoke): tasks.LambdaInvoke =>
      t
        .addRetry({ errors: ['MemqError'], maxAttempts: 0 })
        .addRetry({ errors: ['TransientError'], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 6, maxDelay: Duration.seconds(60), jitterStrategy: sfn.JitterType.FULL })
        .addRetry({
          errors: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
          interval: Duration.seconds(2),
          backoffRate: 2,
          maxAttempts: 10,
          maxDelay: Duration.seconds(120),
          jitterStrategy: sfn.JitterType.FULL,
        })
        .addRetry({ errors: [sfn.Errors.ALL], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3, jitterStrategy: sfn.JitterType.FULL }) as tasks.LambdaInvoke;
    // Every payload is an explicit object: ASL requires Parameters to be a JSON object (CDK renders
    // TaskInput.fromJsonPathAt('$') as the string "$", which Step Functions rejects).
    const invoke = (id: string, f: lambda.IFunction, payload: Record<string, unknown>, resultPath?: string) =>
      retryable(
        new tasks.LambdaInvoke(this, id, {
          lambdaFunction: f,
          payload: sfn.TaskInput.fromObject(payload),
          payloadResponseOnly: true,
          resultPath,
          retryOnServiceExceptions: false,
        }),
      );
    const job = { job: sfn.JsonPath.objectAt('$.job') };

    const failTask = new tasks.LambdaInvoke(this, 'RecordFailure', {
      lambdaFunction: F.fail,
      payload: sfn.TaskInput.fromObject({ ...job, error: sfn.JsonPath.objectAt('$.error') }),
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    }).addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(2), backoffRate: 2 });
    const failed = failTask.next(new sfn.Fail(this, 'Failed', { error: 'SnapshotFailed', causePath: '$.error.Cause' }));

    const probe = invoke('Probe', F.probe, job);
    const plan = invoke('Plan', F.plan, { ...job, probe: sfn.JsonPath.objectAt('$.probe') });
    // a child's output is the shard Lambda's small summary ({id, rows}); the shard also writes its
    // result object to the lake, which is what finalize reads
    const shard = invoke('Shard', F.shard, { ...job, shard: sfn.JsonPath.objectAt('$.shard') });
    const map = new sfn.DistributedMap(this, 'Shards', {
      itemReader: new sfn.S3JsonItemReader({ bucket: props.lake, key: sfn.JsonPath.stringAt('$.itemsKey') }),
      itemSelector: { 'job.$': '$.job', 'shard.$': '$$.Map.Item.Value' },
      maxConcurrency: props.maxShardConcurrency,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      toleratedFailurePercentage: 0,
      // children's outputs go to S3, not into the state: inline results are capped at 256 KiB of
      // state payload (about 950 shards), and a 64 GiB dump plans far more
      resultWriterV2: new sfn.ResultWriterV2({ bucket: props.lake, prefix: MAP_RESULTS_PREFIX }),
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(shard);
    const finalize = invoke('Finalize', F.finalize, job);
    for (const s of [probe, plan, finalize]) s.addCatch(failed, { resultPath: '$.error' });
    map.addCatch(failed, { resultPath: '$.error' });
    const definition = probe.next(plan).next(map).next(finalize).next(new sfn.Succeed(this, 'Ready'));

    const smLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      timeout: Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    props.lake.grantRead(this.stateMachine, '_pipeline/*'); // the ItemReader reads the shard list
    F.ingest.addEnvironment('STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(F.ingest);

    // --- ingest trigger: S3 → EventBridge (bucket has eventBridgeEnabled) → ingest
    this.ingestRule = new events.Rule(this, 'DumpLanded', {
      description: 'memq: a dump landed under dumps/ — start analysis',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.dumps.bucketName] }, object: { key: [{ prefix: DUMP_PREFIX }] } },
      },
      targets: [
        new targets.LambdaFunction(F.ingest, { deadLetterQueue: this.dlq, retryAttempts: 8, maxEventAge: Duration.hours(6) }),
      ],
    });
    // Executions that end badly also go to the DLQ (the snapshot itself records the reason).
    new events.Rule(this, 'ExecutionFailed', {
      description: 'memq: pipeline execution failed / timed out / aborted',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new targets.SqsQueue(this.dlq)],
    });

    // --- alarms
    const action = new cwActions.SnsAction(props.alarmTopic);
    const alarm = (id: string, metric: cw.IMetric, what: string) =>
      new cw.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        alarmDescription: what,
      }).addAlarmAction(action);
    alarm('ExecutionsFailedAlarm', this.stateMachine.metricFailed({ period: Duration.minutes(5) }), 'memq pipeline: an analysis failed');
    alarm('ExecutionsTimedOutAlarm', this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }), 'memq pipeline: an analysis timed out');
    alarm('DlqAlarm', this.dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }), 'memq pipeline: messages in the DLQ');
    for (const [name, f] of Object.entries(F)) {
      alarm(`${name}ErrorsAlarm`, f.metricErrors({ period: Duration.minutes(5) }), `memq ${name} Lambda errors`);
    }
  }
}

// Storage of the customer stack: one customer-managed KMS key (rotated) and four buckets — dumps
// (landing zone, versioned: the version id is part of a snapshot's identity), data lake (Parquet),
// Athena results, and the access-log bucket the other three log to. All block public access, deny
// non-TLS requests, and expire what is scratch. Dumps and lake are RETAINed on stack deletion.
// The key policy never lets an AWS service use the key on behalf of another account: every
// service-principal statement (ours or added by CDK grants, e.g. an EventBridge target on an encrypted
// queue) carries aws:SourceAccount, and aws:SourceArn for the services listed in SOURCE_ARNS.
import { Aws, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface StorageProps {
  /** days after which noncurrent dump versions are deleted */
  noncurrentDumpDays?: number;
  /** days after which Athena results are deleted */
  athenaResultDays?: number;
}

/** aws:SourceArn patterns (this account and region) for service principals that may use the key. */
const SOURCE_ARNS: Record<string, string> = {
  'cloudwatch.amazonaws.com': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
  'events.amazonaws.com': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*`,
};

type Statement = { Principal?: { Service?: string | string[] }; Condition?: Record<string, Record<string, unknown>> };

/** Adds aws:SourceAccount (and aws:SourceArn where known) to every service-principal statement of a resolved policy. */
export function scopeServiceStatements(doc: { Statement?: Statement[] }): { Statement?: Statement[] } {
  for (const st of doc.Statement ?? []) {
    const svc = st.Principal?.Service;
    if (!svc) continue;
    const services = Array.isArray(svc) ? svc : [svc];
    const cond = (st.Condition ??= {});
    cond.StringEquals = { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, ...cond.StringEquals };
    const arns = services.map((x) => SOURCE_ARNS[x]);
    if (services.length === 1 && arns[0] && !cond.ArnLike?.['aws:SourceArn'] && !cond.ArnEquals?.['aws:SourceArn']) {
      cond.ArnLike = { ...cond.ArnLike, 'aws:SourceArn': arns[0] };
    }
  }
  return doc;
}

export class Storage extends Construct {
  readonly key: kms.Key;
  readonly logs: s3.Bucket;
  readonly dumps: s3.Bucket;
  readonly lake: s3.Bucket;
  readonly athenaResults: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'memq: dumps, data lake, Athena results, metadata, queues',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cfnKey = this.key.node.defaultChild as kms.CfnKey;
    // the key's own policy document (protected in the L2; statements are added to it until synthesis)
    const policy = (this.key as unknown as { policy: object }).policy;
    cfnKey.keyPolicy = Lazy.any({ produce: () => scopeServiceStatements(Stack.of(this).resolve(policy)) });
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      minimumTLSVersion: 1.2,
    };
    // Server access logs cannot be delivered to a KMS-CMK bucket: SSE-S3 here, nothing else is stored in it.
    this.logs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      encryption: s3.BucketEncryption.S3_MANAGED,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365) }],
    });
    const kmsBucket = (name: string, extra: Partial<s3.BucketProps>) =>
      new s3.Bucket(this, name, {
        ...common,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        bucketKeyEnabled: true,
        serverAccessLogsBucket: this.logs,
        serverAccessLogsPrefix: `${name.toLowerCase()}/`,
        ...extra,
      });
    this.dumps = kmsBucket('Dumps', {
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(2) },
        { id: 'noncurrent', noncurrentVersionExpiration: Duration.days(props.noncurrentDumpDays ?? 30) },
        { id: 'infrequent', transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(0) }] },
      ],
      cors: [
        // browser multipart uploads through presigned URLs need to read the ETag of each part
        { allowedMethods: [s3.HttpMethods.PUT], allowedOrigins: ['*'], allowedHeaders: ['*'], exposedHeaders: ['ETag'], maxAge: 3000 },
      ],
    });
    // S3 → EventBridge set on the bucket resource itself: `eventBridgeEnabled` would add a custom
    // resource Lambda (a CDK asset), and the Marketplace template must deploy without CDK bootstrap.
    (this.dumps.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    this.lake = kmsBucket('Lake', {
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'pipeline-scratch', prefix: '_pipeline/', expiration: Duration.days(14) },
        { id: 'noncurrent', noncurrentVersionExpiration: Duration.days(7) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(2) },
      ],
    });
    this.athenaResults = kmsBucket('AthenaResults', {
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-results', expiration: Duration.days(props.athenaResultDays ?? 7) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
  }
}

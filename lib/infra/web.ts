// The web UI of the customer stack, the same build `memq serve` serves: web/dist in a private S3 bucket
// (block public access, S3-managed encryption, TLS only) read by CloudFront through origin access
// control; CloudFront redirects HTTP to HTTPS and adds the security headers of `memq serve` (plus
// HSTS, and the Cognito login and dumps-bucket origins in connect-src). /api/* goes to the API
// Gateway stage over the same origin (no caching, all methods, Authorization forwarded), so the
// browser needs no CORS. The files and /config.json are written by the web-deploy custom resource
// (lambdas/web-deploy.ts, lib/web-deploy/), whose bundle embeds web/dist: the bootstrap-free
// Marketplace template needs no other asset.
import { Aws, CustomResource, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lambdaCode } from './bundle';
import type { Api } from './api';
import { API_PREFIX } from '../api/http';
import { csp } from '../api/security-headers';
import { prepareWebAssets } from '../web-deploy/build';
import type { WebConfig } from '../web-deploy/handler';

export interface WebProps {
  api: Api;
  /** bucket receiving S3 server access logs (web bucket) */
  accessLogs: s3.IBucket;
  /** the dumps bucket: the browser PUTs dumps to presigned URLs on its regional endpoint */
  dumps: s3.IBucket;
}

export const OAUTH_SCOPES = [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE];

export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  readonly domain: cognito.UserPoolDomain;
  readonly deployer: lambda.Function;
  readonly deployment: CustomResource;
  /** https://<distribution domain>: the one origin of the UI (CORS, Cognito callback/logout URLs) */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const web = prepareWebAssets(); // builds web/dist when missing or stale, before the Lambda is bundled

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      // build output only; the custom resource empties it on Delete
      removalPolicy: RemovalPolicy.DESTROY,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'web/',
    });
    // CloudFront standard logs are delivered with ACLs: a bucket of their own that allows them
    this.logBucket = new s3.Bucket(this, 'CdnLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'cdn-logs/',
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365) }],
    });

    // Cognito managed login (hosted UI): prefix unique per stack (the stack id's UUID)
    this.domain = props.api.userPool.addDomain('Login', {
      cognitoDomain: { domainPrefix: Fn.join('', ['memq-', Fn.select(2, Fn.split('/', Aws.STACK_ID))]) },
    });
    const loginOrigin = this.domain.baseUrl();

    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'memq: the security headers of memq serve, plus HSTS',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: csp({ 'connect-src': Fn.join(' ', [loginOrigin, `https://${props.dumps.bucketRegionalDomainName}`]) }),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    // the API's regional endpoint, built from the RestApi id alone (not the stage: the stage's
    // deployment depends on methods whose CORS answers name this distribution)
    const apiDomain = Fn.join('', [props.api.api.restApiId, '.execute-api.', Aws.REGION, '.', Aws.URL_SUFFIX]);
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'memq web UI and API',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      additionalBehaviors: {
        [`${API_PREFIX.split('/')[1]}/*`]: {
          origin: new origins.HttpOrigin(apiDomain, {
            originPath: `/${props.api.stageName}`,
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // no caching; with caching disabled the all-viewer policy forwards Authorization
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.headers,
          compress: true,
        },
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;

    const logGroup = new logs.LogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.deployer = new lambda.Function(this, 'Deployer', {
      description: 'memq: writes the web UI and config.json to the web bucket (CloudFormation custom resource)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      code: lambdaCode(this, 'webDeploy'),
      handler: 'index.handler',
      memorySize: 512,
      timeout: Duration.minutes(5),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
    });
    this.deployer.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [this.bucket.arnForObjects('*')] }));
    this.deployer.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));

    const config: WebConfig = {
      apiBaseUrl: API_PREFIX,
      region: stack.region,
      userPoolId: props.api.userPool.userPoolId,
      userPoolClientId: props.api.client.userPoolClientId,
      cognitoDomain: loginOrigin,
    };
    this.deployment = new CustomResource(this, 'Deploy', {
      serviceToken: this.deployer.functionArn,
      resourceType: 'Custom::MemqWebDeploy',
      properties: { Bucket: this.bucket.bucketName, Config: config, WebHash: web.hash },
    });
    // Delete runs before the role loses its rights and the bucket goes
    this.deployment.node.addDependency(this.deployer);
  }
}

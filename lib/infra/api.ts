// The HTTP API of the customer stack: API Gateway (REST, regional) → one Lambda running lib/api's
// router (the same routes `memq serve` serves locally). Every method but OPTIONS requires a Cognito
// user-pool JWT (invite-only pool, TOTP MFA, e-mail not writable by users); the Lambda takes the
// caller from the authorizer's claims and enforces tenancy (org/project membership) on each request.
// CORS names exactly the web UI's origin (OPTIONS preflight answered by API Gateway, no authorizer).
// Optional access/execution logs (they need the account's API Gateway CloudWatch role, which this
// stack never sets), X-Ray and an AWS WAF web ACL with AWS managed rules.
import { Duration, Fn, RemovalPolicy, type CfnCondition } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiWaf } from './waf';
import { Construct } from 'constructs';
import { lambdaCode } from './bundle';
import type { LakeCatalog } from './catalog';
import type { Metadata } from './metadata';
import { DUMP_PREFIX } from '../pipeline/keys';
import { API_PREFIX } from '../api/http';
import { routes } from '../api/routes';
import { CORS_HEADERS, CORS_METHODS } from '../api/lambda-adapter';

export interface ApiProps {
  dumps: s3.IBucket;
  lake: s3.IBucket;
  results: s3.IBucket;
  key: kms.IKey;
  metadata: Metadata;
  catalog: LakeCatalog;
  stateMachineArn: string;
  /** first administrator: invited to the user pool, owner of the first org (created on first API start) */
  adminEmail: string;
  orgName: string;
  /** https origin of the web UI (CloudFront): CORS, Cognito callback/logout URLs; may be a Lazy token */
  webOrigin: string;
  /** when true, the stage writes access logs and ERROR execution logs (needs the account's API Gateway CloudWatch role) */
  loggingEnabled?: CfnCondition;
  /** API Gateway stage throttling */
  rateLimit?: number;
  burstLimit?: number;
}

export class Api extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly api: apigw.RestApi;
  readonly handler: lambda.Function;
  readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  readonly waf: ApiWaf;
  readonly stageName = 'prod';

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false, // org admins invite users
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // a changed address must be verified before it replaces the old one (the API links users by
      // sub, and by verified e-mail only once)
      autoVerify: { email: true },
      keepOriginal: { email: true },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    new cognito.CfnUserPoolUser(this, 'FirstAdmin', {
      userPoolId: this.userPool.userPoolId,
      username: props.adminEmail,
      desiredDeliveryMediums: ['EMAIL'],
      userAttributes: [
        { name: 'email', value: props.adminEmail },
        { name: 'email_verified', value: 'true' },
      ],
    });
    this.client = this.userPool.addClient('WebClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      // the web UI signs in through managed login: authorization code + PKCE (public client)
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${props.webOrigin}/`],
        logoutUrls: [`${props.webOrigin}/`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      // users may read their e-mail but not change it: identity is the sub, linked by verified e-mail once
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, fullname: true }),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(7),
    });

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    this.handler = new lambda.Function(this, 'Handler', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      code: lambdaCode(this, 'api'),
      handler: 'index.handler',
      memorySize: 1024,
      timeout: Duration.seconds(28), // under API Gateway's 29 s: queries run asynchronously (start → poll → page)
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        METADATA_TABLE: props.metadata.table.tableName,
        DUMPS_BUCKET: props.dumps.bucketName,
        LAKE_BUCKET: props.lake.bucketName,
        RESULTS_BUCKET: props.results.bucketName,
        ATHENA_WORKGROUP: props.catalog.workGroupName,
        GLUE_DATABASE: props.catalog.databaseName,
        KMS_KEY_ID: props.key.keyArn,
        CORS_ORIGIN: props.webOrigin,
        STATE_MACHINE_ARN: props.stateMachineArn,
        ADMIN_EMAIL: props.adminEmail,
        ORG_NAME: props.orgName,
      },
    });
    const h = this.handler;
    props.metadata.table.grantReadWriteData(h);
    // presigned single and multipart uploads are signed with this role: put-only, dumps/ only
    props.dumps.grantPut(h, `${DUMP_PREFIX}*`);
    h.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [props.dumps.arnForObjects(`${DUMP_PREFIX}*`)],
      }),
    );
    props.lake.grantRead(h);
    // DELETE /snapshots/{id}: the snapshot's lake partitions, its uploaded dump and Glue partitions
    props.lake.grantDelete(h);
    props.dumps.grantDelete(h, `${DUMP_PREFIX}*`);
    h.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.dumps.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${DUMP_PREFIX}*`] } },
      }),
    );
    props.results.grantReadWrite(h);
    props.key.grantEncryptDecrypt(h);
    h.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution'],
        resources: [props.catalog.workGroupArn()],
      }),
    );
    h.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition', 'glue:BatchDeletePartition'],
        resources: props.catalog.glueArns(),
      }),
    );

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigw.RestApi(this, 'Rest', {
      description: 'memq API (Cognito-authenticated)',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // never AWS::ApiGateway::Account: that setting is account-wide (see README, Cloud)
      cloudWatchRole: false,
      deployOptions: {
        stageName: this.stageName,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // request bodies may carry IOCs and query text: keep them out of logs
        metricsEnabled: true,
        throttlingRateLimit: props.rateLimit ?? 50,
        throttlingBurstLimit: props.burstLimit ?? 100,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      // OPTIONS on every resource: a MOCK integration without authorizer, exact origin
      defaultCorsPreflightOptions: {
        allowOrigins: [props.webOrigin],
        allowMethods: [...CORS_METHODS],
        allowHeaders: [...CORS_HEADERS],
        maxAge: Duration.minutes(10),
        statusCode: 204,
      },
    });
    // API Gateway's own answers (401 from the authorizer, 403, 429, 5xx) carry the same CORS header
    for (const [id, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(id, { type, responseHeaders: { 'Access-Control-Allow-Origin': `'${props.webOrigin}'`, Vary: "'Origin'" } });
    }
    if (props.loggingEnabled) {
      const stage = this.api.deploymentStage.node.defaultChild as apigw.CfnStage;
      const cond = props.loggingEnabled;
      const accessLogSetting = { DestinationArn: accessLogs.logGroupArn, Format: apigw.AccessLogFormat.jsonWithStandardFields().toString() };
      stage.addPropertyOverride('AccessLogSetting', Fn.conditionIf(cond.logicalId, accessLogSetting, Fn.ref('AWS::NoValue')));
      stage.addPropertyOverride('MethodSettings.0.LoggingLevel', Fn.conditionIf(cond.logicalId, 'ERROR', 'OFF'));
    }
    this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [this.userPool] });
    // one invoke permission for the whole API (per-method permissions would overflow the 20 KB policy)
    const integration = new apigw.LambdaIntegration(h, { proxy: true, allowTestInvoke: false, scopePermissionToMethod: false });
    const methodOpts: apigw.MethodOptions = {
      authorizer: this.authorizer,
      authorizationType: apigw.AuthorizationType.COGNITO,
      // no API Gateway request validator: path, query and body are validated in the Lambda by each
      // route's zod schemas (the same as `memq serve`); see the APIG2 acknowledgement in nag.ts
    };
    // One API Gateway method per lib/api route (the same table `memq serve` serves): unknown paths are
    // refused by API Gateway itself, and every method requires the Cognito authorizer.
    const base = API_PREFIX.split('/').filter(Boolean).reduce<apigw.IResource>((r, seg) => r.getResource(seg) ?? r.addResource(seg), this.api.root);
    for (const route of routes) {
      const res = route.path
        .split('/')
        .filter(Boolean)
        .reduce<apigw.IResource>((r, seg) => r.getResource(seg) ?? r.addResource(seg), base);
      res.addMethod(route.method, integration, methodOpts);
    }
    const openapi = base.getResource('openapi.json') ?? base.addResource('openapi.json');
    openapi.addMethod('GET', integration, methodOpts);

    this.waf = new ApiWaf(this, 'Waf', { api: this.api, metricPrefix: 'memq-api', countOnly: ['SizeRestrictions_BODY'] });
  }
}

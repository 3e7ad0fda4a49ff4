// API Lambda: API Gateway (REST, Lambda proxy) → lib/api's router, the same routes `memq serve`
// serves locally. API Gateway's Cognito authorizer verifies the JWT (signature, issuer, audience,
// expiry) before the Lambda runs and passes its claims in requestContext.authorizer.claims; the
// Lambda may be invoked only by this API (invoke permission scoped to its ARN), so it trusts those
// claims, maps `sub` to a provisioned user and enforces org/project membership per request. No JWKS
// fetch from the Lambda. Responses carry exact CORS headers for the web UI's origin (CORS_ORIGIN).
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { AthenaClient } from '@aws-sdk/client-athena';
import { createApi, claimsAuthenticator, fromApiGatewayEvent, toApiGatewayResult, type Api, type ApiGatewayV1Event, type ApiGatewayResult } from '../lib/api';
import { corsHeaders, preflightResult } from '../lib/api/lambda-adapter';
import { Platform } from '../lib/platform/service';
import { DynamoRepository } from '../lib/platform/dynamo-repository';
import { AthenaSdkPort } from '../lib/engine/athena';
import { cloudDataPlane } from '../lib/dataplane/planes';
import { log } from '../lib/util/log';
import { entitlementGate } from '../lib/marketplace/enforce';

// AWS Marketplace entitlement (lib/marketplace/entitlement.ts): after a subscription ends, no new
// snapshots (read-only grace), then no uploads at all; reads, queries, exports and deletes stay.
const gate = entitlementGate();

let api: Api | undefined;
let firstRun: Promise<void> | undefined;

/**
 * First start of a new stack: no organization exists yet, so the one named by the stack parameters is
 * created with ADMIN_EMAIL as its administrator (that address got a Cognito invitation from the stack;
 * signing in links the two by e-mail).
 */
export async function ensureFirstOrg(platform: Platform, adminEmail: string | undefined, orgName: string): Promise<boolean> {
  if (!adminEmail || (await platform.repo.all('org', 1)).length > 0) return false;
  await platform.createOrgWithAdmin(orgName, adminEmail, 'Administrator');
  return true;
}
/** tests inject an Api built over local stand-ins */
export function setApi(a: Api | undefined): void {
  api = a;
}
function getApi(): Api {
  if (api) return api;
  const env = process.env;
  const dynamo = new DynamoDBClient({});
  const platform = new Platform(new DynamoRepository(dynamo, env.METADATA_TABLE!));
  const data = cloudDataPlane({
    dynamo,
    metadataTable: env.METADATA_TABLE!,
    s3: new S3Client({}),
    glue: new GlueClient({}),
    athena: new AthenaSdkPort({ client: new AthenaClient({}), workGroup: env.ATHENA_WORKGROUP!, database: env.GLUE_DATABASE! }),
    dumpsBucket: env.DUMPS_BUCKET!,
    lakeBucket: env.LAKE_BUCKET!,
    resultsBucket: env.RESULTS_BUCKET!,
    database: env.GLUE_DATABASE!,
  });
  api = createApi({ platform, data, auth: claimsAuthenticator(platform) });
  firstRun = ensureFirstOrg(platform, env.ADMIN_EMAIL, env.ORG_NAME ?? 'memq').then(
    () => undefined,
    (e: Error) => log('warn', 'first organization not created', { error: e.message }),
  );
  return api;
}

export async function handler(e: ApiGatewayV1Event): Promise<ApiGatewayResult> {
  const t0 = Date.now();
  const origin = process.env.CORS_ORIGIN;
  if (e.httpMethod === 'OPTIONS' && origin) return preflightResult(origin);
  const refused = await gate.api(e.httpMethod, e.path);
  if (refused) {
    log('info', 'api refused: subscription', { method: e.httpMethod, path: e.path });
    return { statusCode: 403, headers: { 'content-type': 'application/json', ...(origin ? corsHeaders(origin) : {}) }, body: JSON.stringify({ error: refused }), isBase64Encoded: false };
  }
  const a = getApi();
  await firstRun;
  const res = toApiGatewayResult(await a.handle(fromApiGatewayEvent(e)));
  if (origin) Object.assign(res.headers, corsHeaders(origin));
  log('info', 'api', { method: e.httpMethod, path: e.path, status: res.statusCode, ms: Date.now() - t0 });
  return res;
}

// The API Lambda behind API Gateway's Cognito user-pool authorizer: identity comes only from
// requestContext.authorizer.claims (REST API payload 1.0, string claims), matched on `sub`; the e-mail
// links a provisioned user once, and only when email_verified is 'true'. Responses carry CORS headers
// naming exactly the web UI's origin; OPTIONS is answered without authentication.
import * as apiLambda from '../../lambdas/api';
import { createApi, claimsAuthenticator } from '../../lib/api';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import type { DataPlane } from '../../lib/dataplane/types';
import type { User } from '../../lib/platform/model';

process.env.MEMQ_LOG = 'off';
const ORIGIN = 'https://d111111abcdef8.cloudfront.net';
let platform: Platform;
let alice: User;
let bob: User;

beforeAll(async () => {
  process.env.CORS_ORIGIN = ORIGIN;
  platform = new Platform(new SqliteRepository(':memory:'));
  const org = await platform.createOrgWithAdmin('Corp', 'alice@corp.test', 'Alice');
  alice = org.user;
  bob = await platform.createUser(await platform.subject(alice), { email: 'bob@corp.test', name: 'Bob' }).then((u) => platform.repo.get('user', u.id) as Promise<User>);
  apiLambda.setApi(createApi({ platform, data: {} as DataPlane, auth: claimsAuthenticator(platform) }));
});
afterAll(() => {
  apiLambda.setApi(undefined);
  delete process.env.CORS_ORIGIN;
});

/** A REST API proxy event as API Gateway sends it after the Cognito authorizer accepted an ID token. */
function event(method: string, path: string, claims: Record<string, string> | null, headers: Record<string, string> = {}) {
  return {
    resource: '/api/v1/me',
    httpMethod: method,
    path: `/api/v1${path}`,
    headers: { Authorization: 'Bearer eyJraWQiOi.opaque.jwt', ...headers },
    multiValueHeaders: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: claims
      ? {
          authorizer: {
            claims: {
              token_use: 'id',
              'cognito:username': claims.sub ?? 'x',
              aud: 'client123',
              iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1',
              auth_time: '1767225600',
              exp: 'Thu Jan 01 01:00:00 UTC 2026',
              ...claims,
            },
          },
        }
      : {},
  };
}
const me = async (claims: Record<string, string> | null, headers?: Record<string, string>) => {
  const r = await apiLambda.handler(event('GET', '/me', claims, headers) as never);
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null, headers: r.headers };
};

test('a verified e-mail links the provisioned user once; afterwards the sub alone identifies them', async () => {
  const r = await me({ sub: 'sub-alice', email: 'Alice@corp.test', email_verified: 'true' });
  expect(r.status).toBe(200);
  expect(r.body.user).toMatchObject({ id: alice.id, email: 'alice@corp.test' });
  expect((await platform.repo.get('user', alice.id))!.external_id).toBe('sub-alice');
  // an administrator changed the address in Cognito: the sub still finds the same user
  expect((await me({ sub: 'sub-alice', email: 'alice.new@corp.test', email_verified: 'true' })).body.user.id).toBe(alice.id);
  // no e-mail claim at all (e.g. an access token): the sub is enough
  expect((await me({ sub: 'sub-alice', token_use: 'access' })).status).toBe(200);
  // another subject presenting the same verified address does not take the account over
  expect((await me({ sub: 'sub-mallory', email: 'alice@corp.test', email_verified: 'true' })).status).toBe(401);
});

test('an unverified e-mail does not link to an existing account', async () => {
  expect((await me({ sub: 'sub-bob', email: 'bob@corp.test', email_verified: 'false' })).status).toBe(401);
  expect((await me({ sub: 'sub-bob', email: 'bob@corp.test' })).status).toBe(401);
  expect((await platform.repo.get('user', bob.id))!.external_id).toBeUndefined();
  expect(await platform.repo.get('identity', 'cognito:sub-bob')).toBeNull();
  // once Cognito has verified the address, the first sign-in links it
  const r = await me({ sub: 'sub-bob', email: 'bob@corp.test', email_verified: 'true' });
  expect(r.status).toBe(200);
  expect(r.body.user.id).toBe(bob.id);
});

test('without authorizer claims nobody is signed in, whatever the headers say', async () => {
  expect((await me(null)).status).toBe(401);
  expect((await me(null, { sub: 'sub-alice', 'x-amzn-claims': JSON.stringify({ sub: 'sub-alice' }) })).status).toBe(401);
  expect((await me({ sub: '' })).status).toBe(401);
  // an unknown (never provisioned) person with a verified address gets nothing
  expect((await me({ sub: 'sub-eve', email: 'eve@corp.test', email_verified: 'true' })).status).toBe(401);
});

test('CORS: every answer names exactly the web origin; OPTIONS preflight needs no token', async () => {
  const ok = await me({ sub: 'sub-alice' });
  expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
  expect(ok.headers.vary).toBe('Origin');
  expect((await me(null)).headers['access-control-allow-origin']).toBe(ORIGIN);
  const pre = await apiLambda.handler({ ...event('OPTIONS', '/projects', null), headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } } as never);
  expect(pre.statusCode).toBe(204);
  expect(pre.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, 'access-control-allow-headers': 'Authorization,Content-Type' });
  expect(pre.headers['access-control-allow-methods']).toContain('DELETE');
});

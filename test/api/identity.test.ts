// Identities: Cognito JWTs verified by aws-jwt-verify (signature against the pool JWKS, issuer,
// client id, token use, expiry) and mapped to provisioned users only (verified e-mail links once); local tokens; and the API
// Gateway adapter driving the same router as `memq serve`.
import * as crypto from 'node:crypto';
import { cognitoAuthenticator, anyOf, tokenAuthenticator } from '../../lib/api/identity';
import { createApi } from '../../lib/api/router';
import { fromApiGatewayEvent, toApiGatewayResult } from '../../lib/api/lambda-adapter';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import type { DataPlane } from '../../lib/dataplane/types';

const POOL = 'eu-west-1_TestPool1';
const CLIENT = 'client123';
const ISS = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(publicKey.export({ format: 'jwk' }) as object), kid: 'k1', alg: 'RS256', use: 'sig' };
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>, key: crypto.KeyObject = privateKey, kid = 'k1'): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'RS256', typ: 'JWT', kid });
  const now = Math.floor(Date.now() / 1000);
  const body = b64({ iss: ISS, aud: CLIENT, token_use: 'id', email_verified: true, iat: now, exp: now + 600, ...claims });
  const sig = crypto.sign('RSA-SHA256', Buffer.from(`${head}.${body}`), key).toString('base64url');
  return `${head}.${body}.${sig}`;
}

async function setup() {
  const platform = new Platform(new SqliteRepository(':memory:'));
  const { user } = await platform.createOrgWithAdmin('Org', 'alice@corp.test', 'Alice');
  const auth = anyOf(tokenAuthenticator(platform), cognitoAuthenticator(platform, { userPoolId: POOL, clientId: CLIENT, jwks: { keys: [jwk] } }));
  return { platform, user, auth };
}

test('a valid Cognito ID token maps to the provisioned user (and binds its sub)', async () => {
  const { platform, user, auth } = await setup();
  const u = await auth.authenticate({ authorization: `Bearer ${jwt({ sub: 'sub-alice', email: 'Alice@corp.test' })}` });
  expect(u?.id).toBe(user.id);
  expect((await platform.repo.get('user', user.id))!.external_id).toBe('sub-alice');
  // once bound, another subject with the same e-mail is refused
  expect(await auth.authenticate({ authorization: `Bearer ${jwt({ sub: 'sub-mallory', email: 'alice@corp.test' })}` })).toBeNull();
});

test('bad signature, wrong client, wrong issuer, expired, access-vs-id and unknown users are refused', async () => {
  const { auth } = await setup();
  const bad = [
    jwt({ sub: 's', email: 'alice@corp.test' }, other.privateKey),
    jwt({ sub: 's', email: 'alice@corp.test', aud: 'someone-else' }),
    jwt({ sub: 's', email: 'alice@corp.test', iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }),
    jwt({ sub: 's', email: 'alice@corp.test', exp: Math.floor(Date.now() / 1000) - 60 }),
    jwt({ sub: 's', email: 'alice@corp.test', token_use: 'access' }),
    jwt({ sub: 's', email: 'nobody@corp.test' }),
    'not.a.jwt',
  ];
  for (const t of bad) expect(await auth.authenticate({ authorization: `Bearer ${t}` })).toBeNull();
  expect(await auth.authenticate({})).toBeNull();
});

test('API Gateway events run through the same router', async () => {
  const { platform, auth } = await setup();
  const data = {} as DataPlane; // routes used here do not touch the data plane
  const api = createApi({ platform, data, auth, localSignIn: false });
  const ev = (method: string, rawPath: string, token?: string, body?: string, raw = '') => ({
    rawPath,
    rawQueryString: raw,
    headers: token ? { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } : {},
    body: body === undefined ? undefined : Buffer.from(body).toString('base64'),
    isBase64Encoded: body !== undefined,
    requestContext: { http: { method } },
  });
  const token = jwt({ sub: 'sub-alice', email: 'alice@corp.test' });
  const me = toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('GET', '/api/v1/me', token))));
  expect(me.statusCode).toBe(200);
  expect(JSON.parse(me.body).user.email).toBe('alice@corp.test');
  const created = toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('POST', '/api/v1/projects', token, JSON.stringify({ name: 'cloud-case' })))));
  expect(created.statusCode).toBe(201);
  const list = toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('GET', '/api/v1/snapshots', token, undefined, `project_id=${JSON.parse(created.body).id}`))));
  expect(JSON.parse(list.body)).toEqual([]);
  // password sign-in is off behind Cognito
  expect(toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('POST', '/api/v1/auth/login', undefined, '{"email":"a","password":"b"}')))).statusCode).toBe(501);
  expect(toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('GET', '/api/v1/me')))).statusCode).toBe(401);
  expect(toApiGatewayResult(await api.handle(fromApiGatewayEvent(ev('DELETE', '/api/v1/me', token)))).statusCode).toBe(405);
  // REST API (payload 1.0) events, as the CDK stack's API Gateway sends them
  const v1 = await api.handle(
    fromApiGatewayEvent({ httpMethod: 'GET', path: '/api/v1/projects', headers: { Authorization: `Bearer ${token}` }, queryStringParameters: null, multiValueQueryStringParameters: null, body: null, isBase64Encoded: false }),
  );
  expect(JSON.parse(toApiGatewayResult(v1).body).map((p: { name: string }) => p.name)).toEqual(['cloud-case']);
});

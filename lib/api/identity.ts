// Who is calling: an Authenticator turns request headers into a platform user. Locally that is an API
// token ("Authorization: Bearer memq_…", from sign-in or `POST /tokens`). In the cloud, API Gateway's
// Cognito user-pool authorizer has already verified the JWT and hands its claims to the Lambda
// (`requestContext.authorizer.claims`); claimsAuthenticator maps them to a provisioned user by `sub`.
// cognitoAuthenticator (aws-jwt-verify against the pool's JWKS) remains for deployments without such an
// authorizer. Users are never created from a token alone.
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Platform } from '../platform/service';
import type { User } from '../platform/model';

export interface Authenticator {
  authenticate(headers: Record<string, string | undefined>): Promise<User | null>;
}

export function bearer(headers: Record<string, string | undefined>): string | null {
  const h = headers['authorization'];
  if (!h) return null;
  const m = /^Bearer\s+(\S{1,4096})$/i.exec(h.trim());
  return m ? m[1]! : null;
}

/** Local API tokens issued by the platform (sign-in, `POST /tokens`). */
export function tokenAuthenticator(platform: Platform): Authenticator {
  return {
    async authenticate(headers) {
      const t = bearer(headers);
      return t && t.startsWith('memq_') ? platform.authenticateToken(t) : null;
    },
  };
}

export interface CognitoOptions {
  userPoolId: string;
  clientId: string | string[];
  tokenUse?: 'id' | 'access';
  /** preloaded JWKS (tests, air-gapped); otherwise fetched from the pool's well-known URL once */
  jwks?: { keys: unknown[] };
}

/** Cognito user-pool JWTs (ID or access tokens). */
export function cognitoAuthenticator(platform: Platform, o: CognitoOptions): Authenticator {
  const verifier = CognitoJwtVerifier.create({ userPoolId: o.userPoolId, tokenUse: o.tokenUse ?? 'id', clientId: o.clientId });
  if (o.jwks) verifier.cacheJwks(o.jwks as never);
  return {
    async authenticate(headers) {
      const t = bearer(headers);
      if (!t || t.startsWith('memq_')) return null;
      let payload: Record<string, unknown>;
      try {
        payload = (await verifier.verify(t)) as unknown as Record<string, unknown>;
      } catch {
        return null;
      }
      const email = typeof payload.email === 'string' ? payload.email : undefined;
      return platform.userForExternalIdentity(String(payload.sub), email, payload.email_verified === true);
    },
  };
}

/**
 * Claims of a Cognito user-pool authorizer (REST API): strings, e.g. `sub`, `email`, `email_verified`
 * ('true'/'false'), `token_use`, `cognito:username`. They are attached to the request's headers object
 * by fromApiGatewayEvent (lambda-adapter.ts) — never read from a header, so a caller cannot forge them.
 */
export type AuthorizerClaims = Record<string, string | undefined>;
const authorizerClaims = new WeakMap<object, AuthorizerClaims>();

/** Binds verified authorizer claims to a request (its headers object, which the router hands to authenticate). */
export function attachAuthorizerClaims(headers: object, claims: AuthorizerClaims): void {
  authorizerClaims.set(headers, claims);
}

/**
 * Identity from API Gateway's Cognito authorizer. The Lambda trusts these claims because only this
 * REST API may invoke it (the invoke permission names the API's ARN) and every method but OPTIONS
 * requires the authorizer. Matched on `sub`; the e-mail links a provisioned user only the first time,
 * and only when `email_verified` is 'true'.
 */
export function claimsAuthenticator(platform: Platform): Authenticator {
  return {
    async authenticate(headers) {
      const c = authorizerClaims.get(headers);
      const sub = c?.sub;
      if (!c || typeof sub !== 'string' || !sub) return null;
      const email = typeof c.email === 'string' && c.email ? c.email : undefined;
      return platform.userForExternalIdentity(sub, email, String(c.email_verified) === 'true');
    },
  };
}

/** The first authenticator that recognizes the caller wins. */
export function anyOf(...auths: Authenticator[]): Authenticator {
  return {
    async authenticate(headers) {
      for (const a of auths) {
        const u = await a.authenticate(headers);
        if (u) return u;
      }
      return null;
    },
  };
}

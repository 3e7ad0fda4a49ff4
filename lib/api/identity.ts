// Who is calling: an Authenticator turns request headers into a platform user. Locally that is an API
// token ("Authorization: Bearer memq_…", from sign-in or `POST /tokens`); in the cloud a Cognito JWT
// verified with aws-jwt-verify (signature against the pool's JWKS, issuer, audience/client, expiry),
// then mapped to a provisioned user by e-mail. Users are never created from a token alone.
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
      return platform.userForExternalIdentity(String(payload.sub), email);
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

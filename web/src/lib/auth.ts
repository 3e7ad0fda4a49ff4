// Sign-in mode. In the cloud the web bucket holds /config.json (written by the stack's web-deploy
// resource) naming the Cognito user pool: sign-in goes through Cognito managed login with the OAuth
// authorization code flow + PKCE, and the ID token becomes the API bearer token. Under `memq serve`
// there is no config.json (the server answers index.html) and the password form is used.
import { setToken } from './api';

export interface CloudConfig {
  apiBaseUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  cognitoDomain: string;
}

export async function loadConfig(): Promise<CloudConfig | null> {
  try {
    const r = await fetch('/config.json', { cache: 'no-store' });
    if (!r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return null;
    const c = (await r.json()) as Partial<CloudConfig>;
    return c && typeof c.cognitoDomain === 'string' && c.cognitoDomain && typeof c.userPoolClientId === 'string' && c.userPoolClientId ? (c as CloudConfig) : null;
  } catch {
    return null;
  }
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${window.location.origin}/`;
const KEY = 'memq.oauth';

/** Sends the browser to Cognito managed login (code + PKCE S256). */
export async function startCognitoSignIn(c: CloudConfig): Promise<void> {
  const verifier = random(48);
  const state = random(16);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(KEY, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: c.userPoolClientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  window.location.assign(`${c.cognitoDomain}/oauth2/authorize?${q}`);
}

/** On return from managed login (?code=…&state=…): exchanges the code for tokens. True when signed in. */
export async function completeCognitoSignIn(c: CloudConfig): Promise<boolean> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('code');
  const state = url.searchParams.get('state');
  if (!code) return false;
  const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as { verifier: string; state: string } | null;
  sessionStorage.removeItem(KEY);
  window.history.replaceState(null, '', `${url.pathname}${url.hash}`); // the code is single-use: drop it from the address
  if (!saved || saved.state !== state) throw new Error('sign-in answer does not match this browser session: sign in again');
  const r = await fetch(`${c.cognitoDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: c.userPoolClientId, code, redirect_uri: redirectUri(), code_verifier: saved.verifier }),
  });
  if (!r.ok) throw new Error(`sign-in failed: HTTP ${r.status}`);
  const t = (await r.json()) as { id_token?: string };
  if (!t.id_token) throw new Error('sign-in failed: no ID token');
  setToken(t.id_token); // API Gateway's Cognito authorizer accepts the ID token
  return true;
}

/** Ends the Cognito session too (managed login would otherwise sign the user straight back in). */
export function cognitoSignOut(c: CloudConfig): void {
  setToken(null);
  window.location.assign(`${c.cognitoDomain}/logout?${new URLSearchParams({ client_id: c.userPoolClientId, logout_uri: redirectUri() })}`);
}

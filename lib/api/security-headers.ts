// The security headers of the web UI and API, one definition for both places that send them:
// `memq serve` (lib/api/server.ts, on every response) and the customer stack's CloudFront response
// headers policy (lib/infra/web.ts), which adds the Cognito managed-login origin to connect-src (the
// browser exchanges the authorization code there) and HSTS (CloudFront is HTTPS-only).

/** Content-Security-Policy directives: same-origin only. */
export const cspDirectives: Record<string, string> = {
  'default-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'frame-ancestors': "'none'",
};

export function csp(extra: Partial<Record<string, string>> = {}): string {
  return Object.entries(cspDirectives)
    .map(([k, v]) => `${k} ${extra[k] ? `${v} ${extra[k]}` : v}`)
    .join('; ');
}

/** Headers on every response: no MIME sniffing, no framing, no referrer, a strict CSP for the UI. */
export const securityHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': csp(),
};

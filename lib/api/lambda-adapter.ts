// Translation between API Gateway proxy events — REST API (payload 1.0: httpMethod/path) and HTTP API
// (payload 2.0: requestContext.http.method/rawPath) — and the router's request/response shapes.
// lambdas/api.ts is: `return toApiGatewayResult(await api.handle(fromApiGatewayEvent(event)))`.
import type { ApiRequest, ApiResponse } from './http';
import { attachAuthorizerClaims, type AuthorizerClaims } from './identity';

interface Common {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** REST API (v1) proxy event: the fields the API reads. */
export interface ApiGatewayV1Event extends Common {
  httpMethod: string;
  path: string;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  /** set by API Gateway: with a Cognito user-pool authorizer, `authorizer.claims` holds the token's claims as strings */
  requestContext?: { authorizer?: { claims?: AuthorizerClaims | null } | null } | null;
}

/** HTTP API (v2) proxy event: the fields the API reads. */
export interface ApiGatewayV2Event extends Common {
  rawPath: string;
  rawQueryString?: string;
  queryStringParameters?: Record<string, string | undefined> | null;
  requestContext: { http: { method: string } };
}

export type ApiGatewayEvent = ApiGatewayV1Event | ApiGatewayV2Event;

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}
/** @deprecated name kept for callers written against the first version */
export type ApiGatewayV2Result = ApiGatewayResult;

export function fromApiGatewayEvent(e: ApiGatewayEvent): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(e.headers ?? {})) headers[k.toLowerCase()] = v ?? undefined;
  const query: Record<string, string | undefined> = {};
  let method: string;
  let path: string;
  if ('httpMethod' in e) {
    method = e.httpMethod;
    path = e.path;
    const claims = e.requestContext?.authorizer?.claims;
    if (claims && typeof claims === 'object') attachAuthorizerClaims(headers, { ...claims });
    Object.assign(query, e.queryStringParameters ?? {});
    // repeated keys: the last one wins, as URLSearchParams → Object.fromEntries does locally
    for (const [k, vs] of Object.entries(e.multiValueQueryStringParameters ?? {})) if (vs?.length) query[k] = vs[vs.length - 1];
  } else {
    method = e.requestContext.http.method;
    path = e.rawPath;
    if (e.rawQueryString) for (const [k, v] of new URLSearchParams(e.rawQueryString)) query[k] = v;
    else Object.assign(query, e.queryStringParameters ?? {});
  }
  return { method, path, query, headers, body: e.body == null ? null : e.isBase64Encoded ? Buffer.from(e.body, 'base64') : e.body };
}

/**
 * CORS for callers outside the web UI's origin (the UI itself is same-origin behind CloudFront): only
 * `origin` is allowed, with credentials in the Authorization header (no cookies).
 */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/** Preflight answer (API Gateway answers OPTIONS itself; this is the same answer if one reaches the Lambda). */
export function preflightResult(origin: string): ApiGatewayResult {
  return {
    statusCode: 204,
    headers: {
      ...corsHeaders(origin),
      'access-control-allow-methods': CORS_METHODS.join(','),
      'access-control-allow-headers': CORS_HEADERS.join(','),
      'access-control-max-age': '600',
    },
    body: '',
    isBase64Encoded: false,
  };
}
export const CORS_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const;
export const CORS_HEADERS = ['Authorization', 'Content-Type'] as const;

/**
 * Lambda returns at most 6 MB (6,291,456 bytes) from a synchronous invocation: the whole result, headers
 * and (base64) body included. Routes keep their pages under MAX_PAGE_BYTES; should one still produce
 * more, the caller gets a clear 500 instead of Lambda's opaque invocation error (a 502 at API Gateway).
 */
export const LAMBDA_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

export function toApiGatewayResult(r: ApiResponse, maxBytes = LAMBDA_MAX_RESPONSE_BYTES): ApiGatewayResult {
  const binary = typeof r.body !== 'string';
  const out: ApiGatewayResult = {
    statusCode: r.status,
    headers: r.headers,
    body: binary ? Buffer.from(r.body as Uint8Array).toString('base64') : (r.body as string),
    isBase64Encoded: binary,
  };
  const size = Buffer.byteLength(JSON.stringify(out));
  // 16 KiB stay free for what the handler adds afterwards (CORS headers)
  if (size <= maxBytes - 16_384) return out;
  const message = `response of ${size} bytes exceeds the ${maxBytes}-byte Lambda limit; ask for a smaller page (limit) and continue at next_offset`;
  return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'E_RESPONSE_TOO_LARGE', message } }), isBase64Encoded: false };
}

// Translation between API Gateway HTTP API (payload format 2.0) events and the router's request and
// response shapes. lambdas/api.ts is: `return toApiGatewayResult(await api.handle(fromApiGatewayEvent(event)))`.
import type { ApiRequest, ApiResponse } from './http';

/** The fields of an API Gateway v2 (HTTP API) proxy event the API reads. */
export interface ApiGatewayV2Event {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { http: { method: string } };
}

export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

export function fromApiGatewayEvent(e: ApiGatewayV2Event): ApiRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(e.headers ?? {})) headers[k.toLowerCase()] = v;
  const query: Record<string, string | undefined> = {};
  if (e.rawQueryString) for (const [k, v] of new URLSearchParams(e.rawQueryString)) query[k] = v;
  else Object.assign(query, e.queryStringParameters ?? {});
  return {
    method: e.requestContext.http.method,
    path: e.rawPath,
    query,
    headers,
    body: e.body == null ? null : e.isBase64Encoded ? Buffer.from(e.body, 'base64') : e.body,
  };
}

export function toApiGatewayResult(r: ApiResponse): ApiGatewayV2Result {
  const binary = typeof r.body !== 'string';
  return {
    statusCode: r.status,
    headers: r.headers,
    body: binary ? Buffer.from(r.body as Uint8Array).toString('base64') : (r.body as string),
    isBase64Encoded: binary,
  };
}

// The framework-free HTTP shapes the API speaks. `memq serve` (node:http) and the API Gateway Lambda
// adapter both translate to and from these; nothing in the API knows which one is in front of it.

import { API_PREFIX } from '../dataplane/types';

/** Every route lives under this prefix (defined with the data plane's types: upload targets name routes). */
export { API_PREFIX };

export interface ApiRequest {
  method: string;
  /** path including the /api/v1 prefix, without the query string */
  path: string;
  query?: Record<string, string | undefined>;
  /** header names in lower case */
  headers?: Record<string, string | undefined>;
  /** the client's network address as the server sees it (sign-in limits); absent when unknown */
  client?: string;
  /** text/JSON body, raw bytes, or (local uploads) a byte stream */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | null;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}

/** Reads a whole (small) body as text, refusing more than `limit` bytes. */
export async function bodyText(body: ApiRequest['body'], limit: number): Promise<string> {
  if (body == null) return '';
  if (typeof body === 'string') {
    if (Buffer.byteLength(body) > limit) throw new RangeError(`request body over ${limit} bytes`);
    return body;
  }
  if (body instanceof Uint8Array) {
    if (body.length > limit) throw new RangeError(`request body over ${limit} bytes`);
    return Buffer.from(body).toString('utf8');
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > limit) throw new RangeError(`request body over ${limit} bytes`);
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A body as a byte stream, whatever form it arrived in. */
export async function* bodyStream(body: ApiRequest['body']): AsyncIterable<Uint8Array> {
  if (body == null) return;
  if (typeof body === 'string') yield Buffer.from(body);
  else if (body instanceof Uint8Array) yield body;
  else yield* body;
}

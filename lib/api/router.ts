// The framework-free router: `createApi(deps).handle(request) → response`. Matches the route table
// (routes.ts), authenticates, validates params/query/body with the route's zod schemas, runs the
// handler and maps errors to JSON problems. One instance serves `memq serve` and the Lambda.
import { z } from 'zod';
import type { Platform } from '../platform/service';
import { PlatformError, RateLimited, type ErrorKind } from '../platform/errors';
import { isMemqError } from '../util/errors';
import { redactPaths } from '../util/redact';
import type { Subject } from '../platform/authz';
import type { DataPlane } from '../dataplane/types';
import type { Authenticator } from './identity';
import { bearer } from './identity';
import { API_PREFIX, bodyText, json, type ApiRequest, type ApiResponse } from './http';
export { API_PREFIX };
import { routes, type RouteDef } from './routes';
import { openApiDocument } from './openapi';

/** JSON bodies above this are refused (uploads stream through their own route). */
const MAX_JSON_BODY = 8 << 20;

export interface ApiDeps {
  platform: Platform;
  data: DataPlane;
  auth: Authenticator;
  /** validate handler output against the route's response schema (tests turn this on) */
  validateResponses?: boolean;
  /** allow POST /auth/login with e-mail + password (local); off behind Cognito */
  localSignIn?: boolean;
}

export interface HandlerContext {
  deps: ApiDeps;
  subject: Subject;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  req: ApiRequest;
}

interface Compiled {
  def: RouteDef;
  re: RegExp;
  names: string[];
}

function compile(def: RouteDef): Compiled {
  const names: string[] = [];
  const re = new RegExp(
    '^' +
      def.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      }) +
      '$',
  );
  return { def, re, names };
}

function problem(status: number, code: string, message: string, extra: Record<string, unknown> = {}): ApiResponse {
  return json(status, { error: { code, message, ...extra } });
}

export interface Api {
  handle(req: ApiRequest): Promise<ApiResponse>;
  openapi(): object;
}

export function createApi(deps: ApiDeps): Api {
  const table = routes.map(compile);
  let doc: object | null = null;
  const openapi = () => (doc ??= openApiDocument(routes, API_PREFIX));

  async function handle(req: ApiRequest): Promise<ApiResponse> {
    const method = req.method.toUpperCase();
    if (!req.path.startsWith(API_PREFIX)) return problem(404, 'E_NOT_FOUND', `no such path ${req.path}`);
    const rel = req.path.slice(API_PREFIX.length) || '/';
    if (method === 'GET' && rel === '/openapi.json') return json(200, openapi());
    let allowed = false;
    for (const c of table) {
      const m = c.re.exec(rel);
      if (!m) continue;
      allowed = true;
      if (c.def.method !== method) continue;
      const params: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        // malformed %-encoding (`%E0%A4%A`) is the client's mistake, not a server error
        return problem(400, 'E_INVALID', 'the path has malformed %-encoding');
      }
      return run(c.def, params, req);
    }
    return allowed ? problem(405, 'E_METHOD', `${method} is not allowed on ${rel}`) : problem(404, 'E_NOT_FOUND', `no such route ${method} ${rel}`);
  }

  async function run(def: RouteDef, rawParams: Record<string, string>, req: ApiRequest): Promise<ApiResponse> {
    try {
      let subject: Subject | null = null;
      if (def.auth !== false) {
        const user = await deps.auth.authenticate(req.headers ?? {});
        if (!user) return problem(401, 'E_UNAUTHENTICATED', bearer(req.headers ?? {}) ? 'the token is not valid (expired or revoked?)' : 'sign in first: send Authorization: Bearer <token>');
        subject = await deps.platform.subject(user);
      }
      const params = def.params ? parse(def.params, rawParams, 'path') : rawParams;
      const query = def.query ? parse(def.query, req.query ?? {}, 'query string') : {};
      let body: unknown = undefined;
      if (def.body) {
        let text: string;
        try {
          text = await bodyText(req.body, MAX_JSON_BODY);
        } catch (e) {
          return problem(413, 'E_TOO_LARGE', (e as Error).message);
        }
        let raw: unknown;
        try {
          raw = text ? JSON.parse(text) : {};
        } catch {
          return problem(400, 'E_INVALID', 'the request body is not valid JSON');
        }
        body = parse(def.body, raw, 'body');
      }
      const out = await def.handler({ deps, subject: subject as Subject, params: params as Record<string, string>, query: query as Record<string, unknown>, body, req });
      if (out && typeof out === 'object' && 'status' in out && 'headers' in out && 'body' in out && (out as { raw?: boolean }).raw) {
        const { raw: _r, ...resp } = out as ApiResponse & { raw: true };
        return resp;
      }
      if (def.paged) {
        // a list: the body is this page's items (an array, as before paging), the cursor of the next
        // (older) page is the x-next-cursor header — absent on the last page
        const pg = out as { items: unknown[]; next: string | null };
        if (deps.validateResponses) {
          const r = def.response.safeParse(pg.items);
          if (!r.success) return problem(500, 'E_RESPONSE_SHAPE', `response of ${def.method} ${def.path} does not match its schema: ${z.prettifyError(r.error)}`);
        }
        return json(def.status ?? 200, pg.items, pg.next ? { 'x-next-cursor': pg.next } : {});
      }
      if (deps.validateResponses) {
        const r = def.response.safeParse(out);
        if (!r.success) return problem(500, 'E_RESPONSE_SHAPE', `response of ${def.method} ${def.path} does not match its schema: ${z.prettifyError(r.error)}`);
      }
      return json(def.status ?? 200, out);
    } catch (e) {
      return toProblem(e);
    }
  }

  return { handle, openapi };
}

class ValidationError extends PlatformError {
  constructor(readonly where: string, readonly issues: z.core.$ZodIssue[]) {
    super('invalid', `invalid ${where}: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(where, r.error.issues);
  return r.data;
}

/** The HTTP status of each kind of platform error: HTTP is this layer's business, not the platform's. */
const httpStatus: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  internal: 500,
  not_implemented: 501,
  unavailable: 503,
  rate_limited: 429,
};

export function toProblem(e: unknown): ApiResponse {
  if (e instanceof ValidationError) return problem(400, 'E_INVALID', e.message, { issues: e.issues.map((i) => ({ path: i.path.map(String), message: i.message })) });
  // messages never show server paths (a store file, an upload); query errors with a position are about
  // the caller's own text and are left whole
  if (e instanceof RateLimited) {
    const r = problem(429, e.code, e.message);
    r.headers['retry-after'] = String(e.retryAfter);
    return r;
  }
  if (e instanceof PlatformError) return problem(httpStatus[e.kind], e.code, redactPaths(e.message));
  if (isMemqError(e)) {
    const q = e as unknown as { line?: unknown; column?: unknown; suggestions?: unknown; detail?: unknown };
    const position = typeof q.line === 'number' && typeof q.column === 'number' ? { line: q.line, column: q.column } : undefined;
    return problem(400, e.code, position ? e.message : redactPaths(e.message), position ? { position, suggestions: q.suggestions ?? [] } : {});
  }
  // a bug: log server-side, never leak a stack to the client
  console.error('memq api: unexpected error', e);
  return problem(500, 'E_INTERNAL', 'internal error (logged on the server)');
}

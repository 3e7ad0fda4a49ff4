// OpenAPI 3.1 document generated from the route table's zod schemas (zod 4's JSON Schema output), so
// the documentation cannot drift from what the router validates.
import { z } from 'zod';
import type { RouteDef } from './routes';

function schema(t: z.ZodType, io: 'input' | 'output'): object {
  return z.toJSONSchema(t, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as object;
}

export function openApiDocument(routes: readonly RouteDef[], prefix: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const parameters: object[] = [];
    const addParams = (s: z.ZodObject | undefined, where: 'path' | 'query') => {
      if (!s) return;
      for (const [name, t] of Object.entries(s.shape as Record<string, z.ZodType>)) {
        parameters.push({ name, in: where, required: where === 'path' || !t.safeParse(undefined).success, schema: schema(t, 'input') });
      }
    };
    addParams(r.params, 'path');
    addParams(r.query, 'query');
    const op: Record<string, unknown> = {
      operationId: r.id,
      summary: r.summary,
      tags: [r.tag],
      parameters,
      responses: {
        [String(r.status ?? 200)]: {
          description: r.paged ? 'OK: one page, newest first; continue with ?before=<x-next-cursor> while that header is present' : 'OK',
          ...(r.paged ? { headers: { 'x-next-cursor': { description: 'cursor of the next (older) page; absent on the last page', schema: { type: 'string' } } } } : {}),
          content: r.rawResponse ? { [r.rawResponse]: {} } : { 'application/json': { schema: schema(r.response, 'output') } } },
        '400': { description: 'invalid input (validation issues, query errors with position)' },
        ...(r.auth === false ? {} : { '401': { description: 'not signed in' }, '403': { description: 'not allowed' }, '404': { description: 'not found (or not visible to you)' } }),
      },
    };
    if (r.auth !== false) op.security = [{ bearer: [] }];
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } };
    if (r.rawBody) op.requestBody = { required: true, content: { [r.rawBody]: { schema: { type: 'string', format: 'binary' } } } };
    (paths[prefix + r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'memq API', version: require('../../package.json').version, description: 'One API for memq serve (local) and API Gateway (cloud).' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'memq API token (local) or Cognito JWT (cloud)' } } },
    paths,
  };
}

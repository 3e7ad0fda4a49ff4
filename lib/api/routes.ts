// Every API route, once: method, path, zod schemas for params/query/body/response, and a short handler
// that calls the platform (collaboration, authorization, audit) and the data plane (analysis, queries).
// The OpenAPI document (openapi.ts) is generated from this table.
import { z } from 'zod';
import { tables, objects, tableNames, type ColumnDef, type TableName } from '../model';
import {
  ApiToken,
  AuditEvent,
  CustomPlaybook,
  Machine,
  Membership,
  Project,
  ResultSet,
  Role,
  SavedQuery,
  Share,
  ShareableKind,
  Snapshot,
  Tags,
  Tlp,
  tlpLabels,
} from '../platform/model';
import { PlatformError, invalid } from '../platform/errors';
import { compileRules } from '../yara/engine';
import { keywords, wordOperators } from '../query';
import type { Subject } from '../platform/authz';
import { auditDetail, type Platform } from '../platform/service';
import type { HandlerContext } from './router';
import { bodyStream, json, type ApiResponse } from './http';
import { csvField, isNumeric } from '../util/csv';
import { customPlaybookInfo, runnablePlaybook, validatePlaybookYaml } from './custom-playbooks';
import { OVERVIEW_SECTIONS, type OverviewPages } from '../store/overview';
import { nextOffsetOf } from '../dataplane/page-bytes';
import { HuntJobSchema, HuntSummarySchema, IocJobSchema, MAX_PAGE_BYTES, PageSchema, PlaybookInfoSchema, PositionSchema, ProcessViewSchema, QueryJobSchema } from '../model/jobs';
import { SECTION_ROWS } from '../dataplane/process-view';
import { findingHtml, huntHtml } from '../hunt/html-report';
import { huntFindings } from '../hunt/report';
import { findChromium, htmlToPdf, NO_CHROMIUM } from '../util/chromium-pdf';
import { visibleSummary } from '../hunt/snapshot-summary';
import { MAX_SUMMARY_LOOKUP } from '../dataplane/hunt-summaries';

export interface RouteDef {
  id: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  summary: string;
  tag: string;
  auth?: false;
  status?: number;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** content type of a streamed request body (uploads), documented in OpenAPI */
  rawBody?: string;
  /** content type of a non-JSON response */
  rawResponse?: string;
  /** a list: the handler returns a page {items, next}; the body is the items, x-next-cursor the next page */
  paged?: true;
  response: z.ZodType;
  handler(ctx: HandlerContext): Promise<unknown>;
}

const Id = z.string().min(1).max(128);
const IdParam = z.object({ id: Id });
const Ok = z.object({ ok: z.literal(true) });
const PublicUser = z.object({ id: z.string(), org_id: z.string(), email: z.string(), name: z.string(), org_admin: z.boolean(), external_id: z.string().optional(), disabled_at: z.string().nullable().optional(), created_at: z.string() });
const int = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);
/** Paging of every list: newest first, `before` = the previous page's x-next-cursor. */
const pageQuery = (dflt: number) => ({ limit: int(1, 1000, dflt), before: Id.optional() });
const Scope = z
  .object({
    snapshot_ids: z.array(Id).min(1).max(1000).optional(),
    machine_id: Id.optional(),
    project_id: Id.optional(),
    all: z.boolean().optional(),
  })
  .refine((s) => s.snapshot_ids || s.machine_id || s.project_id || s.all, { message: 'choose a scope: snapshot_ids, machine_id, project_id or all' });
const PlaybookOut = PlaybookInfoSchema.extend({
  /** custom playbooks only: where it lives, its classification and its YAML; `error` when the YAML no longer validates */
  custom: z.literal(true).optional(), project_id: z.string().optional(), classification: Tlp.optional(), tags: Tags.optional(), slug: z.string().optional(),
  yaml: z.string().optional(), created_by: z.string().optional(), created_at: z.string().optional(), error: z.string().optional(),
});
const PlaybookYaml = z.string().min(1).max(100_000);
const ProjectOut = Project.extend({ role: Role.nullable() });
const PageOut = PageSchema;
const Position = PositionSchema.nullable();
const QueryJobOut = QueryJobSchema;
const HuntJobOut = HuntJobSchema;
const IocJobOut = IocJobSchema;
const UploadId = z.string().min(1).max(1024);
const PartRange = { first_part: z.coerce.number().int().min(1).max(10_000).default(1), part_count: z.coerce.number().int().min(1).max(1000).default(100) };
const MultipartOut = z.object({
  upload_id: z.string(),
  part_size: z.number(),
  part_count: z.number(),
  parts: z.array(z.object({ part_number: z.number(), url: z.string(), offset: z.number(), length: z.number() })),
});

/** The project an audit event about a scoped action belongs to: the scope's, or the one all snapshots share. */
function scopeProject(scope: z.infer<typeof Scope>, snaps: { project_id: string }[]): string | null {
  if (scope.project_id) return scope.project_id;
  const ps = new Set(snaps.map((s) => s.project_id));
  return ps.size === 1 ? [...ps][0]! : null;
}

/** A snapshot the caller may update that still waits for its dump. */
async function uploadingSnapshot(p: Platform, s: Subject, id: string) {
  const snap = await p.getSnapshot(s, id, 'update');
  if (snap.status !== 'uploading') throw new PlatformError('conflict', `snapshot is ${snap.status}, not waiting for an upload`);
  return snap;
}

/**
 * The custom playbooks a hunt runs: those the caller may read right now (decide(), so a revoked share or
 * a reclassification takes effect at once), narrowed to the requested ids. A requested custom id the
 * caller cannot read is "not found", like an unreadable snapshot in the scope.
 */
async function huntCustomPlaybooks(p: Platform, s: Subject, ids: string[] | undefined) {
  const readable = await p.readablePlaybooks(s);
  const chosen = ids ? readable.filter((r) => ids.includes(r.id)) : readable;
  if (ids) for (const id of ids) if (id.startsWith('pbk_') && !chosen.some((r) => r.id === id)) await p.getClassified(s, 'playbook', id);
  const out = [];
  // a stored playbook that no longer compiles is skipped when hunting everything, refused when asked for by id
  for (const r of chosen) {
    try {
      out.push(runnablePlaybook(r));
    } catch (e) {
      if (ids) throw e;
    }
  }
  return out;
}

/**
 * What a query or IOC search looked for (its text, its values) goes to the audit log unless a TLP:RED
 * snapshot is in scope: admins and project owners read the log but may not read RED, and the search
 * terms are RED content too. The event still names the snapshots and the job.
 */
function scopeDetail(snaps: { classification: string }[], detail: Record<string, unknown>): Record<string, unknown> {
  return snaps.some((s) => s.classification === 'RED') ? { redacted: true } : detail;
}

/** A report as the download it is: the HTML itself, or the PDF headless Chromium prints from it (501 without one). */
async function reportResponse(html: string, name: string, format: 'html' | 'pdf') {
  const headers = (type: string) => ({ 'content-type': type, 'content-disposition': `attachment; filename="${name}.${format}"`, 'cache-control': 'no-store' });
  if (format === 'html') return { status: 200, headers: headers('text/html; charset=utf-8'), body: html, raw: true as const };
  const chromium = findChromium();
  if (!chromium) throw new PlatformError('not_implemented', NO_CHROMIUM);
  return { status: 200, headers: headers('application/pdf'), body: new Uint8Array(await htmlToPdf(html, { chromium })), raw: true as const };
}

async function readableScope(p: Platform, s: Subject, scope: z.infer<typeof Scope>) {
  const snaps = await p.readableSnapshots(s, scope);
  return snaps.filter((x) => x.status === 'ready');
}

function route<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined, R extends z.ZodType>(
  d: Omit<RouteDef, 'handler' | 'params' | 'query' | 'body' | 'response'> & {
    params?: P;
    query?: Q;
    body?: B;
    response: R;
    handler(ctx: HandlerContext & {
      params: P extends z.ZodObject ? z.infer<P> : Record<string, string>;
      query: Q extends z.ZodObject ? z.infer<Q> : Record<string, unknown>;
      body: B extends z.ZodType ? z.infer<B> : undefined;
    }): Promise<z.input<R> | (ApiResponse & { raw: true }) | { items: z.input<R>; next: string | null }>;
  },
): RouteDef {
  return d as unknown as RouteDef;
}

/** The model catalog as the UI and API clients need it (completion, column headers, docs). */
export function catalogView() {
  return {
    tables: Object.fromEntries(
      tableNames.map((t) => [
        t,
        {
          doc: tables[t].doc,
          platform: tables[t].platform,
          columns: Object.entries(tables[t].columns as Record<string, ColumnDef>).map(([name, c]) => ({ name, kind: c.kind, doc: c.doc, nullable: c.nullable, platform: c.platform })),
        },
      ]),
    ),
    objects: Object.fromEntries(
      Object.entries(objects).map(([name, o]) => [
        name,
        {
          doc: o.doc,
          primary: o.primary,
          default_columns: o.defaultColumns,
          sub_objects: Object.fromEntries(
            Object.entries(o.subObjects).map(([sn, so]) => [sn, { table: so.table, cardinality: so.cardinality, doc: so.doc, fields: Object.keys(tables[so.table].columns) }]),
          ),
        },
      ]),
    ),
    tlp: [...tlpLabels],
    /** words of the query language, for editor completion */
    keywords: [...keywords, ...wordOperators],
  };
}

const CatalogOut = z.object({
  tables: z.record(z.string(), z.object({ doc: z.string(), platform: z.string(), columns: z.array(z.object({ name: z.string(), kind: z.string(), doc: z.string(), nullable: z.boolean(), platform: z.string() })) })),
  objects: z.record(z.string(), z.object({ doc: z.string(), primary: z.string(), default_columns: z.array(z.string()), sub_objects: z.record(z.string(), z.object({ table: z.string(), cardinality: z.string(), doc: z.string(), fields: z.array(z.string()) })) })),
  tlp: z.array(z.string()),
  keywords: z.array(z.string()),
});

const TableParam = z.object({ id: Id, table: z.enum(tableNames as [TableName, ...TableName[]]) });

export const routes: RouteDef[] = [
  // ------------------------------------------------------------------ service
  route({ id: 'health', method: 'GET', path: '/health', summary: 'liveness', tag: 'service', auth: false, response: z.object({ ok: z.literal(true), version: z.string() }), handler: async () => ({ ok: true as const, version: require('../../package.json').version }) }),
  route({ id: 'catalog', method: 'GET', path: '/catalog', summary: 'the object catalog: tables, columns, query objects and sub-objects', tag: 'service', response: CatalogOut, handler: async () => catalogView() }),

  // ------------------------------------------------------------------ identity
  route({
    id: 'login', method: 'POST', path: '/auth/login', summary: 'sign in with e-mail and password (local), returns an API token', tag: 'identity', auth: false,
    body: z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1000) }),
    response: z.object({ token: z.string(), user: PublicUser }),
    handler: async ({ deps, body, req }) => {
      if (!deps.localSignIn) throw new PlatformError('not_implemented', 'password sign-in is disabled here: use the identity provider (Cognito)');
      return deps.platform.login(body.email, body.password, req.client);
    },
  }),
  route({
    id: 'logout', method: 'POST', path: '/auth/logout', summary: 'revoke the token used for this request', tag: 'identity', response: Ok,
    handler: async ({ deps, req }) => {
      const t = (req.headers?.authorization ?? '').replace(/^Bearer\s+/i, '');
      if (t.startsWith('memq_')) await deps.platform.logout(t);
      return { ok: true as const };
    },
  }),
  route({
    id: 'me', method: 'GET', path: '/me', summary: 'the signed-in user and their projects', tag: 'identity',
    response: z.object({ user: PublicUser, projects: z.array(ProjectOut) }),
    handler: async ({ deps, subject }) => ({ user: (({ password_hash: _p, ...u }) => u)(subject.user), projects: await deps.platform.listProjects(subject) }),
  }),
  route({
    id: 'createToken', method: 'POST', path: '/tokens', summary: 'create a long-lived API token for scripts', tag: 'identity', status: 201,
    body: z.object({ name: z.string().min(1).max(200), expires_in_days: z.number().int().min(1).max(365).optional() }), response: z.object({ token: z.string() }),
    handler: async ({ deps, subject, body }) => ({ token: await deps.platform.createApiToken(subject, body.name, body.expires_in_days) }),
  }),
  route({
    id: 'listTokens', method: 'GET', path: '/tokens', summary: 'my sign-in and API tokens (ids are digests; the secrets are never stored)', tag: 'identity',
    response: z.array(ApiToken), handler: async ({ deps, subject }) => deps.platform.listTokens(subject),
  }),
  route({
    id: 'revokeToken', method: 'DELETE', path: '/tokens/{id}', summary: 'revoke one of my tokens (org admins: any token of the organization)', tag: 'identity', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.revokeToken(subject, params.id), { ok: true as const }),
  }),
  route({
    id: 'changePassword', method: 'PUT', path: '/me/password', summary: 'change my password (my other tokens stop working)', tag: 'identity',
    body: z.object({ current_password: z.string().min(1).max(1000), new_password: z.string().min(1).max(1000) }), response: Ok,
    handler: async ({ deps, subject, body, req }) => {
      const t = (req.headers?.authorization ?? '').replace(/^Bearer\s+/i, '');
      await deps.platform.changePassword(subject, body.current_password, body.new_password, t.startsWith('memq_') ? t : undefined, req.client);
      return { ok: true as const };
    },
  }),
  route({
    id: 'updateUser', method: 'PUT', path: '/users/{id}', summary: 'disable or re-enable an account (org admin; disabling ends its tokens)', tag: 'identity', params: IdParam,
    body: z.object({ disabled: z.boolean() }), response: PublicUser,
    handler: async ({ deps, subject, params, body }) => deps.platform.setUserDisabled(subject, params.id, body.disabled),
  }),
  route({
    id: 'deleteUser', method: 'DELETE', path: '/users/{id}', summary: 'delete an account (org admin): memberships and tokens go, what it created stays', tag: 'identity', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.deleteUser(subject, params.id), { ok: true as const }),
  }),
  route({ id: 'listUsers', method: 'GET', path: '/users', summary: 'users of my organization', tag: 'identity', response: z.array(PublicUser), handler: async ({ deps, subject }) => deps.platform.listUsers(subject) }),
  route({
    id: 'createUser', method: 'POST', path: '/users', summary: 'add a user to my organization (org admin)', tag: 'identity', status: 201,
    body: z.object({ email: z.string().email(), name: z.string().min(1).max(200), password: z.string().min(8).max(1000).optional(), org_admin: z.boolean().optional() }),
    response: PublicUser,
    handler: async ({ deps, subject, body }) => deps.platform.createUser(subject, body),
  }),

  // ------------------------------------------------------------------ projects and machines
  route({ id: 'listProjects', method: 'GET', path: '/projects', summary: 'projects I can see', tag: 'projects', response: z.array(ProjectOut), handler: async ({ deps, subject }) => deps.platform.listProjects(subject) }),
  route({
    id: 'createProject', method: 'POST', path: '/projects', summary: 'create a project (you become its owner)', tag: 'projects', status: 201,
    body: z.object({ name: z.string().min(1).max(200), description: z.string().max(2000).optional() }), response: Project,
    handler: async ({ deps, subject, body }) => deps.platform.createProject(subject, body),
  }),
  route({ id: 'getProject', method: 'GET', path: '/projects/{id}', summary: 'one project', tag: 'projects', params: IdParam, response: Project, handler: async ({ deps, subject, params }) => deps.platform.getProject(subject, params.id) }),
  route({
    id: 'listMembers', method: 'GET', path: '/projects/{id}/members', summary: 'members and roles', tag: 'projects', params: IdParam,
    response: z.array(Membership.extend({ email: z.string(), name: z.string() })),
    handler: async ({ deps, subject, params }) => deps.platform.listMembers(subject, params.id),
  }),
  route({
    id: 'setMember', method: 'PUT', path: '/projects/{id}/members', summary: 'add a member or change their role (project owner)', tag: 'projects', params: IdParam,
    body: z.object({ user_id: Id.optional(), email: z.string().optional(), role: Role }).refine((b) => b.user_id || b.email, { message: 'user_id or email' }),
    response: Membership,
    handler: async ({ deps, subject, params, body }) => deps.platform.setMember(subject, params.id, body),
  }),
  route({
    id: 'removeMember', method: 'DELETE', path: '/projects/{id}/members/{user_id}', summary: 'remove a member (project owner)', tag: 'projects',
    params: z.object({ id: Id, user_id: Id }), response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.removeMember(subject, params.id, params.user_id), { ok: true as const }),
  }),
  route({ id: 'listMachines', method: 'GET', path: '/projects/{id}/machines', summary: 'machines of a project', tag: 'projects', params: IdParam, response: z.array(Machine), handler: async ({ deps, subject, params }) => deps.platform.listMachines(subject, params.id) }),
  route({
    id: 'projectHuntSummaries', method: 'GET', path: '/projects/{id}/hunt-summaries',
    summary: 'the latest hunt over each snapshot of the project that I may read (the fleet overview): when it finished, which hunt, distinct hit rows and the highest severity, per fired playbook and in total, newest first. Kept when a hunt finishes, after the hunt job itself has expired; custom playbooks I may not read do not count',
    tag: 'hunt', params: IdParam, query: z.object({ snapshot_id: Id.optional() }),
    response: z.array(HuntSummarySchema),
    handler: async ({ deps, subject, params, query }) => {
      const project = await deps.platform.getProject(subject, params.id); // another org's project: not found
      const snaps = (await deps.platform.readableSnapshots(subject, { project_id: project.id }))
        .filter((sn) => !query.snapshot_id || sn.id === query.snapshot_id)
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .slice(0, MAX_SUMMARY_LOOKUP);
      const stored = await deps.data.huntSummaries(snaps.map((sn) => sn.id));
      const bundled = new Set((await deps.data.playbooks()).map((p) => p.id));
      const custom = new Set((await deps.platform.readablePlaybooks(subject)).map((p) => p.id));
      const out = [];
      for (const sn of snaps) {
        const sum = stored.get(sn.id);
        // a summary older than the snapshot record belongs to a deleted snapshot that had the same id
        if (sum && Date.parse(sum.finished_at) >= Date.parse(sn.created_at)) out.push(visibleSummary(sum, (id) => bundled.has(id) || custom.has(id)));
      }
      return out.sort((a, b) => b.finished_at.localeCompare(a.finished_at));
    },
  }),
  route({
    id: 'createMachine', method: 'POST', path: '/projects/{id}/machines', summary: 'add a machine', tag: 'projects', params: IdParam, status: 201,
    body: z.object({ name: z.string().min(1).max(200), os: Machine.shape.os.optional() }), response: Machine,
    handler: async ({ deps, subject, params, body }) => deps.platform.createMachine(subject, params.id, body),
  }),

  // ------------------------------------------------------------------ snapshots
  route({
    id: 'listSnapshots', method: 'GET', path: '/snapshots', summary: 'snapshots I can read (optionally of one project or machine)', tag: 'snapshots',
    query: z.object({ project_id: Id.optional(), machine_id: Id.optional(), ...pageQuery(1000) }), response: z.array(Snapshot), paged: true,
    handler: async ({ deps, subject, query }) => deps.platform.listSnapshots(subject, query, query),
  }),
  route({
    id: 'createSnapshot', method: 'POST', path: '/snapshots', summary: 'register a dump upload; returns where to send the bytes', tag: 'snapshots', status: 201,
    body: z.object({
      project_id: Id, machine_id: Id.optional(), machine_name: z.string().min(1).max(200).optional(), name: z.string().min(1).max(200).optional(),
      dump_name: z.string().min(1).max(500), size: z.number().int().min(1), classification: Tlp.optional(), tags: Tags.optional(),
      yara_rules: z.string().min(1).max(65536).optional(),
    }),
    response: z.object({ snapshot: Snapshot, upload: z.object({ method: z.enum(['PUT', 'POST']), url: z.string(), headers: z.record(z.string(), z.string()).optional(), via_api: z.boolean(), multipart: z.boolean().optional() }) }),
    handler: async ({ deps, subject, body }) => {
      // rules are compiled now so a broken one is a 400 naming its line and column, not a failed analysis later
      if (body.yara_rules) {
        try {
          (await compileRules([{ name: 'yara_rules', text: body.yara_rules }])).free();
        } catch (e) {
          throw invalid((e as Error).message);
        }
      }
      const snapshot = await deps.platform.createSnapshot(subject, body);
      return { snapshot, upload: await deps.data.uploadTarget(snapshot) };
    },
  }),
  route({ id: 'getSnapshot', method: 'GET', path: '/snapshots/{id}', summary: 'one snapshot with status and progress', tag: 'snapshots', params: IdParam, response: Snapshot, handler: async ({ deps, subject, params }) => deps.platform.getSnapshot(subject, params.id) }),
  route({
    id: 'uploadSnapshot', method: 'PUT', path: '/snapshots/{id}/content', summary: 'stream the dump bytes (local uploads); analysis starts when the body ends', tag: 'snapshots',
    params: IdParam, rawBody: 'application/octet-stream', response: Snapshot,
    handler: async ({ deps, subject, params, req }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id, 'update');
      if (snap.status !== 'uploading') throw new PlatformError('conflict', `snapshot is ${snap.status}, not waiting for an upload`);
      if (!deps.data.receiveUpload) throw new PlatformError('not_implemented', 'uploads go directly to storage here: use the URL from POST /snapshots');
      let last = 0;
      const size = await deps.data.receiveUpload(snap, bodyStream(req.body), (n) => {
        if (n - last > 8 << 20) {
          last = n;
          void deps.platform.updateSnapshotStatus(snap.id, { progress: Math.min(1, n / Math.max(1, snap.size)), stage: 'uploading' });
        }
      });
      const next = await deps.platform.updateSnapshotStatus(snap.id, { status: 'analyzing', progress: 0, stage: 'queued for analysis', size });
      await deps.data.startAnalysis(next, async (patch) => void (await deps.platform.updateSnapshotStatus(snap.id, patch)));
      return next;
    },
  }),
  route({
    id: 'completeUpload', method: 'POST', path: '/snapshots/{id}/complete', summary: 'tell the service a direct-to-storage upload finished; starts analysis', tag: 'snapshots',
    params: IdParam, response: Snapshot,
    handler: async ({ deps, subject, params }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id, 'update');
      if (snap.status !== 'uploading') throw new PlatformError('conflict', `snapshot is ${snap.status}, not waiting for an upload`);
      const next = await deps.platform.updateSnapshotStatus(snap.id, { status: 'analyzing', progress: 0, stage: 'queued for analysis' });
      await deps.data.startAnalysis(next, async (patch) => void (await deps.platform.updateSnapshotStatus(snap.id, patch)));
      return next;
    },
  }),
  // Dumps over 5 GiB (one presigned PUT's limit) go to storage in parts: create → PUT each part to its
  // presigned URL (more URLs on request) → complete with the ETags (starts analysis) or abort.
  route({
    id: 'createMultipartUpload', method: 'POST', path: '/snapshots/{id}/multipart', summary: 'start a multipart upload of a large dump (cloud); presigned URLs for a range of parts', tag: 'snapshots', status: 201,
    params: IdParam, body: z.object(PartRange), response: MultipartOut,
    handler: async ({ deps, subject, params, body }) => {
      const snap = await uploadingSnapshot(deps.platform, subject, params.id);
      return deps.data.createMultipart(snap, body);
    },
  }),
  route({
    id: 'multipartParts', method: 'GET', path: '/snapshots/{id}/multipart/parts', summary: 'presigned URLs for more parts of a multipart upload', tag: 'snapshots',
    params: IdParam, query: z.object({ upload_id: UploadId, ...PartRange }), response: MultipartOut,
    handler: async ({ deps, subject, params, query }) => {
      const snap = await uploadingSnapshot(deps.platform, subject, params.id);
      return deps.data.multipartParts(snap, query.upload_id, { first_part: query.first_part, part_count: query.part_count });
    },
  }),
  route({
    id: 'completeMultipartUpload', method: 'POST', path: '/snapshots/{id}/multipart/complete', summary: 'finish a multipart upload with the parts\' ETags; starts analysis', tag: 'snapshots',
    params: IdParam, body: z.object({ upload_id: UploadId, parts: z.array(z.object({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) })).min(1).max(10_000) }),
    response: Snapshot,
    handler: async ({ deps, subject, params, body }) => {
      const snap = await uploadingSnapshot(deps.platform, subject, params.id);
      await deps.data.completeMultipart(snap, body.upload_id, body.parts);
      const next = await deps.platform.updateSnapshotStatus(snap.id, { status: 'analyzing', progress: 0, stage: 'queued for analysis' });
      await deps.data.startAnalysis(next, async (patch) => void (await deps.platform.updateSnapshotStatus(snap.id, patch)));
      return next;
    },
  }),
  route({
    id: 'abortMultipartUpload', method: 'DELETE', path: '/snapshots/{id}/multipart', summary: 'abort a multipart upload (stored parts are discarded)', tag: 'snapshots',
    params: IdParam, query: z.object({ upload_id: UploadId }), response: Ok,
    handler: async ({ deps, subject, params, query }) => {
      const snap = await uploadingSnapshot(deps.platform, subject, params.id);
      await deps.data.abortMultipart(snap, query.upload_id);
      return { ok: true as const };
    },
  }),
  route({
    id: 'createExport', method: 'POST', path: '/snapshots/{id}/exports',
    summary: 'export evidence from an analyzed snapshot (as `memq dump`): process memory regions + map, executables and libraries rebuilt from memory, page-cache files; returns the manifest (sha256, holes, provenance of each file). Local server only (the dump is on this machine)',
    tag: 'snapshots', status: 201, params: IdParam,
    body: z.object({
      pids: z.array(z.number().int().min(0).max(2 ** 31 - 1)).max(16).default([]),
      files: z.array(z.string().min(1).max(4096).startsWith('/')).max(64).default([]),
      regions: z.boolean().default(true),
      images: z.boolean().default(true),
      open_files: z.boolean().default(false),
    }),
    response: z.object({ export_id: z.string(), manifest: z.record(z.string(), z.unknown()) }),
    handler: async ({ deps, subject, params, body }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id);
      if (!deps.data.exportEvidence) throw new PlatformError('not_implemented', 'evidence exports need the dump on this machine: run memq dump where the dump is (local server or CLI)');
      if (body.pids.length === 0 && body.files.length === 0) throw invalid('name processes (pids) or files to export');
      const r = await deps.data.exportEvidence(snap, body);
      await deps.platform.audit(subject.user, 'snapshot.export', 'snapshot', snap.id, snap.project_id, { export_id: r.export_id, pids: body.pids, files: body.files });
      return r;
    },
  }),
  route({
    id: 'exportFile', method: 'GET', path: '/snapshots/{id}/exports/{export_id}/file', summary: 'one file of an evidence export (a path its manifest lists, or manifest.json), as bytes', tag: 'snapshots',
    params: z.object({ id: Id, export_id: z.string().min(1).max(64) }),
    query: z.object({ path: z.string().min(1).max(4096) }),
    rawResponse: 'application/octet-stream',
    response: z.unknown(),
    handler: async ({ deps, subject, params, query }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id);
      if (!deps.data.exportFile) throw new PlatformError('not_implemented', 'evidence exports need the dump on this machine');
      const bytes = await deps.data.exportFile(snap, params.export_id, query.path);
      const name = query.path.split('/').pop()!.replace(/[^A-Za-z0-9._-]/g, '_');
      return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' }, body: bytes, raw: true as const };
    },
  }),
  route({
    id: 'deleteSnapshot', method: 'DELETE', path: '/snapshots/{id}', summary: 'delete a snapshot and its data', tag: 'snapshots', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => {
      const snap = await deps.platform.deleteSnapshot(subject, params.id);
      await deps.data.deleteData(snap);
      return { ok: true as const };
    },
  }),
  route({
    id: 'browseTable', method: 'GET', path: '/snapshots/{id}/tables/{table}', summary: 'rows of one object table, paged; filter with f.<column>=value', tag: 'snapshots',
    params: TableParam,
    query: z.object({ offset: int(0, 10_000_000, 0), limit: int(1, 10000, 200), order_by: z.string().max(64).optional(), desc: z.enum(['true', 'false']).optional() }).catchall(z.string().max(500)),
    response: PageOut,
    handler: async ({ deps, subject, params, query }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id);
      if (snap.status !== 'ready') throw new PlatformError('conflict', `snapshot is ${snap.status}`);
      const filter: Record<string, string> = {};
      for (const [k, v] of Object.entries(query)) if (k.startsWith('f.') && typeof v === 'string') filter[k.slice(2)] = v;
      const cols = tables[params.table].columns as Record<string, unknown>;
      for (const c of [...Object.keys(filter), ...(query.order_by ? [query.order_by] : [])]) if (!(c in cols)) throw invalid(`table ${params.table} has no column ${c}`);
      const page = await deps.data.browse(snap, params.table, { offset: query.offset, limit: query.limit, order_by: query.order_by, desc: query.desc === 'true', filter });
      return { ...page, next_offset: nextOffsetOf(page) };
    },
  }),

  route({
    id: 'snapshotOverview', method: 'GET', path: '/snapshots/{id}/overview', summary: `everything the overview page shows, in one round trip: processes (with flag_* columns), kernel modules, sockets, kernel log, hooked syscalls. Each section holds its first rows within a row and byte budget (${OVERVIEW_SECTIONS.map((s) => `${s.key} ≤ ${s.limit} rows / ${s.maxBytes / 1e6} MB`).join(', ')}); \`total\` counts every row — browse the table for the rest. Cloud: precomputed when the analysis finishes, served without a query`, tag: 'snapshots',
    params: IdParam,
    response: z.object({ snapshot: Snapshot, processes: PageOut, modules: PageOut, sockets: PageOut, kernel_log: PageOut, hooked_syscalls: PageOut }),
    handler: async ({ deps, subject, params }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id);
      if (snap.status !== 'ready') throw new PlatformError('conflict', `snapshot is ${snap.status}`);
      let pages: OverviewPages;
      if (deps.data.overview) pages = await deps.data.overview(snap);
      else {
        const got = await Promise.all(OVERVIEW_SECTIONS.map((s) => deps.data.browse(snap, s.table, { offset: 0, limit: s.limit, filter: s.filter })));
        pages = Object.fromEntries(OVERVIEW_SECTIONS.map((s, i) => [s.key, got[i]!])) as OverviewPages;
      }
      return { snapshot: snap, ...pages };
    },
  }),

  route({
    id: 'getProcess', method: 'GET', path: '/snapshots/{id}/processes/{pid}',
    summary: `one process for the process page: its row, parent chain (nearest first) and children, then one section per table the catalog joins to a process by pid (memory map, threads, libraries, handles on Windows, sockets, environment, open files, indicators, shell history on Linux), each at most ${SECTION_ROWS} rows with \`total\` counting all; memory regions that are W+X or hold a PE image outside an image mapping; with \`hunt\` (one of my finished hunts) that hunt's hits on this process with their evidence`,
    tag: 'snapshots',
    params: z.object({ id: Id, pid: z.coerce.number().int().min(0).max(2 ** 31 - 1) }),
    query: z.object({ hunt: Id.optional() }),
    response: ProcessViewSchema,
    handler: async ({ deps, subject, params, query }) => {
      const snap = await deps.platform.getSnapshot(subject, params.id);
      if (snap.status !== 'ready') throw new PlatformError('conflict', `snapshot is ${snap.status}`);
      return deps.data.process(snap, params.pid, { huntId: query.hunt, ownerId: subject.user.id });
    },
  }),

  // ------------------------------------------------------------------ classification and sharing
  route({
    id: 'classify', method: 'PUT', path: '/objects/{kind}/{id}/classification', summary: 'set the TLP label and tags (analyst or owner)', tag: 'sharing',
    params: z.object({ kind: ShareableKind, id: Id }), body: z.object({ classification: Tlp.optional(), tags: Tags.optional() }),
    response: z.object({ id: z.string(), classification: Tlp, tags: Tags }),
    handler: async ({ deps, subject, params, body }) => {
      const r = await deps.platform.classify(subject, params.kind, params.id, body);
      return { id: r.id, classification: r.classification, tags: r.tags };
    },
  }),
  route({
    id: 'listShares', method: 'GET', path: '/objects/{kind}/{id}/shares', summary: 'shares of an object (active and revoked)', tag: 'sharing',
    params: z.object({ kind: ShareableKind, id: Id }), query: z.object(pageQuery(1000)), response: z.array(Share), paged: true,
    handler: async ({ deps, subject, params, query }) => deps.platform.listShares(subject, params.kind, params.id, query),
  }),
  route({
    id: 'share', method: 'POST', path: '/objects/{kind}/{id}/shares', summary: 'share with a project or a user of my organization', tag: 'sharing', status: 201,
    params: z.object({ kind: ShareableKind, id: Id }),
    body: z.object({ target_kind: z.enum(['project', 'user']), target_id: Id.optional(), email: z.string().optional() }).refine((b) => b.target_id || b.email, { message: 'target_id or email' }),
    response: Share,
    handler: async ({ deps, subject, params, body }) => deps.platform.share(subject, params.kind, params.id, body),
  }),
  route({ id: 'revokeShare', method: 'DELETE', path: '/shares/{id}', summary: 'revoke a share', tag: 'sharing', params: IdParam, response: Share, handler: async ({ deps, subject, params }) => deps.platform.revokeShare(subject, params.id) }),
  route({
    id: 'sharedWithMe', method: 'GET', path: '/shared', summary: 'objects shared with me or my projects', tag: 'sharing',
    query: z.object(pageQuery(1000)), paged: true,
    response: z.array(z.object({ share: Share, kind: ShareableKind, item: z.object({ id: z.string(), name: z.string(), classification: Tlp, tags: Tags, project_id: z.string() }).passthrough() })),
    handler: async ({ deps, subject, query }) => deps.platform.sharedWithMe(subject, query),
  }),

  // ------------------------------------------------------------------ queries
  route({
    id: 'checkQuery', method: 'POST', path: '/query/check', summary: 'check a query without running it (errors with line/column)', tag: 'query',
    body: z.object({ text: z.string().max(20000) }),
    response: z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), message: z.string(), position: Position, suggestions: z.array(z.string()) })]),
    handler: async ({ deps, body }) => deps.data.checkQuery(body.text),
  }),
  route({
    id: 'startQuery', method: 'POST', path: '/queries', summary: 'run a query over a scope (async: poll GET /queries/{id})', tag: 'query', status: 202,
    body: z.object({ text: z.string().min(1).max(20000), scope: Scope }), response: QueryJobOut,
    handler: async ({ deps, subject, body }) => {
      const check = deps.data.checkQuery(body.text);
      if (!check.ok) return { ...json(400, { error: { code: 'E_QUERY', message: check.message, position: check.position, suggestions: check.suggestions } }), raw: true as const };
      const snaps = await readableScope(deps.platform, subject, body.scope);
      const job = await deps.data.startQuery(snaps, body.text, subject.user.id);
      await deps.platform.audit(subject.user, 'query.run', 'query', job.id, scopeProject(body.scope, snaps), { ...scopeDetail(snaps, { text: body.text }), snapshots: snaps.map((s) => s.id) });
      return job;
    },
  }),
  route({
    id: 'queryResults', method: 'GET', path: '/queries/{id}', summary: `status and a page of results of a query. A page holds at most \`limit\` rows and ${MAX_PAGE_BYTES / 1e6} MB of serialized rows (Lambda responses are ≤ 6 MB): continue at \`page.next_offset\` (CSV: the x-next-offset header) until it is null`, tag: 'query', params: IdParam,
    query: z.object({ offset: int(0, 100_000_000, 0), limit: int(0, 100_000, 1000), format: z.enum(['json', 'csv']).default('json') }),
    response: z.object({ job: QueryJobOut, page: PageOut.nullable() }),
    handler: async ({ deps, subject, params, query }) => {
      const r = await deps.data.queryPage(params.id, subject.user.id, query.offset, query.limit);
      const page = r.page && { ...r.page, next_offset: nextOffsetOf(r.page) };
      if (query.format === 'csv' && page) {
        const headers: Record<string, string> = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${params.id}.csv"` };
        if (page.next_offset !== null && page.next_offset !== undefined) headers['x-next-offset'] = String(page.next_offset);
        return { status: 200, headers, body: toCsv(page), raw: true as const };
      }
      return { job: r.job, page };
    },
  }),
  route({
    id: 'startIocSearch', method: 'POST', path: '/ioc-searches', summary: 'start searching IOC values (IPs, domains, URLs, hashes, paths, names) across a scope (async: poll GET /ioc-searches/{id})', tag: 'query', status: 202,
    body: z.object({ values: z.array(z.string().min(1).max(2000)).min(1).max(100), scope: Scope, limit: z.number().int().min(1).max(10000).default(1000) }),
    response: IocJobOut,
    handler: async ({ deps, subject, body }) => {
      const snaps = await readableScope(deps.platform, subject, body.scope);
      const job = await deps.data.startIocSearch(snaps, body.values, body.limit, subject.user.id);
      await deps.platform.audit(subject.user, 'ioc.search', 'query', job.id, scopeProject(body.scope, snaps), { ...scopeDetail(snaps, { values: body.values }), snapshots: snaps.length });
      return job;
    },
  }),
  route({
    id: 'iocSearchStatus', method: 'GET', path: '/ioc-searches/{id}', summary: 'status and progress of an IOC search; when done, the hits', tag: 'query', params: IdParam,
    response: IocJobOut,
    handler: async ({ deps, subject, params }) => deps.data.iocSearchStatus(params.id, subject.user.id),
  }),
  route({
    id: 'listPlaybooks', method: 'GET', path: '/playbooks', summary: 'the playbook library with ATT&CK techniques and tactics: bundled playbooks and the custom ones I may read', tag: 'hunt',
    query: z.object(pageQuery(1000)), paged: true,
    response: z.array(PlaybookOut),
    handler: async ({ deps, subject, query }) => {
      // the bundled library heads the first page; custom playbooks follow, newest first, paged
      const custom = await deps.platform.playbooksPage(subject, query);
      return { items: [...(query.before ? [] : await deps.data.playbooks()), ...custom.items.map(customPlaybookInfo)], next: custom.next };
    },
  }),
  route({
    id: 'createPlaybook', method: 'POST', path: '/playbooks', summary: 'add a custom playbook to a project (YAML in the bundled format, validated; analyst or owner)', tag: 'hunt', status: 201,
    body: z.object({ project_id: Id, yaml: PlaybookYaml, classification: Tlp.optional(), tags: Tags.optional() }),
    response: CustomPlaybook,
    handler: async ({ deps, subject, body }) => {
      const p = validatePlaybookYaml(body.yaml);
      return deps.platform.createPlaybook(subject, { project_id: body.project_id, name: p.title, slug: p.id, yaml: body.yaml, classification: body.classification, tags: body.tags });
    },
  }),
  route({ id: 'getPlaybook', method: 'GET', path: '/playbooks/{id}', summary: 'one custom playbook with its YAML', tag: 'hunt', params: IdParam, response: CustomPlaybook, handler: async ({ deps, subject, params }) => deps.platform.getClassified(subject, 'playbook', params.id) }),
  route({
    id: 'updatePlaybook', method: 'PUT', path: '/playbooks/{id}', summary: 'replace the YAML of a custom playbook (validated)', tag: 'hunt', params: IdParam,
    body: z.object({ yaml: PlaybookYaml }), response: CustomPlaybook,
    handler: async ({ deps, subject, params, body }) => {
      // authorization first: an unreadable playbook answers 404 whatever the YAML says
      await deps.platform.getClassified(subject, 'playbook', params.id);
      const p = validatePlaybookYaml(body.yaml);
      return deps.platform.updatePlaybook(subject, params.id, { name: p.title, slug: p.id, yaml: body.yaml });
    },
  }),
  route({
    id: 'deletePlaybook', method: 'DELETE', path: '/playbooks/{id}', summary: 'delete a custom playbook (its shares go with it)', tag: 'hunt', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.deleteClassified(subject, 'playbook', params.id), { ok: true as const }),
  }),
  route({
    id: 'startHunt', method: 'POST', path: '/hunts', summary: 'start running playbooks over a scope (async: poll GET /hunts/{id})', tag: 'hunt', status: 202,
    body: z.object({ scope: Scope, playbook_ids: z.array(z.string()).max(1000).optional(), tactic: z.string().max(100).optional() }),
    response: HuntJobOut,
    handler: async ({ deps, subject, body }) => {
      const snaps = await readableScope(deps.platform, subject, body.scope);
      const custom = await huntCustomPlaybooks(deps.platform, subject, body.playbook_ids);
      const job = await deps.data.startHunt(snaps, { playbook_ids: body.playbook_ids, tactic: body.tactic, custom }, subject.user.id);
      await deps.platform.audit(subject.user, 'hunt.run', 'query', job.id, scopeProject(body.scope, snaps), { snapshots: snaps.map((s) => s.id), playbook_ids: body.playbook_ids, tactic: body.tactic });
      return job;
    },
  }),
  route({
    id: 'huntStatus', method: 'GET', path: '/hunts/{id}', summary: 'status and progress of a hunt; when done, hits by tactic and technique', tag: 'hunt', params: IdParam,
    response: HuntJobOut,
    handler: async ({ deps, subject, params }) => deps.data.huntStatus(params.id, subject.user.id),
  }),
  route({
    id: 'huntReport', method: 'GET', path: '/hunts/{id}/report',
    summary: 'a finished hunt as a report: one self-contained HTML document (inline CSS, nothing fetched) with the summary, ATT&CK grouping, the processes involved and their evidence; `format=pdf` prints it through headless Chromium where the server has one (memq serve with chromium installed; otherwise 501 with what to install)',
    tag: 'hunt', params: IdParam, query: z.object({ format: z.enum(['html', 'pdf']).default('html') }),
    rawResponse: 'text/html', response: z.string(),
    handler: async ({ deps, subject, params, query }) => {
      const { job, report } = await deps.data.huntReport(params.id, subject.user.id);
      // the report carries the most restrictive label of what was hunted; names as the caller may read them now
      const names: string[] = [];
      let tlp: Tlp = 'CLEAR';
      for (const sid of job.snapshot_ids.slice(0, 1000)) {
        const sn = await deps.platform.getSnapshot(subject, sid).catch(() => null);
        if (sn && tlpLabels.indexOf(sn.classification) > tlpLabels.indexOf(tlp)) tlp = sn.classification;
        if (names.length < 50) names.push(sn?.name ?? sid);
      }
      const header = `hunt ${job.id} over ${job.snapshot_ids.length} snapshot${job.snapshot_ids.length === 1 ? '' : 's'} (${names.join(', ')}${job.snapshot_ids.length > names.length ? ', …' : ''}) by ${subject.user.email}`;
      return reportResponse(huntHtml(report, huntFindings(report), { header, tlp, generatedAt: new Date().toISOString() }), job.id, query.format);
    },
  }),

  // ------------------------------------------------------------------ saved queries and result sets
  route({
    id: 'listSavedQueries', method: 'GET', path: '/saved-queries', summary: 'saved queries of a project', tag: 'saved', query: z.object({ project_id: Id, ...pageQuery(1000) }), response: z.array(SavedQuery), paged: true,
    handler: async ({ deps, subject, query }) => deps.platform.listClassified(subject, 'saved_query', query.project_id, query),
  }),
  route({
    id: 'createSavedQuery', method: 'POST', path: '/saved-queries', summary: 'save a query', tag: 'saved', status: 201,
    body: z.object({ project_id: Id, name: z.string().min(1).max(200), text: z.string().min(1).max(20000), description: z.string().max(2000).optional(), classification: Tlp.optional(), tags: Tags.optional() }),
    response: SavedQuery,
    handler: async ({ deps, subject, body }) => deps.platform.createSavedQuery(subject, body),
  }),
  route({ id: 'getSavedQuery', method: 'GET', path: '/saved-queries/{id}', summary: 'one saved query', tag: 'saved', params: IdParam, response: SavedQuery, handler: async ({ deps, subject, params }) => deps.platform.getClassified(subject, 'saved_query', params.id) }),
  route({
    id: 'updateSavedQuery', method: 'PUT', path: '/saved-queries/{id}', summary: 'edit a saved query', tag: 'saved', params: IdParam,
    body: z.object({ name: z.string().min(1).max(200).optional(), text: z.string().min(1).max(20000).optional(), description: z.string().max(2000).optional() }), response: SavedQuery,
    handler: async ({ deps, subject, params, body }) => deps.platform.updateSavedQuery(subject, params.id, body),
  }),
  route({
    id: 'deleteSavedQuery', method: 'DELETE', path: '/saved-queries/{id}', summary: 'delete a saved query', tag: 'saved', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.deleteClassified(subject, 'saved_query', params.id), { ok: true as const }),
  }),
  route({
    id: 'listResultSets', method: 'GET', path: '/result-sets', summary: 'stored results (findings) of a project', tag: 'saved', query: z.object({ project_id: Id, ...pageQuery(1000) }), response: z.array(ResultSet), paged: true,
    handler: async ({ deps, subject, query }) => deps.platform.listClassified(subject, 'result_set', query.project_id, query),
  }),
  route({
    id: 'createResultSet', method: 'POST', path: '/result-sets', summary: 'store query results as a classified finding', tag: 'saved', status: 201,
    body: z.object({ project_id: Id, name: z.string().min(1).max(200), query: z.string().max(20000), columns: z.array(z.string()).max(500), rows: z.array(z.array(z.unknown())).max(10000), classification: Tlp.optional(), tags: Tags.optional() }),
    response: ResultSet,
    handler: async ({ deps, subject, body }) => deps.platform.createResultSet(subject, body),
  }),
  route({
    id: 'resultSetReport', method: 'GET', path: '/result-sets/{id}/report',
    summary: 'a stored result (finding) as a report: one self-contained HTML document with its TLP label and tags, the query, the processes involved with their evidence (rows grouped by snapshot and pid) and the rows; `format=pdf` prints it through headless Chromium where the server has one (otherwise 501)',
    tag: 'saved', params: IdParam, query: z.object({ format: z.enum(['html', 'pdf']).default('html') }),
    rawResponse: 'text/html', response: z.string(),
    handler: async ({ deps, subject, params, query }) => {
      const rs = await deps.platform.getClassified(subject, 'result_set', params.id);
      await deps.platform.audit(subject.user, 'result_set.export', 'result_set', rs.id, rs.project_id, auditDetail(rs.classification, { name: rs.name, format: query.format }));
      const names = new Map<string, string>();
      const sc = rs.columns.indexOf('snapshot');
      if (sc >= 0)
        for (const sid of new Set(rs.rows.slice(0, 10_000).map((r) => String(r[sc])))) {
          if (names.size >= 200) break;
          const sn = await deps.platform.getSnapshot(subject, sid).catch(() => null);
          if (sn) names.set(sid, sn.name);
        }
      const header = `finding ${rs.id}, stored ${rs.created_at}; exported by ${subject.user.email}`;
      const html = findingHtml(rs, { header, tlp: rs.classification, tags: rs.tags, generatedAt: new Date().toISOString(), snapshotName: (id) => names.get(id) ?? id });
      return reportResponse(html, rs.id, query.format);
    },
  }),
  route({ id: 'getResultSet', method: 'GET', path: '/result-sets/{id}', summary: 'one stored result', tag: 'saved', params: IdParam, response: ResultSet, handler: async ({ deps, subject, params }) => deps.platform.getClassified(subject, 'result_set', params.id) }),
  route({
    id: 'deleteResultSet', method: 'DELETE', path: '/result-sets/{id}', summary: 'delete a stored result', tag: 'saved', params: IdParam, response: Ok,
    handler: async ({ deps, subject, params }) => (await deps.platform.deleteClassified(subject, 'result_set', params.id), { ok: true as const }),
  }),

  // ------------------------------------------------------------------ audit
  route({
    id: 'audit', method: 'GET', path: '/audit', summary: 'audit log (org admins: all; project owners: their project)', tag: 'audit',
    query: z.object({ project_id: Id.optional(), ...pageQuery(200) }), response: z.array(AuditEvent), paged: true,
    handler: async ({ deps, subject, query }) => deps.platform.listAudit(subject, query),
  }),
];

/** A CSV cell: text that would run as a spreadsheet formula is escaped (lib/util/csv.ts). */
function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return csvField(s, isNumeric(v));
}

export function toCsv(page: { columns: { name: string }[]; rows: unknown[][] }): string {
  const lines = [page.columns.map((c) => csvCell(c.name)).join(',')];
  for (const r of page.rows) lines.push(r.map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

// The collaboration service: every operation on orgs, users, projects, machines, snapshots, saved
// queries, result sets, custom playbooks, shares and the audit log. Each one gathers facts, asks authz.decide() and
// records an audit event for changes. Storage is any MetadataRepository (SQLite locally, DynamoDB in
// the cloud); nothing here knows which.
import { decide, type Action, type ResourceFacts, type Subject } from './authz';
import { PlatformError, RateLimited, forbidden, invalid, notFound } from './errors';
import { LoginLimiter, type LoginLimitOptions } from './login-limits';
import {
  newId,
  now,
  type ApiToken,
  type AuditEvent,
  type CustomPlaybook,
  type Machine,
  type Membership,
  type Project,
  type ResultSet,
  type Role,
  type SavedQuery,
  type Share,
  type ShareableKind,
  type RecordOf,
  type Snapshot,
  type Tlp,
  type User,
} from './model';
import { MAX_PAGE, type MetadataRepository, type Page, type PageRequest } from './repository';
import { dummyHash, hashPassword, newTokenSecret, passwordProblem, randomPassword, tokenId, verifyPassword } from './secrets';

export type PublicUser = Omit<User, 'password_hash'>;
export const publicUser = ({ password_hash: _p, ...u }: User): PublicUser => u;

type Classified = Snapshot | SavedQuery | ResultSet | CustomPlaybook;

export interface SnapshotScope {
  snapshot_ids?: string[];
  machine_id?: string;
  project_id?: string;
  /** every snapshot the subject may read */
  all?: boolean;
}

/**
 * The detail of an audit event about a classified object. The audit log is read by org admins and
 * project owners, who may not read a TLP:RED item: for RED only the classification is recorded (the
 * event already carries the object id), never names, query text, YAML or tags.
 */
export function auditDetail(classification: Tlp, detail: Record<string, unknown>): Record<string, unknown> {
  return classification === 'RED' ? { classification, redacted: true } : { ...detail, classification };
}

/** API tokens expire: after 90 days unless asked otherwise, never later than a year. */
export const DEFAULT_TOKEN_DAYS = 90;
export const MAX_TOKEN_DAYS = 365;
const expired = (t: ApiToken) => t.expires_at !== null && Date.parse(t.expires_at) < Date.now();

/** Bounds on listing work per request. */
const MAX_PROJECTS = 1000;
/** Records a list request examines at most (authorization filters may drop many): the page is then short and `next` continues. */
const SCAN_BUDGET = 5000;
/** Default page size of lists. */
export const DEFAULT_PAGE = 200;

type Source<T> = (req: PageRequest) => Promise<Page<T>>;

/**
 * One newest-first page over one or more index lookups (merged by id; ids are time-ordered), keeping
 * what `keep` accepts. Each call examines at most SCAN_BUDGET records, so a page may hold fewer than
 * `limit` items (many unreadable ones) — `next` still says where to continue, null only at the end.
 */
async function pageOver<T extends { id: string }>(sources: Source<T>[], keep: (r: T) => boolean | Promise<boolean>, req: PageRequest): Promise<Page<T>> {
  const limit = Math.max(1, Math.min(req.limit ?? DEFAULT_PAGE, MAX_PAGE));
  const batch = Math.max(limit, 50);
  const out: T[] = [];
  let cursor = req.before;
  let scanned = 0;
  for (;;) {
    const pages = await Promise.all(sources.map((src) => src({ limit: batch, before: cursor })));
    // a source with more left may still hold records newer than other sources' oldest fetched ones:
    // only records down to the newest such boundary are merged in this round
    let horizon: string | undefined;
    for (const p of pages) {
      const last = p.items[p.items.length - 1];
      if (p.next !== null && last && (horizon === undefined || last.id > horizon)) horizon = last.id;
    }
    const merged = pages
      .flatMap((p) => p.items)
      .filter((r) => horizon === undefined || r.id >= horizon)
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    for (let i = 0; i < merged.length; i++) {
      const r = merged[i]!;
      cursor = r.id;
      scanned++;
      if (await keep(r)) {
        out.push(r);
        if (out.length === limit) return { items: out, next: horizon === undefined && i === merged.length - 1 ? null : r.id };
      }
    }
    if (horizon === undefined) return { items: out, next: null };
    if (scanned >= SCAN_BUDGET) return { items: out, next: cursor ?? null };
  }
}

export class Platform {
  /** failed sign-ins per account and per client address (in memory: per server process) */
  readonly logins: LoginLimiter;

  constructor(
    readonly repo: MetadataRepository,
    opts: { loginLimits?: LoginLimitOptions } = {},
  ) {
    this.logins = new LoginLimiter(opts.loginLimits);
  }

  // ---------------------------------------------------------------- identities

  /** First run: when no user exists, create the organization and its admin. */
  async bootstrap(opts: { orgName?: string; email?: string; password?: string } = {}): Promise<{ created: boolean; user?: User; password?: string }> {
    const any = await this.repo.all('user', 1);
    if (any.length > 0) return { created: false };
    const password = opts.password ?? randomPassword();
    const weak = opts.password !== undefined && passwordProblem(opts.password, opts.email ?? 'admin@localhost');
    if (weak) throw invalid(`first-run admin password (MEMQ_ADMIN_PASSWORD): ${weak}`);
    const { user } = await this.createOrgWithAdmin(opts.orgName ?? 'default', opts.email ?? 'admin@localhost', 'Administrator', password);
    return { created: true, user, password };
  }

  /** System operation (first run, provisioning, tests): a new organization with one admin. */
  async createOrgWithAdmin(orgName: string, email: string, name: string, password?: string, externalId?: string) {
    const org = { id: newId('org'), name: orgName, created_at: now() };
    await this.repo.put('org', org);
    const user = await this.insertUser({ org_id: org.id, email, name, org_admin: true, password, external_id: externalId });
    await this.audit(user, 'org.create', 'org', org.id, null, { name: orgName });
    return { org, user };
  }

  private async insertUser(u: { org_id: string; email: string; name: string; org_admin: boolean; password?: string; external_id?: string }): Promise<User> {
    const email = u.email.trim().toLowerCase();
    if (u.password !== undefined) {
      const problem = passwordProblem(u.password, email);
      if (problem) throw invalid(problem);
    }
    if ((await this.repo.find('user', 'email', email, 1)).length > 0) throw new PlatformError('conflict', `a user with email ${email} already exists`);
    const user: User = {
      id: newId('usr'),
      org_id: u.org_id,
      email,
      name: u.name,
      org_admin: u.org_admin,
      ...(u.password ? { password_hash: await hashPassword(u.password) } : {}),
      ...(u.external_id ? { external_id: u.external_id } : {}),
      created_at: now(),
    };
    await this.repo.put('user', user);
    return user;
  }

  async subject(userOrId: User | string): Promise<Subject> {
    const user = typeof userOrId === 'string' ? await this.repo.get('user', userOrId) : userOrId;
    if (!user) throw new PlatformError('unauthenticated', 'unknown user');
    const ms = await this.repo.find('membership', 'user_id', user.id);
    return { user, roles: new Map(ms.map((m) => [m.project_id, m.role])) };
  }

  /**
   * Password sign-in. `address` is the client's (the server's view of it) for the per-address limit.
   * Refused at once, without hashing, while the account or the address is locked out after failures;
   * an unknown e-mail is checked against a dummy hash so it takes as long as a known one.
   */
  async login(email: string, password: string, address?: string): Promise<{ token: string; user: PublicUser }> {
    const wait = this.logins.retryAfter(email, address);
    if (wait > 0) throw new RateLimited(wait, `too many failed sign-ins: try again in ${wait} s`);
    const [user] = await this.repo.find('user', 'email', email.trim().toLowerCase(), 1);
    const ok = await verifyPassword(password, user?.password_hash ?? (await dummyHash()));
    if (!user || !user.password_hash || !ok) {
      this.logins.failed(email, address);
      throw new PlatformError('unauthenticated', 'wrong email or password');
    }
    if (user.disabled_at) throw new PlatformError('unauthenticated', 'this account is disabled: ask an organization admin');
    this.logins.succeeded(email);
    const token = await this.issueToken(user, 'sign-in', 7 * 24 * 3600);
    await this.audit(user, 'user.login', 'user', user.id, null, {});
    return { token, user: publicUser(user) };
  }

  async issueToken(user: User, name: string, ttlSeconds: number | null): Promise<string> {
    const secret = newTokenSecret();
    await this.repo.put('token', {
      id: tokenId(secret),
      user_id: user.id,
      name,
      created_at: now(),
      expires_at: ttlSeconds === null ? null : new Date(Date.now() + ttlSeconds * 1000).toISOString(),
    });
    return secret;
  }

  /** A long-lived API token for scripts: expires after `ttlDays` (default 90, at most 365). */
  async createApiToken(s: Subject, name: string, ttlDays = DEFAULT_TOKEN_DAYS): Promise<string> {
    const days = Math.max(1, Math.min(MAX_TOKEN_DAYS, Math.floor(ttlDays)));
    const t = await this.issueToken(s.user, name, days * 24 * 3600);
    await this.audit(s.user, 'token.create', 'user', s.user.id, null, { name, days });
    return t;
  }

  /** The subject's tokens (sign-ins and API tokens; ids are digests, never the secrets), newest first. */
  async listTokens(s: Subject): Promise<ApiToken[]> {
    const all = await this.repo.find('token', 'user_id', s.user.id);
    return all.filter((t) => !expired(t)).sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  }

  /** Revokes one of the subject's tokens (an org admin may revoke any token of their organization). */
  async revokeToken(s: Subject, id: string): Promise<void> {
    const tok = await this.repo.get('token', id);
    const owner = tok && (await this.repo.get('user', tok.user_id));
    if (!tok || !owner || owner.org_id !== s.user.org_id || (owner.id !== s.user.id && !s.user.org_admin)) throw notFound('token');
    await this.repo.delete('token', id);
    await this.audit(s.user, 'token.revoke', 'user', owner.id, null, { name: tok.name });
  }

  /**
   * Changes the subject's own password: the current one is checked (and throttled like a sign-in), the
   * new one meets the policy, and every other token of the account stops working.
   */
  async changePassword(s: Subject, current: string, next: string, keepTokenSecret?: string, address?: string): Promise<void> {
    const user = await this.repo.get('user', s.user.id);
    if (!user || !user.password_hash) throw invalid('this account signs in through the identity provider: change the password there');
    const wait = this.logins.retryAfter(user.email, address);
    if (wait > 0) throw new RateLimited(wait, `too many failed attempts: try again in ${wait} s`);
    if (!(await verifyPassword(current, user.password_hash))) {
      this.logins.failed(user.email, address);
      throw forbidden('the current password is not right');
    }
    const problem = passwordProblem(next, user.email);
    if (problem) throw invalid(problem);
    await this.repo.put('user', { ...user, password_hash: await hashPassword(next) });
    const keep = keepTokenSecret ? tokenId(keepTokenSecret) : null;
    for (const t of await this.repo.find('token', 'user_id', user.id)) if (t.id !== keep) await this.repo.delete('token', t.id);
    await this.audit(s.user, 'user.password', 'user', user.id, null, {});
  }

  /** Disables (or re-enables) an account of the admin's organization; disabling ends all its tokens. */
  async setUserDisabled(s: Subject, userId: string, disabled: boolean): Promise<PublicUser> {
    const user = await this.repo.get('user', userId);
    if (!user || user.org_id !== s.user.org_id) throw notFound('user');
    this.check(s, 'admin', { kind: 'user', org_id: user.org_id, user_id: user.id });
    if (user.id === s.user.id) throw invalid('you cannot disable your own account');
    const next: User = { ...user, disabled_at: disabled ? (user.disabled_at ?? now()) : null };
    await this.repo.put('user', next);
    if (disabled) for (const t of await this.repo.find('token', 'user_id', user.id)) await this.repo.delete('token', t.id);
    await this.audit(s.user, disabled ? 'user.disable' : 'user.enable', 'user', user.id, null, {});
    return publicUser(next);
  }

  /** Deletes an account of the admin's organization: its memberships, tokens and identity links go; what it created stays. */
  async deleteUser(s: Subject, userId: string): Promise<void> {
    const user = await this.repo.get('user', userId);
    if (!user || user.org_id !== s.user.org_id) throw notFound('user');
    this.check(s, 'admin', { kind: 'user', org_id: user.org_id, user_id: user.id });
    if (user.id === s.user.id) throw invalid('you cannot delete your own account');
    for (const m of await this.repo.find('membership', 'user_id', user.id)) await this.repo.delete('membership', m.id);
    for (const t of await this.repo.find('token', 'user_id', user.id)) await this.repo.delete('token', t.id);
    for (const i of await this.repo.find('identity', 'user_id', user.id)) await this.repo.delete('identity', i.id);
    await this.repo.delete('user', user.id);
    await this.audit(s.user, 'user.delete', 'user', user.id, null, { email: user.email });
  }

  /** The user an API token belongs to, or null (unknown, expired, account disabled or deleted). */
  async authenticateToken(secret: string): Promise<User | null> {
    if (!secret.startsWith('memq_') || secret.length > 200) return null;
    const tok = await this.repo.get('token', tokenId(secret));
    if (!tok || expired(tok)) return null;
    const user = await this.repo.get('user', tok.user_id);
    return user && !user.disabled_at ? user : null;
  }

  async logout(secret: string): Promise<void> {
    await this.repo.delete('token', tokenId(secret));
  }

  /**
   * A federated identity (Cognito `sub`) → the provisioned user; never creates users or joins orgs.
   * The `sub` is the identity: once bound (an `identity` record `cognito:<sub>`), it alone finds the
   * user, whatever e-mail the token carries. The e-mail is used once, to bind a provisioned user who
   * has no subject yet (e.g. the invited first admin), and only when the identity provider says it is
   * verified; a user already bound to another subject is never re-bound.
   */
  async userForExternalIdentity(sub: string, email: string | undefined, emailVerified: boolean): Promise<User | null> {
    if (!sub) return null;
    const linkId = `cognito:${sub}`;
    const link = await this.repo.get('identity', linkId);
    if (link) {
      const linked = await this.repo.get('user', link.user_id);
      return linked && !linked.disabled_at ? linked : null;
    }
    if (!email) return null;
    const [u] = await this.repo.find('user', 'email', email.trim().toLowerCase(), 1);
    if (!u || u.disabled_at) return null;
    // bound before identity records existed: the stored subject decides
    if (u.external_id) {
      if (u.external_id !== sub) return null;
    } else if (!emailVerified) return null;
    if (!(await this.repo.create('identity', { id: linkId, user_id: u.id, created_at: now() }))) {
      const again = await this.repo.get('identity', linkId);
      return again?.user_id === u.id ? u : null;
    }
    if (!u.external_id) {
      await this.repo.put('user', { ...u, external_id: sub });
      await this.audit(u, 'user.link', 'user', u.id, null, { provider: 'cognito' });
    }
    return { ...u, external_id: sub };
  }

  async createUser(s: Subject, u: { email: string; name: string; password?: string; org_admin?: boolean }): Promise<PublicUser> {
    this.check(s, 'create', { kind: 'user', org_id: s.user.org_id, user_id: '' });
    const user = await this.insertUser({ org_id: s.user.org_id, email: u.email, name: u.name, org_admin: u.org_admin ?? false, password: u.password });
    await this.audit(s.user, 'user.create', 'user', user.id, null, { email: user.email });
    return publicUser(user);
  }

  async listUsers(s: Subject): Promise<PublicUser[]> {
    this.check(s, 'read', { kind: 'org', org_id: s.user.org_id });
    return (await this.repo.find('user', 'org_id', s.user.org_id)).map(publicUser);
  }

  // ---------------------------------------------------------------- decisions

  /** Throws 404/403 unless decide() allows. */
  check(s: Subject, action: Action, facts: ResourceFacts): void {
    const d = decide(s, action, facts);
    if (!d.allow) throw d.deny === 'not_found' ? notFound(facts.kind.replace('_', ' ')) : forbidden(d.reason);
  }

  can(s: Subject, action: Action, facts: ResourceFacts): boolean {
    return decide(s, action, facts).allow;
  }

  async facts(kind: ShareableKind, r: Classified): Promise<ResourceFacts> {
    const shares = await this.repo.find('share', 'resource_id', r.id);
    return { kind, org_id: r.org_id, project_id: r.project_id, classification: r.classification, created_by: r.created_by, shares };
  }

  // ---------------------------------------------------------------- projects and members

  async createProject(s: Subject, p: { name: string; description?: string }): Promise<Project> {
    this.check(s, 'create', { kind: 'org', org_id: s.user.org_id });
    const project: Project = { id: newId('prj'), org_id: s.user.org_id, name: p.name, description: p.description ?? '', created_by: s.user.id, created_at: now() };
    await this.repo.put('project', project);
    await this.putMembership(project.id, s.user.id, 'owner');
    (s.roles as Map<string, Role>).set(project.id, 'owner');
    await this.audit(s.user, 'project.create', 'project', project.id, project.id, { name: p.name });
    return project;
  }

  async getProject(s: Subject, id: string, action: Action = 'read'): Promise<Project> {
    const p = await this.repo.get('project', id);
    if (!p) throw notFound('project');
    this.check(s, action, { kind: 'project', org_id: p.org_id, project_id: p.id });
    return p;
  }

  async listProjects(s: Subject): Promise<(Project & { role: Role | null })[]> {
    const all = await this.repo.find('project', 'org_id', s.user.org_id, MAX_PROJECTS);
    return all
      .filter((p) => this.can(s, 'read', { kind: 'project', org_id: p.org_id, project_id: p.id }))
      .map((p) => ({ ...p, role: s.roles.get(p.id) ?? null }));
  }

  private async putMembership(projectId: string, userId: string, role: Role): Promise<Membership> {
    const m: Membership = { id: `${projectId}:${userId}`, project_id: projectId, user_id: userId, role, created_at: now() };
    await this.repo.put('membership', m);
    return m;
  }

  async setMember(s: Subject, projectId: string, m: { user_id?: string; email?: string; role: Role }): Promise<Membership> {
    const p = await this.getProject(s, projectId, 'manage');
    const user = m.user_id
      ? await this.repo.get('user', m.user_id)
      : m.email
        ? (await this.repo.find('user', 'email', m.email.toLowerCase(), 1))[0] ?? null
        : null;
    if (!user || user.org_id !== p.org_id) throw notFound('user');
    const out = await this.putMembership(p.id, user.id, m.role);
    await this.audit(s.user, 'member.set', 'project', p.id, p.id, { user_id: user.id, role: m.role });
    return out;
  }

  async removeMember(s: Subject, projectId: string, userId: string): Promise<void> {
    const p = await this.getProject(s, projectId, 'manage');
    await this.repo.delete('membership', `${p.id}:${userId}`);
    await this.audit(s.user, 'member.remove', 'project', p.id, p.id, { user_id: userId });
  }

  async listMembers(s: Subject, projectId: string): Promise<(Membership & { email: string; name: string })[]> {
    const p = await this.getProject(s, projectId);
    const ms = await this.repo.find('membership', 'project_id', p.id);
    const out = [];
    for (const m of ms) {
      const u = await this.repo.get('user', m.user_id);
      if (u) out.push({ ...m, email: u.email, name: u.name });
    }
    return out;
  }

  // ---------------------------------------------------------------- machines

  async createMachine(s: Subject, projectId: string, m: { name: string; os?: Machine['os'] }): Promise<Machine> {
    const p = await this.getProject(s, projectId);
    this.check(s, 'create', { kind: 'machine', org_id: p.org_id, project_id: p.id });
    const existing = (await this.repo.find('machine', 'project_id', p.id)).find((x) => x.name === m.name);
    if (existing) return existing;
    const machine: Machine = { id: newId('mac'), project_id: p.id, name: m.name, os: m.os ?? 'unknown', created_at: now() };
    await this.repo.put('machine', machine);
    await this.audit(s.user, 'machine.create', 'machine', machine.id, p.id, { name: m.name });
    return machine;
  }

  async listMachines(s: Subject, projectId: string): Promise<Machine[]> {
    const p = await this.getProject(s, projectId);
    return this.repo.find('machine', 'project_id', p.id);
  }

  async getMachine(s: Subject, id: string): Promise<Machine> {
    const m = await this.repo.get('machine', id);
    if (!m) throw notFound('machine');
    await this.getProject(s, m.project_id);
    return m;
  }

  // ---------------------------------------------------------------- snapshots

  async createSnapshot(
    s: Subject,
    input: { project_id: string; machine_id?: string; machine_name?: string; name?: string; dump_name: string; size: number; classification?: Tlp; tags?: string[]; yara_rules?: string },
  ): Promise<Snapshot> {
    const p = await this.getProject(s, input.project_id);
    this.check(s, 'create', { kind: 'new_snapshot', org_id: p.org_id, project_id: p.id });
    let machine: Machine;
    if (input.machine_id) {
      machine = await this.getMachine(s, input.machine_id);
      if (machine.project_id !== p.id) throw invalid('machine belongs to another project');
    } else if (input.machine_name) {
      machine = await this.createMachine(s, p.id, { name: input.machine_name });
    } else throw invalid('expected machine_id or machine_name');
    const snap: Snapshot = {
      id: newId('snp'),
      org_id: p.org_id,
      project_id: p.id,
      machine_id: machine.id,
      name: input.name ?? input.dump_name,
      status: 'uploading',
      progress: 0,
      stage: 'waiting for upload',
      error: null,
      dump_name: input.dump_name,
      size: input.size,
      os: null,
      kernel: null,
      counts: {},
      classification: input.classification ?? 'AMBER',
      tags: input.tags ?? [],
      created_by: s.user.id,
      created_at: now(),
      ...(input.yara_rules ? { yara_rules: input.yara_rules } : {}),
    };
    await this.repo.put('snapshot', snap);
    await this.audit(s.user, 'snapshot.upload', 'snapshot', snap.id, p.id, auditDetail(snap.classification, { dump_name: input.dump_name, size: input.size, machine: machine.name }));
    return snap;
  }

  /** System update of analysis progress (no subject: called by the analysis pipeline). */
  async updateSnapshotStatus(id: string, patch: Partial<Pick<Snapshot, 'status' | 'progress' | 'stage' | 'error' | 'os' | 'kernel' | 'counts' | 'size'>>): Promise<Snapshot> {
    const snap = await this.repo.get('snapshot', id);
    if (!snap) throw notFound('snapshot');
    const next = { ...snap, ...patch };
    await this.repo.put('snapshot', next);
    return next;
  }

  async getSnapshot(s: Subject, id: string, action: Action = 'read'): Promise<Snapshot> {
    const snap = await this.repo.get('snapshot', id);
    if (!snap) throw notFound('snapshot');
    this.check(s, action, await this.facts('snapshot', snap));
    return snap;
  }

  /** Snapshots the subject may read, newest first, one page at a time (of a machine, a project, or every project of the org). */
  async listSnapshots(s: Subject, f: { project_id?: string; machine_id?: string }, req: PageRequest = {}): Promise<Page<Snapshot>> {
    let sources: Source<Snapshot>[];
    if (f.machine_id) {
      const m = await this.getMachine(s, f.machine_id);
      sources = [(r) => this.repo.page('snapshot', 'machine_id', m.id, r)];
    } else if (f.project_id) {
      const p = await this.getProject(s, f.project_id);
      sources = [(r) => this.repo.page('snapshot', 'project_id', p.id, r)];
    } else {
      const projects = await this.repo.find('project', 'org_id', s.user.org_id, MAX_PROJECTS);
      sources = projects.map((p) => (r: PageRequest) => this.repo.page('snapshot', 'project_id', p.id, r));
    }
    return pageOver(sources, async (sn) => this.can(s, 'read', await this.facts('snapshot', sn)), req);
  }

  /** Snapshots in a scope that the subject may read (the scope of queries, hunts and IOC searches). */
  async readableSnapshots(s: Subject, scope: SnapshotScope): Promise<Snapshot[]> {
    const candidates = new Map<string, Snapshot>();
    if (scope.snapshot_ids) {
      for (const id of scope.snapshot_ids.slice(0, 1000)) {
        const sn = await this.repo.get('snapshot', id);
        if (!sn) throw notFound('snapshot');
        candidates.set(sn.id, sn);
      }
    } else if (scope.machine_id) {
      for (const sn of await this.repo.find('snapshot', 'machine_id', scope.machine_id)) candidates.set(sn.id, sn);
    } else if (scope.project_id) {
      for (const sn of await this.repo.find('snapshot', 'project_id', scope.project_id)) candidates.set(sn.id, sn);
    } else {
      for (const p of await this.repo.find('project', 'org_id', s.user.org_id, MAX_PROJECTS))
        for (const sn of await this.repo.find('snapshot', 'project_id', p.id)) candidates.set(sn.id, sn);
    }
    const out: Snapshot[] = [];
    for (const sn of candidates.values()) {
      const d = decide(s, 'read', await this.facts('snapshot', sn));
      if (d.allow) out.push(sn);
      else if (scope.snapshot_ids) this.check(s, 'read', await this.facts('snapshot', sn));
    }
    return out;
  }

  async deleteSnapshot(s: Subject, id: string): Promise<Snapshot> {
    const snap = await this.getSnapshot(s, id, 'delete');
    await this.repo.delete('snapshot', id);
    for (const sh of await this.repo.find('share', 'resource_id', id)) await this.repo.delete('share', sh.id);
    await this.audit(s.user, 'snapshot.delete', 'snapshot', id, snap.project_id, auditDetail(snap.classification, { name: snap.name }));
    return snap;
  }

  // ---------------------------------------------------------------- classification and sharing

  private async loadClassified(kind: ShareableKind, id: string): Promise<Classified> {
    const r = await this.repo.get(kind, id);
    if (!r) throw notFound(kind.replace('_', ' '));
    return r as Classified;
  }

  async classify(s: Subject, kind: ShareableKind, id: string, c: { classification?: Tlp; tags?: string[] }): Promise<Classified> {
    const r = await this.loadClassified(kind, id);
    this.check(s, 'classify', await this.facts(kind, r));
    const next = { ...r, ...(c.classification ? { classification: c.classification } : {}), ...(c.tags ? { tags: c.tags } : {}) };
    await this.repo.put(kind, next as never);
    // tags describe content: left out when either side of the change is RED
    const red = r.classification === 'RED' || next.classification === 'RED';
    await this.audit(s.user, 'classify', kind, id, r.project_id, { from: r.classification, to: next.classification, ...(red ? { redacted: true } : { tags: next.tags }) });
    return next;
  }

  async share(s: Subject, kind: ShareableKind, id: string, t: { target_kind: 'project' | 'user'; target_id?: string; email?: string }): Promise<Share> {
    const r = await this.loadClassified(kind, id);
    this.check(s, 'share', await this.facts(kind, r));
    let targetId = t.target_id;
    if (t.target_kind === 'user') {
      const u = targetId ? await this.repo.get('user', targetId) : t.email ? (await this.repo.find('user', 'email', t.email.toLowerCase(), 1))[0] : null;
      // sharing never crosses the organization wall
      if (!u || u.org_id !== s.user.org_id) throw notFound('user');
      targetId = u.id;
    } else {
      const p = targetId ? await this.repo.get('project', targetId) : null;
      if (!p || p.org_id !== s.user.org_id) throw notFound('project');
    }
    const existing = (await this.repo.find('share', 'resource_id', id)).find((x) => x.target_kind === t.target_kind && x.target_id === targetId && x.revoked_at === null);
    if (existing) return existing;
    const share: Share = {
      id: newId('shr'),
      org_id: r.org_id,
      resource_kind: kind,
      resource_id: id,
      target_kind: t.target_kind,
      target_id: targetId!,
      created_by: s.user.id,
      created_at: now(),
      revoked_at: null,
      revoked_by: null,
    };
    await this.repo.put('share', share);
    await this.audit(s.user, 'share.create', kind, id, r.project_id, { target_kind: t.target_kind, target_id: targetId });
    return share;
  }

  /** Shares of an object (active and revoked), newest first. */
  async listShares(s: Subject, kind: ShareableKind, id: string, req: PageRequest = {}): Promise<Page<Share>> {
    const r = await this.loadClassified(kind, id);
    this.check(s, 'read', await this.facts(kind, r));
    return pageOver([(q) => this.repo.page('share', 'resource_id', id, q)], () => true, req);
  }

  async revokeShare(s: Subject, shareId: string): Promise<Share> {
    const sh = await this.repo.get('share', shareId);
    if (!sh || sh.org_id !== s.user.org_id) throw notFound('share');
    const r = await this.loadClassified(sh.resource_kind, sh.resource_id);
    if (sh.created_by !== s.user.id) this.check(s, 'share', await this.facts(sh.resource_kind, r));
    if (sh.revoked_at) return sh;
    const next: Share = { ...sh, revoked_at: now(), revoked_by: s.user.id };
    await this.repo.put('share', next);
    await this.audit(s.user, 'share.revoke', sh.resource_kind, sh.resource_id, r.project_id, { share_id: sh.id, target_id: sh.target_id });
    return next;
  }

  /**
   * Objects shared with the subject (by name or through one of their projects), still readable, newest
   * share first. An object shared both ways appears once per page (it may appear again on a later page).
   */
  async sharedWithMe(s: Subject, req: PageRequest = {}): Promise<Page<{ share: Share; kind: ShareableKind; item: Classified }>> {
    const targets = [s.user.id, ...[...s.roles.keys()].slice(0, MAX_PROJECTS)];
    const items = new Map<string, Classified>();
    const seen = new Set<string>();
    const page = await pageOver(
      targets.map((t) => (q: PageRequest) => this.repo.page('share', 'target_id', t, q)),
      async (sh) => {
        if (sh.revoked_at || seen.has(sh.resource_id)) return false;
        const r = (await this.repo.get(sh.resource_kind, sh.resource_id)) as Classified | null;
        if (!r || !this.can(s, 'read', await this.facts(sh.resource_kind, r))) return false;
        seen.add(sh.resource_id);
        items.set(sh.id, r);
        return true;
      },
      req,
    );
    return { items: page.items.map((sh) => ({ share: sh, kind: sh.resource_kind, item: items.get(sh.id)! })), next: page.next };
  }

  // ---------------------------------------------------------------- saved queries and result sets

  async createSavedQuery(s: Subject, q: { project_id: string; name: string; text: string; description?: string; classification?: Tlp; tags?: string[] }): Promise<SavedQuery> {
    return this.createClassified(s, 'saved_query', 'qry', q, { name: q.name, text: q.text, description: q.description ?? '' }, { name: q.name });
  }

  /**
   * One way to create a classified object in a project (saved query, result set, custom playbook):
   * the caller needs an analyst role there (checked as that kind of object), the record gets the
   * common fields (ids, creator, AMBER unless a classification is given), and the creation is audited
   * with `detail` (ids and names, never content).
   */
  private async createClassified<K extends 'saved_query' | 'result_set' | 'playbook'>(
    s: Subject,
    kind: K,
    idPrefix: string,
    input: { project_id: string; classification?: Tlp; tags?: string[] },
    fields: Omit<RecordOf<K>, 'id' | 'org_id' | 'project_id' | 'classification' | 'tags' | 'created_by' | 'created_at'>,
    detail: Record<string, unknown>,
  ): Promise<RecordOf<K>> {
    const p = await this.getProject(s, input.project_id);
    this.check(s, 'create', { kind: `new_${kind}`, org_id: p.org_id, project_id: p.id });
    const rec = {
      ...fields,
      id: newId(idPrefix),
      org_id: p.org_id,
      project_id: p.id,
      classification: input.classification ?? 'AMBER',
      tags: input.tags ?? [],
      created_by: s.user.id,
      created_at: now(),
    } as RecordOf<K>;
    await this.repo.put(kind, rec);
    await this.audit(s.user, `${kind}.create`, kind, rec.id, p.id, auditDetail(rec.classification, detail));
    return rec;
  }

  /** Saved queries or result sets of a project the subject may read, newest first. */
  async listClassified<K extends 'saved_query' | 'result_set'>(s: Subject, kind: K, projectId: string, req: PageRequest = {}): Promise<Page<RecordOf<K>>> {
    const p = await this.getProject(s, projectId);
    const source: Source<Classified> = (q) => this.repo.page(kind, 'project_id', p.id, q) as Promise<Page<Classified>>;
    return (await pageOver([source], async (r) => this.can(s, 'read', await this.facts(kind, r)), req)) as Page<RecordOf<K>>;
  }

  // ---------------------------------------------------------------- custom playbooks
  // The YAML is validated by the caller (the API, with the hunt layer's loader) before it gets here:
  // this layer stores, authorizes and audits, and does not know the playbook format.

  async createPlaybook(s: Subject, pb: { project_id: string; name: string; slug: string; yaml: string; classification?: Tlp; tags?: string[] }): Promise<CustomPlaybook> {
    return this.createClassified(s, 'playbook', 'pbk', pb, { name: pb.name, slug: pb.slug, yaml: pb.yaml }, { name: pb.name, slug: pb.slug, classification: pb.classification ?? 'AMBER' });
  }

  async updatePlaybook(s: Subject, id: string, patch: { name: string; slug: string; yaml: string }): Promise<CustomPlaybook> {
    const r = await this.getClassified(s, 'playbook', id, 'update');
    const next: CustomPlaybook = { ...r, ...patch };
    await this.repo.put('playbook', next);
    await this.audit(s.user, 'playbook.update', 'playbook', id, r.project_id, auditDetail(r.classification, { name: next.name, slug: next.slug }));
    return next;
  }

  /** One newest-first page of the custom playbooks the subject may read (the list route). */
  async playbooksPage(s: Subject, req: PageRequest = {}): Promise<Page<CustomPlaybook>> {
    return pageOver([(q) => this.repo.page('playbook', 'org_id', s.user.org_id, q)], async (r) => this.can(s, 'read', await this.facts('playbook', r)), req);
  }

  /** Custom playbooks of the subject's organization that they may read (every project, shares, TLP): what a hunt runs. */
  async readablePlaybooks(s: Subject): Promise<CustomPlaybook[]> {
    const all = await this.repo.find('playbook', 'org_id', s.user.org_id);
    const out: CustomPlaybook[] = [];
    for (const r of all) if (this.can(s, 'read', await this.facts('playbook', r))) out.push(r);
    return out;
  }

  /** A classified object the subject may `action`, typed by its kind (routes need no casts). */
  async getClassified<K extends ShareableKind>(s: Subject, kind: K, id: string, action: Action = 'read'): Promise<RecordOf<K>> {
    const r = await this.loadClassified(kind, id);
    this.check(s, action, await this.facts(kind, r));
    return r as RecordOf<K>;
  }

  async updateSavedQuery(s: Subject, id: string, patch: { name?: string; text?: string; description?: string }): Promise<SavedQuery> {
    const r = await this.getClassified(s, 'saved_query', id, 'update');
    const next = { ...r, ...patch };
    await this.repo.put('saved_query', next);
    await this.audit(s.user, 'saved_query.update', 'saved_query', id, r.project_id, auditDetail(r.classification, {}));
    return next;
  }

  async deleteClassified(s: Subject, kind: 'saved_query' | 'result_set' | 'playbook', id: string): Promise<void> {
    const r = await this.getClassified(s, kind, id, 'delete');
    await this.repo.delete(kind, id);
    for (const sh of await this.repo.find('share', 'resource_id', id)) await this.repo.delete('share', sh.id);
    await this.audit(s.user, `${kind}.delete`, kind, id, r.project_id, auditDetail(r.classification, { name: r.name }));
  }

  async createResultSet(s: Subject, rs: { project_id: string; name: string; query: string; columns: string[]; rows: unknown[][]; classification?: Tlp; tags?: string[] }): Promise<ResultSet> {
    return this.createClassified(s, 'result_set', 'res', rs, { name: rs.name, query: rs.query, columns: rs.columns, rows: rs.rows }, { name: rs.name, rows: rs.rows.length });
  }

  // ---------------------------------------------------------------- audit

  async audit(actor: User, action: string, resourceKind: string, resourceId: string, projectId: string | null, detail: Record<string, unknown>): Promise<void> {
    const ev: AuditEvent = { id: newId('aud'), org_id: actor.org_id, at: now(), actor_id: actor.id, action, resource_kind: resourceKind, resource_id: resourceId, project_id: projectId, detail };
    await this.repo.put('audit', ev);
  }

  /**
   * Audit events, newest first, one page at a time (`before` = the previous page's `next`): the whole
   * org for admins, one project for its owners. Never frozen by a lookup bound: the first page always
   * starts at the newest event.
   */
  async listAudit(s: Subject, f: { project_id?: string } & PageRequest): Promise<Page<AuditEvent>> {
    this.check(s, 'read', { kind: 'audit', org_id: s.user.org_id, project_id: f.project_id ?? null });
    return pageOver([(q) => this.repo.page('audit', 'org_id', s.user.org_id, q)], (e) => !f.project_id || e.project_id === f.project_id, f);
  }
}

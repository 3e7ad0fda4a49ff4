// The collaboration model as zod schemas: organizations, users, projects, memberships, machines,
// snapshots, saved queries, result sets, custom playbooks, shares, API tokens and audit events. The API validates against these and
// both metadata repositories (SQLite, DynamoDB) store exactly these shapes.
import { z } from 'zod';

/** Traffic Light Protocol 2.0 labels, least to most restrictive. */
export const tlpLabels = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export const Tlp = z.enum(tlpLabels);
export type Tlp = z.infer<typeof Tlp>;

export const projectRoles = ['owner', 'analyst', 'viewer'] as const;
export const Role = z.enum(projectRoles);
export type Role = z.infer<typeof Role>;

const Id = z.string().min(1).max(128);
const Name = z.string().trim().min(1).max(200);
export const Tags = z.array(z.string().trim().min(1).max(64)).max(50);
const Instant = z.string(); // ISO-8601

export const Org = z.object({ id: Id, name: Name, created_at: Instant });
export type Org = z.infer<typeof Org>;

export const User = z.object({
  id: Id,
  org_id: Id,
  email: z.string().trim().toLowerCase().min(3).max(320),
  name: Name,
  /** org administrators create projects and users and read the org's audit log */
  org_admin: z.boolean(),
  /** scrypt hash for local sign-in; absent for federated (Cognito) users */
  password_hash: z.string().optional(),
  /** identity-provider subject (Cognito `sub`) */
  external_id: z.string().optional(),
  /** set when an org admin disabled the account: no sign-in, no token works */
  disabled_at: Instant.nullable().optional(),
  created_at: Instant,
});
export type User = z.infer<typeof User>;

/** A federated identity bound to a user: id is `<issuer kind>:<subject>` (Cognito: `cognito:<sub>`). */
export const ExternalIdentity = z.object({ id: Id, user_id: Id, created_at: Instant });
export type ExternalIdentity = z.infer<typeof ExternalIdentity>;

export const ApiToken = z.object({
  /** sha256 of the secret, hex; the secret itself is never stored */
  id: Id,
  user_id: Id,
  name: Name,
  created_at: Instant,
  expires_at: Instant.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

export const Project = z.object({ id: Id, org_id: Id, name: Name, description: z.string().max(2000), created_by: Id, created_at: Instant });
export type Project = z.infer<typeof Project>;

export const Membership = z.object({ id: Id, project_id: Id, user_id: Id, role: Role, created_at: Instant });
export type Membership = z.infer<typeof Membership>;

export const Machine = z.object({ id: Id, project_id: Id, name: Name, os: z.enum(['linux', 'windows', 'unknown']), created_at: Instant });
export type Machine = z.infer<typeof Machine>;

export const snapshotStatuses = ['uploading', 'analyzing', 'ready', 'failed'] as const;
export const SnapshotStatus = z.enum(snapshotStatuses);

/** Fields every classified object carries. */
const classified = { classification: Tlp, tags: Tags, created_by: Id, created_at: Instant };

export const Snapshot = z.object({
  id: Id,
  org_id: Id,
  project_id: Id,
  machine_id: Id,
  name: Name,
  status: SnapshotStatus,
  /** 0..1 while uploading or analyzing */
  progress: z.number().min(0).max(1),
  stage: z.string().max(200),
  error: z.string().max(2000).nullable(),
  dump_name: z.string().max(500),
  size: z.number().int().min(0),
  os: z.string().nullable(),
  kernel: z.string().nullable(),
  /** when the dump was taken, read from the dump (null: not known; absent on records made before it was read) */
  captured_at: z.string().max(40).nullable().optional(),
  counts: z.record(z.string(), z.number()),
  /** YARA rules the analysis runs into the yara_match table (≤ 64 KiB: they travel in the pipeline's payload) */
  yara_rules: z.string().max(65536).optional(),
  ...classified,
});
export type Snapshot = z.infer<typeof Snapshot>;

export const SavedQuery = z.object({
  id: Id,
  org_id: Id,
  project_id: Id,
  name: Name,
  text: z.string().min(1).max(20000),
  description: z.string().max(2000),
  ...classified,
});
export type SavedQuery = z.infer<typeof SavedQuery>;

/** A stored query result (a finding): the rows as they were, classified and shareable. */
export const ResultSet = z.object({
  id: Id,
  org_id: Id,
  project_id: Id,
  name: Name,
  query: z.string().max(20000),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())).max(10000),
  ...classified,
});
export type ResultSet = z.infer<typeof ResultSet>;

/**
 * An organization's own playbook, kept in a project: the YAML text as written (validated by the hunt
 * layer's schema and query compiler before it is stored), classified and shareable like a saved query.
 */
export const CustomPlaybook = z.object({
  id: Id,
  org_id: Id,
  project_id: Id,
  /** the playbook's title, from the YAML */
  name: Name,
  /** the `id` field written in the YAML (hunts and hits use the record id, unique across the org) */
  slug: z.string().max(80),
  yaml: z.string().min(1).max(100_000),
  ...classified,
});
export type CustomPlaybook = z.infer<typeof CustomPlaybook>;

export const shareableKinds = ['snapshot', 'saved_query', 'result_set', 'playbook'] as const;
export const ShareableKind = z.enum(shareableKinds);
export type ShareableKind = z.infer<typeof ShareableKind>;

export const Share = z.object({
  id: Id,
  org_id: Id,
  resource_kind: ShareableKind,
  resource_id: Id,
  target_kind: z.enum(['project', 'user']),
  target_id: Id,
  created_by: Id,
  created_at: Instant,
  revoked_at: Instant.nullable(),
  revoked_by: Id.nullable(),
});
export type Share = z.infer<typeof Share>;

export const AuditEvent = z.object({
  id: Id,
  org_id: Id,
  at: Instant,
  actor_id: Id,
  action: z.string(),
  resource_kind: z.string(),
  resource_id: z.string(),
  project_id: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** Every record kind the repositories hold, with its schema and the (at most two) fields it is looked up by. */
export const recordKinds = {
  org: { schema: Org, index: [] },
  user: { schema: User, index: ['email', 'org_id'] },
  token: { schema: ApiToken, index: ['user_id'] },
  identity: { schema: ExternalIdentity, index: ['user_id'] },
  project: { schema: Project, index: ['org_id'] },
  membership: { schema: Membership, index: ['project_id', 'user_id'] },
  machine: { schema: Machine, index: ['project_id'] },
  snapshot: { schema: Snapshot, index: ['project_id', 'machine_id'] },
  saved_query: { schema: SavedQuery, index: ['project_id'] },
  result_set: { schema: ResultSet, index: ['project_id'] },
  playbook: { schema: CustomPlaybook, index: ['project_id', 'org_id'] },
  share: { schema: Share, index: ['resource_id', 'target_id'] },
  audit: { schema: AuditEvent, index: ['org_id', 'resource_id'] },
} as const;

export type RecordKind = keyof typeof recordKinds;
export type RecordOf<K extends RecordKind> = z.infer<(typeof recordKinds)[K]['schema']>;
export type IndexField<K extends RecordKind> = (typeof recordKinds)[K]['index'][number];

let lastMs = 0;
let seq = 0;
/** Time-ordered unique id: sorts by creation time as a string (base36 ms, a per-process sequence for
 * ids made in the same millisecond, then randomness so separate processes never collide). */
export function newId(prefix: string): string {
  const ms = Date.now();
  if (ms <= lastMs) seq++;
  else {
    lastMs = ms;
    seq = 0;
  }
  const t = lastMs.toString(36).padStart(9, '0') + seq.toString(36).padStart(4, '0');
  const r = require('node:crypto').randomBytes(6).toString('hex');
  return `${prefix}_${t}${r}`;
}

export const now = (): string => new Date().toISOString();

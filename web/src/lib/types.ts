// Shapes the API returns, as the UI uses them (no DOM here: shared with jest tests). Pages and jobs
// are the data plane's own zod-inferred types (lib/model/jobs.ts imports only zod), not a copy.
export type { Column, HuntHit, HuntJob, HuntSummary, IocHit, IocJob, IocResult, Page, QueryJob } from '../../../lib/model/jobs';

export type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';
export interface User { id: string; email: string; name: string; org_admin: boolean; org_id: string }
export interface Project { id: string; name: string; description: string; role: string | null }
export interface Machine { id: string; name: string; project_id: string; os: string }
export interface Snapshot {
  id: string; project_id: string; machine_id: string; name: string; status: 'uploading' | 'analyzing' | 'ready' | 'failed';
  progress: number; stage: string; error: string | null; dump_name: string; size: number; os: string | null; kernel: string | null; captured_at?: string | null;
  counts: Record<string, number>; classification: Tlp; tags: string[]; created_by: string; created_at: string;
}
export interface Catalog {
  tables: Record<string, { doc: string; platform: string; columns: { name: string; kind: string; doc: string; nullable: boolean; platform: string }[] }>;
  objects: Record<string, { doc: string; primary: string; default_columns: string[]; sub_objects: Record<string, { table: string; cardinality: string; doc: string; fields: string[] }> }>;
  tlp: Tlp[];
}
export interface Share { id: string; target_kind: 'project' | 'user'; target_id: string; revoked_at: string | null; created_at: string }
export interface Playbook {
  id: string; title: string; description: string; severity: string; platform: string; techniques: { id: string; name: string; tactics: string[] }[]; queries: string[];
  /** custom (organization-written) playbooks only */
  custom?: true; project_id?: string; classification?: Tlp; tags?: string[]; slug?: string; yaml?: string; error?: string;
}
export type Scope = { snapshot_ids?: string[]; machine_id?: string; project_id?: string; all?: boolean };

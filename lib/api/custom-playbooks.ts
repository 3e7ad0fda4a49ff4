// Custom (organization-written) playbooks between the platform and the hunt layer: validates the YAML
// with the same loader as the bundled playbooks (zod schema, ATT&CK ids, every query compiled), turns
// a stored record into a runnable playbook (its id becomes the record id, unique across the org, so
// hits name exactly which record fired) and into the library entry the API lists.
import { compileQuery } from '../query';
import { parsePlaybook } from '../hunt/loader';
import type { Playbook } from '../hunt/playbook';
import { PlatformError } from '../platform/errors';
import type { CustomPlaybook } from '../platform/model';
import { isMemqError } from '../util/errors';
import type { PlaybookInfo } from '../dataplane/types';
import { techniquesOf } from '../dataplane/library';

/** Validates playbook YAML as the loader does for bundled files; a 400 carrying the loader's message otherwise. */
export function validatePlaybookYaml(yaml: string): Playbook {
  try {
    return parsePlaybook(yaml, 'playbook', { checkQuery: (q) => void compileQuery(q, { dialect: 'duckdb' }) });
  } catch (e) {
    if (isMemqError(e)) throw new PlatformError('invalid', (e as Error).message);
    throw e;
  }
}

/** The stored record as a playbook the hunt runner takes (re-validated: the catalog may have changed). */
export function runnablePlaybook(rec: CustomPlaybook): Playbook {
  return { ...validatePlaybookYaml(rec.yaml), id: rec.id, file: `custom:${rec.id}` };
}

export type CustomPlaybookInfo = PlaybookInfo & Pick<CustomPlaybook, 'project_id' | 'classification' | 'tags' | 'slug' | 'yaml' | 'created_by' | 'created_at'> & { custom: true };

/** The library entry of a custom playbook; one whose YAML no longer validates is listed with its error. */
export function customPlaybookInfo(rec: CustomPlaybook): CustomPlaybookInfo & { error?: string } {
  const meta = { custom: true as const, project_id: rec.project_id, classification: rec.classification, tags: rec.tags, slug: rec.slug, yaml: rec.yaml, created_by: rec.created_by, created_at: rec.created_at };
  try {
    const p = runnablePlaybook(rec);
    return { id: rec.id, title: p.title, description: p.description, severity: p.severity, platform: p.platform, techniques: techniquesOf(p), queries: p.queries.map((q) => q.query), ...meta };
  } catch (e) {
    return { id: rec.id, title: rec.name, description: '', severity: 'info', platform: 'both', techniques: [], queries: [], ...meta, error: (e as Error).message };
  }
}

// Hit counts per snapshot from the hunts this browser ran (hunts are jobs, not stored per snapshot):
// the fleet overview shows them next to each snapshot with when they were counted. Pure counting
// (no DOM: tested in jest); the browser's cache of them is hunt-cache-store.ts.
import type { HuntHit } from './types';

export interface SnapshotHits {
  hits: number;
  playbooks: number;
  /** highest severity among the fired playbooks */
  severity: string | null;
  at: string;
  hunt: string;
}

const RANK = ['critical', 'high', 'medium', 'low', 'info'];

/** Distinct hit rows and fired playbooks per snapshot; every snapshot in scope gets an entry (0 = clean). */
export function countHits(snapshotIds: string[], hits: HuntHit[], hunt: string, at = new Date().toISOString()): Record<string, SnapshotHits> {
  const out: Record<string, SnapshotHits> = {};
  const rows = new Map<string, Set<string>>();
  const pbs = new Map<string, Set<string>>();
  for (const id of snapshotIds) out[id] = { hits: 0, playbooks: 0, severity: null, at, hunt };
  for (const h of hits) {
    const e = (out[h.snapshot_id] ??= { hits: 0, playbooks: 0, severity: null, at, hunt });
    const r = rows.get(h.snapshot_id) ?? new Set<string>();
    // a playbook's several queries can return one row twice: count it once
    for (const row of h.rows) r.add(`${h.playbook_id}\0${JSON.stringify(row)}`);
    rows.set(h.snapshot_id, r);
    const p = pbs.get(h.snapshot_id) ?? new Set<string>();
    p.add(h.playbook_id);
    pbs.set(h.snapshot_id, p);
    if (h.rows.length && (e.severity === null || RANK.indexOf(h.severity) < RANK.indexOf(e.severity))) e.severity = h.severity;
  }
  for (const [id, r] of rows) out[id]!.hits = r.size;
  for (const [id, p] of pbs) out[id]!.playbooks = p.size;
  return out;
}

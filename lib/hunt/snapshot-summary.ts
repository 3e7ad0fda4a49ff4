// Per-snapshot summaries of a finished hunt (the fleet overview's hit counts): distinct hit rows and the
// highest severity per fired playbook, then totals. The data plane stores one per snapshot when a hunt
// finishes; the API narrows a stored one to the playbooks the reader may read (a custom playbook they
// cannot read does not count) before answering.
import type { HuntHit, HuntSummary } from '../model/jobs';
import { severityRank, type Severity } from './playbook';

const rank = (s: string | null) => (s === null ? -1 : (severityRank[s as Severity] ?? -1));

/** Totals of a summary from its per-playbook entries (which are all that is kept of the rows). */
function withTotals(s: HuntSummary, byPlaybook: HuntSummary['by_playbook']): HuntSummary {
  const fired = byPlaybook.filter((p) => p.hits > 0);
  let severity: string | null = null;
  for (const p of fired) if (rank(p.severity) > rank(severity)) severity = p.severity;
  return { ...s, by_playbook: byPlaybook, hits: fired.reduce((n, p) => n + p.hits, 0), playbooks: fired.length, severity };
}

/**
 * One summary per snapshot in the hunt's scope (a snapshot nothing fired on gets hits 0: it was looked
 * at and found clean). A playbook's several queries can return one row twice: it counts once.
 */
export function snapshotSummaries(
  job: { id: string; owner_id: string; snapshot_ids: string[]; started_at: string; finished_at: string; playbooks_run: number; errors: number },
  hits: HuntHit[],
): HuntSummary[] {
  const rows = new Map<string, Map<string, { rows: Set<string>; severity: string }>>(); // snapshot → playbook → rows
  for (const h of hits) {
    if (h.rows.length === 0) continue;
    const bySnap = rows.get(h.snapshot_id) ?? rows.set(h.snapshot_id, new Map()).get(h.snapshot_id)!;
    const e = bySnap.get(h.playbook_id) ?? bySnap.set(h.playbook_id, { rows: new Set(), severity: h.severity }).get(h.playbook_id)!;
    for (const r of h.rows) e.rows.add(JSON.stringify(r));
  }
  const ids = [...new Set([...job.snapshot_ids, ...rows.keys()])];
  return ids.map((snapshot_id) => {
    const base: HuntSummary = {
      snapshot_id,
      hunt_id: job.id,
      owner_id: job.owner_id,
      started_at: job.started_at,
      finished_at: job.finished_at,
      playbooks_run: job.playbooks_run,
      hits: 0,
      playbooks: 0,
      severity: null,
      errors: job.errors,
      by_playbook: [],
    };
    const by = [...(rows.get(snapshot_id) ?? new Map()).entries()].map(([playbook_id, e]) => ({ playbook_id, hits: e.rows.size, severity: e.severity }));
    by.sort((a, b) => rank(b.severity) - rank(a.severity) || b.hits - a.hits || a.playbook_id.localeCompare(b.playbook_id));
    return withTotals(base, by);
  });
}

/** A stored summary as one reader sees it: only the playbooks `mayRead` admits count. */
export function visibleSummary(s: HuntSummary, mayRead: (playbookId: string) => boolean): HuntSummary {
  return withTotals(s, s.by_playbook.filter((p) => mayRead(p.playbook_id)));
}

// The playbook library and the API shapes of hunt and IOC results: the bundled playbooks (lib/hunt
// loader) as library entries, a hunt request's playbook selection, and lib/hunt's report / lib/ioc's
// hits regrouped per snapshot as the routes return them.
import type { IocSearchResult } from '../ioc/search';
import { loadPlaybooks as loadBundled } from '../hunt/loader';
import type { HuntReport } from '../hunt/runner';
import { technique, techniqueLabel } from '../hunt/attack';
import type { Playbook } from '../hunt/playbook';
import type { HuntResult, HuntSelection, IocHit, IocResult, PlaybookInfo } from './types';
import { jsonValue } from '../util/json-value';

let cache: Playbook[] | null = null;
function bundled(): Playbook[] {
  return (cache ??= loadBundled());
}

export function techniquesOf(p: Playbook) {
  return p.attack.map((id) => {
    const t = technique(id);
    return { id: t.id, name: techniqueLabel(t), tactics: t.tactics.map((x) => x.shortname) };
  });
}

export async function loadPlaybooks(): Promise<PlaybookInfo[]> {
  return bundled().map((p) => ({
    id: p.id,
    title: p.title,
    description: p.description,
    severity: p.severity,
    platform: p.platform,
    techniques: techniquesOf(p),
    queries: p.queries.map((q) => q.query),
  }));
}

/** The playbooks a hunt request selects (by id and/or ATT&CK tactic shortname): bundled ones and the
 * custom ones the API already authorized and passed along. */
export function selectHuntPlaybooks(opts: HuntSelection): Playbook[] {
  let pbs = [...bundled(), ...(opts.custom ?? [])];
  if (opts.playbook_ids) pbs = pbs.filter((p) => opts.playbook_ids!.includes(p.id));
  if (opts.tactic) pbs = pbs.filter((p) => techniquesOf(p).some((t) => t.tactics.includes(opts.tactic!)));
  return pbs;
}

/** The hunt runner's report as the API returns it: hits per playbook query and snapshot, grouped by tactic. */
export function huntResultOf(report: HuntReport, pbs: readonly Playbook[]): HuntResult {
  const out: HuntResult = { playbooks_run: report.playbooks_run, hits: [], errors: [], by_tactic: report.by_tactic };
  const pbById = new Map(pbs.map((p) => [p.id, p]));
  for (const r of report.results) {
    for (const q of r.queries) {
      if (q.error) out.errors.push({ playbook_id: r.id, message: q.error });
      const bySnap = new Map<string, unknown[][]>();
      for (const row of q.rows) {
        const sid = String(row.snapshot);
        let list = bySnap.get(sid);
        if (!list) bySnap.set(sid, (list = []));
        list.push(q.columns.map((c) => row[c]));
      }
      for (const [sid, rows] of bySnap)
        out.hits.push({ playbook_id: r.id, title: r.title, severity: r.severity, techniques: techniquesOf(pbById.get(r.id)!), snapshot_id: sid, columns: q.columns, rows });
    }
  }
  return out;
}

/** lib/ioc's result as the API returns it (both planes): at most `limit` hits, JSON-safe locators. */
export function iocResultOf(r: IocSearchResult, snapshots: number, limit: number, errors: IocResult['errors'] = []): IocResult {
  return { hits: iocHitsOf(r, limit), snapshots_searched: snapshots, truncated: r.truncated, errors };
}

function iocHitsOf(r: IocSearchResult, limit: number): IocHit[] {
  return r.hits.slice(0, limit).map((h) => ({
    ioc: h.ioc,
    kind: h.kind,
    snapshot_id: h.snapshot,
    table: h.table,
    column: h.column,
    match: h.value,
    where: Object.fromEntries(Object.entries(h.where).map(([k, v]) => [k, jsonValue(v)])),
  }));
}

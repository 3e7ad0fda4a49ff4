// The playbook library and the API shapes of hunt and IOC results: the bundled playbooks (lib/hunt
// loader) as library entries, a hunt request's playbook selection, and lib/hunt's report / lib/ioc's
// hits regrouped per snapshot as the routes return them.
import type { IocSearchResult } from '../ioc/search';
import { loadPlaybooks as loadBundled } from '../hunt/loader';
import { groupByTactic, type HuntReport, type PlaybookOutcome } from '../hunt/runner';
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

/**
 * A finished hunt's API result back in the hunt runner's report shape (for the HTML/PDF report): one
 * outcome per playbook that ran, its hits' rows as records, description and notes from the playbook.
 */
export function huntReportOf(result: HuntResult, pbs: readonly Playbook[], elapsedMs: number): HuntReport {
  const results: PlaybookOutcome[] = pbs.map((p) => ({
    id: p.id,
    title: p.title,
    severity: p.severity,
    platform: p.platform,
    file: '',
    description: p.description,
    false_positives: p.false_positives,
    techniques: techniquesOf(p),
    count: 0,
    snapshots: [],
    queries: [],
  }));
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const h of result.hits) {
    const r = byId.get(h.playbook_id);
    if (!r) continue;
    const rows = h.rows.map((row) => Object.fromEntries(h.columns.map((c, i) => [c, row[i]])));
    r.queries.push({ title: h.title, query: '', columns: h.columns, rows, count: rows.length, elapsed_ms: 0 });
    r.count += rows.length;
    for (const row of rows) {
      const key = `${row.project ?? '?'}/${row.machine ?? '?'}/${row.snapshot ?? '?'}`;
      if (!r.snapshots.includes(key)) r.snapshots.push(key);
    }
  }
  for (const err of result.errors) byId.get(err.playbook_id)?.queries.push({ title: 'query', query: '', columns: [], rows: [], count: 0, error: err.message, elapsed_ms: 0 });
  // the playbook's query texts, for the report's "playbooks that fired"
  for (const r of results) {
    const p = pbs.find((x) => x.id === r.id)!;
    if (r.count > 0) r.queries = [...r.queries.filter((q) => q.error), ...p.queries.map((q) => ({ title: q.title, query: q.query, columns: [], rows: [], count: 0, elapsed_ms: 0 })), ...r.queries.filter((q) => !q.error)];
  }
  return {
    playbooks_run: result.playbooks_run,
    skipped: [],
    queries_run: new Set(pbs.flatMap((p) => p.queries.map((q) => q.query))).size,
    fired: results.filter((r) => r.count > 0).length,
    errors: result.errors.length,
    elapsed_ms: elapsedMs,
    results,
    by_tactic: groupByTactic(results.filter((r) => r.count > 0)),
  };
}

// Playbook hunts and IOC searches for the local data plane, over the store's DuckDB views. Hunts use
// the hunt layer's loader and runner (lib/hunt) with a query executor scoped to the chosen snapshots;
// results are regrouped per snapshot for the API (huntResultOf, shared with the cloud data plane).
// IOC search is lib/ioc's, scoped the same way.
import { runQuery } from '../engine';
import { searchIocs, type IocSearchResult } from '../ioc/search';
import { localSqlExecutor } from '../ioc/local';
import type { LocalStore, SnapshotRef } from '../store/store';
import { loadPlaybooks as loadBundled } from '../hunt/loader';
import { runHunt, type HuntReport, type QueryRows } from '../hunt/runner';
import { technique, techniqueLabel } from '../hunt/attack';
import type { Playbook } from '../hunt/playbook';
import type { HuntResult, HuntSelection, IocHit, IocResult, PlaybookInfo } from './types';
import { jsonValue } from '../util/json-value';

export interface ScopedSnapshot {
  id: string;
  ref: SnapshotRef;
}

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

async function execScoped(store: LocalStore, snaps: ScopedSnapshot[], text: string): Promise<QueryRows> {
  const scope = { snapshots: snaps.map((s) => s.ref.snapshot) };
  const r = await runQuery(store, text, scope, { maxRows: 10_000 });
  return { columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonValue(v)]))) };
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

export async function huntOver(store: LocalStore, snaps: ScopedSnapshot[], opts: HuntSelection, onProgress?: (done: number, total: number) => void): Promise<HuntResult> {
  const pbs = selectHuntPlaybooks(opts);
  const report = await runHunt((q) => execScoped(store, snaps, q), pbs, { maxRowsPerQuery: 1000, onPlaybook: onProgress && ((done, total) => onProgress(done, total)) });
  return huntResultOf(report, pbs);
}

/** lib/ioc's result as the API returns it (both planes): at most `limit` hits, JSON-safe locators. */
export function iocResultOf(r: IocSearchResult, snapshots: number, limit: number, errors: IocResult['errors'] = []): IocResult {
  return { hits: iocHitsOf(r, limit), snapshots_searched: snapshots, truncated: r.truncated, errors };
}

/** IOC search (lib/ioc) over the chosen snapshots; hits name snapshot, table, column and row locators. */
export async function iocOver(store: LocalStore, snaps: ScopedSnapshot[], values: string[], limit: number, onProgress?: (done: number, total: number) => void): Promise<IocResult> {
  if (snaps.length === 0) return { hits: [], snapshots_searched: 0, truncated: [], errors: [] };
  const r = await searchIocs(localSqlExecutor(store), values, { scope: { snapshots: snaps.map((s) => s.ref.snapshot) }, maxRowsPerTable: limit, onTable: onProgress });
  return iocResultOf(r, snaps.length, limit);
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

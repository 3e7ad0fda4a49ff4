// Playbook hunts and IOC searches for the local data plane, over the store's DuckDB views. Hunts use
// the hunt layer's loader and runner (lib/hunt) with a query executor scoped to the chosen snapshots;
// results are regrouped per snapshot for the API.
import { tables, tableNames, type ColumnDef, type TableName } from '../model';
import { compileQuery } from '../query';
import type { LocalStore, SnapshotRef } from '../store/store';
import { loadPlaybooks as loadBundled } from '../hunt/loader';
import { runHunt, type QueryRows } from '../hunt/runner';
import { technique, techniqueLabel } from '../hunt/attack';
import type { Playbook } from '../hunt/playbook';
import type { HuntResult, IocHit, PlaybookInfo } from './data-plane';
import { jsonValue } from './values';

export interface ScopedSnapshot {
  id: string;
  ref: SnapshotRef;
}

let cache: Playbook[] | null = null;
function bundled(): Playbook[] {
  return (cache ??= loadBundled());
}

function techniquesOf(p: Playbook) {
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
  const compiled = compileQuery(text, { dialect: 'duckdb', scope: { snapshots: snaps.map((s) => s.ref.snapshot) } });
  const columns = compiled.columns.map((c) => c.name);
  if (snaps.length === 0) return { columns, rows: [] };
  const conn = await store.connection();
  const st = await conn.prepare(compiled.sql);
  if (compiled.params.length) st.bind(compiled.params.map((p) => (typeof p === 'bigint' ? p.toString() : p)) as never);
  const rows = (await st.runAndReadAll()).getRowsJS();
  return { columns, rows: rows.map((r) => Object.fromEntries(r.map((v, i) => [columns[i]!, jsonValue(v)]))) };
}

export async function huntOver(store: LocalStore, snaps: ScopedSnapshot[], opts: { playbook_ids?: string[]; tactic?: string }): Promise<HuntResult> {
  let pbs = bundled();
  if (opts.playbook_ids) pbs = pbs.filter((p) => opts.playbook_ids!.includes(p.id));
  if (opts.tactic) pbs = pbs.filter((p) => techniquesOf(p).some((t) => t.tactics.includes(opts.tactic!)));
  const report = await runHunt((q) => execScoped(store, snaps, q), pbs, { maxRowsPerQuery: 1000 });
  const out: HuntResult = { playbooks_run: report.playbooks_run, hits: [], errors: [] };
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

/** Case-insensitive substring match of each value against every string column of every table. */
export async function iocOver(store: LocalStore, snaps: ScopedSnapshot[], values: string[], limit: number): Promise<IocHit[]> {
  if (snaps.length === 0) return [];
  const conn = await store.connection();
  const hits: IocHit[] = [];
  const needles = values.map((v) => v.toLowerCase());
  for (const t of tableNames as TableName[]) {
    const cols = Object.entries(tables[t].columns as Record<string, ColumnDef>).filter(([, c]) => c.kind === 'string' || c.kind === 'string_list');
    if (!cols.length) continue;
    const text = (n: string, c: ColumnDef) => (c.kind === 'string_list' ? `lower(array_to_string("${n}", ' '))` : `lower("${n}")`);
    const conds: string[] = [];
    const params: string[] = [];
    for (const [n, c] of cols)
      for (const v of needles) {
        conds.push(`contains(${text(n, c)}, ?)`);
        params.push(v);
      }
    const snapIn = snaps.map(() => '?').join(', ');
    const sql = `SELECT * FROM "${t}" WHERE snapshot IN (${snapIn}) AND (${conds.join(' OR ')}) LIMIT ${limit - hits.length}`;
    const st = await conn.prepare(sql);
    st.bind([...snaps.map((s) => s.ref.snapshot), ...params]);
    const reader = await st.runAndReadAll();
    const names = reader.columnNames();
    for (const r of reader.getRowsJS()) {
      const row = Object.fromEntries(r.map((v, i) => [names[i]!, jsonValue(v)]));
      for (const [n] of cols) {
        const cell = row[n];
        const s = (Array.isArray(cell) ? cell.join(' ') : String(cell ?? '')).toLowerCase();
        const vi = needles.findIndex((v) => s.includes(v));
        if (vi >= 0) {
          hits.push({ value: values[vi]!, snapshot_id: String(row.snapshot), table: t, column: n, row });
          break;
        }
      }
      if (hits.length >= limit) return hits;
    }
  }
  return hits;
}

// Runs playbooks: every query of every playbook over the chosen snapshots, collecting the rows that
// fired, then groups the fired playbooks by ATT&CK tactic and technique (matrix order) for reports.
// The query executor is passed in, so the same runner serves the local DuckDB store and Athena.
import { isMemqError } from '../util/errors';
import { technique, techniqueLabel, tacticOrder, type Technique } from './attack';
import { severityRank, type Playbook, type Severity } from './playbook';
import { evidenceQuery } from './evidence';

export interface QueryRows {
  /** output column names in order (project, machine, snapshot first) */
  columns: string[];
  rows: Record<string, unknown>[];
}

/** Runs one query-language text over the hunt's scope. */
export type QueryExecutor = (query: string) => Promise<QueryRows>;

export interface QueryOutcome {
  title: string;
  query: string;
  columns: string[];
  /** rows kept (at most maxRowsPerQuery) */
  rows: Record<string, unknown>[];
  /** total rows the query returned */
  count: number;
  error?: string;
  elapsed_ms: number;
}

export interface PlaybookOutcome {
  id: string;
  title: string;
  severity: Severity;
  platform: string;
  file: string;
  /** the playbook's description and false-positive notes, for reports */
  description?: string;
  false_positives?: string;
  techniques: { id: string; name: string; tactics: string[] }[];
  /** distinct rows over all queries (a row two queries both return counts once) */
  count: number;
  /** snapshots (project/machine/snapshot) where it fired */
  snapshots: string[];
  queries: QueryOutcome[];
}

export interface TechniqueGroup {
  id: string;
  name: string;
  playbooks: { id: string; title: string; severity: Severity; count: number }[];
}

export interface TacticGroup {
  id: string;
  shortname: string;
  name: string;
  techniques: TechniqueGroup[];
}

export interface HuntReport {
  playbooks_run: number;
  /** playbooks not run because no snapshot in scope has their platform's OS */
  skipped: { id: string; platform: string }[];
  queries_run: number;
  fired: number;
  errors: number;
  elapsed_ms: number;
  /** every playbook's outcome (fired or not), in load order */
  results: PlaybookOutcome[];
  /** fired playbooks by tactic → technique, tactics in ATT&CK matrix order */
  by_tactic: TacticGroup[];
}

export interface HuntOptions {
  maxRowsPerQuery?: number;
  /**
   * Operating systems of the snapshots in scope (from their manifests). Playbooks for another OS are
   * skipped — a Windows playbook has nothing to find in Linux snapshots. Absent = run everything.
   */
  platforms?: ReadonlySet<'linux' | 'windows'>;
  /**
   * Run each query in its evidence form (lib/hunt/evidence.ts): rows carry the matching elements
   * (history line, indicator and address, socket 4-tuple, region) and the owner's name. The query
   * text in the outcome stays the playbook's.
   */
  evidence?: boolean;
  /** called after each playbook (progress) */
  onPlaybook?: (done: number, total: number, p: PlaybookOutcome) => void;
}

export function snapshotKey(r: Record<string, unknown>): string {
  return `${r.project ?? '?'}/${r.machine ?? '?'}/${r.snapshot ?? '?'}`;
}

export async function runHunt(exec: QueryExecutor, playbooks: readonly Playbook[], opts: HuntOptions = {}): Promise<HuntReport> {
  const maxRows = opts.maxRowsPerQuery ?? 1000;
  const t0 = performance.now();
  const results: PlaybookOutcome[] = [];
  let queriesRun = 0;
  const skipped: HuntReport['skipped'] = [];
  for (const pb of playbooks) {
    if (opts.platforms && pb.platform !== 'both' && !opts.platforms.has(pb.platform)) {
      skipped.push({ id: pb.id, platform: pb.platform });
      continue;
    }
    const outcome: PlaybookOutcome = {
      id: pb.id,
      title: pb.title,
      severity: pb.severity,
      platform: pb.platform,
      file: pb.file,
      description: pb.description.trim(),
      ...(pb.false_positives ? { false_positives: pb.false_positives.trim() } : {}),
      techniques: pb.attack.map((id) => {
        const t = technique(id);
        return { id: t.id, name: techniqueLabel(t), tactics: t.tactics.map((x) => x.shortname) };
      }),
      count: 0,
      snapshots: [],
      queries: [],
    };
    const snaps = new Set<string>();
    const distinct = new Set<string>();
    for (const q of pb.queries) {
      const q0 = performance.now();
      queriesRun++;
      try {
        const r = await exec(opts.evidence ? evidenceQuery(q.query) : q.query);
        for (const row of r.rows) {
          snaps.add(snapshotKey(row));
          distinct.add(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
        }
        outcome.queries.push({
          title: q.title,
          query: q.query,
          columns: r.columns,
          rows: r.rows.slice(0, maxRows),
          count: r.rows.length,
          elapsed_ms: Math.round(performance.now() - q0),
        });
      } catch (e) {
        // one broken query must not hide the others' findings; user errors are reported per query
        if (!isMemqError(e)) throw e;
        outcome.queries.push({ title: q.title, query: q.query, columns: [], rows: [], count: 0, error: e.message, elapsed_ms: Math.round(performance.now() - q0) });
      }
    }
    outcome.count = distinct.size;
    outcome.snapshots = [...snaps].sort();
    results.push(outcome);
    opts.onPlaybook?.(results.length + skipped.length, playbooks.length, outcome);
  }
  const fired = results.filter((r) => r.count > 0);
  return {
    playbooks_run: results.length,
    skipped,
    queries_run: queriesRun,
    fired: fired.length,
    errors: results.reduce((n, r) => n + r.queries.filter((q) => q.error).length, 0),
    elapsed_ms: Math.round(performance.now() - t0),
    results,
    by_tactic: groupByTactic(fired),
  };
}

/** Fired playbooks grouped tactic → technique; a playbook appears under each of its techniques' tactics. */
export function groupByTactic(fired: readonly PlaybookOutcome[]): TacticGroup[] {
  const tactics = new Map<string, TacticGroup>();
  for (const pb of fired) {
    for (const tref of pb.techniques) {
      const t: Technique = technique(tref.id);
      for (const tac of t.tactics) {
        let g = tactics.get(tac.shortname);
        if (!g) tactics.set(tac.shortname, (g = { id: tac.id, shortname: tac.shortname, name: tac.name, techniques: [] }));
        let tg = g.techniques.find((x) => x.id === t.id);
        if (!tg) g.techniques.push((tg = { id: t.id, name: techniqueLabel(t), playbooks: [] }));
        tg.playbooks.push({ id: pb.id, title: pb.title, severity: pb.severity, count: pb.count });
      }
    }
  }
  const out = [...tactics.values()].sort((a, b) => tacticOrder(a.shortname) - tacticOrder(b.shortname));
  for (const g of out) {
    g.techniques.sort((a, b) => a.id.localeCompare(b.id));
    for (const t of g.techniques) t.playbooks.sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || a.id.localeCompare(b.id));
  }
  return out;
}

/**
 * OS set of the snapshots a scope covers, for HuntOptions.platforms: a snapshot whose OS is unknown
 * (no manifest) counts as both, so nothing is skipped for it.
 */
export function platformsInScope(
  snapshots: readonly { project: string; machine: string; snapshot: string; os?: string }[],
  scope: { projects?: string[]; machines?: string[]; snapshots?: string[] },
): Set<'linux' | 'windows'> {
  const out = new Set<'linux' | 'windows'>();
  for (const s of snapshots) {
    if (scope.projects && !scope.projects.includes(s.project)) continue;
    if (scope.machines && !scope.machines.includes(s.machine)) continue;
    if (scope.snapshots && !scope.snapshots.includes(s.snapshot)) continue;
    if (s.os === 'linux' || s.os === 'windows') out.add(s.os);
    else {
      out.add('linux');
      out.add('windows');
    }
  }
  return out;
}

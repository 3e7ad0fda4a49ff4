// The ATT&CK matrix of a hunt as data (pure; tested in jest): columns are the Enterprise tactics in
// the matrix's own order with their own names (from the bundled MITRE table, lib/hunt/attack), cells
// the techniques the playbook library covers under each tactic plus any technique a hit names, each
// with its hits (rows), the playbooks that fired and the highest severity among them.
// named imports: the bundle keeps the tactics and the release line, not the 700 techniques
import { release, tactics } from '../../../lib/hunt/attack/enterprise-attack.json';
import type { HuntHit } from './types';

export interface Tactic {
  id: string;
  shortname: string;
  name: string;
}

/** Enterprise tactics in matrix order (Reconnaissance … Impact). */
export const TACTICS: readonly Tactic[] = tactics;
export const ATTACK_RELEASE: string = release;

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export const severityRank = (s: string) => {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i < 0 ? SEVERITIES.length : i;
};

export interface MatrixCell {
  technique: { id: string; name: string };
  /** fired playbook × snapshot entries under this technique */
  hits: HuntHit[];
  /** result rows of those entries */
  count: number;
  /** highest severity among the fired playbooks, or null when nothing fired */
  severity: string | null;
}

export interface MatrixColumn {
  tactic: Tactic;
  cells: MatrixCell[];
  count: number;
}

type Tech = { id: string; name: string; tactics: string[] };

/**
 * Build the matrix. `library` are the techniques the playbooks cover (shown even without hits, so a
 * clean result reads as "looked, found nothing"); `hits` the hunt's hits (one per playbook, query and
 * snapshot). `all` shows every tactic column, also those no playbook covers.
 */
export function buildMatrix(library: Tech[], hits: HuntHit[], all = true): MatrixColumn[] {
  const cols = new Map<string, Map<string, MatrixCell>>();
  const cell = (tactic: string, t: { id: string; name: string }) => {
    let c = cols.get(tactic);
    if (!c) cols.set(tactic, (c = new Map()));
    let m = c.get(t.id);
    if (!m) c.set(t.id, (m = { technique: { id: t.id, name: t.name }, hits: [], count: 0, severity: null }));
    return m;
  };
  for (const t of library) for (const ta of t.tactics) cell(ta, t);
  for (const h of hits) {
    for (const t of h.techniques) {
      for (const ta of t.tactics) {
        const m = cell(ta, t);
        if (!m.hits.includes(h)) {
          m.hits.push(h);
          m.count += h.rows.length;
          if (m.severity === null || severityRank(h.severity) < severityRank(m.severity)) m.severity = h.severity;
        }
      }
    }
  }
  const known = new Set(TACTICS.map((t) => t.shortname));
  const order: Tactic[] = [...TACTICS, ...[...cols.keys()].filter((k) => !known.has(k)).map((k) => ({ id: '', shortname: k, name: k }))];
  return order
    .filter((t) => all || cols.has(t.shortname))
    .map((tactic) => {
      // ATT&CK lists techniques by name within a tactic; sub-techniques sort under their parent's name
      const cells = [...(cols.get(tactic.shortname)?.values() ?? [])].sort((a, b) => a.technique.name.localeCompare(b.technique.name) || a.technique.id.localeCompare(b.technique.id));
      return { tactic, cells, count: cells.reduce((s, c) => s + c.count, 0) };
    });
}

const SEV_RGB: Record<string, [number, number, number]> = { critical: [127, 29, 29], high: [220, 38, 38], medium: [245, 158, 11], low: [14, 165, 233], info: [100, 116, 139] };

/** Cell colour: hue by severity, strength by hits (log scale against the busiest cell). */
export function cellColor(c: MatrixCell, max: number): { background: string; color: string } | undefined {
  if (!c.count || !c.severity) return undefined;
  const [r, g, b] = SEV_RGB[c.severity] ?? SEV_RGB.info!;
  const a = 0.3 + 0.7 * Math.min(1, Math.log2(1 + c.count) / Math.log2(1 + Math.max(1, max)));
  return { background: `rgba(${r},${g},${b},${a.toFixed(2)})`, color: a > 0.55 && c.severity !== 'medium' ? '#fff' : '#0f172a' };
}

/** A tactic's own name ("Defense Evasion") from its shortname ("defense-evasion"). */
export function tacticName(shortname: string): string {
  return TACTICS.find((t) => t.shortname === shortname)?.name ?? shortname;
}

// MITRE ATT&CK lookups for playbooks: validates technique ids against the bundled Enterprise table
// (attack/enterprise-attack.json, generated from MITRE's STIX data by attack/generate.ts) and maps a
// technique to its name and tactics, in kill-chain (matrix) order, for grouping hunt results.
import { MemqError } from '../util/errors';
import data from './attack/enterprise-attack.json';

export interface Tactic {
  id: string;
  shortname: string;
  name: string;
}

export interface Technique {
  id: string;
  name: string;
  tactics: Tactic[];
  platforms: string[];
  /** for sub-techniques (T1055.011): the parent technique (T1055) */
  parent?: { id: string; name: string };
}

interface AttackData {
  release: string;
  tactics: Tactic[];
  techniques: Record<string, { name: string; tactics: string[]; platforms: string[] }>;
  retired: Record<string, string>;
}

const attack = data as AttackData;
const tacticByShort = new Map(attack.tactics.map((t, i) => [t.shortname, { ...t, order: i }]));

/** ATT&CK release the bundled table was generated from. */
export const attackRelease: string = attack.release;

/** Tactics in matrix order (Reconnaissance … Impact). */
export const tactics: readonly Tactic[] = attack.tactics;

/** Matrix position of a tactic (for ordering reports); unknown tactics sort last. */
export function tacticOrder(shortname: string): number {
  return tacticByShort.get(shortname)?.order ?? tactics.length;
}

export function isTechniqueId(id: string): boolean {
  return Object.prototype.hasOwnProperty.call(attack.techniques, id);
}

/** The technique with this id, or a MemqError saying why the id is not usable. */
export function technique(id: string): Technique {
  const t = attack.techniques[id];
  if (!t || !isTechniqueId(id)) {
    if (!/^T\d{4}(\.\d{3})?$/.test(id)) {
      throw new MemqError(`ATT&CK technique id "${id}" is malformed: expected T#### or T####.### (e.g. T1055.001)`, 'E_ATTACK');
    }
    const why = attack.retired[id];
    if (why) throw new MemqError(`ATT&CK technique ${id} is ${why} in ${attack.release}; use its current replacement`, 'E_ATTACK');
    const base = id.split('.')[0];
    const hint = isTechniqueId(base) ? ` (technique ${base} "${attack.techniques[base].name}" exists)` : '';
    throw new MemqError(`ATT&CK technique ${id} does not exist in ${attack.release}${hint}`, 'E_ATTACK');
  }
  const parentId = id.includes('.') ? id.split('.')[0] : undefined;
  return {
    id,
    name: t.name,
    tactics: t.tactics.map((s) => {
      const tac = tacticByShort.get(s);
      return tac ? { id: tac.id, shortname: tac.shortname, name: tac.name } : { id: '', shortname: s, name: s };
    }),
    platforms: t.platforms,
    ...(parentId && isTechniqueId(parentId) ? { parent: { id: parentId, name: attack.techniques[parentId].name } } : {}),
  };
}

/** "Masquerading: Masquerade Task or Service" style label (parent name first for sub-techniques). */
export function techniqueLabel(t: Technique): string {
  return t.parent ? `${t.parent.name}: ${t.name}` : t.name;
}

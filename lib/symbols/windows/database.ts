// The Windows kernel layout database: the committed compact layouts (layouts.generated.json, built from
// 9 ntkrnlmp ISF files) plus any ISF files the user passes, and the two ways to pick one for a dump —
// by PDB GUID+age (from the kernel's CodeView record) or by the RVAs of well-known globals relative
// to the kernel base.
import { readIsfFile, MATCH_SYMBOLS, type BuildLayout } from '../isf';

let builtIn: BuildLayout[] | null = null;

export function builtInLayouts(): BuildLayout[] {
  if (!builtIn) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    builtIn = (require('./layouts.generated.json') as { builds: BuildLayout[] }).builds;
  }
  return builtIn;
}

/** Built-in layouts plus user ISF files (user files first, so they win on equal GUIDs). */
export function layoutCatalog(extraIsf: string[] = []): BuildLayout[] {
  return [...extraIsf.map((f) => readIsfFile(f)), ...builtInLayouts()];
}

export function matchByGuid(catalog: BuildLayout[], guid: string, age: number): BuildLayout | null {
  const g = guid.toUpperCase();
  return catalog.find((l) => l.guid === g && l.age === age) ?? catalog.find((l) => l.guid === g) ?? null;
}

export interface RvaMatch {
  layout: BuildLayout;
  /** symbols whose RVAs matched */
  matched: string[];
}

/**
 * Picks the build whose RVAs of PsActiveProcessHead / PsLoadedModuleList / KdDebuggerDataBlock equal
 * the observed ones. Every known RVA must match and at least two must be known; a unique winner only.
 */
export function matchByRvas(catalog: BuildLayout[], observed: Partial<Record<(typeof MATCH_SYMBOLS)[number], number>>): RvaMatch | null {
  const hits: RvaMatch[] = [];
  for (const l of catalog) {
    const matched: string[] = [];
    let ok = true;
    for (const s of MATCH_SYMBOLS) {
      const o = observed[s];
      if (o === undefined) continue;
      if (l.symbols[s] !== o) {
        ok = false;
        break;
      }
      matched.push(s);
    }
    if (ok && matched.length >= 2) hits.push({ layout: l, matched });
  }
  const guids = new Set(hits.map((h) => h.layout.guid));
  return guids.size === 1 ? hits[0] : null;
}

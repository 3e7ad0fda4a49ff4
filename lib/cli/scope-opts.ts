// The scope options the store commands share (--project/--machine/--snapshot, repeatable) and the
// query layer's Scope they stand for.
import type { Scope } from '../query';

export interface ScopeOpts {
  project?: string[];
  machine?: string[];
  snapshot?: string[];
}

export function scopeFrom(o: ScopeOpts): Scope {
  const s: Scope = {};
  if (o.project?.length) s.projects = o.project;
  if (o.machine?.length) s.machines = o.machine;
  if (o.snapshot?.length) s.snapshots = o.snapshot;
  return s;
}

// Implementations of `memq add` and `memq snapshots` (specs in store-commands.ts).
import { discoveryCacheFor } from '../os/discovery-cache';
import * as path from 'node:path';
import { addDumpToStore } from '../store/add';
import { defaultSnapshotName, defaultStoreDir, listSnapshots, openLocalStore } from '../store/store';
import { render, type OutputFormat, terminalSafe, terminalWidth } from './output';
import { progressReporter } from './progress';
import { compileRules, ruleFiles } from '../yara/engine';
import { MemqError } from '../util/errors';
import { storeNames, type StoreNames } from '../platform/store-names';

export interface AddOpts {
  project: string;
  machine: string;
  snapshot?: string;
  store?: string;
  replace?: boolean;
  systemMap?: string;
  isf?: string[];
  /** true with --hash, false with --no-hash, unset by default */
  hash?: boolean;
  yaraRules?: string[];
}

export async function add(dump: string, o: AddOpts): Promise<void> {
  const dir = path.resolve(o.store ?? defaultStoreDir());
  const ref = { project: o.project, machine: o.machine, snapshot: o.snapshot ?? defaultSnapshotName() };
  // rules compile before the dump is read: a broken rule fails in a second, with its line and column
  const scanner = o.yaraRules?.length ? await compileRules(ruleFiles(o.yaraRules)) : undefined;
  // one store, one truth: `memq serve` addresses a snapshot by its name, so a name lives at one place
  const elsewhere = listSnapshots(dir).find((s) => s.snapshot === ref.snapshot && (s.project !== ref.project || s.machine !== ref.machine));
  if (elsewhere)
    throw new MemqError(`snapshot name ${ref.snapshot} is already used by ${elsewhere.project}/${elsewhere.machine}/${elsewhere.snapshot} in this store: snapshot names are unique in a store (memq serve and queries address a snapshot by it); choose another --snapshot`, 'E_EXISTS');
  const bar = progressReporter();
  try {
    const m = await addDumpToStore(dir, dump, ref, {
      yara: scanner ? { scanner } : undefined,
      replace: o.replace,
      hash: o.hash,
      systemMap: o.systemMap,
      isf: o.isf,
      cache: discoveryCacheFor(dump),
      onProgress: (d, t) => bar.update('decompress', d, t),
      progress: (s, d, t) => bar.update(s, d, t),
    });
    bar.stop();
    const counts = Object.entries(m.counts)
      .filter(([, n]) => n > 0)
      .map(([t, n]) => `${t}=${n}`)
      .join(' ');
    process.stdout.write(terminalSafe(`${ref.project}/${ref.machine}/${ref.snapshot}: ${m.os} ${m.kernel ?? ''} — ${counts}`) + '\n');
    for (const w of m.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  } finally {
    bar.stop();
    scanner?.free();
  }
}

export function snapshots(o: { store?: string; project?: string; machine?: string; format: OutputFormat }): void {
  const store = openLocalStore(o.store ?? defaultStoreDir());
  const names = storeNames(store.dir);
  const rows = listSnapshots(store.dir)
    .filter((s) => (!o.project || s.project === o.project) && (!o.machine || s.machine === o.machine))
    .map((s) => ({ ...s, names: namesOf(names, s), processes: s.counts?.process ?? null }));
  process.stdout.write(render(rows as unknown as Record<string, unknown>[], ['project', 'machine', 'snapshot', 'names', 'os', 'kernel', 'processes', 'created_at', 'dump'], o.format, terminalWidth()));
}

/** "incident-1/web-01/memory.kdump" for a snapshot uploaded through `memq serve` (ids as partitions); '' when the names are the ids. */
function namesOf(n: StoreNames, s: { project: string; machine: string; snapshot: string }): string {
  const parts = [n.project.get(s.project) ?? s.project, n.machine.get(s.machine) ?? s.machine, n.snapshot.get(s.snapshot) ?? s.snapshot];
  return parts.join('/') === `${s.project}/${s.machine}/${s.snapshot}` ? '' : parts.join('/');
}

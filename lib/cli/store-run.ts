// Implementations of `memq add` and `memq snapshots` (specs in store-commands.ts).
import { discoveryCacheFor } from '../os/discovery-cache';
import * as path from 'node:path';
import { addDumpToStore } from '../store/add';
import { defaultSnapshotName, defaultStoreDir, listSnapshots, openLocalStore } from '../store/store';
import { render, type OutputFormat, terminalSafe, terminalWidth } from './output';
import { progressReporter } from './progress';
import { compileRules, ruleFiles } from '../yara/engine';

export interface AddOpts {
  project: string;
  machine: string;
  snapshot?: string;
  store?: string;
  replace?: boolean;
  systemMap?: string;
  isf?: string[];
  /** false with --no-hash */
  hash?: boolean;
  yaraRules?: string[];
}

export async function add(dump: string, o: AddOpts): Promise<void> {
  const dir = path.resolve(o.store ?? defaultStoreDir());
  const ref = { project: o.project, machine: o.machine, snapshot: o.snapshot ?? defaultSnapshotName() };
  // rules compile before the dump is read: a broken rule fails in a second, with its line and column
  const scanner = o.yaraRules?.length ? await compileRules(ruleFiles(o.yaraRules)) : undefined;
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
  const rows = listSnapshots(store.dir)
    .filter((s) => (!o.project || s.project === o.project) && (!o.machine || s.machine === o.machine))
    .map((s) => ({ ...s, processes: s.counts?.process ?? null }));
  process.stdout.write(render(rows as unknown as Record<string, unknown>[], ['project', 'machine', 'snapshot', 'os', 'kernel', 'processes', 'created_at', 'dump'], o.format, terminalWidth()));
}

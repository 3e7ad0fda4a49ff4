// `memq add`: analyzes a dump straight into the store's partition folders (one Parquet file per
// table for the snapshot) and writes the snapshot manifest. Uses the same analyzeTables() as
// `memq analyze` and the cloud shards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../os/open';
import type { EngineOptions } from '../os/engine';
import type { OpenOptions } from '../image/open';
import { tableNames } from '../model';
import { MemqError } from '../util/errors';
import { analyzeTables, buildManifest, sha256File, type SnapshotManifest } from './analyze';
import { bumpStoreGeneration, partitionPath, snapshotExists, tableFileRelative, writeManifest, type SnapshotRef } from './store';

export interface AddOptions extends EngineOptions, OpenOptions {
  /** replace an existing snapshot of the same name instead of failing */
  replace?: boolean;
}

export async function addDumpToStore(dir: string, dump: string, ref: SnapshotRef, opts: AddOptions = {}): Promise<SnapshotManifest> {
  partitionPath(ref); // validates the names before any work
  if (!fs.existsSync(dump)) throw new MemqError(`${dump}: no such file`, 'E_NO_FILE');
  if (snapshotExists(dir, ref)) {
    if (!opts.replace)
      throw new MemqError(`snapshot ${ref.project}/${ref.machine}/${ref.snapshot} already exists in ${dir} (choose another --snapshot or pass --replace)`, 'E_EXISTS');
    removeSnapshot(dir, ref);
  }
  const t0 = performance.now();
  const eng = await openDump(dump, opts);
  const openMs = Math.round(performance.now() - t0);
  try {
    fs.mkdirSync(dir, { recursive: true });
    let manifest: SnapshotManifest;
    try {
      const { counts, timings_ms, skipped } = await analyzeTables(eng, dir, tableNames, {
        progress: opts.progress,
        fileName: (t) => tableFileRelative(t, ref),
      });
      manifest = buildManifest(eng, dump, await sha256File(dump), counts, { open: openMs, ...timings_ms }, skipped);
      writeManifest(dir, ref, manifest);
    } catch (e) {
      // no half-written snapshot: queries would see some tables of it and not others
      removeSnapshot(dir, ref);
      throw e;
    }
    bumpStoreGeneration(dir);
    return manifest;
  } finally {
    eng.mem.close();
  }
}

/** Deletes every file of one snapshot (all tables and the manifest). */
export function removeSnapshot(dir: string, ref: SnapshotRef): void {
  const part = partitionPath(ref);
  for (const top of ['_manifests', ...tableNames]) fs.rmSync(path.join(dir, top, part), { recursive: true, force: true });
  bumpStoreGeneration(dir);
}

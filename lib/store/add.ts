// `memq add`: analyzes a dump into a staging folder of the store (one Parquet file per table for the
// snapshot), then publishes it: tables moved into the partition folders, manifest last. A snapshot
// is never seen half-written, and a re-run after a crash just works. Uses the same analyzeTables() as
// `memq analyze` and the cloud shards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { openDump } from '../os/open';
import type { EngineOptions, ExtractOptions } from '../os/engine';
import type { OpenOptions } from '../image/open';
import { tableNames } from '../model';
import { MemqError } from '../util/errors';
import { analyzeTables, buildManifest, type SnapshotManifest } from './analyze';
import { startDumpHash } from './dump-hash';
import { removeOnExit } from '../util/cleanup';
import {
  bumpStoreGeneration,
  manifestPath,
  partitionPath,
  publishingMarker,
  snapshotState,
  tableFileRelative,
  writeManifest,
  type SnapshotRef,
} from './store';

export interface AddOptions extends EngineOptions, OpenOptions {
  /** replace an existing snapshot of the same name instead of failing */
  replace?: boolean;
  /** the dump's SHA-256: true always (--hash), false never (--no-hash), unset unless sparse (lib/store/dump-hash.ts) */
  hash?: boolean;
  /** compiled YARA rules: fill the yara_match table (memq add --yara-rules) */
  yara?: ExtractOptions['yara'];
}

export async function addDumpToStore(dir: string, dump: string, ref: SnapshotRef, opts: AddOptions = {}): Promise<SnapshotManifest> {
  const part = partitionPath(ref); // validates the names before any work
  if (!fs.existsSync(dump)) throw new MemqError(`${dump}: no such file`, 'E_NO_FILE');
  const name = `${ref.project}/${ref.machine}/${ref.snapshot}`;
  const state = snapshotState(dir, ref);
  if (state === 'publishing') throw new MemqError(`snapshot ${name} is being added by another process right now`, 'E_BUSY');
  if (state === 'complete' && !opts.replace)
    throw new MemqError(`snapshot ${name} already exists in ${dir} (choose another --snapshot or pass --replace)`, 'E_EXISTS');
  // 'interrupted' (an earlier add was killed while publishing): cleaned up by publish() below
  fs.mkdirSync(dir, { recursive: true });
  removeStaleStaging(dir);
  // Everything is written to a private staging folder first; the store sees the snapshot only once
  // publish() has moved every table in and written the manifest. A kill during the analysis leaves
  // only the staging folder (removed on SIGINT/SIGTERM, and by the next add if the process is gone).
  const staging = path.join(dir, STAGING_DIR, `${process.pid}-${crypto.randomUUID()}`);
  fs.mkdirSync(staging, { recursive: true });
  const release = removeOnExit(staging);
  try {
    const t0 = performance.now();
    const hash = startDumpHash(dump, opts.hash);
    let eng: Awaited<ReturnType<typeof openDump>>;
    try {
      eng = await openDump(dump, opts);
    } catch (e) {
      hash.cancel();
      throw e;
    }
    const openMs = Math.round(performance.now() - t0);
    let manifest: SnapshotManifest;
    try {
      const { counts, timings_ms, skipped } = await analyzeTables(eng, staging, tableNames, {
        progress: opts.progress,
        yara: opts.yara,
        fileName: (t) => tableFileRelative(t, ref),
      });
      manifest = buildManifest(eng, dump, await hash.result(), counts, { open: openMs, ...timings_ms }, skipped);
    } catch (e) {
      hash.cancel();
      throw e;
    } finally {
      eng.mem.close();
    }
    publish(dir, ref, part, staging, manifest, !!opts.replace);
    return manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    release();
  }
}

/** Folder under the store where `memq add` and the server's worker write a snapshot before publishing it. */
export const STAGING_DIR = '_staging';

/** Removes staging folders of processes that are gone (an add killed with SIGKILL). */
export function removeStaleStaging(dir: string): string[] {
  const base = path.join(dir, STAGING_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const pid = Number.parseInt(n, 10);
    if (!(pid > 0) || pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(base, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a staged snapshot into the store: marker first (from then on the snapshot is hidden from
 * listings and queries), then the old snapshot's files out, the new tables in (one rename per table),
 * the manifest (atomic), and the marker away. A process killed in between leaves the marker: the
 * snapshot stays hidden and the next add of it starts again here.
 */
function publish(dir: string, ref: SnapshotRef, part: string, staging: string, manifest: SnapshotManifest, replace: boolean): void {
  const marker = publishingMarker(dir, ref);
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  const state = snapshotState(dir, ref);
  if (state === 'publishing') throw new MemqError(`snapshot ${ref.project}/${ref.machine}/${ref.snapshot} is being added by another process right now`, 'E_BUSY');
  if (state === 'complete' && !replace)
    throw new MemqError(`snapshot ${ref.project}/${ref.machine}/${ref.snapshot} was added meanwhile by another process (pass --replace to overwrite it)`, 'E_EXISTS');
  fs.writeFileSync(marker, `${process.pid}\n`);
  bumpStoreGeneration(dir); // long-running readers rebuild their views now, without this snapshot
  fs.rmSync(manifestPath(dir, ref), { force: true });
  for (const t of tableNames) {
    const to = path.join(dir, t, part);
    fs.rmSync(to, { recursive: true, force: true });
    const from = path.join(staging, t, part);
    if (!fs.existsSync(from)) continue;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.renameSync(from, to);
  }
  writeManifest(dir, ref, manifest);
  fs.rmSync(marker, { force: true });
  bumpStoreGeneration(dir);
}

/** Deletes every file of one snapshot (all tables and the manifest). */
export function removeSnapshot(dir: string, ref: SnapshotRef): void {
  const part = partitionPath(ref);
  for (const top of ['_manifests', ...tableNames]) fs.rmSync(path.join(dir, top, part), { recursive: true, force: true });
  bumpStoreGeneration(dir);
}

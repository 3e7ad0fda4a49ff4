// `memq analyze`: every catalog table the engine fills, written as one Parquet file per table, plus
// manifest.json (counts, sha256, timings, warnings). Extraction is per table so a cloud shard can run
// analyzeTables() for its slice with exactly the same code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../os/open';
import type { EngineOptions, ExtractOptions, OsEngine } from '../os/engine';
import type { OpenOptions } from '../image/open';
import { tableNames, type TableName } from '../model';
import { ParquetWriter } from './parquet-writer';
import { startDumpHash, type DumpHash } from './dump-hash';
import type { DumpIdentity } from '../os/discovery-cache';
import { isMemqError, isTransientError, MemqError } from '../util/errors';

/**
 * True for an error that means "this input cannot be read here" (a MemqError, a ReadFault that
 * escaped an extractor): the table is skipped and recorded. A TransientError (S3 "try again"), an
 * unsupported codec and anything else (a bug) propagate.
 */
function isBadInput(e: unknown): boolean {
  if (isTransientError(e)) return false;
  // an unsupported codec (LZO pages) concerns the whole dump, not one table: stop with its message
  if (isMemqError(e)) return e.code !== 'E_UNSUPPORTED';
  return e instanceof Error && e.name === 'ReadFault';
}

export interface SnapshotManifest {
  memq_version: string;
  dump: { name: string; size: number; sha256: string | null; format: string; identity?: DumpIdentity; hash_skipped?: string };
  os: 'linux' | 'windows';
  kernel: string | null;
  /** when the dump was taken, from the dump itself (Linux timekeeper wall clock, Windows dump header); null when unknown */
  captured_at?: string | null;
  info: Record<string, string | number | boolean>;
  counts: Record<string, number>;
  timings_ms: Record<string, number>;
  warnings: string[];
  /**
   * Tables whose extraction failed on bad input and were written empty instead of failing the whole
   * analysis (objects skipped within a table are in `warnings`). Absent when nothing was skipped.
   */
  skipped?: SkippedTable[];
  created_at: string;
}

export interface SkippedTable {
  table: string;
  reason: string;
}

/** Extracts `which` tables from an open engine and writes <outDir>/<table>.parquet for each. */
export async function analyzeTables(
  eng: OsEngine,
  outDir: string,
  which: readonly TableName[] = tableNames,
  opts: ExtractOptions & {
    fileName?: (t: TableName) => string;
    progress?: EngineOptions['progress'];
    /** sees each table's extracted rows after they are written (the pipeline keeps the overview's slice) */
    onRows?: (t: TableName, rows: readonly Record<string, unknown>[]) => void;
  } = {},
): Promise<{ counts: Record<string, number>; timings_ms: Record<string, number>; skipped: SkippedTable[] }> {
  const writer = await ParquetWriter.create();
  const counts: Record<string, number> = {};
  const timings_ms: Record<string, number> = {};
  const skipped: SkippedTable[] = [];
  try {
    let i = 0;
    for (const t of which) {
      opts.progress?.('analyze', i++, which.length);
      const t0 = performance.now();
      let rows: readonly unknown[] = [];
      try {
        if (eng.tables.includes(t)) rows = eng.extract(t, opts);
      } catch (e) {
        if (!isBadInput(e)) throw e;
        // one unreadable structure must not cost the other tables: this one is written empty and recorded
        const reason = (e as Error).message;
        skipped.push({ table: t, reason });
        if (eng.warnings.length < 1000) eng.warnings.push(`${t}: table skipped: ${reason}`);
      }
      const file = path.join(outDir, opts.fileName ? opts.fileName(t) : `${t}.parquet`);
      counts[t] = await writer.write(t, rows as unknown as Record<string, unknown>[], file);
      opts.onRows?.(t, rows as unknown as Record<string, unknown>[]);
      timings_ms[t] = Math.round(performance.now() - t0);
    }
    opts.progress?.('analyze', which.length, which.length);
  } finally {
    writer.close();
  }
  return { counts, timings_ms, skipped };
}

export async function analyzeToDirectory(
  dump: string,
  outDir: string,
  opts: EngineOptions & OpenOptions & { /** the dump's SHA-256: true always (--hash), false never (--no-hash), unset unless sparse (lib/store/dump-hash.ts) */ hash?: boolean; yara?: ExtractOptions['yara'] } = {},
): Promise<SnapshotManifest> {
  if (!fs.existsSync(dump)) throw new MemqError(`${dump}: no such file`, 'E_NO_FILE');
  const t0 = performance.now();
  const hash = startDumpHash(dump, opts.hash);
  let eng: OsEngine;
  try {
    eng = await openDump(dump, opts);
  } catch (e) {
    hash.cancel();
    throw e;
  }
  const openMs = Math.round(performance.now() - t0);
  try {
    fs.mkdirSync(outDir, { recursive: true });
    const { counts, timings_ms, skipped } = await analyzeTables(eng, outDir, tableNames, { progress: opts.progress, yara: opts.yara });
    const manifest = buildManifest(eng, dump, await hash.result(), counts, { open: openMs, ...timings_ms }, skipped);
    fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } catch (e) {
    hash.cancel();
    throw e;
  } finally {
    eng.mem.close();
  }
}

/** The engine's capture_time as an ISO instant, or null ('unknown', absent, or not a date). */
export function capturedAt(info: Record<string, unknown>): string | null {
  const t = info.capture_time;
  return typeof t === 'string' && !Number.isNaN(Date.parse(t)) ? new Date(t).toISOString() : null;
}

export function buildManifest(
  eng: OsEngine,
  dump: string,
  hash: DumpHash,
  counts: Record<string, number>,
  timings_ms: Record<string, number>,
  skipped: SkippedTable[] = [],
): SnapshotManifest {
  const info = eng.info();
  return {
    memq_version: require('../../package.json').version,
    dump: { name: path.basename(dump), size: fs.statSync(dump).size, sha256: hash.sha256, format: eng.mem.format, ...(hash.identity ? { identity: hash.identity } : {}), ...(hash.skipped ? { hash_skipped: hash.skipped } : {}) },
    os: eng.os,
    kernel: (info.kernel_version as string | undefined) ?? null,
    captured_at: capturedAt(info),
    info,
    counts,
    timings_ms,
    warnings: [...eng.warnings, ...(hash.skipped ? [`dump SHA-256 not computed: ${hash.skipped}`] : [])],
    ...(skipped.length ? { skipped } : {}),
    created_at: new Date().toISOString(),
  };
}

// `memq analyze`: every catalog table the engine fills, written as one Parquet file per table, plus
// manifest.json (counts, sha256, timings, warnings). Extraction is per table so a cloud shard can run
// analyzeTables() for its slice with exactly the same code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { openDump } from '../os/open';
import type { EngineOptions, ExtractOptions, OsEngine } from '../os/engine';
import type { OpenOptions } from '../image/open';
import { tableNames, type TableName } from '../model';
import { ParquetWriter } from './parquet-writer';
import { isMemqError, isTransientError } from '../util/errors';

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
  dump: { name: string; size: number; sha256: string; format: string };
  os: 'linux' | 'windows';
  kernel: string | null;
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

export async function sha256File(file: string): Promise<string> {
  // one reused 8 MiB buffer: a stream allocates a fresh chunk per read, which on a large (or sparse)
  // dump costs more than the hashing itself (16 GiB sparse raw: 63 s with a stream, 14 s like this)
  const h = crypto.createHash('sha256');
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
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
  opts: EngineOptions & OpenOptions & { yara?: ExtractOptions['yara'] } = {},
): Promise<SnapshotManifest> {
  const t0 = performance.now();
  const eng = await openDump(dump, opts);
  const openMs = Math.round(performance.now() - t0);
  try {
    fs.mkdirSync(outDir, { recursive: true });
    const { counts, timings_ms, skipped } = await analyzeTables(eng, outDir, tableNames, { progress: opts.progress, yara: opts.yara });
    const manifest = buildManifest(eng, dump, await sha256File(dump), counts, { open: openMs, ...timings_ms }, skipped);
    fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } finally {
    eng.mem.close();
  }
}

export function buildManifest(
  eng: OsEngine,
  dump: string,
  sha256: string,
  counts: Record<string, number>,
  timings_ms: Record<string, number>,
  skipped: SkippedTable[] = [],
): SnapshotManifest {
  const info = eng.info();
  return {
    memq_version: require('../../package.json').version,
    dump: { name: path.basename(dump), size: fs.statSync(dump).size, sha256, format: eng.mem.format },
    os: eng.os,
    kernel: (info.kernel_version as string | undefined) ?? null,
    info,
    counts,
    timings_ms,
    warnings: [...eng.warnings],
    ...(skipped.length ? { skipped } : {}),
    created_at: new Date().toISOString(),
  };
}

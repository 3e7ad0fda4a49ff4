// Implementations of `memq yara` and `memq dump` (specs in evidence-commands.ts).
import { discoveryCacheFor } from '../os/discovery-cache';
import { openDump } from '../os/open';
import type { OsEngine } from '../os/engine';
import { tables } from '../model';
import { render, terminalSafe, terminalWidth, type OutputFormat } from './output';
import { progressReporter } from './progress';
import { MemqError } from '../util/errors';
import { compileRules, ruleFiles } from '../yara/engine';
import { exportEvidence } from '../evidence/export';

export interface YaraOpts {
  rules: string[];
  pid?: string;
  processes: boolean;
  modules: boolean;
  kernel: boolean;
  physical?: boolean;
  format: OutputFormat;
  allColumns?: boolean;
  systemMap?: string;
}

export interface DumpOpts {
  out: string;
  pid?: string[];
  file?: string[];
  regions: boolean;
  images: boolean;
  openFiles?: boolean;
  systemMap?: string;
}

async function open(dump: string, systemMap?: string): Promise<OsEngine> {
  const bar = progressReporter();
  try {
    return await openDump(dump, {
      systemMap,
      cache: discoveryCacheFor(dump),
      onProgress: (d, t) => bar.update('decompress', d, t),
      progress: (s, d, t) => bar.update(s, d, t),
    });
  } finally {
    bar.stop();
  }
}

function pidOf(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new MemqError(`--pid expects a process id, got "${s}"`, 'E_USAGE');
  return n;
}

const YARA_COLUMNS = ['rule', 'scope', 'process_id', 'process_name', 'module_name', 'protection', 'file_name', 'address', 'string_identifier', 'data_preview'];

export async function yara(dump: string, o: YaraOpts): Promise<void> {
  const scanner = await compileRules(ruleFiles(o.rules)); // a broken rule fails before the dump is opened
  const pid = o.pid === undefined ? undefined : pidOf(o.pid);
  const eng = await open(dump, o.systemMap);
  if (eng.os !== 'linux') throw new MemqError('memq yara: Linux dumps only for now', 'E_UNSUPPORTED');
  try {
    const rows = eng.extract('yara_match', { pid, yara: { scanner, processes: o.processes, modules: o.modules, kernel: o.kernel, physical: o.physical } });
    const cols = o.allColumns || o.format !== 'table' ? Object.keys(tables.yara_match.columns) : YARA_COLUMNS;
    process.stdout.write(render(rows as unknown as Record<string, unknown>[], cols, o.format, terminalWidth()));
    if (o.format === 'table') {
      const per = (s: string) => rows.filter((r) => r.scope === s).length;
      const rules = new Set(rows.map((r) => `${r.namespace}:${r.rule}`)).size;
      process.stderr.write(`(${rows.length} matches of ${rules} of ${scanner.ruleCount} rules: ${per('process')} in process memory, ${per('module')} in module memory, ${per('kernel')} in the kernel image${o.physical ? `, ${per('physical')} in physical RAM` : ''})\n`);
    }
    for (const w of scanner.warnings) process.stderr.write(`warning: YARA: ${terminalSafe(w.split('\n')[0])}\n`);
    for (const w of eng.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  } finally {
    scanner.free();
    eng.mem.close();
  }
}

export async function dump(dumpPath: string, o: DumpOpts): Promise<void> {
  const eng = await open(dumpPath, o.systemMap);
  if (eng.os !== 'linux') throw new MemqError('memq dump: Linux dumps only for now', 'E_UNSUPPORTED');
  try {
    const manifest = exportEvidence(eng, dumpPath, {
      out: o.out,
      pids: (o.pid ?? []).map(pidOf),
      files: o.file ?? [],
      regions: o.regions,
      images: o.images,
      openFiles: o.openFiles,
    });
    process.stdout.write(`${manifest.items.length} exports written to ${o.out} (manifest.json: sha256 and provenance of each)\n`);
    for (const w of manifest.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  } finally {
    eng.mem.close();
  }
}

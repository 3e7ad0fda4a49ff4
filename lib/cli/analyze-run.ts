// Implementation of `memq analyze` (spec in inspect.ts): every table to Parquet + manifest.json.
import { discoveryCacheFor } from '../os/discovery-cache';
import { analyzeToDirectory } from '../store/analyze';
import { progressReporter } from './progress';
import { terminalSafe } from './output';
import { compileRules, ruleFiles } from '../yara/engine';

export async function analyze(dump: string, o: { out: string; systemMap?: string; isf?: string[]; yaraRules?: string[]; hash?: boolean }): Promise<void> {
  const scanner = o.yaraRules?.length ? await compileRules(ruleFiles(o.yaraRules)) : undefined;
  const bar = progressReporter();
  try {
    const manifest = await analyzeToDirectory(dump, o.out, {
      systemMap: o.systemMap,
      isf: o.isf,
      hash: o.hash,
      cache: discoveryCacheFor(dump),
      yara: scanner ? { scanner } : undefined,
      onProgress: (d, t) => bar.update('decompress', d, t),
      progress: (s, d, t) => bar.update(s, d, t),
    });
    bar.stop();
    const counts = Object.entries(manifest.counts).map(([t, n]) => `${t}=${n}`).join(' ');
    process.stdout.write(terminalSafe(`${o.out}: ${manifest.os} ${manifest.kernel ?? ''} — ${counts}`) + '\n');
    for (const w of manifest.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  } finally {
    bar.stop();
    scanner?.free();
  }
}

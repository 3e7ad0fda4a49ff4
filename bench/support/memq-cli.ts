// Runs the installed CLI (bin/memq.js → dist/cli, as `npx memq` does) as a child process and measures
// it: wall time around the whole process (what a user waits for), CPU time and peak RSS of the child
// (from a preloaded reporter, so no /usr/bin/time is needed). Benchmarks print; they assert nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const MEMQ = path.join(ROOT, 'bin', 'memq.js');
export const IMAGES = path.resolve(ROOT, '../shared/images');
const REPORTER = path.join(__dirname, 'child-usage.js');

export interface Run {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  code: number | null;
  out: string;
  err: string;
}

/** One run of `node <cmd…>` (usually MEMQ + args). env is added to the current environment. */
export function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const usage = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memq-usage-')), 'u.json');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, MEMQ_PROGRESS: '0', ...env, MEMQ_USAGE_FILE: usage, MEMQ_USAGE_PARENT: String(process.pid), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${REPORTER}`.trim() },
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  let u = { cpuS: NaN, rssMiB: NaN };
  try {
    u = JSON.parse(fs.readFileSync(usage, 'utf8'));
  } catch {
    /* the child died before exit handlers ran */
  }
  fs.rmSync(path.dirname(usage), { recursive: true, force: true });
  return { wallS, cpuS: u.cpuS, rssMiB: u.rssMiB, code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

export const memq = (args: string[], env: NodeJS.ProcessEnv = {}) => runNode([MEMQ, ...args], env);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Runs `n` times; returns the median run (by wall time) and all wall times. */
export function repeat(n: number, f: () => Run): { med: Run; walls: number[] } {
  const runs = Array.from({ length: n }, f);
  for (const r of runs) if (r.code !== 0 && r.code !== 1) throw new Error(`run failed (${r.code}): ${r.err.split('\n')[0]}`);
  const walls = runs.map((r) => r.wallS);
  const m = median(walls);
  return { med: runs.find((r) => r.wallS === m) ?? runs[0]!, walls };
}

const made: string[] = [];
process.on('exit', () => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh, empty $MEMQ_CACHE (cold discovery); removed when the benchmark exits */
export function freshCache(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bench-cache-'));
  made.push(d);
  return d;
}

export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export const s = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');

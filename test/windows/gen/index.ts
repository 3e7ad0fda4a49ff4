// Public API of the synthetic Windows memory-dump generator (test-only; see README.md here).
//   const { path, truth } = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 256, seed: 1 });
// Outputs are cached by (build, kind, size, seed, generator version) under $MEMQ_CACHE or
// <tmp>/memq-cache/windows-gen, written atomically (temp name + rename) with a .truth.json beside them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILD_IDS, BuildId } from './builds';
import { buildSystem, GENERATOR_VERSION } from './system';
import type { DumpKind, Truth } from './truth';
import { writeDump } from './writers';

export type { Truth, DumpKind } from './truth';
export type { BuildId } from './builds';
export { BUILD_IDS } from './builds';
export { GENERATOR_VERSION } from './system';

export interface GenerateOptions {
  build: BuildId;
  kind: DumpKind;
  /** RAM size in MiB (≥ 64) */
  sizeMiB: number;
  seed: number;
  /** store KDBG encoded as Win8+ kernels keep it in memory (raw images); default false = decoded */
  encodeKdbg?: boolean;
  /** corrupt a few structures on purpose (see Truth.hostile): cyclic lists/trees, bad handle table, bad string */
  hostile?: boolean;
  /** explicit output path (no caching); default: the cache directory */
  out?: string;
}

export interface Generated {
  path: string;
  truth: Truth;
}

export function cacheDir(): string {
  return path.join(process.env.MEMQ_CACHE || path.join(os.tmpdir(), 'memq-cache'), 'windows-gen');
}

/** Removes cached dumps of other generator versions (a 1 GiB dump per stale version adds up). */
function pruneStale(): void {
  const dir = cacheDir();
  for (const f of fs.readdirSync(dir)) {
    const m = /^win\d+-.*-v(\d+)\.(dmp|raw)(\.truth\.json)?$/.exec(f);
    if (m && Number(m[1]) !== GENERATOR_VERSION) fs.rmSync(path.join(dir, f), { force: true });
  }
}

export async function generateWindowsDump(o: GenerateOptions): Promise<Generated> {
  if (!BUILD_IDS.includes(o.build)) throw new Error(`generator: build must be one of ${BUILD_IDS.join(', ')}`);
  if (!['full', 'bitmap', 'kernel-bitmap', 'raw'].includes(o.kind)) throw new Error(`generator: unknown kind ${o.kind}`);
  const ext = o.kind === 'raw' ? 'raw' : 'dmp';
  const out = o.out ?? path.join(cacheDir(), `win${o.build}-${o.kind}-${o.sizeMiB}M-s${o.seed}${o.encodeKdbg ? '-enc' : ''}${o.hostile ? '-hostile' : ''}-v${GENERATOR_VERSION}.${ext}`);
  const truthPath = out + '.truth.json';
  if (!o.out && fs.existsSync(out) && fs.existsSync(truthPath)) {
    const truth = JSON.parse(fs.readFileSync(truthPath, 'utf8')) as Truth;
    if (truth.file.size === fs.statSync(out).size) return { path: out, truth: { ...truth, file: { ...truth.file, path: out } } };
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  if (!o.out) pruneStale();
  const sys = await buildSystem(o.build, o.sizeMiB, o.seed, o.kind, !!o.encodeKdbg, !!o.hostile);
  const tmp = `${out}.partial-${process.pid}`;
  try {
    const w = writeDump(sys, o.kind, tmp, o.seed);
    const truth: Truth = {
      ...sys.truth,
      file: { path: out, size: w.size, format: w.format },
      dumpHeader: w.dumpHeader,
      physical: { ...sys.truth.physical, presentPages: w.presentPages },
    };
    fs.writeFileSync(truthPath + `.partial-${process.pid}`, JSON.stringify(truth, null, 1));
    fs.renameSync(tmp, out);
    fs.renameSync(truthPath + `.partial-${process.pid}`, truthPath);
    return { path: out, truth };
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    fs.rmSync(truthPath + `.partial-${process.pid}`, { force: true });
    throw e;
  }
}

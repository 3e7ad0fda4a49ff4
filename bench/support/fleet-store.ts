// Builds the benchmark "fleet": a local store of projects × machines × snapshots (2 × 10 × 5 = 100)
// made by analyzing each real dev dump once and copying its Parquet under the other names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { materialize } from '../../lib/image/open';
import { addDumpToStore } from '../../lib/store/add';
import { bumpStoreGeneration, tableFileRelative, manifestPath, type SnapshotRef } from '../../lib/store/store';
import { tableNames } from '../../lib/model';

export const IMAGES = path.resolve(__dirname, '../../../shared/images');
export const SOURCES = ['linux-dev/memory.kdump', 'linux-dev-6.12/memory.kdump'];
export const FLEET = { projects: 2, machines: 10, snapshots: 5 };

export async function buildFleetStore(dir: string): Promise<{ analyzeMs: number; copyMs: number; snapshots: number }> {
  const bases: SnapshotRef[] = [];
  let t0 = performance.now();
  for (const [i, rel] of SOURCES.entries()) {
    const ref = { project: 'seed', machine: `src${i}`, snapshot: 's' };
    await addDumpToStore(dir, await materialize(path.join(IMAGES, rel)), ref);
    bases.push(ref);
  }
  const analyzeMs = performance.now() - t0;
  t0 = performance.now();
  let n = 0;
  for (let p = 0; p < FLEET.projects; p++)
    for (let m = 0; m < FLEET.machines; m++)
      for (let s = 0; s < FLEET.snapshots; s++) {
        const src = bases[n++ % bases.length];
        const dst = { project: `proj${p}`, machine: `host-${String(m).padStart(2, '0')}`, snapshot: `2026-11-${String(20 + s).padStart(2, '0')}` };
        for (const t of tableNames) {
          const to = path.join(dir, tableFileRelative(t, dst));
          fs.mkdirSync(path.dirname(to), { recursive: true });
          fs.copyFileSync(path.join(dir, tableFileRelative(t, src)), to);
        }
        fs.mkdirSync(path.dirname(manifestPath(dir, dst)), { recursive: true });
        fs.copyFileSync(manifestPath(dir, src), manifestPath(dir, dst));
      }
  for (const t of [...tableNames, '_manifests']) fs.rmSync(path.join(dir, t, 'project=seed'), { recursive: true, force: true });
  bumpStoreGeneration(dir); // files written by hand: tell cached stores
  return { analyzeMs, copyMs: performance.now() - t0, snapshots: n };
}

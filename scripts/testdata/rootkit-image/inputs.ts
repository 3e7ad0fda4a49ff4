// What the rootkit image is made from, shared by the generator (build.ts) and the tests
// (test/support/rootkit-images.ts): the output folder, the kernel release, and the input hash that
// build-info.json records. The tests compare that hash themselves, so an up-to-date image costs
// them a few dpkg-query calls instead of a generator run.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const HERE = __dirname;
export const REPO = resolve(HERE, '../../..');
export const outDir = () => resolve(process.env.MEMQ_ROOTKIT_IMAGE_OUT ?? join(REPO, '.memq/testdata/linux-dev-rootkit-6.12'));
export const cacheDir = () => resolve(process.env.MEMQ_ROOTKIT_CACHE ?? join(REPO, '.memq/cache/rootkit-image'));
export const wantedKernel = () => process.env.MEMQ_ROOTKIT_KERNEL ?? '6.12.117+deb12-amd64';
/** files whose content makes the image (build.ts hashes them; edit one and the image is rebuilt) */
export const SCENARIO_FILES = ['build.ts', 'inputs.ts', 'gt.ts', 'qemu.ts', 'readme.ts', 'checks.ts', 'init.sh', 'ctr-init.sh', 'capture.sh', 'memq-idle.c', 'testkit/Kbuild', 'testkit/tk.h', 'testkit/tk_cfg.h', 'testkit/tk_core.c', 'testkit/tk_getdents64.c', 'testkit/tk_param_trigger.c', 'testkit/memq-bpf.c'];
/** host packages whose versions are part of the input hash (they end up in the image) */
export const HASHED_HOST_PKGS = ['qemu-system-x86', 'busybox-static', 'gcc-12', 'libc6-dev'];

export function dpkgVersion(pkg: string): string | null {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg], { encoding: 'utf8' });
  const m = r.status === 0 ? r.stdout.match(/^install ok installed (\S+)$/) : null;
  return m ? m[1] : null;
}

export function inputHash(krel: string): string {
  const h = createHash('sha256');
  for (const f of SCENARIO_FILES) h.update(f + '\0').update(readFileSync(join(HERE, f)));
  h.update(krel);
  for (const p of HASHED_HOST_PKGS) h.update(`${p}=${dpkgVersion(p)}`);
  return h.digest('hex');
}

/**
 * Whether `out` holds a complete image built from the current inputs, without asking apt which
 * kernel the mirror has: the release build-info.json recorded is taken as the choice (the generator
 * re-checks the mirror when it runs).
 */
export function upToDate(out: string, krel?: string): { ok: boolean; why: string } {
  const info = join(out, 'build-info.json');
  for (const f of [info, join(out, 'memory.kdump'), join(out, 'ground-truth.json')]) if (!existsSync(f)) return { ok: false, why: `${f} missing` };
  let rec: { input_sha256?: string | null; kernel?: string };
  try {
    rec = JSON.parse(readFileSync(info, 'utf8'));
  } catch (e) {
    return { ok: false, why: `${info}: ${(e as Error).message}` };
  }
  if (!rec.input_sha256) return { ok: false, why: 'the last build was incomplete (build-info.json has problems)' };
  const k = krel ?? rec.kernel;
  if (!k) return { ok: false, why: 'build-info.json names no kernel' };
  if (process.env.MEMQ_ROOTKIT_KERNEL && process.env.MEMQ_ROOTKIT_KERNEL !== k) return { ok: false, why: `built for ${k}, MEMQ_ROOTKIT_KERNEL=${process.env.MEMQ_ROOTKIT_KERNEL}` };
  return rec.input_sha256 === inputHash(k) ? { ok: true, why: 'inputs unchanged' } : { ok: false, why: 'inputs changed (scenario files, kernel or host packages)' };
}

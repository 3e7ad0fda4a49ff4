// Test access to the real dumps in ../shared/images: resolves (and caches decompressed copies of)
// each dump and loads the ground truth captured inside the guest. Nothing here is derived from memq
// output — ground-truth.json was written by /init in the guest from /proc.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { materialize } from '../../lib/image/open';
import { derivedDump } from './derive';

export const IMAGES = path.resolve(__dirname, '../../../shared/images');

export type Kernel = '6.1' | '6.12';
export const kernelDirs: Record<Kernel, string> = {
  '6.1': path.join(IMAGES, 'linux-dev'),
  '6.12': path.join(IMAGES, 'linux-dev-6.12'),
};

/** Formats shipped per kernel (6.12 ships only ELF and kdump; see its README). */
export const shippedFormats: Record<Kernel, string[]> = {
  '6.1': ['memory.raw.gz', 'memory.lime.gz', 'memory.elf.gz', 'memory.kdump'],
  '6.12': ['memory.elf.gz', 'memory.kdump'],
};

export function imagesAvailable(): boolean {
  return fs.existsSync(path.join(kernelDirs['6.1'], 'ground-truth.json'));
}

/**
 * `describe` for suites that read the real dumps. Without ../shared/images the suite is one failing
 * test naming what is missing: a suite that cannot run never passes silently or turns into skips.
 */
export function describeWithImages(name: string, fn: () => void): void {
  if (imagesAvailable()) describe(name, fn);
  else
    describe(name, () =>
      test('needs the real dumps', () => {
        throw new Error(`${IMAGES} is missing: these tests read the real dumps and their ground truth (see README, Test data)`);
      }),
    );
}

/**
 * Every format per kernel, as test cases: the shipped files, plus for 6.12 the raw and LiME forms its
 * README says were checked identical and can be derived from the ELF core (test/support/derive.ts).
 */
export const allFormats: Record<Kernel, string[]> = {
  '6.1': shippedFormats['6.1'],
  '6.12': [...shippedFormats['6.12'], 'derived:raw', 'derived:lime'],
};

/** Path to an uncompressed copy of a dump file (decompressed or derived once into the memq cache). */
export async function dumpPath(kernel: Kernel, file: string): Promise<string> {
  if (file.startsWith('derived:')) {
    return derivedDump(kernel, file.slice(8) as 'raw' | 'lime');
  }
  return materialize(path.join(kernelDirs[kernel], file));
}

export function groundTruth(kernel: Kernel): GroundTruth {
  return JSON.parse(fs.readFileSync(path.join(kernelDirs[kernel], 'ground-truth.json'), 'utf8'));
}

// Loose typing of ground-truth.json: only what tests read.
export interface GroundTruth {
  kernel: Record<string, unknown>;
  processes: GtProcess[];
  roles: Record<string, number>;
  modules: { name: string; size: number; refcount?: number; deps?: string[]; state?: string; address?: string }[];
  net: Record<string, unknown>;
  iomem: unknown;
  shell_history: unknown;
  raw: Record<string, string>;
}

export interface GtProcess {
  pid: number;
  ppid: number;
  comm: string;
  task_comm: string;
  cmdline: string[];
  exe: string | null;
  cwd?: string | null;
  uid: number;
  euid: number;
  gid: number;
  state: string;
  start_time: number;
  flags: number;
  is_kernel_thread: boolean;
  maps?: unknown;
  environ?: unknown;
  fds?: unknown;
}

// Issue 13, item 1: a decompression bomb (47 MB of gzip → 10 GiB) filled the disk, and a stopped CLI
// left an 8.5 GB `.partial-PID` file. Decompression now has a budget (a maximum per dump and the free
// disk minus a margin), stops with one line, and removes its partial output on every exit path:
// error, budget, SIGTERM/SIGINT, and (for SIGKILL, which cannot be caught) the next run sweeps the
// files of writers that are gone. Bombs here inflate to at most a few GiB of zeros, written as holes,
// or are stopped by a budget of a few MiB: the disk is never filled.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { decompressToFile, defaultBudget, parseBytes, removeStalePartials } from '../../lib/image/decompress';
import { materialize } from '../../lib/image/open';
import { analyzeToDirectory } from '../../lib/store/analyze';
import { MemqError } from '../../lib/util/errors';
import { writeGzipBomb, MEMBER_BYTES } from '../support/bomb';
import { IMAGES } from '../support/dumps';

const ROOT = path.resolve(__dirname, '../..');
let tmp: string;
beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bomb-'))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const MiB = 2 ** 20;
const leftovers = (dir: string) => fs.readdirSync(dir).filter((n) => n.includes('.partial-'));

async function failure(p: Promise<unknown>): Promise<MemqError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(MemqError);
    return e as MemqError;
  }
  throw new Error('expected a failure');
}

test('sizes: parseBytes and the environment budget', () => {
  expect(parseBytes('64G')).toBe(64 * 2 ** 30);
  expect(parseBytes('512M')).toBe(512 * MiB);
  expect(parseBytes('1.5k')).toBe(1536);
  expect(parseBytes('100')).toBe(100);
  expect(parseBytes('lots')).toBeNull();
  expect(defaultBudget({ MEMQ_MAX_DECOMPRESSED: '2G', MEMQ_DISK_MARGIN: '0' })).toEqual({ maxBytes: 2 * 2 ** 30, marginBytes: 0 });
  expect(() => defaultBudget({ MEMQ_MAX_DECOMPRESSED: 'lots' })).toThrow(/MEMQ_MAX_DECOMPRESSED="lots" is not a size/);
});

test('a bomb past the per-dump maximum stops with one line and leaves nothing', async () => {
  const bomb = path.join(tmp, 'bomb.raw.gz');
  writeGzipBomb(bomb, 64 * MEMBER_BYTES, 0x41); // 1 GiB of 'A'
  const out = path.join(tmp, 'cache', 'bomb.raw');
  fs.mkdirSync(path.dirname(out));
  const e = await failure(decompressToFile('gzip', bomb, out, undefined, { maxBytes: 32 * MiB, marginBytes: 0 }));
  expect(e.code).toBe('E_BUDGET');
  expect(e.message).not.toContain('\n');
  expect(e.message).toMatch(/decompresses to more than 32 MiB .*MEMQ_MAX_DECOMPRESSED.*stopped, partial output removed/);
  expect(fs.readdirSync(path.dirname(out))).toEqual([]);
});

test('free disk minus the margin is a budget too, checked as the disk fills', async () => {
  const bomb = path.join(tmp, 'bomb.raw.gz');
  writeGzipBomb(bomb, 8 * MEMBER_BYTES, 0x41);
  const out = path.join(tmp, 'bomb.raw');
  // a filesystem with 100 MiB free and a 90 MiB margin: 10 MiB may be written
  const e = await failure(decompressToFile('gzip', bomb, out, undefined, { maxBytes: 2 ** 40, marginBytes: 90 * MiB, freeBytes: () => 100 * MiB }));
  expect(e.message).toMatch(/needs more disk than the 10 MiB free beyond the margin/);
  expect(leftovers(tmp)).toEqual([]);
  // less free space than the margin: refused before writing anything
  const e2 = await failure(decompressToFile('gzip', bomb, out, undefined, { maxBytes: 2 ** 40, marginBytes: 90 * MiB, freeBytes: () => 50 * MiB }));
  expect(e2.message).toMatch(/cannot be decompressed: 50 MiB free/);
  // free space that shrinks while writing (another writer on the same disk)
  let free = 2 ** 40;
  const e3 = await failure(
    decompressToFile('gzip', bomb, out, undefined, {
      maxBytes: 2 ** 40,
      marginBytes: MiB,
      freeBytes: () => {
        const f = free;
        free = 0;
        return f;
      },
    }),
  );
  expect(e3.message).toMatch(/would leave less than 1 MiB free/);
  expect(leftovers(tmp)).toEqual([]);
});

test('zero pages are holes: a mostly-empty dump costs little disk and analyzes within a budget that fits it', async () => {
  const gz = path.join(IMAGES, 'linux-dev/memory.raw.gz');
  const cache = path.join(tmp, 'cache');
  // 128 MiB raw: a 160 MiB maximum fits, 64 MiB does not
  const e = await failure(materialize(gz, { cacheDir: cache, budget: { maxBytes: 64 * MiB, marginBytes: 0 } }));
  expect(e.code).toBe('E_BUDGET');
  expect(leftovers(cache)).toEqual([]);
  const raw = await materialize(gz, { cacheDir: cache, budget: { maxBytes: 160 * MiB, marginBytes: 0 } });
  const st = fs.statSync(raw);
  expect(st.size).toBe(128 * MiB);
  expect(st.blocks * 512).toBeLessThan(st.size); // holes where the guest's memory was zero
  const m = await analyzeToDirectory(raw, path.join(tmp, 'out'));
  expect(m.counts.process).toBeGreaterThan(10);
});

/** Runs `memq ps <bomb>` and waits until its partial output exists; returns the child and that file. */
async function startBombedCli(bomb: string, cache: string) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'memq.js'), 'ps', bomb], {
    env: { ...process.env, MEMQ_CACHE: cache, MEMQ_MAX_DECOMPRESSED: '1T', MEMQ_DISK_MARGIN: '0', MEMQ_PROGRESS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  let partial: string | undefined;
  for (let i = 0; i < 6000 && !partial; i++) {
    await new Promise((r) => setTimeout(r, 20));
    partial = fs.existsSync(cache) ? fs.readdirSync(cache).find((n) => n.endsWith(`.partial-${child.pid}`)) : undefined;
    if (child.exitCode !== null) break;
  }
  return { child, partial, exited, stderr: () => stderr };
}

test.each(['SIGTERM', 'SIGINT'] as const)('the CLI stopped by %s mid-decompression removes its partial file', async (sig) => {
  const bomb = path.join(tmp, 'bomb.raw.gz');
  writeGzipBomb(bomb, 512 * MEMBER_BYTES); // 8 GiB of zeros: holes, no disk
  const cache = path.join(tmp, 'cache');
  const run = await startBombedCli(bomb, cache);
  expect(run.partial).toBeDefined();
  run.child.kill(sig);
  const end = await run.exited;
  expect(end.signal).toBe(sig);
  expect(run.stderr()).toContain(`memq: stopped by ${sig}; partial output removed`);
  expect(fs.readdirSync(cache)).toEqual([]);
});

test('SIGKILL cannot be caught: the next decompression into the cache removes the dead writer\'s partial file', async () => {
  const bomb = path.join(tmp, 'bomb.raw.gz');
  writeGzipBomb(bomb, 512 * MEMBER_BYTES);
  const cache = path.join(tmp, 'cache');
  const run = await startBombedCli(bomb, cache);
  expect(run.partial).toBeDefined();
  run.child.kill('SIGKILL');
  await run.exited;
  expect(leftovers(cache)).toEqual([run.partial]);
  // a live writer's partial file is never touched; a gone one's is
  fs.writeFileSync(path.join(cache, `x.partial-${process.pid}`), 'mine');
  expect(removeStalePartials(cache)).toEqual([run.partial]);
  expect(leftovers(cache)).toEqual([`x.partial-${process.pid}`]);
  fs.rmSync(path.join(cache, `x.partial-${process.pid}`));
  // and decompression itself sweeps before it starts
  fs.writeFileSync(path.join(cache, run.partial!), 'stale');
  const small = path.join(tmp, 'small.raw.gz');
  writeGzipBomb(small, MEMBER_BYTES);
  await decompressToFile('gzip', small, path.join(cache, 'small.raw'), undefined, { maxBytes: 32 * MiB, marginBytes: 0 });
  expect(fs.readdirSync(cache)).toEqual(['small.raw']);
});

// Issue 13, item 4: a kdump cut at 97% — `ps` worked but `analyze` failed outright on the first page
// whose data lay past the end of the file. An unreadable page is now an absent page: the objects that
// need it are skipped with a warning recorded in the manifest, every table is written. A table whose
// extraction fails as a whole on bad input is written empty and listed in `manifest.skipped`; a
// TransientError (S3 "try again") still propagates and is never recorded as a skip.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeTables, analyzeToDirectory } from '../../lib/store/analyze';
import type { OsEngine } from '../../lib/os/engine';
import { MemqError, TransientError } from '../../lib/util/errors';
import { tableNames } from '../../lib/model';
import { IMAGES } from '../support/dumps';

const KDUMP = path.join(IMAGES, 'linux-dev/memory.kdump');
let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-cut-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('analyze of a kdump cut at 97% writes every table, skips the unreadable objects and records them', async () => {
  const whole = fs.readFileSync(KDUMP);
  const cut = path.join(tmp, 'cut.kdump');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.97)));
  const full = await analyzeToDirectory(KDUMP, path.join(tmp, 'full'));
  const m = await analyzeToDirectory(cut, path.join(tmp, 'out'));
  for (const t of tableNames) expect(fs.existsSync(path.join(tmp, 'out', `${t}.parquet`))).toBe(true);
  // the process list is whole; the tables that read the lost pages lose only what was on them
  expect(m.counts.process).toBe(full.counts.process);
  expect(m.counts.indicator).toBeGreaterThan(0);
  const skips = m.warnings.filter((w) => w.startsWith('unreadable page skipped:'));
  expect(skips.length).toBeGreaterThan(0);
  expect(skips[0]).toMatch(/page pfn 0x[0-9a-f]+ .*outside the file/);
  const written = JSON.parse(fs.readFileSync(path.join(tmp, 'out', 'manifest.json'), 'utf8'));
  expect(written.warnings).toEqual(m.warnings);
  expect(full.warnings.some((w) => w.startsWith('unreadable page'))).toBe(false);
});

/** An engine whose `bad` table throws `err`; every other table is empty. */
function fakeEngine(bad: string, err: Error): OsEngine {
  return {
    os: 'linux',
    mem: {} as OsEngine['mem'],
    info: () => ({}),
    tables: ['process', 'thread', 'socket'],
    extract: ((t: string) => {
      if (t === bad) throw err;
      return [];
    }) as OsEngine['extract'],
    processCount: () => 0,
    warnings: [],
  };
}

test('a table that fails on bad input is written empty and recorded; the others are written', async () => {
  const out = path.join(tmp, 'fake');
  fs.mkdirSync(out);
  const eng = fakeEngine('thread', new MemqError('dump.kdump: page pfn 0x7 : corrupt zlib data', 'E_FORMAT'));
  const r = await analyzeTables(eng, out, ['process', 'thread', 'socket']);
  expect(r.skipped).toEqual([{ table: 'thread', reason: 'dump.kdump: page pfn 0x7 : corrupt zlib data' }]);
  expect(r.counts).toEqual({ process: 0, thread: 0, socket: 0 });
  for (const t of ['process', 'thread', 'socket']) expect(fs.existsSync(path.join(out, `${t}.parquet`))).toBe(true);
  expect(eng.warnings).toEqual(['thread: table skipped: dump.kdump: page pfn 0x7 : corrupt zlib data']);
});

test('a TransientError is never a skip: it propagates', async () => {
  const out = path.join(tmp, 'transient');
  fs.mkdirSync(out);
  const eng = fakeEngine('thread', new TransientError('S3 GET failed after 6 attempts — SlowDown (HTTP 503)', 'E_S3_THROTTLED'));
  await expect(analyzeTables(eng, out, ['process', 'thread'])).rejects.toBeInstanceOf(TransientError);
  expect(eng.warnings).toEqual([]);
});

test('an unsupported codec concerns the whole dump: it propagates with its message', async () => {
  const out = path.join(tmp, 'lzo');
  fs.mkdirSync(out);
  const lzo = new MemqError('dump.kdump: page pfn 0x7: page compressed with LZO — no LZO decoder is available', 'E_UNSUPPORTED');
  await expect(analyzeTables(fakeEngine('process', lzo), out, ['process'])).rejects.toBe(lzo);
});

test('a bug (not bad input) is not hidden as a skip', async () => {
  const out = path.join(tmp, 'bug');
  fs.mkdirSync(out);
  await expect(analyzeTables(fakeEngine('process', new TypeError('x is undefined')), out, ['process'])).rejects.toBeInstanceOf(TypeError);
});

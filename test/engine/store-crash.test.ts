// Issue 13, item 2: `memq add` killed mid-way left a snapshot with 4 of 13 tables that `snapshots`,
// `query` and `hunt` used as if whole, and re-running needed --replace. Now the analysis writes into a
// staging folder and publish() moves the tables in with the manifest last, under a marker: a killed
// add leaves nothing visible, a publish cut short leaves a hidden snapshot, and a re-run just works.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { openLocalStore, runQuery } from '../../lib/engine';
import { addDumpToStore, removeStaleStaging, STAGING_DIR } from '../../lib/store/add';
import { listSnapshots, publishingMarker, snapshotState, tableFileRelative, type SnapshotRef } from '../../lib/store/store';
import { tableNames } from '../../lib/model';
import { isMemqError } from '../../lib/util/errors';
import { dumpPath } from '../support/dumps';
import { tempDir } from './fixture-store';

const ROOT = path.resolve(__dirname, '../..');
const REF: SnapshotRef = { project: 'lab', machine: 'dev', snapshot: 's1' };
let dump: string;
let dirs: string[] = [];
const newStore = () => {
  const d = tempDir('memq-crash-');
  dirs.push(d);
  return d;
};
beforeAll(async () => (dump = await dumpPath('6.1', 'memory.kdump')));
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** pid of a process that has exited */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

async function processRows(dir: string, cache: boolean): Promise<number> {
  const store = openLocalStore(dir, { cache });
  try {
    return (await runQuery(store, 'process')).rows.length;
  } finally {
    store.close();
  }
}

test('memq add killed mid-analysis: nothing of the snapshot is listed or queried, and a re-run without --replace works', async () => {
  const dir = newStore();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'memq.js'), 'add', dump, '--store', dir, '--project', REF.project, '--machine', REF.machine, '--snapshot', REF.snapshot], {
    env: { ...process.env, MEMQ_PROGRESS: '0' },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.on('close', r));
  // wait until some tables are written (not all: the process table is first, the kernel log last)
  const staged = () => {
    try {
      const base = path.join(dir, STAGING_DIR);
      return fs.readdirSync(base).flatMap((s) => tableNames.filter((t) => fs.existsSync(path.join(base, s, tableFileRelative(t, REF)))));
    } catch {
      return [];
    }
  };
  while (child.exitCode === null && staged().length < 2) await new Promise((r) => setTimeout(r, 10));
  const written = staged().length;
  child.kill('SIGKILL');
  await exited;
  expect(written).toBeGreaterThanOrEqual(2);
  expect(written).toBeLessThan(tableNames.length);
  expect(listSnapshots(dir)).toEqual([]);
  expect(snapshotState(dir, REF)).toBe('absent');
  expect(await processRows(dir, false)).toBe(0);
  expect(await processRows(dir, true)).toBe(0);
  // the re-run needs no --replace and sweeps the dead run's staging folder
  const m = await addDumpToStore(dir, dump, REF);
  expect(listSnapshots(dir).map((s) => s.snapshot)).toEqual(['s1']);
  expect(await processRows(dir, false)).toBe(m.counts.process);
  expect(fs.readdirSync(path.join(dir, STAGING_DIR))).toEqual([]);
});

test('a publish cut short (marker of a dead process, some tables moved in) is hidden and repaired by the next add', async () => {
  const dir = newStore();
  const done = await addDumpToStore(dir, dump, { ...REF, snapshot: 'whole' });
  // what a kill between the first renames and the manifest leaves: 4 of the tables, no manifest, the marker
  for (const t of tableNames.slice(0, 4)) {
    const to = path.join(dir, tableFileRelative(t, REF));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(dir, tableFileRelative(t, { ...REF, snapshot: 'whole' })), to);
  }
  fs.mkdirSync(path.dirname(publishingMarker(dir, REF)), { recursive: true });
  fs.writeFileSync(publishingMarker(dir, REF), `${deadPid()}\n`);
  expect(snapshotState(dir, REF)).toBe('interrupted');
  expect(listSnapshots(dir).map((s) => s.snapshot)).toEqual(['whole']);
  // only the whole snapshot's processes, in both query modes
  expect(await processRows(dir, false)).toBe(done.counts.process);
  expect(await processRows(dir, true)).toBe(done.counts.process);
  // re-run: no --replace needed
  await addDumpToStore(dir, dump, REF);
  expect(snapshotState(dir, REF)).toBe('complete');
  expect(listSnapshots(dir).map((s) => s.snapshot)).toEqual(['s1', 'whole']);
  expect(await processRows(dir, false)).toBe(2 * done.counts.process);
});

test('a snapshot being published by a live process is hidden and not taken over; a complete one still needs --replace', async () => {
  const dir = newStore();
  fs.mkdirSync(path.dirname(publishingMarker(dir, REF)), { recursive: true });
  fs.writeFileSync(publishingMarker(dir, REF), `${process.pid}\n`);
  let err: unknown;
  await addDumpToStore(dir, dump, REF).catch((e) => (err = e));
  expect(isMemqError(err) && err.code).toBe('E_BUSY');
  fs.rmSync(publishingMarker(dir, REF));
  await addDumpToStore(dir, dump, REF);
  err = undefined;
  await addDumpToStore(dir, dump, REF).catch((e) => (err = e));
  expect(isMemqError(err) && err.code).toBe('E_EXISTS');
  await addDumpToStore(dir, dump, REF, { replace: true });
  expect(listSnapshots(dir).map((s) => s.snapshot)).toEqual(['s1']);
});

test('staging folders of live processes are kept, those of dead ones removed', () => {
  const dir = newStore();
  const base = path.join(dir, STAGING_DIR);
  const dead = `${deadPid()}-x`;
  const mine = `${process.pid}-y`;
  for (const n of [dead, mine]) fs.mkdirSync(path.join(base, n), { recursive: true });
  expect(removeStaleStaging(dir)).toEqual([dead]);
  expect(fs.readdirSync(base)).toEqual([mine]);
});

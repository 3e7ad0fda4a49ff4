// The local store: layout and name checks, snapshot listing with manifests, typed empty tables,
// snapshots appearing while a store is open, and the in-memory cache (same answers, reloads on a
// generation bump, falls back to reading files over budget).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openLocalStore, runQuery } from '../../lib/engine';
import {
  bumpStoreGeneration,
  checkPartitionValue,
  defaultSnapshotName,
  listSnapshots,
  partitionPath,
  tableFileRelative,
  writeManifest,
} from '../../lib/store/store';
import { removeSnapshot } from '../../lib/store/add';
import type { SnapshotManifest } from '../../lib/store/analyze';
import { tempDir, writeStore } from './fixture-store';

const proc = (pid: number, name: string) => ({ process_id: pid, parent_process_id: 1, name, argv: [name], command_line: name, object_address: BigInt(pid) });
const dirs: string[] = [];
const newDir = () => {
  const d = tempDir('memq-store-');
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('layout and partition names', () => {
  const ref = { project: 'acme', machine: 'web-1.prod', snapshot: '20261125T174500Z' };
  expect(tableFileRelative('vma', ref)).toBe('vma/project=acme/machine=web-1.prod/snapshot=20261125T174500Z/part-0.parquet');
  for (const bad of ['', '../x', 'a/b', 'a=b', '.hidden', 'x'.repeat(129), 'a..b', 'sp ace']) expect(() => checkPartitionValue('machine', bad)).toThrow(/not a valid name/);
  expect(() => partitionPath({ project: 'p', machine: 'm', snapshot: '../../etc' })).toThrow(/snapshot/);
  expect(defaultSnapshotName(new Date('2026-11-25T17:45:03.123Z'))).toBe('20261125T174503Z');
});

test('missing store is a one-line error', () => {
  expect(() => openLocalStore(path.join(newDir(), 'nope'))).toThrow(/does not exist/);
});

test('empty store: typed empty tables, right columns, no rows', async () => {
  const store = openLocalStore(newDir());
  const r = await runQuery(store, 'select process.process_object.argv, process.vad_object.start where process.vad_object.is_executable');
  expect(r.rows).toEqual([]);
  expect(r.columns.map((c) => `${c.name}:${c.kind}`)).toEqual(['project:string', 'machine:string', 'snapshot:string', 'argv:string_list', 'start:address']);
  store.close();
});

test('listing: partitions and manifests merged, sorted', async () => {
  const dir = newDir();
  await writeStore(dir, [
    { ref: { project: 'b', machine: 'm', snapshot: '2' }, rows: { process: [proc(1, 'init')] } },
    { ref: { project: 'a', machine: 'm', snapshot: '1' }, rows: {} },
  ]);
  writeManifest(dir, { project: 'a', machine: 'm', snapshot: '1' }, { os: 'linux', kernel: '6.1', created_at: 'T', counts: { process: 0 }, dump: { name: 'd.raw' } } as unknown as SnapshotManifest);
  expect(listSnapshots(dir)).toEqual([
    { project: 'a', machine: 'm', snapshot: '1', os: 'linux', kernel: '6.1', captured_at: null, created_at: 'T', counts: { process: 0 }, dump: 'd.raw' },
    { project: 'b', machine: 'm', snapshot: '2' },
  ]);
  removeSnapshot(dir, { project: 'a', machine: 'm', snapshot: '1' });
  expect(listSnapshots(dir).map((s) => s.project)).toEqual(['b']);
});

test('files mode: a snapshot added while the store is open is seen by the next query', async () => {
  const dir = newDir();
  const store = openLocalStore(dir);
  expect((await runQuery(store, 'process')).rows).toEqual([]);
  await writeStore(dir, [{ ref: { project: 'p', machine: 'm', snapshot: 's' }, rows: { process: [proc(7, 'sshd')] } }]);
  expect((await runQuery(store, 'process')).rows.map((r) => r.process_id)).toEqual([7]);
  await writeStore(dir, [{ ref: { project: 'p', machine: 'm2', snapshot: 's' }, rows: { process: [proc(8, 'bash')] } }]);
  expect((await runQuery(store, 'process')).rows.map((r) => r.process_id)).toEqual([7, 8]);
  // concurrent queries on one store (one DuckDB connection): each gets its whole answer
  const rs = await Promise.all(['process', 'process.process_object.process_id == 8', 'process'].map((q) => runQuery(store, q)));
  expect(rs.map((r) => r.rows.map((x) => x.process_id))).toEqual([[7, 8], [8], [7, 8]]);
  store.close();
});

test('memory cache: same answers, reload on generation bump, files mode over budget', async () => {
  const dir = newDir();
  await writeStore(dir, [{ ref: { project: 'p', machine: 'm', snapshot: 's' }, rows: { process: [proc(7, 'sshd'), proc(9, 'bash')] } }]);
  const files = openLocalStore(dir);
  const cached = openLocalStore(dir, { cache: true });
  const q = 'process.process_object.name in ["bash", "sshd"]';
  const a = await runQuery(files, q);
  const b = await runQuery(cached, q);
  expect(cached.mode).toBe('memory');
  expect(b.rows).toEqual(a.rows);
  expect(b.rows.length).toBe(2);
  // written without a bump: the cache does not see it (documented); after the bump it does
  await writeStore(dir, [{ ref: { project: 'p', machine: 'm2', snapshot: 's' }, rows: { process: [proc(10, 'bash')] } }]);
  expect((await runQuery(cached, q)).rows.length).toBe(2);
  bumpStoreGeneration(dir);
  expect((await runQuery(cached, q)).rows.map((r) => r.process_id)).toEqual([7, 9, 10]);
  const tiny = openLocalStore(dir, { cache: true, cacheBudgetBytes: 1 });
  expect((await runQuery(tiny, q)).rows.length).toBe(3);
  expect(tiny.mode).toBe('files');
  // concurrent queries on a reloading cache
  bumpStoreGeneration(dir);
  const rs = await Promise.all([1, 2, 3].map(() => runQuery(cached, q)));
  expect(rs.map((r) => r.rows.length)).toEqual([3, 3, 3]);
  for (const s of [files, cached, tiny]) s.close();
});

describe('memq add guards', () => {
  const { addDumpToStore } = require('../../lib/store/add') as typeof import('../../lib/store/add');
  test('a file that is no dump: one-line MemqError, nothing left in the store', async () => {
    const dir = newDir();
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, Buffer.alloc(64 * 1024, 0x41));
    const ref = { project: 'p', machine: 'm', snapshot: 's' };
    await expect(addDumpToStore(path.join(dir, 'store'), junk, ref)).rejects.toMatchObject({ name: 'MemqError' });
    expect(listSnapshots(path.join(dir, 'store'))).toEqual([]);
    await expect(addDumpToStore(path.join(dir, 'store'), path.join(dir, 'missing.raw'), ref)).rejects.toThrow(/no such file/);
    await expect(addDumpToStore(path.join(dir, 'store'), junk, { ...ref, machine: '../x' })).rejects.toThrow(/not a valid name/);
  });
  test('an existing snapshot is not overwritten without replace', async () => {
    const dir = newDir();
    const ref = { project: 'p', machine: 'm', snapshot: 's' };
    await writeStore(dir, [{ ref, rows: { process: [proc(1, 'init')] } }]);
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, 'x');
    await expect(addDumpToStore(dir, junk, ref)).rejects.toThrow(/already exists .* --replace/);
    expect(fs.existsSync(path.join(dir, tableFileRelative('process', ref)))).toBe(true);
  });
});

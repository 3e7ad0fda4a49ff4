// Real queries on a real Windows triage dump (windows-triage/triage_x64.dmp) through `memq add`:
// the driver list, address comparisons on kernel addresses and case-insensitive path matching.
// Expected values come from triage_x64.expected.json (parsed independently of memq).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { IMAGES } from '../support/dumps';
import { tempDir } from './fixture-store';

const DUMP = path.join(IMAGES, 'windows-triage', 'triage_x64.dmp');
const expected = JSON.parse(fs.readFileSync(path.join(IMAGES, 'windows-triage', 'triage_x64.expected.json'), 'utf8')) as {
  process: { UniqueProcessId: number; ImageFileName: string; InheritedFromUniqueProcessId: number };
  drivers: { name: string; DllBase: string; SizeOfImage: string }[];
};
const hex16 = (h: string) => '0x' + BigInt(h).toString(16).padStart(16, '0');

let dir: string;
let store: LocalStore;
beforeAll(async () => {
  dir = tempDir('memq-win-');
  await addDumpToStore(dir, DUMP, { project: 'win', machine: 'triage', snapshot: 's1' });
  store = openLocalStore(dir);
});
afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('every driver, with base addresses as at-rest hex', async () => {
  const r = await runQuery(store, 'select driver.driver_object.path, driver.driver_object.base, driver.driver_object.size');
  const got = r.rows.map((x) => `${x.path}|${x.base}|${x.size}`).sort();
  const want = expected.drivers.map((d) => `${d.name}|${hex16(d.DllBase)}|${Number(BigInt(d.SizeOfImage))}`).sort();
  expect(got).toEqual(want);
});

test('kernel image found by case-insensitive suffix and by address', async () => {
  const nt = expected.drivers.find((d) => /\\ntoskrnl\.exe$/i.test(d.name))!;
  const bySuffix = await runQuery(store, 'driver.driver_object.path iendswith "\\\\NTOSKRNL.EXE"');
  expect(bySuffix.rows.map((x) => x.base)).toEqual([hex16(nt.DllBase)]);
  const byAddr = await runQuery(store, `select driver.driver_object.path where driver.driver_object.base == ${nt.DllBase}`);
  expect(byAddr.rows.map((x) => x.path)).toEqual([nt.name]);
  // a range: drivers loaded above the kernel image, counted from the expected list
  const above = expected.drivers.filter((d) => BigInt(d.DllBase) > BigInt(nt.DllBase)).length;
  const r = await runQuery(store, `driver.driver_object.base > ${BigInt(nt.DllBase).toString(10)}`);
  expect(r.rows.length).toBe(above);
});

test('the current process of the triage dump', async () => {
  const p = expected.process;
  const r = await runQuery(store, `process.process_object.process_id == ${p.UniqueProcessId}`);
  expect(r.rows.map((x) => [x.process_id, x.parent_process_id, x.name])).toEqual([[p.UniqueProcessId, p.InheritedFromUniqueProcessId, p.ImageFileName]]);
});

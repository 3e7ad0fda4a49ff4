// Real queries on the real dev dump: `memq add` (addDumpToStore) analyzes linux-dev/memory.kdump
// into a store, then queries run on DuckDB over its Parquet. Every expected answer is computed from
// ground-truth.json, which the guest wrote from /proc — never from memq output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { listSnapshots, tableFileRelative } from '../../lib/store/store';
import { tableNames } from '../../lib/model';
import { dumpPath, groundTruth, imagesAvailable, type GtProcess } from '../support/dumps';
import { tempDir } from './fixture-store';

const REF = { project: 'acme', machine: 'linux-dev', snapshot: 's1' };
const COPY = { project: 'acme', machine: 'linux-dev-copy', snapshot: 's2' };

const gt = groundTruth('6.1');
const user = gt.processes.filter((p) => !p.is_kernel_thread);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

let dir: string;
let store: LocalStore;

beforeAll(async () => {
  if (!imagesAvailable()) throw new Error('real dumps missing: ../shared/images');
  dir = tempDir('memq-real-');
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), REF);
  // a second snapshot: the same Parquet under another machine/snapshot (as the benchmark does)
  for (const t of tableNames) {
    const to = path.join(dir, tableFileRelative(t, COPY));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(dir, tableFileRelative(t, REF)), to);
  }
  store = openLocalStore(dir);
});
afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const scope1 = { machines: ['linux-dev'] };

test('memq add wrote the layout and a manifest', () => {
  for (const t of tableNames) expect(fs.existsSync(path.join(dir, tableFileRelative(t, REF)))).toBe(true);
  const snaps = listSnapshots(dir);
  expect(snaps.map((s) => `${s.project}/${s.machine}/${s.snapshot}`)).toEqual(['acme/linux-dev/s1', 'acme/linux-dev-copy/s2']);
  expect(snaps[0].os).toBe('linux');
  expect(snaps[0].kernel).toBe('6.1.0-56-amd64');
  expect(snaps[0].counts?.process).toBe(gt.processes.length);
});

test('the seed query returns agetty: pid 101, parent 1', async () => {
  const r = await runQuery(store, 'process.process_object.parent_process_id == 1 &&\n    process.vad_object.file_name == "/usr/sbin/agetty"', scope1);
  const agetty = gt.processes.find((p) => p.pid === gt.roles.agetty)!;
  expect(agetty.ppid).toBe(1);
  expect(r.rows.map((x) => [x.project, x.machine, x.snapshot, x.process_id, x.parent_process_id, x.name])).toEqual([
    ['acme', 'linux-dev', 's1', agetty.pid, agetty.ppid, agetty.task_comm],
  ]);
});

test('the seed query across both snapshots: one row per snapshot', async () => {
  const r = await runQuery(store, 'process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"');
  expect(r.rows.map((x) => [x.machine, x.snapshot, x.process_id])).toEqual([
    ['linux-dev', 's1', 101],
    ['linux-dev-copy', 's2', 101],
  ]);
});

test('user processes whose parent is init', async () => {
  const r = await runQuery(store, 'process.process_object.parent_process_id == 1 && !process.process_object.is_kernel_thread', scope1);
  expect(sorted(r.rows.map((x) => x.process_id as number))).toEqual(sorted(user.filter((p) => p.ppid === 1).map((p) => p.pid)));
});

test('environment marker (same env element holds name and value)', async () => {
  const env = (p: GtProcess) => (p.environ as string[] | undefined) ?? [];
  const want = user.filter((p) => env(p).includes('MARKER=memq-dev-7f3a')).map((p) => p.pid);
  expect(want).toEqual([gt.roles.evil_miner]);
  const r = await runQuery(store, 'process.env_object.name == "MARKER" && process.env_object.value == "memq-dev-7f3a"', scope1);
  expect(r.rows.map((x) => x.process_id)).toEqual(want);
  // name of one variable, value of another: no process has an element with both
  const none = await runQuery(store, 'process.env_object.name == "MARKER" && process.env_object.value == "/root"', scope1);
  expect(none.rows).toEqual([]);
});

test('same executable mapping: file and protection on one VMA', async () => {
  type Map = { path?: string; perms: string };
  const maps = (p: GtProcess) => (p.maps as Map[] | undefined) ?? [];
  const want = user.filter((p) => maps(p).some((m) => m.path === '/usr/sbin/agetty' && m.perms === 'r-xp')).map((p) => p.pid);
  const r = await runQuery(store, 'process.vad_object.file_name == "/usr/sbin/agetty" && process.vad_object.protection == "r-xp"', scope1);
  expect(r.rows.map((x) => x.process_id)).toEqual(want);
  const execMaps = await runQuery(
    store,
    'select process.process_object.process_id, process.vad_object.start, process.vad_object.protection where process.vad_object.file_name == "/usr/sbin/agetty" && process.vad_object.is_executable',
    scope1,
  );
  const agettyMaps = maps(gt.processes.find((p) => p.pid === 101)!).filter((m) => m.path === '/usr/sbin/agetty' && m.perms[2] === 'x');
  expect(execMaps.rows.map((x) => x.protection)).toEqual(agettyMaps.map((m) => m.perms));
  expect(execMaps.rows.map((x) => x.start)).toEqual(agettyMaps.map((m) => '0x' + BigInt((m as unknown as { start: string }).start).toString(16).padStart(16, '0')));
});

test('argv element search finds the miner', async () => {
  const want = user.filter((p) => p.cmdline.some((a) => a.includes('stratum+tcp://'))).map((p) => p.pid);
  const r = await runQuery(store, 'process.process_object.argv contains "stratum+tcp://"', scope1);
  expect(r.rows.map((x) => x.process_id)).toEqual(want);
  const first = await runQuery(store, 'select process.process_object.process_id, process.process_object.argv[0] where process.process_object.argv[0] startswith "/tmp/"', scope1);
  expect(first.rows.map((x) => [x.process_id, x['argv[0]']])).toEqual(user.filter((p) => p.cmdline[0]?.startsWith('/tmp/')).map((p) => [p.pid, p.cmdline[0]]));
});

test('kernel-thread-looking name in a user process (case-insensitive regex)', async () => {
  const want = user.filter((p) => /^\[kworker/i.test(p.task_comm)).map((p) => p.pid);
  expect(want).toEqual([gt.roles.fake_kthread]);
  const r = await runQuery(store, 'process.process_object.name imatches "^\\[KWORKER" && !process.process_object.is_kernel_thread', scope1);
  expect(r.rows.map((x) => x.process_id)).toEqual(want);
});

test('listening TCP sockets with their owners', async () => {
  const net = gt.net as { tcp: NetRow[]; tcp6: NetRow[] };
  type NetRow = { local_port: number; state: string; owners: { pid: number }[] };
  const want = [...net.tcp, ...net.tcp6].filter((s) => s.state === 'LISTEN').map((s) => [s.local_port, s.owners[0].pid]);
  const r = await runQuery(store, 'select socket.socket_object.local_port, socket.process_object.process_id where socket.socket_object.state == "LISTEN" && socket.socket_object.protocol =~ "tcp"', scope1);
  expect(r.rows.map((x) => [x.local_port, x['process_object.process_id']])).toEqual(want);
  // the reverse view: processes owning an established socket to port 4444
  const est = [...net.tcp, ...net.tcp6].filter((s) => s.state === 'ESTABLISHED' && (s as unknown as { remote_port: number }).remote_port === 4444).map((s) => s.owners[0].pid);
  const r2 = await runQuery(store, 'process.socket_object.state == "ESTABLISHED" && process.socket_object.remote_port == 4444', scope1);
  expect(r2.rows.map((x) => x.process_id)).toEqual(est);
});

test('kernel modules by name list and address range', async () => {
  const names = gt.modules.map((m) => m.name).sort();
  const r = await runQuery(store, 'select module.module_object.name where module.module_object.base >= 0xffffffff00000000 order by module.module_object.name', scope1);
  expect(r.rows.map((x) => x.name)).toEqual(names);
});

// Query semantics on a hand-built store: every expected answer below is worked out by hand from the
// fixture rows (not by running memq), covering same-element grouping on 1:N sub-objects, ||, !,
// mixed sub-objects, list fields, nulls, case-insensitivity, LIKE metacharacters, addresses,
// timestamps, select/order/limit and scope. Each query also runs in the Athena dialect on DuckDB
// (test/support/trino-on-duckdb.ts) and on the in-memory cached store, and must return the same rows.
import * as fs from 'node:fs';
import { compileQuery, type Scope } from '../../lib/query';
import { duckdbExecutor, openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { tempDir, writeStore, type LooseRows } from './fixture-store';
import { TRINO_MACROS, trinoToDuckdb } from '../support/trino-on-duckdb';

const A = { project: 'p1', machine: 'm1', snapshot: 's1' };
const B = { project: 'p1', machine: 'm2', snapshot: 's1' };
const C = { project: 'p2', machine: 'm1', snapshot: 's9' };

const vma = (process_id: number, file_name: string | null, protection: string) => ({
  process_id,
  file_name,
  protection,
  kind: file_name ? 'file' : 'anon',
  is_writable: protection[1] === 'w',
  is_executable: protection[2] === 'x',
  is_private: protection[3] === 'p',
});

const rowsA: LooseRows = {
  process: [
    { process_id: 1, parent_process_id: 0, name: 'init', argv: ['/sbin/init'], command_line: '/sbin/init', exe_path: '/sbin/init', object_address: 0xffff888001000000n },
    {
      process_id: 101,
      parent_process_id: 1,
      name: 'agetty',
      argv: ['/sbin/agetty', '-o', '-p', '--', '\\u', '--noclear', '-', 'linux'],
      command_line: '/sbin/agetty -o -p -- \\u --noclear - linux',
      exe_path: '/usr/sbin/agetty',
      object_address: 0xffff888001010000n,
    },
    {
      process_id: 200,
      parent_process_id: 1,
      name: 'evil',
      argv: ['/tmp/.x/evil', '--pool', 'stratum+tcp://10.9.8.7:3333'],
      command_line: '/tmp/.x/evil --pool stratum+tcp://10.9.8.7:3333',
      exe_path: '/tmp/.x/evil',
      create_time: new Date('2026-11-25T10:00:00Z'),
      object_address: 0xffff888001020000n,
    },
    { process_id: 300, parent_process_id: 101, name: 'bash', argv: [], command_line: '', exe_path: null, object_address: 0xffff888001030000n },
    {
      process_id: 400,
      parent_process_id: 1,
      name: 'Web_Server',
      argv: ['httpd', '-p', '100%_done'],
      command_line: 'httpd -p 100%_done',
      exe_path: '/bin/busybox',
      object_address: 0xffff888001040000n,
    },
  ],
  vma: [
    vma(101, '/usr/sbin/agetty', 'r-xp'),
    vma(101, '/usr/lib/libc.so.6', 'rw-p'),
    vma(200, null, 'rwxp'),
    vma(200, '/tmp/.x/evil', 'r-xp'),
    vma(300, '/usr/bin/bash', 'r-xp'),
    vma(300, null, 'rw-p'),
    vma(400, '/bin/busybox', 'rwxp'),
  ],
  socket: [
    { process_id: 200, family: 'AF_INET', protocol: 'TCP', local_address: '10.0.0.5', local_port: 40000, remote_address: '10.9.8.7', remote_port: 3333, state: 'ESTABLISHED', object_address: 1n },
    { process_id: 400, family: 'AF_INET', protocol: 'TCP', local_address: '0.0.0.0', local_port: 8080, state: 'LISTEN', object_address: 2n },
    { process_id: null, family: 'AF_INET', protocol: 'UDP', local_address: '0.0.0.0', local_port: 68, state: 'CLOSE', object_address: 3n },
  ],
  env_var: [
    { process_id: 200, name: 'LD_PRELOAD', value: '/tmp/x.so' },
    { process_id: 200, name: 'MARKER', value: 'abc' },
    { process_id: 101, name: 'TERM', value: 'linux' },
  ],
  thread: [
    { process_id: 200, thread_id: 200, name: 'evil', state: 'S', object_address: 10n },
    { process_id: 200, thread_id: 201, name: 'worker', state: 'R', object_address: 11n },
    { process_id: 101, thread_id: 101, name: 'agetty', state: 'S', object_address: 12n },
  ],
  kernel_module: [
    { name: 'dummy', base: 0xffffffffc0a00000n, size: 4096, in_module_list: true, hidden: false },
    { name: 'hidden_rk', base: 0xffffffffc0b00000n, size: 8192, in_module_list: false, hidden: true },
  ],
};
const rowsB: LooseRows = { process: [{ process_id: 101, parent_process_id: 1, name: 'agetty', argv: [], command_line: '', object_address: 5n }] };
const rowsC: LooseRows = {
  process: [{ process_id: 55, parent_process_id: 1, name: 'agetty', argv: ['agetty'], command_line: 'agetty', object_address: 6n }],
  vma: [vma(55, '/usr/sbin/agetty', 'r-xp')],
};

let dir: string;
let store: LocalStore;
let cached: LocalStore; // same store with the tables loaded into memory

beforeAll(async () => {
  dir = tempDir('memq-sem-');
  await writeStore(dir, [
    { ref: A, rows: rowsA },
    { ref: B, rows: rowsB },
    { ref: C, rows: rowsC },
  ]);
  store = openLocalStore(dir);
  cached = openLocalStore(dir, { cache: true });
});
afterAll(() => {
  store?.close();
  cached?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const onlyA: Scope = { projects: ['p1'], machines: ['m1'], snapshots: ['s1'] };
const P = 'process.process_object';
const V = 'process.vad_object';

let macroReady = false;
async function runAthenaEmulated(text: string, scope: Scope) {
  const conn = await store.connection();
  if (!macroReady) {
    for (const m of TRINO_MACROS) await conn.run(m);
    macroReady = true;
  }
  const c = compileQuery(text, { dialect: 'athena', scope });
  return duckdbExecutor(store).execute({ ...c, sql: trinoToDuckdb(c.sql) });
}

async function rows(text: string, scope: Scope = onlyA) {
  const r = await runQuery(store, text, scope);
  const a = await runAthenaEmulated(text, scope);
  expect(a.rows).toEqual(r.rows);
  expect((await runQuery(cached, text, scope)).rows).toEqual(r.rows);
  return r.rows;
}

async function pids(text: string, scope: Scope = onlyA): Promise<number[]> {
  return (await rows(text, scope)).map((r) => r.process_id as number);
}

describe('the seed query', () => {
  test('parent 1 and a VAD mapping /usr/sbin/agetty', async () => {
    expect(await pids(`${P}.parent_process_id == 1 &&\n    ${V}.file_name == "/usr/sbin/agetty"`)).toEqual([101]);
  });
});

describe('1:N sub-objects: some element, same element within an && chain', () => {
  test('conditions on the same sub-object in one && chain refer to one element', async () => {
    // agetty's file mapping is not writable; its writable mapping is libc
    expect(await pids(`${V}.file_name == "/usr/sbin/agetty" && ${V}.is_writable`)).toEqual([]);
  });
  test('!! breaks the grouping: separate elements', async () => {
    expect(await pids(`${V}.file_name == "/usr/sbin/agetty" && !!${V}.is_writable`)).toEqual([101]);
  });
  test('W+X: one element writable and executable', async () => {
    expect(await pids(`${V}.is_writable && ${V}.is_executable`)).toEqual([200, 400]);
    expect(await pids(`${V}.is_writable && ${V}.is_executable && ${V}.file_name == null`)).toEqual([200]);
  });
  test('|| of element conditions: some element satisfies either', async () => {
    expect(await pids(`${V}.file_name endswith "agetty" || ${V}.file_name endswith "bash"`)).toEqual([101, 300]);
  });
  test('! negates the object-level statement: no element …', async () => {
    expect(await pids(`!${V}.is_executable`)).toEqual([1]);
    expect(await pids(`!(${V}.is_writable && ${V}.is_executable)`)).toEqual([1, 101, 300]);
  });
  test('element-level negation with == false / negated operators', async () => {
    expect(await pids(`${V}.is_executable == false`)).toEqual([101, 300]);
    expect(await pids(`${V}.file_name !startswith "/usr"`)).toEqual([200, 300, 400]);
  });
  test('a parenthesized || of the same sub-object joins the element group', async () => {
    expect(await pids(`${V}.file_name == "/usr/lib/libc.so.6" && (${V}.is_executable || ${V}.protection == "rw-p")`)).toEqual([101]);
    // agetty's r-xp mapping is another element: not counted
    expect(await pids(`${V}.file_name == "/usr/lib/libc.so.6" && (${V}.is_executable || ${V}.protection == "r-xp")`)).toEqual([]);
  });
  test('mixed sub-objects are independent', async () => {
    expect(await pids(`${V}.is_executable && process.socket_object.state == "LISTEN"`)).toEqual([400]);
    expect(await pids(`${V}.file_name == "/tmp/.x/evil" && (${V}.is_executable || process.socket_object.state == "ESTABLISHED")`)).toEqual([200]);
    expect(await pids(`process.env_object.name == "LD_PRELOAD" && process.env_object.value startswith "/tmp/"`)).toEqual([200]);
    expect(await pids(`process.env_object.name == "LD_PRELOAD" && process.env_object.value == "abc"`)).toEqual([]);
  });
  test('parent_object (1:1 self join)', async () => {
    expect(await pids(`process.parent_object.name == "agetty"`)).toEqual([300]);
    expect(await pids(`!(process.parent_object.process_id >= 0)`)).toEqual([1]);
  });
});

describe('list fields (argv)', () => {
  test('contains = some element contains the text; == = some element equals', async () => {
    expect(await pids(`${P}.argv contains "pool"`)).toEqual([200]);
    expect(await pids(`${P}.argv == "--pool"`)).toEqual([200]);
    expect(await pids(`${P}.argv == "pool"`)).toEqual([]);
    expect(await pids(`${P}.argv in ["linux", "httpd"]`)).toEqual([101, 400]);
  });
  test('negated operators: no element', async () => {
    expect(await pids(`${P}.argv !contains "--"`)).toEqual([1, 300, 400]);
  });
  test('indexing from the start and the end', async () => {
    expect(await pids(`${P}.argv[0] == "/sbin/agetty"`)).toEqual([101]);
    expect(await pids(`${P}.argv[-1] == "linux"`)).toEqual([101]);
    expect(await pids(`${P}.argv[5] == null`)).toEqual([1, 200, 300, 400]);
  });
});

describe('strings', () => {
  test('LIKE metacharacters in values are literal', async () => {
    expect(await pids(`${P}.argv contains "%"`)).toEqual([400]);
    expect(await pids(`${P}.command_line contains "0%_d"`)).toEqual([400]);
    expect(await pids(`${P}.name contains "_"`)).toEqual([400]);
    expect(await pids(`${P}.command_line contains "\\\\u"`)).toEqual([101]);
  });
  test('case-insensitive operators', async () => {
    expect(await pids(`${P}.name == "web_server"`)).toEqual([]);
    expect(await pids(`${P}.name =~ "web_server"`)).toEqual([400]);
    expect(await pids(`${P}.name icontains "SERVER"`)).toEqual([400]);
    expect(await pids(`${P}.name imatches "^web_"`)).toEqual([400]);
    expect(await pids(`${P}.name matches "^web_"`)).toEqual([]);
    expect(await pids(`${P}.name in~ ["WEB_SERVER", "INIT"]`)).toEqual([1, 400]);
    expect(await pids(`${P}.name !~ "WEB_SERVER"`)).toEqual([1, 101, 200, 300]);
  });
  test('regex (RE2)', async () => {
    expect(await pids(`${P}.command_line matches "stratum\\+tcp://\\d+\\.\\d+"`)).toEqual([200]);
    expect(await pids(`${P}.exe_path matches "^/tmp/\\.[^/]+/"`)).toEqual([200]);
  });
});

describe('nulls', () => {
  test('== null / != null', async () => {
    expect(await pids(`${P}.exe_path == null`)).toEqual([300]);
    expect(await pids(`${P}.exe_path != null`)).toEqual([1, 101, 200, 400]);
  });
  test('null satisfies no positive operator and every negated one', async () => {
    expect(await pids(`${P}.exe_path != "/sbin/init"`)).toEqual([101, 200, 300, 400]);
    expect(await pids(`!(${P}.exe_path == "/sbin/init")`)).toEqual([101, 200, 300, 400]);
    expect(await pids(`${P}.exe_path < "/z"`)).toEqual([1, 101, 200, 400]);
    expect(await pids(`${P}.exe_path !contains "bin"`)).toEqual([200, 300]);
  });
});

describe('numbers, addresses, timestamps', () => {
  test('decimal and hex integers', async () => {
    expect(await pids(`${P}.process_id in [1, 0x65]`)).toEqual([1, 101]);
    expect(await pids(`${P}.process_id >= 200 && ${P}.process_id < 0x190`)).toEqual([200, 300]);
  });
  test('addresses: hex, decimal and quoted forms compare numerically', async () => {
    const names = async (q: string) => (await rows(q)).map((r) => r.name);
    expect(await names('module.module_object.base >= 0xffffffffc0b00000')).toEqual(['hidden_rk']);
    expect(await names(`module.module_object.base == ${0xffffffffc0a00000n.toString(10)}`)).toEqual(['dummy']);
    expect(await names('module.module_object.base == "0xFFFFFFFFC0A00000"')).toEqual(['dummy']);
    expect(await names('module.module_object.base < 0xffffffffc0a00001 && module.module_object.base > 0xc0a00000')).toEqual(['dummy']);
    expect(await pids(`${P}.object_address == 0xffff888001030000`)).toEqual([300]);
  });
  test('timestamps', async () => {
    expect(await pids(`${P}.create_time > "2026-11-25"`)).toEqual([200]);
    expect(await pids(`${P}.create_time < "2026-11-25T09:59:59Z"`)).toEqual([]);
    expect(await pids(`${P}.create_time == "2026-11-25 10:00:00"`)).toEqual([200]);
  });
});

describe('other objects', () => {
  test('socket with its owning process', async () => {
    const r = await rows('socket.process_object.name == "evil"');
    expect(r.map((x) => [x.remote_address, x.remote_port])).toEqual([['10.9.8.7', 3333]]);
    expect((await rows('socket.socket_object.process_id == null')).map((x) => x.local_port)).toEqual([68]);
  });
  test('threads of a process', async () => {
    expect((await rows('thread.process_object.name == "evil"')).map((x) => x.thread_id)).toEqual([200, 201]);
  });
  test('hidden module', async () => {
    expect((await rows('module.module_object.hidden')).map((x) => x.name)).toEqual(['hidden_rk']);
  });
});

describe('select, order, limit', () => {
  test('default columns plus project/machine/snapshot', async () => {
    const r = await runQuery(store, 'process', onlyA);
    expect(r.columns.map((c) => c.name)).toEqual(['project', 'machine', 'snapshot', 'process_id', 'parent_process_id', 'name', 'command_line']);
    expect(r.rows[0]).toEqual({ project: 'p1', machine: 'm1', snapshot: 's1', process_id: 1, parent_process_id: 0, name: 'init', command_line: '/sbin/init' });
  });
  test('selecting a 1:N field lists the elements that satisfy the top-level group', async () => {
    const r = await rows(`select ${P}.process_id, ${V}.file_name, ${V}.protection where ${V}.is_executable && ${P}.process_id == 101`);
    expect(r.map((x) => [x.process_id, x.file_name, x.protection])).toEqual([[101, '/usr/sbin/agetty', 'r-xp']]);
    const all = await rows(`select ${P}.process_id, ${V}.file_name where ${P}.process_id in [1, 101]`);
    expect(all.map((x) => [x.process_id, x.file_name])).toEqual([
      [1, null],
      [101, '/usr/lib/libc.so.6'],
      [101, '/usr/sbin/agetty'],
    ]);
  });
  test('select sub.* and clashing names', async () => {
    const r = await rows(`select process.env_object.* where process.env_object.name == "LD_PRELOAD"`);
    expect(r).toEqual([{ project: 'p1', machine: 'm1', snapshot: 's1', process_id: 200, name: 'LD_PRELOAD', value: '/tmp/x.so' }]);
    const c = await runQuery(store, `select ${P}.name, process.parent_object.name where ${P}.process_id == 300`, onlyA);
    expect(c.rows).toEqual([{ project: 'p1', machine: 'm1', snapshot: 's1', 'process_object.name': 'bash', 'parent_object.name': 'agetty' }]);
  });
  test('order by and limit', async () => {
    expect(await pids(`select ${P}.process_id where ${P}.process_id > 0 order by ${P}.process_id desc limit 2`)).toEqual([400, 300]);
    expect(await pids(`process order by ${P}.name limit 1`)).toEqual([400]); // 'W' < 'a' in byte order
  });
  test('argv comes back as an array, addresses as hex text', async () => {
    const r = await rows(`select ${P}.argv, ${P}.object_address where ${P}.process_id == 400`);
    expect(r[0].argv).toEqual(['httpd', '-p', '100%_done']);
    expect(r[0].object_address).toBe('0xffff888001040000');
  });
});

describe('scope across projects, machines, snapshots', () => {
  const seed = `${P}.parent_process_id == 1 && ${V}.file_name == "/usr/sbin/agetty"`;
  test('no scope: every snapshot', async () => {
    const r = await rows(seed, {});
    expect(r.map((x) => [x.project, x.machine, x.snapshot, x.process_id])).toEqual([
      ['p1', 'm1', 's1', 101],
      ['p2', 'm1', 's9', 55],
    ]);
  });
  test('restricted', async () => {
    expect((await rows(seed, { projects: ['p2'] })).map((x) => x.process_id)).toEqual([55]);
    expect(await rows(seed, { machines: ['m2'] })).toEqual([]);
    expect((await rows('process', { machines: ['m2'] })).map((x) => x.snapshot)).toEqual(['s1']);
    expect(await rows('process', { snapshots: [] })).toEqual([]);
  });
  test('joins stay inside one snapshot', async () => {
    // B's agetty has no VMAs; A's and C's VMAs must not leak into it
    expect(await rows(`${V}.file_name == "/usr/sbin/agetty"`, { machines: ['m2'] })).toEqual([]);
  });
});

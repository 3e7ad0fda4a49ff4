// `memq query` / `memq snapshots` as a user runs them (child process): output formats, scope
// options, --explain, and errors as one message with a caret, exit code 1, no stack trace.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir, writeStore } from './fixture-store';

const BIN = path.resolve(__dirname, '../../bin/memq.js');
let dir: string;

function memq(...args: string[]) {
  return memqIn(undefined, ...args);
}
function memqIn(input: string | undefined, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  dir = tempDir('memq-cli-');
  const proc = (pid: number, name: string) => ({ process_id: pid, parent_process_id: 1, name, argv: [name], command_line: name, object_address: BigInt(pid) });
  await writeStore(dir, [
    { ref: { project: 'acme', machine: 'web-1', snapshot: 'monday' }, rows: { process: [proc(10, 'sshd'), proc(11, 'bash')] } },
    { ref: { project: 'acme', machine: 'web-2', snapshot: 'monday' }, rows: { process: [proc(20, 'bash')] } },
  ]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('query with formats and scope', () => {
  const json = memq('query', 'process.process_object.name == "bash"', '--store', dir, '--format', 'json');
  expect(json.code).toBe(0);
  expect(JSON.parse(json.out).map((r: { machine: string; process_id: number }) => [r.machine, r.process_id])).toEqual([
    ['web-1', 11],
    ['web-2', 20],
  ]);
  const csv = memq('query', 'process.process_object.name == "bash"', '--store', dir, '--format', 'csv', '--machine', 'web-2');
  expect(csv.out).toBe('project,machine,snapshot,process_id,parent_process_id,name,command_line\nacme,web-2,monday,20,1,bash,bash\n');
  const table = memq('query', 'process', '--store', dir, '--project', 'acme', '--snapshot', 'monday,tuesday');
  expect(table.out.split('\n').filter(Boolean).length).toBe(2 + 3);
  expect(table.err).toMatch(/\(3 rows, [\d.]+ ms\)/);
});

test('a multi-line query from stdin', () => {
  const r = memqIn('# comment\nprocess.process_object.name == "bash" &&\n  process.process_object.process_id > 15\n', 'query', '-', '--store', dir, '--format', 'jsonl');
  expect(r.out).toBe('{"project":"acme","machine":"web-2","snapshot":"monday","process_id":20,"parent_process_id":1,"name":"bash","command_line":"bash"}\n');
});

test('snapshots', () => {
  const r = memq('snapshots', '--store', dir, '--format', 'csv');
  expect(r.out.split('\n').slice(1, 3)).toEqual(['acme,web-1,monday,,,,,,', 'acme,web-2,monday,,,,,,']);
});

test('--explain prints SQL and parameters without a store', () => {
  const r = memq('query', 'process.process_object.name matches "^ba"', '--explain', 'athena', '--project', 'acme');
  expect(r.code).toBe(0);
  expect(r.out).toContain('regexp_like(o."name", ?)');
  expect(r.out).toContain('-- parameters: ["acme","^ba"]');
});

test('errors: one message with position and caret, exit 1, no stack', () => {
  const r = memq('query', 'process.process_object.nam == "bash"', '--store', dir);
  expect(r.code).toBe(1);
  expect(r.err).toBe('memq: query error at line 1, column 24: unknown field "nam" of process.process_object (did you mean "name"?)\n  process.process_object.nam == "bash"\n                         ^\n');
  const noStore = memq('query', 'process', '--store', path.join(dir, 'missing'));
  expect(noStore.code).toBe(1);
  expect(noStore.err).toMatch(/^memq: store directory .* does not exist/);
  expect(noStore.err).not.toMatch(/\n\s+at /);
});

test('a scope that matches no snapshot is an error (stderr, exit 1); 0 rows in a real scope is not', () => {
  const none = memq('query', 'process', '--store', dir, '--machine', 'nosuch');
  expect(none.code).toBe(1);
  expect(none.out).toBe('');
  expect(none.err).toBe('memq: no snapshot matches the scope: --machine nosuch is not in the store (machines: web-1, web-2)\n');
  const combo = memq('query', 'process', '--store', dir, '--machine', 'web-1', '--snapshot', 'tuesday', '--format', 'json');
  expect(combo.code).toBe(1);
  expect(combo.err).toMatch(/--snapshot tuesday is not in the store \(snapshots: monday\)/);
  const zero = memq('query', 'process.process_object.name == "nosuch"', '--store', dir, '--machine', 'web-1', '--format', 'json');
  expect(zero.code).toBe(0);
  expect(JSON.parse(zero.out)).toEqual([]);
  // a query error still comes first
  expect(memq('query', 'process.process_object.pid == 1', '--store', dir, '--machine', 'nosuch').err).toMatch(/unknown field "pid"/);
});

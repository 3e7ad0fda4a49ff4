// The REPL driven through streams: multi-line statements, dot commands, errors without stacks,
// history file, completion from the catalog.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runRepl, statementComplete, completeLine } from '../../lib/cli/repl';
import { openLocalStore, type LocalStore } from '../../lib/engine';
import { tempDir, writeStore } from '../engine/fixture-store';

let dir: string;
let store: LocalStore;

beforeAll(async () => {
  dir = tempDir('memq-repl-');
  await writeStore(dir, [
    {
      ref: { project: 'p', machine: 'm', snapshot: 's' },
      rows: {
        process: [
          { process_id: 1, parent_process_id: 0, name: 'init', argv: ['/sbin/init'], command_line: '/sbin/init', object_address: 1n },
          { process_id: 101, parent_process_id: 1, name: 'agetty', argv: ['agetty'], command_line: 'agetty', object_address: 2n },
        ],
        vma: [{ process_id: 101, file_name: '/usr/sbin/agetty', protection: 'r-xp', kind: 'file', is_executable: true }],
      },
    },
  ]);
  store = openLocalStore(dir);
});
afterAll(() => {
  store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function session(lines: string[], historyFile: string | null = null): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d) => (text += d.toString()));
  const done = runRepl({ input, output, store, historyFile });
  for (const l of lines) input.write(l + '\n');
  input.end();
  await done;
  return text;
}

test('multi-line statement runs once complete, with timing', async () => {
  const out = await session(['process.process_object.parent_process_id == 1 &&', '  process.vad_object.file_name == "/usr/sbin/agetty"']);
  expect(out).toContain('  ...> ');
  expect(out).toMatch(/p\s+m\s+s\s+101\s+1\s+agetty/);
  expect(out).toMatch(/\(1 row, [\d.]+ ms\)/);
});

test('dot commands: .help, .schema, .scope, .format, .timing, .sql, .snapshots', async () => {
  const out = await session([
    '.help',
    '.schema process',
    '.scope machine=other',
    'process',
    '.scope clear',
    '.format csv',
    '.timing off',
    'select process.process_object.name where process.process_object.process_id == 1',
    '.sql process.process_object.name == "x"',
    '.snapshots',
    '.nonsense',
  ]);
  expect(out).toContain('Tab completes objects');
  expect(out).toContain('process.vad_object  (1:N, table vma)');
  expect(out).toContain('scope: machine=other');
  expect(out).toContain('(0 rows,');
  expect(out).toContain('scope: all snapshots');
  expect(out).toContain('project,machine,snapshot,name\np,m,s,init\n');
  expect(out).toContain('WHERE o."name" = ?');
  expect(out).toContain('-- parameters: ["x"]');
  expect(out).toContain('unknown command .nonsense');
});

test('errors print a message and caret, never a stack, and the session goes on', async () => {
  const out = await session(['process.process_object.nme == 1', 'process.process_object.name matches "a("', 'process']);
  expect(out).toContain('error: query error at line 1, column 24: unknown field "nme" of process.process_object (did you mean "name"?)');
  expect(out).toContain('                         ^');
  expect(out).toContain('regular expression does not compile');
  expect(out).not.toMatch(/\n\s+at /);
  expect(out).toMatch(/\(2 rows, /);
});

test('.exit stops reading', async () => {
  const out = await session(['.exit', 'process']);
  expect(out).not.toContain('rows');
});

test('history file gets each statement on one line', async () => {
  const hist = path.join(dir, 'history');
  await session(['process.process_object.process_id ==', '1', '.help'], hist);
  expect(fs.readFileSync(hist, 'utf8')).toBe('process.process_object.process_id == 1\n');
});

test('statement completeness', () => {
  expect(statementComplete('process')).toBe(true);
  expect(statementComplete('process.process_object.name == "a" &&')).toBe(false);
  expect(statementComplete('process.process_object.name in ["a",')).toBe(false);
  expect(statementComplete('(process.process_object.exe_deleted')).toBe(false);
  expect(statementComplete('process.process_object.name == "a(" ')).toBe(true);
  expect(statementComplete('select process.process_object.name where')).toBe(false);
  expect(statementComplete('process \\')).toBe(false);
  expect(statementComplete('process.process_object.exe_deleted # trailing &&')).toBe(true);
});

test('tab completion from the catalog', () => {
  expect(completeLine('pro')).toEqual([['process.'], 'pro']);
  expect(completeLine('process.vad')).toEqual([['process.vad_object.'], 'process.vad']);
  expect(completeLine('x == 1 && process.vad_object.file_')).toEqual([['process.vad_object.file_name'], 'process.vad_object.file_']);
  expect(completeLine('.sch')).toEqual([['.schema'], '.sch']);
  expect(completeLine('.schema so')).toEqual([['socket'], 'so']);
  expect(completeLine('process.process_object.name icon')[0]).toContain('icontains');
});

test('completion after a field offers the operators that fit it; after an operator, values from the data (#14)', () => {
  const [ops] = completeLine('process.process_object.name ');
  expect(ops).toEqual(expect.arrayContaining(['==', 'contains', 'startswith', 'matches', 'in']));
  expect(ops.some((o) => o.startsWith('process'))).toBe(false);
  const [num] = completeLine('x == 1 && process.process_object.process_id ');
  expect(num).toEqual(expect.arrayContaining(['==', '>', '<=', 'in']));
  expect(num).not.toContain('contains');
  expect(completeLine('process.process_object.name sta')).toEqual([['startswith'], 'sta']);
  // a select list is not a condition
  expect(completeLine('select process.process_object.name ')[0]).not.toContain('==');
  const values = (p: string) => (p === 'process.process_object.name' ? ['agetty', 'init'] : []);
  expect(completeLine('process.process_object.name == "a', values)).toEqual([['"agetty"'], '"a']);
  expect(completeLine('process.process_object.name == ', values)).toEqual([['"agetty"', '"init"'], '']);
});

test('.schema is readable: a sub-object over an already listed table is not repeated (#14)', async () => {
  const out = await session(['.schema process']);
  expect(out).toContain('process.parent_object  (1:1, table process)');
  expect(out).toMatch(/the same \d+ fields as process\.process_object \(process\.parent_object\.name, …\)/);
  expect(out.split('\n').filter((l) => /^\s+parent_process_id\s/.test(l)).length).toBe(1);
});

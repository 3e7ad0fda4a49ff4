// #14 `memq diff` across a "reboot": the dev scenario captured on the 6.1 and on the 6.12 kernel is
// the same machine booted twice. By identity (pid + name + start time) everything appeared and
// vanished; --match exe / cmdline pair processes by what they run and list what persisted (the miner
// included) with the fields that changed. Snapshots of different OSes are refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { addDumpToStore } from '../../lib/store/add';
import { IMAGES, dumpPath, groundTruth, imagesAvailable, describeWithImages } from '../support/dumps';

jest.setTimeout(300_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
const maybe = describeWithImages;
let dir: string;

function memq(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--store', dir], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  if (!imagesAvailable()) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-diff-reboot-'));
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), { project: 'lab', machine: 'dev', snapshot: 'boot1' });
  await addDumpToStore(dir, await dumpPath('6.12', 'memory.kdump'), { project: 'lab', machine: 'dev', snapshot: 'boot2' });
  await addDumpToStore(dir, path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'), { project: 'lab', machine: 'win', snapshot: 'triage' });
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

maybe('memq diff across a reboot', () => {
  test('identity: nothing persisted; --match exe: the scenario processes persisted, pids changed', () => {
    const byIdentity = JSON.parse(memq('diff', 'boot1', 'boot2', '--format', 'json').out);
    expect(byIdentity.match).toBe('identity');
    expect(byIdentity.persisted).toBeUndefined();
    expect(byIdentity.counts.process.vanished).toBe(groundTruth('6.1').processes.length);

    const r = memq('diff', 'boot1', 'boot2', '--match', 'exe', '--format', 'json');
    expect(r.code).toBe(1);
    const d = JSON.parse(r.out) as { match: string; counts: { process: { appeared: number; vanished: number } }; persisted: { a: Record<string, unknown>; b: Record<string, unknown>; changed: string[] }[] };
    expect(d.match).toBe('exe');
    const miner = d.persisted.find((p) => p.b.name === 'evil-miner')!;
    expect(miner.a.process_id).toBe(groundTruth('6.1').roles.evil_miner);
    expect(miner.b.exe_path).toBe('/tmp/.hidden/evil-miner');
    expect(miner.changed).toContain('process_id');
    expect(miner.changed).not.toContain('command_line');
    // far fewer appeared/vanished than by identity
    expect(d.counts.process.vanished).toBeLessThan(byIdentity.counts.process.vanished / 2);
    for (const role of ['agetty', 'nc_listener', 'deleted_exe', 'fake_kthread', 'shell'] as const) {
      const pid = groundTruth('6.1').roles[role];
      expect(d.persisted.some((p) => p.a.process_id === pid)).toBe(true);
    }
  });

  test('table: a summary with persisted counts and one line per persisted process with what changed', () => {
    const t = memq('diff', 'boot1', 'boot2', '--match', 'cmdline');
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^diff lab\/dev\/boot1 → lab\/dev\/boot2 \(processes matched by name \+ command line\)\n/);
    expect(t.out).toMatch(/^process: \d+ appeared, \d+ vanished, \d+ persisted \(\d+ changed\)$/m);
    expect(t.out).toMatch(/^\d+ +evil-miner +\/tmp\/\.hidden\/evil-miner +process_id 108→\d+/m);
  });

  test('the README example is what the shipped dumps give', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const block = readme.split('\n    memq diff boot1 boot2 --match exe\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim());
    expect(block.length).toBe(2);
    const squeeze = (t: string) => t.split('\n').map((l) => l.trim().replace(/ {2,}/g, '  '));
    const got = squeeze(memq('diff', 'boot1', 'boot2', '--match', 'exe').out);
    for (const l of block) expect(got).toContain(l);
  });

  test('snapshots of different operating systems are refused (exit 2, one line)', () => {
    const r = memq('diff', 'boot1', 'triage');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('memq: cannot diff a linux snapshot (lab/dev/boot1) with a windows snapshot (lab/win/triage): nothing is comparable\n');
  });
});

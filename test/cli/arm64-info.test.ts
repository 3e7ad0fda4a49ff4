// `memq info` on the arm64 dev kdump as a user runs it (child process through bin/memq.js), on both
// discovery paths: with the kernel's VMCOREINFO note, and with --ignore-vmcoreinfo (layout derived
// from kallsyms/BTF scans and init_task). Both report arch and the same layout facts — the guest's,
// from ground-truth.json — each with where it came from; `memq ps` on the second path matches too.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGES } from '../support/dumps';

jest.setTimeout(300_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
const DIR = path.join(IMAGES, 'linux-dev-arm64');
const KDUMP = path.join(DIR, 'memory.kdump');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' } });

function info(...extra: string[]): Record<string, string | number> {
  const r = run('info', KDUMP, '--format', 'json', ...extra);
  expect([r.status, r.stderr]).toEqual([0, r.stderr]);
  return Object.fromEntries((JSON.parse(r.stdout) as { key: string; value: string | number }[]).map((x) => [x.key, x.value]));
}

describe.each([
  ['VMCOREINFO', []],
  ['--ignore-vmcoreinfo', ['--ignore-vmcoreinfo']],
] as [string, string[]][])('memq info on the arm64 kdump (%s)', (path_, extra) => {
  test('arch and the guest\'s layout facts, each with its source', () => {
    const i = info(...extra);
    const a64 = gt.kernel.arm64;
    expect([i.os, i.arch, i.kernel_version]).toEqual(['linux', 'arm64', gt.kernel.release]);
    expect(BigInt(i.kaslr_shift)).toBe(BigInt(gt.kernel.kaslr.virt_offset));
    expect(i.va_bits).toBe(a64.va_bits);
    expect(BigInt(i.kimage_voffset)).toBe(BigInt(a64.kimage_voffset));
    expect(BigInt(i.phys_offset)).toBe(BigInt(a64.phys_offset));
    expect(BigInt(i.dtb)).toBe(BigInt(a64.swapper_pg_dir_phys));
    expect(i.swapper_pg_dir).toBe(`${a64.swapper_pg_dir} (physical ${a64.swapper_pg_dir_phys})`);
    expect(i['source.arch']).toMatch(/^arm64: kdump CPU notes/);
    for (const k of ['va_bits', 'kimage_voffset', 'phys_offset', 'kaslr_shift', 'dtb', 'symbols', 'btf']) expect([k, typeof i[`source.${k}`]]).toEqual([k, 'string']);
    if (path_ === 'VMCOREINFO') {
      expect(i['source.vmcoreinfo']).toMatch(/^RAM at 0x/);
      expect(i['source.kimage_voffset']).toContain('VMCOREINFO NUMBER(kimage_voffset)');
    } else {
      expect(i['source.vmcoreinfo']).toMatch(/^ignored on request \(--ignore-vmcoreinfo\)/);
      expect(i['source.kimage_voffset']).toMatch(/init_task/);
      expect(i['source.dtb']).not.toContain('VMCOREINFO');
      expect(i['source.symbols']).toMatch(/found by scanning RAM/);
      expect(String(i.warnings)).toMatch(/KASLR shift is reported relative to the default arm64 link address/);
    }
  });
});

test('memq ps --ignore-vmcoreinfo on the arm64 kdump lists the ground-truth processes', () => {
  const r = run('ps', KDUMP, '--format', 'json', '--ignore-vmcoreinfo');
  expect(r.status).toBe(0);
  const rows = JSON.parse(r.stdout) as { process_id: number; parent_process_id: number; name: string }[];
  const want = (gt.processes as { pid: number; ppid: number; task_comm: string }[]).map((p) => [p.pid, p.ppid, p.task_comm]);
  expect(rows.map((p) => [p.process_id, p.parent_process_id, p.name]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(want.sort((a, b) => (a[0] as number) - (b[0] as number)));
});

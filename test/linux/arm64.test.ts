// Linux on ARM64 (issue #18), first slice: the arm64 dev kdump (Debian 6.1 arm64 under QEMU virt) is
// recognised as arm64, its VMCOREINFO facts and page-table root are reported with their sources and
// agree with what the guest itself said (ground-truth.json), and tables not yet supported refuse with
// one line instead of producing a wrong table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import type { OsEngine } from '../../lib/os/engine';
import { IMAGES } from '../support/dumps';
import { MemqError } from '../../lib/util/errors';

jest.setTimeout(300_000);

const DIR = path.join(IMAGES, 'linux-dev-arm64');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const a64 = gt.kernel.arm64;

describe('Linux arm64 dev kdump', () => {
  let eng: OsEngine;
  beforeAll(async () => {
    eng = await openDump(path.join(DIR, 'memory.kdump'));
  });
  afterAll(() => eng?.mem.close());

  test('the kdump is recognised as arm64 from its CPU notes (QEMU leaves utsname.machine "Unknown")', () => {
    expect(gt.arch).toBe('arm64');
    expect(eng.mem.hints?.arch).toBe('arm64');
    expect(eng.mem.info['kdump.arch']).toMatch(/^arm64 \(kdump CPU notes/);
    expect(eng.info()['source.arch']).toMatch(/^arm64: kdump CPU notes/);
  });

  test('VMCOREINFO facts match the guest: KERNELOFFSET, VA_BITS, kimage_voffset, PHYS_OFFSET, swapper_pg_dir', () => {
    const info = eng.info();
    expect(info.os).toBe('linux');
    expect(info.arch).toBe('arm64');
    expect(info.kernel_version).toBe(gt.kernel.release);
    expect(BigInt(info.kaslr_shift as string)).toBe(BigInt(gt.kernel.kaslr.virt_offset));
    expect(info.va_bits).toBe(a64.va_bits);
    expect(info.page_size).toBe(a64.page_size);
    expect(BigInt(info.page_offset as string)).toBe(BigInt(a64.page_offset));
    expect(BigInt(info.phys_offset as string)).toBe(BigInt(a64.phys_offset));
    expect(BigInt(info.phys_base as string)).toBe(BigInt(gt.machine.ram_base));
    expect(BigInt(info.kimage_voffset as string)).toBe(BigInt(a64.kimage_voffset));
    expect(BigInt(info.dtb as string)).toBe(BigInt(a64.swapper_pg_dir_phys));
    expect(info.swapper_pg_dir).toBe(`${a64.swapper_pg_dir} (physical ${a64.swapper_pg_dir_phys})`);
    expect(BigInt(info.page_offset_base as string)).toBe(BigInt(gt.kernel.kaslr.page_offset_base));
    expect(BigInt(info.kernel_pac_mask as string)).toBe(BigInt(a64.kernel_pac_mask));
    // TTBR1_EL1.BADDR of every vCPU is the root discovery derived
    for (const cpu of Object.values(a64.cpus) as { ttbr1_baddr: string }[]) expect(BigInt(cpu.ttbr1_baddr)).toBe(BigInt(info.dtb as string));
    // each fact says where it came from
    for (const k of ['va_bits', 'kimage_voffset', 'phys_offset', 'kaslr_shift', 'dtb', 'vmcoreinfo']) expect(info[`source.${k}`]).toBeTruthy();
    expect(info['source.kimage_voffset']).toContain('VMCOREINFO NUMBER(kimage_voffset)');
    expect(info['source.dtb']).toContain('swapper_pg_dir');
  });

  test('the kernel page tables map _stext, init_uts_ns and the linear map as the guest checked', () => {
    const k = (eng as unknown as { k: { space: { translate(va: bigint): number | null; read(va: bigint, n: number): Buffer | null } } }).k;
    const c = a64.checks;
    expect(k.space.translate(BigInt(c._stext_va_to_pa.va))).toBe(Number(BigInt(c._stext_va_to_pa.pa)));
    expect(k.space.translate(BigInt(c.linear_map_ram_start.va))).toBe(Number(BigInt(c.linear_map_ram_start.pa)));
    const uts = k.space.read(BigInt(c.init_uts_ns.va), 65 * 3)!;
    const field = (i: number) => uts.toString('latin1', i * 65, (i + 1) * 65).replace(/\0.*$/s, '');
    expect([field(0), field(1), field(2)]).toEqual([c.init_uts_ns.sysname, c.init_uts_ns.nodename, c.init_uts_ns.release]);
  });

  test('kallsyms decoded from memory agree with the guest /proc/kallsyms', () => {
    const syms = (eng as unknown as { k: { syms: { get(n: string): bigint | undefined } } }).k.syms;
    const ks = gt.kernel.kallsyms as Record<string, { addr: string }>;
    expect(Object.keys(ks).length).toBeGreaterThan(3);
    for (const n of Object.keys(ks)) expect([n, syms.get(n)]).toEqual([n, BigInt(ks[n].addr)]);
  });

  test('tables not supported yet on arm64 fail with one clear MemqError line', () => {
    for (const t of ['vma', 'socket', 'syscall', 'kernel_module'] as const) {
      let err: unknown;
      try {
        eng.extract(t);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MemqError);
      expect((err as Error).message).toBe(`ARM64 Linux: ${t} tables not supported yet`);
    }
  });

  test('init_task and linux_banner (data symbols, absent from text-only kallsyms) are found in the kernel image where System.map puts them', () => {
    const k = (eng as unknown as { k: { syms: { get(n: string): bigint | undefined } } }).k;
    const map = gt.kernel.system_map as Record<string, string>;
    const shift = BigInt(gt.kernel.kaslr.virt_offset);
    expect(k.syms.get('init_task')).toBe(BigInt(map.init_task) + shift);
    expect(eng.info()['source.init_task']).toMatch(/found in the kernel image/);
    expect(eng.info().banner).toBe(gt.kernel.proc_version);
  });

  test('every process matches ground truth with no System.map (profile-free)', () => {
    checkProcesses(eng);
  });
});

interface GtProcess {
  pid: number; ppid: number; comm: string; task_comm: string; cmdline: string[]; exe: string | null; cwd: string | null;
  uid: number; euid: number; gid: number; start_time: number; num_threads: number; is_kernel_thread: boolean;
}

/** pid, ppid, task_comm, argv, exe, ids, start time, threads of every process (user argv read through each TTBR0 root) */
function checkProcesses(eng: OsEngine): void {
  const rows = eng.extract('process');
  const byPid = new Map(rows.map((r) => [r.process_id, r]));
  const procs = gt.processes as GtProcess[];
  expect([...byPid.keys()].sort((a, b) => a - b)).toEqual(procs.map((p) => p.pid).sort((a, b) => a - b));
  for (const p of procs) {
    const r = byPid.get(p.pid)!;
    const exe = p.exe ? p.exe.replace(/ \(deleted\)$/, '') : null;
    expect({
      pid: r.process_id, ppid: r.parent_process_id, comm: r.name, argv: r.argv, exe: r.exe_path, deleted: r.exe_deleted,
      uid: r.uid, euid: r.euid, gid: r.gid, kthread: r.is_kernel_thread, ticks: Math.floor((r.start_time_ns ?? -1) / 1e7), threads: r.thread_count,
    }).toEqual({
      pid: p.pid, ppid: p.ppid, comm: p.task_comm, argv: p.cmdline, exe: p.is_kernel_thread ? null : exe, deleted: !!p.exe?.endsWith(' (deleted)'),
      uid: p.uid, euid: p.euid, gid: p.gid, kthread: p.is_kernel_thread, ticks: p.start_time, threads: p.num_threads,
    });
    if (p.cwd && !p.is_kernel_thread) expect([p.pid, r.cwd]).toEqual([p.pid, p.cwd]);
  }
}

describe('Linux arm64 dev kdump with System.map: processes', () => {
  let eng: OsEngine;
  beforeAll(async () => {
    eng = await openDump(path.join(DIR, 'memory.kdump'), { systemMap: path.join(DIR, 'System.map-6.1.0-57-arm64') });
  });
  afterAll(() => eng?.mem.close());

  test('System.map is cross-checked against kallsyms and VMCOREINFO before its data symbols are used', () => {
    const info = eng.info();
    expect(info['source.system_map']).toMatch(/^cross-checked \d+ symbols against .*: all match$/);
    expect(Number((info['source.system_map'] as string).match(/cross-checked (\d+)/)![1])).toBeGreaterThan(5);
    expect(info['source.symbols']).toMatch(/^System\.map .* shifted by KERNELOFFSET 0x3a65de000000/);
    expect(info.banner).toBe(gt.kernel.proc_version);
  });

  test('every process matches ground truth with System.map data symbols', () => {
    checkProcesses(eng);
  });
});

// Linux on ARM64 (issue #18), first slice: the arm64 dev kdump (Debian 6.1 arm64 under QEMU virt) is
// recognised as arm64, its VMCOREINFO facts and page-table root are reported with their sources and
// agree with what the guest itself said (ground-truth.json), and tables not yet supported refuse with
// one line instead of producing a wrong table.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump, openEngine } from '../../lib/os/open';
import { openDumpFile } from '../../lib/image/open';
import type { LinuxEngine } from '../../lib/os/linux';
import { OverlayMemory } from '../support/overlay';
import { scanRam } from '../../lib/image/physical';
import type { OsEngine } from '../../lib/os/engine';
import { IMAGES } from '../support/dumps';
import { MemqError } from '../../lib/util/errors';

jest.setTimeout(300_000);

const DIR = path.join(IMAGES, 'linux-dev-arm64');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const a64 = gt.kernel.arm64;
const TCP_STATE_NUM: Record<string, number> = { ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10, CLOSING: 11 };

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

  test('DKOM on arm64 (copy-on-write overlay): an unlinked process comes back through the pid IDR, an unlinked module through the module scan', async () => {
    const base = eng as unknown as LinuxEngine;
    expect(eng.info()['source.init_pid_ns']).toBe(`0x${(BigInt((gt.kernel.system_map as Record<string, string>).init_pid_ns) + BigInt(gt.kernel.kaslr.virt_offset)).toString(16)}: init_task.thread_pid->numbers[0].ns`);
    expect(eng.extract('process').filter((p) => !p.in_process_list)).toEqual([]);
    expect(eng.extract('kernel_module').filter((m) => m.hidden)).toEqual([]);
    const ov = new OverlayMemory(await openDumpFile(path.join(DIR, 'memory.kdump')));
    const v = base.ctx.v;
    const pa = (va: bigint) => base.k.space.translate(va)!;
    const unlink = (node: bigint) => {
      const next = v.ptr(node);
      const prev = v.ptr(node + 8n);
      ov.writeU64(pa(prev), next); // prev->next = next
      ov.writeU64(pa(next + 8n), prev); // next->prev = prev
    };
    unlink(base.ctx.tasks().find((t) => t.pid === 108)!.addr + BigInt(v.off('task_struct', 'tasks')));
    const veth = eng.extract('kernel_module').find((m) => m.name === 'veth')!;
    unlink(veth.object_address! + BigInt(v.off('module', 'list')));
    const hacked = openEngine(ov) as LinuxEngine;
    const procs = hacked.extract('process');
    expect(procs.length).toBe(gt.processes.length);
    expect(procs.filter((p) => !p.in_process_list).map((p) => [p.process_id, p.name])).toEqual([[108, 'evil-miner']]);
    const mods = hacked.extract('kernel_module');
    expect(mods.filter((m) => m.hidden).map((m) => [m.name, m.base, m.in_module_list])).toEqual([['veth', veth.base, false]]);
    expect(mods.filter((m) => !m.hidden).map((m) => m.name).sort()).toEqual(['can', 'can_raw', 'dummy', 'tcp_bbr']);
    ov.close();
  });

  test('inline hooks: handler entries patched with the usual A64 trampolines are reported, with where they jump (copy-on-write overlay)', async () => {
    const ov = new OverlayMemory(await openDumpFile(KDUMP));
    const k = (eng as unknown as LinuxEngine).k;
    const native = eng.extract('syscall').filter((r) => r.table_name === 'arm64');
    const entry = (nr: number) => native.find((r) => r.index === nr)!.handler;
    const mod = eng.extract('kernel_module').find((m) => m.name === 'dummy')!.base;
    const etext = BigInt(gt.kernel.kallsyms._etext.addr);
    const words = (va: bigint, ws: (number | bigint)[]) => {
      const b = Buffer.alloc(ws.reduce<number>((n, w) => n + (typeof w === 'bigint' ? 8 : 4), 0));
      let o = 0;
      for (const w of ws) o = typeof w === 'bigint' ? b.writeBigUInt64LE(w, o) : b.writeUInt32LE(w >>> 0, o);
      ov.write(k.space.translate(va)!, b);
    };
    const X16 = 16;
    const BR_X16 = 0xd61f0000 | (X16 << 5);
    // execve: ldr x16, #8 ; br x16 ; .quad <module address>
    words(entry(221), [0x58000000 | (2 << 5) | X16, BR_X16, mod + 0x40n]);
    // kill: keeps the ftrace entry (mov x9, x30 ; nop), then movz/movk x16 = <module address> ; br x16
    const t2 = mod + 0x80n;
    const hw = (i: number) => Number((t2 >> BigInt(16 * i)) & 0xffffn);
    words(entry(129) + 8n, [0xd2800000 | (hw(0) << 5) | X16, 0xf2800000 | (1 << 21) | (hw(1) << 5) | X16, 0xf2800000 | (2 << 21) | (hw(2) << 5) | X16, 0xf2800000 | (3 << 21) | (hw(3) << 5) | X16, BR_X16]);
    // getdents64: adrp x16 ; add x16, x16, #lo12 ; br x16 — into the image past _etext (not code)
    const t3 = etext + 0x12340n;
    const pc = entry(61);
    const pages = Number(((t3 >> 12n) - (pc >> 12n)) & 0x1fffffn);
    words(pc, [0x90000000 | ((pages & 3) << 29) | (((pages >> 2) & 0x7ffff) << 5) | X16, 0x91000000 | (Number(t3 & 0xfffn) << 10) | (X16 << 5) | X16, BR_X16]);
    const hooked = (openEngine(ov) as LinuxEngine).extract('syscall').filter((r) => r.hooked);
    const hexa = (v: bigint) => `0x${v.toString(16)}`;
    const jumps = new Map([
      [entry(61), `__arm64_sys_getdents64 (entry jumps to ${hexa(t3)})`],
      [entry(129), `__arm64_sys_kill (entry jumps to ${hexa(t2)})`],
      [entry(221), `__arm64_sys_execve (entry jumps to ${hexa(mod + 0x40n)})`],
    ]);
    // every slot of either table (native, AArch32 compat) that reaches a patched handler, and no other
    const all = eng.extract('syscall');
    const want = all.filter((r) => jumps.has(r.handler)).map((r) => [r.table_name, r.index, r.handler, jumps.get(r.handler)]);
    expect(want.filter((w) => w[0] === 'arm64').map((w) => w[1])).toEqual([61, 129, 221]);
    expect(hooked.map((r) => [r.table_name, r.index, r.handler, r.symbol])).toEqual(want);
    ov.close();
  });

  test('without VMCOREINFO and with init_task\'s self pointers overwritten, discovery fails with one MemqError line', async () => {
    const ov = await withoutVmcoreinfo(KDUMP);
    const k = (eng as unknown as LinuxEngine).k;
    const v = (eng as unknown as LinuxEngine).ctx.v;
    const initTask = k.syms.get('init_task')!;
    ov.writeU64(k.space.translate(initTask + BigInt(v.off('task_struct', 'real_parent')))!, 0n);
    let err: unknown;
    try {
      openEngine(ov);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemqError);
    expect((err as Error).message).toMatch(/^ARM64 Linux without VMCOREINFO: init_task not found in RAM \(no task "swapper" with pid 0 whose parent and group leader are itself\)$/);
    ov.close();
  });

  test('a syscall slot pointed into a module is reported hooked (copy-on-write overlay)', async () => {
    const ov = new OverlayMemory(await openDumpFile(path.join(DIR, 'memory.kdump')));
    const base = eng as unknown as LinuxEngine;
    eng.extract('syscall'); // locates the table (source.sys_call_table)
    const table = BigInt((eng.info()['source.sys_call_table'] as string).split(':')[0]);
    const evil = eng.extract('kernel_module').find((m) => m.name === 'dummy')!.base + 0x40n;
    ov.writeU64(base.k.space.translate(table + 221n * 8n)!, evil); // execve
    const hooked = (openEngine(ov) as LinuxEngine).extract('syscall').filter((r) => r.hooked);
    expect(hooked.map((r) => [r.table_name, r.index, r.handler, r.module])).toEqual([['arm64', 221, evil, null]]);
    ov.close();
  });

});

/** the kdump with every VMCOREINFO copy in RAM wiped ("OSRELEASE=" → "XSRELEASE="), copy-on-write */
async function withoutVmcoreinfo(file: string): Promise<OverlayMemory> {
  const ov = new OverlayMemory(await openDumpFile(file));
  const mark = Buffer.from('OSRELEASE=');
  let wiped = 0;
  for (const [base, chunk] of scanRam(ov.inner)) {
    for (let i = chunk.indexOf(mark); i >= 0; i = chunk.indexOf(mark, i + 1)) {
      ov.write(base + i, Buffer.from('X'));
      wiped++;
    }
  }
  expect(wiped).toBeGreaterThan(0);
  return ov;
}

const KDUMP = path.join(DIR, 'memory.kdump');

describe.each([
  ['kdump', () => openDump(KDUMP)],
  ['kdump without VMCOREINFO', async () => openEngine(await withoutVmcoreinfo(KDUMP))],
] as [string, () => Promise<OsEngine>][])('Linux arm64 dev memory (%s): tables equal ground truth', (variant, open) => {
  let eng: OsEngine;
  const imageOrRam = variant === 'kdump' ? /found in the kernel image/ : /found in RAM at physical/;
  beforeAll(async () => {
    eng = await open();
  });
  afterAll(() => eng?.mem.close());

  test('arch and memory-layout facts equal the guest\'s (KASLR offset, VA_BITS, kimage_voffset, PHYS_OFFSET, swapper_pg_dir), each with its source', () => {
    const info = eng.info();
    expect([info.os, info.arch, info.kernel_version, info.banner]).toEqual(['linux', 'arm64', gt.kernel.release, gt.kernel.proc_version]);
    expect(BigInt(info.kaslr_shift as string)).toBe(BigInt(gt.kernel.kaslr.virt_offset));
    expect([info.va_bits, info.page_size]).toEqual([a64.va_bits, a64.page_size]);
    expect(BigInt(info.page_offset as string)).toBe(BigInt(a64.page_offset));
    expect(BigInt(info.phys_offset as string)).toBe(BigInt(a64.phys_offset));
    expect(BigInt(info.page_offset_base as string)).toBe(BigInt(gt.kernel.kaslr.page_offset_base));
    expect(BigInt(info.kimage_voffset as string)).toBe(BigInt(a64.kimage_voffset));
    expect(BigInt(info.dtb as string)).toBe(BigInt(a64.swapper_pg_dir_phys));
    expect(info.swapper_pg_dir).toBe(`${a64.swapper_pg_dir} (physical ${a64.swapper_pg_dir_phys})`);
    for (const k of ['arch', 'vmcoreinfo', 'symbols', 'va_bits', 'page_size', 'kimage_voffset', 'phys_offset', 'kaslr_shift', 'dtb', 'page_offset_base', 'init_task', 'linux_banner']) expect([k, typeof info[`source.${k}`]]).toEqual([k, 'string']);
    const derived = ['va_bits', 'kimage_voffset', 'phys_offset', 'kaslr_shift', 'dtb'].map((k) => info[`source.${k}`] as string);
    if (variant === 'kdump') {
      expect(derived.every((d) => d.includes('VMCOREINFO'))).toBe(true);
    } else {
      expect((eng as unknown as LinuxEngine).k.vmcoreinfo).toBeNull();
      expect(info['source.vmcoreinfo']).toMatch(/^not found in RAM/);
      expect(info['source.symbols']).toMatch(/found by scanning RAM/);
      expect(info['source.btf']).toMatch(/found by scanning RAM/);
      for (const d of derived) expect(d).not.toMatch(/VMCOREINFO (NUMBER|SYMBOL|KERNELOFFSET)/);
      expect(info['source.kimage_voffset']).toMatch(/init_task/);
      expect(info['source.dtb']).toMatch(/^swapper_pg_dir 0x[0-9a-f]+ = physical/);
      // data symbols the VMCOREINFO path takes from SYMBOL() are found where System.map puts them
      const map = gt.kernel.system_map as Record<string, string>;
      const at = (name: string) => `0x${(BigInt(map[name]) + BigInt(gt.kernel.kaslr.virt_offset)).toString(16)}`;
      expect((info['source.prb'] as string).split(':')[0]).toBe(at('prb'));
      expect((info['source.init_uts_ns'] as string).split(':')[0]).toBe(at('init_uts_ns'));
      expect(info['source.swapper_pg_dir'] ?? info.swapper_pg_dir).toContain(at('swapper_pg_dir'));
    }
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

  test('a table the arm64 path has not been checked for fails with one clear MemqError line', () => {
    let err: unknown;
    try {
      eng.extract('handle');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemqError);
    expect((err as Error).message).toBe('ARM64 Linux: handle tables not supported yet');
  });

  test('syscalls: sys_call_table and compat_sys_call_table found in the image where System.map puts them, 451 entries each, unhooked', () => {
    const rows = eng.extract('syscall');
    const map = gt.kernel.system_map as Record<string, string>;
    const shift = BigInt(gt.kernel.kaslr.virt_offset);
    const native = rows.filter((r) => r.table_name === 'arm64');
    expect(native.length).toBe(451);
    expect(rows.filter((r) => r.table_name === 'aarch32').length).toBe(451);
    expect(rows.filter((r) => r.hooked)).toEqual([]);
    expect(native.find((r) => r.index === 63)?.symbol).toBe('__arm64_sys_read');
    expect(native.find((r) => r.index === 221)?.symbol).toBe('__arm64_sys_execve');
    if (map.sys_call_table) expect(eng.info()['source.sys_call_table']).toMatch(new RegExp(`^0x${(BigInt(map.sys_call_table) + shift).toString(16)}: found in the kernel image`));
  });

  test('init_task and linux_banner (data symbols, absent from text-only kallsyms) are found in the kernel image where System.map puts them', () => {
    const k = (eng as unknown as { k: { syms: { get(n: string): bigint | undefined } } }).k;
    const map = gt.kernel.system_map as Record<string, string>;
    const shift = BigInt(gt.kernel.kaslr.virt_offset);
    expect(k.syms.get('init_task')).toBe(BigInt(map.init_task) + shift);
    expect(eng.info()['source.init_task']).toMatch(imageOrRam);
    expect(eng.info().banner).toBe(gt.kernel.proc_version);
  });

  test('every process matches ground truth with no System.map (profile-free)', () => {
    checkProcesses(eng);
  });

  test('wall-clock start times: tk_core found in the image where System.map puts it; the shell started before its first history entry', () => {
    const map = gt.kernel.system_map as Record<string, string>;
    const shift = BigInt(gt.kernel.kaslr.virt_offset);
    if (map.tk_core) expect((eng.info()['source.tk_core'] as string).split(':')[0]).toBe(`0x${(BigInt(map.tk_core) + shift).toString(16)}`);
    const h = gt.shell_history as { pid: number; entries: { timestamp: number }[] };
    const procs = eng.extract('process');
    const first = h.entries[0].timestamp * 1000;
    expect(procs.find((p) => p.process_id === h.pid)!.create_time!.getTime()).toBeLessThanOrEqual(first);
    const boot = new Date(eng.info().boot_time as string).getTime();
    expect(first - boot).toBeLessThan(Number(String(gt.kernel.uptime_at_capture).split(' ')[0]) * 1000);
    for (const p of procs) {
      expect(p.create_time!.getTime()).toBeGreaterThanOrEqual(boot - 1);
      expect(p.create_time!.getTime()).toBeLessThan(boot + 120_000);
    }
  });

  test('threads: one per task, as /proc said (every process is single-threaded here)', () => {
    const rows = eng.extract('thread');
    const want = (gt.processes as GtProcess[]).reduce((n, p) => n + p.num_threads, 0);
    expect(rows.length).toBe(want);
  });

  test('maps of every user process equal /proc/PID/maps (maple tree in the linear map, [vdso]/[vvar] named)', () => {
    const rows = eng.extract('vma');
    const procs = (gt.processes as (GtProcess & { maps?: { start: string; end: string; perms: string; offset: string; inode: number; path: string }[] })[]).filter((x) => x.maps);
    expect(procs.length).toBe(10);
    for (const p of procs) {
      const mine = rows.filter((r) => r.process_id === p.pid).map((r) => ({ start: r.start, end: r.end, perms: r.protection, offset: r.page_offset, inode: r.inode ?? 0, path: r.file_name ?? '' }));
      const want = p.maps!.map((m) => ({ start: BigInt(m.start), end: BigInt(m.end), perms: m.perms, offset: Number(m.offset), inode: m.inode, path: m.path }));
      expect([p.pid, mine]).toEqual([p.pid, want]);
    }
  });

  test('environment and open files of every user process equal /proc/PID/environ and fd', () => {
    const env = eng.extract('env_var');
    const files = eng.extract('open_file');
    for (const p of gt.processes.filter((x: { environ?: string[] }) => x.environ)) {
      expect([p.pid, env.filter((r) => r.process_id === p.pid).map((r) => `${r.name}=${r.value}`)]).toEqual([p.pid, p.environ]);
    }
    for (const p of gt.processes.filter((x: { fds?: unknown }) => x.fds)) {
      const drop = (o: Record<string, string>) => (p.pid === 1 ? Object.fromEntries(Object.entries(o).filter(([fd]) => !['0', '2', '3'].includes(fd))) : o);
      // pid 1 (the /init shell) changed fds 0, 2, 3 after the capture, as on x86-64
      const mine = Object.fromEntries(files.filter((r) => r.process_id === p.pid).map((r) => [String(r.fd), r.path]));
      expect([p.pid, drop(mine)]).toEqual([p.pid, drop(p.fds)]);
    }
    expect(env.find((r) => r.process_id === 108 && r.name === 'MARKER')?.value).toBe('memq-dev-7f3a');
  });

  test('TCP/UDP/UNIX sockets with owners equal /proc/net + /proc/PID/fd', () => {
    const rows = eng.extract('socket');
    const key = (x: unknown) => JSON.stringify(x);
    const want: string[] = [];
    for (const [kind, proto] of [['tcp', 'TCP'], ['tcp6', 'TCP'], ['udp', 'UDP'], ['udp6', 'UDP']] as const) {
      for (const s of gt.net[kind] ?? []) {
        for (const o of s.owners) want.push(key([o.pid, o.fd, proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, typeof s.state === 'number' ? s.state : TCP_STATE_NUM[s.state], s.inode]));
      }
    }
    const mine = rows.filter((r) => r.protocol !== 'UNIX').map((r) => key([r.process_id, r.fd, r.protocol, r.local_address, r.local_port, r.remote_address, r.remote_port, TCP_STATE_NUM[r.state], r.inode]));
    expect(mine.sort()).toEqual(want.sort());
    const unix = (gt.net.unix ?? []) as { inode: number; path: string; state: number; owners: { pid: number; fd: number }[] }[];
    const wantUnix = unix.flatMap((u) => u.owners.map((o) => key([o.pid, o.fd, u.path ?? '', u.inode, u.state])));
    const mineUnix = rows.filter((r) => r.protocol === 'UNIX').map((r) => key([r.process_id, r.fd, r.local_address, r.inode, r.state === 'CONNECTED' ? 3 : 1]));
    expect(mineUnix.sort()).toEqual(wantUnix.sort());
  });

  test('bash history from the shell heap and the kernel log equal what the guest wrote', () => {
    const h = gt.shell_history as { pid: number; entries: { timestamp: number; command: string }[] };
    const hist = eng.extract('shell_history');
    expect(hist.map((r) => [r.process_id, r.timestamp!.getTime() / 1000, r.command])).toEqual(h.entries.map((e) => [h.pid, e.timestamp, e.command]));
    const want = (gt.raw.dmesg as string).split('\n').filter((l) => l.length);
    const mine = eng.extract('kernel_log').flatMap((r) => {
      const prefix = `[${String(Math.floor(r.timestamp_ns / 1e9)).padStart(5)}.${String(Math.floor((r.timestamp_ns % 1e9) / 1e3)).padStart(6, '0')}] `;
      return r.message.split('\n').map((line) => prefix + line);
    });
    expect(mine.slice(0, want.length)).toEqual(want);
  });

  test('modules equal /proc/modules (name, base, size, state); the list head is found without a `modules` symbol', () => {
    const rows = eng.extract('kernel_module');
    const mine = rows.map((r) => ({ name: r.name, base: r.base, size: r.size, state: r.state, hidden: r.hidden })).sort((a, b) => a.name.localeCompare(b.name));
    const want = (gt.modules as { name: string; address: string; size: number; state: string }[])
      .map((m) => ({ name: m.name, base: BigInt(m.address), size: m.size, state: m.state.toLowerCase(), hidden: false }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(mine).toEqual(want);
    const map = gt.kernel.system_map as Record<string, string>;
    if (map.modules) expect(eng.info()['source.modules']).toContain(`list head 0x${(BigInt(map.modules) + BigInt(gt.kernel.kaslr.virt_offset)).toString(16)}`);
  });

  test('indicators: the miner pool URL and IP in pid 108 memory', () => {
    const rows = eng.extract('indicator').filter((r) => r.process_id === 108);
    expect(rows.map((r) => r.value)).toEqual(expect.arrayContaining(['stratum+tcp://10.9.8.7:3333', '10.9.8.7']));
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

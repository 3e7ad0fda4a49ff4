// Hostile-input tests of the Linux engine on the real 6.1 dump with targeted corruption applied
// through a copy-on-write overlay: cyclic task list, unlinked (hidden) module, hooked syscall,
// corrupted page tables, plus truncated / zero-filled / random files. Each must give a clear error or
// a partial result with warnings — never a crash or hang.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile } from '../../lib/image/open';
import { openDump, openEngine } from '../../lib/os/open';
import { LinuxEngine } from '../../lib/os/linux';
import { MemqError } from '../../lib/util/errors';
import { dumpPath } from '../support/dumps';
import { OverlayMemory } from '../support/overlay';
import { scanRam } from '../../lib/image/physical';
import { Btf } from '../../lib/symbols/btf';
import { isfFromBtf } from './gen/isf-from-btf';

jest.setTimeout(120_000);

async function overlayEngine(): Promise<{ eng: LinuxEngine; ov: OverlayMemory; base: LinuxEngine }> {
  const file = await dumpPath('6.1', 'memory.kdump');
  const base = (await openDump(file)) as LinuxEngine;
  const ov = new OverlayMemory(await openDumpFile(file));
  return { base, ov, eng: openEngine(ov) as LinuxEngine };
}

function pa(eng: LinuxEngine, va: bigint): number {
  const p = eng.k.space.translate(va);
  if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
  return p;
}

test('a cyclic task list is cut with a warning; processes past the cut come back through the PID IDR', async () => {
  const { base, ov } = await overlayEngine();
  const procs = base.extract('process');
  const v = base.ctx.v;
  const tasksOff = BigInt(v.off('task_struct', 'tasks'));
  const p101 = procs.find((p) => p.process_id === 101)!.object_address;
  const p1 = procs.find((p) => p.process_id === 1)!.object_address;
  // agetty.tasks.next → init.tasks: the walk loops 1 → … → 101 → 1 forever unless cut
  ov.writeU64(pa(base, p101 + tasksOff), p1 + tasksOff);
  const eng = openEngine(ov) as LinuxEngine;
  const rows = eng.extract('process');
  expect(rows.filter((r) => r.in_process_list).map((r) => r.process_id)).toEqual(procs.filter((p) => p.process_id <= 101).map((p) => p.process_id));
  // the rest are not lost: they have PIDs, so the IDR cross-view finds them (marked as off-list)
  expect(rows.filter((r) => !r.in_process_list).map((r) => r.process_id)).toEqual(procs.filter((p) => p.process_id > 101).map((p) => p.process_id));
  expect(eng.warnings.join('\n')).toMatch(/task list: .*cycle/);
});

test('a module unlinked from the module list is found by the memory scan and flagged hidden', async () => {
  const { base, ov } = await overlayEngine();
  const mods = base.extract('kernel_module');
  const v = base.ctx.v;
  const listOff = BigInt(v.off('module', 'list'));
  const veth = mods.find((m) => m.name === 'veth')!.object_address!;
  const next = v.ptr(veth + listOff);
  const prev = v.ptr(veth + listOff + 8n);
  // list_del without poisoning: prev->next = next, next->prev = prev (what rootkits do)
  ov.writeU64(pa(base, prev), next);
  ov.writeU64(pa(base, next + 8n), prev);
  const eng = openEngine(ov) as LinuxEngine;
  const rows = eng.extract('kernel_module');
  const hidden = rows.filter((r) => r.hidden);
  expect(hidden.map((r) => [r.name, r.base, r.size, r.in_module_list])).toEqual([['veth', mods.find((m) => m.name === 'veth')!.base, 36864, false]]);
  expect(rows.filter((r) => !r.hidden).map((r) => r.name).sort()).toEqual(['can', 'can_raw', 'dummy', 'tcp_bbr']);
});

test('on the unmodified dump no module is reported hidden', async () => {
  const { base } = await overlayEngine();
  expect(base.extract('kernel_module').filter((m) => m.hidden)).toEqual([]);
});

test('a syscall table entry pointing into a module is flagged hooked', async () => {
  const { base, ov } = await overlayEngine();
  const table = base.k.syms.require('sys_call_table');
  const evil = base.extract('kernel_module').find((m) => m.name === 'dummy')!.base + 0x40n;
  ov.writeU64(pa(base, table + 59n * 8n), evil); // execve
  const eng = openEngine(ov) as LinuxEngine;
  const hooked = eng.extract('syscall').filter((r) => r.hooked);
  expect(hooked.map((r) => [r.table_name, r.index, r.handler, r.module])).toEqual([['x64', 59, evil, null]]);
});

test("a corrupted process page table costs that process's memory, not the analysis", async () => {
  const { base, ov } = await overlayEngine();
  const t = base.ctx.tasks().find((x) => x.pid === 108)!;
  const pgd = base.ctx.v.p(t.mm, 'mm_struct', 'pgd');
  const pgdPhys = Number((pgd - base.k.pageOffsetBase) & 0xfffffffffffffn);
  ov.write(pgdPhys, Buffer.alloc(2048, 0xff)); // user half of the PML4: garbage entries
  const eng = openEngine(ov) as LinuxEngine;
  const procs = eng.extract('process');
  expect(procs.length).toBe(base.extract('process').length);
  const miner = procs.find((p) => p.process_id === 108)!;
  expect(miner.name).toBe('evil-miner');
  expect(miner.argv).not.toEqual(base.extract('process').find((p) => p.process_id === 108)!.argv);
  expect(eng.extract('env_var', { pid: 108 })).toEqual([]);
  expect(eng.warnings.some((w) => /108/.test(w))).toBe(true);
});

test('destroyed kernel page tables: recovered from a CR3 hint when the format has one, else a clear error', async () => {
  const { base, ov } = await overlayEngine();
  ov.write(base.k.dtb, Buffer.alloc(4096, 0));
  // the kdump carries QEMU's saved CR3: any process's page tables also map the kernel
  const eng = openEngine(ov) as LinuxEngine;
  expect(eng.k.sources.dtb).toBe('CR3 from the dump header');
  expect(eng.warnings.join()).toMatch(/did not map _stext/);
  expect(eng.extract('process').length).toBe(base.extract('process').length);
  // a raw image has no CR3 hint: the error must say what is wrong
  const raw = new OverlayMemory(await openDumpFile(await dumpPath('6.1', 'memory.raw.gz')));
  raw.write(base.k.dtb, Buffer.alloc(4096, 0));
  expect(() => openEngine(raw)).toThrow(MemqError);
  expect(() => openEngine(raw)).toThrow(/page tables at 0x2a10000 do not map _stext/);
});

describe('files that are not dumps', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hostile-'));
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['tiny', Buffer.from('hello')],
    ['zeros-4MiB', Buffer.alloc(4 << 20)],
    ['random-4MiB', Buffer.from(Array.from({ length: 4 << 20 }, (_, i) => (i * 2654435761) >>> 24))],
  ];
  test.each(cases)('%s → MemqError, no crash', async (name, data) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, data);
    await expect(openDump(f)).rejects.toBeInstanceOf(MemqError);
  });
  test('a truncated real dump → clear error or partial result, never a crash', async () => {
    const src = await dumpPath('6.1', 'memory.raw.gz');
    const f = path.join(dir, 'truncated.raw');
    const fd = fs.openSync(src, 'r');
    const buf = Buffer.alloc(96 << 20);
    fs.readSync(fd, buf, 0, buf.length, 0);
    fs.closeSync(fd);
    fs.writeFileSync(f, buf);
    try {
      const eng = await openDump(f);
      const rows = eng.extract('process');
      expect(Array.isArray(rows)).toBe(true);
      eng.mem.close();
    } catch (e) {
      expect(e).toBeInstanceOf(MemqError);
    }
  });
});

describe.each(['6.1', '6.12'] as const)('Linux %s without VMCOREINFO', (kernel) => {
  test('kallsyms, BTF, phys_base and page tables are found by scanning; tables identical', async () => {
    const file = await dumpPath(kernel, 'memory.kdump');
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    // wipe the note and its copies: every "OSRELEASE=<digit>" in RAM becomes "XSRELEASE=…"
    let wiped = 0;
    for (const [pa, chunk] of scanRam(ov.inner)) {
      for (let i = chunk.indexOf('OSRELEASE='); i >= 0; i = chunk.indexOf('OSRELEASE=', i + 1)) {
        ov.write(pa + i, Buffer.from('X'));
        wiped++;
      }
    }
    expect(wiped).toBeGreaterThan(0);
    const eng = openEngine(ov) as LinuxEngine;
    expect(eng.k.vmcoreinfo).toBeNull();
    expect(eng.k.sources.symbols).toMatch(/found by scanning RAM/);
    expect(eng.k.physBase).toBe(base.k.physBase);
    expect(eng.k.dtb).toBe(base.k.dtb);
    expect(eng.k.release).toBe(base.k.release);
    expect(eng.k.syms.size).toBe(base.k.syms.size);
    for (const t of ['process', 'vma', 'socket', 'kernel_module'] as const) {
      expect(JSON.stringify(eng.extract(t), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))).toBe(
        JSON.stringify(base.extract(t), (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)),
      );
    }
  });
});

describe('Linux kernel without BTF', () => {
  test('fails with a message asking for ISF; with a Volatility ISF the tables are identical', async () => {
    const file = await dumpPath('6.1', 'memory.kdump');
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    // hide every copy of the BTF blob (magic 9F EB 01 00, hdr_len 24)
    const magic = Buffer.from([0x9f, 0xeb, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00]);
    let hidden = 0;
    for (const [pa, chunk] of scanRam(ov.inner)) {
      for (let i = chunk.indexOf(magic); i >= 0; i = chunk.indexOf(magic, i + 1)) {
        ov.write(pa + i, Buffer.from([0]));
        hidden++;
      }
    }
    expect(hidden).toBeGreaterThan(0);
    expect(() => openEngine(ov)).toThrow(/BTF.*--isf/);
    const isfFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memq-isf-')), 'linux-6.1.json');
    fs.writeFileSync(isfFile, JSON.stringify(isfFromBtf(base.k.types as Btf)));
    const eng = openEngine(ov, { isf: [isfFile] }) as LinuxEngine;
    expect(eng.k.sources.layouts).toMatch(/^ISF linux-6.1.json/);
    for (const t of ['process', 'thread', 'vma', 'open_file', 'env_var', 'socket', 'kernel_module', 'kernel_log', 'mount'] as const) {
      expect([t, canon(eng.extract(t))]).toEqual([t, canon(base.extract(t))]);
    }
  });
});

function canon(rows: unknown[]): string {
  return JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));
}

describe('syscall hooks the table does not show (6.12: x64_sys_call switch, inline hooks)', () => {
  async function setup() {
    const file = await dumpPath('6.12', 'memory.elf.gz');
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const evil = base.extract('kernel_module').find((m) => m.name === 'dummy')!.base + 0x80n;
    return { base, ov, evil };
  }
  /** Finds a `jmp/call rel32` to `target` inside [start, start+len) by plain byte search. */
  function findRel32(base: LinuxEngine, start: bigint, len: number, target: bigint): bigint {
    const code = base.k.space.read(start, len)!;
    for (let i = 0; i + 5 <= code.length; i++) {
      if (code[i] !== 0xe9 && code[i] !== 0xe8) continue;
      const rel = BigInt(code.readInt32LE(i + 1));
      if (start + BigInt(i) + 5n + rel === target) return start + BigInt(i);
    }
    throw new Error('branch not found');
  }

  test('the unmodified 6.12 switch maps numbers to the same handlers as sys_call_table', async () => {
    const { base } = await setup();
    const rows = base.extract('syscall');
    const sw = rows.filter((r) => r.table_name === 'x64_sys_call');
    expect(sw.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.hooked)).toEqual([]);
    const table = new Map(rows.filter((r) => r.table_name === 'x64').map((r) => [r.index, r.handler]));
    for (const r of sw) expect([r.index, r.handler]).toEqual([r.index, table.get(r.index)]);
  });

  test('a branch in x64_sys_call redirected into a module is flagged; the table itself is untouched', async () => {
    const { base, ov, evil } = await setup();
    const start = base.k.syms.require('x64_sys_call');
    const kill = base.k.syms.require('__x64_sys_kill');
    const at = findRel32(base, start, 0x2000, kill);
    const rel = Buffer.alloc(4);
    rel.writeInt32LE(Number(evil - (at + 5n)));
    ov.write(pa(base, at + 1n), rel);
    const eng = openEngine(ov) as LinuxEngine;
    const hooked = eng.extract('syscall').filter((r) => r.hooked);
    expect(hooked.length).toBeGreaterThan(0);
    expect(hooked.every((r) => r.table_name === 'x64_sys_call' && r.handler === evil)).toBe(true);
  });

  test('an inline jmp at a handler entry is flagged on that table entry', async () => {
    const { base, ov, evil } = await setup();
    const kill = base.k.syms.require('__x64_sys_kill');
    const jmp = Buffer.alloc(5);
    jmp[0] = 0xe9;
    jmp.writeInt32LE(Number(evil - (kill + 5n)), 1);
    ov.write(pa(base, kill), jmp);
    const eng = openEngine(ov) as LinuxEngine;
    const hooked = eng.extract('syscall').filter((r) => r.hooked);
    expect(hooked.map((r) => [r.table_name, r.index])).toEqual([['x64', 62]]);
    expect(hooked[0].symbol).toMatch(/__x64_sys_kill \(entry jumps to 0x/);
  });
});

test('a process unlinked from the task list (DKOM) is still found through the PID IDR and flagged hidden', async () => {
  const { base, ov } = await overlayEngine();
  const v = base.ctx.v;
  const tasksOff = BigInt(v.off('task_struct', 'tasks'));
  const miner = base.ctx.tasks().find((t) => t.pid === 108)!;
  const node = miner.addr + tasksOff;
  const next = v.ptr(node);
  const prev = v.ptr(node + 8n);
  ov.writeU64(pa(base, prev), next); // prev->next = next
  ov.writeU64(pa(base, next + 8n), prev); // next->prev = prev
  const eng = openEngine(ov) as LinuxEngine;
  const procs = eng.extract('process');
  expect(procs.length).toBe(base.extract('process').length);
  const hidden = procs.filter((p) => !p.in_process_list);
  expect(hidden.map((p) => [p.process_id, p.name, p.argv])).toEqual([[108, 'evil-miner', ['/tmp/.hidden/evil-miner', '--pool', 'stratum+tcp://10.9.8.7:3333']]]);
  expect(eng.warnings.join('\n')).toMatch(/pid 108 \(evil-miner\) .* hidden/);
  // nothing is hidden on the unmodified dump
  expect(base.extract('process').filter((p) => !p.in_process_list)).toEqual([]);
});

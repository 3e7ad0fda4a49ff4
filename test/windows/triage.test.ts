// Real Windows triage dumps (../shared/images/windows-triage) against their independently read
// expected JSON: header, triage header, context, KDBG, the System process and thread, all drivers,
// and the identified kernel build (one ISF of the nine). ARM64: header, KDBG and driver list only.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IMAGES } from '../support/dumps';
import { openDumpFile } from '../../lib/image/open';
import { openDump } from '../../lib/os/open';
import { WindowsTriageDump } from '../../lib/image/formats/windows-crashdump';
import { parseContextX64 } from '../../lib/image/formats/windows/dump-header';
import { builtInLayouts } from '../../lib/symbols/windows/database';
import type { WindowsEngine } from '../../lib/os/windows/engine';
import { hex } from '../../lib/util/hex';

const DIR = path.join(IMAGES, 'windows-triage');

const load = (f: string) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));


describe('triage_x64.dmp (Windows 10 19041.804 x64)', () => {
  const exp = load('triage_x64.expected.json');
  let mem: WindowsTriageDump;
  let eng: WindowsEngine;
  beforeAll(async () => {
    mem = (await openDumpFile(path.join(DIR, 'triage_x64.dmp'))) as WindowsTriageDump;
    eng = (await openDump(path.join(DIR, 'triage_x64.dmp'))) as WindowsEngine;
  });
  afterAll(() => {
    mem?.close();
    eng?.mem.close();
  });

  test('format is detected as a triage crash dump', () => {
    expect(mem).toBeInstanceOf(WindowsTriageDump);
    expect(mem.format).toBe('windows-triage');
    expect(mem.source.size).toBe(exp.size);
  });

  test('DUMP_HEADER64 fields', () => {
    const h = mem.header;
    const e = exp.dump_header64;
    expect(h.majorVersion).toBe(e.MajorVersion);
    expect(h.minorVersion).toBe(e.MinorVersion);
    expect(hex(h.directoryTableBase)).toBe(e.DirectoryTableBase);
    expect(hex(h.pfnDataBase)).toBe(e.PfnDataBase);
    expect(hex(h.psLoadedModuleList)).toBe(e.PsLoadedModuleList);
    expect(hex(h.psActiveProcessHead)).toBe(e.PsActiveProcessHead);
    expect(hex(h.machineImageType)).toBe(e.MachineImageType);
    expect(h.numberProcessors).toBe(e.NumberProcessors);
    expect(hex(h.bugCheckCode)).toBe(e.BugCheckCode);
    expect(h.bugCheckParameters.map(hex)).toEqual(e.BugCheckParameters);
    expect(hex(h.kdDebuggerDataBlock)).toBe(e.KdDebuggerDataBlock);
    expect(h.dumpType).toBe(e.DumpType);
    expect(hex(h.requiredDumpSpace)).toBe(e.RequiredDumpSpace);
    expect(hex(h.systemTime)).toBe(e.SystemTime);
    expect(h.productType).toBe(e.ProductType);
    expect(hex(h.suiteMask)).toBe(e.SuiteMask);
  });

  test('TRIAGE_DUMP64 fields', () => {
    const t = mem.triage as unknown as Record<string, number | bigint>;
    for (const [k, v] of Object.entries(exp.triage_dump64 as Record<string, string>)) {
      const key = k[0].toLowerCase() + k.slice(1);
      expect([k, hex(t[key])]).toEqual([k, v]);
    }
  });

  test('context record registers', () => {
    const regs = parseContextX64(mem.header.context);
    for (const [k, v] of Object.entries(exp.context as Record<string, string>)) expect([k, hex(regs[k])]).toEqual([k, v]);
  });

  test('KDDEBUGGER_DATA64', () => {
    const e = exp.kdbg;
    const k = mem.kdbg!;
    expect(hex(mem.triage.debuggerDataOffset)).toBe(e.file_offset);
    expect(k.ownerTag).toBe(e.OwnerTag);
    expect(hex(k.size)).toBe(e.Size);
    expect(hex(k.kernBase)).toBe(e.KernBase);
    expect(hex(k.psLoadedModuleList)).toBe(e.PsLoadedModuleList);
    expect(hex(k.psActiveProcessHead)).toBe(e.PsActiveProcessHead);
    expect(hex(k.mmPfnDatabase)).toBe(e.MmPfnDatabase);
    expect(hex(k.kiProcessorBlock)).toBe(e.KiProcessorBlock);
    expect(hex(k.sizeEProcess)).toBe(e.SizeEProcess);
    expect(hex(k.offsetEprocessPeb)).toBe(e.OffsetEprocessPeb);
    expect(hex(k.offsetEprocessParentCID)).toBe(e.OffsetEprocessParentCID);
    expect(hex(k.offsetEprocessDirectoryTableBase)).toBe(e.OffsetEprocessDirectoryTableBase);
    expect(hex(k.sizeEThread)).toBe(e.SizeEThread);
  });

  test('identified build: the right ISF of the nine, by RVAs (no GUID in a triage dump)', () => {
    const e = exp.identified_build;
    expect(builtInLayouts()).toHaveLength(9);
    const L = eng.k.layout!.build;
    expect(L.guid).toBe(e.guid);
    expect(L.age).toBe(e.age);
    expect(L.pdb).toBe(e.pdb);
    expect(L.label).toBe(e.ntoskrnl);
    const info = eng.info();
    expect(info['windows.build']).toBe(e.ntoskrnl);
    expect(String(info['windows.build_identified_by'])).toMatch(/RVAs relative to KernBase 0xfffff8047ba00000/);
    expect(String(info['windows.build_identified_by'])).toContain('PsActiveProcessHead 0xc1e200');
    expect(String(info['windows.build_identified_by'])).toContain(e.guid);
    expect(info['windows.heuristic_layout']).toBe(false);
  });

  test('System process (EPROCESS copy) fields through the matched layout', () => {
    const e = exp.process;
    const L = eng.k.layout!;
    const b = mem.processBlob!;
    expect(hex(mem.triage.processOffset)).toBe(e.file_offset);
    const pcb = L.off('_EPROCESS', 'Pcb');
    expect(hex(b.readBigUInt64LE(pcb + L.off('_KPROCESS', 'DirectoryTableBase')))).toBe(e['Pcb.DirectoryTableBase']);
    const links = L.off('_EPROCESS', 'ActiveProcessLinks');
    expect(hex(b.readBigUInt64LE(links))).toBe(e['ActiveProcessLinks.Flink']);
    expect(hex(b.readBigUInt64LE(links + 8))).toBe(e['ActiveProcessLinks.Blink']);
    expect(hex(b.readBigUInt64LE(L.off('_EPROCESS', 'ObjectTable')))).toBe(e.ObjectTable);
    expect(hex(b.readBigUInt64LE(L.off('_EPROCESS', 'VadRoot')))).toBe(e.VadRoot);
    expect(hex(b.readBigUInt64LE(L.off('_EPROCESS', 'CreateTime')))).toBe(e.CreateTime);
    expect(hex(b.readBigUInt64LE(L.off('_EPROCESS', 'Peb')))).toBe(e.Peb);

    const rows = eng.extract('process');
    expect(rows).toHaveLength(1);
    const p = rows[0];
    expect(p.process_id).toBe(e.UniqueProcessId);
    expect(p.parent_process_id).toBe(e.InheritedFromUniqueProcessId);
    expect(p.name).toBe(e.ImageFileName);
    expect(p.is_kernel_thread).toBe(true);
    expect(p.in_process_list).toBe(true);
    // FILETIME → Date
    const ft = BigInt(e.CreateTime);
    expect(p.create_time!.getTime()).toBe(Number(ft / 10000n) - 11644473600000);
    // the EPROCESS VA is the thread's Tcb.Process
    expect(hex(p.object_address)).toBe(exp.thread['Tcb.Process']);
  });

  test('current thread (ETHREAD copy)', () => {
    const e = exp.thread;
    expect(hex(mem.triage.threadOffset)).toBe(e.file_offset);
    const L = eng.k.layout!;
    const b = mem.threadBlob!;
    expect(hex(b.readBigUInt64LE(L.off('_ETHREAD', 'Tcb') + L.off('_KTHREAD', 'Teb')))).toBe(e['Tcb.Teb']);
    expect(hex(b.readBigUInt64LE(L.off('_ETHREAD', 'StartAddress')))).toBe(e.StartAddress);
    const rows = eng.extract('thread');
    expect(rows).toHaveLength(1);
    expect(rows[0].process_id).toBe(e['Cid.UniqueProcess']);
    expect(rows[0].thread_id).toBe(e['Cid.UniqueThread']);
    expect(hex(rows[0].start_address!)).toBe(e.Win32StartAddress);
  });

  test('all 151 drivers: name, base, size', () => {
    expect(mem.drivers).toHaveLength(exp.drivers.length);
    const rows = eng.extract('kernel_module');
    expect(rows.map((r) => ({ name: r.path, DllBase: hex(r.base), SizeOfImage: hex(r.size) }))).toEqual(exp.drivers);
    expect(rows[0].name).toBe('ntoskrnl.exe');
  });

  test('VA-keyed data blocks', () => {
    const s = exp.data_blocks_summary;
    expect(mem.info['windows.triage_data_blocks']).toBe(s.count);
    for (const [va, off, size] of s.first as string[][]) {
      const got = mem.virtual.read(BigInt(va), Number(size));
      const want = Buffer.alloc(Number(size));
      mem.source.readInto(Number(off), want, 0, want.length);
      expect(got).toEqual(want);
    }
  });
});

describe('triage_arm64.dmp (Windows 11 22000 ARM64)', () => {
  const exp = load('triage_arm64.expected.json');
  let mem: WindowsTriageDump;
  let eng: WindowsEngine;
  beforeAll(async () => {
    mem = (await openDumpFile(path.join(DIR, 'triage_arm64.dmp'))) as WindowsTriageDump;
    eng = (await openDump(path.join(DIR, 'triage_arm64.dmp'))) as WindowsEngine;
  });
  afterAll(() => {
    mem?.close();
    eng?.mem.close();
  });

  test('header, triage header and KDBG', () => {
    const h = mem.header;
    const e = exp.dump_header64;
    expect(h.majorVersion).toBe(e.MajorVersion);
    expect(h.minorVersion).toBe(e.MinorVersion);
    expect(hex(h.directoryTableBase)).toBe(e.DirectoryTableBase);
    expect(hex(h.pfnDataBase)).toBe(e.PfnDataBase);
    expect(hex(h.psLoadedModuleList)).toBe(e.PsLoadedModuleList);
    expect(hex(h.psActiveProcessHead)).toBe(e.PsActiveProcessHead);
    expect(hex(h.machineImageType)).toBe(e.MachineImageType);
    expect(h.numberProcessors).toBe(e.NumberProcessors);
    expect(hex(h.bugCheckCode)).toBe(e.BugCheckCode);
    expect(h.bugCheckParameters.map(hex)).toEqual(e.BugCheckParameters);
    expect(hex(h.kdDebuggerDataBlock)).toBe(e.KdDebuggerDataBlock);
    expect(h.dumpType).toBe(e.DumpType);
    const t = mem.triage as unknown as Record<string, number | bigint>;
    for (const [k, v] of Object.entries(exp.triage_dump64 as Record<string, string>)) {
      expect([k, hex(t[k[0].toLowerCase() + k.slice(1)])]).toEqual([k, v]);
    }
    const k = mem.kdbg!;
    expect(k.ownerTag).toBe(exp.kdbg.OwnerTag);
    expect(hex(k.kernBase)).toBe(exp.kdbg.KernBase);
    expect(hex(k.psLoadedModuleList)).toBe(exp.kdbg.PsLoadedModuleList);
    expect(hex(k.psActiveProcessHead)).toBe(exp.kdbg.PsActiveProcessHead);
    expect(hex(k.sizeEProcess)).toBe(exp.kdbg.SizeEProcess);
    expect(hex(k.offsetEprocessPeb)).toBe(exp.kdbg.OffsetEprocessPeb);
    expect(hex(k.offsetEprocessParentCID)).toBe(exp.kdbg.OffsetEprocessParentCID);
    expect(hex(k.offsetEprocessDirectoryTableBase)).toBe(exp.kdbg.OffsetEprocessDirectoryTableBase);
  });

  test('driver list', () => {
    const rows = eng.extract('kernel_module');
    expect(rows).toHaveLength(exp.drivers_count);
    expect(rows.slice(0, exp.drivers_first.length).map((r) => ({ name: r.path, DllBase: hex(r.base), SizeOfImage: hex(r.size) }))).toEqual(
      exp.drivers_first,
    );
  });

  test('no ARM64 layouts: says so, offers no process tables', () => {
    const info = eng.info();
    expect(info.arch).toBe('arm64');
    expect(info['windows.build']).toBe('unidentified');
    expect(String(info['windows.build_identified_by'])).toMatch(/ARM64.*x64 ntkrnlmp layouts only/);
    expect(eng.tables).toEqual(['kernel_module']);
    expect(eng.extract('process')).toEqual([]);
  });
});

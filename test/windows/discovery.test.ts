// Kernel discovery fallbacks on generated dumps: raw images without a low stub (self-referencing PML4
// scan + PE scan), builds missing from the layout database (RVA match, then the heuristic), and the
// Win8+ KDBG encoding (decode is the inverse of the documented KdCopyDataBlock transform).
import { generateWindowsDump, type Truth } from './gen';
import { openDumpFile } from '../../lib/image/open';
import type { PhysicalMemory } from '../../lib/image/physical';
import { WindowsEngine } from '../../lib/os/windows/engine';
import { builtInLayouts } from '../../lib/symbols/windows/database';
import * as path from 'node:path';
import { IMAGES } from '../support/dumps';
import { decodeKdbg, parseKdbg } from '../../lib/image/formats/windows/kdbg';
import { openEngine } from '../../lib/os/open';

function processKeys(eng: WindowsEngine): string[] {
  return eng.extract('process').map((r) => `${r.process_id}:${r.name}:${r.in_process_list}`).sort();
}
function truthKeys(t: Truth): string[] {
  return t.processes.map((p) => `${p.pid}:${p.name.slice(0, 14)}:${p.inActiveList}`).sort();
}

test('raw image without a low stub: self-referencing PML4 scan, then the ntoskrnl PE scan', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'raw', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const stub = Number(BigInt(g.truth.physical.lowStubPa));
  // hide the low stub page: reads of it return zeros
  const masked: PhysicalMemory = {
    format: mem.format,
    source: mem.source,
    ranges: mem.ranges,
    info: mem.info,
    close: () => mem.close(),
    readPhys(p, target, off, len) {
      if (!mem.readPhys(p, target, off, len)) return false;
      const lo = Math.max(p, stub);
      const hi = Math.min(p + len, stub + 4096);
      if (lo < hi) target.fill(0, off + (lo - p), off + (hi - p));
      return true;
    },
  };
  const eng = openEngine(masked) as WindowsEngine;
  const info = eng.info();
  expect(info['windows.dtb_source']).toMatch(/self-referencing PML4/);
  expect(info['windows.kernel_base']).toBe('0x' + BigInt(g.truth.kernel.kernBase).toString(16));
  expect(info['windows.kernel_base_source']).toMatch(/PE scan/);
  expect(eng.k.layout!.build.guid).toBe(g.truth.build.pdb.guid);
  expect(processKeys(eng)).toEqual(truthKeys(g.truth));
  mem.close();
}, 120000);

test('build missing from the database: heuristic layout of the nearest build that reads System, said so', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const without = builtInLayouts().filter((l) => l.guid !== g.truth.build.pdb.guid);
  const eng = new WindowsEngine(mem, {}, without);
  const info = eng.info();
  expect(info['windows.heuristic_layout']).toBe(true);
  expect(String(info['windows.build_identified_by'])).toMatch(/^heuristic — no build matched by PDB GUID or global RVAs/);
  expect(eng.warnings.join('\n')).toMatch(/not in the layout database/);
  expect(eng.k.layout!.build.label).toBe('10.0.19041.1415'); // same EPROCESS layout, different globals
  expect(processKeys(eng)).toEqual(truthKeys(g.truth));
  mem.close();
}, 120000);

test('no layout validates: EPROCESS offsets derived from the System process, said so', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const win7 = builtInLayouts().filter((l) => l.label.startsWith('6.1.'));
  const eng = new WindowsEngine(mem, {}, win7);
  const info = eng.info();
  expect(info['windows.heuristic_layout']).toBe(true);
  expect(String(info['windows.build_identified_by'])).toMatch(/^heuristic — no layout matched or validated; EPROCESS offsets derived from the System process \(UniqueProcessId 0x440, ActiveProcessLinks 0x448, ImageFileName 0x5a8;/);
  // names, pids, parents and PEB strings of the listed processes are right
  const rows = eng.extract('process').filter((r) => r.in_process_list);
  const want = g.truth.processes.filter((p) => p.inActiveList);
  expect(rows.map((r) => [r.process_id, r.parent_process_id, r.name, r.command_line])).toEqual(
    want.map((p) => [p.pid, p.ppid, p.name.slice(0, 14), p.userMemoryPresent ? (p.commandLine ?? '') : '']),
  );
  // no global RVAs from another build are trusted
  expect(eng.extract('syscall')).toEqual([]);
  mem.close();
}, 120000);

test('nothing to derive from: no process tables, and a clear reason', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'raw', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const eng = new WindowsEngine(mem, {}, builtInLayouts().filter((l) => l.label.startsWith('6.1.')));
  expect(eng.info()['windows.build']).toBe('unidentified');
  expect(String(eng.info()['windows.build_identified_by'])).toMatch(/^none: no layout matched by PDB GUID or RVAs and no heuristic layout validated/);
  expect(eng.tables).toEqual(['kernel_module']);
  expect(eng.extract('process')).toEqual([]);
  expect(eng.processCount()).toBe(0);
  mem.close();
}, 120000);

test('KDBG: decoding inverts the Win8+ encoding', () => {
  const M = (1n << 64n) - 1n;
  const plain = Buffer.alloc(0x340);
  plain.write('KDBG', 0x10, 'latin1');
  plain.writeUInt32LE(0x340, 0x14);
  plain.writeBigUInt64LE(0xfffff80412340000n, 0x18);
  plain.writeBigUInt64LE(0xfffff80412f1e200n, 0x50);
  plain.writeUInt16LE(0xa40, 0x2a8);
  const never = 0x1d2c3b4a59687716n;
  const always = 0x8899aabbccddeeffn;
  const at = 0xfffff80412f00b20n;
  const bswap = (v: bigint) => {
    let r = 0n;
    for (let i = 0; i < 8; i++) r = (r << 8n) | ((v >> BigInt(i * 8)) & 0xffn);
    return r;
  };
  const ror = (v: bigint, n: bigint) => ((v >> n) | (v << (64n - n))) & M;
  const enc = Buffer.alloc(plain.length);
  for (let i = 0; i < plain.length; i += 8) {
    // documented transform: q' = rol(q ^ never, never & 0xff) ^ addr, byteswapped, ^ always — inverted here
    const x = bswap(plain.readBigUInt64LE(i) ^ always) ^ at;
    enc.writeBigUInt64LE(ror(x, never & 0x3fn) ^ never, i);
  }
  const dec = decodeKdbg(enc, at, never, always);
  expect(dec.equals(plain)).toBe(true);
  expect(parseKdbg(dec)?.kernBase).toBe(0xfffff80412340000n);
  expect(parseKdbg(enc)).toBeNull();
});

test('a user ISF file (--isf) supplies a build the database lacks, matched by PDB GUID', async () => {
  const g = await generateWindowsDump({ build: '22000', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const guid = g.truth.build.pdb.guid;
  const without = builtInLayouts().filter((l) => l.guid !== guid);
  const isf = path.join(IMAGES, 'windows-triage', 'isf', `${guid}-1.json.xz`);
  const eng = new WindowsEngine(mem, { isf: [isf] }, without);
  expect(eng.info()['windows.heuristic_layout']).toBe(false);
  expect(String(eng.info()['windows.build_identified_by'])).toContain(`PDB GUID ${guid}`);
  expect(eng.k.layout!.build.source).toBe(`${guid}-1.json.xz`);
  expect(processKeys(eng)).toEqual(truthKeys(g.truth));
  mem.close();
}, 120000);

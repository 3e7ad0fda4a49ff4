// The engine on corrupted kernel memory: a generated dump seen through an overlay that makes the
// process list cyclic, or sprays random bytes over kernel pool pages, must still finish every table
// quickly — bounded walks, skipped objects, warnings — and never throw anything but MemqError.
import { generateWindowsDump } from './gen';
import { openDumpFile } from '../../lib/image/open';
import type { PhysicalMemory } from '../../lib/image/physical';
import { X86_64Space } from '../../lib/arch/x86_64';
import { WindowsEngine } from '../../lib/os/windows/engine';
import { MemqError } from '../../lib/util/errors';
import { tableNames } from '../../lib/model';

function overlay(mem: PhysicalMemory, patch: (pa: number, target: Uint8Array, off: number, len: number) => void): PhysicalMemory {
  return {
    format: mem.format,
    source: mem.source,
    ranges: mem.ranges,
    info: mem.info,
    hints: mem.hints,
    close: () => mem.close(),
    readPhys(p, target, off, len) {
      if (!mem.readPhys(p, target, off, len)) return false;
      patch(p, target, off, len);
      return true;
    },
  };
}

function extractAll(eng: WindowsEngine): void {
  for (const t of tableNames) {
    try {
      eng.extract(t);
    } catch (e) {
      if (!(e instanceof MemqError)) throw e;
    }
  }
}

test('cyclic process list: the walk stops, every process still listed once', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const space = new X86_64Space(mem, Number(BigInt(g.truth.kernel.dtb)));
  const listed = g.truth.processes.filter((p) => p.inActiveList);
  // make the 6th process's Flink point back to the 3rd process's links
  const links = 0x448; // _EPROCESS.ActiveProcessLinks on 19041 (ISF 5278AFF8…)
  const from = space.translate(BigInt(listed[5].eprocess) + BigInt(links))!;
  const to = BigInt(listed[2].eprocess) + BigInt(links);
  const val = Buffer.alloc(8);
  val.writeBigUInt64LE(to);
  const eng = new WindowsEngine(
    overlay(mem, (p, target, off, len) => {
      const lo = Math.max(p, from);
      const hi = Math.min(p + len, from + 8);
      if (lo < hi) target.set(val.subarray(lo - from, hi - from), off + (lo - p));
    }),
  );
  const rows = eng.extract('process');
  const pids = rows.map((r) => r.process_id);
  expect(new Set(pids).size).toBe(pids.length);
  // the first six are reached through the list; the rest are still found by the pool scan
  for (const p of listed.slice(0, 6)) expect(pids).toContain(p.pid);
  for (const p of g.truth.processes) expect(pids).toContain(p.pid);
  mem.close();
}, 120000);

test('random bytes sprayed over kernel pool pages: every table completes', async () => {
  const g = await generateWindowsDump({ build: '22000', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const space = new X86_64Space(mem, Number(BigInt(g.truth.kernel.dtb)));
  const pool = BigInt(g.truth.kernel.nonPagedPool);
  const victims = new Set<number>();
  for (let i = 0; i < 256; i++) {
    const pa = space.translate(pool + BigInt(i * 0x1000));
    if (pa !== null && i % 3 === 1) victims.add(pa - (pa % 4096));
  }
  expect(victims.size).toBeGreaterThan(10);
  let seed = 99;
  const eng = new WindowsEngine(
    overlay(mem, (p, target, off, len) => {
      for (let q = p - (p % 4096); q < p + len; q += 4096) {
        if (!victims.has(q)) continue;
        const lo = Math.max(p, q);
        const hi = Math.min(p + len, q + 4096);
        for (let x = lo; x < hi; x += 8) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          if (seed % 4 === 0) target[off + (x - p)] = seed & 0xff;
        }
      }
    }),
  );
  extractAll(eng);
  mem.close();
}, 120000);

test('driver unlinked from PsLoadedModuleList is found by the MmLd pool scan as hidden', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const space = new X86_64Space(mem, Number(BigInt(g.truth.kernel.dtb)));
  const d = g.truth.drivers;
  const [prev, victim, next] = [d[4], d[5], d[6]];
  // InLoadOrderLinks is the first member of KLDR_DATA_TABLE_ENTRY: Flink at +0, Blink at +8
  const patches: [number, bigint][] = [
    [space.translate(BigInt(prev.ldrEntry))!, BigInt(next.ldrEntry)],
    [space.translate(BigInt(next.ldrEntry) + 8n)!, BigInt(prev.ldrEntry)],
  ];
  const eng = new WindowsEngine(
    overlay(mem, (p, target, off, len) => {
      for (const [at, v] of patches) {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(v);
        const lo = Math.max(p, at);
        const hi = Math.min(p + len, at + 8);
        if (lo < hi) target.set(b.subarray(lo - at, hi - at), off + (lo - p));
      }
    }),
  );
  const rows = eng.extract('kernel_module');
  const listed = rows.filter((r) => r.in_module_list);
  expect(listed.map((r) => r.name)).toEqual(d.filter((x) => x !== victim).map((x) => x.name));
  const hidden = rows.filter((r) => r.hidden);
  expect(hidden).toHaveLength(1);
  expect(hidden[0]).toMatchObject({ name: victim.name, path: victim.path, size: victim.size, in_module_list: false });
  expect('0x' + hidden[0].base.toString(16).padStart(16, '0')).toBe(victim.base);
  expect('0x' + hidden[0].object_address!.toString(16).padStart(16, '0')).toBe(victim.ldrEntry);
  mem.close();
}, 120000);

describe.each(['19041', '7601'] as const)('generator hostile variant, build %s', (build) => {
  test('cyclic list and VAD tree, bad handle table, bogus command line: bounded, rest intact', async () => {
    const g = await generateWindowsDump({ build, kind: 'full', sizeMiB: 128, seed: 7, hostile: true });
    const h = g.truth.hostile!;
    const mem = await openDumpFile(g.path);
    const eng = new WindowsEngine(mem);
    extractAll(eng);
    // every process is still found (list walk cut at the cycle, the rest by scanning), once
    const procs = eng.extract('process');
    expect(procs.map((p) => p.process_id).sort((a, b) => a - b)).toEqual(g.truth.processes.map((p) => p.pid).sort((a, b) => a - b));
    // no handles for the process whose handle table level is invalid
    expect(eng.extract('handle').filter((r) => r.process_id === h.badHandleTableLevel.pid)).toEqual([]);
    // no command line where the string is bogus
    expect(procs.find((p) => p.process_id === h.badCommandLine.pid)!.command_line).toBe('');
    // the cyclic VAD tree yields each node once
    const vads = eng.extract('vma').filter((r) => r.process_id === h.cyclicVadTree.pid);
    const starts = vads.map((v) => v.start);
    expect(new Set(starts).size).toBe(starts.length);
    // untouched processes keep their handles
    const ok = g.truth.processes.find((p) => p.pid !== h.badHandleTableLevel.pid && p.handles.length > 0)!;
    expect(eng.extract('handle').filter((r) => r.process_id === ok.pid)).toHaveLength(ok.handles.length);
    mem.close();
  }, 120000);
});

test('encoded KDBG on a raw Win10 image is decoded with KiWaitNever/KiWaitAlways', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'raw', sizeMiB: 128, seed: 7, encodeKdbg: true });
  expect(g.truth.kernel.kdbg.encoded).toBe(true);
  const mem = await openDumpFile(g.path);
  const eng = new WindowsEngine(mem);
  expect(String(eng.info()['windows.kdbg'])).toMatch(/encoded KDBG .* decoded with KiWaitNever\/KiWaitAlways/);
  expect(eng.k.kdbg!.kernBase).toBe(BigInt(g.truth.kernel.kernBase));
  expect(eng.k.kdbg!.psActiveProcessHead).toBe(BigInt(g.truth.kernel.psActiveProcessHead));
  mem.close();
}, 120000);

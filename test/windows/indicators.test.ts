// Windows indicator table: a URL (UTF-16LE) and an IPv4 address planted into a private writable VAD of
// one process of a generated dump (through a copy-on-read overlay of the physical memory) must be
// reported with that process, the planted virtual address and the VAD as region.
import { generateWindowsDump } from './gen';
import { openDumpFile } from '../../lib/image/open';
import type { PhysicalMemory } from '../../lib/image/physical';
import { X86_64Space } from '../../lib/arch/x86_64';
import { WindowsEngine } from '../../lib/os/windows/engine';

test('planted URL and IP are found in the right process at the right address', async () => {
  const g = await generateWindowsDump({ build: '19041', kind: 'full', sizeMiB: 128, seed: 7 });
  const mem = await openDumpFile(g.path);
  const proc = g.truth.processes.find((p) => p.name === 'notepad.exe' && p.userMemoryPresent)!;
  const space = new X86_64Space(mem, Number(BigInt(proc.dtb)), { windowsTransition: true });
  // first present page of a private read-write VAD
  let va = 0n;
  let pa: number | null = null;
  for (const v of proc.vads.filter((x) => x.type === 'private' && x.protection === 4)) {
    for (let a = BigInt(v.start); a < BigInt(v.end) && pa === null; a += 0x1000n) {
      pa = space.translate(a + 0x100n);
      va = a + 0x100n;
    }
    if (pa !== null) break;
  }
  expect(pa).not.toBeNull();
  const url = Buffer.from('see https://c2.example-bad.xyz/gate.php now', 'utf16le');
  const ip = Buffer.from('beacon 198.51.100.77 ok', 'latin1');
  const patches: [number, Buffer][] = [
    [pa!, url],
    [pa! + 0x200, ip],
  ];
  const overlay: PhysicalMemory = {
    ...mem,
    format: mem.format,
    source: mem.source,
    ranges: mem.ranges,
    info: mem.info,
    hints: mem.hints,
    close: () => mem.close(),
    readPhys(p, target, off, len) {
      if (!mem.readPhys(p, target, off, len)) return false;
      for (const [at, bytes] of patches) {
        const lo = Math.max(at, p);
        const hi = Math.min(at + bytes.length, p + len);
        if (lo < hi) target.set(bytes.subarray(lo - at, hi - at), off + (lo - p));
      }
      return true;
    },
  };
  const eng = new WindowsEngine(overlay);
  const rows = eng.extract('indicator', { pid: proc.pid });
  const urlRow = rows.find((r) => r.kind === 'url');
  expect(urlRow).toMatchObject({ process_id: proc.pid, value: 'https://c2.example-bad.xyz/gate.php', address: va + 8n, region: 'private' });
  const ipRow = rows.find((r) => r.kind === 'ipv4' && r.value === '198.51.100.77');
  expect(ipRow).toMatchObject({ process_id: proc.pid, address: va + 0x200n + 7n });
  // nothing was planted elsewhere: other processes report no planted values
  const others = eng.extract('indicator').filter((r) => r.process_id !== proc.pid && /example-bad|198\.51\.100\.77/.test(r.value));
  expect(others).toEqual([]);
  mem.close();
}, 120000);

// Every format of the same dump must yield identical tables (the physical layer is the only thing
// that differs), and the indicator scanner must find the miner's pool URL where /proc says it lives.
import { openDump } from '../../lib/os/open';
import { tableNames } from '../../lib/model';
import type { OsEngine } from '../../lib/os/engine';
import { dumpPath, groundTruth, allFormats, type Kernel } from '../support/dumps';

jest.setTimeout(300_000);

const canon = (rows: unknown[]) =>
  JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

describe.each(['6.1', '6.12'] as Kernel[])('Linux %s', (kernel) => {
  test('all formats give identical rows for every table', async () => {
    const files = allFormats[kernel];
    const tables: Record<string, string>[] = [];
    for (const f of files) {
      const eng: OsEngine = await openDump(await dumpPath(kernel, f));
      tables.push(Object.fromEntries(tableNames.map((t) => [t, canon(eng.tables.includes(t) ? eng.extract(t) : [])])));
      eng.mem.close();
    }
    for (let i = 1; i < files.length; i++) {
      for (const t of tableNames) expect([files[i], t, tables[i][t]]).toEqual([files[i], t, tables[0][t]]);
    }
    expect(JSON.parse(tables[0].process).length).toBeGreaterThan(50);
  });

  test('indicator scan finds the miner pool URL and IP inside the miner stack (argv)', async () => {
    const gt = groundTruth(kernel);
    const pid = gt.roles.evil_miner;
    const eng = await openDump(await dumpPath(kernel, 'memory.kdump'));
    const hits = eng.extract('indicator', { pid }).filter((r) => r.process_id === pid);
    const stack = (gt.processes.find((p) => p.pid === pid)!.maps as { start: string; end: string; path: string }[]).find((m) => m.path === '[stack]')!;
    const inStack = (a: bigint) => a >= BigInt(stack.start) && a < BigInt(stack.end);
    const url = hits.find((h) => h.kind === 'url' && h.value === 'stratum+tcp://10.9.8.7:3333');
    expect(url && inStack(url.address)).toBe(true);
    expect(hits.some((h) => h.kind === 'ipv4' && h.value === '10.9.8.7' && inStack(h.address))).toBe(true);
    // the clean agetty process holds no such indicator
    expect(eng.extract('indicator', { pid: gt.roles.agetty }).filter((h) => h.value.includes('10.9.8.7'))).toEqual([]);
    eng.mem.close();
  });
});

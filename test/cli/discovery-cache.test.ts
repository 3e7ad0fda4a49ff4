// Discovery once per dump (lib/os/discovery-cache.ts, lib/os/linux/discovery-cache.ts): the first
// command on a dump stores what discovery found under $MEMQ_CACHE/discovery/; the next command reuses
// it with the same output; a stale entry (the dump changed), a damaged entry (digest) and a wrong
// entry with a valid digest (its symbols or VMCOREINFO do not fit the dump) are ignored and rewritten.
// VMCOREINFO carried by the dump header is used without any RAM scan.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile } from '../../lib/image/open';
import type { BlockCache } from '../../lib/image/byte-source';
import type { PhysicalMemory } from '../../lib/image/physical';
import { openEngine } from '../../lib/os/open';
import { DiscoveryCache } from '../../lib/os/discovery-cache';
import { LINUX_CACHE_VERSION, readLinuxCache, writeLinuxCache } from '../../lib/os/linux/discovery-cache';
import type { LinuxEngine } from '../../lib/os/linux';
import { SymbolTable } from '../../lib/symbols/kallsyms';
import { dumpPath, groundTruth } from '../support/dumps';

jest.setTimeout(180_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
let tmp: string;
let cacheDir: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-dcache-'));
  cacheDir = path.join(tmp, 'cache');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function memq(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0', MEMQ_CACHE: cacheDir }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const cacheStatus = (dump: string): string => {
  const r = memq('info', dump, '--format', 'json');
  expect(r.code).toBe(0);
  return String((JSON.parse(r.out) as { key: string; value: unknown }[]).find((x) => x.key === 'source.discovery_cache')!.value);
};
const entryOf = (dump: string) => new DiscoveryCache(dump, path.join(cacheDir, 'discovery')).entryPath('linux');

test('a second ps on the same dump reuses the entry and prints the same processes', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const first = memq('ps', dump, '--format', 'json');
  expect(first.code).toBe(0);
  const entry = entryOf(dump);
  expect(fs.existsSync(entry)).toBe(true);
  const written = fs.statSync(entry).mtimeMs;
  const second = memq('ps', dump, '--format', 'json');
  expect(second.code).toBe(0);
  expect(second.out).toBe(first.out);
  expect((JSON.parse(second.out) as { process_id: number }[]).map((p) => p.process_id)).toEqual(groundTruth('6.1').processes.map((p) => p.pid));
  expect(cacheStatus(dump)).toBe(`reused ${entry}`);
  expect(fs.statSync(entry).mtimeMs).toBe(written); // reused, not rewritten
  // every table through the reused discovery equals a run without the cache
  for (const cmd of ['modules', 'syscalls', 'maps']) {
    const cached = memq(cmd, dump, '--format', 'json');
    const r = spawnSync(process.execPath, [BIN, cmd, dump, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0', MEMQ_DISCOVERY_CACHE: '0' }, maxBuffer: 64 << 20 });
    expect(cached.out).toBe(r.stdout);
  }
});

test('a damaged entry (digest) and a stale entry (the dump changed) are ignored and rewritten', async () => {
  const copy = path.join(tmp, 'copy.kdump');
  fs.copyFileSync(await dumpPath('6.1', 'memory.kdump'), copy);
  const want = memq('ps', copy, '--format', 'json').out;
  const entry = entryOf(copy);
  // flip one byte in the middle of the entry (inside a section)
  const buf = fs.readFileSync(entry);
  buf[buf.length >> 1] ^= 0xff;
  fs.writeFileSync(entry, buf);
  expect(cacheStatus(copy)).toBe('entry ignored (digest mismatch: the entry was modified); rewritten');
  expect(cacheStatus(copy)).toBe(`reused ${entry}`);
  // the dump file changes (same size, new mtime): the entry no longer describes it
  const t = new Date(Date.parse('2026-01-01T00:00:00Z'));
  fs.utimesSync(copy, t, t);
  expect(cacheStatus(copy)).toBe('entry ignored (stale: the dump changed); rewritten');
  expect(memq('ps', copy, '--format', 'json').out).toBe(want);
  // a truncated entry
  fs.truncateSync(entry, 100);
  expect(cacheStatus(copy)).toBe('entry ignored (truncated); rewritten');
});

test('an intact entry whose content does not fit the dump is ignored: wrong symbols, wrong VMCOREINFO', async () => {
  const file = await dumpPath('6.1', 'memory.kdump');
  const dir = path.join(tmp, 'inproc');
  const fresh = () => new DiscoveryCache(file, dir);
  const c0 = fresh();
  const first = openEngine(await openDumpFile(file), { cache: c0 }) as LinuxEngine;
  expect(c0.status).toMatch(/^written to /);
  const want = first.extract('process').map((p) => [p.process_id, p.name]);
  const good = readLinuxCache(fresh())!;
  expect(good.syms.size).toBe(first.k.syms.size);

  // a crafted entry with a valid digest: init_task moved by one page (not a VMCOREINFO symbol)
  const p = good.syms.pack();
  const addrs = BigUint64Array.from(p.addrs);
  const it = p.names.indexOf('init_task');
  addrs[it] = addrs[it]! + 4096n;
  writeLinuxCache(fresh(), { ...good, syms: SymbolTable.fromPacked({ names: p.names, types: p.types, addrs, order: p.order }, 'kallsyms') });
  const c1 = fresh();
  const e1 = openEngine(await openDumpFile(file), { cache: c1 }) as LinuxEngine;
  expect(c1.status).toBe('entry ignored (init_task does not hold swapper); rewritten');
  expect(e1.extract('process').map((p) => [p.process_id, p.name])).toEqual(want);
  expect(readLinuxCache(fresh())!.syms.get('init_task')).toBe(first.k.syms.get('init_task')); // rewritten

  // a symbol VMCOREINFO names (init_uts_ns) disagrees
  const addrs2 = BigUint64Array.from(p.addrs);
  const uts = p.names.indexOf('init_uts_ns');
  addrs2[uts] = addrs2[uts]! + 8n;
  writeLinuxCache(fresh(), { ...good, syms: SymbolTable.fromPacked({ names: p.names, types: p.types, addrs: addrs2 }, 'kallsyms') });
  const c2 = fresh();
  openEngine(await openDumpFile(file), { cache: c2 });
  expect(c2.status).toBe('entry ignored (symbol init_uts_ns disagrees with VMCOREINFO); rewritten');

  // an entry made for another VMCOREINFO location
  writeLinuxCache(fresh(), { ...good, vmcoreinfoPaddr: good.vmcoreinfoPaddr + 4096 });
  const c3 = fresh();
  const e3 = openEngine(await openDumpFile(file), { cache: c3 }) as LinuxEngine;
  expect(c3.status).toBe('entry ignored (VMCOREINFO differs); rewritten');
  expect(e3.k.vmcoreinfo!.paddr).toBe(good.vmcoreinfoPaddr);

  // a BTF blob that is not the one in memory
  const blob = Buffer.from(good.btf!.blob);
  blob[10] ^= 1;
  writeLinuxCache(fresh(), { ...good, btf: { ...good.btf!, blob } });
  const c4 = fresh();
  const e4 = openEngine(await openDumpFile(file), { cache: c4 }) as LinuxEngine;
  expect(c4.status).toBe('entry ignored (BTF differs); rewritten');
  expect(e4.extract('process').map((p) => [p.process_id, p.name])).toEqual(want);

  // another format version
  new DiscoveryCache(file, dir).put('linux', LINUX_CACHE_VERSION + 1, { data: {}, sections: {} });
  const c5 = fresh();
  openEngine(await openDumpFile(file), { cache: c5 });
  expect(c5.status).toBe('entry ignored (other format version); rewritten');
});

test('reusing the entry reads a fraction of the bytes a cold discovery reads', async () => {
  const file = await dumpPath('6.1', 'memory.kdump');
  const dir = path.join(tmp, 'bytes');
  const cold = await openDumpFile(file);
  openEngine(cold, { cache: new DiscoveryCache(file, dir) }).extract('process');
  const warm = await openDumpFile(file);
  const c = new DiscoveryCache(file, dir);
  openEngine(warm, { cache: c }).extract('process');
  expect(c.status).toMatch(/^reused /);
  const coldBytes = (cold.source as BlockCache).stats.bytesRead;
  const warmBytes = (warm.source as BlockCache).stats.bytesRead;
  expect(warmBytes).toBeLessThan(coldBytes / 4);
});

test('VMCOREINFO from the dump header (kdump offset_vmcoreinfo, ELF note) is used before any RAM scan', async () => {
  const file = await dumpPath('6.1', 'memory.kdump');
  const plain = openEngine(await openDumpFile(file)) as LinuxEngine;
  const text = plain.k.vmcoreinfo!.raw;
  // the same dump as if its header carried the note (the dev dumps' guest had no vmcoreinfo device)
  const mem = await openDumpFile(file);
  const withHeader = Object.create(mem, { hints: { value: { ...mem.hints, vmcoreinfo: text } } }) as PhysicalMemory;
  const eng = openEngine(withHeader) as LinuxEngine;
  expect(eng.k.vmcoreinfo!.paddr).toBe(-1);
  expect(eng.k.sources.vmcoreinfo).toBe('kdump dump header');
  expect(eng.discoveryHints()).toEqual({});
  expect(eng.extract('process').map((p) => p.process_id)).toEqual(plain.extract('process').map((p) => p.process_id));
  // no scan: far fewer bytes read than the plain open, which scanned up to the note at 0x5148000
  const plainBytes = (plain.mem.source as BlockCache).stats.bytesRead;
  expect((mem.source as BlockCache).stats.bytesRead).toBeLessThan(plainBytes / 2);
});

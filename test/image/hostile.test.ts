// Dumps are hostile input. Truncated, zero-filled and random files, header fields pointing past EOF,
// huge counts, and thousands of random header mutations must end in a MemqError or a successful
// open whose reads return true/false (or a MemqError) — never another exception, hang or runaway
// allocation.
import { BufferSource } from '../../lib/image/byte-source';
import { openPhysical } from '../../lib/image/detect';
import type { PhysicalMemory } from '../../lib/image/physical';
import { MemqError } from '../../lib/util/errors';
import { noise, patternAt, prng } from './gen/bytes';
import { makeAvml, makeLime } from './gen/lime';
import { makeElfCore, qemuCpuState } from './gen/elf';
import { flatten, makeKdump, type PageCodec } from './gen/kdump';
import '../../lib/image/formats';

const P = 4096;

function kdumpFixture(codec: PageCodec): Buffer {
  const pages = [];
  for (let pfn = 0; pfn < 6; pfn++) pages.push({ pfn, data: pfn === 4 ? noise('h', P) : patternAt(pfn * P, P) });
  pages.push({ pfn: 300, data: Buffer.alloc(P) });
  return makeKdump(pages, { maxMapnr: 4096, codec, vmcoreinfo: 'OSRELEASE=6.1.0\n' });
}

const fixtures: Record<string, Buffer> = {
  lime: makeLime([
    { start: 0x1000, data: patternAt(0x1000, 3 * P) },
    { start: 0x10000, data: patternAt(0x10000, 2 * P) },
  ]),
  avml: makeAvml([{ start: 0x1000, data: Buffer.concat([patternAt(0x1000, 20 * P), noise('a', 4 * P)]) }], { chunkSize: 16384, rawEvery: 4 }),
  elf: makeElfCore(
    [
      { paddr: 0, data: patternAt(0, 3 * P) },
      { paddr: 0xfd000000, data: Buffer.alloc(P) },
    ],
    [
      { name: 'QEMU', type: 0, desc: qemuCpuState(0x1000n) },
      { name: 'VMCOREINFO', type: 0, desc: Buffer.from('OSRELEASE=6.1\n') },
    ],
  ),
  'kdump-zlib': kdumpFixture('zlib'),
  'kdump-snappy': kdumpFixture('snappy'),
  'kdump-zstd': kdumpFixture('zstd'),
  'kdump-flat': flatten(kdumpFixture('zlib'), { recordSize: 2048 }),
};

/** Opens and exercises a buffer; returns 'ok' or the MemqError code; rethrows anything else. */
function exercise(buf: Buffer): string {
  let mem: PhysicalMemory;
  try {
    mem = openPhysical(new BufferSource(buf, 'hostile.bin'));
  } catch (e) {
    if (e instanceof MemqError) return e.code;
    throw e;
  }
  const b = Buffer.alloc(2 * P);
  try {
    // bounded reads: the start of every range (at most 64 ranges), plus odd addresses
    for (const r of mem.ranges.slice(0, 64)) {
      const v = mem.readPhys(r.start, b, 0, Math.min(2 * P, r.end - r.start));
      expect(typeof v).toBe('boolean');
    }
    for (const a of [0, 0x1000, 0xfff, 2 ** 40, 2 ** 53, -1, NaN]) expect(typeof mem.readPhys(a, b, 0, 16)).toBe('boolean');
  } catch (e) {
    if (e instanceof MemqError) return e.code;
    throw e;
  }
  return 'ok';
}

describe.each(Object.keys(fixtures))('%s fixture', (name) => {
  const f = fixtures[name];
  test('opens intact', () => {
    expect(exercise(f)).toBe('ok');
  });
  test('truncated at every interesting length: error names truncation or format', () => {
    const cuts = new Set([1, 7, 8, 31, 32, 33, 63, 64, 100, 463, 464, 4095, 4096, 4097, 8192, 12288, f.length >> 1, f.length - 9, f.length - 1]);
    for (const n of cuts) {
      if (n <= 0 || n >= f.length) continue;
      const r = exercise(f.subarray(0, n));
      expect([n, r]).toEqual([n, expect.stringMatching(/^(ok|E_TRUNCATED|E_FORMAT)$/)]);
    }
  });
});

describe('garbage files', () => {
  test.each([
    ['zero-filled, 1 MiB + 1', Buffer.alloc((1 << 20) + 1)],
    ['zero-filled, 1000 bytes', Buffer.alloc(1000)],
    ['random, 100 KiB', noise('r1', 100 << 10)],
    ['random, 1 MiB + 3', noise('r2', (1 << 20) + 3)],
    ['LiME magic then random', Buffer.concat([Buffer.from([0x45, 0x4d, 0x69, 0x4c, 1, 0, 0, 0]), noise('r3', 5000)])],
    ['ELF magic then random', Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(8), Buffer.from([4, 0]), noise('r4', 5000)])],
    ['KDUMP signature then random', Buffer.concat([Buffer.from('KDUMP   '), noise('r5', 9000)])],
    ['makedumpfile signature then random', Buffer.concat([Buffer.from('makedumpfile\0\0\0\0'), noise('r6', 9000)])],
  ])('%s → a MemqError', (_n, buf) => {
    expect(exercise(buf)).toMatch(/^E_/);
  });
  test('page-aligned zeros are a (valid, empty) raw image', () => {
    expect(exercise(Buffer.alloc(1 << 20))).toBe('ok');
  });
});

describe('header fields pointing past EOF / huge counts', () => {
  const set = (buf: Buffer, fn: (b: Buffer) => void) => {
    const c = Buffer.from(buf);
    fn(c);
    return c;
  };
  test.each([
    ['LiME end = 2^63', set(fixtures.lime, (b) => b.writeBigUInt64LE(1n << 63n, 16)), /out of range/],
    ['LiME end past EOF', set(fixtures.lime, (b) => b.writeBigUInt64LE(0x100000000n, 16)), /needs .* bytes .* file has/],
    ['LiME end < start', set(fixtures.lime, (b) => b.writeBigUInt64LE(0n, 16)), /bad range/],
    ['AVML chunk length past EOF', set(fixtures.avml, (b) => b.writeUIntLE(0xffffff, 32 + 10 + 1, 3)), /runs past end of file/],
    ['ELF e_phoff past EOF', set(fixtures.elf, (b) => b.writeBigUInt64LE(1n << 40n, 32)), /program headers .* run past end of file/],
    ['ELF e_phnum 65534', set(fixtures.elf, (b) => b.writeUInt16LE(65534, 56)), /out of range|run past end of file/],
    ['ELF p_offset past EOF', set(fixtures.elf, (b) => b.writeBigUInt64LE(1n << 40n, 64 + 56 + 8)), /starts past end of file/],
    ['ELF PT_NOTE of 2^40 bytes', set(fixtures.elf, (b) => b.writeBigUInt64LE(1n << 40n, 64 + 32)), /PT_NOTE of .* exceeds/],
    ['kdump bitmap_blocks 2^31', set(fixtures['kdump-zlib'], (b) => b.writeUInt32LE(0x80000000, 436)), /exceeds|run past end of file/],
    ['kdump max_mapnr_64 2^50', set(fixtures['kdump-zlib'], (b) => b.writeBigUInt64LE(1n << 50n, 4096 + 96)), /max_mapnr .* out of range/],
    ['kdump block_size 3', set(fixtures['kdump-zlib'], (b) => b.writeInt32LE(3, 428)), /block_size 3 at offset 0x1ac/],
    ['kdump sub_hdr_size -1', set(fixtures['kdump-zlib'], (b) => b.writeInt32LE(-1, 432)), /sub_hdr_size/],
    ['flattened record size 2^62', set(fixtures['kdump-flat'], (b) => b.writeBigInt64BE(1n << 62n, 4096 + 8)), /record #0 at 0x1000: bad offset 0 \/ size 4611686018427387904/],
    ['flattened record offset negative', set(fixtures['kdump-flat'], (b) => b.writeBigInt64BE(-5n, 4096)), /bad offset/],
  ])('%s', (_n, buf, msg) => {
    let err: unknown;
    try {
      openPhysical(new BufferSource(buf, 'hostile.bin'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemqError);
    expect((err as Error).message).toMatch(msg);
  });

  test('kdump page descriptor pointing past EOF: the read fails with a MemqError naming the pfn', () => {
    const f = Buffer.from(fixtures['kdump-zlib']);
    // descriptors follow header, 1 sub-header block and 2 one-block bitmaps
    f.writeBigUInt64LE(1n << 40n, 4 * 4096);
    const mem = openPhysical(new BufferSource(f, 'hostile.bin'));
    expect(() => mem.readPhys(0, Buffer.alloc(P), 0, P)).toThrow(/pfn 0x0 .* outside the file/);
    expect(mem.readPhys(P, Buffer.alloc(P), 0, P)).toBe(true);
  });
  test('kdump page with corrupt zlib data: MemqError naming codec and pfn', () => {
    const f = Buffer.from(fixtures['kdump-zlib']);
    const off = Number(f.readBigUInt64LE(4 * 4096 + 24)); // pfn 1's data
    f.fill(0x42, off, off + 20);
    const mem = openPhysical(new BufferSource(f, 'hostile.bin'));
    expect(() => mem.readPhys(P, Buffer.alloc(P), 0, P)).toThrow(/pfn 0x1 .*corrupt zlib data/);
  });
});

describe('fuzz: random header mutations', () => {
  test('3000 mutated inputs end in MemqError or a clean open, with bounded memory', () => {
    const rnd = prng(0x5eed);
    const names = Object.keys(fixtures);
    const extremes = [0, 1, 0xff, 0x7fffffff, 0xffffffff];
    const outcomes: Record<string, number> = {};
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    for (let i = 0; i < 3000; i++) {
      const base = fixtures[names[i % names.length]];
      const f = Buffer.from(base);
      // mostly the first 8 KiB (headers, sub headers, bitmaps, descriptors), sometimes anywhere
      const span = rnd() < 0.8 ? Math.min(f.length, 20480) : f.length;
      const edits = 1 + Math.floor(rnd() * 6);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * span);
        const kind = rnd();
        if (kind < 0.5) f[at] = Math.floor(rnd() * 256);
        else if (kind < 0.8 && at + 4 <= f.length) f.writeUInt32LE(extremes[Math.floor(rnd() * extremes.length)], at & ~3);
        else if (at + 8 <= f.length) f.writeBigUInt64LE(BigInt(Math.floor(rnd() * 2 ** 53)) << BigInt(Math.floor(rnd() * 11)), at & ~7);
      }
      const input = rnd() < 0.15 ? f.subarray(0, Math.floor(rnd() * f.length)) : f;
      let r: string;
      try {
        r = exercise(input);
      } catch (e) {
        throw new Error(`mutation #${i} of ${names[i % names.length]}: non-MemqError ${(e as Error).stack}`);
      }
      outcomes[r] = (outcomes[r] ?? 0) + 1;
      if (i % 100 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    // no runaway allocation: the fixtures are < 1 MiB each
    expect(peakRss - rss0).toBeLessThan(512 << 20);
    expect(Object.values(outcomes).reduce((a, b) => a + b, 0)).toBe(3000);
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(Object.keys(outcomes).every((k) => k === 'ok' || k.startsWith('E_'))).toBe(true);
  });
});

// Decoding of synthetic fixtures built by test/image/gen from each format's documented layout:
// LiME, AVML, ELF core, kdump (every supported codec, header versions, flattened streams).
// Expected bytes come from the generators' inputs (patternAt/noise), never from the parsers.
import { MemqError } from '../../lib/util/errors';
import { noise, patternAt, zstdFixturePage, ZSTD_FIXTURE_PAGE } from './gen/bytes';
import { makeAvml, makeLime } from './gen/lime';
import { makeElfCore, note, qemuCpuState } from './gen/elf';
import { flatten, makeKdump, type PageCodec, type PageSpec } from './gen/kdump';
import { mismatch, openBuffer, read } from './helpers';

const P = 4096;

describe('LiME v1', () => {
  const ranges = [
    { start: 0x1000, data: patternAt(0x1000, 3 * P) },
    { start: 0x100000, data: patternAt(0x100000, 5 * P) },
    { start: 0x105000, data: patternAt(0x105000, 2 * P) }, // adjacent to the previous range
  ];
  const mem = openBuffer(makeLime(ranges), 'dump.raw');

  test('is detected by content and lists its ranges', () => {
    expect(mem.format).toBe('lime');
    expect(mem.ranges).toEqual([
      { start: 0x1000, end: 0x4000, ram: true },
      { start: 0x100000, end: 0x107000, ram: true },
    ]);
  });
  test('every page reads back its own pattern, reads may span adjacent ranges', () => {
    for (const r of ranges) for (let o = 0; o < r.data.length; o += P) expect(mismatch(read(mem, r.start + o, P), patternAt(r.start + o, P))).toBeNull();
    expect(mismatch(read(mem, 0x104800, 0x1000), patternAt(0x104800, 0x1000))).toBeNull();
    expect(mismatch(read(mem, 0x1234, 100), ranges[0].data.subarray(0x234, 0x234 + 100))).toBeNull();
  });
  test('absent addresses read as false, not an exception', () => {
    expect(read(mem, 0, P)).toBeNull();
    expect(read(mem, 0x3800, P)).toBeNull(); // runs off the end of the first range
    expect(read(mem, 0x200000, 16)).toBeNull();
    expect(read(mem, -5, 16)).toBeNull();
  });
});

describe('AVML (LiME v2, snappy frames)', () => {
  const big = Buffer.concat([patternAt(0x200000, 40 * P), noise('avml', 30 * P), Buffer.alloc(20 * P)]);
  const ranges = [
    { start: 0x200000, data: big },
    { start: 0x1000000, data: patternAt(0x1000000, 3 * P) },
  ];
  test.each([
    ['64 KiB chunks, some stored uncompressed, padding + skippable chunks', { rawEvery: 3, extraChunks: true }],
    ['4 KiB chunks', { chunkSize: 4096 }],
  ])('%s', (_n, opts) => {
    const mem = openBuffer(makeAvml(ranges, opts), 'dump.lime');
    expect(mem.format).toBe('avml');
    expect(mem.ranges).toEqual([
      { start: 0x200000, end: 0x200000 + big.length, ram: true },
      { start: 0x1000000, end: 0x1003000, ram: true },
    ]);
    for (let o = 0; o < big.length; o += P) expect(mismatch(read(mem, 0x200000 + o, P), big.subarray(o, o + P))).toBeNull();
    // unaligned read across chunk boundaries
    expect(mismatch(read(mem, 0x200000 + 65536 - 100, 70000), big.subarray(65536 - 100, 65536 - 100 + 70000))).toBeNull();
    expect(mismatch(read(mem, 0x1001000, P), patternAt(0x1001000, P))).toBeNull();
    expect(read(mem, 0x1003000, 1)).toBeNull();
  });
  test('compressed-size trailer that disagrees with the stream is a format error', () => {
    const f = makeAvml([ranges[1]]);
    f.writeBigUInt64LE(12345n, f.length - 8);
    expect(() => openBuffer(f)).toThrow(/compressed-size trailer/);
  });
});

describe('ELF core with physical PT_LOADs', () => {
  const loads = [
    { paddr: 0, data: patternAt(0, 4 * P) },
    { paddr: 0x100000, data: patternAt(0x100000, 6 * P) },
    { paddr: 0xfd000000, data: Buffer.alloc(2 * P, 0x55) }, // VGA framebuffer
    { paddr: 0xfffc0000, data: Buffer.alloc(P, 0xaa) }, // BIOS ROM
  ];
  const vmcoreinfo = 'OSRELEASE=6.1.0-test\nPAGESIZE=4096\nKERNELOFFSET=1b600000\n';
  const notes = [
    { name: 'CORE', type: 1, desc: Buffer.alloc(336) },
    { name: 'QEMU', type: 0, desc: qemuCpuState(0x4862000n | 0x801n) },
    { name: 'VMCOREINFO', type: 0, desc: Buffer.from(vmcoreinfo, 'latin1') },
  ];
  test.each([
    ['e_phnum', {}],
    ['PN_XNUM (count in section header 0)', { xnum: true }],
  ])('decodes segments, device ranges and note hints (%s)', (_n, opts) => {
    const mem = openBuffer(makeElfCore(loads, notes, opts), 'memory.kdump');
    expect(mem.format).toBe('elf');
    expect(mem.ranges).toEqual([
      { start: 0, end: 0x4000, ram: true },
      { start: 0x100000, end: 0x106000, ram: true },
      { start: 0xfd000000, end: 0xfd002000, ram: false },
      { start: 0xfffc0000, end: 0xfffc1000, ram: false },
    ]);
    for (const l of loads) expect(mismatch(read(mem, l.paddr, l.data.length), l.data)).toBeNull();
    expect(read(mem, 0x4000, 1)).toBeNull();
    expect(mem.hints?.cr3).toEqual([0x4862000]);
    expect(mem.hints?.vmcoreinfo).toBe(vmcoreinfo);
    expect(mem.info['elf.pt_load']).toBe(4);
    expect(mem.info['elf.notes']).toBe('CORE,QEMU,VMCOREINFO');
  });
  test('a core whose PT_LOADs carry no physical addresses is rejected clearly', () => {
    const f = makeElfCore([
      { paddr: 0, vaddr: 0x400000, data: Buffer.alloc(P) },
      { paddr: 0, vaddr: 0x7fff0000, data: Buffer.alloc(P) },
    ]);
    expect(() => openBuffer(f)).toThrow(/no physical addresses/);
  });
  test('a note that overruns its PT_NOTE names the note and offset', () => {
    const f = makeElfCore([loads[0]], [notes[1]]);
    // note header sits right after the two program headers: inflate descsz
    f.writeUInt32LE(0x10000, 64 + 2 * 56 + 4);
    expect(() => openBuffer(f)).toThrow(/note #1 at 0x.* overruns/);
  });
});

function kdumpPages(): PageSpec[] {
  const pages: PageSpec[] = [];
  for (let pfn = 0; pfn < 8; pfn++) pages.push({ pfn, data: patternAt(pfn * P, P) });
  for (let pfn = 0x100; pfn < 0x104; pfn++) pages.push({ pfn, data: Buffer.alloc(P) });
  pages.push({ pfn: 0x200, data: noise('kdump', P) }); // incompressible: stored raw (flags 0)
  pages.push({ pfn: 0xfd000, data: Buffer.alloc(P, 0x11) }); // device memory
  return pages;
}

describe('kdump-compressed', () => {
  const codecs: PageCodec[] = ['zlib', 'snappy', 'zstd', 'none'];
  test.each(codecs)('pages compressed with %s decode to their content', (codec) => {
    const pages = kdumpPages();
    const mem = openBuffer(makeKdump(pages, { maxMapnr: 0x100000, codec, ramOnly: [9, 10] }), 'dump.elf');
    expect(mem.format).toBe('kdump');
    for (const p of pages) expect(mismatch(read(mem, p.pfn * P, P), p.data)).toBeNull();
    expect(read(mem, 9 * P, P)).toBeNull(); // RAM but not dumped
    expect(read(mem, 0x300 * P, 8)).toBeNull();
    expect(read(mem, 0x100000 * P, 8)).toBeNull(); // past max_mapnr
    expect(read(mem, 7 * P + 100, P)).toBeNull(); // spills into an absent page
    expect(mismatch(read(mem, 3 * P + 100, 2 * P), patternAt(3 * P, 3 * P).subarray(100, 100 + 2 * P))).toBeNull();
    expect(mem.ranges).toEqual([
      { start: 0, end: 8 * P, ram: true },
      { start: 0x100 * P, end: 0x104 * P, ram: true },
      { start: 0x200 * P, end: 0x201 * P, ram: true },
      { start: 0xfd000 * P, end: 0xfd001 * P, ram: false },
    ]);
    expect(mem.info['kdump.dumpable_pages']).toBe(pages.length);
  });

  test('zstd frames from the reference encoder (FSE/Huffman blocks) decode', () => {
    const page = zstdFixturePage();
    const mem = openBuffer(makeKdump([{ pfn: 5, data: page, codec: 'zstd', stored: Buffer.from(ZSTD_FIXTURE_PAGE, 'base64') }], { maxMapnr: 64 }));
    expect(mismatch(read(mem, 5 * P, P), page)).toBeNull();
  });

  test('mixed codecs in one file', () => {
    const pages = kdumpPages().map((p, i) => ({ ...p, codec: (['zlib', 'snappy', 'zstd', 'none'] as PageCodec[])[i % 4] }));
    const mem = openBuffer(makeKdump(pages, { maxMapnr: 0x100000 }));
    for (const p of pages) expect(mismatch(read(mem, p.pfn * P, P), p.data)).toBeNull();
  });

  test('pfn → descriptor rank over a sparse bitmap (thousands of scattered pages)', () => {
    const set = new Set<number>();
    let s = 7;
    while (set.size < 1500) {
      s = (s * 48271) % 2147483647;
      set.add(s % 200003);
    }
    const pages = [...set].map((pfn) => ({ pfn, data: patternAt(pfn * P, P) }));
    const mem = openBuffer(makeKdump(pages, { maxMapnr: 200003, codec: 'none' }));
    for (const p of pages) expect(mismatch(read(mem, p.pfn * P, P), p.data)).toBeNull();
    let absent = 0;
    for (let pfn = 0; pfn < 200003 && absent < 500; pfn += 97) if (!set.has(pfn)) expect(read(mem, pfn * P, 8)).toBeNull(), absent++;
  });

  test('max_mapnr not a multiple of 64: bits past it are ignored', () => {
    const pages = [{ pfn: 999, data: patternAt(999 * P, P) }];
    const f = makeKdump(pages, { maxMapnr: 1000 });
    const mem = openBuffer(f);
    expect(mismatch(read(mem, 999 * P, P), pages[0].data)).toBeNull();
    expect(mem.ranges).toEqual([{ start: 999 * P, end: 1000 * P, ram: true }]);
  });

  test.each([1, 2, 3, 4, 5, 6])('header version %i', (version) => {
    const vmcoreinfo = 'OSRELEASE=6.1.0-test\nPAGESIZE=4096\n';
    const pages = kdumpPages();
    const notes = note({ name: 'QEMU', type: 0, desc: qemuCpuState(0x2a10000n) });
    const mem = openBuffer(makeKdump(pages, { maxMapnr: 0x100000, version, vmcoreinfo, notes }));
    for (const p of pages) expect(mismatch(read(mem, p.pfn * P, P), p.data)).toBeNull();
    expect(mem.info['kdump.header_version']).toBe(version);
    // vmcoreinfo offsets exist from v3, notes from v4
    expect(mem.hints?.vmcoreinfo).toBe(version >= 3 ? vmcoreinfo : undefined);
    expect(mem.hints?.cr3).toEqual(version >= 4 ? [0x2a10000] : undefined);
  });

  test('LZO pages: a clear error naming the codec', () => {
    const f = makeKdump([{ pfn: 1, data: patternAt(P, P) }], { maxMapnr: 64, codec: 'lzo' });
    let err: unknown;
    try {
      openBuffer(f);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemqError);
    expect((err as MemqError).code).toBe('E_UNSUPPORTED');
    expect((err as MemqError).message).toMatch(/LZO/);
  });

  describe('flattened stream (makedumpfile -F / QEMU to a pipe)', () => {
    const pages = kdumpPages();
    const plain = makeKdump(pages, { maxMapnr: 0x100000, codec: 'zlib', vmcoreinfo: 'OSRELEASE=x\n' });
    test.each([
      ['records in order', {}],
      ['records shuffled', { shuffle: true }],
      ['odd record size', { recordSize: 1000 }],
      ['overlapping records, later ones win', { overwritten: true }],
    ])('%s', (_n, opts) => {
      const mem = openBuffer(flatten(plain, opts), 'dump.flat');
      expect(mem.format).toBe('kdump');
      expect(String(mem.info.format)).toMatch(/flattened/);
      for (const p of pages) expect(mismatch(read(mem, p.pfn * P, P), p.data)).toBeNull();
      expect(mem.hints?.vmcoreinfo).toBe('OSRELEASE=x\n');
    });
    test('a record running past end of file is reported with its offset', () => {
      const f = flatten(plain);
      const cut = f.subarray(0, 4096 + 16 + 100);
      expect(() => openBuffer(cut)).toThrow(/flattened record #0 at 0x1000: 4096 data bytes run past end of file/);
    });
  });
});

// The Windows crash-dump reader on small hand-built dumps (full runs, bitmap) and hostile input:
// truncated and inconsistent headers must raise a one-line MemqError, never crash or hang.
// Layouts built here follow the documented DUMP_HEADER64 / _SUMMARY_DUMP64 field offsets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferSource } from '../../lib/image/byte-source';
import { openPhysical } from '../../lib/image/detect';
import '../../lib/image/formats';
import { MemqError } from '../../lib/util/errors';
import { IMAGES } from '../support/dumps';

const PAGE = 4096;

function header(dumpType: number): Buffer {
  const h = Buffer.alloc(0x2000);
  for (let o = 0; o < h.length; o += 4) h.write('PAGE', o, 'latin1'); // Windows' fill pattern
  h.write('PAGEDU64', 0, 'latin1');
  h.writeUInt32LE(15, 8);
  h.writeUInt32LE(19041, 0xc);
  h.writeBigUInt64LE(0x1ad000n, 0x10);
  h.writeUInt32LE(0x8664, 0x30);
  h.writeUInt32LE(dumpType, 0xf98);
  return h;
}

function page(tag: number): Buffer {
  const p = Buffer.alloc(PAGE);
  p.writeUInt32LE(tag, 0);
  p.writeUInt32LE((tag ^ 0xffffffff) >>> 0, PAGE - 4);
  return p;
}

function fullDump(runs: [number, number][]): Buffer {
  const h = header(1);
  h.writeUInt32LE(runs.length, 0x88);
  h.writeUInt32LE(0, 0x8c);
  h.writeBigUInt64LE(BigInt(runs.reduce((s, r) => s + r[1], 0)), 0x90);
  runs.forEach(([base, count], i) => {
    h.writeBigUInt64LE(BigInt(base), 0x98 + i * 16);
    h.writeBigUInt64LE(BigInt(count), 0xa0 + i * 16);
  });
  const pages: Buffer[] = [];
  for (const [base, count] of runs) for (let i = 0; i < count; i++) pages.push(page(base + i));
  return Buffer.concat([h, ...pages]);
}

function bitmapDump(present: number[], bits: number, sig = 'FDMP'): Buffer {
  const h = header(5);
  const bitmapBytes = Math.ceil(bits / 32) * 4;
  const sum = Buffer.alloc(0x38 + bitmapBytes);
  sum.write(sig, 0, 'latin1');
  sum.write('DUMP', 4, 'latin1');
  const headerSize = Math.ceil((0x2000 + sum.length) / PAGE) * PAGE;
  sum.writeBigUInt64LE(BigInt(headerSize), 0x20);
  sum.writeBigUInt64LE(BigInt(present.length), 0x28);
  sum.writeBigUInt64LE(BigInt(bits), 0x30);
  for (const p of present) sum[0x38 + (p >> 3)] |= 1 << (p & 7);
  const pad = Buffer.alloc(headerSize - 0x2000 - sum.length);
  const sorted = [...present].sort((a, b) => a - b);
  return Buffer.concat([h, sum, pad, ...sorted.map(page)]);
}

const open = (b: Buffer) => openPhysical(new BufferSource(b, 'test.dmp'));
const pageTag = (m: ReturnType<typeof open>, pfn: number): number | null => {
  const b = Buffer.alloc(PAGE);
  return m.readPhys(pfn * PAGE, b, 0, PAGE) ? b.readUInt32LE(0) : null;
};

describe('full dump (DumpType 1)', () => {
  test('runs map physical pages to file pages in header order', () => {
    const m = open(fullDump([[0x10, 3], [0x1, 2], [0x100, 1]]));
    expect(m.format).toBe('windows-full');
    expect(m.ranges).toEqual([
      { start: 0x1000, end: 0x3000, ram: true },
      { start: 0x10000, end: 0x13000, ram: true },
      { start: 0x100000, end: 0x101000, ram: true },
    ]);
    for (const pfn of [0x10, 0x11, 0x12, 0x1, 0x2, 0x100]) expect(pageTag(m, pfn)).toBe(pfn);
    expect(pageTag(m, 0x3)).toBeNull();
    expect(pageTag(m, 0x13)).toBeNull();
    // a read spanning two adjacent runs' boundary inside one range
    const b = Buffer.alloc(8);
    expect(m.readPhys(0x11000 - 4, b, 0, 8)).toBe(true);
    expect(b.readUInt32LE(4)).toBe(0x11);
    expect(m.hints?.cr3).toEqual([0x1ad000]);
  });
});

describe('bitmap dump (DumpType 5, FDMP/SDMP)', () => {
  test.each(['FDMP', 'SDMP'])('%s: one bit per page, pages stored in bit order', (sig) => {
    const present = [0, 1, 2, 5, 31, 32, 33, 64, 95, 200];
    const m = open(bitmapDump(present, 256, sig));
    expect(m.format).toBe('windows-bitmap');
    for (let pfn = 0; pfn < 256; pfn++) expect(pageTag(m, pfn)).toBe(present.includes(pfn) ? pfn : null);
    expect(m.info['windows.summary_signature']).toBe(sig);
  });
  test('all-ones words take the fast path', () => {
    const present = Array.from({ length: 96 }, (_, i) => i + 32);
    const m = open(bitmapDump(present, 160));
    expect(m.ranges).toEqual([{ start: 32 * PAGE, end: 128 * PAGE, ram: true }]);
    expect(pageTag(m, 127)).toBe(127);
  });
});

function expectMemqError(f: () => unknown, re: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MemqError);
  expect((err as Error).message).toMatch(re);
  expect((err as Error).message).not.toContain('\n');
}

describe('hostile headers', () => {
  test('truncated below the 0x2000-byte header', () => {
    expectMemqError(() => open(fullDump([[0, 1]]).subarray(0, 0x1800)), /truncated.*DUMP_HEADER64/);
  });
  test('32-bit dump is named as such', () => {
    const h = header(1);
    h.write('PAGEDUMP', 0, 'latin1');
    expectMemqError(() => open(h), /32-bit Windows crash dump/);
  });
  test('unknown dump type', () => {
    expectMemqError(() => open(header(3)), /unsupported Windows crash dump type 3/);
  });
  test('non-x64/ARM64 machine', () => {
    const h = fullDump([[0, 1]]);
    h.writeUInt32LE(0x14c, 0x30);
    expectMemqError(() => open(h), /machine 0x14c/);
  });
  test('run count zero or beyond the descriptor', () => {
    const a = fullDump([[0, 1]]);
    a.writeUInt32LE(0, 0x88);
    expectMemqError(() => open(a), /NumberOfRuns/);
    a.writeUInt32LE(5000, 0x88);
    expectMemqError(() => open(a), /NumberOfRuns/);
  });
  test('runs needing more pages than the file holds', () => {
    const a = fullDump([[0, 4]]);
    expectMemqError(() => open(a.subarray(0, a.length - PAGE)), /truncated Windows full dump/);
  });
  test('absurd run sizes and overlapping runs', () => {
    const a = fullDump([[0, 1]]);
    a.writeBigUInt64LE(1n << 50n, 0xa0);
    expectMemqError(() => open(a), /inconsistent physical memory run/);
    expectMemqError(() => open(fullDump([[0, 4], [2, 1]])), /overlap/);
  });
  test('bitmap: wrong summary signature, absurd bit count, truncated page data', () => {
    const a = bitmapDump([0, 1], 64);
    a.write('XXXX', 0x2000, 'latin1');
    expectMemqError(() => open(a), /_SUMMARY_DUMP64/);
    const b = bitmapDump([0, 1], 64);
    b.writeBigUInt64LE(1n << 40n, 0x2030);
    expectMemqError(() => open(b), /inconsistent _SUMMARY_DUMP64/);
    const c = bitmapDump([0, 1, 2], 64);
    expectMemqError(() => open(c.subarray(0, c.length - PAGE)), /truncated Windows bitmap dump/);
    const d = bitmapDump([0], 64);
    d.writeBigUInt64LE(0x100n, 0x2020);
    expectMemqError(() => open(d), /HeaderSize/);
  });

  const triagePath = path.join(IMAGES, 'windows-triage', 'triage_x64.dmp');
  test('triage: pointers outside the file and implausible counts', () => {
    const real = fs.readFileSync(triagePath);
    const mutate = (off: number, v: number) => {
      const b = Buffer.from(real);
      b.writeUInt32LE(v, 0x2000 + off);
      return b;
    };
    expectMemqError(() => open(mutate(0x30, 0x7ffffff0)), /driver list.*outside the file/);
    expectMemqError(() => open(mutate(0x34, 0x7fffffff)), /DriverCount/);
    expectMemqError(() => open(mutate(0x7c, 0x7fffffff)), /DataBlocksCount/);
    expectMemqError(() => open(mutate(0x70, real.length - 8)), /KDDEBUGGER_DATA64.*outside/);
    expectMemqError(() => open(real.subarray(0, 0x100000)), /truncated triage dump/);
  });
  test('fuzz: random corruption of real triage headers gives MemqError or a readable dump', () => {
    const real = fs.readFileSync(triagePath);
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(real);
      for (let j = 0; j < 8; j++) {
        const off = rnd() < 0.5 ? Math.floor(rnd() * 0x80) + 0x2000 : Math.floor(rnd() * 0x1000);
        if (off < 8) continue;
        b.writeUInt32LE(Math.floor(rnd() * 0xffffffff) >>> 0, off & ~3);
      }
      try {
        const m = open(b);
        m.readPhys(0, Buffer.alloc(16), 0, 16);
      } catch (e) {
        expect(e).toBeInstanceOf(MemqError);
      }
    }
  });
});

// Every format of the real dev dumps decodes to the same physical bytes. Reference bytes are read
// straight from a flat image with fs (6.1: the shipped pmemsave raw; 6.12: the raw derived from the
// ELF core by test/support/derive.ts, which parses ELF independently of lib/image). Every RAM page of
// every format is compared; only the VGA window 0xa0000-0xbffff is skipped (the READMEs explain that
// pmemsave shows the bus there while the ELF/kdump/LiME files hold no RAM for it).
import * as fs from 'node:fs';
import * as crypto from 'node:crypto';
import { openDumpFile } from '../../lib/image/open';
import type { PhysicalMemory } from '../../lib/image/physical';
import { dumpPath, type Kernel } from '../support/dumps';
import { derivedDump, systemRam } from '../support/derive';

const VGA = [0xa0000, 0xc0000];
const CHUNK = 1 << 20;

/** Pages of `mem`'s RAM ranges that differ from the reference file (or are unreadable); counts pages. */
function compareAllRam(mem: PhysicalMemory, refPath: string): { pages: number; bad: string[] } {
  const fd = fs.openSync(refPath, 'r');
  const refSize = fs.fstatSync(fd).size;
  const a = Buffer.alloc(CHUNK);
  const b = Buffer.alloc(CHUNK);
  const bad: string[] = [];
  let pages = 0;
  try {
    for (const r of mem.ranges) {
      if (!r.ram) continue;
      for (let p = r.start; p < r.end; ) {
        if (p >= VGA[0] && p < VGA[1]) {
          p = Math.min(r.end, VGA[1]);
          continue;
        }
        let n = Math.min(CHUNK - (p % CHUNK), r.end - p);
        if (p < VGA[0] && p + n > VGA[0]) n = VGA[0] - p;
        if (p + n > refSize) bad.push(`0x${p.toString(16)}: beyond reference image`);
        else {
          fs.readSync(fd, b, 0, n, p);
          const ok = mem.readPhys(p, a, 0, n);
          if (!ok || !a.subarray(0, n).equals(b.subarray(0, n))) {
            for (let q = 0; q < n; q += 4096) {
              const m = Math.min(4096, n - q);
              const pa = Buffer.alloc(m);
              if (!mem.readPhys(p + q, pa, 0, m)) bad.push(`0x${(p + q).toString(16)}: absent`);
              else if (!pa.equals(b.subarray(q, q + m))) bad.push(`0x${(p + q).toString(16)}: differs`);
            }
          }
        }
        pages += Math.ceil(n / 4096);
        p += n;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return { pages, bad: bad.slice(0, 20) };
}

function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  try {
    for (let pos = 0, n; (n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

const RAM_PAGES = (0x8000000 - 0x20000) / 4096; // 128 MiB minus the 128 KiB VGA window

const cases: [Kernel, string, string][] = [
  ['6.1', 'memory.raw.gz', 'raw'],
  ['6.1', 'memory.lime.gz', 'lime'],
  ['6.1', 'memory.elf.gz', 'elf'],
  ['6.1', 'memory.kdump', 'kdump'],
  ['6.1', 'derived:raw', 'raw'],
  ['6.1', 'derived:lime', 'lime'],
  ['6.1', 'derived:avml', 'avml'],
  ['6.12', 'memory.elf.gz', 'elf'],
  ['6.12', 'memory.kdump', 'kdump'],
  ['6.12', 'derived:raw', 'raw'],
  ['6.12', 'derived:lime', 'lime'],
  ['6.12', 'derived:avml', 'avml'],
];

async function filePath(kernel: Kernel, file: string): Promise<string> {
  if (file.startsWith('derived:')) return derivedDump(kernel, file.slice(8) as 'raw' | 'lime' | 'avml');
  return dumpPath(kernel, file);
}

async function reference(kernel: Kernel): Promise<string> {
  return kernel === '6.1' ? dumpPath('6.1', 'memory.raw.gz') : derivedDump('6.12', 'raw');
}

describe.each(cases)('linux-dev %s %s', (kernel, file, format) => {
  let mem: PhysicalMemory;
  beforeAll(async () => {
    mem = await openDumpFile(await filePath(kernel, file));
  });
  afterAll(() => mem?.close());

  test(`is detected as ${format}`, () => {
    expect(mem.format).toBe(format);
  });

  test('covers every System RAM block of iomem with RAM ranges', () => {
    for (const [start, end] of systemRam(kernel)) {
      const covered = mem.ranges.some((r) => r.ram && r.start <= start && end <= r.end);
      expect(covered ? 'covered' : `0x${start.toString(16)}-0x${end.toString(16)} not covered`).toBe('covered');
    }
  });

  test('every RAM page equals the reference image (VGA window excepted)', async () => {
    const { pages, bad } = compareAllRam(mem, await reference(kernel));
    expect(bad).toEqual([]);
    // LiME/AVML hold only System RAM (0x1000-0x9fbff, 0x100000-0x7fdffff); the others all 128 MiB
    expect(pages).toBeGreaterThanOrEqual(format === 'lime' || format === 'avml' ? 0x7ee0 : RAM_PAGES);
  });

  if (format === 'elf' || format === 'kdump') {
    test('QEMU device blocks are present but not RAM; CR3 hint from the QEMU note', () => {
      expect(mem.ranges.filter((r) => !r.ram)).toEqual([
        { start: 0xfd000000, end: 0xfe000000, ram: false },
        { start: 0xfffc0000, end: 0x100000000, ram: false },
      ]);
      expect(mem.hints?.cr3?.length).toBe(1);
      expect(mem.hints!.cr3![0] % 4096).toBe(0);
      expect(mem.hints?.vmcoreinfo).toBeUndefined(); // README: the guest had no vmcoreinfo device
    });
  }
  if (format === 'kdump') {
    test('header facts match the README', () => {
      expect(mem.info['kdump.header_version']).toBe(6);
      expect(mem.info['kdump.block_size']).toBe(4096);
      expect(mem.info['kdump.max_mapnr']).toBe(1048576);
      expect(mem.info['kdump.dumpable_pages']).toBe(36896);
    });
  }
});

describe('derived files', () => {
  test('LiME derived from the 6.1 ELF core is byte-identical to the shipped LiME (README sha256)', async () => {
    expect(sha256File(await derivedDump('6.1', 'lime'))).toBe('8c3010017fe6220f26c3d5f2b99483a0d798f7791cc5bcc5babfae803a20413e');
  });
  test('ELF and kdump of 6.12 agree on the CR3 hint', async () => {
    const e = await openDumpFile(await dumpPath('6.12', 'memory.elf.gz'));
    const k = await openDumpFile(await dumpPath('6.12', 'memory.kdump'));
    expect(k.hints?.cr3).toEqual(e.hints?.cr3);
    e.close();
    k.close();
  });
});

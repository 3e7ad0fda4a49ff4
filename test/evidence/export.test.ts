// `memq dump` exports on the real dev (6.1, 6.12) and rootkit-dev dumps: a process's regions match its
// ground-truth /proc/PID/maps and memory byte for byte (holes are pages memory lacks, zero-filled),
// the executable rebuilt from memory is a valid ELF whose bytes at each mapped file offset are the
// pages the process maps there, page-cache files (bash history, the rootkit's hidden loot.txt) carry
// the content / size the guest recorded, and the manifest's sha256 and provenance hold.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux/index';
import { exportEvidence, type Manifest } from '../../lib/evidence/export';
import { MemqError } from '../../lib/util/errors';
import { cachedFile } from '../../lib/os/linux/page-cache';
import { IMAGES } from '../support/dumps';

jest.setTimeout(600_000);

interface GtMap { start: string; end: string; perms: string; offset: string; path?: string }
interface GtProc { pid: number; comm: string; exe: string; maps: GtMap[] }

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'memq-export-'));

describe.each([
  ['linux-dev', 'cc5b0398196f0281dd7069f4acf57f777c38b6479280bee8954267d7a6141964'],
  ['linux-dev-rootkit', '4dcc3268765cc1c197664a2ef70cd6985cc974dd37851a47064c3888473d5865'],
  ['linux-dev-6.12', 'e322c25b5f930ddd58c2f237147cb502a027d743c6993a6f0fec0ff5993642da'],
])('%s memory.kdump', (dir, dumpSha) => {
  const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, dir, 'ground-truth.json'), 'utf8'));
  const dump = path.join(IMAGES, dir, 'memory.kdump');
  const agetty = (gt.processes as GtProc[]).find((p) => p.pid === gt.roles.agetty)!;
  const nc = (gt.processes as GtProc[]).find((p) => p.pid === gt.roles.nc_listener)!;
  let eng: LinuxEngine;
  let out: string;
  let m: Manifest;
  beforeAll(async () => {
    eng = (await openDump(dump)) as unknown as LinuxEngine;
    out = path.join(tmp(), 'ev');
    m = exportEvidence(eng, dump, { out, pids: [agetty.pid, nc.pid], files: [gt.shell_history.histfile], regions: true, images: true });
  });
  afterAll(() => {
    eng?.mem.close();
    if (out) fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });

  test('manifest: the dump identity (sha256 as its README), kernel facts, and every file hashed as written', () => {
    expect(m.dump.sha256).toBe(dumpSha);
    expect(m.dump.size).toBe(fs.statSync(dump).size);
    expect(m.snapshot.kernel_version).toBe(gt.kernel.release);
    expect(m.items.length).toBeGreaterThan(3);
    for (const it of m.items) {
      const b = fs.readFileSync(path.join(out, it.path));
      expect([it.path, sha(b), b.length]).toEqual([it.path, it.sha256, it.size]);
      for (const [off, len] of it.holes) expect(b.subarray(off, off + len).every((x) => x === 0)).toBe(true);
      expect(it.present_bytes + it.holes.reduce((n, [, l]) => n + l, 0)).toBe(it.size);
    }
  });

  test('regions and map.json: the VMAs of /proc/PID/maps; present bytes are memory, holes are pages memory lacks', () => {
    for (const p of [agetty, nc]) {
      const map = JSON.parse(fs.readFileSync(path.join(out, `pid-${p.pid}/map.json`), 'utf8')) as { start: string; end: string; protection: string; page_offset: number; export: string; holes: [number, number][] }[];
      // [vsyscall] is not a VMA (gate area), as in memq maps
      const want = p.maps.filter((x) => x.path !== '[vsyscall]').map((x) => [BigInt(x.start), BigInt(x.end), x.perms, Number(BigInt(x.offset))]);
      expect(map.map((r) => [BigInt(r.start), BigInt(r.end), r.protection, r.page_offset])).toEqual(want);
      const t = eng.ctx.tasks().find((x) => x.pid === p.pid)!;
      const space = eng.ctx.userSpace(t)!;
      for (const r of map) {
        const b = fs.readFileSync(path.join(out, r.export));
        const start = BigInt(r.start);
        expect(b.length).toBe(Number(BigInt(r.end) - start));
        const holes = new Set(r.holes.flatMap(([o, l]) => Array.from({ length: l / 4096 }, (_, i) => o + i * 4096)));
        for (let off = 0; off < b.length; off += 4096) {
          const mem = space.read(start + BigInt(off), 4096);
          if (holes.has(off)) expect(mem).toBeNull();
          else expect(mem!.equals(b.subarray(off, off + 4096))).toBe(true);
        }
      }
    }
  });

  test("the executable rebuilt from memory: valid ELF header, and the process's read-only mapped pages at their file offsets", () => {
    for (const p of [agetty, nc]) {
      const img = m.items.find((i) => i.kind === 'image' && i.process_id === p.pid && i.path.includes('/images/exe/'))!;
      expect(img.source).toBe(p.exe);
      const b = fs.readFileSync(path.join(out, img.path));
      expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect([b[4], b[5], b.readUInt16LE(0x12)]).toEqual([2, 1, 62]); // ELF64, little-endian, EM_X86_64
      // program headers inside the file; every PT_LOAD's file range within the file size
      const phoff = Number(b.readBigUInt64LE(0x20));
      const phnum = b.readUInt16LE(0x38);
      expect(phoff + phnum * 56).toBeLessThanOrEqual(b.length);
      for (let i = 0; i < phnum; i++) {
        const ph = phoff + i * 56;
        if (b.readUInt32LE(ph) === 1) expect(Number(b.readBigUInt64LE(ph + 8) + b.readBigUInt64LE(ph + 32))).toBeLessThanOrEqual(b.length);
      }
      const t = eng.ctx.tasks().find((x) => x.pid === p.pid)!;
      const space = eng.ctx.userSpace(t)!;
      // the file's page-cache frames (inode of the exe): a process page on one of them is the file's own page;
      // a read-only page on another frame is a copy-on-write copy (RELRO: relocated, then made read-only)
      const inode = BigInt(img.object_address!);
      const cacheFrames = new Set(cachedFile(eng.ctx, inode, 1 << 30).pages.values());
      let compared = 0;
      for (const x of p.maps.filter((x) => x.path === p.exe && !x.perms.includes('w'))) {
        for (let va = BigInt(x.start); va < BigInt(x.end); va += 4096n) {
          const fileOff = Number(BigInt(x.offset) + (va - BigInt(x.start)));
          const mem = space.read(va, 4096);
          const pa = space.translate(va);
          if (!mem || pa === null || fileOff >= b.length) continue;
          if (!cacheFrames.has(pa)) {
            expect(x.perms).toBe('r--p'); // code pages are never copied
            continue;
          }
          const n = Math.min(4096, b.length - fileOff);
          // page 0 may carry the header fix-up (section header fields)
          if (fileOff === 0) expect(mem.subarray(0x40, n).equals(b.subarray(0x40, n))).toBe(true);
          else expect(mem.subarray(0, n).equals(b.subarray(fileOff, fileOff + n))).toBe(true);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(0);
    }
  });

  test("bash history from the page cache: the guest's shell_history, byte for byte as bash writes it", () => {
    const it = m.items.find((i) => i.kind === 'page_cache_file')!;
    expect(it.source).toBe(gt.shell_history.histfile);
    const want = (gt.shell_history.entries as { timestamp: number; command: string }[]).map((e) => `#${e.timestamp}\n${e.command}\n`).join('');
    expect(fs.readFileSync(path.join(out, it.path), 'utf8')).toBe(want);
  });

  test('exports refuse a non-empty output directory and an uncached path', () => {
    expect(() => exportEvidence(eng, dump, { out, pids: [agetty.pid], files: [], regions: true, images: false })).toThrow(/not empty/);
    const o2 = path.join(tmp(), 'ev');
    try {
      expect(() => exportEvidence(eng, dump, { out: o2, pids: [], files: ['/no/such/memq-file'], regions: true, images: true })).toThrow(MemqError);
    } finally {
      fs.rmSync(path.dirname(o2), { recursive: true, force: true });
    }
  });
});

test("rootkit-dev: the hidden /var/tmp/.memq-rk-dev/loot.txt exports from the page cache with the size the guest's stat printed", async () => {
  const dir = path.join(IMAGES, 'linux-dev-rootkit');
  const gt = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
  const stat = (gt.rootkit.raw.hidden_paths_stat as string).split('\n').find((l) => l.endsWith(' /var/tmp/.memq-rk-dev/loot.txt'))!;
  const size = Number(stat.trim().split(/\s+/)[4]);
  const eng = (await openDump(path.join(dir, 'memory.kdump'))) as unknown as LinuxEngine;
  const out = path.join(tmp(), 'ev');
  try {
    const m = exportEvidence(eng, path.join(dir, 'memory.kdump'), { out, pids: [], files: ['/var/tmp/.memq-rk-dev/loot.txt'], regions: false, images: false });
    expect(m.items.map((i) => [i.kind, i.size, i.present_bytes, i.holes])).toEqual([['page_cache_file', size, size, []]]);
    expect(fs.readFileSync(path.join(out, m.items[0].path), 'utf8')).toMatch(/^[\x20-\x7e\n]+$/);
  } finally {
    eng.mem.close();
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});

test("dev: --open-files exports syslogd's open /var/log/messages (its fd as /proc/PID/fd showed it) from the page cache", async () => {
  const dir = path.join(IMAGES, 'linux-dev');
  const gt = JSON.parse(fs.readFileSync(path.join(dir, 'ground-truth.json'), 'utf8'));
  const syslogd = (gt.processes as { pid: number; fds: Record<string, string> }[]).find((p) => p.pid === gt.roles.syslogd)!;
  // the regular files it has open, as the guest listed them (sockets, pipes and /dev are not page-cache files)
  const want = Object.entries(syslogd.fds).filter(([, t]) => t.startsWith('/') && !t.startsWith('/dev/')).map(([fd, t]) => [Number(fd), t]);
  expect(want.length).toBeGreaterThan(0);
  const eng = (await openDump(path.join(dir, 'memory.kdump'))) as unknown as LinuxEngine;
  const out = path.join(tmp(), 'ev');
  try {
    const m = exportEvidence(eng, path.join(dir, 'memory.kdump'), { out, pids: [syslogd.pid], files: [], regions: false, images: false, openFiles: true });
    expect(m.items.map((i) => [Number(i.path.split('/')[2]), i.source])).toEqual(want);
    for (const it of m.items) {
      expect([it.kind, it.process_id, it.holes]).toEqual(['page_cache_file', syslogd.pid, []]);
      // a syslog written by this guest: its hostname, and the BusyBox version the README names
      const text = fs.readFileSync(path.join(out, it.path), 'utf8');
      expect(text).toContain(' memq-dev ');
      expect(text).toContain('syslogd started: BusyBox v1.35.0');
    }
  } finally {
    eng.mem.close();
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
});

// `memq dump` exports on the real dev dumps (6.1, 6.12) and the rootkit-dev images of both kernels (6.1
// shipped, 6.12 generated: test/support/rootkit-images.ts): a process's regions match its ground-truth
// /proc/PID/maps and memory byte for byte (holes are pages memory lacks, zero-filled), the executable
// rebuilt from memory is a valid ELF whose bytes at each mapped file offset are the pages the process
// maps there, page-cache files (bash history, syslogd's log, the rootkit's hidden files) carry the
// content / size / inode the guest recorded, and the manifest's sha256 and provenance hold.
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
import { rootkitImage, rootkitKernels, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitGroundTruth, type RootkitKernel } from '../support/rootkit-images';
import { lookupPath } from '../../lib/os/linux/page-cache';

jest.setTimeout(600_000);

interface GtMap { start: string; end: string; perms: string; offset: string; inode?: number; path?: string }
interface GtProc { pid: number; comm: string; exe: string; maps: GtMap[]; fds?: Record<string, string> }

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'memq-export-'));

/** each VMA export and map.json equal the ground-truth /proc/PID/maps; present bytes are memory, holes pages memory lacks */
function checkRegions(eng: LinuxEngine, out: string, procs: GtProc[]): void {
  for (const p of procs) {
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
}

/**
 * `file` (the file's bytes in file layout) against the pages `p` maps from it read-only, at their
 * ground-truth /proc/PID/maps file offsets: a page on one of the inode's page-cache frames is the
 * file's own page and must equal the file at that offset (page 0 from 0x40: the ELF header fix-up);
 * a read-only page on another frame is a copy-on-write copy (RELRO). Returns the pages compared.
 */
function compareMappedPages(eng: LinuxEngine, p: GtProc, mappedPath: string, inode: bigint, b: Buffer): number {
  const t = eng.ctx.tasks().find((x) => x.pid === p.pid)!;
  const space = eng.ctx.userSpace(t)!;
  const cacheFrames = new Set(cachedFile(eng.ctx, inode, 1 << 30).pages.values());
  let compared = 0;
  for (const x of p.maps.filter((x) => x.path === mappedPath && !x.perms.includes('w'))) {
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
      if (fileOff === 0) expect(mem.subarray(0x40, n).equals(b.subarray(0x40, n))).toBe(true);
      else expect(mem.subarray(0, n).equals(b.subarray(fileOff, fileOff + n))).toBe(true);
      compared++;
    }
  }
  return compared;
}

/** the executable rebuilt from memory: valid ELF64 x86-64 whose program headers lie within it, equal to the mapped file pages */
function checkImages(eng: LinuxEngine, out: string, m: Manifest, procs: GtProc[]): void {
  for (const p of procs) {
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
    expect(compareMappedPages(eng, p, p.exe, BigInt(img.object_address!), b)).toBeGreaterThan(0);
  }
}

/** the manifest: the dump identity, kernel facts, and every file hashed as written with its holes zero */
function checkManifest(m: Manifest, out: string, dump: string, dumpSha: string, release: unknown): void {
  expect(m.dump.sha256).toBe(dumpSha);
  expect(m.dump.size).toBe(fs.statSync(dump).size);
  expect(m.snapshot.kernel_version).toBe(release);
  expect(m.items.length).toBeGreaterThan(3);
  for (const it of m.items) {
    const b = fs.readFileSync(path.join(out, it.path));
    expect([it.path, sha(b), b.length]).toEqual([it.path, it.sha256, it.size]);
    for (const [off, len] of it.holes) expect(b.subarray(off, off + len).every((x) => x === 0)).toBe(true);
    expect(it.present_bytes + it.holes.reduce((n, [, l]) => n + l, 0)).toBe(it.size);
  }
}

describe.each([
  ['linux-dev', 'cc5b0398196f0281dd7069f4acf57f777c38b6479280bee8954267d7a6141964'],
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
    checkManifest(m, out, dump, dumpSha, gt.kernel.release);
  });

  test('regions and map.json: the VMAs of /proc/PID/maps; present bytes are memory, holes are pages memory lacks', () => {
    checkRegions(eng, out, [agetty, nc]);
  });

  test("the executable rebuilt from memory: valid ELF header, and the process's read-only mapped pages at their file offsets", () => {
    checkImages(eng, out, m, [agetty, nc]);
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

/** the dump's sha256 as the image README's file table gives it */
function readmeSha(dir: string): string {
  const m = fs.readFileSync(path.join(dir, 'README.md'), 'utf8').match(/^\| `memory\.kdump` \| \d+ \| `([0-9a-f]{64})` \|/m);
  if (!m) throw new Error(`${dir}/README.md lists no memory.kdump sha256`);
  return m[1];
}

/** the rootkit's hidden files as the guest's stat printed them (path → size) */
function hiddenFiles(gt: RootkitGroundTruth): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of ((gt.rootkit.raw as Record<string, string>).hidden_paths_stat ?? '').split('\n')) {
    const f = l.trim().split(/\s+/);
    if (f[0]?.startsWith('-')) out.set(f[f.length - 1], Number(f[4]));
  }
  return out;
}

describe.each(rootkitKernels)('rootkit-dev %s memory.kdump', (kernel: RootkitKernel) => {
  let gt: RootkitGroundTruth;
  let dir: string;
  let dump: string;
  let procs: Map<number, GtProc>;
  let eng: LinuxEngine;
  let out: string;
  let m: Manifest;
  let hidden: Map<string, number>;
  const proc = (role: string) => procs.get(gt.roles[role])!;
  beforeAll(async () => {
    const img = await rootkitImage(kernel);
    ({ dir, kdump: dump } = img);
    gt = img.groundTruth;
    procs = new Map((gt.processes as unknown as GtProc[]).map((p) => [p.pid, p]));
    hidden = hiddenFiles(gt);
    eng = (await openDump(dump)) as unknown as LinuxEngine;
    out = path.join(tmp(), 'ev');
    const history = (gt as { shell_history?: { histfile: string } }).shell_history;
    m = exportEvidence(eng, dump, {
      out,
      pids: [gt.roles.nc_listener, gt.roles.hidden_proc, gt.roles.syslogd],
      files: [...hidden.keys(), ...(history ? [history.histfile] : [])],
      regions: true,
      images: true,
      openFiles: true,
    });
  }, ROOTKIT_IMAGE_TIMEOUT_MS);
  afterAll(() => {
    eng?.mem.close();
    if (out) fs.rmSync(path.dirname(out), { recursive: true, force: true });
  });

  test('manifest: the dump identity (sha256 as its README), kernel facts, and every file hashed as written', () => {
    checkManifest(m, out, dump, readmeSha(dir), gt.kernel.release);
  });

  test("regions and map.json of the nc listener and of the process the rootkit hides: their /proc/PID/maps, memory byte for byte", () => {
    checkRegions(eng, out, [proc('nc_listener'), proc('hidden_proc'), proc('syslogd')]);
  });

  test("the hidden process's executable and nc's, rebuilt from memory: valid ELF, the mapped pages at their file offsets", () => {
    checkImages(eng, out, m, [proc('nc_listener'), proc('hidden_proc')]);
  });

  test("the rootkit's hidden files from the page cache: every regular file the guest stat'ed, at its size, nothing missing (an initramfs file lives only in the cache)", () => {
    expect(hidden.size).toBe(3); // loot.txt, rkd, .memq-rk-notes
    for (const [file, size] of hidden) {
      const it = m.items.find((i) => i.kind === 'page_cache_file' && i.source === file)!;
      expect([file, it.path, it.size, it.present_bytes, it.holes]).toEqual([file, `page-cache${file}`, size, size, []]);
    }
    for (const f of ['/var/tmp/.memq-rk-dev/loot.txt', '/tmp/.memq-rk-notes']) expect(fs.readFileSync(path.join(out, `page-cache${f}`), 'latin1')).toMatch(/^[\x20-\x7e]+\n$/);
  });

  test('loot.txt holds the line the build found in RAM (6.12 build checks; 6.1: printable text only, above)', () => {
    const marker = ((gt.rootkit.checks ?? []) as { name: string }[]).map((c) => c.name.match(/^marker "(memq-rk loot:[^"]*)" in RAM$/)?.[1]).find(Boolean);
    const text = fs.readFileSync(path.join(out, 'page-cache/var/tmp/.memq-rk-dev/loot.txt'), 'latin1');
    if (kernel === '6.1') expect(marker).toBeUndefined();
    else expect(text).toBe(`${marker}\n`);
  });

  test("the hidden rkd binary from the page cache: its inode as /proc/PID/maps showed it, and the hidden process's mapped pages at their file offsets", () => {
    const p = proc('hidden_proc');
    const inode = lookupPath(eng.ctx, p.exe);
    const exeMap = p.maps.find((x) => x.path === p.exe)!;
    expect(cachedFile(eng.ctx, inode, 1 << 30).ino).toBe(exeMap.inode);
    const it = m.items.find((i) => i.kind === 'page_cache_file' && i.source === p.exe)!;
    expect(BigInt(it.object_address!)).toBe(inode);
    const b = fs.readFileSync(path.join(out, it.path));
    expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(compareMappedPages(eng, p, p.exe, inode, b)).toBeGreaterThan(0);
    // the same bytes as the executable rebuilt for the process (page cache first in both)
    const img = m.items.find((i) => i.kind === 'image' && i.process_id === p.pid && i.path.includes('/images/exe/'))!;
    expect(img.sha256).toBe(it.sha256);
  });

  test("--open-files: syslogd's /var/log/messages (its fd as /proc/PID/fd showed it), written by this guest's syslogd", () => {
    const p = proc('syslogd');
    const want = Object.entries(p.fds!).filter(([, t]) => t.startsWith('/') && !t.startsWith('/dev/')).map(([fd, t]) => [Number(fd), t]);
    expect(want.length).toBeGreaterThan(0);
    const items = m.items.filter((i) => i.kind === 'page_cache_file' && i.process_id === p.pid);
    expect(items.map((i) => [Number(i.path.split('/')[2]), i.source])).toEqual(want);
    for (const it of items) {
      const text = fs.readFileSync(path.join(out, it.path), 'utf8');
      expect(text).toContain(` ${(gt as unknown as { hostname: string }).hostname} `);
      expect(text).toContain('syslogd started: BusyBox v1.35.0');
    }
  });

  test("bash history from the page cache, where the image has one (6.1: the guest's shell_history byte for byte)", () => {
    const history = (gt as { shell_history?: { histfile: string; entries: { timestamp: number; command: string }[] } }).shell_history;
    const it = m.items.find((i) => i.kind === 'page_cache_file' && i.source.endsWith('history'));
    if (!history) {
      expect(kernel).toBe('6.12'); // the 6.12 scenario types no shell history (its README)
      expect(it).toBeUndefined();
      return;
    }
    expect(it!.source).toBe(history.histfile);
    expect(fs.readFileSync(path.join(out, it!.path), 'utf8')).toBe(history.entries.map((e) => `#${e.timestamp}\n${e.command}\n`).join(''));
  });
});

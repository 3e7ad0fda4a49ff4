// The same arm64 memory as raw, LiME and an EM_AARCH64 ELF core (derived from the kdump as the image
// README describes): each is recognised as arm64 (ELF by e_machine; raw and LiME, which carry no
// architecture, by VMCOREINFO's arm64 numbers) and gives the ground-truth process table. The raw form
// with VMCOREINFO wiped has neither a header word nor the note: the architecture then comes from the
// kallsyms table found by scanning, and every layout fact is derived (arm64-scan.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDump, openEngine } from '../../lib/os/open';
import { openDumpFile } from '../../lib/image/open';
import { scanRam } from '../../lib/image/physical';
import { OverlayMemory } from '../support/overlay';
import { IMAGES } from '../support/dumps';
import { arm64Form, type Arm64Form } from './gen/arm64-forms';

jest.setTimeout(600_000);

const DIR = path.join(IMAGES, 'linux-dev-arm64');
const gt = JSON.parse(fs.readFileSync(path.join(DIR, 'ground-truth.json'), 'utf8'));
const ram: [number, number][] = (gt.iomem as { depth: number; start: string; end: string; name: string }[])
  .filter((r) => r.depth === 0 && r.name === 'System RAM')
  .map((r) => [Number(BigInt(r.start)), Number(BigInt(r.end)) + 1]);

test('the derived LiME file is byte for byte the one the README describes (sha256)', () => {
  const file = arm64Form(path.join(DIR, 'memory.kdump'), ram, 'lime');
  expect(crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe('e5b25df315cad750e4f24ce846ac598dfbb0844c5ead5a90f7624963d97dfe1a');
});

describe.each(['raw', 'lime', 'elf'] as Arm64Form[])('arm64 dev memory as %s', (form) => {
  test('recognised as arm64 with the guest facts, and ps matches ground truth', async () => {
    const eng = await openDump(arm64Form(path.join(DIR, 'memory.kdump'), ram, form));
    try {
      const info = eng.info();
      expect(info.arch).toBe('arm64');
      expect(info['source.arch']).toMatch(form === 'elf' ? /^arm64: ELF e_machine 183 \(EM_AARCH64\)$/ : /^arm64: VMCOREINFO has NUMBER\(kimage_voffset\)$/);
      expect(BigInt(info.kimage_voffset as string)).toBe(BigInt(gt.kernel.arm64.kimage_voffset));
      expect(BigInt(info.dtb as string)).toBe(BigInt(gt.kernel.arm64.swapper_pg_dir_phys));
      const rows = eng.extract('process');
      const mine = rows.map((r) => [r.process_id, r.parent_process_id, r.name]).sort((a, b) => (a[0] as number) - (b[0] as number));
      const want = (gt.processes as { pid: number; ppid: number; task_comm: string }[]).map((p) => [p.pid, p.ppid, p.task_comm]).sort((a, b) => (a[0] as number) - (b[0] as number));
      expect(mine).toEqual(want);
    } finally {
      eng.mem.close();
    }
  });
});

test('raw arm64 memory without VMCOREINFO: arch from scanned kallsyms, layout facts derived and equal the guest\'s, ps matches ground truth', async () => {
  const ov = new OverlayMemory(await openDumpFile(arm64Form(path.join(DIR, 'memory.kdump'), ram, 'raw')));
  try {
    const mark = Buffer.from('OSRELEASE=');
    let wiped = 0;
    for (const [base, chunk] of scanRam(ov.inner)) {
      for (let i = chunk.indexOf(mark); i >= 0; i = chunk.indexOf(mark, i + 1)) {
        ov.write(base + i, Buffer.from('X'));
        wiped++;
      }
    }
    expect(wiped).toBeGreaterThan(0);
    expect(ov.hints?.arch).toBeUndefined();
    const eng = openEngine(ov);
    const info = eng.info();
    const a64 = gt.kernel.arm64;
    expect(info.arch).toBe('arm64');
    expect(info['source.arch']).toMatch(/^arm64: kernel text at 0xffffba65e6010000 in kallsyms found by scanning RAM/);
    expect(info['source.vmcoreinfo']).toMatch(/^not found in RAM/);
    expect(BigInt(info.kaslr_shift as string)).toBe(BigInt(gt.kernel.kaslr.virt_offset));
    expect(info.va_bits).toBe(a64.va_bits);
    expect(BigInt(info.phys_offset as string)).toBe(BigInt(a64.phys_offset));
    expect(BigInt(info.kimage_voffset as string)).toBe(BigInt(a64.kimage_voffset));
    expect(BigInt(info.dtb as string)).toBe(BigInt(a64.swapper_pg_dir_phys));
    expect(info.kernel_version).toBe(gt.kernel.release);
    const rows = eng.extract('process');
    const mine = rows.map((r) => [r.process_id, r.parent_process_id, r.name, r.argv]).sort((a, b) => (a[0] as number) - (b[0] as number));
    const want = (gt.processes as { pid: number; ppid: number; task_comm: string; cmdline: string[] }[]).map((p) => [p.pid, p.ppid, p.task_comm, p.cmdline]).sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(mine).toEqual(want);
  } finally {
    ov.close();
  }
});

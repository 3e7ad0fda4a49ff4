// The CPU architecture a dump header names (issue #18): ELF e_machine, kdump utsname.machine, or —
// QEMU writes "Unknown" there — the kdump's CPU notes (NT_PRSTATUS size, NT_ARM_SVE).
import { makeElfCore, note } from './gen/elf';
import { makeKdump } from './gen/kdump';
import { openBuffer } from './helpers';

const page = Buffer.alloc(4096, 0x5a);
const prstatus = (size: number) => note({ name: 'CORE', type: 1, desc: Buffer.alloc(size) });

describe('architecture from the dump header', () => {
  test('kdump: a 392-byte NT_PRSTATUS is AArch64, a 336-byte one x86-64; NT_ARM_SVE is AArch64', () => {
    const arm = openBuffer(makeKdump([{ pfn: 1, data: page }], { maxMapnr: 64, notes: prstatus(392) }));
    expect(arm.hints?.arch).toBe('arm64');
    expect(arm.info['kdump.arch']).toBe('arm64 (kdump CPU notes (392-byte AArch64 NT_PRSTATUS))');
    const x86 = openBuffer(makeKdump([{ pfn: 1, data: page }], { maxMapnr: 64, notes: prstatus(336) }));
    expect(x86.hints?.arch).toBe('x86_64');
    const sve = openBuffer(makeKdump([{ pfn: 1, data: page }], { maxMapnr: 64, notes: note({ name: 'LINUX', type: 0x405, desc: Buffer.alloc(16) }) }));
    expect(sve.hints?.arch).toBe('arm64');
    const blank = makeKdump([{ pfn: 1, data: page }], { maxMapnr: 64 });
    blank.write('Unknown\0', 12 + 4 * 65, 'latin1'); // what QEMU writes: no notes, no machine → no word
    expect(openBuffer(blank).hints?.arch).toBeUndefined();
  });

  test('kdump: utsname.machine "aarch64" in the header', () => {
    const buf = makeKdump([{ pfn: 1, data: page }], { maxMapnr: 64 });
    buf.write('aarch64\0', 12 + 4 * 65, 'latin1'); // new_utsname.machine
    const mem = openBuffer(buf);
    expect(mem.hints?.arch).toBe('arm64');
    expect(mem.hints?.archSource).toBe('kdump header utsname.machine "aarch64"');
  });

  test('ELF core: e_machine 183 (EM_AARCH64) and 62 (EM_X86_64)', () => {
    const buf = makeElfCore([{ paddr: 0x4000_0000, data: page }]);
    expect(openBuffer(buf).hints?.arch).toBe('x86_64');
    buf.writeUInt16LE(183, 18);
    const mem = openBuffer(buf);
    expect(mem.hints?.arch).toBe('arm64');
    expect(mem.info['elf.arch']).toBe('arm64 (ELF e_machine 183 (EM_AARCH64))');
  });
});

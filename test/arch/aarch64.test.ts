import { Aarch64Space, checkAarch64Layout } from '../../lib/arch/aarch64';
import { MemqError } from '../../lib/util/errors';
import { CONTIGUOUS, SparseMemory, TableBuilder } from './aarch64-tables';

const GiB = 1 << 30;
const K = 0xffff_8000_0000_0000n; // a kernel-half (TTBR1) VA
const U = 0x0000_aaaa_bbbb_c000n; // a user-half (TTBR0) VA

function world() {
  const mem = new SparseMemory(16 * GiB);
  const kernel = new TableBuilder(mem, 0x4185_8000, 0x5000_0000);
  const user = new TableBuilder(mem, 0x434a_7000, 0x6000_0000);
  return { mem, kernel, user };
}

describe('AArch64 4 KiB / 48-bit translation', () => {
  test('4 KiB pages through all four levels, attributes and contiguous hint ignored', () => {
    const { mem, kernel } = world();
    kernel.page(K + 0x1000n, 0x4021_0000);
    kernel.page(K + 0x2000n, 0x3_0000_5000, CONTIGUOUS); // PA above 4 GiB: bits 47:32 from the high word
    const s = new Aarch64Space(mem, { ttbr1: kernel.root });
    expect(s.translate(K + 0x1234n)).toBe(0x4021_0234);
    expect(s.translate(K + 0x2ffcn)).toBe(0x3_0000_5ffc);
    expect(s.translate(K + 0x3000n)).toBeNull(); // invalid L3 entry
    expect(s.translate(K + 0x4000_0000n)).toBeNull(); // no L2 table there
  });

  test('block descriptors at level 1 (1 GiB) and level 2 (2 MiB)', () => {
    const { mem, kernel } = world();
    kernel.block(0xffff_0000_0000_0000n, 0x4000_0000, 1);
    kernel.block(0xffff_0000_4020_0000n, 0x4660_0000, 2);
    const s = new Aarch64Space(mem, { ttbr1: kernel.root });
    expect(s.translate(0xffff_0000_0000_0000n)).toBe(0x4000_0000);
    expect(s.translate(0xffff_0000_3fff_fff8n)).toBe(0x7fff_fff8);
    expect(s.translate(0xffff_0000_4020_0010n)).toBe(0x4660_0010);
    expect(s.translate(0xffff_0000_403f_ffffn)).toBe(0x467f_ffff);
    expect(s.translate(0xffff_0000_4040_0000n)).toBeNull();
  });

  test('reserved encodings fault: block at L0, 0b01 at L3', () => {
    const { mem, kernel } = world();
    const s0 = new TableBuilder(mem, 0x7000_0000, 0x7100_0000);
    s0.raw(K, 0, 0x4000_0000n | 1n); // "block" at L0 does not exist with a 4 KiB granule
    kernel.raw(K + 0x5000n, 3, 0x4000_5000n | 1n);
    expect(new Aarch64Space(mem, { ttbr1: s0.root }).translate(K)).toBeNull();
    expect(new Aarch64Space(mem, { ttbr1: kernel.root }).translate(K + 0x5000n)).toBeNull();
  });

  test('TTBR1 serves the kernel half, TTBR0 (mm->pgd) the user half; ASID and CnP are masked off', () => {
    const { mem, kernel, user } = world();
    kernel.page(K, 0x4100_0000);
    user.page(U, 0x4200_0000);
    const ttbr1 = (0xen << 48n) | BigInt(kernel.root) | 1n; // ASID 0xe, CnP
    const k = new Aarch64Space(mem, { ttbr1 });
    expect(k.translate(K + 8n)).toBe(0x4100_0008);
    expect(k.translate(U)).toBeNull(); // no user root
    const p = k.withUserRoot(user.root);
    expect(p.translate(U + 0x10n)).toBe(0x4200_0010);
    expect(p.translate(K + 8n)).toBe(0x4100_0008);
    // each root only serves its half: the same L0 index in the other half is not mapped
    expect(p.translate(U | 0xffff_0000_0000_0000n)).toBeNull();
    expect(p.translate(0x0001_0000_0000_0000n)).toBeNull(); // non-canonical
    expect(p.translate(0xfff0_8000_0000_0000n)).toBeNull();
  });

  test('reads span pages; mappings enumerate both halves in VA order', () => {
    const { mem, kernel, user } = world();
    kernel.page(K, 0x4100_3000);
    kernel.page(K + 0x1000n, 0x4100_1000);
    kernel.block(0xffff_0000_0020_0000n, 0x4020_0000, 2);
    user.page(U, 0x4200_0000);
    mem.write(0x4100_3ffe, Buffer.from('ab'));
    mem.write(0x4100_1000, Buffer.from('cd'));
    const s = new Aarch64Space(mem, { ttbr1: kernel.root, ttbr0: user.root });
    expect(s.read(K + 0xffen, 4)?.toString()).toBe('abcd');
    expect(s.read(K + 0x1ffen, 4)).toBeNull(); // runs into an unmapped page
    const m = [...s.mappings(0n, 0xffff_ffff_ffff_ffffn)];
    expect(m.map((x) => [x.va.toString(16), x.pa.toString(16), x.size])).toEqual([
      [U.toString(16), '42000000', 4096],
      ['ffff000000200000', '40200000', 2 << 20],
      [K.toString(16), '41003000', 4096],
      [(K + 0x1000n).toString(16), '41001000', 4096],
    ]);
    expect([...s.mappings(K, K + 0x1000n)].length).toBe(1);
    expect([...s.mappings(0n, 0xffff_ffff_ffff_ffffn, 2)].length).toBe(2);
  });

  test('other granules and VA sizes are refused with a clear message', () => {
    const { mem } = world();
    expect(() => checkAarch64Layout(48, 4096)).not.toThrow();
    expect(() => new Aarch64Space(mem, { ttbr1: 0, pageSize: 16384 })).toThrow('AArch64: 16 KiB translation granule not supported yet (only 4 KiB pages)');
    expect(() => new Aarch64Space(mem, { ttbr1: 0, pageSize: 65536 })).toThrow('AArch64: 64 KiB translation granule');
    expect(() => new Aarch64Space(mem, { ttbr1: 0, vaBits: 39 })).toThrow('AArch64: 39-bit virtual addresses not supported yet (only 48-bit VA, 4-level tables)');
    expect(() => new Aarch64Space(mem, { ttbr1: 0, vaBits: 52 })).toThrow(MemqError);
  });
});

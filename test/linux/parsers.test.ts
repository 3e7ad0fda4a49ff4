// Unit tests of the profile-free parsers on fixtures generated from their documented layouts
// (test/linux/gen): BTF, kallsyms, VMCOREINFO — plus a fuzz test that mutates fixtures thousands of
// times: the parsers must either succeed or throw MemqError, within a time bound.
import { Btf } from '../../lib/symbols/btf';
import { decodeKallsyms } from '../../lib/symbols/kallsyms';
import { parseVmcoreInfo } from '../../lib/symbols/vmcoreinfo';
import { MemqError } from '../../lib/util/errors';
import { buildBtf, type GenType } from './gen/btf-gen';
import { buildKallsyms } from './gen/kallsyms-gen';

// 1 int, 2 u32 typedef, 3 ptr→5, 4 char[16], 5 struct task, 6 anon union, 7 const int, 8 enum
const types: GenType[] = [
  { kind: 'int', name: 'int', size: 4 },
  { kind: 'typedef', name: 'pid_t', to: 1 },
  { kind: 'ptr', to: 5 },
  { kind: 'array', elem: 1, count: 4 },
  {
    kind: 'struct', name: 'task_struct', size: 64, members: [
      { name: 'pid', type: 2, bitOffset: 0 },
      { name: 'parent', type: 3, bitOffset: 64 },
      { name: '', type: 6, bitOffset: 128 },
      { name: 'slots', type: 4, bitOffset: 256 },
      { name: 'flag_a', type: 1, bitOffset: 384, bitSize: 3 },
      { name: 'flag_b', type: 1, bitOffset: 387, bitSize: 5 },
    ],
  },
  { kind: 'union', name: '', size: 8, members: [{ name: 'state', type: 7, bitOffset: 0 }, { name: '__state', type: 1, bitOffset: 0 }] },
  { kind: 'const', to: 1 },
  { kind: 'enum', name: 'maple_type', values: [['maple_dense', 0], ['maple_leaf_64', 1], ['maple_range_64', 2]] },
];

describe('BTF parser', () => {
  const btf = new Btf(buildBtf(types));
  test('flattens anonymous unions, resolves typedefs, arrays, pointers, bitfields and enums', () => {
    expect(btf.count).toBe(8);
    const l = btf.layout('task_struct');
    expect(l.size).toBe(64);
    expect(btf.offsetOf('task_struct', 'pid')).toBe(0);
    expect(btf.offsetOf('task_struct', 'parent')).toBe(8);
    expect(btf.offsetOf('task_struct', 'state')).toBe(16);
    expect(btf.offsetOf('task_struct', '__state')).toBe(16);
    expect(btf.offsetOf('task_struct', 'slots')).toBe(32);
    expect(btf.sizeOf(btf.field('task_struct', 'slots')!.typeId)).toBe(16);
    expect(btf.sizeOf(btf.field('task_struct', 'pid')!.typeId)).toBe(4);
    expect(btf.isPointer(btf.field('task_struct', 'parent')!.typeId)).toBe(true);
    expect(btf.targetName(btf.field('task_struct', 'parent')!.typeId)).toBe('task_struct');
    expect(btf.field('task_struct', 'flag_b')).toMatchObject({ offset: 48, bitOffset: 3, bitSize: 5 });
    expect(btf.enumValue('maple_range_64')).toBe(2);
  });
  test('missing struct or member → MemqError naming it', () => {
    expect(() => btf.layout('mm_struct')).toThrow(/struct mm_struct not found/);
    expect(() => btf.offsetOf('task_struct', 'nope')).toThrow(/task_struct.nope not found/);
  });
  test('bad header / truncated blob → MemqError', () => {
    const blob = buildBtf(types);
    expect(() => new Btf(blob.subarray(0, 100))).toThrow(MemqError);
    const bad = Buffer.from(blob);
    bad.writeUInt16LE(0x1234, 0);
    expect(() => new Btf(bad)).toThrow(MemqError);
  });
});

describe('kallsyms decoder', () => {
  const base = 0xffffffff9c600000n;
  const syms = [
    { name: '_stext', type: 'T', addr: base },
    { name: 'init_task', type: 'D', addr: base + 0x1a1aa40n },
    { name: '__x64_sys_read', type: 'T', addr: base + 0x2c0100n },
    { name: 'x'.repeat(200), type: 't', addr: base + 0x300000n }, // 2-byte length prefix
    { name: 'runqueues', type: 'A', addr: 0x31c40n }, // per-cpu: absolute
  ];
  const img = buildKallsyms(syms, base, 0xffffffff9d700000n);
  const reader = {
    read(va: bigint, len: number): Buffer | null {
      for (const [at, b] of img.regions) {
        if (va >= at && va + BigInt(len) <= at + BigInt((b.length + 4096) & ~4095)) {
          const out = Buffer.alloc(len);
          b.copy(out, 0, Number(va - at));
          return out;
        }
      }
      return null;
    },
  };
  test('decodes names, types and ABSOLUTE_PERCPU offsets', () => {
    const t = decodeKallsyms(reader, img.loc);
    expect(t.symbols).toEqual(syms);
    expect(t.get('init_task')).toBe(base + 0x1a1aa40n);
    expect(t.lookup(base + 0x2c0108n)).toEqual({ symbol: syms[2], offset: 8n });
  });
  test('unreadable table → MemqError', () => {
    expect(() => decodeKallsyms({ read: () => null }, img.loc)).toThrow(MemqError);
  });
});

describe('VMCOREINFO', () => {
  test('parses symbols, offsets, numbers (signed), KERNELOFFSET', () => {
    const v = parseVmcoreInfo('OSRELEASE=6.1.0-56-amd64\nSYMBOL(init_top_pgt)=ffffffff9e010000\nOFFSET(list_head.next)=0\nNUMBER(phys_base)=-459276288\nKERNELOFFSET=1b600000\n', 0)!;
    expect(v.osrelease).toBe('6.1.0-56-amd64');
    expect(v.symbols.get('init_top_pgt')).toBe(0xffffffff9e010000n);
    expect(v.numbers.get('phys_base')! & ((1n << 64n) - 1n)).toBe(0xffffffffe4a00000n);
    expect(v.kernelOffset).toBe(0x1b600000n);
  });
  test('the bare format string "OSRELEASE=%s" is not taken for the note', () => {
    expect(parseVmcoreInfo('OSRELEASE=%s\nPAGESIZE=%ld\n', 0)).toBeNull();
  });
});

test('fuzz: 3000 mutated BTF blobs parse or fail with MemqError', () => {
  const good = buildBtf(types);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let ok = 0;
  let rejected = 0;
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    const n = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < n; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    try {
      const btf = new Btf(b);
      for (const name of ['task_struct', 'x']) {
        try {
          btf.layout(name);
        } catch (e) {
          if (!(e instanceof MemqError)) throw e;
        }
      }
      ok++;
    } catch (e) {
      if (!(e instanceof MemqError)) throw e;
      rejected++;
    }
  }
  expect(ok + rejected).toBe(3000);
  expect(rejected).toBeGreaterThan(0);
});

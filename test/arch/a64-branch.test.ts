// The A64 entry-branch decoder on hand-assembled words (encodings from the Arm ARM, written out here
// independently of the decoder): prologues decode to "no branch", trampolines to their target.
import { a64EntryBranch } from '../../lib/arch/a64-branch';

const AT = 0xffffba65e6100000n;
function reader(words: (number | bigint)[]) {
  const b = Buffer.alloc(256);
  let o = 0;
  for (const w of words) o = typeof w === 'bigint' ? b.writeBigUInt64LE(w, o) : b.writeUInt32LE(w >>> 0, o);
  return { read: (va: bigint, len: number) => (va >= AT && va + BigInt(len) <= AT + 256n ? b.subarray(Number(va - AT), Number(va - AT) + len) : null) };
}
const MOV_X9_X30 = 0xaa1e03e9;
const NOP = 0xd503201f;
const PACIASP = 0xd503233f;
const BTI_C = 0xd503245f;
const STP_FP_LR = 0xa9bf7bfd; // stp x29, x30, [sp, #-16]!
const none = () => false;

test('the Debian 6.1 arm64 prologue (ftrace entry, PAC, frame) has no entry branch', () => {
  expect(a64EntryBranch(reader([MOV_X9_X30, NOP, PACIASP, STP_FP_LR, 0x910003fd]), AT, none)).toBeNull();
  expect(a64EntryBranch(reader([BTI_C, MOV_X9_X30, NOP, 0xaa0003e2, PACIASP]), AT, none)).toBeNull();
});

test('B / BL imm26, forwards and backwards', () => {
  expect(a64EntryBranch(reader([MOV_X9_X30, NOP, 0x14000010]), AT, none)).toBe(AT + 8n + 0x40n);
  // b . - 0x100 (imm26 = -64)
  expect(a64EntryBranch(reader([0x14000000 | (0x3ffffff & -64)]), AT, none)).toBe(AT - 0x100n);
  // bl right after mov x9, x30: the ftrace call site when callOk says so; the hook after it is still seen
  const ftrace = AT + 0x1000n;
  const bl = 0x94000000 | Number((ftrace - (AT + 4n)) / 4n);
  expect(a64EntryBranch(reader([MOV_X9_X30, bl, 0x58000050, 0xd61f0200, 0xdeadbeef, 0xffffba65]), AT, (t) => t === ftrace)).toBe(0xffffba65deadbeefn);
  expect(a64EntryBranch(reader([MOV_X9_X30, bl]), AT, none)).toBe(ftrace);
});

test('register trampolines: ldr literal, movz/movk, adrp/add, ldr from a computed address; unknown registers give null', () => {
  expect(a64EntryBranch(reader([0x58000050, 0xd61f0200, 0x00001234n * 0x100000000n + 0x5678n]), AT, none)).toBe(0x0000123400005678n);
  // movz x17, #0xbeef ; movk x17, #0xdead, lsl 16 ; movk x17, #0x8000, lsl 32 ; movk x17, #0xffff, lsl 48 ; blr x17
  expect(a64EntryBranch(reader([0xd297dde0 | 17, 0xf2bbd5a0 | 17, 0xf2d00000 | 17, 0xf2fffff1 & ~31 | 17, 0xd63f0220]), AT, none)).toBe(0xffff8000deadbeefn);
  // adrp x16, #+2 pages ; add x16, x16, #0x123 ; br x16
  expect(a64EntryBranch(reader([0x90000000 | (2 << 29) | 16, 0x91000000 | (0x123 << 10) | (16 << 5) | 16, 0xd61f0200]), AT, none)).toBe(AT + 0x2000n + 0x123n);
  // adr x16, #16 ; ldr x16, [x16] ; br x16 ; nop ; .quad T
  expect(a64EntryBranch(reader([0x10000000 | (4 << 5) | 16, 0xf9400210, 0xd61f0200, NOP, 0xffff800001234560n]), AT, none)).toBe(0xffff800001234560n);
  expect(a64EntryBranch(reader([0xd61f0200]), AT, none)).toBeNull(); // br x16 with x16 unknown
  expect(a64EntryBranch({ read: () => null }, AT, none)).toBeNull();
});

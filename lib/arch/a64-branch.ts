// Where an AArch64 function's entry branches to, for inline-hook checks. A64 instructions are fixed
// 32-bit little-endian words, so a small decoder suffices (no library): the entry's hints (NOP, BTI,
// PACIASP/PACIBSP) and the ftrace call site (`mov x9, x30` then NOP or `bl ftrace_caller`) are
// skipped; then B/BL give a target directly, and a short register sequence — ADRP/ADR, ADD (imm),
// MOVZ/MOVK, LDR (literal) and LDR (unsigned offset) from a known address — ending in BR/BLR gives
// the target of the usual trampolines (`ldr x16, #8; br x16; .quad T`, `adrp; add; br`, `movz/movk; br`).
// Any other instruction ends the walk with no branch. Bounded: at most MAX_INSNS words are read.

const MAX_INSNS = 12;
const MASK64 = (1n << 64n) - 1n;

export interface A64Reader {
  read(va: bigint, len: number): Buffer | null;
}

/** sign-extends the low `bits` of v */
function sext(v: number, bits: number): bigint {
  const b = BigInt(v >>> 0) & ((1n << BigInt(bits)) - 1n);
  return b & (1n << BigInt(bits - 1)) ? b - (1n << BigInt(bits)) : b;
}

function isHint(w: number): boolean {
  // HINT #imm (NOP, BTI c/j/jc, PACIASP, PACIBSP, AUTIASP, …): 1101 0101 0000 0011 0010 xxxx xxx1 1111
  return (w & 0xfffff01f) >>> 0 === 0xd503201f;
}

/**
 * The target an entry's first real instruction(s) branch to unconditionally, or null.
 * `callOk(target)`: a BL right after `mov x9, x30` that lands there is the ftrace call site, skipped.
 */
export function a64EntryBranch(r: A64Reader, at: bigint, callOk: (target: bigint) => boolean): bigint | null {
  const code = r.read(at, MAX_INSNS * 4);
  if (!code) return null;
  const reg = new Map<number, bigint>();
  let prevMovX9 = false;
  let seq = false; // inside a register sequence (ADRP/MOV/LDR …) that must end in BR/BLR
  for (let i = 0; i < MAX_INSNS; i++) {
    const w = code.readUInt32LE(i * 4);
    const pc = at + BigInt(i * 4);
    const rd = w & 31;
    const rn = (w >>> 5) & 31;
    if (!seq && isHint(w)) continue;
    if (!seq && w === 0xaa1e03e9) {
      // mov x9, x30: the patchable ftrace entry (DYNAMIC_FTRACE_WITH_REGS)
      prevMovX9 = true;
      continue;
    }
    if ((w & 0x7c000000) >>> 0 === 0x14000000) {
      // B / BL imm26
      const t = (pc + sext(w & 0x03ffffff, 26) * 4n) & MASK64;
      const link = (w & 0x80000000) !== 0;
      if (link && prevMovX9 && !seq && callOk(t)) {
        prevMovX9 = false;
        continue;
      }
      return t;
    }
    prevMovX9 = false;
    if ((w & 0x1f000000) >>> 0 === 0x10000000) {
      // ADR / ADRP: immhi (23:5) : immlo (30:29)
      const imm = ((w >>> 5) & 0x7ffff) * 4 + ((w >>> 29) & 3);
      const page = (w & 0x80000000) !== 0;
      reg.set(rd, page ? ((pc & ~0xfffn) + (sext(imm, 21) << 12n)) & MASK64 : (pc + sext(imm, 21)) & MASK64);
    } else if ((w & 0xff800000) >>> 0 === 0x91000000) {
      // ADD Xd, Xn, #imm12{, lsl 12}
      const base = reg.get(rn);
      if (base === undefined) return null;
      const imm = BigInt((w >>> 10) & 0xfff) << ((w & 0x00400000) !== 0 ? 12n : 0n);
      reg.set(rd, (base + imm) & MASK64);
    } else if ((w & 0xff800000) >>> 0 === 0xd2800000) {
      // MOVZ Xd, #imm16, lsl hw*16
      reg.set(rd, BigInt((w >>> 5) & 0xffff) << BigInt(((w >>> 21) & 3) * 16));
    } else if ((w & 0xff800000) >>> 0 === 0xf2800000) {
      // MOVK Xd, #imm16, lsl hw*16
      const old = reg.get(rd);
      if (old === undefined) return null;
      const sh = BigInt(((w >>> 21) & 3) * 16);
      reg.set(rd, (old & ~(0xffffn << sh) & MASK64) | (BigInt((w >>> 5) & 0xffff) << sh));
    } else if ((w & 0xff000000) >>> 0 === 0x58000000) {
      // LDR Xt, label (literal)
      const b = r.read((pc + sext((w >>> 5) & 0x7ffff, 19) * 4n) & MASK64, 8);
      if (!b) return null;
      reg.set(rd, b.readBigUInt64LE(0));
    } else if ((w & 0xffc00000) >>> 0 === 0xf9400000) {
      // LDR Xt, [Xn, #imm12*8]
      const base = reg.get(rn);
      if (base === undefined) return null;
      const b = r.read((base + BigInt(((w >>> 10) & 0xfff) * 8)) & MASK64, 8);
      if (!b) return null;
      reg.set(rd, b.readBigUInt64LE(0));
    } else if ((w & 0xfffffc1f) >>> 0 === 0xd61f0000 || (w & 0xfffffc1f) >>> 0 === 0xd63f0000) {
      // BR / BLR Xn
      return reg.get(rn) ?? null;
    } else {
      return null;
    }
    seq = true;
  }
  return null;
}

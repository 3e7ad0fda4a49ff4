// Code-level syscall checks with a real x86 decoder (iced-x86, WebAssembly): (1) kernels ≥ 6.9
// dispatch through the switch in x64_sys_call(), so a hook patched into that code is invisible from
// sys_call_table — every direct branch leaving the function must land on a syscall entry in the kernel
// text, and where the compiler's `cmp esi, nr; je stub` pattern names the number, on the same handler
// sys_call_table holds; (2) inline hooks: a handler whose first real instruction jumps out of the
// kernel text. Decoding is bounded by the function size (next kallsyms symbol) and an instruction cap.
import type { SymbolTable } from '../../symbols/kallsyms';
import type { VirtualSpace } from '../../arch/space';

// eslint-disable-next-line @typescript-eslint/no-require-imports
type Iced = typeof import('iced-x86');
let iced: Iced | null = null;
function decoderLib(): Iced {
  return (iced ??= require('iced-x86') as Iced);
}

const MAX_FUNCTION = 256 * 1024;
const MAX_INSTRUCTIONS = 100_000;

export interface SwitchTarget {
  /** syscall number when the compare/branch pattern names it, else null */
  nr: number | null;
  target: bigint;
}

export function functionBounds(syms: SymbolTable, name: string): [bigint, number] | null {
  const start = syms.get(name);
  if (start === undefined) return null;
  const next = syms.nextAfter(start);
  if (next === null) return null;
  const len = Number(next - start);
  return len > 0 && len <= MAX_FUNCTION ? [start, len] : null;
}

/** Direct branches leaving x64_sys_call, with the syscall number where `cmp esi,imm; je X` gives it. */
export function switchTargets(space: VirtualSpace, syms: SymbolTable): SwitchTarget[] | null {
  const b = functionBounds(syms, 'x64_sys_call');
  if (!b) return null;
  const [start, len] = b;
  const code = space.read(start, len);
  if (!code) return null;
  const I = decoderLib();
  const end = start + BigInt(len);
  const decode = (at: bigint, bytes: Uint8Array) => {
    const d = new I.Decoder(64, bytes, I.DecoderOptions.None);
    d.ip = at;
    return d;
  };
  // pass 1: every instruction by address (to follow je targets to their stub)
  const byIp = new Map<bigint, { flow: number; target: bigint | null; cmpImm: number | null; mnemonicJe: boolean }>();
  const order: bigint[] = [];
  const d = decode(start, code);
  const ins = new I.Instruction();
  let n = 0;
  while (d.canDecode && n++ < MAX_INSTRUCTIONS) {
    d.decodeOut(ins);
    const ip = BigInt.asUintN(64, ins.ip);
    const isBranch = ins.op0Kind === I.OpKind.NearBranch64;
    const cmpImm =
      ins.mnemonic === I.Mnemonic.Cmp && ins.op0Kind === I.OpKind.Register && ins.op0Register === I.Register.ESI && ins.op1Kind !== I.OpKind.Register
        ? Number(ins.immediate(1))
        : null;
    byIp.set(ip, { flow: ins.flowControl, target: isBranch ? BigInt.asUintN(64, ins.nearBranch64) : null, cmpImm, mnemonicJe: ins.mnemonic === I.Mnemonic.Je });
    order.push(ip);
  }
  d.free();
  ins.free();
  const out: SwitchTarget[] = [];
  const seenExit = new Set<bigint>();
  // exits: branches whose target is outside the function
  for (const ip of order) {
    const e = byIp.get(ip)!;
    if (e.target !== null && (e.target < start || e.target >= end) && !seenExit.has(e.target)) {
      seenExit.add(e.target);
      out.push({ nr: null, target: e.target });
    }
  }
  // numbered: cmp esi, nr ; je X   where X is (or falls into) a direct jmp/call out of the function
  for (let i = 0; i + 1 < order.length; i++) {
    const c = byIp.get(order[i])!;
    const j = byIp.get(order[i + 1])!;
    if (c.cmpImm === null || !j.mnemonicJe || j.target === null) continue;
    const stub = byIp.get(j.target);
    if (stub?.target != null && (stub.target < start || stub.target >= end)) out.push({ nr: c.cmpImm, target: stub.target });
  }
  return out;
}

/**
 * Where the handler's first real instruction (after endbr64, NOPs and the __fentry__ call site)
 * branches to, if it is an unconditional jmp/call — else null.
 */
export function inlineBranch(space: VirtualSpace, at: bigint, syms: SymbolTable): bigint | null {
  const code = space.read(at, 32);
  if (!code) return null;
  const I = decoderLib();
  const d = new I.Decoder(64, code, I.DecoderOptions.None);
  d.ip = at;
  const ins = new I.Instruction();
  let result: bigint | null = null;
  for (let k = 0; k < 4 && d.canDecode; k++) {
    d.decodeOut(ins);
    const m = ins.mnemonic;
    if (m === I.Mnemonic.Endbr64 || m === I.Mnemonic.Nop) continue;
    if (ins.op0Kind === I.OpKind.NearBranch64 && (ins.flowControl === I.FlowControl.UnconditionalBranch || ins.flowControl === I.FlowControl.Call)) {
      const t = BigInt.asUintN(64, ins.nearBranch64);
      const name = syms.lookup(t);
      if (ins.flowControl === I.FlowControl.Call && name && name.offset === 0n && /^(__fentry__|__x86_return_thunk)$/.test(name.symbol.name)) continue;
      result = t;
    }
    break;
  }
  d.free();
  ins.free();
  return result;
}

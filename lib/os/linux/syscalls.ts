// System call tables (sys_call_table, ia32_sys_call_table): each handler resolved to a kallsyms name
// and checked — hooked when it points outside the kernel text, into a module, or at a function whose
// name is not a syscall entry. Note: kernels ≥ 6.9 dispatch through the x64_sys_call() switch; a hook
// patched into that switch's code is not visible from the table — syscall-code.ts decodes the switch
// and each handler's entry to catch that and inline hooks. On arm64 (no switch) each handler's entry
// is decoded for a branch out of the kernel text (lib/arch/a64-branch.ts).
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { inlineBranch, switchTargets } from './syscall-code';
import { a64EntryBranch } from '../../arch/a64-branch';

const TABLES: [string, string][] = [
  ['x64', 'sys_call_table'],
  ['ia32', 'ia32_sys_call_table'],
];
const MAX_ENTRIES = 1024;
const EXPECTED = /^(__arm64_sys_|__arm64_compat_sys_|__x64_sys_|__ia32_sys_|__ia32_compat_sys_|__x32_compat_sys_|__se_sys_|__do_sys_|sys_|compat_sys_|__sys_|ptregs_|stub_|__x64_sys_ni_syscall|sys_ni_syscall)/;

/** arm64: the native table and the AArch32 compat one, recognised by their first two entries (syscalls 0 and 1) */
const ARM64_TABLES: [string, string, string, string][] = [
  ['arm64', 'sys_call_table', '__arm64_sys_io_setup', '__arm64_sys_io_destroy'],
  ['aarch32', 'compat_sys_call_table', '__arm64_sys_restart_syscall', '__arm64_sys_exit'],
];
const ARM64_SCAN = 64 << 20;

/**
 * arm64 kernels without data symbols in kallsyms: the table is found in the kernel image after _etext
 * as the 8-byte-aligned pair (handler of syscall 0, handler of syscall 1); it ends at the first slot
 * that is not a kernel pointer (the next object in .rodata is a string). A hooked slot still holds a
 * kernel pointer (module or vmalloc), so a hook does not shorten the table.
 */
function arm64Table(ctx: LinuxContext, first: string, second: string, etext: bigint): { base: bigint; n: number } | null {
  const { syms, space } = ctx.k;
  const a = syms.get(first);
  const b = syms.get(second);
  if (a === undefined || b === undefined) return null;
  const CH = 1 << 20;
  for (let off = 0; off < ARM64_SCAN; off += CH) {
    const va = ((etext + 7n) & ~7n) + BigInt(off);
    const buf = space.read(va, CH + 8);
    if (!buf) continue;
    for (let i = 0; i < CH; i += 8) {
      if (buf.readBigUInt64LE(i) !== a || buf.readBigUInt64LE(i + 8) !== b) continue;
      const base = va + BigInt(i);
      const raw = space.read(base, MAX_ENTRIES * 8);
      if (!raw) return null;
      let n = 0;
      while (n < MAX_ENTRIES && raw.readBigUInt64LE(n * 8) >> 48n === 0xffffn) n++;
      return { base, n };
    }
  }
  return null;
}

export function syscallRows(ctx: LinuxContext): Row<'syscall'>[] {
  const { syms, space } = ctx.k;
  const stext = syms.get('_stext') ?? syms.require('_text');
  const etext = syms.require('_etext');
  const out: Row<'syscall'>[] = [];
  const arm64 = ctx.k.arch === 'arm64';
  const tables: [string, string, string?, string?][] = arm64 ? ARM64_TABLES : TABLES;
  for (const [tableName, sym, first, second] of tables) {
    let base = syms.get(sym);
    // the table's length is the distance to the next symbol (its array size), bounded
    let n = MAX_ENTRIES;
    if (base === undefined && arm64 && first && second) {
      const found = arm64Table(ctx, first, second, etext);
      if (!found) {
        ctx.warn(`${sym}: not in kallsyms and not found in the kernel image`);
        continue;
      }
      ctx.k.sources[sym] = `0x${found.base.toString(16)}: found in the kernel image by its first entries (${first}, ${second}); ${found.n} entries`;
      base = found.base;
      n = found.n;
    } else if (base === undefined) continue;
    else {
      const after = syms.nextAfter(base);
      if (after !== null) n = Math.min(MAX_ENTRIES, Number((after - base) / 8n));
    }
    const raw = space.read(base, n * 8);
    if (!raw) {
      ctx.warn(`${sym} not readable`);
      continue;
    }
    // the symbol distance can include alignment padding: trailing NULL slots are not entries
    while (n > 0 && raw.readBigUInt64LE((n - 1) * 8) === 0n) n--;
    for (let i = 0; i < n; i++) {
      const h = raw.readBigUInt64LE(i * 8);
      const res = syms.lookup(h);
      const inText = h >= stext && h < etext;
      const symbol = res && res.offset === 0n ? res.symbol.name : res ? `${res.symbol.name}+0x${res.offset.toString(16)}` : null;
      let hooked = !inText || !res || res.offset !== 0n || !EXPECTED.test(res.symbol.name);
      let note = symbol;
      if (!hooked) {
        // inline hook: the handler's entry jumps out of the kernel text (x86-64: iced-x86; arm64: the
        // fixed-width A64 words decoded in lib/arch/a64-branch.ts, ftrace's call site skipped)
        const jump = arm64 ? a64EntryBranch(space, h, (t) => t >= stext && t < etext && /ftrace/.test(syms.lookup(t)?.symbol.name ?? '')) : inlineBranch(space, h, syms);
        if (jump !== null && (jump < stext || jump >= etext)) {
          hooked = true;
          note = `${symbol} (entry jumps to 0x${jump.toString(16)})`;
        }
      }
      out.push({ table_name: tableName, index: i, handler: h, symbol: note, module: inText ? 'kernel' : null, hooked });
    }
  }
  if (!arm64) out.push(...switchRows(ctx, out.filter((r) => r.table_name === 'x64'), stext, etext));
  return out;
}

/** Rows for the x64_sys_call() switch (kernels ≥ 6.9): each numbered branch, plus any odd exit. */
function switchRows(ctx: LinuxContext, table: Row<'syscall'>[], stext: bigint, etext: bigint): Row<'syscall'>[] {
  const { syms, space } = ctx.k;
  const targets = switchTargets(space, syms);
  if (!targets) return [];
  const byNr = new Map(table.map((r) => [r.index, r.handler]));
  const out: Row<'syscall'>[] = [];
  const numbered = new Set<bigint>();
  for (const t of targets) {
    if (t.nr === null) continue;
    numbered.add(t.target);
    const res = syms.lookup(t.target);
    const inText = t.target >= stext && t.target < etext;
    const expected = byNr.get(t.nr);
    const hooked = !inText || !res || res.offset !== 0n || !EXPECTED.test(res.symbol.name) || (expected !== undefined && expected !== t.target);
    out.push({ table_name: 'x64_sys_call', index: t.nr, handler: t.target, symbol: res ? res.symbol.name + (res.offset ? `+0x${res.offset.toString(16)}` : '') : null, module: inText ? 'kernel' : null, hooked });
  }
  // exits the compare pattern did not number: listed only when they are not plain syscall entries
  for (const t of targets) {
    if (t.nr !== null || numbered.has(t.target)) continue;
    const res = syms.lookup(t.target);
    const inText = t.target >= stext && t.target < etext;
    if (inText && res && res.offset === 0n && EXPECTED.test(res.symbol.name)) continue;
    out.push({ table_name: 'x64_sys_call', index: -1, handler: t.target, symbol: res ? `${res.symbol.name}+0x${res.offset.toString(16)}` : null, module: inText ? 'kernel' : null, hooked: true });
  }
  return out;
}

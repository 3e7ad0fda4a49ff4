// System call tables (sys_call_table, ia32_sys_call_table): each handler resolved to a kallsyms name
// and checked — hooked when it points outside the kernel text, into a module, or at a function whose
// name is not a syscall entry. Note: kernels ≥ 6.9 dispatch through the x64_sys_call() switch; a hook
// patched into that switch's code is not visible from the table — syscall-code.ts decodes the switch
// and each handler's entry to catch that and inline hooks.
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { inlineBranch, switchTargets } from './syscall-code';

const TABLES: [string, string][] = [
  ['x64', 'sys_call_table'],
  ['ia32', 'ia32_sys_call_table'],
];
const MAX_ENTRIES = 1024;
const EXPECTED = /^(__x64_sys_|__ia32_sys_|__ia32_compat_sys_|__x32_compat_sys_|__se_sys_|__do_sys_|sys_|compat_sys_|__sys_|ptregs_|stub_|__x64_sys_ni_syscall|sys_ni_syscall)/;

export function syscallRows(ctx: LinuxContext): Row<'syscall'>[] {
  const { syms, space } = ctx.k;
  const stext = syms.get('_stext') ?? syms.require('_text');
  const etext = syms.require('_etext');
  const out: Row<'syscall'>[] = [];
  for (const [tableName, sym] of TABLES) {
    const base = syms.get(sym);
    if (base === undefined) continue;
    // the table's length is the distance to the next symbol (its array size), bounded
    let n = MAX_ENTRIES;
    const after = syms.nextAfter(base);
    if (after !== null) n = Math.min(MAX_ENTRIES, Number((after - base) / 8n));
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
        // inline hook: the handler's entry jumps out of the kernel text
        const jump = inlineBranch(space, h, syms);
        if (jump !== null && (jump < stext || jump >= etext)) {
          hooked = true;
          note = `${symbol} (entry jumps to 0x${jump.toString(16)})`;
        }
      }
      out.push({ table_name: tableName, index: i, handler: h, symbol: note, module: inText ? 'kernel' : null, hooked });
    }
  }
  out.push(...switchRows(ctx, out.filter((r) => r.table_name === 'x64'), stext, etext));
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

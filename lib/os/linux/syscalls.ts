// System call tables (sys_call_table, ia32_sys_call_table): each handler resolved to a kallsyms name
// and checked — hooked when it points outside the kernel text, into a module, or at a function whose
// name is not a syscall entry. Note: kernels ≥ 6.9 dispatch through the x64_sys_call() switch; a hook
// patched into that switch's code is not visible from the table (see README, known limits).
import type { Row } from '../../model';
import type { LinuxContext } from './context';

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
    const after = nextSymbolAfter(ctx, base);
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
      const hooked = !inText || !res || res.offset !== 0n || !EXPECTED.test(res.symbol.name);
      out.push({ table_name: tableName, index: i, handler: h, symbol, module: inText ? 'kernel' : null, hooked });
    }
  }
  return out;
}

function nextSymbolAfter(ctx: LinuxContext, addr: bigint): bigint | null {
  let best: bigint | null = null;
  for (const s of ctx.k.syms.symbols) if (s.addr > addr && (best === null || s.addr < best)) best = s.addr;
  return best;
}

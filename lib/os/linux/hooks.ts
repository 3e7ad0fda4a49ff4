// The kernel_hook table: hooks a rootkit can place beyond the syscall table (hooks-trace.ts:
// ftrace, kprobes, tracepoints; hooks-chains.ts: netfilter, keyboard notifiers, IDT, tty), each
// handler resolved to its owner through the module address tree (module-map.ts) so a module hidden
// from the module list still owns its hooks, and judged suspicious or not here, in one place.
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { ModuleMap } from './module-map';
import { MemqError } from '../../util/errors';
import { ftraceHooks, kprobeHooks, tracepointHooks } from './hooks-trace';
import { idtHooks, keyboardNotifierHooks, netfilterHooks, ttyHooks } from './hooks-chains';

/** What a collector knows about one hook; ownership, symbols and the verdict are added by hookRows. */
export interface RawHook {
  kind: string;
  target_symbol: string | null;
  target_address: bigint | null;
  target_offset?: number | null;
  location: bigint | null;
  object_address: bigint | null;
  handler: bigint;
  redirect?: bigint | null;
  family?: string | null;
  hooknum?: number | null;
  hook_point?: string | null;
  priority?: number | null;
  flags?: number | null;
  detail: string | null;
  /** set by collectors that only report anomalies (IDT, tty): the reason it is one */
  anomaly?: string;
}

const IPMODIFY_FALLBACK = 1 << 12;

/** the data symbols the walks start from, per kind; a kernel whose kallsyms lacks data symbols has none of them */
const ANCHORS: [string, string][] = [
  ['ftrace_ops_list', 'ftrace'],
  ['kprobe_table', 'kprobe'],
  ['__start___tracepoints_ptrs', 'tracepoint'],
  ['net_namespace_list', 'netfilter'],
  ['keyboard_notifier_list', 'keyboard_notifier'],
  ['tty_drivers', 'tty_ops'],
];

export function hookRows(ctx: LinuxContext): Row<'kernel_hook'>[] {
  const { syms } = ctx.k;
  const missing = ANCHORS.filter(([sym]) => !syms.has(sym));
  // without the module list and tree every module handler would look like "no module": refuse rather than cry wolf
  if (missing.length === ANCHORS.length || (!syms.has('mod_tree') && !syms.has('modules'))) {
    const arm = ctx.k.arch === 'arm64' ? 'ARM64 Linux: ' : '';
    throw new MemqError(
      `${arm}kernel_hook needs the kernel's data symbols (ftrace_ops_list, kprobe_table, net_namespace_list, mod_tree or modules …), which kallsyms in this dump lacks (CONFIG_KALLSYMS_ALL off); pass --system-map <System.map of this kernel>`,
      'E_SYMBOL',
    );
  }
  for (const [sym, kind] of missing) ctx.warn(`kernel_hook: no ${sym} in the symbols: ${kind} hooks not checked`);
  const mods = ctx.memoKernel('module map', () => new ModuleMap(ctx));
  const ipmodify = (ctx.k.types as { enumValue?: (n: string) => number | undefined }).enumValue?.('FTRACE_OPS_FL_IPMODIFY') ?? IPMODIFY_FALLBACK;
  const raw: RawHook[] = [];
  const collect = (what: string, f: () => RawHook[]) => {
    for (const h of ctx.safe(what, f, [])) raw.push(h); // no spread: a collector may return 10^5 rows
  };
  collect('ftrace hooks', () => ftraceHooks(ctx, mods));
  collect('kprobes', () => kprobeHooks(ctx, mods));
  collect('tracepoint probes', () => tracepointHooks(ctx, mods));
  collect('netfilter hooks', () => netfilterHooks(ctx));
  collect('keyboard notifiers', () => keyboardNotifierHooks(ctx));
  collect('IDT', () => idtHooks(ctx, mods));
  collect('tty operations', () => ttyHooks(ctx, mods));
  return raw.map((h) => {
    const o = mods.owner(h.handler);
    const module = o.kind === 'kernel' ? 'kernel' : o.module ? o.module.name : null;
    const hidden = o.module ? !o.module.listed : false;
    const reasons: string[] = [];
    if (h.anomaly) reasons.push(h.anomaly);
    if (o.kind === 'none') reasons.push('handler outside the kernel text and every module (no module)');
    else if (o.module && hidden) reasons.push(`handler in module ${o.module.name}, which is hidden from the module list`);
    if (o.module) {
      if (h.kind === 'keyboard_notifier') reasons.push(`keyboard notifier in module ${o.module.name}: it sees every keystroke`);
      if (h.kind === 'ftrace' && h.flags !== undefined && h.flags !== null && (h.flags & ipmodify) !== 0) {
        reasons.push(`ftrace IPMODIFY hook from module ${o.module.name}: redirects ${h.target_symbol ?? 'traced functions'}`);
      }
    }
    return {
      kind: h.kind,
      target_symbol: h.target_symbol,
      target_address: h.target_address,
      target_offset: h.target_offset ?? null,
      location: h.location,
      object_address: h.object_address,
      handler: h.handler,
      handler_symbol: mods.symbol(h.handler),
      module,
      module_hidden: hidden,
      redirect: h.redirect ?? null,
      family: h.family ?? null,
      hooknum: h.hooknum ?? null,
      hook_point: h.hook_point ?? null,
      priority: h.priority ?? null,
      flags: h.flags ?? null,
      detail: h.detail,
      suspicious: reasons.length > 0,
      reason: reasons.length ? reasons.join('; ') : null,
    };
  });
}

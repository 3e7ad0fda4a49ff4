// Tracing-based hooks: ftrace ops (ftrace_ops_list and each ops' filter hash = the functions it
// traces), kprobes/kretprobes (kprobe_table, aggregated probes unfolded into the probes users
// registered) and tracepoint probes (each struct tracepoint's funcs array, kernel and module
// tracepoints). Every layout comes from BTF; flag bits from BTF enums where the kernel has them.
import type { LinuxContext } from './context';
import type { ModuleMap } from './module-map';
import type { RawHook } from './hooks';
import { hex } from '../../util/hex';

const MAX_OPS = 4096;
const MAX_HASH_ENTRIES = 1 << 16;
const MAX_FTRACE_ROWS = 1 << 17;
const MAX_PROBES = 1 << 14;
const MAX_TP_FUNCS = 256;
const MAX_TP_ROWS = 1 << 16;
const MAX_FTRACE_PAGES = 1 << 16;
const MAX_RECORDS_PER_PAGE = 1 << 16;
const MAX_FTRACE_RECORDS = 1 << 22;
const KPROBE_TABLE_SIZE = 64; // 1 << KPROBE_HASH_BITS, unchanged since 2.6

function enumValue(ctx: LinuxContext, name: string, fallback: number): number {
  const t = ctx.k.types as { enumValue?: (n: string) => number | undefined };
  return t.enumValue?.(name) ?? fallback;
}

/** ftrace_ops_list → ops.next … until ftrace_list_end; one row per traced function of each ops. */
export function ftraceHooks(ctx: LinuxContext, mods: ModuleMap): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const listSym = syms.get('ftrace_ops_list');
  if (listSym === undefined) return [];
  const end = syms.get('ftrace_list_end') ?? 0n;
  const IPMODIFY = enumValue(ctx, 'FTRACE_OPS_FL_IPMODIFY', 1 << 12);
  const out: RawHook[] = [];
  const seen = new Set<bigint>();
  const trampolines = new Set<bigint>();
  let ops = v.ptr(listSym);
  while (ops !== 0n && ops !== end) {
    if (seen.has(ops) || seen.size >= MAX_OPS) {
      ctx.warn(`ftrace_ops_list: ${seen.has(ops) ? 'cycle' : 'too many entries'} at ${hex(ops)} — cut`);
      break;
    }
    seen.add(ops);
    const cur = ops;
    const rows = ctx.safe(`ftrace_ops ${hex(cur)}`, (): RawHook[] => {
      const func = v.p(cur, 'ftrace_ops', 'func');
      const flags = v.n64(cur + BigInt(v.off('ftrace_ops', 'flags')));
      const tramp = v.has('ftrace_ops', 'trampoline') ? v.p(cur, 'ftrace_ops', 'trampoline') : 0n;
      if (tramp) trampolines.add(tramp);
      const ipmodify = (flags & IPMODIFY) !== 0;
      const redirect = ipmodify ? ipmodifyTarget(ctx, mods, cur, func) : null;
      const detail = [ipmodify ? 'IPMODIFY' : null, tramp ? `trampoline ${hex(tramp)}` : null];
      const base = { kind: 'ftrace', object_address: cur, handler: func, flags, redirect, target_offset: null };
      const ips = tracedIps(ctx, cur);
      if (ips.length === 0) return [{ ...base, target_symbol: null, target_address: null, location: null, detail: ['all functions', ...detail].filter(Boolean).join(', ') }];
      return ips.map((ip) => {
        const s = mods.resolve(ip);
        return { ...base, target_symbol: s ? s.name : null, target_address: s ? s.start : ip, location: ip, detail: detail.filter(Boolean).join(', ') || null };
      });
    }, [] as RawHook[]);
    for (const r of rows) out.push(r);
    if (out.length >= MAX_FTRACE_ROWS) {
      ctx.warn(`ftrace: more than ${MAX_FTRACE_ROWS} traced functions over all ops — cut`);
      break;
    }
    ops = ctx.safe(`ftrace_ops ${hex(cur)} next`, () => v.p(cur, 'ftrace_ops', 'next'), 0n);
  }
  if (ctx.k.arch === 'x86_64') for (const r of ctx.safe('ftrace records', () => unownedSites(ctx, mods, trampolines), [])) out.push(r);
  return out;
}

/**
 * The other side of ftrace: the patched call sites. Every ftrace-able function has a dyn_ftrace
 * record (ftrace_pages_start → ftrace_page { next; records; index }); an enabled one has its fentry
 * site turned into `call <ftrace_caller | ftrace_regs_caller | an ops trampoline>`. A site calling
 * anything else — typically the trampoline of an ftrace_ops unlinked from ftrace_ops_list to hide it —
 * is a row. Direct calls (FTRACE_FL_DIRECT_EN: BPF trampolines) are left to the eBPF view.
 */
function unownedSites(ctx: LinuxContext, mods: ModuleMap, trampolines: Set<bigint>): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const start = syms.get('ftrace_pages_start');
  if (start === undefined) return [];
  const known = new Set<bigint>(trampolines);
  for (const s of ['ftrace_caller', 'ftrace_regs_caller']) {
    const a = syms.get(s);
    if (a !== undefined) known.add(a);
  }
  const ENABLED = enumValue(ctx, 'FTRACE_FL_ENABLED', 1 << 31) >>> 0;
  const DIRECT_EN = enumValue(ctx, 'FTRACE_FL_DIRECT_EN', 1 << 23) >>> 0;
  const recSize = v.size('dyn_ftrace');
  const ipOff = v.off('dyn_ftrace', 'ip');
  const flOff = v.off('dyn_ftrace', 'flags');
  const out: RawHook[] = [];
  const seen = new Set<bigint>();
  let records = 0;
  for (let pg = v.ptr(start); pg !== 0n; pg = ctx.safe('ftrace_page next', () => v.p(pg, 'ftrace_page', 'next'), 0n)) {
    if (seen.has(pg) || seen.size >= MAX_FTRACE_PAGES) {
      ctx.warn(`ftrace_pages: ${seen.has(pg) ? 'cycle' : 'too many pages'} at ${hex(pg)} — cut`);
      break;
    }
    seen.add(pg);
    const n = v.u32(pg + BigInt(v.off('ftrace_page', 'index')));
    if (n > MAX_RECORDS_PER_PAGE || (records += n) > MAX_FTRACE_RECORDS) {
      ctx.warn(`ftrace_page ${hex(pg)} claims ${n} records — skipped`);
      continue;
    }
    const recs = ctx.safe(`ftrace records of ${hex(pg)}`, () => v.bytes(v.p(pg, 'ftrace_page', 'records'), n * recSize), null);
    for (let i = 0; recs && i < n; i++) {
      const flags = recs.readUInt32LE(i * recSize + flOff);
      if (!(flags & ENABLED) || flags & DIRECT_EN) continue;
      const ip = recs.readBigUInt64LE(i * recSize + ipOff);
      const site = ctx.safe(`ftrace site ${hex(ip)}`, () => v.bytes(ip, 5), null);
      if (!site || site[0] !== 0xe8) continue; // not a call: nothing to resolve
      const dest = (ip + 5n + BigInt(site.readInt32LE(1))) & 0xffffffffffffffffn;
      if (known.has(dest)) continue;
      if (out.length >= MAX_HASH_ENTRIES) {
        ctx.warn(`ftrace call sites: more than ${MAX_HASH_ENTRIES} unaccounted — cut`);
        return out;
      }
      const s = mods.resolve(ip);
      const ops = ctx.safe(`trampoline ${hex(dest)}`, () => opsOfTrampoline(ctx, dest), null);
      const func = ops === null ? null : ctx.safe(`ftrace_ops ${hex(ops)}`, () => v.p(ops, 'ftrace_ops', 'func'), null);
      const opsFlags = ops === null ? null : ctx.safe(`ftrace_ops ${hex(ops)}`, () => v.n64(ops + BigInt(v.off('ftrace_ops', 'flags'))), null);
      const IPMODIFY = enumValue(ctx, 'FTRACE_OPS_FL_IPMODIFY', 1 << 12);
      out.push({
        kind: 'ftrace',
        target_symbol: s ? s.name : null,
        target_address: s ? s.start : ip,
        location: ip,
        object_address: ops,
        handler: func ?? dest,
        flags: opsFlags,
        redirect: ops !== null && func !== null && opsFlags !== null && opsFlags & IPMODIFY ? ipmodifyTarget(ctx, mods, ops, func) : null,
        detail: `enabled ftrace site calls trampoline ${hex(dest)}${ops !== null ? ` of ftrace_ops ${hex(ops)}` : ''}, which is not on ftrace_ops_list`,
        anomaly: 'patched ftrace call site owned by no registered ftrace_ops (unlinked ops)',
      });
    }
  }
  return out;
}

/** ops->func_hash->filter_hash: ftrace_hash { size_bits, buckets[1 << size_bits] of hlist of ftrace_func_entry { hlist, ip } } */
function tracedIps(ctx: LinuxContext, ops: bigint): bigint[] {
  const v = ctx.v;
  const fh = v.p(ops, 'ftrace_ops', 'func_hash');
  if (fh === 0n) return [];
  const hash = v.p(fh, 'ftrace_ops_hash', 'filter_hash');
  if (hash === 0n) return [];
  const bits = v.num(hash, 'ftrace_hash', 'size_bits');
  const count = v.num(hash, 'ftrace_hash', 'count');
  if (count === 0 || bits > 20) return [];
  const buckets = v.p(hash, 'ftrace_hash', 'buckets');
  const raw = v.bytes(buckets, 8 << bits);
  const hl = BigInt(v.off('ftrace_func_entry', 'hlist'));
  const ipOff = BigInt(v.off('ftrace_func_entry', 'ip'));
  const out: bigint[] = [];
  // a hash claims `count` entries: more than that (a cycle, a corrupt chain) is cut there
  const cap = Math.min(count, MAX_HASH_ENTRIES);
  for (let b = 0; b < 1 << bits && out.length < cap; b++) {
    let node = raw.readBigUInt64LE(b * 8);
    while (node !== 0n && out.length < cap) {
      out.push(v.ptr(node - hl + ipOff));
      node = v.ptr(node); // hlist_node.next
    }
  }
  if (out.length >= cap && count > MAX_HASH_ENTRIES) ctx.warn(`ftrace_ops ${hex(ops)}: filter hash claims ${count} functions — first ${MAX_HASH_ENTRIES} kept`);
  return out;
}

/**
 * An x86-64 ftrace trampoline (a copy of ftrace_[regs_]caller made for one ops) stores its ops pointer
 * right after the code; found as the (unaligned) word that points at an ftrace_ops whose `trampoline`
 * is this one.
 */
function opsOfTrampoline(ctx: LinuxContext, tramp: bigint): bigint | null {
  const v = ctx.v;
  const span = Math.min(1024, 4096 - Number(tramp & 0xfffn));
  const code = v.bytes(tramp, span);
  const trampOff = BigInt(v.off('ftrace_ops', 'trampoline'));
  // the pointer follows the code unaligned (create_trampoline() appends it after the ret)
  for (let i = 0; i + 8 <= span; i++) {
    if (code[i + 7] !== 0xff || code[i + 6] !== 0xff) continue;
    const q = code.readBigUInt64LE(i);
    if (q < ctx.kernelFloor) continue;
    if (ctx.safe('ftrace_ops candidate', () => v.ptr(q + trampOff), 0n) === tramp) return q;
  }
  return null;
}

/**
 * IPMODIFY hooks change regs->ip in their callback; where to is code, not data. Hook kits keep the
 * replacement next to the ops (struct { name; function; original; address; struct ftrace_ops ops; },
 * the well-known ftrace-hook layout): the first pointer in the 4 words before the ops that lands on a
 * function start in the same module's text, other than the callback itself.
 */
function ipmodifyTarget(ctx: LinuxContext, mods: ModuleMap, ops: bigint, func: bigint): bigint | null {
  const o = mods.owner(func);
  if (o.kind !== 'module' || !o.module) return null;
  const m = o.module;
  const words = ctx.safe('ftrace hook words', () => ctx.v.bytes(ops - 32n, 32), null);
  if (!words) return null;
  for (let i = 0; i < 4; i++) {
    const p = words.readBigUInt64LE(i * 8);
    if (p === func || !mods.inModuleText(m, p)) continue;
    const s = mods.moduleSymbol(m, p);
    if (s && s.offset === 0n) return p;
  }
  return null;
}

/** kprobe_table[64] hlists of struct kprobe; an aggregated probe (aggr_pre_handler) lists the user probes on its .list. */
export function kprobeHooks(ctx: LinuxContext, mods: ModuleMap): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const table = syms.get('kprobe_table');
  if (table === undefined) return [];
  let n = KPROBE_TABLE_SIZE;
  const after = syms.nextAfter(table);
  if (after !== null && after > table && after - table < BigInt(n * 8)) n = Number((after - table) / 8n);
  const aggr = syms.get('aggr_pre_handler');
  const kret = syms.get('pre_handler_kretprobe');
  const OPTIMIZED = enumValue(ctx, 'KPROBE_FLAG_OPTIMIZED', 4);
  const FTRACE = enumValue(ctx, 'KPROBE_FLAG_FTRACE', 8);
  const hlistOff = BigInt(v.off('kprobe', 'hlist'));
  const listOff = v.off('kprobe', 'list');
  const heads = v.bytes(table, n * 8);
  const out: RawHook[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    let node = heads.readBigUInt64LE(i * 8);
    const seen = new Set<bigint>();
    while (node !== 0n && !seen.has(node) && total++ < MAX_PROBES) {
      seen.add(node);
      const kp = node - hlistOff;
      ctx.safe(`kprobe ${hex(kp)}`, () => {
        const pre = v.p(kp, 'kprobe', 'pre_handler');
        const flags = v.num(kp, 'kprobe', 'flags');
        const mode = flags & OPTIMIZED ? 'optimized' : flags & FTRACE ? 'ftrace-based' : 'int3';
        if (aggr !== undefined && pre === aggr) {
          let k = 0;
          for (const child of v.list(kp + BigInt(listOff), listOff, 1024, (m) => ctx.warn(`kprobe ${hex(kp)} list: ${m}`))) {
            if (++k > 1024) break;
            const row = ctx.safe(`kprobe ${hex(child)}`, () => probeRow(ctx, mods, child, kret, `${mode}, aggregated by ${hex(kp)}`), null);
            if (row) out.push(row);
          }
        } else out.push(probeRow(ctx, mods, kp, kret, mode));
      }, undefined);
      node = ctx.safe(`kprobe hlist ${hex(node)}`, () => v.ptr(node), 0n);
    }
    if (node !== 0n) ctx.warn(`kprobe_table[${i}]: ${seen.has(node) ? 'cycle' : 'too many probes'} at ${hex(node)} — cut`);
  }
  return out;
}

function probeRow(ctx: LinuxContext, mods: ModuleMap, kp: bigint, kret: bigint | undefined, mode: string): RawHook {
  const v = ctx.v;
  const addr = v.p(kp, 'kprobe', 'addr');
  const pre = v.p(kp, 'kprobe', 'pre_handler');
  const post = v.has('kprobe', 'post_handler') ? v.p(kp, 'kprobe', 'post_handler') : 0n;
  const flags = v.num(kp, 'kprobe', 'flags');
  let kind = 'kprobe';
  let handler = pre !== 0n ? pre : post;
  let object = kp;
  if (kret !== undefined && pre === kret && v.has('kretprobe', 'handler')) {
    // struct kretprobe { struct kprobe kp; kretprobe_handler_t handler; … }
    kind = 'kretprobe';
    object = kp - BigInt(v.off('kretprobe', 'kp'));
    handler = v.p(object, 'kretprobe', 'handler');
    if (handler === 0n && v.has('kretprobe', 'entry_handler')) handler = v.p(object, 'kretprobe', 'entry_handler');
  }
  const s = mods.resolve(addr);
  return {
    kind,
    target_symbol: s ? s.name : null,
    target_address: s ? s.start : addr,
    target_offset: s ? Number(s.offset) : null,
    location: addr,
    object_address: object,
    handler,
    flags,
    detail: mode,
  };
}

/** Probes attached to tracepoints: kernel tracepoints (__start/__stop___tracepoints_ptrs) and each module's (mod->tracepoints_ptrs). */
export function tracepointHooks(ctx: LinuxContext, mods: ModuleMap): RawHook[] {
  const v = ctx.v;
  const { syms } = ctx.k;
  const lists: { base: bigint; n: number }[] = [];
  const start = syms.get('__start___tracepoints_ptrs');
  const stop = syms.get('__stop___tracepoints_ptrs');
  if (start !== undefined && stop !== undefined && stop > start) lists.push({ base: start, n: Math.min(Number((stop - start) / 4n), 1 << 16) });
  if (v.has('module', 'tracepoints_ptrs')) {
    for (const m of mods.modules) {
      const l = ctx.safe(`tracepoints of module ${m.name}`, () => ({ base: v.p(m.addr, 'module', 'tracepoints_ptrs'), n: Math.min(v.u32(m.addr + BigInt(v.off('module', 'num_tracepoints'))), 1 << 14) }), null);
      if (l && l.base !== 0n && l.n > 0) lists.push(l);
    }
  }
  const funcSize = BigInt(v.size('tracepoint_func'));
  const out: RawHook[] = [];
  for (const { base, n } of lists) {
    // tracepoint_ptr_t is a place-relative int32 on kernels with PREL32 relocations (x86-64, arm64)
    const rel = ctx.safe(`tracepoint pointers ${hex(base)}`, () => v.bytes(base, n * 4), null);
    if (!rel) continue;
    for (let i = 0; i < n && out.length < MAX_TP_ROWS; i++) {
      const tp = base + BigInt(i * 4) + BigInt(rel.readInt32LE(i * 4));
      ctx.safe(`tracepoint ${hex(tp)}`, () => {
        const funcs = v.p(tp, 'tracepoint', 'funcs');
        if (funcs === 0n) return;
        const name = v.cstr(v.p(tp, 'tracepoint', 'name'), 128);
        for (let k = 0; k < MAX_TP_FUNCS; k++) {
          const f = funcs + BigInt(k) * funcSize;
          const func = v.p(f, 'tracepoint_func', 'func');
          if (func === 0n) break;
          if (out.length >= MAX_TP_ROWS) return;
          out.push({ kind: 'tracepoint', target_symbol: name, target_address: tp, location: f, object_address: tp, handler: func, priority: v.i32(f + BigInt(v.off('tracepoint_func', 'prio'))), detail: null });
        }
      }, undefined);
    }
  }
  if (out.length >= MAX_TP_ROWS) ctx.warn(`tracepoint probes: more than ${MAX_TP_ROWS} — cut`);
  return out;
}

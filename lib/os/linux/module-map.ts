// Which module owns a kernel address, and which module symbol it is — for hook handlers. Built from
// the module address tree (`mod_tree`, the latch rb-tree the kernel itself uses for
// __module_address()), not only the `modules` list: a module that unlinked itself from the list
// (list_del rootkits) stays in the tree, so its hooks still get an owner, flagged `hidden`.
// Symbols come from each module's own kallsyms (mod->kallsyms: ELF symtab + strtab in module memory),
// which /proc/kallsyms stops showing once the module is off the list.
import type { LinuxContext } from './context';
import { hex } from '../../util/hex';

const MAX_MODULES = 4096;
const MAX_MOD_SYMS = 1 << 16;
const ELF64_SYM = 24;

export interface ModuleRange {
  start: bigint;
  end: bigint;
  /** executable section (core text) */
  text: boolean;
}

export interface MappedModule {
  addr: bigint;
  name: string;
  ranges: ModuleRange[];
  /** in the `modules` list (false: only in the address tree = unlinked/hidden) */
  listed: boolean;
  /** the module's own symbols by address, read on first use */
  syms: { value: bigint; name: string }[] | null;
}

export interface AddressOwner {
  kind: 'kernel' | 'module' | 'none';
  module: MappedModule | null;
}

export class ModuleMap {
  readonly modules: MappedModule[] = [];
  readonly source: string;
  /** every module range, by start address, for owner() */
  private readonly sorted: (ModuleRange & { module: MappedModule })[] = [];
  private readonly stext: bigint;
  private readonly etext: bigint;
  /** .init.text: freed after boot, but the reserved IDT vectors keep their early handlers there */
  private readonly initText: [bigint, bigint] | null;

  constructor(private readonly ctx: LinuxContext) {
    const syms = ctx.k.syms;
    this.stext = syms.get('_stext') ?? syms.require('_text');
    this.etext = syms.require('_etext');
    const si = syms.get('_sinittext');
    const ei = syms.get('_einittext');
    this.initText = si !== undefined && ei !== undefined && ei > si ? [si, ei] : null;
    const listed = ctx.safe('module list', () => listedModules(ctx), new Set<bigint>());
    const tree = ctx.safe('module address tree', () => treeModules(ctx), null);
    const all = new Set<bigint>([...listed, ...(tree ?? [])]);
    this.source = tree ? 'mod_tree + modules list' : 'modules list (no mod_tree)';
    for (const m of all) {
      if (this.modules.length >= MAX_MODULES) {
        ctx.warn(`module map: more than ${MAX_MODULES} modules — cut`);
        break;
      }
      const mod = ctx.safe(`module ${hex(m)}`, () => readRanges(ctx, m), null);
      // a tree node of a corrupt dump can point anywhere: keep what reads as a module
      if (mod && /^[\w-]{1,55}$/.test(mod.name)) this.modules.push({ ...mod, listed: listed.has(m), syms: null });
      else if (mod) ctx.warn(`module map: ${hex(m)} is no struct module (name ${JSON.stringify(mod.name.slice(0, 56))}) — skipped`);
    }
    for (const m of this.modules) for (const r of m.ranges) this.sorted.push({ ...r, module: m });
    this.sorted.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  inKernelText(a: bigint): boolean {
    return (a >= this.stext && a < this.etext) || (this.initText !== null && a >= this.initText[0] && a < this.initText[1]);
  }

  owner(a: bigint): AddressOwner {
    if (this.inKernelText(a)) return { kind: 'kernel', module: null };
    // last range starting at or below a (binary search); ranges of real modules do not overlap, a few
    // steps back cover a corrupt dump's overlapping ones
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].start <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const r = this.sorted[i];
      if (a < r.end) return { kind: 'module', module: r.module };
    }
    return { kind: 'none', module: null };
  }

  inModuleText(m: MappedModule, a: bigint): boolean {
    return m.ranges.some((r) => r.text && a >= r.start && a < r.end);
  }

  /** "name" or "name+0xoff": kernel kallsyms for the kernel image, the module's own symtab inside a module; null when neither knows it. */
  symbol(a: bigint): string | null {
    const r = this.resolve(a);
    return r ? fmt(r.name, r.offset) : null;
  }

  /**
   * The function (symbol) an address is in: kernel kallsyms inside the kernel text, the owning
   * module's symtab inside a module, null elsewhere — kallsyms alone would name the last kernel
   * symbol for any module address.
   */
  resolve(a: bigint): { name: string; start: bigint; offset: bigint } | null {
    const o = this.owner(a);
    if (o.kind === 'kernel') {
      const r = this.ctx.k.syms.lookup(a);
      return r ? { name: r.symbol.name, start: r.symbol.addr, offset: r.offset } : null;
    }
    if (!o.module) return null;
    const s = this.moduleSymbol(o.module, a);
    return s ? { name: s.name, start: a - s.offset, offset: s.offset } : null;
  }

  /** the module symbol at or below `a`, with the offset into it */
  moduleSymbol(m: MappedModule, a: bigint): { name: string; offset: bigint } | null {
    if (m.syms === null) {
      m.syms = this.ctx.safe(`symbols of module ${m.name}`, () => moduleSyms(this.ctx, m.addr), []);
      m.syms.sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
    }
    const syms = m.syms;
    let lo = 0;
    let hi = syms.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid].value <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best < 0 ? null : { name: syms[best].name, offset: a - syms[best].value };
  }
}

function fmt(name: string, off: bigint): string {
  return off === 0n ? name : `${name}+0x${off.toString(16)}`;
}

function listedModules(ctx: LinuxContext): Set<bigint> {
  const v = ctx.v;
  const head = ctx.k.syms.get('modules');
  const out = new Set<bigint>();
  if (head === undefined) return out;
  for (const m of v.list(head, v.off('module', 'list'), MAX_MODULES, (msg) => ctx.warn(`module list: ${msg}`))) out.add(m);
  return out;
}

/**
 * Modules in `mod_tree` (struct mod_tree_root → latch_tree_root.tree[0], an rb-tree of
 * latch_tree_node.node[0] inside struct mod_tree_node { struct module *mod; struct latch_tree_node node; }).
 * One module has a node per memory region, so the set deduplicates. null when the kernel has no tree.
 */
function treeModules(ctx: LinuxContext): Set<bigint> | null {
  const v = ctx.v;
  const root = ctx.k.syms.get('mod_tree');
  if (root === undefined || !v.has('mod_tree_node', 'node') || !v.has('latch_tree_root', 'tree')) return null;
  const rbRoot = root + BigInt(v.off('mod_tree_root', 'root') + v.off('latch_tree_root', 'tree'));
  const nodeOff = BigInt(v.off('mod_tree_node', 'node'));
  const modOff = BigInt(v.off('mod_tree_node', 'mod'));
  const right = BigInt(v.off('rb_node', 'rb_right'));
  const left = BigInt(v.off('rb_node', 'rb_left'));
  const out = new Set<bigint>();
  const stack: bigint[] = [];
  const first = v.ptr(rbRoot);
  if (first !== 0n) stack.push(first);
  const seen = new Set<bigint>();
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || n < ctx.kernelFloor) continue;
    if (seen.size >= MAX_MODULES * 8) {
      ctx.warn('module address tree: more nodes than any kernel has — cut');
      break;
    }
    seen.add(n);
    // node[0] is at offset 0 of latch_tree_node: the rb_node address is the latch node's
    const mod = v.ptr(n - nodeOff + modOff);
    if (mod >= ctx.kernelFloor) out.add(mod);
    for (const child of [v.ptr(n + left), v.ptr(n + right)]) if (child !== 0n) stack.push(child);
  }
  return out;
}

function readRanges(ctx: LinuxContext, m: bigint): Omit<MappedModule, 'listed' | 'syms'> {
  const v = ctx.v;
  const raw = v.bytes(m + BigInt(v.off('module', 'name')), 56);
  const z = raw.indexOf(0);
  const name = raw.toString('latin1', 0, z < 0 ? 56 : z);
  const ranges: ModuleRange[] = [];
  const push = (start: bigint, size: number, textSize: number) => {
    if (start === 0n || size <= 0) return;
    if (textSize > 0) ranges.push({ start, end: start + BigInt(Math.min(textSize, size)), text: true });
    if (size > textSize) ranges.push({ start: start + BigInt(textSize), end: start + BigInt(size), text: false });
  };
  if (v.has('module', 'core_layout')) {
    // ≤ 6.3: core_layout / init_layout { base, size, text_size, ro_size, … }
    for (const l of ['core_layout', 'init_layout']) {
      const base = v.ptr(m + BigInt(v.off('module', `${l}.base`)));
      push(base, v.u32(m + BigInt(v.off('module', `${l}.size`))), v.u32(m + BigInt(v.off('module', `${l}.text_size`))));
    }
  } else {
    // ≥ 6.4: mem[MOD_TEXT, MOD_DATA, MOD_RODATA, MOD_RO_AFTER_INIT, MOD_INIT_TEXT, MOD_INIT_DATA, MOD_INIT_RODATA]
    const memOff = BigInt(v.off('module', 'mem'));
    const elem = v.size('module_memory');
    const n = Math.min(v.count('module', 'mem'), 16);
    for (let i = 0; i < n; i++) {
      const at = m + memOff + BigInt(i * elem);
      const base = v.ptr(at + BigInt(v.off('module_memory', 'base')));
      const size = v.u32(at + BigInt(v.off('module_memory', 'size')));
      push(base, size, i === 0 || i === 4 ? size : 0);
    }
  }
  return { addr: m, name, ranges };
}

/** mod->kallsyms: { Elf64_Sym *symtab; unsigned int num_symtab; char *strtab; char *typetab; } */
function moduleSyms(ctx: LinuxContext, m: bigint): { value: bigint; name: string }[] {
  const v = ctx.v;
  if (!v.has('module', 'kallsyms')) return [];
  const ks = v.p(m, 'module', 'kallsyms');
  if (ks === 0n) return [];
  const symtab = v.p(ks, 'mod_kallsyms', 'symtab');
  const num = Math.min(v.u32(ks + BigInt(v.off('mod_kallsyms', 'num_symtab'))), MAX_MOD_SYMS);
  const strtab = v.p(ks, 'mod_kallsyms', 'strtab');
  const tab = v.bytes(symtab, num * ELF64_SYM);
  const out: { value: bigint; name: string }[] = [];
  for (let i = 1; i < num; i++) {
    const o = i * ELF64_SYM;
    const shndx = tab.readUInt16LE(o + 6);
    const type = tab[o + 4] & 0xf; // STT_NOTYPE 0, OBJECT 1, FUNC 2, SECTION 3, FILE 4
    if (shndx === 0 || type > 2) continue;
    const value = tab.readBigUInt64LE(o + 8);
    if (value === 0n) continue;
    const name = ctx.safe('module symbol name', () => v.cstr(strtab + BigInt(tab.readUInt32LE(o)), 128), '');
    if (name && !name.startsWith('$')) out.push({ value, name });
  }
  return out;
}

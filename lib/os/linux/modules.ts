// Kernel modules: the `modules` list (struct module.list), sizes as /proc/modules reports them
// (layouts ≤ 6.3: core_layout/init_layout; ≥ 6.4: mem[MOD_*]), plus modules found in memory but not
// in the list (hidden): a scan of the module area for struct modules whose mkobj.mod points back at
// themselves — a self-reference a list-unlinking rootkit leaves intact. Two more kernel views are
// cross-checked per module (LKM tampering): the module address tree (mod_tree, a latch tree of each
// module's memory regions, which %pS / kallsyms lookups use) and sysfs (module_kset's kobject list,
// /sys/module/<name>). A module in any view but the list is reported hidden.
import type { Row } from '../../model';
import type { LinuxContext } from './context';
import { hex } from '../../util/hex';

const MODULE_STATES = ['live', 'coming', 'going', 'unformed'];
const MODULES_VADDR = 0xffffffffa0000000n; // lowest possible module area start (KASLR moves it up)
const MODULES_END = 0xfffffffffe000000n;
const MAX_SCAN_BYTES = 512 << 20;

interface Mod {
  addr: bigint;
  name: string;
  base: bigint;
  size: number;
  state: string;
}

function readModule(ctx: LinuxContext, m: bigint): Mod {
  const v = ctx.v;
  const name = v.bytes(m + BigInt(v.off('module', 'name')), 56);
  const z = name.indexOf(0);
  let base: bigint;
  let size: number;
  if (v.has('module', 'core_layout')) {
    base = v.ptr(m + BigInt(v.off('module', 'core_layout.base')));
    size = v.u32(m + BigInt(v.off('module', 'core_layout.size'))) + v.u32(m + BigInt(v.off('module', 'init_layout.size')));
  } else {
    // struct module_memory mem[MOD_MEM_NUM_TYPES]; MOD_TEXT = 0
    const memOff = BigInt(v.off('module', 'mem'));
    const elem = v.size('module_memory');
    const n = v.count('module', 'mem');
    base = v.ptr(m + memOff + BigInt(v.off('module_memory', 'base')));
    size = 0;
    for (let i = 0; i < n; i++) size += v.u32(m + memOff + BigInt(i * elem + v.off('module_memory', 'size')));
  }
  const st = v.u32(m + BigInt(v.off('module', 'state')));
  return { addr: m, name: name.toString('latin1', 0, z < 0 ? 56 : z), base, size, state: MODULE_STATES[st] ?? String(st) };
}

/** One allocation of a module's memory: ≤ 6.3 the core and init layouts, ≥ 6.4 each mem[] region. */
export interface ModuleMemory {
  /** core, init (≤ 6.3); text, data, rodata, ro_after_init, init_text, init_data, init_rodata (≥ 6.4) */
  kind: string;
  start: bigint;
  end: bigint;
  /** r-x / rw- / r-- for ≥ 6.4's typed regions; null for ≤ 6.3's layouts (text, rodata and data in one) */
  protection: string | null;
}

/** a module region larger than this is no module's (a corrupt or hostile struct module) */
const MAX_MODULE_REGION = 1 << 30;
/** enum mod_mem_type (≥ 6.4), in kernel order: the values come from BTF when it has the enum */
const MOD_MEM_TYPES: [string, string, string][] = [
  ['MOD_TEXT', 'text', 'r-x'],
  ['MOD_DATA', 'data', 'rw-'],
  ['MOD_RODATA', 'rodata', 'r--'],
  ['MOD_RO_AFTER_INIT', 'ro_after_init', 'r--'],
  ['MOD_INIT_TEXT', 'init_text', 'r-x'],
  ['MOD_INIT_DATA', 'init_data', 'rw-'],
  ['MOD_INIT_RODATA', 'init_rodata', 'r--'],
];

/**
 * The memory a struct module occupies, region by region (what a scan of "the module" must read):
 * since 6.4 text, data and rodata are separate allocations (mem[MOD_*]) that need not be adjacent,
 * so base..base+size of the /proc/modules view would miss some and cover gaps. Freed init memory
 * (base 0 / size 0 after load) is left out.
 */
export function moduleMemory(ctx: LinuxContext, m: bigint): ModuleMemory[] {
  const v = ctx.v;
  const out: ModuleMemory[] = [];
  const push = (kind: string, base: bigint, size: number, protection: string | null) => {
    if (base === 0n || size <= 0 || size > MAX_MODULE_REGION) return;
    out.push({ kind, start: base, end: base + BigInt(size), protection });
  };
  if (v.has('module', 'core_layout')) {
    for (const l of ['core', 'init']) push(l, v.ptr(m + BigInt(v.off('module', `${l}_layout.base`))), v.u32(m + BigInt(v.off('module', `${l}_layout.size`))), null);
  } else {
    const memOff = BigInt(v.off('module', 'mem'));
    const elem = v.size('module_memory');
    const n = Math.min(v.count('module', 'mem'), 16);
    const types = ctx.k.types as { enumValue?: (n: string) => number | undefined };
    MOD_MEM_TYPES.forEach(([enumName, kind, prot], i) => {
      const idx = types.enumValue?.(enumName) ?? i;
      if (idx < 0 || idx >= n) return;
      const at = m + memOff + BigInt(idx * elem);
      push(kind, v.ptr(at + BigInt(v.off('module_memory', 'base'))), v.u32(at + BigInt(v.off('module_memory', 'size'))), prot);
    });
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

function listed(ctx: LinuxContext): Mod[] {
  const v = ctx.v;
  const head = ctx.k.syms.get('modules') ?? ctx.memoKernel('modules head', () => modulesHeadFromScan(ctx)) ?? ctx.k.syms.require('modules');
  const off = v.off('module', 'list');
  const out: Mod[] = [];
  for (const m of v.list(head, off, 4096, (msg) => ctx.warn(`module list: ${msg}`))) {
    const mod = ctx.safe(`module ${hex(m)}`, () => readModule(ctx, m), null);
    if (mod) out.push(mod);
  }
  return out;
}

/**
 * arm64 kernels without data symbols in kallsyms: the `modules` list head is the one node of a scanned
 * module's list ring that is not itself a scanned module and lies in the kernel image (.data).
 */
function modulesHeadFromScan(ctx: LinuxContext): bigint | null {
  const v = ctx.v;
  const off = BigInt(v.off('module', 'list'));
  const mods = ctx.safe('module scan', () => scanned(ctx), []);
  const nodes = new Set(mods.map((m) => m + off));
  const stext = ctx.k.syms.get('_stext');
  if (stext === undefined) return null;
  for (const m of mods) {
    let cur = m + off;
    for (let i = 0; i <= nodes.size; i++) {
      const next = ctx.safe('module list', () => v.ptr(cur), 0n);
      if (next === 0n || next === m + off) break;
      if (!nodes.has(next)) {
        const back = ctx.safe('module list', () => v.ptr(next + 8n), 0n); // list_head.prev
        if (back === cur && next >= stext && next < stext + (256n << 20n)) {
          ctx.k.sources.modules = `list head ${hex(next)} found through the module list of a struct module found by scanning module memory (no \`modules\` in kallsyms)`;
          return next;
        }
        break;
      }
      cur = next;
    }
  }
  return null;
}

/** where struct modules may live: x86-64's module area; on arm64 the module region KASLR puts within 4 GiB of the kernel image */
function moduleArea(ctx: LinuxContext): [bigint, bigint] {
  const stext = ctx.k.syms.get('_stext');
  if (ctx.k.arm64 && stext !== undefined) return [stext - (4n << 30n), stext + (4n << 30n)];
  return [MODULES_VADDR, MODULES_END];
}

/** Self-referencing struct module candidates in mapped module-area pages. */
function scanned(ctx: LinuxContext): bigint[] {
  const v = ctx.v;
  if (!v.has('module', 'mkobj') || !v.has('module_kobject', 'mod')) return [];
  const backOff = BigInt(v.off('module', 'mkobj') + v.off('module_kobject', 'mod'));
  const out: bigint[] = [];
  let scannedBytes = 0;
  const [areaStart, areaEnd] = moduleArea(ctx);
  for (const m of ctx.k.space.mappings(areaStart, areaEnd)) {
    if (m.size !== 4096) continue;
    if ((scannedBytes += m.size) > MAX_SCAN_BYTES) break;
    const page = Buffer.alloc(4096);
    if (!ctx.k.mem.readPhys(m.pa, page, 0, 4096)) continue;
    const lo = new Uint32Array(page.buffer, page.byteOffset, 1024);
    const vaHi = Number((m.va >> 32n) & 0xffffffffn);
    const vaLo = Number(m.va & 0xffffffffn);
    const backLo = Number(backOff);
    for (let i = 0; i < 1024; i += 2) {
      if (lo[i + 1] !== vaHi) continue;
      // value == this slot's address - backOff  (same high word: module structs never straddle 4 GiB)
      if (lo[i] === ((vaLo + i * 4 - backLo) >>> 0)) out.push(m.va + BigInt(i * 4) - backOff);
    }
  }
  return out;
}

const MAX_TREE_NODES = 16_384;

/** struct module addresses in mod_tree (tree[0] of the latch tree), or null when mod_tree is not known */
function inModTree(ctx: LinuxContext): Set<bigint> | null {
  const v = ctx.v;
  const root = ctx.k.syms.get('mod_tree');
  if (root === undefined || !v.has('latch_tree_root', 'tree') || !v.has('mod_tree_node', 'mod')) return null;
  const rootOff = v.has('mod_tree_root', 'root') ? v.off('mod_tree_root', 'root') : 0;
  const nodeOff = BigInt(v.off('mod_tree_node', 'node'));
  const modOff = BigInt(v.off('mod_tree_node', 'mod'));
  const left = BigInt(v.off('rb_node', 'rb_left'));
  const right = BigInt(v.off('rb_node', 'rb_right'));
  const out = new Set<bigint>();
  const seen = new Set<bigint>();
  const stack = [v.ptr(root + BigInt(rootOff + v.off('latch_tree_root', 'tree')))]; // tree[0].rb_node
  while (stack.length) {
    const n = stack.pop()!;
    if (n < ctx.kernelFloor || seen.has(n)) continue;
    if (seen.size >= MAX_TREE_NODES) {
      ctx.warn(`mod_tree: more than ${MAX_TREE_NODES} nodes — cut`);
      break;
    }
    seen.add(n);
    // tree[0] links node[0], the first member of latch_tree_node: n is the latch node itself
    ctx.safe(`mod_tree node ${hex(n)}`, () => {
      const mod = v.ptr(n - nodeOff + modOff);
      if (mod > ctx.kernelFloor) out.add(mod);
      stack.push(v.ptr(n + left), v.ptr(n + right));
    }, undefined);
  }
  return out;
}

/** struct module addresses behind module_kset's kobjects (/sys/module; built-in entries have no module), or null */
function inSysfs(ctx: LinuxContext): Set<bigint> | null {
  const v = ctx.v;
  const ksetVar = ctx.k.syms.get('module_kset');
  if (ksetVar === undefined || !v.has('module_kobject', 'mod')) return null;
  const kset = v.ptr(ksetVar); // struct kset *module_kset
  const entry = v.off('kobject', 'entry');
  const kobjOff = BigInt(v.off('module_kobject', 'kobj'));
  const modOff = BigInt(v.off('module_kobject', 'mod'));
  const out = new Set<bigint>();
  for (const kobj of v.list(kset + BigInt(v.off('kset', 'list')), entry, 1 << 14, (m) => ctx.warn(`module_kset: ${m}`))) {
    const mod = ctx.safe(`module kobject ${hex(kobj)}`, () => v.ptr(kobj - kobjOff + modOff), 0n);
    if (mod > ctx.kernelFloor) out.add(mod);
  }
  return out;
}

export function moduleRows(ctx: LinuxContext): Row<'kernel_module'>[] {
  const mods = listed(ctx);
  const known = new Set(mods.map((m) => m.addr));
  const tree = ctx.safe('mod_tree', () => inModTree(ctx), null);
  const sysfs = ctx.safe('module_kset', () => inSysfs(ctx), null);
  const views = (a: bigint) => ({ in_mod_tree: tree ? tree.has(a) : null, in_sysfs: sysfs ? sysfs.has(a) : null });
  const rows: Row<'kernel_module'>[] = mods.map((m) => ({
    name: m.name,
    base: m.base,
    size: m.size,
    path: null,
    state: m.state,
    in_module_list: true,
    hidden: false,
    object_address: m.addr,
    ...views(m.addr),
  }));
  const candidates = [...ctx.safe('module scan', () => scanned(ctx), []), ...(tree ?? []), ...(sysfs ?? [])];
  for (const cand of candidates) {
    if (known.has(cand)) continue;
    const mod = ctx.safe(`module candidate ${hex(cand)}`, () => readModule(ctx, cand), null);
    if (!mod || !/^[\w-]{1,55}$/.test(mod.name) || !MODULE_STATES.includes(mod.state)) continue;
    known.add(cand);
    rows.push({ name: mod.name, base: mod.base, size: mod.size, path: null, state: mod.state, in_module_list: false, hidden: true, object_address: cand, ...views(cand) });
  }
  return rows;
}

// Memory maps of a process: vm_area_structs from the maple tree (mm->mm_mt, kernels ≥ 6.1) or the
// mm->mmap linked list (older kernels), rendered like /proc/PID/maps. Tree walk is depth- and
// node-count-bounded; every VMA is validated by its vm_mm back-pointer.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';

// vm_flags bits (include/linux/mm.h) — ABI-stable since 2.6
const VM_READ = 0x1;
const VM_WRITE = 0x2;
const VM_EXEC = 0x4;
const VM_SHARED = 0x8;

// maple tree node encoding (include/linux/maple_tree.h)
const MAPLE_NODE_MASK = 0xffn;
const MAPLE_NODE_TYPE_SHIFT = 3n;
const MAPLE_LEAF_64 = 1;
const MAPLE_RANGE_64 = 2;
const MAPLE_ARANGE_64 = 3;
const MAX_NODES = 100_000;
const MAX_VMAS = 65_536;

export interface Vma {
  addr: bigint;
  start: bigint;
  end: bigint;
  flags: number;
  pgoff: number;
  file: bigint;
}

function readVma(ctx: LinuxContext, a: bigint): Vma {
  const v = ctx.v;
  return {
    addr: a,
    start: v.p(a, 'vm_area_struct', 'vm_start'),
    end: v.p(a, 'vm_area_struct', 'vm_end'),
    flags: v.n64(a + BigInt(v.off('vm_area_struct', 'vm_flags'))),
    pgoff: v.n64(a + BigInt(v.off('vm_area_struct', 'vm_pgoff'))),
    file: v.p(a, 'vm_area_struct', 'vm_file'),
  };
}

function mapleVmaPointers(ctx: LinuxContext, mm: bigint): bigint[] {
  const v = ctx.v;
  const root = v.ptr(mm + BigInt(v.off('mm_struct', 'mm_mt')) + BigInt(v.off('maple_tree', 'ma_root')));
  const out: bigint[] = [];
  const rangeSlots = v.off('maple_range_64', 'slot');
  const arangeSlots = v.off('maple_arange_64', 'slot');
  const nRange = v.count('maple_range_64', 'slot');
  const nArange = v.count('maple_arange_64', 'slot');
  let nodes = 0;
  // The root pointer is tagged MAPLE_ROOT_NODE (bit 1); children in internal nodes are encoded nodes
  // (node | type << 3 | MAPLE_ENODE_NULL); leaf slots hold the VMA pointers themselves.
  const visit = (enode: bigint, depth: number): void => {
    if (depth > 16 || ++nodes > MAX_NODES) {
      ctx.warn(`maple tree of mm ${mm.toString(16)} too deep/large — cut`);
      return;
    }
    const node = enode & ~MAPLE_NODE_MASK;
    const type = Number((enode >> MAPLE_NODE_TYPE_SHIFT) & 0xfn);
    if (type !== MAPLE_LEAF_64 && type !== MAPLE_RANGE_64 && type !== MAPLE_ARANGE_64) return;
    const slotsOff = type === MAPLE_ARANGE_64 ? arangeSlots : rangeSlots;
    const n = type === MAPLE_ARANGE_64 ? nArange : nRange;
    const slots = v.bytes(node + BigInt(slotsOff), n * 8);
    for (let i = 0; i < n; i++) {
      const s = slots.readBigUInt64LE(i * 8);
      if (s === 0n) continue;
      if (type === MAPLE_LEAF_64) {
        if ((s & 7n) === 0n && s > ctx.kernelFloor) out.push(s);
      } else if (s > ctx.kernelFloor) visit(s, depth + 1);
    }
  };
  if (root === 0n) return out;
  if ((root & 3n) === 2n && root > 4096n) visit(root, 0);
  else out.push(root); // a single-entry tree stores the VMA pointer directly in ma_root
  return out;
}

function listVmaPointers(ctx: LinuxContext, mm: bigint): bigint[] {
  const v = ctx.v;
  const out: bigint[] = [];
  let a = v.p(mm, 'mm_struct', 'mmap');
  const seen = new Set<bigint>();
  while (a && !seen.has(a) && out.length < MAX_VMAS) {
    seen.add(a);
    out.push(a);
    a = v.p(a, 'vm_area_struct', 'vm_next');
  }
  return out;
}

/** The VMAs of a task's mm, sorted by start, validated and de-duplicated (computed once per task). */
export function vmasOf(ctx: LinuxContext, t: Task): Vma[] {
  return ctx.memo('vmas', t, () => ctx.safe(`maps of pid ${t.pid}`, () => readVmas(ctx, t), []));
}

function readVmas(ctx: LinuxContext, t: Task): Vma[] {
  if (t.mm === 0n) return [];
  const v = ctx.v;
  const ptrs = v.has('mm_struct', 'mm_mt') ? mapleVmaPointers(ctx, t.mm) : listVmaPointers(ctx, t.mm);
  const seen = new Set<bigint>();
  const out: Vma[] = [];
  for (const p of ptrs) {
    if (seen.has(p)) continue;
    seen.add(p);
    const vma = ctx.safe(`vma ${p.toString(16)} of pid ${t.pid}`, () => {
      if (v.p(p, 'vm_area_struct', 'vm_mm') !== t.mm) return null;
      return readVma(ctx, p);
    }, null);
    if (vma && vma.end > vma.start) out.push(vma);
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : 1));
}

export function protectionOf(flags: number): string {
  return (
    (flags & VM_READ ? 'r' : '-') + (flags & VM_WRITE ? 'w' : '-') + (flags & VM_EXEC ? 'x' : '-') + (flags & VM_SHARED ? 's' : 'p')
  );
}

export function isWxAnon(vma: Vma): boolean {
  return vma.file === 0n && (vma.flags & VM_WRITE) !== 0 && (vma.flags & VM_EXEC) !== 0;
}

interface MmBounds {
  startBrk: bigint;
  brk: bigint;
  startStack: bigint;
}

/** Name of special mappings ([vdso], [vvar]) via vm_special_mapping->name. */
function specialName(ctx: LinuxContext, vma: Vma): string | null {
  const v = ctx.v;
  const ops = v.p(vma.addr, 'vm_area_struct', 'vm_ops');
  if (!ops) return null;
  // kallsyms without data symbols (arm64 CONFIG_KALLSYMS_ALL off) cannot name the ops table: then the ops
  // must lie in the kernel image (not the heap) and the name must read like a special mapping, "[vdso]"
  const known = ctx.k.syms.has('special_mapping_vmops');
  if (known) {
    const sym = ctx.k.syms.lookup(ops);
    if (!sym || sym.offset !== 0n || !/special_mapping_vmops$/.test(sym.symbol.name)) return null;
  } else {
    const stext = ctx.k.syms.get('_stext');
    if (stext === undefined || ops < stext || vma.file !== 0n) return null;
  }
  const priv = v.p(vma.addr, 'vm_area_struct', 'vm_private_data');
  if (!priv) return null;
  const name = v.p(priv, 'vm_special_mapping', 'name');
  const text = name ? v.cstr(name, 64) : null;
  return known || (text && /^\[[a-z0-9_]+\]$/.test(text)) ? text : null;
}

export function vmaRows(ctx: LinuxContext, tasks: Task[]): Row<'vma'>[] {
  const v = ctx.v;
  const out: Row<'vma'>[] = [];
  for (const t of tasks) {
    if (ctx.isKernelThread(t)) continue;
    const vmas = vmasOf(ctx, t);
    const mm: MmBounds | null = ctx.safe('mm bounds', () => ({
      startBrk: v.p(t.mm, 'mm_struct', 'start_brk'),
      brk: v.p(t.mm, 'mm_struct', 'brk'),
      startStack: v.p(t.mm, 'mm_struct', 'start_stack'),
    }), null);
    for (const m of vmas) {
      const row = ctx.safe(`vma of pid ${t.pid}`, (): Row<'vma'> => {
        let fileName: string | null = null;
        let inode: number | null = null;
        let kind = 'anon';
        if (m.file) {
          const p = ctx.paths.fromFile(m.file);
          fileName = p.deleted ? `${p.path} (deleted)` : p.path; // as /proc/PID/maps shows it
          inode = p.inode;
          kind = 'file';
        } else if (mm && m.start <= mm.brk && m.end >= mm.startBrk && mm.brk > mm.startBrk) {
          kind = 'heap';
          fileName = '[heap]';
        } else if (mm && m.start <= mm.startStack && m.end >= mm.startStack) {
          kind = 'stack';
          fileName = '[stack]';
        } else {
          const special = specialName(ctx, m);
          if (special) {
            fileName = special;
            kind = special.replace(/^\[|\]$/g, '');
          }
        }
        return {
          process_id: t.tgid,
          start: m.start,
          end: m.end,
          size: Number(m.end - m.start),
          protection: protectionOf(m.flags),
          flags: m.flags,
          page_offset: m.file ? m.pgoff * 4096 : 0,
          file_name: fileName,
          inode,
          kind,
          is_private: (m.flags & VM_SHARED) === 0,
          is_writable: (m.flags & VM_WRITE) !== 0,
          is_executable: (m.flags & VM_EXEC) !== 0,
          has_pe_header: null,
          object_address: m.addr,
        };
      }, null);
      if (row) out.push(row);
    }
  }
  return out;
}

/** ELF objects mapped into each process (executable + shared libraries), from file-backed VMAs. */
export function libraryRows(vmas: Row<'vma'>[]): Row<'loaded_library'>[] {
  const groups = new Map<string, { pid: number; path: string; start: bigint; end: bigint; exec: boolean }>();
  for (const r of vmas) {
    if (r.kind !== 'file' || !r.file_name) continue;
    const key = `${r.process_id}\0${r.file_name}`;
    const g = groups.get(key);
    if (!g) groups.set(key, { pid: r.process_id, path: r.file_name, start: r.start, end: r.end, exec: r.is_executable });
    else {
      if (r.start < g.start) g.start = r.start;
      if (r.end > g.end) g.end = r.end;
      g.exec ||= r.is_executable;
    }
  }
  return [...groups.values()]
    .filter((g) => g.exec)
    .map((g) => ({
      process_id: g.pid,
      base: g.start,
      size: Number(g.end - g.start),
      path: g.path,
      name: g.path.slice(g.path.lastIndexOf('/') + 1),
      in_load_list: true,
      in_vad: true,
    }));
}


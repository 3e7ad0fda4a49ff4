// ARM64 Linux discovery without VMCOREINFO: the memory-layout facts VMCOREINFO would give
// (kimage_voffset, swapper_pg_dir, VA_BITS, PHYS_OFFSET, KASLR offset) derived from kallsyms (found by
// scanning RAM; text symbols at least) + BTF + init_task found in RAM. init_task is self-describing:
// its real_parent, parent and group_leader all hold its own kernel-image VA, so one physical copy with
// comm "swapper…" and pid 0 gives VA − PA of the image (kimage_voffset); init_task.tasks points into
// the linear map, which fixes VA_BITS (PAGE_OFFSET = −2^VA_BITS); swapper_pg_dir (the TTBR1 root) is
// the image page whose walk maps _stext, init_task and those links; the walked links give PHYS_OFFSET.
// Also here: the printk ring buffer pointer `prb` found in the image (a data symbol text-only kallsyms
// lacks), used on both arm64 paths when VMCOREINFO has no SYMBOL(prb).
import type { PhysicalMemory } from '../../image/physical';
import { physRead, scanRam } from '../../image/physical';
import { Aarch64Space, checkAarch64Layout } from '../../arch/aarch64';
import type { VirtualSpace } from '../../arch/space';
import type { SymbolTable } from '../../symbols/kallsyms';
import type { TypeLayouts } from '../../symbols/layouts';
import { MemqError } from '../../util/errors';
import { hex } from '../../util/hex';
import type { Arm64Facts } from './kernel';

const MASK64 = (1n << 64n) - 1n;
/** init_task lies in the kernel image: at most this far past _stext */
const IMAGE_SPAN = 256n << 20n;
const MAX_COMM_HITS = 4096;
/** SEGMENT_ALIGN: _stext starts the first 64 KiB-aligned segment after .head.text, which starts at _text */
const SEGMENT_ALIGN = 0x10000n;

export interface Arm64Discovery {
  space: Aarch64Space;
  facts: Arm64Facts;
  kaslrShift: bigint;
  /** data symbols found on the way (init_task, init_mm, swapper_pg_dir, init_uts_ns) */
  extra: { name: string; addr: bigint; type: string }[];
}

/** Number of leading one bits of a 64-bit value. */
function leadingOnes(v: bigint): number {
  let n = 0;
  for (let bit = 63n; bit >= 0n && (v >> bit) & 1n; bit--) n++;
  return n;
}

/**
 * KIMAGE_VADDR (link address of _text) for a 48-bit-VA layout: MODULES_END = _PAGE_END(VA_BITS_MIN) +
 * MODULES_VSIZE, which was 128 MiB before Linux 6.5 and 2 GiB since. An architecture constant per
 * kernel series (like x86-64's 0xffffffff81000000), not a per-kernel offset.
 */
function kimageVaddr(vaBits: number, release: string): bigint {
  const [maj, min] = (release.match(/^(\d+)\.(\d+)/)?.slice(1) ?? ['0', '0']).map(Number);
  const modulesVsize = maj > 6 || (maj === 6 && min >= 5) ? 2n << 30n : 128n << 20n;
  return ((MASK64 << BigInt(vaBits - 1)) & MASK64) + modulesVsize;
}

export function arm64WithoutVmcoreInfo(mem: PhysicalMemory, syms: SymbolTable, types: TypeLayouts, sources: Record<string, string>, warnings: string[]): Arm64Discovery {
  const off = (s: string, m: string): number => {
    const x = types.member(s, m);
    if (!x) throw new MemqError(`ARM64 Linux without VMCOREINFO: BTF lacks ${s}.${m}`, 'E_NO_KERNEL');
    return x.offset;
  };
  const stext = syms.get('_stext') ?? syms.require('_text');
  const o = {
    comm: off('task_struct', 'comm'),
    pid: off('task_struct', 'pid'),
    realParent: off('task_struct', 'real_parent'),
    parent: off('task_struct', 'parent'),
    groupLeader: off('task_struct', 'group_leader'),
    tasks: off('task_struct', 'tasks'),
    nsproxy: off('task_struct', 'nsproxy'),
    utsNs: off('nsproxy', 'uts_ns'),
    utsName: types.member('uts_namespace', 'name')?.offset ?? 0,
  };
  const span = Math.max(...Object.values(o)) + 16;
  // 1. init_task in RAM: comm "swapper/0" (or "swapper"), pid 0, three self pointers into the image
  let found: { pa: number; va: bigint; t: Buffer } | null = null;
  let hits = 0;
  for (const name of [Buffer.from('swapper/0\0'), Buffer.from('swapper\0')]) {
    for (const [base, chunk] of scanRam(mem)) {
      for (let i = chunk.indexOf(name); i >= 0 && found === null && hits < MAX_COMM_HITS; i = chunk.indexOf(name, i + 1)) {
        hits++;
        const pa = base + i - o.comm;
        if (pa < 0) continue;
        const t = physRead(mem, pa, span);
        if (!t || t.readInt32LE(o.pid) !== 0) continue;
        const va = t.readBigUInt64LE(o.realParent);
        if (va < stext || va >= stext + IMAGE_SPAN || t.readBigUInt64LE(o.parent) !== va || t.readBigUInt64LE(o.groupLeader) !== va) continue;
        if (((va - BigInt(pa)) & 0xfffn) !== 0n) continue; // VA and PA share the page offset
        found = { pa, va, t };
      }
      if (found) break;
    }
    if (found) break;
  }
  if (!found) throw new MemqError('ARM64 Linux without VMCOREINFO: init_task not found in RAM (no task "swapper" with pid 0 whose parent and group leader are itself)', 'E_NO_KERNEL');
  const kimageVoffset = (found.va - BigInt(found.pa)) & MASK64;
  sources.init_task = `${hex(found.va)}: found in RAM at physical ${hex(found.pa)} (comm "swapper", pid 0, real_parent = parent = group_leader = itself)`;
  sources.kimage_voffset = `${hex(kimageVoffset)}: init_task's own VA (its real_parent) − its physical address`;
  const imagePa = (va: bigint) => Number((va - kimageVoffset) & MASK64);
  const imageU64 = (va: bigint, what: string): bigint => {
    const b = physRead(mem, imagePa(va), 8);
    if (!b) throw new MemqError(`ARM64 Linux without VMCOREINFO: ${what} at ${hex(va)} not in the dump`, 'E_NO_KERNEL');
    return b.readBigUInt64LE(0);
  };
  // 2. VA_BITS from a linear-map pointer: init_task.tasks.next is pid 1's task_struct (slab, linear
  //    map), and linear-map VAs are [−2^VA_BITS, −2^(VA_BITS−1)): their leading ones give 64 − VA_BITS
  const next = found.t.readBigUInt64LE(o.tasks);
  const prev = found.t.readBigUInt64LE(o.tasks + 8);
  const vaBits = 64 - leadingOnes(next);
  if (vaBits < 36 || vaBits > 52) throw new MemqError(`ARM64 Linux without VMCOREINFO: init_task.tasks.next ${hex(next)} is not a linear-map pointer`, 'E_NO_KERNEL');
  if (64 - leadingOnes(prev) !== vaBits) throw new MemqError(`ARM64 Linux without VMCOREINFO: init_task.tasks links ${hex(next)} / ${hex(prev)} do not agree on the linear-map layout`, 'E_NO_KERNEL');
  sources.va_bits = `${vaBits}: linear-map pointers (init_task.tasks ${hex(next)}) lie in [−2^${vaBits}, −2^${vaBits - 1})`;
  // only the 4 KiB granule is walked; a 16/64 KiB kernel finds no root below, and says so
  const pageSize = 4096;
  checkAarch64Layout(vaBits, pageSize);
  sources.page_size = '4096: assumed (no VMCOREINFO PAGESIZE); confirmed by the 4 KiB-granule walk mapping _stext and init_task';
  // 3. swapper_pg_dir: init_task.active_mm is the last user mm (lazy TLB), not init_mm, so the root is
  //    found as the first page of the image that, walked as TTBR1, maps _stext and init_task where
  //    kimage_voffset puts them and also maps the linear-map pointers (init_pg_dir, the boot-time
  //    root left after it in .init, maps the image only)
  const space = findSwapper(mem, imagePa(stext), [
    [stext, imagePa(stext)],
    [found.va, found.pa],
  ], [next, prev], vaBits);
  if (!space) {
    throw new MemqError(`ARM64 Linux without VMCOREINFO: no page of the kernel image walks as a 4 KiB-granule, ${vaBits}-bit TTBR1 root mapping _stext and init_task (16/64 KiB granule kernels are not supported)`, 'E_PAGING');
  }
  const dtb = space.ttbr1!;
  const swapper = (BigInt(dtb) + kimageVoffset) & MASK64;
  sources.dtb = `swapper_pg_dir ${hex(swapper)} = physical ${hex(dtb)} + kimage_voffset: the first kernel-image page that walks as the TTBR1 root mapping _stext, init_task and its linear-map task links`;
  // 4. PHYS_OFFSET: linear map va = pa − PHYS_OFFSET + PAGE_OFFSET, from two walked linear-map pointers
  const pageOffset = (MASK64 << BigInt(vaBits)) & MASK64;
  const physOffsetOf = (va: bigint): bigint | null => {
    const pa = space.translate(va);
    return pa === null ? null : (BigInt(pa) - (va - pageOffset)) & MASK64;
  };
  const physOffset = physOffsetOf(next);
  if (physOffset === null || physOffsetOf(prev) !== physOffset) throw new MemqError(`ARM64 Linux without VMCOREINFO: the linear map does not translate init_task.tasks (${hex(next)}) consistently`, 'E_PAGING');
  sources.phys_offset = `${hex(physOffset)}: PA − (VA − PAGE_OFFSET) of linear-map pointers init_task.tasks.next/prev walked from swapper_pg_dir (memstart_addr)`;
  // 5. init_uts_ns (init_task.nsproxy->uts_ns) and the release it holds
  const extra = [
    { name: 'init_task', addr: found.va, type: 'D' },
    { name: 'swapper_pg_dir', addr: swapper, type: 'B' },
  ];
  let release = '';
  const nsproxy = found.t.readBigUInt64LE(o.nsproxy);
  const uts = nsproxy >= stext && nsproxy < stext + IMAGE_SPAN ? space.read(nsproxy + BigInt(o.utsNs), 8)?.readBigUInt64LE(0) : undefined;
  if (uts !== undefined && uts >= stext && uts < stext + IMAGE_SPAN) {
    extra.push({ name: 'init_uts_ns', addr: uts, type: 'D' });
    const r = space.read(uts + BigInt(o.utsName) + 2n * 65n, 65);
    release = r ? r.toString('latin1', 0, Math.max(0, r.indexOf(0))) : '';
    sources.init_uts_ns = `${hex(uts)}: init_task.nsproxy->uts_ns (release "${release}")`;
  }
  // 6. KASLR offset = _text − KIMAGE_VADDR, _text = _stext − SEGMENT_ALIGN
  const text = syms.get('_text') ?? stext - SEGMENT_ALIGN;
  const kaslrShift = (text - kimageVaddr(vaBits, release)) & MASK64;
  sources.kaslr_shift = `${hex(kaslrShift)}: _text (${syms.get('_text') !== undefined ? 'kallsyms' : '_stext − 64 KiB'}) − default KIMAGE_VADDR ${hex(kimageVaddr(vaBits, release))} (KERNELOFFSET is unknown without VMCOREINFO)`;
  warnings.push(`no VMCOREINFO in RAM: KASLR shift is reported relative to the default arm64 link address ${hex(kimageVaddr(vaBits, release))}`);
  sources.page_offset = `${hex(pageOffset)}: −2^VA_BITS`;
  const facts: Arm64Facts = { vaBits, pageSize, pageOffset, physOffset, kimageVoffset, swapperPgDir: swapper, swapperPgDirPhys: dtb, kernelPacMask: null };
  return { space, facts, kaslrShift, extra };
}

/** Scans image pages from `from` (physical) for the TTBR1 root; a page qualifies when its L0 entry for the first check VA is a table. */
function findSwapper(mem: PhysicalMemory, from: number, checks: [bigint, number][], linear: bigint[], vaBits: number): Aarch64Space | null {
  const l0 = Number((checks[0][0] >> 39n) & 511n) * 8;
  const CH = 1 << 20;
  const buf = Buffer.alloc(CH);
  const start = from & ~0xfff;
  for (let pa = start; pa < start + Number(IMAGE_SPAN); pa += CH) {
    // the image may end near the end of a RAM range: read only up to it
    const r = mem.ranges.find((x) => pa >= x.start && pa < x.end);
    if (!r) continue;
    const n = Math.min(CH, r.end - pa);
    if (!mem.readPhys(pa, buf, 0, n)) continue;
    for (let p = 0; p + 4096 <= n; p += 4096) {
      if ((buf[p + l0] & 3) !== 3) continue;
      const space = new Aarch64Space(mem, { ttbr1: pa + p, vaBits, pageSize: 4096 });
      if (checks.every(([va, want]) => space.translate(va) === want) && linear.every((va) => space.translate(va) !== null)) return space;
    }
  }
  return null;
}

/** `len` bytes at `va`, unmapped pages read as zeros (the image has holes: freed init memory, gaps). */
export function readHoles(space: VirtualSpace, va: bigint, len: number): Buffer {
  const whole = space.read(va, len);
  if (whole) return whole;
  const buf = Buffer.alloc(len);
  for (let o = 0; o < len; ) {
    const n = Math.min(len - o, 4096 - Number((va + BigInt(o)) & 0xfffn));
    space.readInto(va + BigInt(o), buf, o, n);
    o += n;
  }
  return buf;
}

/**
 * `prb` (the kernel log's printk_ringbuffer pointer) without a symbol: the image holds the
 * ring buffers themselves (printk_rb_static, and printk_rb_dynamic once setup_log_buf moved the log)
 * — a desc ring of 2^count_bits descriptors and a text ring of 2^(count_bits + 5) bytes (PRB_AVGBITS)
 * with kernel pointers — and `prb` is the 8-byte slot after _etext that points at one of them.
 */
export function findPrb(space: VirtualSpace, types: TypeLayouts, etext: bigint, end: bigint): { prb: bigint; rb: bigint } | null {
  const m = (s: string, f: string) => types.member(s, f)?.offset;
  const desc = m('printk_ringbuffer', 'desc_ring');
  const text = m('printk_ringbuffer', 'text_data_ring');
  const countBits = m('prb_desc_ring', 'count_bits');
  const descs = m('prb_desc_ring', 'descs');
  const infos = m('prb_desc_ring', 'infos');
  const sizeBits = m('prb_data_ring', 'size_bits');
  const data = m('prb_data_ring', 'data');
  if ([desc, text, countBits, descs, infos, sizeBits, data].some((x) => x === undefined)) return null;
  const cb = desc! + countBits!;
  const sb = text! + sizeBits!;
  const ptrs = [desc! + descs!, desc! + infos!, text! + data!];
  const structSpan = Math.max(cb, sb, ...ptrs) + 8;
  const CH = 1 << 20;
  const rings: bigint[] = [];
  const start = (etext + 7n) & ~7n;
  for (let base = start; base < end && rings.length < 64; base += BigInt(CH)) {
    const buf = readHoles(space, base, CH + structSpan);
    for (let i = 0; i < CH && rings.length < 64; i += 8) {
      const c = buf.readUInt32LE(i + cb);
      if (c < 5 || c > 24 || buf.readUInt32LE(i + sb) !== c + 5) continue;
      if (ptrs.every((p) => buf.readBigUInt64LE(i + p) >> 48n === 0xffffn)) rings.push(base + BigInt(i));
    }
  }
  if (!rings.length) return null;
  const want = new Set(rings);
  // low halves first: a BigInt per slot only where the low 32 bits already match
  const lows = new Set(rings.map((r) => Number(r & 0xffffffffn)));
  for (let base = start; base < end; base += BigInt(CH)) {
    const buf = readHoles(space, base, CH);
    for (let i = 0; i < CH; i += 8) {
      if (!lows.has(buf.readUInt32LE(i))) continue;
      const v = buf.readBigUInt64LE(i);
      if (want.has(v)) return { prb: base + BigInt(i), rb: v };
    }
  }
  return null;
}

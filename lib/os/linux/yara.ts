// YARA over Linux memory: each process's VMAs (with their protections and files), every kernel module's
// memory region by region (listed and hidden; ≥ 6.4 text, data and rodata apart) and the kernel image, read page by page through the existing virtual
// spaces (present pages only: nothing loads a whole dump). Present runs are packed into scan blocks of
// ≤ BLOCK_BYTES (YARA-X's per-scan overhead makes small blocks slow, see README "YARA"); matches are
// mapped back to the VA, region and process they lie in. A match that would span two VA-discontiguous
// runs is dropped (those bytes are not adjacent in the process); a run split across two blocks
// overlaps by OVERLAP bytes so a string on the cut is still found once.
import type { Row } from '../../model';
import type { RuleMatch, YaraScanner } from '../../yara/engine';
import type { VirtualSpace } from '../../arch/space';
import type { LinuxContext, Task } from './context';
import { vmaRows } from './vmas';
import { moduleMemory, moduleRows } from './modules';
import { ModuleMap } from './module-map';
import { hex } from '../../util/hex';

export const BLOCK_BYTES = 16 << 20;
const OVERLAP = 4096;
/** bytes scanned per process / kernel scope at most (a 64 GB dump still gets every process a fair share) */
export const MAX_SCOPE_BYTES = 4 * 1024 ** 3;
export const MAX_ROWS = 100_000;
const PREVIEW = 64;
const VM_READ = 0x1;

export interface YaraScope {
  /** scan user processes' VMAs (all selected user tasks) */
  processes?: boolean;
  /** scan kernel module memory (listed and hidden modules) */
  modules?: boolean;
  /** scan the kernel image (_text.._end) */
  kernel?: boolean;
  /** scan all of physical RAM (addresses are physical; opt-in: it repeats what the other scopes read) */
  physical?: boolean;
}

/** physical RAM scanned at most with `physical` */
export const MAX_PHYSICAL_BYTES = 64 * 1024 ** 3;

interface Region {
  scope: 'process' | 'module' | 'kernel' | 'physical';
  task: Task | null;
  module: string | null;
  start: bigint;
  end: bigint;
  protection: string | null;
  file: string | null;
}

interface Segment {
  off: number;
  va: bigint;
  len: number;
  region: Region;
}

/** Collects present runs into one block, scans it when full, turns matches into rows. */
class BlockScanner {
  private buf = Buffer.alloc(BLOCK_BYTES);
  private used = 0;
  private segs: Segment[] = [];
  private seen = new Set<string>();
  bytes = 0;

  constructor(
    private readonly ctx: LinuxContext,
    private readonly scanner: YaraScanner,
    private readonly rows: Row<'yara_match'>[],
  ) {}

  /** Copies `len` bytes at physical `pa` (mapped at `va` of `region`) into the block; returns the bytes added. */
  add(region: Region, va: bigint, pa: number, len: number): number {
    let done = 0;
    while (done < len) {
      if (this.used === this.buf.length) this.flush(true);
      const n = Math.min(len - done, this.buf.length - this.used);
      if (!this.ctx.k.mem.readPhys(pa + done, this.buf, this.used, n)) return done; // absent in the dump: the run ends here
      const cur = va + BigInt(done);
      const last = this.segs[this.segs.length - 1];
      if (last && last.region === region && last.off + last.len === this.used && last.va + BigInt(last.len) === cur) last.len += n;
      else this.segs.push({ off: this.used, va: cur, len: n, region });
      this.used += n;
      this.bytes += n;
      done += n;
    }
    return done;
  }

  /** Scans what is in the block; `carry` keeps the tail of the last run for the next block (a run cut in two). */
  flush(carry = false): void {
    if (this.used === 0) return;
    const matches = this.scanner.scan(this.buf.subarray(0, this.used));
    for (const m of matches) this.rowsOf(m);
    const last = this.segs[this.segs.length - 1];
    if (carry && last && last.off + last.len === this.used) {
      const keep = Math.min(OVERLAP, last.len);
      this.buf.copy(this.buf, 0, this.used - keep, this.used);
      this.segs = [{ off: 0, va: last.va + BigInt(last.len - keep), len: keep, region: last.region }];
      this.used = keep;
    } else {
      this.segs = [];
      this.used = 0;
    }
  }

  private segAt(off: number): Segment | null {
    let lo = 0;
    let hi = this.segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segs[mid];
      if (off < s.off) hi = mid - 1;
      else if (off >= s.off + s.len) lo = mid + 1;
      else return s;
    }
    return null;
  }

  private rowsOf(m: RuleMatch): void {
    if (m.strings.length === 0) {
      const s = this.segs[0];
      if (s) this.push(m, s.region, s.region.start, null, null, null);
      return;
    }
    for (const x of m.strings) {
      const s = this.segAt(x.offset);
      if (!s || x.offset + x.length > s.off + s.len) continue; // spans VA-discontiguous runs
      const addr = s.va + BigInt(x.offset - s.off);
      const data = this.buf.subarray(x.offset, x.offset + Math.min(x.length, PREVIEW));
      this.push(m, s.region, addr, x.identifier, x.length, preview(data));
    }
  }

  private push(m: RuleMatch, r: Region, address: bigint, ident: string | null, length: number | null, data: string | null): void {
    const key = `${m.namespace}\0${m.rule}\0${ident}\0${r.task?.pid ?? r.module ?? 'k'}\0${address}`;
    if (this.seen.has(key)) return; // found again in a block's carried-over overlap
    if (this.rows.length >= MAX_ROWS) {
      this.ctx.warn(`yara: more than ${MAX_ROWS} matches — the rest dropped`);
      return;
    }
    this.seen.add(key);
    this.rows.push({
      rule: m.rule,
      namespace: m.namespace,
      tags: m.tags,
      scope: r.scope,
      process_id: r.task?.tgid ?? null,
      process_name: r.task?.comm ?? null,
      module_name: r.module,
      region_start: r.start,
      region_end: r.end,
      protection: r.protection,
      file_name: r.file,
      address,
      region_offset: Number(address - r.start),
      string_identifier: ident,
      match_length: length,
      data_preview: data,
    });
  }
}

/** Printable ASCII as is, every other byte as \xNN (so a preview is safe to print and to store). */
export function preview(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

/** Adds every present page of [region.start, region.end) in `space`, bounded by the scope budget. */
function addRegion(bs: BlockScanner, space: VirtualSpace, r: Region, budget: { left: number }): void {
  const maxMappings = Math.max(1, Math.min(1 << 22, Number((r.end - r.start) >> 12n) + 1));
  for (const m of space.mappings(r.start, r.end, maxMappings)) {
    if (budget.left <= 0) return;
    const va = m.va < r.start ? r.start : m.va;
    const skip = Number(va - m.va);
    const endVa = m.va + BigInt(m.size) > r.end ? r.end : m.va + BigInt(m.size);
    const len = Math.min(Number(endVa - va), budget.left);
    if (len <= 0) continue;
    bs.add(r, va, m.pa + skip, len);
    budget.left -= len;
  }
}

/**
 * Every struct module to scan, by address: the module list and the self-referencing scan (moduleRows:
 * hidden ones included) and the module address tree (mod_tree: an unlinked module stays there).
 */
function moduleStructs(ctx: LinuxContext): Map<bigint, string> {
  const out = new Map<bigint, string>();
  for (const m of ctx.safe('yara: modules', () => moduleRows(ctx), [])) if (m.object_address !== null) out.set(m.object_address, m.name);
  const map = ctx.safe('yara: module address tree', () => ctx.memoKernel('module map', () => new ModuleMap(ctx)), null);
  for (const m of map?.modules ?? []) if (!out.has(m.addr)) out.set(m.addr, m.name);
  return out;
}

/** YARA matches in the selected tasks' memory and (kernel-wide scopes) module and kernel-image memory. */
export function yaraRows(ctx: LinuxContext, scanner: YaraScanner, tasks: Task[], scope: YaraScope, kernelWide: boolean): Row<'yara_match'>[] {
  const rows: Row<'yara_match'>[] = [];
  const bs = new BlockScanner(ctx, scanner, rows);
  if (scope.processes !== false) {
    for (const t of tasks) {
      if (ctx.isKernelThread(t)) continue;
      const space = ctx.userSpace(t);
      if (!space) continue;
      const budget = { left: MAX_SCOPE_BYTES };
      for (const v of vmaRows(ctx, [t])) {
        if ((v.flags & VM_READ) === 0) continue; // PROT_NONE guard pages: nothing a process can read
        const r: Region = { scope: 'process', task: t, module: null, start: v.start, end: v.end, protection: v.protection, file: v.file_name };
        ctx.safe(`yara: pid ${t.pid} region ${hex(v.start)}`, () => addRegion(bs, space, r, budget), undefined);
      }
      if (budget.left <= 0) ctx.warn(`yara: pid ${t.pid}: more than ${MAX_SCOPE_BYTES} bytes — rest not scanned`);
      bs.flush(); // conditions see one process at a time (like yara -p: one process = one scan)
    }
  }
  if (kernelWide && scope.modules !== false) {
    const budget = { left: MAX_SCOPE_BYTES };
    for (const [addr, name] of moduleStructs(ctx)) {
      for (const mem of ctx.safe(`yara: module ${name} memory`, () => moduleMemory(ctx, addr), [])) {
        const r: Region = { scope: 'module', task: null, module: name, start: mem.start, end: mem.end, protection: mem.protection, file: `[${mem.kind}]` };
        ctx.safe(`yara: module ${name} ${mem.kind}`, () => addRegion(bs, ctx.k.space, r, budget), undefined);
      }
      bs.flush(); // one module = one scan
    }
  }
  if (kernelWide && scope.kernel !== false) {
    const text = ctx.k.syms.get('_text') ?? ctx.k.syms.get('_stext');
    const end = ctx.k.syms.get('_end');
    if (text !== undefined && end !== undefined && end > text && end - text < 1n << 30n) {
      const r: Region = { scope: 'kernel', task: null, module: null, start: text, end, protection: null, file: null };
      ctx.safe('yara: kernel image', () => addRegion(bs, ctx.k.space, r, { left: MAX_SCOPE_BYTES }), undefined);
      bs.flush();
    } else ctx.warn('yara: kernel image bounds (_text, _end) unknown — kernel image not scanned');
  }
  if (kernelWide && scope.physical) {
    let left = MAX_PHYSICAL_BYTES;
    const CHUNK = 1 << 20;
    for (const r of ctx.k.mem.ranges) {
      if (!r.ram || left <= 0) continue;
      const region: Region = { scope: 'physical', task: null, module: null, start: BigInt(r.start), end: BigInt(r.end), protection: null, file: null };
      for (let p = r.start; p < r.end && left > 0; p += CHUNK) {
        const n = Math.min(CHUNK, r.end - p, left);
        left -= n;
        // a chunk the dump holds only in part (sparse formats): page by page
        const got = bs.add(region, BigInt(p), p, n);
        for (let q = p + got; q < p + n; ) {
          const m = Math.min(4096 - (q % 4096), p + n - q);
          bs.add(region, BigInt(q), q, m);
          q += m;
        }
      }
    }
    if (left <= 0) ctx.warn(`yara: physical memory beyond ${MAX_PHYSICAL_BYTES} bytes not scanned`);
    bs.flush();
  }
  bs.flush();
  return rows;
}

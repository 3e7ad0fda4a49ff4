// Locates the kallsyms tables in PHYSICAL memory without any hint (kernels whose VMCOREINFO lacks the
// kallsyms addresses, or dumps without VMCOREINFO). Anchor: the token table holds the digits as
// single-character tokens, so "0\0 1\0 … 9\0" appears in it; the token index (256 u16 offsets) that
// follows must describe every token string exactly. Then num_syms / names / offsets / relative_base
// are found for both layouts scripts/kallsyms.c has used (≤ 6.3: offsets, relative_base, num_syms,
// names, markers, token_table, token_index; ≥ 6.4: num_syms, names, markers, token_table, token_index,
// offsets, relative_base) and accepted only if a full decode yields the core kernel symbols.
// The architecture follows from the decoded table: x86-64 kernels live at ≥ 0xffffffff80000000 and
// keep data symbols (init_task, linux_banner); arm64 kernels below that, with text symbols at least
// (Debian builds without CONFIG_KALLSYMS_ALL) and no ABSOLUTE_PERCPU encoding.
import type { PhysicalMemory } from '../image/physical';
import type { Arch } from '../arch/space';
import { physRead, scanRam } from '../image/physical';
import { decodeKallsyms, type KallsymsLocations, type SymbolTable } from './kallsyms';
import { MemqError } from '../util/errors';

const ANCHOR = Buffer.from('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00', 'latin1');
const BACK_WINDOW = 8 << 20;
const MAX_CANDIDATES = 64;
const KERNEL_MIN = 0xffffffff80000000n;
/** lowest kernel-half VA of any arm64 layout (52-bit VA) */
const ARM64_KERNEL_MIN = 0xfff0000000000000n;

export interface ScannedKallsyms {
  syms: SymbolTable;
  /** physical address of kallsyms_token_table */
  tokenTablePhys: number;
  layout: '<=6.3' | '>=6.4';
  /** the architecture the table's addresses and encoding belong to */
  arch: Arch;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Validates a token table at T with index at X; true if all 256 entries are consistent. */
function tokensAt(mem: PhysicalMemory, T: number, X: number): boolean {
  const idx = physRead(mem, X, 512);
  if (!idx || idx.readUInt16LE(0) !== 0) return false;
  const last = idx.readUInt16LE(510);
  const table = physRead(mem, T, last + 64);
  if (!table) return false;
  for (let i = 0; i < 256; i++) {
    const a = idx.readUInt16LE(i * 2);
    const end = table.indexOf(0, a);
    if (end <= a) return false;
    if (i < 255 && idx.readUInt16LE(i * 2 + 2) !== end + 1) return false;
    if (i === 255 && X < T + end + 1) return false;
  }
  return true;
}

function findTokenTables(mem: PhysicalMemory): { T: number; X: number }[] {
  const found: { T: number; X: number }[] = [];
  for (const [base, chunk] of scanRam(mem)) {
    for (let i = chunk.indexOf(ANCHOR); i >= 0 && found.length < 16; i = chunk.indexOf(ANCHOR, i + 1)) {
      const A = base + i;
      // token_index follows the table (8-aligned); the table is a few KiB at most
      const after = physRead(mem, A, 8192);
      if (!after) continue;
      for (let off = align8(A) - A; off + 512 <= after.length; off += 8) {
        if (after.readUInt16LE(off) !== 0) continue;
        const X = A + off;
        const T = A - after.readUInt16LE(off + 0x30 * 2);
        if (T > A || A - T > 8192) continue;
        if (tokensAt(mem, T, X)) {
          found.push({ T, X });
          break;
        }
      }
    }
  }
  return found;
}

/** `arch`: the architecture the dump header named, if any; otherwise both encodings are tried. */
export function scanKallsyms(mem: PhysicalMemory, version?: [number, number], arch?: Arch): ScannedKallsyms {
  const reader = {
    read: (pa: bigint, len: number) => (pa < 0n || pa > BigInt(Number.MAX_SAFE_INTEGER) ? null : physRead(mem, Number(pa), len)),
  };
  const tables = findTokenTables(mem);
  if (!tables.length) throw new MemqError('kallsyms: no token table found in RAM', 'E_KALLSYMS');
  const layouts: ('<=6.3' | '>=6.4')[] = version && (version[0] > 6 || (version[0] === 6 && version[1] >= 4)) ? ['>=6.4', '<=6.3'] : ['<=6.3', '>=6.4'];
  for (const { T, X } of tables) {
    const start = Math.max(0, T - BACK_WINDOW);
    const region = physRead(mem, start, T - start);
    if (!region) continue;
    const w = new Uint32Array(region.buffer, region.byteOffset, region.length >> 2);
    let tried = 0;
    // num_syms: a u32 N followed by a zero u32 (8-aligned slot), N plausible; names follow at +8
    for (let k = (w.length & ~1) - 2; k >= 0 && tried < MAX_CANDIDATES; k -= 2) {
      const n = w[k];
      if (w[k + 1] !== 0 || n < 1000 || n > 2_000_000) continue;
      const P = start + k * 4;
      for (const layout of layouts) {
        let offsets: number;
        let relBase: number;
        if (layout === '<=6.3') {
          relBase = P - 8;
          offsets = relBase - align8(n * 4);
        } else {
          offsets = align8(X + 512);
          relBase = align8(offsets + n * 4);
        }
        const rb = physRead(mem, relBase, 8);
        const rbv = rb ? rb.readBigUInt64LE(0) : 0n;
        if (rbv < ARM64_KERNEL_MIN) continue;
        const kind: Arch = rbv >= KERNEL_MIN ? 'x86_64' : 'arm64';
        if (arch && kind !== arch) continue;
        tried++;
        const loc: KallsymsLocations = {
          names: BigInt(P + 8),
          numSyms: BigInt(P),
          tokenTable: BigInt(T),
          tokenIndex: BigInt(X),
          offsets: BigInt(offsets),
          relativeBase: BigInt(relBase),
        };
        try {
          // CONFIG_KALLSYMS_ABSOLUTE_PERCPU is x86-only
          const syms = decodeKallsyms(reader, loc, kind === 'x86_64');
          const text = syms.get('_text') ?? syms.get('_stext');
          const ok =
            kind === 'x86_64'
              ? text !== undefined && text >= KERNEL_MIN && syms.has('init_task') && syms.has('linux_banner')
              : text !== undefined && text >= ARM64_KERNEL_MIN && text < KERNEL_MIN && syms.has('start_kernel') && syms.has('_etext');
          if (ok) return { syms, tokenTablePhys: T, layout, arch: kind };
        } catch (e) {
          if (!(e instanceof MemqError)) throw e;
        }
      }
    }
  }
  throw new MemqError('kallsyms: token table found, but no consistent name/offset tables next to it', 'E_KALLSYMS');
}

// kallsyms recovered from kernel memory: the compressed name table scripts/kallsyms.c emits into
// .rodata (names as length-prefixed token indices, a 256-entry token table, base-relative offsets).
// Table locations come from VMCOREINFO (6.0+) or from a scan for the token table (older kernels).
import { MemqError } from '../util/errors';

export interface VaReader {
  read(va: bigint, len: number): Buffer | null;
}

export interface KallsymsLocations {
  names: bigint;
  numSyms: bigint;
  tokenTable: bigint;
  tokenIndex: bigint;
  offsets: bigint;
  relativeBase: bigint | null;
}

export interface Symbol {
  name: string;
  type: string;
  addr: bigint;
}

export class SymbolTable {
  private byName = new Map<string, Symbol>();
  /** sorted by address, for resolving an address to the symbol containing it */
  private sorted: Symbol[] = [];
  constructor(readonly symbols: Symbol[], readonly source: string) {
    for (const s of symbols) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
    this.sorted = symbols.filter((s) => s.type !== 'a' && s.type !== 'A').sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }
  get(name: string): bigint | undefined {
    return this.byName.get(name)?.addr;
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  require(name: string): bigint {
    const a = this.get(name);
    if (a === undefined) throw new MemqError(`kernel symbol ${name} not found (${this.source})`, 'E_SYMBOL');
    return a;
  }
  /** The symbol at or below `addr` (binary search), with the offset into it. */
  lookup(addr: bigint): { symbol: Symbol; offset: bigint } | null {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].addr <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    return { symbol: a[best], offset: addr - a[best].addr };
  }
  /** Address of the first symbol above `addr` (the end of the object at `addr`), or null. */
  nextAfter(addr: bigint): bigint | null {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length - 1;
    let best: bigint | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].addr > addr) {
        best = a[mid].addr;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return best;
  }

  get size(): number {
    return this.symbols.length;
  }
}

const MAX_SYMS = 2_000_000;

/** Decodes kallsyms given the table locations. `absolutePercpu` follows CONFIG_KALLSYMS_ABSOLUTE_PERCPU. */
export function decodeKallsyms(r: VaReader, loc: KallsymsLocations, absolutePercpu = true): SymbolTable {
  const need = (va: bigint, len: number, what: string): Buffer => {
    const b = r.read(va, len);
    if (!b) throw new MemqError(`kallsyms: ${what} at 0x${va.toString(16)} is not readable`, 'E_KALLSYMS');
    return b;
  };
  const num = need(loc.numSyms, 4, 'kallsyms_num_syms').readUInt32LE(0);
  if (num === 0 || num > MAX_SYMS) throw new MemqError(`kallsyms: implausible symbol count ${num}`, 'E_KALLSYMS');
  const tokenIndex = need(loc.tokenIndex, 512, 'kallsyms_token_index');
  const tokenBlob = need(loc.tokenTable, Math.max(...Array.from({ length: 256 }, (_, i) => tokenIndex.readUInt16LE(i * 2))) + 64, 'kallsyms_token_table');
  const tokens: string[] = [];
  for (let i = 0; i < 256; i++) {
    const off = tokenIndex.readUInt16LE(i * 2);
    const end = tokenBlob.indexOf(0, off);
    tokens.push(tokenBlob.toString('latin1', off, end < 0 ? off : end));
  }
  const offsets = need(loc.offsets, num * 4, 'kallsyms_offsets');
  const relBase = loc.relativeBase !== null ? need(loc.relativeBase, 8, 'kallsyms_relative_base').readBigUInt64LE(0) : 0n;
  // names: read in windows of up to 1 MiB as we go (shrinking near the end of the mapped table);
  // an entry is at most 2 + 0x3fff bytes
  const window = (va: bigint): Buffer => {
    for (let len = 1 << 20; len >= 4096; len >>= 1) {
      const b = r.read(va, len);
      if (b) return b;
    }
    return need(va, 4096 - Number(va & 0xfffn), 'kallsyms_names');
  };
  const out: Symbol[] = new Array(num);
  let winVa = loc.names;
  let win = window(winVa);
  let pos = 0;
  for (let i = 0; i < num; i++) {
    if (pos + 0x4002 > win.length && win.length >= 0x8000) {
      winVa += BigInt(pos);
      win = window(winVa);
      pos = 0;
    }
    if (pos >= win.length) throw new MemqError(`kallsyms: names table ends after ${i} of ${num} symbols`, 'E_KALLSYMS');
    let len = win[pos++];
    if (len & 0x80) len = (len & 0x7f) | (win[pos++] << 7);
    let s = '';
    for (let k = 0; k < len; k++) s += tokens[win[pos + k]];
    pos += len;
    const off = offsets.readInt32LE(i * 4);
    let addr: bigint;
    if (loc.relativeBase === null) addr = BigInt(off >>> 0);
    else if (absolutePercpu) addr = off >= 0 ? BigInt(off) : relBase - 1n - BigInt(off);
    else addr = relBase + BigInt(off >>> 0);
    out[i] = { type: s[0] ?? '?', name: s.slice(1), addr };
  }
  return new SymbolTable(out, 'kallsyms');
}

/** Parses a System.map text (link-time addresses) shifted by the KASLR slide. */
export function parseSystemMap(text: string, slide: bigint): SymbolTable {
  const syms: Symbol[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^([0-9a-f]{8,16}) (\S) (\S+)/);
    if (!m) continue;
    const a = BigInt('0x' + m[1]);
    const absolute = m[2] === 'A' || m[2] === 'a' || a < 0xffff800000000000n;
    syms.push({ addr: absolute ? a : (a + slide) & ((1n << 64n) - 1n), type: m[2], name: m[3] });
  }
  if (!syms.length) throw new MemqError('System.map: no symbol lines found', 'E_SYMBOL');
  return new SymbolTable(syms, 'System.map');
}

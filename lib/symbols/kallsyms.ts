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

/**
 * The kernel's symbols, stored packed (names, one type byte and one u64 address per symbol) so that
 * ~100k symbols cost three arrays instead of 100k objects and BigInts; the name index and the
 * address order are built on first use. pack()/fromPacked() are the discovery cache's form.
 */
export class SymbolTable {
  /** open-addressing hash index over names (FNV-1a, linear probing): slot → symbol index + 1, 0 = empty */
  private hash: Uint32Array | null = null;
  /** indices of non-absolute symbols sorted by address, for resolving an address to its symbol */
  private order: Uint32Array | null = null;
  private readonly names: string[];
  private readonly types: Uint8Array;
  private readonly addrs: BigUint64Array;

  constructor(symbols: Symbol[] | PackedSymbols, readonly source: string) {
    if (Array.isArray(symbols)) {
      this.names = symbols.map((x) => x.name);
      this.types = Uint8Array.from(symbols, (x) => x.type.charCodeAt(0) & 0xff);
      this.addrs = BigUint64Array.from(symbols, (x) => x.addr);
    } else {
      if (symbols.names.length !== symbols.types.length || symbols.names.length !== symbols.addrs.length) throw new MemqError('symbol table: packed arrays differ in length', 'E_SYMBOL');
      ({ names: this.names, types: this.types, addrs: this.addrs } = symbols);
      if (symbols.order) this.order = symbols.order;
      if (symbols.hash && symbols.hash.length >= 2 * this.names.length && (symbols.hash.length & (symbols.hash.length - 1)) === 0) this.hash = symbols.hash;
    }
  }

  static fromPacked(p: PackedSymbols, source: string): SymbolTable {
    return new SymbolTable(p, source);
  }

  /** The packed arrays (with the address order, computed if needed) for the discovery cache. */
  pack(): Required<PackedSymbols> {
    return { names: this.names, types: this.types, addrs: this.addrs, order: this.sortedOrder(), hash: this.index() };
  }

  private static fnv(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return h >>> 0;
  }

  private index(): Uint32Array {
    if (this.hash) return this.hash;
    let size = 1024;
    while (size < 2 * this.names.length) size *= 2;
    const t = new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      let slot = SymbolTable.fnv(name) & mask;
      for (;;) {
        const e = t[slot]!;
        if (e === 0) {
          t[slot] = i + 1;
          break;
        }
        if (this.names[e - 1] === name) break; // first occurrence wins
        slot = (slot + 1) & mask;
      }
    }
    return (this.hash = t);
  }

  /** index of the first symbol called `name`, or -1 */
  private find(name: string): number {
    const t = this.index();
    const mask = t.length - 1;
    for (let slot = SymbolTable.fnv(name) & mask; ; slot = (slot + 1) & mask) {
      const e = t[slot]!;
      if (e === 0) return -1;
      if (this.names[e - 1] === name) return e - 1;
    }
  }

  private sortedOrder(): Uint32Array {
    if (this.order) return this.order;
    const words = new Uint32Array(this.addrs.buffer, this.addrs.byteOffset, this.addrs.length * 2);
    const idx: number[] = [];
    for (let i = 0; i < this.types.length; i++) if (this.types[i] !== 0x61 && this.types[i] !== 0x41) idx.push(i); // not 'a'/'A'
    // compare (hi, lo) 32-bit halves: no BigInt per comparison; stable for equal addresses
    idx.sort((a, b) => words[2 * a + 1]! - words[2 * b + 1]! || words[2 * a]! - words[2 * b]! || a - b);
    return (this.order = Uint32Array.from(idx));
  }

  private symbolAt(i: number): Symbol {
    return { name: this.names[i]!, type: String.fromCharCode(this.types[i]!), addr: this.addrs[i]! };
  }

  /** every symbol in table order (allocates one object per symbol: for tests and tools) */
  get symbols(): Symbol[] {
    return this.names.map((_n, i) => this.symbolAt(i));
  }

  get(name: string): bigint | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : this.addrs[i];
  }
  has(name: string): boolean {
    return this.find(name) >= 0;
  }
  require(name: string): bigint {
    const a = this.get(name);
    if (a === undefined) throw new MemqError(`kernel symbol ${name} not found (${this.source})`, 'E_SYMBOL');
    return a;
  }
  /** The symbol at or below `addr` (binary search), with the offset into it. */
  lookup(addr: bigint): { symbol: Symbol; offset: bigint } | null {
    const o = this.sortedOrder();
    let lo = 0;
    let hi = o.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.addrs[o[mid]!]! <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    const sym = this.symbolAt(o[best]!);
    return { symbol: sym, offset: addr - sym.addr };
  }
  /** Address of the first symbol above `addr` (the end of the object at `addr`), or null. */
  nextAfter(addr: bigint): bigint | null {
    const o = this.sortedOrder();
    let lo = 0;
    let hi = o.length - 1;
    let best: bigint | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const a = this.addrs[o[mid]!]!;
      if (a > addr) {
        best = a;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    return best;
  }

  get size(): number {
    return this.names.length;
  }
}

/** A symbol table as arrays: names[i], type char code types[i], address addrs[i]; order = address order and hash = name index (optional). */
export interface PackedSymbols {
  names: string[];
  types: Uint8Array;
  addrs: BigUint64Array;
  order?: Uint32Array;
  /** the name hash index (SymbolTable's own layout; rebuilt when absent or malformed) */
  hash?: Uint32Array;
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
  const names: string[] = new Array(num);
  const types = new Uint8Array(num);
  const addrs = new BigUint64Array(num);
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
    types[i] = s.length ? s.charCodeAt(0) & 0xff : 0x3f; // '?'
    names[i] = s.slice(1);
    addrs[i] = addr;
  }
  return new SymbolTable({ names, types, addrs }, 'kallsyms');
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

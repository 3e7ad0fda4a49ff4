// Builds a kallsyms table the way scripts/kallsyms.c lays it out: names as a length byte (2-byte
// ULEB128 above 0x7f) followed by token indices, a 256-entry NUL-separated token table with a u16
// token index, and int32 offsets relative to kallsyms_relative_base (ABSOLUTE_PERCPU rule: a negative
// offset means relative_base - 1 - offset). Our "compression" uses single-character tokens plus a few
// multi-character ones, which is a valid encoding. Independent of lib/symbols/kallsyms.ts.

export interface GenSymbol {
  name: string;
  type: string;
  addr: bigint;
}

export interface KallsymsImage {
  /** VA → bytes of each emitted array */
  regions: Map<bigint, Buffer>;
  loc: { names: bigint; numSyms: bigint; tokenTable: bigint; tokenIndex: bigint; offsets: bigint; relativeBase: bigint };
}

export function buildKallsyms(syms: GenSymbol[], relativeBase: bigint, at: bigint): KallsymsImage {
  // token table: multi-char tokens first, then every byte value used as itself
  const multi = ['__x64_sys_', 'init_', 'task'];
  const tokens: string[] = new Array(256).fill('');
  multi.forEach((t, i) => (tokens[i] = t));
  for (let c = 0x20; c < 0x7f; c++) if (!tokens[c] || c >= multi.length) tokens[c] = String.fromCharCode(c);
  const encode = (s: string): number[] => {
    const out: number[] = [];
    for (let i = 0; i < s.length; ) {
      const m = multi.findIndex((t) => s.startsWith(t, i));
      if (m >= 0) {
        out.push(m);
        i += multi[m].length;
      } else {
        out.push(s.charCodeAt(i));
        i++;
      }
    }
    return out;
  };
  const names: number[] = [];
  for (const s of syms) {
    const enc = encode(s.type + s.name);
    if (enc.length > 0x7f) names.push((enc.length & 0x7f) | 0x80, enc.length >> 7);
    else names.push(enc.length);
    names.push(...enc);
  }
  const tokenTable = Buffer.concat(tokens.map((t) => Buffer.from(t + '\0', 'latin1')));
  const tokenIndex = Buffer.alloc(512);
  let off = 0;
  tokens.forEach((t, i) => {
    tokenIndex.writeUInt16LE(off, i * 2);
    off += t.length + 1;
  });
  const offsets = Buffer.alloc(syms.length * 4);
  syms.forEach((s, i) => {
    const delta = s.addr - relativeBase;
    // kernel addresses are encoded with the ABSOLUTE_PERCPU negative form: off = -(addr - base) - 1
    const enc = delta >= 0n ? -Number(delta) - 1 : Number(s.addr);
    offsets.writeInt32LE(enc, i * 4);
  });
  const rb = Buffer.alloc(8);
  rb.writeBigUInt64LE(relativeBase);
  const num = Buffer.alloc(8);
  num.writeUInt32LE(syms.length);
  const regions = new Map<bigint, Buffer>();
  const place = (b: Buffer): bigint => {
    const va = at;
    regions.set(va, b);
    at += BigInt((b.length + 4096) & ~4095);
    return va;
  };
  const loc = {
    offsets: place(offsets),
    relativeBase: place(rb),
    numSyms: place(num),
    names: place(Buffer.from(names)),
    tokenTable: place(tokenTable),
    tokenIndex: place(tokenIndex),
  };
  return { regions, loc };
}

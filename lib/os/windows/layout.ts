// Typed access to one build's struct layouts: field offsets, sizes and bitfields by name, and
// decoding of fields from a struct buffer. Missing fields are reported as null so callers can choose
// the other spelling a build uses (Wow64Process vs WoW64Process, _MM_AVL_TABLE vs _RTL_AVL_TREE…).
import type { BuildLayout, FieldLayout } from '../../symbols/isf';
import { MemqError } from '../../util/errors';

export class WinLayout {
  constructor(readonly build: BuildLayout) {}

  has(struct: string, field?: string): boolean {
    const s = this.build.structs[struct];
    return !!s && (field === undefined || !!s.fields[field]);
  }
  field(struct: string, field: string): FieldLayout | null {
    return this.build.structs[struct]?.fields[field] ?? null;
  }
  /** Offset of a field; throws (a bug or an unsupported build) when absent. */
  off(struct: string, field: string): number {
    const f = this.field(struct, field);
    if (!f) throw new MemqError(`layout ${this.build.label || this.build.guid}: ${struct}.${field} is not in the symbol layout`, 'E_SYMBOLS');
    return f.o;
  }
  size(struct: string): number {
    const s = this.build.structs[struct];
    if (!s) throw new MemqError(`layout ${this.build.label || this.build.guid}: struct ${struct} is not in the symbol layout`, 'E_SYMBOLS');
    return s.size;
  }
  sym(name: string): number | null {
    return this.build.symbols[name] ?? null;
  }
}

/** Reads an unsigned field (1/2/4/8 bytes, bitfields decoded) from a struct buffer as bigint. */
export function readFieldBig(buf: Buffer, base: number, f: FieldLayout): bigint {
  const o = base + f.o;
  let v: bigint;
  switch (f.s) {
    case 1:
      v = BigInt(buf.readUInt8(o));
      break;
    case 2:
      v = BigInt(buf.readUInt16LE(o));
      break;
    case 4:
      v = BigInt(buf.readUInt32LE(o));
      break;
    default:
      v = buf.readBigUInt64LE(o);
  }
  if (f.bl !== undefined) v = (v >> BigInt(f.bp ?? 0)) & ((1n << BigInt(f.bl)) - 1n);
  return v;
}

export function readFieldNum(buf: Buffer, base: number, f: FieldLayout): number {
  if (f.bl === undefined && f.s <= 4) {
    const o = base + f.o;
    return f.s === 1 ? buf.readUInt8(o) : f.s === 2 ? buf.readUInt16LE(o) : buf.readUInt32LE(o);
  }
  return Number(readFieldBig(buf, base, f));
}

// BTF (BPF Type Format) parser: the kernel's own type information (CONFIG_DEBUG_INFO_BTF), recovered
// from the dump. Gives every struct/union/enum layout, so memq needs no per-kernel profile.
// Format: include/uapi/linux/btf.h — header, then the type section, then the string section.
import { MemqError } from '../util/errors';
import type { MemberLayout, TypeLayouts } from './layouts';

export const BTF_MAGIC = 0xeb9f;

const enum Kind {
  INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8, VOLATILE = 9,
  CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15, FLOAT = 16,
  DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19,
}

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** size for INT/STRUCT/UNION/ENUM/FLOAT; referenced type id for PTR/TYPEDEF/CONST/… */
  sizeOrType: number;
  kindFlag: boolean;
  /** byte offset of the kind-specific data in the blob */
  dataOff: number;
  vlen: number;
}

/** A type record; its name is read from the string section on first access (most are never asked for). */
class TypeRecord implements BtfType {
  private cachedName: string | undefined;
  constructor(
    private readonly strings: { str(off: number): string },
    readonly id: number,
    readonly kind: number,
    private readonly nameOff: number,
    readonly sizeOrType: number,
    readonly kindFlag: boolean,
    readonly dataOff: number,
    readonly vlen: number,
  ) {}
  get name(): string {
    return (this.cachedName ??= this.nameOff ? this.strings.str(this.nameOff) : '');
  }
}

export interface Field extends MemberLayout {
  typeId: number;
}

export interface StructLayout {
  name: string;
  size: number;
  fields: Map<string, Field>;
}

/** Validates a BTF header at `buf[0..]`; returns the total blob length or 0. */
export function btfBlobLength(buf: Buffer): number {
  if (buf.length < 24 || buf.readUInt16LE(0) !== BTF_MAGIC || buf[2] !== 1) return 0;
  const hdrLen = buf.readUInt32LE(4);
  const typeOff = buf.readUInt32LE(8);
  const typeLen = buf.readUInt32LE(12);
  const strOff = buf.readUInt32LE(16);
  const strLen = buf.readUInt32LE(20);
  if (hdrLen < 24 || hdrLen > 256 || typeOff !== 0 || strOff !== typeLen || strLen === 0) return 0;
  const total = hdrLen + strOff + strLen;
  if (total > 64 << 20) return 0;
  return total;
}

export class Btf implements TypeLayouts {
  description = 'BTF';
  readonly types: BtfType[] = [];
  private byName = new Map<string, number[]>();
  private layouts = new Map<string, StructLayout>();
  private readonly strBase: number;

  constructor(private readonly blob: Buffer) {
    const total = btfBlobLength(blob);
    if (!total || total > blob.length) throw new MemqError('BTF: bad header or truncated blob', 'E_BTF');
    const hdrLen = blob.readUInt32LE(4);
    const typeLen = blob.readUInt32LE(12);
    const strOff = blob.readUInt32LE(16);
    this.strBase = hdrLen + strOff;
    if (blob[this.strBase] !== 0) throw new MemqError('BTF: string section does not start with NUL', 'E_BTF');
    this.types.push({ id: 0, kind: 0, name: 'void', sizeOrType: 0, kindFlag: false, dataOff: 0, vlen: 0 });
    let p = hdrLen;
    const end = hdrLen + typeLen;
    while (p + 12 <= end) {
      const nameOff = blob.readUInt32LE(p);
      const info = blob.readUInt32LE(p + 4);
      const sizeOrType = blob.readUInt32LE(p + 8);
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const t = new TypeRecord(this, this.types.length, kind, nameOff, sizeOrType, (info >>> 31) === 1, p + 12, vlen);
      p += 12;
      switch (kind) {
        case Kind.INT: case Kind.VAR: case Kind.DECL_TAG: p += 4; break;
        case Kind.ARRAY: p += 12; break;
        case Kind.STRUCT: case Kind.UNION: case Kind.DATASEC: p += 12 * vlen; break;
        case Kind.ENUM: case Kind.FUNC_PROTO: p += 8 * vlen; break;
        case Kind.ENUM64: p += 12 * vlen; break;
        case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST:
        case Kind.RESTRICT: case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG: break;
        default: throw new MemqError(`BTF: unknown type kind ${kind} at type ${t.id}`, 'E_BTF');
      }
      this.types.push(t);
      // only structs and unions are looked up by name (findStruct)
      if ((kind === Kind.STRUCT || kind === Kind.UNION) && nameOff && t.name) {
        const l = this.byName.get(t.name);
        if (l) l.push(t.id);
        else this.byName.set(t.name, [t.id]);
      }
    }
    if (p !== end) throw new MemqError('BTF: type section does not end on a type boundary', 'E_BTF');
  }

  str(off: number): string {
    const s = this.strBase + off;
    const e = this.blob.indexOf(0, s);
    return this.blob.toString('latin1', s, e < 0 ? s : e);
  }

  get count(): number {
    return this.types.length - 1;
  }

  /** Skips typedef/const/volatile/restrict/type_tag. */
  resolve(id: number): BtfType {
    let t = this.types[id];
    for (let i = 0; i < 32 && t && [Kind.TYPEDEF, Kind.CONST, Kind.VOLATILE, Kind.RESTRICT, Kind.TYPE_TAG].includes(t.kind); i++) {
      t = this.types[t.sizeOrType];
    }
    return t;
  }

  sizeOf(id: number): number {
    const t = this.resolve(id);
    if (!t) return 0;
    switch (t.kind) {
      case Kind.PTR: return 8;
      case Kind.ARRAY: {
        const [elem, , n] = this.arrayInfo(t);
        return this.sizeOf(elem) * n;
      }
      case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64: case Kind.FLOAT:
        return t.sizeOrType;
      default: return 0;
    }
  }

  arrayInfo(t: BtfType): [elemType: number, indexType: number, count: number] {
    return [this.blob.readUInt32LE(t.dataOff), this.blob.readUInt32LE(t.dataOff + 4), this.blob.readUInt32LE(t.dataOff + 8)];
  }

  isPointer(id: number): boolean {
    return this.resolve(id)?.kind === Kind.PTR;
  }
  isArray(id: number): boolean {
    return this.resolve(id)?.kind === Kind.ARRAY;
  }
  /** Name of the struct/union a pointer or value type refers to (after modifiers). */
  targetName(id: number): string {
    let t = this.resolve(id);
    if (t?.kind === Kind.PTR) t = this.resolve(t.sizeOrType);
    return t?.name ?? '';
  }

  /** Finds a struct or union by name (the first complete definition). */
  findStruct(name: string): BtfType | undefined {
    for (const id of this.byName.get(name) ?? []) {
      const t = this.types[id];
      if ((t.kind === Kind.STRUCT || t.kind === Kind.UNION) && t.vlen > 0) return t;
    }
    for (const id of this.byName.get(name) ?? []) {
      const t = this.types[id];
      if (t.kind === Kind.STRUCT || t.kind === Kind.UNION) return t;
    }
    return undefined;
  }

  hasStruct(name: string): boolean {
    return this.findStruct(name) !== undefined;
  }

  /** Enum constant value by enumerator name (searches all enums). */
  enumValue(enumerator: string): number | undefined {
    for (const t of this.types) {
      if (t.kind !== Kind.ENUM) continue;
      for (let i = 0; i < t.vlen; i++) {
        const o = t.dataOff + i * 8;
        if (this.str(this.blob.readUInt32LE(o)) === enumerator) return this.blob.readInt32LE(o + 4);
      }
    }
    return undefined;
  }

  /**
   * Flattened layout of a struct: members of anonymous struct/union members are lifted into the
   * parent with their absolute offsets (how C code names them). Named nested members are reachable as
   * "outer.inner" too.
   */
  layout(name: string): StructLayout {
    const cached = this.layouts.get(name);
    if (cached) return cached;
    const t = this.findStruct(name);
    if (!t) throw new MemqError(`BTF: struct ${name} not found`, 'E_BTF');
    const fields = new Map<string, Field>();
    this.collect(t, 0, '', fields, 0);
    const l = { name, size: t.sizeOrType, fields };
    this.layouts.set(name, l);
    return l;
  }

  private collect(t: BtfType, base: number, prefix: string, out: Map<string, Field>, depth: number): void {
    if (depth > 8) return;
    for (let i = 0; i < t.vlen; i++) {
      const o = t.dataOff + i * 12;
      const mname = this.str(this.blob.readUInt32LE(o));
      const mtype = this.blob.readUInt32LE(o + 4);
      const raw = this.blob.readUInt32LE(o + 8);
      const bitOff = t.kindFlag ? raw & 0xffffff : raw;
      const bitSize = t.kindFlag ? raw >>> 24 : 0;
      const byteOff = base + Math.floor(bitOff / 8);
      const rt = this.resolve(mtype);
      const isAgg = rt && (rt.kind === Kind.STRUCT || rt.kind === Kind.UNION);
      if (!mname) {
        if (isAgg) this.collect(rt, byteOff, prefix, out, depth + 1);
        continue;
      }
      const full = prefix + mname;
      if (!out.has(full)) {
        const count = rt?.kind === Kind.ARRAY ? this.arrayInfo(rt)[2] : 0;
        out.set(full, { name: full, offset: byteOff, bitOffset: bitOff % 8, bitSize, typeId: mtype, size: this.sizeOf(mtype), count });
      }
      if (isAgg && depth < 3) this.collect(rt, byteOff, full + '.', out, depth + 1);
    }
  }

  /**
   * Offset of `member` inside the (first) anonymous struct that has it — for static variables whose
   * type is an unnamed struct, e.g. `tk_core { seq; struct timekeeper timekeeper; }`.
   */
  anonMemberOffset(member: string): number | undefined {
    for (const t of this.types) {
      if (t.kind !== Kind.STRUCT || t.name) continue;
      for (let i = 0; i < t.vlen; i++) {
        const o = t.dataOff + i * 12;
        if (this.str(this.blob.readUInt32LE(o)) === member) return Math.floor((t.kindFlag ? this.blob.readUInt32LE(o + 8) & 0xffffff : this.blob.readUInt32LE(o + 8)) / 8);
      }
    }
    return undefined;
  }

  /** Byte offset of a (possibly dotted) member; throws if absent. */
  offsetOf(struct: string, member: string): number {
    const f = this.layout(struct).fields.get(member);
    if (!f) throw new MemqError(`BTF: ${struct}.${member} not found`, 'E_BTF');
    return f.offset;
  }

  field(struct: string, member: string): Field | undefined {
    return this.layout(struct).fields.get(member);
  }

  member(struct: string, member: string): MemberLayout | undefined {
    return this.hasStruct(struct) ? this.field(struct, member) : undefined;
  }

  structSize(name: string): number {
    return this.layout(name).size;
  }
}

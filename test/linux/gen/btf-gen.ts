// Builds small BTF blobs from a declarative description, following include/uapi/linux/btf.h:
// header {magic 0xeb9f, version 1, flags, hdr_len 24, type_off, type_len, str_off, str_len}, then
// btf_type records {name_off, info (vlen | kind << 24 | kind_flag << 31), size/type} + kind data.
// Independent of lib/symbols/btf.ts (the code under test).

export type GenType =
  | { kind: 'int'; name: string; size: number }
  | { kind: 'ptr'; to: number }
  | { kind: 'array'; elem: number; count: number }
  | { kind: 'struct' | 'union'; name: string; size: number; members: { name: string; type: number; bitOffset: number; bitSize?: number }[] }
  | { kind: 'typedef'; name: string; to: number }
  | { kind: 'const'; to: number }
  | { kind: 'enum'; name: string; values: [string, number][] };

const KIND = { int: 1, ptr: 2, array: 3, struct: 4, union: 5, enum: 6, typedef: 8, const: 10 } as const;

/** Types are numbered from 1 in the order given. */
export function buildBtf(types: GenType[]): Buffer {
  const strs: string[] = [''];
  const strOff = new Map<string, number>([['', 0]]);
  let strLen = 1;
  const s = (x: string): number => {
    let o = strOff.get(x);
    if (o === undefined) {
      o = strLen;
      strOff.set(x, o);
      strs.push(x);
      strLen += Buffer.byteLength(x) + 1;
    }
    return o;
  };
  const parts: Buffer[] = [];
  const rec = (name: number, kind: number, vlen: number, sizeOrType: number, kindFlag = false) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(name, 0);
    b.writeUInt32LE(((kindFlag ? 1 : 0) << 31 | (kind << 24) | vlen) >>> 0, 4);
    b.writeUInt32LE(sizeOrType, 8);
    parts.push(b);
  };
  for (const t of types) {
    switch (t.kind) {
      case 'int': {
        rec(s(t.name), KIND.int, 0, t.size);
        const e = Buffer.alloc(4);
        e.writeUInt32LE(t.size * 8, 0); // encoding 0, offset 0, bits
        parts.push(e);
        break;
      }
      case 'ptr': rec(0, KIND.ptr, 0, t.to); break;
      case 'typedef': rec(s(t.name), KIND.typedef, 0, t.to); break;
      case 'const': rec(0, KIND.const, 0, t.to); break;
      case 'array': {
        rec(0, KIND.array, 0, 0);
        const e = Buffer.alloc(12);
        e.writeUInt32LE(t.elem, 0);
        e.writeUInt32LE(1, 4);
        e.writeUInt32LE(t.count, 8);
        parts.push(e);
        break;
      }
      case 'struct': case 'union': {
        const bitfields = t.members.some((m) => m.bitSize);
        rec(s(t.name), KIND[t.kind], t.members.length, t.size, bitfields);
        for (const m of t.members) {
          const e = Buffer.alloc(12);
          e.writeUInt32LE(s(m.name), 0);
          e.writeUInt32LE(m.type, 4);
          e.writeUInt32LE(bitfields ? (((m.bitSize ?? 0) << 24) | m.bitOffset) >>> 0 : m.bitOffset, 8);
          parts.push(e);
        }
        break;
      }
      case 'enum': {
        rec(s(t.name), KIND.enum, t.values.length, 4);
        for (const [n, v] of t.values) {
          const e = Buffer.alloc(8);
          e.writeUInt32LE(s(n), 0);
          e.writeInt32LE(v, 4);
          parts.push(e);
        }
        break;
      }
    }
  }
  const typeSec = Buffer.concat(parts);
  const strSec = Buffer.concat(strs.map((x) => Buffer.concat([Buffer.from(x), Buffer.alloc(1)])));
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr[2] = 1;
  hdr[3] = 0;
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(typeSec.length, 12);
  hdr.writeUInt32LE(typeSec.length, 16);
  hdr.writeUInt32LE(strSec.length, 20);
  return Buffer.concat([hdr, typeSec, strSec]);
}

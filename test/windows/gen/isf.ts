// Minimal reader of Volatility-3 ISF symbol files (JSON, xz-compressed) for the dump generator.
// Independent of lib/symbols on purpose: the generator must not share code with the parser it tests.
// Every struct offset, field width, bitfield position and symbol RVA the generator writes comes from here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';

export interface IsfTypeRef {
  kind: string;
  name?: string;
  subtype?: IsfTypeRef;
  count?: number;
  bit_position?: number;
  bit_length?: number;
  type?: IsfTypeRef;
}
interface IsfField {
  offset: number;
  type: IsfTypeRef;
}
interface IsfUserType {
  kind: string;
  size: number;
  fields: Record<string, IsfField>;
}
interface IsfJson {
  metadata: { windows?: { pdb?: { GUID: string; age: number; database: string } } };
  base_types: Record<string, { size: number; signed: boolean; kind: string }>;
  user_types: Record<string, IsfUserType>;
  enums: Record<string, { size: number; base: string }>;
  symbols: Record<string, { address: number }>;
}

/** A resolved field: absolute offset inside the outer struct plus the leaf type. */
export interface ResolvedField {
  offset: number;
  type: IsfTypeRef;
  /** byte width of the storage unit (bitfields: the underlying integer) */
  width: number;
}

export class Isf {
  private cache = new Map<string, ResolvedField>();
  readonly guid: string;
  readonly age: number;
  readonly pdbName: string;
  constructor(
    private readonly json: IsfJson,
    readonly file: string,
  ) {
    const pdb = json.metadata.windows?.pdb;
    if (!pdb) throw new Error(`${file}: ISF has no metadata.windows.pdb`);
    this.guid = pdb.GUID.toUpperCase();
    this.age = pdb.age;
    this.pdbName = pdb.database;
  }

  hasType(name: string): boolean {
    return name in this.json.user_types;
  }

  size(typeName: string): number {
    const t = this.json.user_types[typeName];
    if (!t) throw new Error(`ISF ${this.guid}: no type ${typeName}`);
    return t.size;
  }

  private widthOf(t: IsfTypeRef): number {
    switch (t.kind) {
      case 'pointer':
        return 8;
      case 'base':
        return this.json.base_types[t.name!].size;
      case 'enum':
        return this.json.enums[t.name!].size;
      case 'bitfield':
        return this.widthOf(t.type!);
      case 'array':
        return this.widthOf(t.subtype!) * t.count!;
      case 'struct':
      case 'union':
        return this.size(t.name!);
      default:
        throw new Error(`ISF: width of ${t.kind}`);
    }
  }

  /** Does `typeName` have the dotted member path (e.g. 'Pcb.DirectoryTableBase', 'u.VadFlags.Protection')? */
  has(typeName: string, dotted: string): boolean {
    try {
      this.field(typeName, dotted);
      return true;
    } catch {
      return false;
    }
  }

  field(typeName: string, dotted: string): ResolvedField {
    const key = typeName + ':' + dotted;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let cur = typeName;
    let off = 0;
    let leaf: IsfTypeRef | null = null;
    const parts = dotted.split('.');
    for (let i = 0; i < parts.length; i++) {
      const t = this.json.user_types[cur];
      if (!t) throw new Error(`ISF ${this.guid}: no type ${cur} (resolving ${key})`);
      const f = t.fields[parts[i]];
      if (!f) throw new Error(`ISF ${this.guid}: ${cur} has no field ${parts[i]} (resolving ${key})`);
      off += f.offset;
      leaf = f.type;
      if (i < parts.length - 1) {
        if (leaf.kind !== 'struct' && leaf.kind !== 'union') throw new Error(`ISF: ${key}: ${parts[i]} is not a struct`);
        cur = leaf.name!;
      }
    }
    const r: ResolvedField = { offset: off, type: leaf!, width: this.widthOf(leaf!) };
    this.cache.set(key, r);
    return r;
  }

  off(typeName: string, dotted: string): number {
    return this.field(typeName, dotted).offset;
  }

  hasSym(name: string): boolean {
    return name in this.json.symbols;
  }

  /** RVA of a kernel symbol relative to KernBase. */
  sym(name: string): number {
    const s = this.json.symbols[name];
    if (!s) throw new Error(`ISF ${this.guid}: no symbol ${name}`);
    return s.address;
  }

  /** All symbols whose name starts with `prefix`, as [name, rva] sorted by name. */
  symbolsWithPrefix(prefix: string): [string, number][] {
    return Object.entries(this.json.symbols)
      .filter(([n]) => n.startsWith(prefix))
      .map(([n, s]) => [n, s.address] as [string, number])
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  maxSymbolRva(limit: number): number {
    let m = 0;
    for (const s of Object.values(this.json.symbols)) if (s.address < limit && s.address > m) m = s.address;
    return m;
  }
}

/**
 * Writes values into a Buffer holding one struct instance, using ISF field widths and bitfield
 * positions (read-modify-write for bitfields, like the compiler does).
 */
export class StructWriter {
  constructor(
    readonly isf: Isf,
    readonly typeName: string,
    readonly buf: Buffer,
    readonly base = 0,
  ) {}

  set(dotted: string, value: number | bigint): this {
    const f = this.isf.field(this.typeName, dotted);
    const at = this.base + f.offset;
    let v = BigInt(value);
    if (f.type.kind === 'bitfield') {
      const pos = BigInt(f.type.bit_position!);
      const mask = ((1n << BigInt(f.type.bit_length!)) - 1n) << pos;
      const old = readUInt(this.buf, at, f.width);
      v = (old & ~mask) | ((v << pos) & mask);
    }
    writeUInt(this.buf, at, f.width > 8 ? 8 : f.width, v);
    return this;
  }

  bytes(dotted: string, data: Buffer): this {
    const f = this.isf.field(this.typeName, dotted);
    data.copy(this.buf, this.base + f.offset, 0, Math.min(data.length, f.width));
    return this;
  }
}

export function readUInt(buf: Buffer, at: number, width: number): bigint {
  switch (width) {
    case 1:
      return BigInt(buf[at]);
    case 2:
      return BigInt(buf.readUInt16LE(at));
    case 4:
      return BigInt(buf.readUInt32LE(at));
    default:
      return buf.readBigUInt64LE(at);
  }
}

export function writeUInt(buf: Buffer, at: number, width: number, v: bigint): void {
  const m = BigInt.asUintN(width * 8, v);
  switch (width) {
    case 1:
      buf[at] = Number(m);
      break;
    case 2:
      buf.writeUInt16LE(Number(m), at);
      break;
    case 4:
      buf.writeUInt32LE(Number(m), at);
      break;
    default:
      buf.writeBigUInt64LE(m, at);
  }
}

export const ISF_DIR = path.resolve(__dirname, '../../../../shared/images/windows-triage/isf');

const loaded = new Map<string, Promise<Isf>>();

/** Loads `<GUID>-<age>.json.xz` through the xz-decompress WebAssembly decoder (memoized per process). */
export function loadIsf(fileName: string, dir = ISF_DIR): Promise<Isf> {
  const file = path.join(dir, fileName);
  let p = loaded.get(file);
  if (!p) {
    p = (async () => {
      const json = await xzJson(file);
      return new Isf(json as IsfJson, file);
    })();
    loaded.set(file, p);
  }
  return p;
}

async function xzJson(file: string): Promise<unknown> {
  const { XzReadableStream } = (await import('xz-decompress')) as unknown as {
    XzReadableStream: new (s: unknown) => AsyncIterable<Uint8Array> & ReadableStream<Uint8Array>;
  };
  const web = Readable.toWeb(fs.createReadStream(file));
  const out = new XzReadableStream(web);
  const chunks: Buffer[] = [];
  const reader = (out as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

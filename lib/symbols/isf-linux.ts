// Struct layouts from a Volatility 3 ISF file (JSON or JSON.xz) for Linux kernels built without BTF.
// Same TypeLayouts interface as BTF: anonymous struct/union members (ISF names them
// "unnamed_field_…" with a type named "unnamed_…") are flattened so members read as in C.
import type { MemberLayout, TypeLayouts } from './layouts';
import { readIsfDocument, typeSize, type IsfDoc, type IsfType } from './isf';
import { MemqError } from '../util/errors';

export interface LinuxIsfDoc {
  metadata?: { linux?: unknown; format?: string; producer?: unknown };
  base_types?: Record<string, { size: number }>;
  user_types?: Record<string, { kind?: string; size: number; fields: Record<string, { offset: number; type: IsfType; anonymous?: boolean }> }>;
  enums?: Record<string, { size: number }>;
  symbols?: Record<string, { address?: number }>;
}

const isAnonName = (n: string | undefined) => !n || n.startsWith('unnamed') || n.startsWith('__unnamed');

export class IsfLayouts implements TypeLayouts {
  readonly description: string;
  private cache = new Map<string, Map<string, MemberLayout>>();
  constructor(private readonly doc: LinuxIsfDoc, source: string) {
    if (!doc.user_types || !doc.base_types) throw new MemqError(`${source}: not an ISF file (no user_types/base_types)`, 'E_SYMBOLS');
    this.description = `ISF ${source}`;
  }
  get count(): number {
    return Object.keys(this.doc.user_types!).length;
  }
  hasStruct(name: string): boolean {
    return !!this.doc.user_types![name];
  }
  structSize(name: string): number {
    const t = this.doc.user_types![name];
    if (!t) throw new MemqError(`${this.description}: struct ${name} not found`, 'E_LAYOUT');
    return t.size;
  }
  anonMemberOffset(member: string): number | undefined {
    for (const [name, t] of Object.entries(this.doc.user_types!)) {
      if (isAnonName(name) && t.fields?.[member]) return t.fields[member].offset;
    }
    return undefined;
  }

  member(struct: string, member: string): MemberLayout | undefined {
    if (!this.hasStruct(struct)) return undefined;
    let m = this.cache.get(struct);
    if (!m) {
      m = new Map();
      this.collect(struct, 0, '', m, 0);
      this.cache.set(struct, m);
    }
    return m.get(member);
  }

  private size(t: IsfType): number {
    return typeSize(this.doc as IsfDoc, t);
  }

  private collect(struct: string, base: number, prefix: string, out: Map<string, MemberLayout>, depth: number): void {
    const ut = this.doc.user_types![struct];
    if (!ut || depth > 8) return;
    for (const [name, f] of Object.entries(ut.fields ?? {})) {
      const t = f.type;
      const agg = t.kind === 'struct' || t.kind === 'union';
      const off = base + f.offset;
      if (agg && (f.anonymous || name.startsWith('unnamed_field') || (isAnonName(t.name) && name.startsWith('unnamed')))) {
        this.collect(t.name ?? '', off, prefix, out, depth + 1);
        continue;
      }
      const full = prefix + name;
      if (!out.has(full)) {
        out.set(full, {
          name: full,
          offset: off,
          bitOffset: t.kind === 'bitfield' ? t.bit_position ?? 0 : 0,
          bitSize: t.kind === 'bitfield' ? t.bit_length ?? 0 : 0,
          size: this.size(t),
          count: t.kind === 'array' ? t.count ?? 0 : 0,
        });
      }
      if (agg && depth < 3) this.collect(t.name ?? '', off, full + '.', out, depth + 1);
    }
  }
}

/** Reads a Linux ISF file; returns null when the file is an ISF of another OS (e.g. Windows). */
export function readLinuxIsf(file: string): IsfLayouts | null {
  const doc = readIsfDocument(file) as LinuxIsfDoc & { metadata?: { windows?: unknown } };
  if (doc.metadata?.windows) return null;
  return new IsfLayouts(doc, file.split(/[\\/]/).pop() ?? file);
}

// The struct-layout interface the OS extractors read through. Implemented by the kernel's own BTF
// (lib/symbols/btf.ts) and by Volatility ISF files (lib/symbols/isf-linux.ts), so extraction code is
// independent of where a layout came from. Member names are flattened through anonymous
// structs/unions (as C names them) and named nested members are reachable as "outer.inner".
export interface MemberLayout {
  name: string;
  /** byte offset from the start of the outermost struct */
  offset: number;
  /** bit offset within the byte and bit size (0 = not a bitfield) */
  bitOffset: number;
  bitSize: number;
  /** size in bytes of the member's type (8 for pointers; whole array for arrays) */
  size: number;
  /** element count for arrays, 0 otherwise */
  count: number;
}

export interface TypeLayouts {
  /** where the layouts came from, for `memq info` */
  readonly description: string;
  /** number of types known (for info) */
  readonly count: number;
  hasStruct(name: string): boolean;
  member(struct: string, member: string): MemberLayout | undefined;
  structSize(name: string): number;
  /**
   * Offset of `member` inside an unnamed struct that has it — for static variables whose type is an
   * unnamed struct, e.g. `tk_core { seq; struct timekeeper timekeeper; }`.
   */
  anonMemberOffset(member: string): number | undefined;
}

// Bounded walk of a kernel xarray (the storage behind every struct idr: prog_idr, map_idr, pid IDR):
// yields (index, entry) for each pointer entry. Internal node pointers are tagged `| 2`; value
// entries (odd) and retry/zero entries are skipped. Depth and node count are capped: dumps are hostile.
import type { LinuxContext } from './context';

const XA_CHUNK_SHIFT = 6;
const XA_CHUNK = 1 << XA_CHUNK_SHIFT;
const MAX_NODES = 20_000;
const MAX_DEPTH = 12;

export interface XaEntry {
  index: number;
  entry: bigint;
}

/** Entries of the xarray whose `xa_head` lives at `headAddr`, in index order. */
export function xarrayEntries(ctx: LinuxContext, headAddr: bigint, what: string, max = 1 << 20): XaEntry[] {
  const v = ctx.v;
  const slotsOff = BigInt(v.off('xa_node', 'slots'));
  const shiftOff = BigInt(v.off('xa_node', 'shift'));
  const out: XaEntry[] = [];
  let nodes = 0;
  const seen = new Set<bigint>(); // a node reached twice is a cycle (or a forged shared subtree): walked once
  const isNode = (e: bigint) => (e & 3n) === 2n && e > 4096n;
  const visit = (entry: bigint, index: number, depth: number): void => {
    if (entry === 0n || out.length >= max) return;
    if (!isNode(entry)) {
      if ((entry & 3n) === 0n && entry > ctx.kernelFloor) out.push({ index, entry });
      return;
    }
    if (depth > MAX_DEPTH || ++nodes > MAX_NODES) {
      ctx.warn(`${what}: xarray too deep/large — cut`);
      return;
    }
    const node = entry - 2n;
    if (seen.has(node)) {
      ctx.warn(`${what}: xarray node ${node.toString(16)} reached twice — skipped`);
      return;
    }
    seen.add(node);
    const shift = v.u8(node + shiftOff);
    if (shift > 60 || shift % XA_CHUNK_SHIFT !== 0) {
      ctx.warn(`${what}: xarray node ${node.toString(16)} has shift ${shift} — skipped`);
      return;
    }
    const slots = v.bytes(node + slotsOff, XA_CHUNK * 8);
    for (let i = 0; i < XA_CHUNK; i++) {
      const e = slots.readBigUInt64LE(i * 8);
      if (e !== 0n) visit(e, index + i * 2 ** shift, depth + 1);
    }
  };
  ctx.safe(what, () => visit(v.ptr(headAddr), 0, 0), undefined);
  return out;
}

/** Entries of a `struct idr` at `idr` (index = id - idr_base + idr_base: ids as the kernel hands them out). */
export function idrEntries(ctx: LinuxContext, idr: bigint, what: string): XaEntry[] {
  const v = ctx.v;
  const head = idr + BigInt(v.off('idr', 'idr_rt') + v.off('xarray', 'xa_head'));
  const base = ctx.safe(what, () => v.u32(idr + BigInt(v.off('idr', 'idr_base'))), 0);
  return xarrayEntries(ctx, head, what).map((e) => ({ index: e.index + base, entry: e.entry }));
}

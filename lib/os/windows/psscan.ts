// psscan-style discovery: scans physical memory for process pool allocations (tag 'Proc', or 'Pro\xe3'
// with the protected bit on old builds) and validates an EPROCESS after the pool and object headers,
// so processes unlinked from PsActiveProcessHead (DKOM) or already exited are still found. The VA of
// a found EPROCESS comes from its own thread-list links (ThreadListHead.Flink → first ETHREAD → Blink),
// checked by translating it back to the same physical address.
import { cString, isKernelPtr } from './memory';
import { decodeEprocess, type EProc, type WinCtx } from './processes';

/** how far after the pool header the EPROCESS body may start (optional object headers vary) */
const WINDOW = 0x200;

function plausibleName(s: string): boolean {
  return s.length > 0 && /^[\x20-\x7e]+$/.test(s);
}

/** Process pool tags: 'Proc', and 'Pro\xe3' (protected-allocation bit set) on old builds. */
export const PROCESS_TAGS = ['Proc', 'Pro\xe3'];

/** Validates EPROCESS candidates after each process pool header found by the shared pool scan. */
export function scanProcesses(ctx: WinCtx, knownPa: Set<number>, pools: number[]): EProc[] {
  const { k, L } = ctx;
  const space = k.space;
  const out: EProc[] = [];
  if (!space) return out;
  const pm = space.mem;
  const size = L.size('_EPROCESS');
  const pcb = L.off('_EPROCESS', 'Pcb');
  const typeOff = pcb + L.off('_KPROCESS', 'Header') + L.off('_DISPATCHER_HEADER', 'Type');
  const nameOff = L.off('_EPROCESS', 'ImageFileName');
  const dtbOff = pcb + L.off('_KPROCESS', 'DirectoryTableBase');
  const thHead = L.field('_EPROCESS', 'ThreadListHead');
  const buf = Buffer.alloc(size);
  for (const pool of pools) {
    for (let d = 0x10; d < WINDOW; d += 0x10) {
      const pa = pool + d;
      if (knownPa.has(pa)) break;
      if (!pm.readPhys(pa, buf, 0, size)) break;
      if (buf[typeOff] !== 3) continue; // DISPATCHER_HEADER.Type == ProcessObject
      const dtb = buf.readBigUInt64LE(dtbOff);
      if (dtb === 0n || dtb & 0xfffn || dtb > 1n << 46n) continue;
      const name = cString(buf, nameOff, 15);
      if (!plausibleName(name)) continue;
      const va = selfVa(ctx, buf, pa, thHead?.o ?? null);
      if (va === null) continue;
      const p = decodeEprocess(ctx, va, Buffer.from(buf), false);
      if (!p) continue;
      p.pa = pa;
      knownPa.add(pa);
      out.push(p);
      break;
    }
  }
  return out;
}

/** VA of an EPROCESS at physical `pa`, recovered from its thread list head links. */
function selfVa(ctx: WinCtx, buf: Buffer, pa: number, thOff: number | null): bigint | null {
  if (thOff === null) return null;
  const space = ctx.k.space!;
  const flink = buf.readBigUInt64LE(thOff);
  const blink = buf.readBigUInt64LE(thOff + 8);
  const candidates: bigint[] = [];
  if (isKernelPtr(flink)) {
    const back = ctx.k.mem.u64(flink + 8n);
    if (back !== null && isKernelPtr(back)) candidates.push(back - BigInt(thOff));
  }
  if (isKernelPtr(blink)) {
    const fwd = ctx.k.mem.u64(blink);
    if (fwd !== null && isKernelPtr(fwd)) candidates.push(fwd - BigInt(thOff));
  }
  for (const c of candidates) if (space.translate(c) === pa) return c;
  return null;
}

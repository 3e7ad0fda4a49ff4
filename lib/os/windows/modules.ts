// Loaded modules: kernel drivers from PsLoadedModuleList (or the triage driver list) and user DLLs
// from the PEB loader list, cross-checked against image VADs the way ldrmodules does (a DLL mapped as
// an image but absent from the loader list is a classic unlinking trick).
import type { Row } from '../../model';
import { isKernelPtr, isUserPtr, type Mem } from './memory';
import type { EProc, PebInfo, WinCtx } from './processes';
import type { WinKernel } from './kernel';
import type { Vad } from './vads';

const MAX_MODULES = 65536;

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return i >= 0 ? path.slice(i + 1) : path;
}

/** Triage dumps carry their own driver list (no symbols needed). */
export function triageDriverRows(k: WinKernel): Row<'kernel_module'>[] {
  return (k.triage?.drivers ?? []).map((d) => ({
    name: baseName(d.name),
    base: d.dllBase,
    size: d.sizeOfImage,
    path: d.name,
    state: null,
    in_module_list: true,
    hidden: false,
    object_address: null,
    in_mod_tree: null,
    in_sysfs: null,
  }));
}

export function driverRows(ctx: WinCtx): Row<'kernel_module'>[] {
  const { k } = ctx;
  if (k.triage) return triageDriverRows(k);
  const out: Row<'kernel_module'>[] = [];
  if (k.psLoadedModuleList === null) return out;
  const L = ctx.L;
  const st = L.has('_KLDR_DATA_TABLE_ENTRY', 'DllBase') ? '_KLDR_DATA_TABLE_ENTRY' : '_LDR_DATA_TABLE_ENTRY';
  const size = L.size(st);
  const links = L.off(st, 'InLoadOrderLinks');
  for (const e of k.mem.walkList(k.psLoadedModuleList, MAX_MODULES)) {
    if (!isKernelPtr(e)) break;
    const va = e - BigInt(links);
    const b = k.mem.read(va, size);
    if (!b) {
      ctx.warn(`driver list: entry at 0x${va.toString(16)} unreadable; walk stopped`);
      break;
    }
    const full = k.mem.unicodeFrom(b, L.off(st, 'FullDllName'));
    const base = k.mem.unicodeFrom(b, L.off(st, 'BaseDllName'));
    out.push({
      name: base || baseName(full ?? ''),
      base: b.readBigUInt64LE(L.off(st, 'DllBase')),
      size: b.readUInt32LE(L.off(st, 'SizeOfImage')),
      path: full,
      state: null,
      in_module_list: true,
      hidden: false,
      object_address: va,
      in_mod_tree: null,
      in_sysfs: null,
    });
  }
  return out;
}

export function userModuleRows(ctx: WinCtx, p: EProc, um: Mem, peb: PebInfo | null, vads: Vad[]): Row<'loaded_library'>[] {
  const L = ctx.L;
  const out: Row<'loaded_library'>[] = [];
  const images = new Map<bigint, Vad>();
  for (const v of vads) if (v.vadType === 2) images.set(v.start, v);
  const listed = new Set<bigint>();
  let listRead = false;
  if (peb && isUserPtr(peb.ldr)) {
    const head = peb.ldr + BigInt(L.off('_PEB_LDR_DATA', 'InLoadOrderModuleList'));
    const links = L.off('_LDR_DATA_TABLE_ENTRY', 'InLoadOrderLinks');
    const size = L.size('_LDR_DATA_TABLE_ENTRY');
    listRead = um.u64(head) !== null;
    for (const e of um.walkList(head, 8192)) {
      if (!isUserPtr(e)) break;
      const b = um.read(e - BigInt(links), size);
      if (!b) break;
      const base = b.readBigUInt64LE(L.off('_LDR_DATA_TABLE_ENTRY', 'DllBase'));
      const full = um.unicodeFrom(b, L.off('_LDR_DATA_TABLE_ENTRY', 'FullDllName')) ?? '';
      const name = um.unicodeFrom(b, L.off('_LDR_DATA_TABLE_ENTRY', 'BaseDllName')) || baseName(full);
      listed.add(base);
      out.push({
        process_id: p.pid,
        base,
        size: b.readUInt32LE(L.off('_LDR_DATA_TABLE_ENTRY', 'SizeOfImage')),
        path: full,
        name,
        in_load_list: true,
        in_vad: images.has(base),
      });
    }
  }
  // ldrmodules cross-check: image mappings the loader list does not mention (only when the list was
  // readable — without user memory every image would look unlinked)
  if (!listRead) return out;
  for (const [start, v] of images) {
    if (listed.has(start)) continue;
    const path = v.fileName ?? '';
    out.push({
      process_id: p.pid,
      base: start,
      size: Number(v.end - v.start),
      path,
      name: baseName(path),
      in_load_list: false,
      in_vad: true,
    });
  }
  return out;
}

/** Pool tag of loader entries (KLDR_DATA_TABLE_ENTRY allocations). */
export const DRIVER_TAGS = ['MmLd'];

/**
 * modscan: loader entries found in 'MmLd' pool blocks that the module list does not reach are
 * reported as hidden drivers (unlinked from PsLoadedModuleList). Candidates must look like a real
 * entry: page-aligned kernel DllBase, plausible size, readable names, kernel list links.
 */
export function hiddenDriverRows(ctx: WinCtx, listed: Row<'kernel_module'>[], pools: number[], vaOf: (pa: number) => bigint | null): Row<'kernel_module'>[] {
  const { k, L } = ctx;
  const space = k.space;
  if (!space) return [];
  const st = L.has('_KLDR_DATA_TABLE_ENTRY', 'DllBase') ? '_KLDR_DATA_TABLE_ENTRY' : '_LDR_DATA_TABLE_ENTRY';
  const size = L.size(st);
  const links = L.off(st, 'InLoadOrderLinks');
  const known = new Set(listed.map((m) => m.base));
  const out: Row<'kernel_module'>[] = [];
  const buf = Buffer.alloc(size);
  for (const pool of pools) {
    const pa = pool + 0x10;
    if (!space.mem.readPhys(pa, buf, 0, size)) continue;
    const base = buf.readBigUInt64LE(L.off(st, 'DllBase'));
    const len = buf.readUInt32LE(L.off(st, 'SizeOfImage'));
    if (!isKernelPtr(base) || base & 0xfffn || len === 0 || len > 256 << 20 || known.has(base)) continue;
    const flink = buf.readBigUInt64LE(links);
    const blink = buf.readBigUInt64LE(links + 8);
    if (!isKernelPtr(flink) || !isKernelPtr(blink)) continue;
    const full = k.mem.unicodeFrom(buf, L.off(st, 'FullDllName'));
    const name = k.mem.unicodeFrom(buf, L.off(st, 'BaseDllName'));
    if (!name || !/^[\x20-\x7e]+$/.test(name)) continue;
    known.add(base);
    out.push({
      name,
      base,
      size: len,
      path: full,
      state: null,
      in_module_list: false,
      hidden: true,
      object_address: vaOf(pa),
      in_mod_tree: null,
      in_sysfs: null,
    });
  }
  return out;
}

// Finding the Windows kernel without Microsoft's symbol server: the page-table root (dump header, or
// for raw images the low stub below 1 MiB / a self-referencing PML4), the kernel base (KDBG, or a scan
// for the ntoskrnl PE image), the KDBG itself (decoded copy, or decoded here from the Win8+ encoding),
// and the symbol layout (PDB GUID from the kernel's CodeView record, else RVAs of known globals, else a
// heuristic: the nearest build whose EPROCESS layout validates on the System process).
import { X86_64Space } from '../../arch/x86_64';
import type { PhysicalMemory } from '../../image/physical';
import { scanRam } from '../../image/physical';
import {
  WindowsBitmapDump,
  WindowsFullDump,
  WindowsTriageDump,
} from '../../image/formats/windows-crashdump';
import type { DumpHeader64 } from '../../image/formats/windows/dump-header';
import { decodeKdbg, parseKdbg, type Kdbg } from '../../image/formats/windows/kdbg';
import { readIsfFile, type BuildLayout } from '../../symbols/isf';
import { layoutCatalog, matchByGuid, matchByRvas } from '../../symbols/windows/database';
import { hex } from '../../util/hex';
import { Mem, PagedReader, SparseReader, cString, isKernelPtr } from './memory';
import { readPe, type PeInfo } from './pe';
import { WinLayout } from './layout';

export interface WinKernel {
  mem: Mem;
  /** kernel page tables (absent for triage dumps) */
  space: X86_64Space | null;
  dtb: number | null;
  dtbSource: string;
  kernBase: bigint | null;
  kernBaseSource: string;
  kernelSize: number | null;
  pe: PeInfo | null;
  kdbg: Kdbg | null;
  kdbgSource: string;
  layout: WinLayout | null;
  /** how the build was identified (for `memq info`) */
  buildWhy: string;
  heuristic: boolean;
  psActiveProcessHead: bigint | null;
  psLoadedModuleList: bigint | null;
  header: DumpHeader64 | null;
  triage: WindowsTriageDump | null;
  arch: 'x64' | 'arm64';
  notes: string[];
}

const STUB_SIG = 0x00000001000600e9n;
const STUB_MASK = 0xffffffffffff00ffn;

/** Low stub (PROCESSOR_START_BLOCK) below 1 MiB: first qword signature, PML4 at +0xA0. */
export function findLowStubDtb(pm: PhysicalMemory): number | null {
  const b = Buffer.alloc(0xa8);
  for (let pa = 0x1000; pa < 0x100000; pa += 0x1000) {
    if (!pm.readPhys(pa, b, 0, b.length)) continue;
    if ((b.readBigUInt64LE(0) & STUB_MASK) !== STUB_SIG) continue;
    const cr3 = b.readBigUInt64LE(0xa0);
    if (cr3 === 0n || cr3 & 0xfffn || cr3 > 1n << 46n) continue;
    return Number(cr3);
  }
  return null;
}

/** Pages whose PML4 maps itself from a kernel-half slot (Win10+ randomizes the slot). */
export function findSelfRefPml4(pm: PhysicalMemory, max = 16): number[] {
  const out: number[] = [];
  for (const [base, chunk] of scanRam(pm)) {
    const words = new Uint32Array(chunk.buffer, chunk.byteOffset, chunk.length >> 2);
    for (let page = 0; page + 1024 <= words.length; page += 1024) {
      const pa = base + page * 4;
      const lo = pa % 4294967296;
      const hi = Math.floor(pa / 4294967296);
      for (let i = 256; i < 512; i++) {
        const elo = words[page + 2 * i];
        if ((elo & 1) === 0 || (elo & 0xfffff000) >>> 0 !== lo || (words[page + 2 * i + 1] & 0xfffff) !== hi) continue;
        // a real PML4 has several other present kernel entries
        let present = 0;
        for (let j = 256; j < 512; j++) if (words[page + 2 * j] & 1) present++;
        if (present >= 3) out.push(pa);
        break;
      }
      if (out.length >= max) return out;
    }
  }
  return out;
}

const KERNEL_SCAN_START = 0xfffff80000000000n;
const KERNEL_SCAN_END = 0xfffff80800000000n;

/** Scans mapped kernel pages for a PE image whose CodeView names ntkrnlmp/ntoskrnl. */
export function scanForKernelPe(space: X86_64Space, mem: Mem, maxPages = 1 << 21): { base: bigint; pe: PeInfo } | null {
  const two = Buffer.alloc(2);
  let pages = 0;
  for (const m of space.mappings(KERNEL_SCAN_START, KERNEL_SCAN_END)) {
    for (let off = 0; off < m.size; off += 4096) {
      if (++pages > maxPages) return null;
      if (!space.mem.readPhys(m.pa + off, two, 0, 2) || two[0] !== 0x4d || two[1] !== 0x5a) continue;
      const va = m.va + BigInt(off);
      const pe = readPe(mem, va);
      if (pe?.pdb && /^(ntkrnlmp|ntoskrnl|ntkrnlpa|ntkrpamp)\.pdb$/i.test(pe.pdb.name)) return { base: va, pe };
    }
  }
  return null;
}

function buildNumberOf(l: BuildLayout): number | null {
  const m = /^\d+\.\d+\.(\d+)/.exec(l.label);
  return m ? Number(m[1]) : null;
}

/** Checks that a layout reads the System process (pid 4, "System") at the list's first entry. */
function validatesOnSystem(layout: WinLayout, mem: Mem, psHead: bigint, blob?: Buffer | null): boolean {
  if (!layout.has('_EPROCESS', 'ActiveProcessLinks') || !layout.has('_EPROCESS', 'ImageFileName')) return false;
  const links = layout.off('_EPROCESS', 'ActiveProcessLinks');
  const pidOff = layout.off('_EPROCESS', 'UniqueProcessId');
  const nameOff = layout.off('_EPROCESS', 'ImageFileName');
  let ep: Buffer | null = blob ?? null;
  if (!ep) {
    const first = mem.u64(psHead);
    if (first === null || !isKernelPtr(first)) return false;
    ep = mem.read(first - BigInt(links), layout.size('_EPROCESS'));
  }
  if (!ep || ep.length < nameOff + 15) return false;
  return ep.readBigUInt64LE(pidOff) === 4n && cString(ep, nameOff, 15) === 'System' && ep.readBigUInt64LE(links + 8) === psHead;
}

/** `builtIn` replaces the shipped layout database (tests use it to withhold a build); user ISF files still come first. */
/**
 * Finds UniqueProcessId / ActiveProcessLinks / ImageFileName in the System EPROCESS: the first list
 * entry is System's ActiveProcessLinks, the pid (4) sits right before it on every x64 build, the
 * struct starts where KDBG's DirectoryTableBase offset holds the kernel DTB, and "System" is its name.
 */
function deriveEprocessOffsets(mem: Mem, psHead: bigint, kdbg: Kdbg, dtb: number | null, blob: Buffer | null): { pid: number; links: number; name: number } | null {
  const first = mem.u64(psHead);
  if (first === null || !isKernelPtr(first)) return null;
  if (mem.u64(first - 8n) !== 4n || mem.u64(first + 8n) !== psHead) return null;
  const dtbOff = kdbg.offsetEprocessDirectoryTableBase;
  const size = kdbg.sizeEProcess;
  if (!size || size > 0x4000) return null;
  for (let links = 0x100; links < Math.min(size, 0x1000); links += 8) {
    const base = first - BigInt(links);
    const ep = blob && blob.length >= size ? blob : mem.read(base, size);
    if (!ep) continue;
    const d = ep.readBigUInt64LE(dtbOff) & ~0xfffn;
    if (d === 0n || (dtb !== null && d !== BigInt(dtb & ~0xfff))) continue;
    if (ep.readBigUInt64LE(links) !== psHead && ep.readBigUInt64LE(links + 8) !== psHead) continue;
    const name = ep.indexOf('System\0', links, 'latin1');
    if (name < 0) continue;
    return { pid: links - 8, links, name };
  }
  return null;
}

export function discoverKernel(pm: PhysicalMemory, isf: string[] = [], builtIn?: BuildLayout[]): WinKernel {
  const notes: string[] = [];
  const catalog = builtIn ? [...isf.map((f) => readIsfFile(f)), ...builtIn] : layoutCatalog(isf);
  const k: WinKernel = {
    mem: null as unknown as Mem,
    space: null,
    dtb: null,
    dtbSource: '',
    kernBase: null,
    kernBaseSource: '',
    kernelSize: null,
    pe: null,
    kdbg: null,
    kdbgSource: '',
    layout: null,
    buildWhy: '',
    heuristic: false,
    psActiveProcessHead: null,
    psLoadedModuleList: null,
    header: null,
    triage: null,
    arch: 'x64',
    notes,
  };

  if (pm instanceof WindowsTriageDump) {
    k.triage = pm;
    k.header = pm.header;
    k.arch = pm.header.machineImageType === 0xaa64 ? 'arm64' : 'x64';
    k.mem = new Mem(new SparseReader(pm.virtual));
    k.dtb = Number(pm.header.directoryTableBase);
    k.dtbSource = 'dump header (no page tables in a triage dump: kernel memory comes from its VA-keyed data blocks)';
    if (pm.kdbg) {
      k.kdbg = pm.kdbg;
      k.kdbgSource = `decoded KDDEBUGGER_DATA64 copy at file offset ${hex(pm.triage.debuggerDataOffset)}`;
    }
  } else {
    const header = pm instanceof WindowsFullDump || pm instanceof WindowsBitmapDump ? pm.header : null;
    k.header = header;
    const candidates: [number, string][] = [];
    if (header) candidates.push([Number(header.directoryTableBase & ~0xfffn), 'dump header DirectoryTableBase']);
    else {
      const stub = findLowStubDtb(pm);
      if (stub !== null) candidates.push([stub, 'low stub (PROCESSOR_START_BLOCK) below 1 MiB']);
      for (const c of findSelfRefPml4(pm)) if (c !== stub) candidates.push([c, `self-referencing PML4 at ${hex(c)}`]);
    }
    for (const [dtb, why] of candidates) {
      const space = new X86_64Space(pm, dtb, { windowsTransition: true });
      const mem = new Mem(new PagedReader(space));
      k.space = space;
      k.mem = mem;
      k.dtb = dtb;
      k.dtbSource = why;
      if (header) {
        const kd = mem.read(header.kdDebuggerDataBlock, 0x380);
        const parsed = kd ? parseKdbg(kd) : null;
        if (parsed) {
          k.kdbg = parsed;
          k.kdbgSource = `decoded KDBG at ${hex(header.kdDebuggerDataBlock)} (dump header KdDebuggerDataBlock)`;
        }
      }
      if (k.kdbg && isKernelPtr(k.kdbg.kernBase)) break;
      const found = scanForKernelPe(space, mem);
      if (found) {
        k.kernBase = found.base;
        k.kernBaseSource = `PE scan of kernel memory found ${found.pe.pdb?.name} at ${hex(found.base)}`;
        k.pe = found.pe;
        break;
      }
      if (header) break;
    }
    if (!k.mem) k.mem = new Mem({ read: () => null });
  }

  if (k.kdbg && k.kernBase === null && isKernelPtr(k.kdbg.kernBase)) {
    k.kernBase = k.kdbg.kernBase;
    k.kernBaseSource = 'KDBG KernBase';
  }
  if (k.kernBase !== null && !k.pe) k.pe = readPe(k.mem, k.kernBase);
  if (k.pe) k.kernelSize = k.pe.sizeOfImage;
  if (k.kernelSize === null && k.triage) {
    const nt = k.triage.drivers.find((d) => d.dllBase === k.kernBase);
    if (nt) k.kernelSize = nt.sizeOfImage;
  }

  k.psActiveProcessHead = k.header?.psActiveProcessHead ?? k.kdbg?.psActiveProcessHead ?? null;
  k.psLoadedModuleList = k.header?.psLoadedModuleList ?? k.kdbg?.psLoadedModuleList ?? null;
  if (k.psActiveProcessHead !== null && !isKernelPtr(k.psActiveProcessHead)) k.psActiveProcessHead = null;
  if (k.psLoadedModuleList !== null && !isKernelPtr(k.psLoadedModuleList)) k.psLoadedModuleList = null;

  if (k.arch === 'arm64') {
    k.buildWhy = 'none (ARM64 kernel: memq ships x64 ntkrnlmp layouts only, no ARM64 ISF), so only the header, KDBG and driver list are read';
    notes.push(`Windows symbol layout: ${k.buildWhy}`);
    return k;
  }

  // 1. PDB GUID from the kernel's CodeView record
  if (k.pe?.pdb) {
    const l = matchByGuid(catalog, k.pe.pdb.guid, k.pe.pdb.age);
    if (l) {
      k.layout = new WinLayout(l);
      k.buildWhy = `PDB GUID ${k.pe.pdb.guid} age ${k.pe.pdb.age} (${k.pe.pdb.name}) from the kernel's CodeView record matches ${l.source}`;
    } else notes.push(`kernel PDB GUID ${k.pe.pdb.guid} age ${k.pe.pdb.age} is not in the layout database (pass its ISF with --isf)`);
  }
  // 2. RVAs of known globals
  if (!k.layout && k.kernBase !== null) {
    const obs: Record<string, number> = {};
    const rva = (va: bigint | null | undefined) => (va && va > k.kernBase! && va - k.kernBase! < 0x4000000n ? Number(va - k.kernBase!) : undefined);
    const a = rva(k.psActiveProcessHead);
    const b = rva(k.psLoadedModuleList);
    const c = rva(k.header?.kdDebuggerDataBlock);
    if (a !== undefined) obs.PsActiveProcessHead = a;
    if (b !== undefined) obs.PsLoadedModuleList = b;
    if (c !== undefined) obs.KdDebuggerDataBlock = c;
    const m = matchByRvas(catalog, obs);
    if (m) {
      k.layout = new WinLayout(m.layout);
      k.buildWhy = `RVAs relative to KernBase ${hex(k.kernBase)} — ${m.matched.map((s) => `${s} ${hex(obs[s])}`).join(', ')} — match only ${m.layout.source}`;
    }
  }
  // 3. heuristic: nearest build whose EPROCESS layout reads the System process correctly
  if (!k.layout) {
    const want = k.header?.minorVersion ?? null;
    const ordered = [...catalog].sort((x, y) => {
      const bx = buildNumberOf(x) ?? 0;
      const by = buildNumberOf(y) ?? 0;
      return want === null ? by - bx : Math.abs(bx - want) - Math.abs(by - want);
    });
    for (const l of ordered) {
      const wl = new WinLayout(l);
      const blob = k.triage?.processBlob;
      let psHead = k.psActiveProcessHead;
      if (psHead === null && k.kernBase !== null && l.symbols.PsActiveProcessHead !== undefined) psHead = k.kernBase + BigInt(l.symbols.PsActiveProcessHead);
      if (psHead !== null && validatesOnSystem(wl, k.mem, psHead, blob)) {
        // another build's global RVAs mean nothing here: keep its struct layouts only
        k.layout = new WinLayout({ ...l, symbols: {}, ntFunctions: [] });
        k.heuristic = true;
        if (k.psActiveProcessHead === null) k.psActiveProcessHead = psHead;
        k.buildWhy = `heuristic — no build matched by PDB GUID or global RVAs; using the struct layouts of ${l.label || l.guid} (${l.source}), the nearest build whose EPROCESS offsets read the System process (pid 4, "System", list links) correctly; its global RVAs are not used (no SSDT, no handle type names)`;
        notes.push(`Windows symbol layout: ${k.buildWhy}`);
        break;
      }
    }
  }
  // 4. last resort: derive the key EPROCESS offsets from the System process itself
  if (!k.layout && k.psActiveProcessHead !== null && k.kdbg && catalog.length) {
    const derived = deriveEprocessOffsets(k.mem, k.psActiveProcessHead, k.kdbg, k.dtb, k.triage?.processBlob ?? null);
    if (derived) {
      const want = k.header?.minorVersion ?? 0;
      const near = [...catalog].sort((x, y) => Math.abs((buildNumberOf(x) ?? 0) - want) - Math.abs((buildNumberOf(y) ?? 0) - want))[0];
      const ep = near.structs._EPROCESS;
      const fields = { ...ep.fields };
      fields.UniqueProcessId = { o: derived.pid, s: 8 };
      fields.ActiveProcessLinks = { o: derived.links, s: 16 };
      fields.ImageFileName = { o: derived.name, s: 15 };
      fields.Peb = { o: k.kdbg.offsetEprocessPeb, s: 8 };
      fields.InheritedFromUniqueProcessId = { o: k.kdbg.offsetEprocessParentCID, s: 8 };
      fields.Pcb = { o: 0, s: fields.Pcb?.s ?? 0 };
      const structs = {
        ...near.structs,
        _EPROCESS: { size: k.kdbg.sizeEProcess || ep.size, fields },
        _KPROCESS: { ...near.structs._KPROCESS, fields: { ...near.structs._KPROCESS.fields, DirectoryTableBase: { o: k.kdbg.offsetEprocessDirectoryTableBase, s: 8 } } },
      };
      k.layout = new WinLayout({ ...near, symbols: {}, ntFunctions: [], structs, label: `${near.label || near.guid} + derived EPROCESS offsets`, source: 'heuristic' });
      k.heuristic = true;
      k.buildWhy =
        `heuristic — no layout matched or validated; EPROCESS offsets derived from the System process ` +
        `(UniqueProcessId ${hex(derived.pid)}, ActiveProcessLinks ${hex(derived.links)}, ImageFileName ${hex(derived.name)}; Peb, parent pid, DTB and size from KDBG), ` +
        `other structs from ${near.label || near.guid}: process names/pids/parents/PEB data are reliable, threads, VADs and handles may not be`;
      notes.push(`Windows symbol layout: ${k.buildWhy}`);
    }
  }
  if (!k.layout) {
    k.buildWhy = 'none: no layout matched by PDB GUID or RVAs and no heuristic layout validated';
    notes.push(`Windows symbol layout: ${k.buildWhy}`);
    return k;
  }

  const L = k.layout;
  // globals from the symbol layout when the header did not give them (raw images)
  if (k.kernBase !== null) {
    const at = (s: string) => (L.sym(s) !== null ? k.kernBase! + BigInt(L.sym(s)!) : null);
    k.psActiveProcessHead ??= at('PsActiveProcessHead');
    k.psLoadedModuleList ??= at('PsLoadedModuleList');
    if (!k.kdbg && L.sym('KdDebuggerDataBlock') !== null) {
      const va = at('KdDebuggerDataBlock')!;
      const raw = k.mem.read(va, 0x380);
      let parsed = raw ? parseKdbg(raw) : null;
      if (parsed) k.kdbgSource = `decoded KDBG at ${hex(va)} (KernBase + RVA)`;
      else if (raw && L.sym('KiWaitNever') !== null && L.sym('KiWaitAlways') !== null) {
        const never = k.mem.u64(at('KiWaitNever')!);
        const always = k.mem.u64(at('KiWaitAlways')!);
        if (never !== null && always !== null) {
          parsed = parseKdbg(decodeKdbg(raw, va, never, always));
          if (parsed) k.kdbgSource = `encoded KDBG at ${hex(va)} decoded with KiWaitNever/KiWaitAlways`;
        }
      }
      k.kdbg = parsed;
      if (!parsed) notes.push(`KDBG at ${hex(va)} is neither a decoded nor a decodable copy; not needed with a matched layout`);
    }
  }
  return k;
}

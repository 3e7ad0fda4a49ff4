// Volatility-3 ISF (Intermediate Symbol Format) reader: turns a full ISF JSON document (tens of MB for
// ntkrnlmp.pdb) into a compact BuildLayout holding only the structs, fields and globals memq uses, plus
// the PDB GUID/age that identify the build. Used at build time (lib/symbols/windows/build-layouts.ts)
// and at run time for ISF files a user points memq at (EngineOptions.isf).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { MemqError } from '../util/errors';

/** One resolved field: byte offset from the struct start, size in bytes, optional bitfield position. */
export interface FieldLayout {
  o: number;
  /** byte size of the field's storage (for bitfields: of the underlying integer) */
  s: number;
  /** bitfield: first bit and bit count within the storage unit at `o` */
  bp?: number;
  bl?: number;
}

export interface StructLayout {
  size: number;
  fields: Record<string, FieldLayout>;
}

export interface BuildLayout {
  /** PDB GUID (32 upper-case hex digits) and age: the build's identity */
  guid: string;
  age: number;
  pdb: string;
  /** PE machine type of the PDB (0x8664 x64) */
  machine: number;
  /** human label, e.g. "10.0.19041.804" when known */
  label: string;
  /** where the layout came from (file name of the ISF) */
  source: string;
  /** RVAs of the globals memq uses */
  symbols: Record<string, number>;
  structs: Record<string, StructLayout>;
  /** [rva, name] of Nt* kernel functions, sorted by rva: SSDT handler names */
  ntFunctions: [number, string][];
}

/**
 * What memq reads from the Windows kernel: struct name → dotted field paths (paths may descend into
 * nested structs and anonymous unions, e.g. "u.VadFlags"). Fields absent on a build are left out.
 */
export const WANTED_STRUCTS: Record<string, string[]> = {
  _EPROCESS: [
    'Pcb', 'UniqueProcessId', 'ActiveProcessLinks', 'InheritedFromUniqueProcessId', 'ImageFileName', 'Peb',
    'ObjectTable', 'VadRoot', 'CreateTime', 'ExitTime', 'ThreadListHead', 'Session', 'WoW64Process',
    'Wow64Process', 'ActiveThreads', 'SectionBaseAddress', 'ImageFilePointer', 'ExitStatus', 'Token',
  ],
  _KPROCESS: ['Header', 'DirectoryTableBase', 'ThreadListHead', 'UserDirectoryTableBase'],
  _DISPATCHER_HEADER: ['Type', 'Size'],
  _ETHREAD: ['Tcb', 'Cid', 'ThreadListEntry', 'StartAddress', 'Win32StartAddress', 'CreateTime', 'ExitTime'],
  _KTHREAD: ['Process', 'Teb', 'State', 'ThreadListEntry', 'ApcState'],
  _KAPC_STATE: ['Process'],
  _CLIENT_ID: ['UniqueProcess', 'UniqueThread'],
  _LIST_ENTRY: ['Flink', 'Blink'],
  _UNICODE_STRING: ['Length', 'MaximumLength', 'Buffer'],
  _PEB: ['Ldr', 'ProcessParameters', 'ImageBaseAddress', 'BeingDebugged'],
  _PEB_LDR_DATA: ['InLoadOrderModuleList', 'InMemoryOrderModuleList', 'InInitializationOrderModuleList'],
  _LDR_DATA_TABLE_ENTRY: [
    'InLoadOrderLinks', 'InMemoryOrderLinks', 'InInitializationOrderLinks', 'DllBase', 'SizeOfImage',
    'FullDllName', 'BaseDllName',
  ],
  _KLDR_DATA_TABLE_ENTRY: ['InLoadOrderLinks', 'DllBase', 'SizeOfImage', 'FullDllName', 'BaseDllName'],
  _RTL_USER_PROCESS_PARAMETERS: ['CommandLine', 'ImagePathName', 'Environment', 'CurrentDirectory'],
  _RTL_AVL_TREE: ['Root'],
  _RTL_BALANCED_NODE: ['Left', 'Right', 'ParentValue'],
  _MM_AVL_TABLE: ['BalancedRoot', 'NumberGenericTableElements'],
  _MMADDRESS_NODE: ['u1', 'LeftChild', 'RightChild', 'StartingVpn', 'EndingVpn'],
  _MMVAD_SHORT: [
    'VadNode', 'StartingVpn', 'EndingVpn', 'StartingVpnHigh', 'EndingVpnHigh', 'u', 'u.VadFlags', 'u.LongFlags',
    'LeftChild', 'RightChild', 'u1',
  ],
  _MMVAD_FLAGS: ['VadType', 'Protection', 'PrivateMemory', 'CommitCharge', 'MemCommit'],
  _MMVAD: ['Core', 'Subsection', 'FirstPrototypePte', 'LastContiguousPte'],
  _SUBSECTION: ['ControlArea'],
  _CONTROL_AREA: ['Segment', 'FilePointer', 'u'],
  _FILE_OBJECT: ['Type', 'Size', 'DeviceObject', 'FileName'],
  _EX_FAST_REF: ['Object', 'Value'],
  _HANDLE_TABLE: ['TableCode', 'NextHandleNeedingPool', 'UniqueProcessId', 'HandleCount'],
  _HANDLE_TABLE_ENTRY: ['Object', 'ObjectPointerBits', 'GrantedAccess', 'GrantedAccessBits', 'Value', 'LowValue', 'HighValue'],
  _OBJECT_HEADER: ['PointerCount', 'HandleCount', 'TypeIndex', 'InfoMask', 'Body'],
  _OBJECT_HEADER_NAME_INFO: ['Directory', 'Name'],
  _OBJECT_HEADER_CREATOR_INFO: [],
  _OBJECT_TYPE: ['Name', 'Index', 'Key'],
  _MM_SESSION_SPACE: ['SessionId'],
  _EWOW64PROCESS: ['Peb'],
  _POOL_HEADER: ['PoolTag', 'BlockSize', 'PoolType', 'PreviousSize'],
};

/** Globals memq uses: RVAs relative to the kernel base. The first three also identify a build. */
export const WANTED_SYMBOLS = [
  'PsActiveProcessHead', 'PsLoadedModuleList', 'KdDebuggerDataBlock', 'ObHeaderCookie', 'ObTypeIndexTable',
  'KeServiceDescriptorTable', 'KeServiceDescriptorTableShadow', 'KiServiceTable', 'KiServiceLimit',
  'ObpInfoMaskToOffset', 'KiWaitNever', 'KiWaitAlways', 'KdpDataBlockEncoded', 'PspCidTable',
  'PsInitialSystemProcess', 'MmPfnDatabase', 'NtBuildLab', 'NtBuildNumber', 'MmSystemRangeStart',
];

/** The globals whose RVAs identify a build when no PDB GUID is available. */
export const MATCH_SYMBOLS = ['PsActiveProcessHead', 'PsLoadedModuleList', 'KdDebuggerDataBlock'] as const;

/** A Volatility ISF type descriptor (shared by the Windows and Linux ISF readers). */
export interface IsfType {
  kind: string;
  name?: string;
  count?: number;
  subtype?: IsfType;
  type?: IsfType;
  bit_position?: number;
  bit_length?: number;
}
export interface IsfDoc {
  metadata?: { windows?: { pdb?: { GUID?: string; age?: number; database?: string; machine_type?: number } } };
  base_types?: Record<string, { size: number }>;
  user_types?: Record<string, { size: number; fields: Record<string, { offset: number; type: IsfType }> }>;
  symbols?: Record<string, { address?: number }>;
  enums?: Record<string, { size: number }>;
}

/** Size in bytes of an ISF type within its document. */
export function typeSize(doc: IsfDoc, t: IsfType, depth = 0): number {
  if (depth > 16) return 0;
  switch (t.kind) {
    case 'pointer':
      return 8;
    case 'base':
      return doc.base_types?.[t.name ?? '']?.size ?? 0;
    case 'struct':
    case 'union':
    case 'class':
      return doc.user_types?.[t.name ?? '']?.size ?? 0;
    case 'enum':
      return doc.enums?.[t.name ?? '']?.size ?? 4;
    case 'array':
      return (t.count ?? 0) * (t.subtype ? typeSize(doc, t.subtype, depth + 1) : 0);
    case 'bitfield':
      return t.type ? typeSize(doc, t.type, depth + 1) : 0;
    default:
      return 0;
  }
}

function resolvePath(doc: IsfDoc, struct: string, path: string): FieldLayout | null {
  let typeName = struct;
  let offset = 0;
  let last: IsfType | null = null;
  for (const part of path.split('.')) {
    const ut = doc.user_types?.[typeName];
    const f = ut?.fields?.[part];
    if (!f) return null;
    offset += f.offset;
    last = f.type;
    typeName = f.type.name ?? '';
  }
  if (!last) return null;
  const out: FieldLayout = { o: offset, s: typeSize(doc, last) };
  if (last.kind === 'bitfield') {
    out.bp = last.bit_position ?? 0;
    out.bl = last.bit_length ?? 0;
  }
  return out;
}

/** Extracts the compact layout from a parsed ISF document. */
export function layoutFromIsf(doc: IsfDoc, source: string, label = ''): BuildLayout {
  const pdb = doc.metadata?.windows?.pdb;
  if (!pdb?.GUID || !doc.user_types || !doc.symbols) {
    throw new MemqError(`${source}: not a Windows ISF symbol file (expected metadata.windows.pdb, user_types, symbols)`, 'E_SYMBOLS');
  }
  const structs: Record<string, StructLayout> = {};
  for (const [name, paths] of Object.entries(WANTED_STRUCTS)) {
    const ut = doc.user_types[name];
    if (!ut) continue;
    const fields: Record<string, FieldLayout> = {};
    for (const p of paths) {
      const f = resolvePath(doc, name, p);
      if (f) fields[p] = f;
    }
    structs[name] = { size: ut.size, fields };
  }
  const symbols: Record<string, number> = {};
  for (const s of WANTED_SYMBOLS) {
    const a = doc.symbols[s]?.address;
    if (typeof a === 'number') symbols[s] = a;
  }
  const ntFunctions: [number, string][] = [];
  for (const [name, v] of Object.entries(doc.symbols)) {
    if (name.startsWith('Nt') && typeof v.address === 'number' && /^Nt[A-Z]/.test(name)) ntFunctions.push([v.address, name]);
  }
  ntFunctions.sort((a, b) => a[0] - b[0]);
  return {
    guid: pdb.GUID.toUpperCase(),
    age: pdb.age ?? 1,
    pdb: pdb.database ?? 'ntkrnlmp.pdb',
    machine: pdb.machine_type ?? 0,
    label,
    source,
    symbols,
    structs,
    ntFunctions,
  };
}

/**
 * Reads and parses an ISF file (.json or .json.xz) synchronously — the document of any OS. xz is
 * decoded by the WebAssembly `xz-decompress` package in a short-lived child Node process, because its
 * API is stream-based (async) while engine opening is synchronous.
 */
export function readIsfDocument(file: string): unknown {
  let text: string;
  try {
    const head = Buffer.alloc(6);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, head, 0, 6, 0);
    fs.closeSync(fd);
    if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) text = xzDecodeSync(file);
    else text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof MemqError) throw e;
    throw new MemqError(`cannot read ISF file ${file}: ${(e as Error).message}`, 'E_SYMBOLS');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MemqError(`${file}: ISF is not valid JSON (${(e as Error).message})`, 'E_SYMBOLS');
  }
}

/** Reads a Windows ISF file into the compact layout. */
export function readIsfFile(file: string): BuildLayout {
  return layoutFromIsf(readIsfDocument(file) as IsfDoc, file.split(/[\\/]/).pop() ?? file);
}

/** Decodes an .xz file to text (async xz-decompress run to completion in a child process). */
export function xzDecodeSync(file: string): string {
  const script = `
    const fs = require('node:fs'); const { Readable } = require('node:stream');
    const { XzReadableStream } = require('xz-decompress');
    (async () => {
      const web = Readable.toWeb(fs.createReadStream(process.argv[1]));
      const out = Readable.fromWeb(new XzReadableStream(web));
      for await (const c of out) process.stdout.write(c);
    })().catch((e) => { process.stderr.write(String(e && e.message || e)); process.exit(3); });`;
  try {
    return execFileSync(process.execPath, ['-e', script, path.resolve(file)], {
      cwd: __dirname,
      maxBuffer: 512 * 1024 * 1024,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new MemqError(`${file}: xz decompression failed: ${err.stderr || err.message}`, 'E_SYMBOLS');
  }
}

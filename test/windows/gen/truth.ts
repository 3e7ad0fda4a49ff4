// The generator's record of everything it wrote: the independent truth tests compare the parser with.
// All 64-bit addresses are '0x' + 16 hex digits (lib/util/hex addr()); times are ISO-8601 UTC with
// microseconds plus the raw FILETIME as a decimal string.

export type DumpKind = 'full' | 'bitmap' | 'kernel-bitmap' | 'raw';

export interface TruthTime {
  iso: string;
  filetime: string;
}

export interface TruthModule {
  name: string;
  path: string;
  base: string;
  size: number;
  /** _LDR_DATA_TABLE_ENTRY VA (user space of the owning process) */
  ldrEntry: string;
}

export interface TruthVad {
  start: string;
  /** last byte of the range (EndingVpn * 0x1000 + 0xfff), as Windows tools print it */
  end: string;
  /** MM protection index (_MMVAD_FLAGS.Protection) and its name */
  protection: number;
  protectionName: string;
  /** 'private' | 'image' | 'mapped' (VadType 0 + PrivateMemory 1 / VadImageMap 2 / VadNone + file) */
  type: 'private' | 'image' | 'mapped';
  vadType: number;
  privateMemory: boolean;
  fileName: string | null;
  va: string;
  tag: string;
}

export interface TruthHandle {
  value: number;
  type: string;
  name: string;
  grantedAccess: number;
  object: string;
  objectHeader: string;
  /** for Process/Thread handles: the target pid / tid */
  targetPid?: number;
  targetTid?: number;
}

export interface TruthThread {
  tid: number;
  pid: number;
  ethread: string;
  createTime: TruthTime;
  exitTime: TruthTime | null;
  startAddress: string;
  win32StartAddress: string;
  teb: string;
  state: number;
}

export interface TruthProcess {
  pid: number;
  ppid: number;
  name: string;
  imagePath: string | null;
  commandLine: string | null;
  createTime: TruthTime;
  exitTime: TruthTime | null;
  session: number | null;
  wow64: boolean;
  eprocess: string;
  /** pool block (the _POOL_HEADER) holding this EPROCESS, as a psscan finds it */
  poolHeader: string;
  dtb: string;
  peb: string;
  /** linked in PsActiveProcessHead (false = unlinked/hidden, findable only by scanning) */
  inActiveList: boolean;
  hidden: boolean;
  exited: boolean;
  /** user memory present in this dump kind (false for kernel-bitmap dumps and exited processes) */
  userMemoryPresent: boolean;
  threads: TruthThread[];
  modules: TruthModule[];
  /** image VADs deliberately missing from the PEB loader lists (ldrmodules-style finding) */
  unlinkedModules: string[];
  vads: TruthVad[];
  handles: TruthHandle[];
  flags: string[];
  /** environment block (RTL_USER_PROCESS_PARAMETERS.Environment) as NAME=value strings */
  environment: string[] | null;
  /** user pages whose PTE is a transition PTE (P=0, bit 11 set): readable by Windows-aware walkers only */
  transitionPages: string[];
}

export interface TruthDriver {
  name: string;
  path: string;
  base: string;
  size: number;
  ldrEntry: string;
  suspicious: boolean;
}

export interface TruthSsdtEntry {
  index: number;
  raw: number;
  target: string;
  symbol: string | null;
  module: string;
  hooked: boolean;
}

export interface TruthEndpoint {
  protocol: 'TCPv4' | 'TCPv6' | 'UDPv4' | 'UDPv6';
  localAddr: string;
  localPort: number;
  remoteAddr: string | null;
  remotePort: number | null;
  state: string | null;
  pid: number;
  owner: string;
  va: string;
  tag: string;
  createTime: TruthTime;
}

export interface Truth {
  generator: { version: number; build: string; kind: DumpKind; sizeMiB: number; seed: number };
  build: { id: string; version: string; buildNumber: number; pdb: { guid: string; age: number; database: string }; isfFile: string; netscanTable: string };
  file: { path: string; size: number; format: string };
  dumpHeader: null | {
    signature: string;
    validDump: string;
    majorVersion: number;
    minorVersion: number;
    dumpType: number;
    directoryTableBase: string;
    pfnDataBase: string;
    psLoadedModuleList: string;
    psActiveProcessHead: string;
    kdDebuggerDataBlock: string;
    machineImageType: number;
    numberProcessors: number;
    bugCheckCode: number;
    bugCheckParameters: string[];
    systemTime: TruthTime;
    requiredDumpSpace: string;
    /** bitmap dumps: _SUMMARY_DUMP fields */
    summary: null | { signature: string; validDump: string; headerSize: string; bitmapBits: number; pages: number };
    firstPageOffset: number;
  };
  physical: {
    runs: { basePage: string; pageCount: number }[];
    numberOfPages: number;
    /** one past the highest physical byte */
    maxAddress: string;
    /** pages present in the file */
    presentPages: number;
    lowStubPa: string;
  };
  kernel: {
    kernBase: string;
    sizeOfImage: number;
    dtb: string;
    selfRefIndex: number;
    pteBase: string;
    /** encoded: KDBG stored with KdCopyDataBlock's encoding (option encodeKdbg); kiWait*: the key values */
    kdbg: { va: string; size: number; encoded: boolean; pa: string; kiWaitNever: string; kiWaitAlways: string };
    psActiveProcessHead: string;
    psLoadedModuleList: string;
    obHeaderCookie: number | null;
    kernelEntry: string;
    largePages: boolean;
    nonPagedPool: string;
    pagedPool: string;
    numberProcessors: number;
  };
  objectTypes: { index: number; name: string; va: string }[];
  processes: TruthProcess[];
  drivers: TruthDriver[];
  ssdt: { table: string; descriptor: string; count: number; entries: TruthSsdtEntry[] };
  network: TruthEndpoint[];
  injections: { pid: number; start: string; end: string; protection: string; peHeader: boolean }[];
  /**
   * Only with `hostile: true`: the deliberate corruptions (everything else in the truth is as written
   * before corrupting — a parser should still find the processes by scanning, terminate every walk, and
   * report no handles for the bad table and no command line for the bad string).
   */
  hostile: null | {
    cyclicProcessList: { from: string; to: string };
    cyclicVadTree: { pid: number; node: string; root: string };
    badHandleTableLevel: { pid: number; tableCode: string };
    badCommandLine: { pid: number };
  };
}

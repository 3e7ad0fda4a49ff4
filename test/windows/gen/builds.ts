// Per-build facts the ISF does not carry: which ISF file, the version string, KDBG size, system-call
// count, the tcpip.sys endpoint layouts, the object-type index order and where the kernel pools sit.
// Struct layouts of ntoskrnl itself always come from the ISF (see isf.ts).

export type BuildId = '7601' | '9600' | '14393' | '17763' | '18362' | '19041' | '20348' | '22000';
export const BUILD_IDS: BuildId[] = ['7601', '9600', '14393', '17763', '18362', '19041', '20348', '22000'];

/**
 * tcpip.sys endpoint layouts (x64). tcpip.pdb is not among our ISF files, so these offsets are
 * transcribed from Volatility 3's netscan symbol tables (volatility3/framework/symbols/windows/netscan/
 * netscan-<ver>-x64.json, the files its netscan plugin picks per build in plugins/windows/netscan.py).
 * Objects sit right after their _POOL_HEADER (no object header), pool tags 'TcpE'/'TcpL'/'UdpA'.
 * Local address chain (Volatility network.py): TCP endpoint → AddrInfo(_ADDRINFO).Local → _LOCAL_ADDRESS
 * .pData → pointer → _IN_ADDR; remote: AddrInfo.Remote → _IN_ADDR. Listener: LocalAddr → _LOCAL_ADDRESS
 * (double dereference as above). UDP: LocalAddr → _LOCAL_ADDRESS (win7/8.1: double deref) or
 * _LOCAL_ADDRESS_WIN10_UDP (Win10+: .pData at +0 → _IN_ADDR, single deref). _INETAF.AddressFamily: 2 / 0x17.
 */
export interface NetLayout {
  table: string;
  tcpE: { size: number; InetAF: number; AddrInfo: number; State: number; LocalPort: number; RemotePort: number; Owner: number; CreateTime: number };
  tcpL: { size: number; InetAF: number; Owner: number; CreateTime: number; LocalAddr: number; Port: number };
  udpA: { size: number; InetAF: number; Owner: number; CreateTime: number; LocalAddr: number; Port: number };
  localAddressPData: number;
  addrInfoRemote: number;
  inetafAddressFamily: number;
  /** UDP LocalAddr points to _LOCAL_ADDRESS_WIN10_UDP (pData at +0, single dereference) */
  udpWin10: boolean;
  /** pool tag of TCP endpoints (Server 2022+ tcpip allocates them as 'TTcb', see netscan.py) */
  tcpTag: string;
}

const NET_WIN7: NetLayout = {
  table: 'netscan-win7-x64',
  tcpE: { size: 0x240, InetAF: 0x18, AddrInfo: 0x20, State: 0x68, LocalPort: 0x6c, RemotePort: 0x6e, Owner: 0x238, CreateTime: 0x0 },
  tcpL: { size: 0x6c, InetAF: 0x60, Owner: 0x28, CreateTime: 0x20, LocalAddr: 0x58, Port: 0x6a },
  udpA: { size: 0x8a, InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x60, Port: 0x80 },
  localAddressPData: 0x10,
  addrInfoRemote: 0x10,
  inetafAddressFamily: 0x14,
  udpWin10: false,
  tcpTag: 'TcpE',
};
const NET_WIN81: NetLayout = {
  table: 'netscan-win81-x64',
  tcpE: { size: 0x260, InetAF: 0x10, AddrInfo: 0x18, State: 0x6c, LocalPort: 0x70, RemotePort: 0x72, Owner: 0x258, CreateTime: 0x0 },
  tcpL: { size: 0x6c, InetAF: 0x60, Owner: 0x28, CreateTime: 0x40, LocalAddr: 0x58, Port: 0x6a },
  udpA: { size: 0x82, InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x60, Port: 0x78 },
  localAddressPData: 0x10,
  addrInfoRemote: 0x10,
  inetafAddressFamily: 0x18,
  udpWin10: false,
  tcpTag: 'TcpE',
};
const NET_WIN10_14393: NetLayout = {
  table: 'netscan-win10-x64',
  tcpE: { size: 0x270, InetAF: 0x10, AddrInfo: 0x18, State: 0x6c, LocalPort: 0x70, RemotePort: 0x72, Owner: 0x258, CreateTime: 0x268 },
  tcpL: { size: 0x74, InetAF: 0x28, Owner: 0x30, CreateTime: 0x40, LocalAddr: 0x60, Port: 0x72 },
  udpA: { size: 0x84, InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x80, Port: 0x78 },
  localAddressPData: 0x10,
  addrInfoRemote: 0x10,
  inetafAddressFamily: 0x18,
  udpWin10: true,
  tcpTag: 'TcpE',
};
const NET_17763: NetLayout = { ...NET_WIN10_14393, table: 'netscan-win10-17763-x64', tcpE: { ...NET_WIN10_14393.tcpE, size: 0x278, Owner: 0x2c8, CreateTime: 0x2d8 } };
const NET_18362: NetLayout = { ...NET_WIN10_14393, table: 'netscan-win10-18362-x64', tcpE: { ...NET_WIN10_14393.tcpE, size: 0x278, Owner: 0x290, CreateTime: 0x2a0 } };
const NET_19041: NetLayout = {
  ...NET_WIN10_14393,
  table: 'netscan-win10-19041-x64',
  tcpE: { ...NET_WIN10_14393.tcpE, size: 0x278, Owner: 0x2d8, CreateTime: 0x2e8 },
  tcpL: { ...NET_WIN10_14393.tcpL, size: 0x80 },
  udpA: { ...NET_WIN10_14393.udpA, size: 0xa8, LocalAddr: 0xa8, Port: 0xa0 },
};
const NET_20348: NetLayout = {
  ...NET_19041,
  table: 'netscan-win10-20348-x64',
  tcpE: { ...NET_19041.tcpE, Owner: 0x2f0, CreateTime: 0x308 },
  tcpTag: 'TTcb',
};

/** Object type names in ObTypeIndexTable order (index 2 upward; 0 and 1 are reserved). */
const TYPES_WIN7 = ['Type', 'Directory', 'SymbolicLink', 'Token', 'Job', 'Process', 'Thread', 'UserApcReserve', 'IoCompletionReserve', 'DebugObject', 'Event', 'EventPair', 'Mutant', 'Callback', 'Semaphore', 'Timer', 'Profile', 'KeyedEvent', 'WindowStation', 'Desktop', 'TpWorkerFactory', 'Adapter', 'Controller', 'Device', 'Driver', 'IoCompletion', 'File', 'TmTm', 'TmTx', 'TmRm', 'TmEn', 'Section', 'Session', 'Key', 'ALPC Port', 'PowerRequest', 'WmiGuid', 'EtwRegistration', 'EtwConsumer', 'FilterConnectionPort', 'FilterCommunicationPort', 'PcwObject'];
const TYPES_WIN10 = ['Type', 'Directory', 'SymbolicLink', 'Token', 'Job', 'Process', 'Thread', 'Partition', 'UserApcReserve', 'IoCompletionReserve', 'ActivityReference', 'PsSiloContextPaged', 'PsSiloContextNonPaged', 'DebugObject', 'Event', 'Mutant', 'Callback', 'Semaphore', 'Timer', 'IRTimer', 'Profile', 'KeyedEvent', 'WindowStation', 'Desktop', 'Composition', 'RawInputManager', 'CoreMessaging', 'TpWorkerFactory', 'Adapter', 'Controller', 'Device', 'Driver', 'IoCompletion', 'WaitCompletionPacket', 'File', 'TmTm', 'TmTx', 'TmRm', 'TmEn', 'Section', 'Session', 'Key', 'RegistryTransaction', 'ALPC Port', 'EnergyTracker', 'PowerRequest', 'WmiGuid', 'EtwRegistration', 'EtwSessionDemuxEntry', 'EtwConsumer', 'CoverageSampler', 'DmaTransaction', 'DmaAdapter', 'PcwObject', 'FilterConnectionPort', 'FilterCommunicationPort', 'NdisCmState', 'DxgkSharedResource', 'DxgkSharedSyncObject', 'DxgkSharedSwapChainObject', 'DxgkDisplayManagerObject', 'VRegConfigurationContext'];

export interface BuildInfo {
  id: BuildId;
  isfFile: string;
  /** full product version of the ntoskrnl the ISF was made from */
  version: string;
  ntMajor: number;
  ntMinor: number;
  buildNumber: number;
  /** KDDEBUGGER_DATA64.Header.Size as written by this kernel generation */
  kdbgSize: number;
  /** KiServiceLimit */
  serviceCount: number;
  net: NetLayout;
  objectTypes: string[];
  /** Win7 keeps the kernel at a fixed region (no 2 MiB KASLR slot), PML4 self-map fixed at 0x1ed */
  legacyLayout: boolean;
  /** pool tags of executive objects carry the 'protected' bit (0x80 in the last byte) before Win8 */
  protectedTags: boolean;
  /** the Registry process exists from 1803 (17134) on */
  hasRegistryProcess: boolean;
}

const B = (
  id: BuildId,
  isfFile: string,
  version: string,
  kdbgSize: number,
  serviceCount: number,
  net: NetLayout,
): BuildInfo => {
  const [maj, min] = version.split('.').map(Number);
  const n = Number(id);
  return {
    id,
    isfFile,
    version,
    ntMajor: maj,
    ntMinor: min,
    buildNumber: n,
    kdbgSize,
    serviceCount,
    net,
    objectTypes: n < 9200 ? TYPES_WIN7 : TYPES_WIN10,
    legacyLayout: n < 9200,
    protectedTags: n < 9200,
    hasRegistryProcess: n >= 17134,
  };
};

export const BUILDS: Record<BuildId, BuildInfo> = {
  '7601': B('7601', '339E74133576439CBCDF7E0229DA3773-1.json.xz', '6.1.7601.24540', 0x340, 0x191, NET_WIN7),
  '9600': B('9600', '22597D0B40394E23936F6A24C6C52D5B-1.json.xz', '6.3.9600.19913', 0x360, 0x1b0, NET_WIN81),
  '14393': B('14393', '517E128F7B7C4EA79491DE6B9B9CE190-1.json.xz', '10.0.14393.4583', 0x368, 0x1c5, NET_WIN10_14393),
  '17763': B('17763', '8B11040A5928757B11390AC78F6B6925-1.json.xz', '10.0.17763.379', 0x368, 0x1cf, NET_17763),
  '18362': B('18362', '11BC9A513F1140CA359ECDF50F0122C1-1.json.xz', '10.0.18362.295', 0x368, 0x1d2, NET_18362),
  '19041': B('19041', '5278AFF86C341677D7D7835C85B7B844-1.json.xz', '10.0.19041.804', 0x380, 0x1d5, NET_19041),
  '20348': B('20348', 'C2EADB24A615E9472CE47C8ADD31F130-1.json.xz', '10.0.20348.288', 0x380, 0x1da, NET_20348),
  '22000': B('22000', '32C1A669D5FFEFD41091F636CFDB6E99-1.json.xz', '10.0.22000.318', 0x380, 0x1da, NET_20348),
};

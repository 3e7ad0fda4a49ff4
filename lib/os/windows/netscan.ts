// Network endpoints by pool scan (netscan): TCP endpoints ('TcpE', and 'TTcb' on Server 2022+),
// listeners ('TcpL') and UDP endpoints ('UdpA') are tcpip.sys objects placed right after their
// _POOL_HEADER. tcpip.pdb is not among our ISF files, so the per-build offsets below are transcribed
// from Volatility 3's netscan symbol tables (volatility3/framework/symbols/windows/netscan/
// netscan-<ver>-x64.json, chosen per kernel build the way plugins/windows/netscan.py does; builds newer
// than the last table use it). Ports are big-endian; addresses: TCP AddrInfo→Local→pData→ptr→IN_ADDR,
// AddrInfo→Remote→IN_ADDR; listener/UDP LocalAddr→pData→ptr→IN_ADDR (Win10+ UDP: one dereference less).
import type { Row } from '../../model';
import { filetimeToDate } from '../../image/formats/windows/dump-header';
import { isKernelPtr } from './memory';
import type { EProc, WinCtx } from './processes';
import { kernelVasOf } from './reverse-map';

interface NetTable {
  name: string;
  fromBuild: number;
  tcpE: { InetAF: number; AddrInfo: number; State: number; LocalPort: number; RemotePort: number; Owner: number; CreateTime: number };
  tcpL: { InetAF: number; Owner: number; CreateTime: number; LocalAddr: number; Port: number };
  udpA: { InetAF: number; Owner: number; CreateTime: number; LocalAddr: number; Port: number };
  pData: number;
  remote: number;
  family: number;
  udpSingleDeref: boolean;
  ttcb: boolean;
}

const W10_TCPL = { InetAF: 0x28, Owner: 0x30, CreateTime: 0x40, LocalAddr: 0x60, Port: 0x72 };
const W10_UDPA = { InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x80, Port: 0x78 };
const W10_UDPA_19041 = { InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0xa8, Port: 0xa0 };
const tcpE = (owner: number, ct: number, af = 0x10, ai = 0x18, st = 0x6c) => ({ InetAF: af, AddrInfo: ai, State: st, LocalPort: st + 4, RemotePort: st + 6, Owner: owner, CreateTime: ct });

const TABLES: NetTable[] = [
  { name: 'netscan-win7-x64', fromBuild: 7600, tcpE: tcpE(0x238, 0x0, 0x18, 0x20, 0x68), tcpL: { InetAF: 0x60, Owner: 0x28, CreateTime: 0x20, LocalAddr: 0x58, Port: 0x6a }, udpA: { InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x60, Port: 0x80 }, pData: 0x10, remote: 0x10, family: 0x14, udpSingleDeref: false, ttcb: false },
  { name: 'netscan-win81-x64', fromBuild: 9600, tcpE: tcpE(0x258, 0x0), tcpL: { InetAF: 0x60, Owner: 0x28, CreateTime: 0x40, LocalAddr: 0x58, Port: 0x6a }, udpA: { InetAF: 0x20, Owner: 0x28, CreateTime: 0x58, LocalAddr: 0x60, Port: 0x78 }, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: false, ttcb: false },
  { name: 'netscan-win10-x64', fromBuild: 10240, tcpE: tcpE(0x258, 0x268), tcpL: W10_TCPL, udpA: W10_UDPA, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: true, ttcb: false },
  { name: 'netscan-win10-17763-x64', fromBuild: 17763, tcpE: tcpE(0x2c8, 0x2d8), tcpL: W10_TCPL, udpA: W10_UDPA, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: true, ttcb: false },
  { name: 'netscan-win10-18362-x64', fromBuild: 18362, tcpE: tcpE(0x290, 0x2a0), tcpL: W10_TCPL, udpA: W10_UDPA, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: true, ttcb: false },
  { name: 'netscan-win10-19041-x64', fromBuild: 19041, tcpE: tcpE(0x2d8, 0x2e8), tcpL: W10_TCPL, udpA: W10_UDPA_19041, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: true, ttcb: false },
  { name: 'netscan-win10-20348-x64', fromBuild: 20348, tcpE: tcpE(0x2f0, 0x308), tcpL: W10_TCPL, udpA: W10_UDPA_19041, pData: 0x10, remote: 0x10, family: 0x18, udpSingleDeref: true, ttcb: true },
];

const TCP_STATES: Record<number, string> = {
  0: 'CLOSED', 1: 'LISTENING', 2: 'SYN_SENT', 3: 'SYN_RCVD', 4: 'ESTABLISHED', 5: 'FIN_WAIT1', 6: 'FIN_WAIT2',
  7: 'CLOSE_WAIT', 8: 'CLOSING', 9: 'LAST_ACK', 12: 'TIME_WAIT', 13: 'DELETE_TCB',
};
const AF_INET = 2;
const AF_INET6 = 0x17;
const OBJ_SPAN = 0x320; // buffer size: covers the largest field offset above

export function netTableFor(build: number): NetTable | null {
  let t: NetTable | null = null;
  for (const x of TABLES) if (build >= x.fromBuild) t = x;
  return t;
}

function ipText(b: Buffer, family: number): string {
  if (family === AF_INET) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(i).toString(16));
  // compress the longest zero run (RFC 5952)
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Pool tags of tcpip endpoint objects (scanned once with the process tags, see poolscan.ts). */
export const NET_TAGS = ['TcpE', 'TcpL', 'UdpA', 'TTcb'];

export function socketRows(ctx: WinCtx, procs: EProc[], pools: Map<string, number[]>): Row<'socket'>[] {
  const { k, L } = ctx;
  const space = k.space;
  if (!space) return [];
  const build = Number(/^\d+\.\d+\.(\d+)/.exec(L.build.label)?.[1] ?? k.header?.minorVersion ?? 0);
  const t = netTableFor(build);
  if (!t) {
    ctx.warn(`netscan: no tcpip layout for build ${build}`);
    return [];
  }
  const kinds: [string, 'tcpE' | 'tcpL' | 'udpA'][] = [['TcpE', 'tcpE'], ['TcpL', 'tcpL'], ['UdpA', 'udpA']];
  if (t.ttcb) kinds.push(['TTcb', 'tcpE']);
  const hits: { pa: number; kind: 'tcpE' | 'tcpL' | 'udpA' }[] = [];
  for (const [tag, kind] of kinds) for (const pool of pools.get(tag) ?? []) hits.push({ pa: pool + 0x10, kind });
  const byVa = new Map<bigint, EProc>(procs.map((p) => [p.va, p]));
  const pidOff = L.off('_EPROCESS', 'UniqueProcessId');
  const owner = (va: bigint): number | null => {
    if (!isKernelPtr(va)) return null;
    const p = byVa.get(va);
    if (p) return p.pid;
    const pid = k.mem.u64(va + BigInt(pidOff));
    return pid !== null && pid > 0n && pid < 0x1000000n ? Number(pid) : null;
  };
  const ptr = (va: bigint | null): bigint | null => (va !== null && isKernelPtr(va) ? k.mem.u64(va) : null);
  const addr = (va: bigint | null, family: number): string | null => {
    if (va === null || !isKernelPtr(va)) return null;
    const b = k.mem.read(va, family === AF_INET ? 4 : 16);
    return b ? ipText(b, family) : null;
  };
  const rows: (Row<'socket'> & { pa: number })[] = [];
  const buf = Buffer.alloc(OBJ_SPAN);
  for (const h of hits) {
    const lay = t[h.kind];
    // read only as far as this object's last field: the page after a small object may be absent
    const span = Math.max(...Object.values(lay)) + 8;
    buf.fill(0);
    if (!space.mem.readPhys(h.pa, buf, 0, span)) continue;
    const inetaf = buf.readBigUInt64LE(lay.InetAF);
    const fam = isKernelPtr(inetaf) ? k.mem.u16(inetaf + BigInt(t.family)) : null;
    if (fam !== AF_INET && fam !== AF_INET6) continue;
    const pid = owner(buf.readBigUInt64LE(lay.Owner));
    const created = filetimeToDate(buf.readBigUInt64LE(lay.CreateTime));
    const family = fam === AF_INET ? 'AF_INET' : 'AF_INET6';
    const any = fam === AF_INET ? '0.0.0.0' : '::';
    if (h.kind === 'tcpE') {
      const te = t.tcpE;
      const state = buf.readUInt32LE(te.State);
      if (!(state in TCP_STATES)) continue;
      const ai = buf.readBigUInt64LE(te.AddrInfo);
      // AddrInfo → _ADDRINFO.Local (→ _LOCAL_ADDRESS) .pData → pointer → _IN_ADDR
      const localStruct = isKernelPtr(ai) ? k.mem.u64(ai) : null;
      const pdata = localStruct !== null && isKernelPtr(localStruct) ? k.mem.u64(localStruct + BigInt(t.pData)) : null;
      const local = addr(ptr(pdata), fam);
      const remote = isKernelPtr(ai) ? addr(ptr(ai + BigInt(t.remote)), fam) : null;
      if (!local && (pid === null || pid === 0 || pid > 65535)) continue;
      rows.push({
        pa: h.pa, process_id: pid, fd: null, family, type: 'STREAM', protocol: 'TCP',
        local_address: local ?? any, local_port: buf.readUInt16BE(te.LocalPort),
        remote_address: remote, remote_port: buf.readUInt16BE(te.RemotePort), state: TCP_STATES[state],
        inode: null, object_address: 0n,
      });
    } else {
      const lay2 = h.kind === 'tcpL' ? t.tcpL : t.udpA;
      const la = buf.readBigUInt64LE(lay2.LocalAddr);
      let inaddr: bigint | null = null;
      if (isKernelPtr(la)) {
        const single = h.kind === 'udpA' && t.udpSingleDeref;
        const pdata = k.mem.u64(la + BigInt(single ? 0 : t.pData));
        inaddr = single ? pdata : ptr(pdata);
      }
      const local = addr(inaddr, fam);
      rows.push({
        pa: h.pa, process_id: pid, fd: null, family, type: h.kind === 'tcpL' ? 'STREAM' : 'DGRAM',
        protocol: h.kind === 'tcpL' ? 'TCP' : 'UDP', local_address: local ?? any,
        local_port: buf.readUInt16BE(lay2.Port), remote_address: null, remote_port: null,
        state: h.kind === 'tcpL' ? 'LISTENING' : '', inode: null, object_address: 0n,
      });
    }
    void created;
  }
  const vas = kernelVasOf(space, new Set(rows.map((r) => r.pa - (r.pa % 4096))));
  return rows.map(({ pa, ...r }) => {
    const pageVa = vas.get(pa - (pa % 4096));
    return { ...r, object_address: pageVa !== undefined ? pageVa + BigInt(pa % 4096) : BigInt(pa) };
  });
}

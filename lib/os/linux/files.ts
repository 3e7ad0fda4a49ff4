// Open file descriptors (task->files->fdt->fd[]) and the sockets behind them (file->private_data is
// the struct socket for sockfs files): address family, type, protocol, endpoints and state.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { fileKind } from './paths';

const MAX_FDS = 1 << 16;
const SOCKFS_PREFIX = 'socket:[';

export interface OpenFd {
  pid: number;
  fd: number;
  file: bigint;
  path: string;
  kind: string;
  inode: number | null;
  flags: number;
}

export function openFds(ctx: LinuxContext, t: Task): OpenFd[] {
  const v = ctx.v;
  const files = v.p(t.addr, 'task_struct', 'files');
  if (!files) return [];
  const fdt = v.p(files, 'files_struct', 'fdt');
  const max = Math.min(v.num(fdt, 'fdtable', 'max_fds'), MAX_FDS);
  const arr = v.p(fdt, 'fdtable', 'fd');
  if (!arr || max <= 0) return [];
  const ptrs = v.bytes(arr, max * 8);
  const out: OpenFd[] = [];
  for (let fd = 0; fd < max; fd++) {
    const file = ptrs.readBigUInt64LE(fd * 8);
    if (file === 0n) continue;
    const r = ctx.safe(`fd ${fd} of pid ${t.pid}`, () => {
      const p = ctx.paths.fromPathStruct(file + BigInt(v.off('file', 'f_path')));
      return {
        pid: t.tgid,
        fd,
        file,
        path: p.deleted ? `${p.path} (deleted)` : p.path,
        kind: fileKind(p.mode, p.path),
        inode: p.inode,
        flags: v.num(file, 'file', 'f_flags'),
      };
    }, null);
    if (r) out.push(r);
  }
  return out;
}

export function fileRows(fds: OpenFd[]): Row<'open_file'>[] {
  return fds.map((f) => ({ process_id: f.pid, fd: f.fd, path: f.path, kind: f.kind, inode: f.inode, flags: f.flags }));
}

// uapi numbers (linux/socket.h, linux/net.h, netinet/in.h, net/tcp_states.h)
const FAMILIES: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6', 16: 'AF_NETLINK', 17: 'AF_PACKET' };
const TYPES: Record<number, string> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET', 10: 'PACKET' };
const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];
const SS_STATES = ['FREE', 'UNCONNECTED', 'CONNECTING', 'CONNECTED', 'DISCONNECTING'];

function ipv4(n: number): string {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** RFC 5952 text form of a 16-byte IPv6 address (v4-mapped kept as ::ffff:a.b.c.d). */
export function ipv6(b: Buffer): string {
  const w = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexw = w.map((x) => x.toString(16));
  if (bestStart < 0) return hexw.join(':');
  return `${hexw.slice(0, bestStart).join(':')}::${hexw.slice(bestStart + bestLen).join(':')}`;
}

export function socketRows(ctx: LinuxContext, fds: OpenFd[]): Row<'socket'>[] {
  const v = ctx.v;
  const out: Row<'socket'>[] = [];
  for (const f of fds) {
    if (!f.path.startsWith(SOCKFS_PREFIX)) continue;
    const row = ctx.safe(`socket fd ${f.fd} of pid ${f.pid}`, (): Row<'socket'> | null => {
      const sock = v.p(f.file, 'file', 'private_data');
      if (!sock) return null;
      const sk = v.p(sock, 'socket', 'sk');
      if (!sk) return null;
      const skc = sk + BigInt(v.off('sock', '__sk_common'));
      const family = v.num(skc, 'sock_common', 'skc_family');
      const type = v.num(sk, 'sock', 'sk_type');
      const proto = v.num(sk, 'sock', 'sk_protocol');
      const base = {
        process_id: f.pid,
        fd: f.fd,
        family: FAMILIES[family] ?? `AF_${family}`,
        type: TYPES[type] ?? String(type),
        inode: f.inode,
        object_address: sk,
      };
      if (family === 2 || family === 10) {
        const lport = v.num(skc, 'sock_common', 'skc_num');
        const dportBe = v.num(skc, 'sock_common', 'skc_dport');
        const dport = ((dportBe & 0xff) << 8) | (dportBe >> 8);
        const st = v.num(skc, 'sock_common', 'skc_state');
        let local: string;
        let remote: string;
        if (family === 2) {
          local = ipv4(v.u32(skc + BigInt(v.off('sock_common', 'skc_rcv_saddr'))));
          remote = ipv4(v.u32(skc + BigInt(v.off('sock_common', 'skc_daddr'))));
        } else {
          local = ipv6(v.bytes(skc + BigInt(v.off('sock_common', 'skc_v6_rcv_saddr')), 16));
          remote = ipv6(v.bytes(skc + BigInt(v.off('sock_common', 'skc_v6_daddr')), 16));
        }
        const protocol = proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : proto === 255 || type === 3 ? 'RAW' : `IP${proto}`;
        return { ...base, protocol, local_address: local, local_port: lport, remote_address: remote, remote_port: dport, state: TCP_STATES[st] ?? String(st) };
      }
      if (family === 1) {
        let path = '';
        const us = sk; // struct unix_sock begins with struct sock
        const addr = v.p(us, 'unix_sock', 'addr');
        if (addr) {
          const len = v.num(addr, 'unix_address', 'len');
          const nameOff = BigInt(v.off('unix_address', 'name'));
          if (len > 2 && len <= 110) {
            const raw = v.bytes(addr + nameOff + 2n, len - 2);
            path = raw[0] === 0 ? '@' + raw.toString('utf8', 1).replace(/\0+$/, '') : raw.toString('utf8').replace(/\0.*$/s, '');
          }
        }
        // as /proc/net/unix reports it (net/unix/af_unix.c unix_seq_show)
        const established = v.num(sk + BigInt(v.off('sock', '__sk_common')), 'sock_common', 'skc_state') === 1;
        const ss = established ? 3 : 1;
        return { ...base, protocol: 'UNIX', local_address: path, local_port: null, remote_address: null, remote_port: null, state: SS_STATES[ss] };
      }
      return { ...base, protocol: FAMILIES[family] ?? String(proto), local_address: '', local_port: null, remote_address: null, remote_port: null, state: '' };
    }, null);
    if (row) out.push(row);
  }
  return out;
}

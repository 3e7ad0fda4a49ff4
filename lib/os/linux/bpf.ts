// eBPF programs and maps: every object in the kernel's prog_idr / map_idr (what `bpftool prog/map
// list` enumerates with BPF_*_GET_NEXT_ID), read from struct bpf_prog / bpf_prog_aux / bpf_map, with
// the process and fd holding each one (task fd tables: file->f_op == bpf_prog_fops / bpf_map_fops,
// file->private_data = the object) and, for programs attached through perf events (kprobe,
// tracepoint), the event they are attached to. A program or map nobody holds by fd is pinned, attached
// elsewhere or kept by a link — still loaded, and listed with a null owner.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { openFds, type OpenFd } from './files';
import { idrEntries } from './xarray';
import { hex } from '../../util/hex';
import { MemqError } from '../../util/errors';

// UAPI enums (include/uapi/linux/bpf.h): append-only ABI, the same numbers on every kernel.
const PROG_TYPES = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb',
  'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device', 'sk_msg', 'raw_tracepoint',
  'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport', 'flow_dissector', 'cgroup_sysctl',
  'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing', 'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];
const MAP_TYPES = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array', 'stack_trace',
  'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps', 'hash_of_maps', 'devmap', 'sockmap',
  'cpumap', 'xskmap', 'sockhash', 'cgroup_storage', 'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack',
  'sk_storage', 'devmap_hash', 'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter',
  'user_ringbuf', 'cgrp_storage', 'arena',
];
const ATTACH_TYPES = [
  'cgroup_inet_ingress', 'cgroup_inet_egress', 'cgroup_inet_sock_create', 'cgroup_sock_ops', 'sk_skb_stream_parser',
  'sk_skb_stream_verdict', 'cgroup_device', 'sk_msg_verdict', 'cgroup_inet4_bind', 'cgroup_inet6_bind',
  'cgroup_inet4_connect', 'cgroup_inet6_connect', 'cgroup_inet4_post_bind', 'cgroup_inet6_post_bind',
  'cgroup_udp4_sendmsg', 'cgroup_udp6_sendmsg', 'lirc_mode2', 'flow_dissector', 'cgroup_sysctl',
  'cgroup_udp4_recvmsg', 'cgroup_udp6_recvmsg', 'cgroup_getsockopt', 'cgroup_setsockopt', 'trace_raw_tp',
  'trace_fentry', 'trace_fexit', 'modify_return', 'lsm_mac', 'trace_iter', 'cgroup_inet4_getpeername',
  'cgroup_inet6_getpeername', 'cgroup_inet4_getsockname', 'cgroup_inet6_getsockname', 'xdp_devmap',
  'cgroup_inet_sock_release', 'xdp_cpumap', 'sk_lookup', 'xdp', 'sk_skb_verdict', 'sk_reuseport_select',
  'sk_reuseport_select_or_migrate', 'perf_event', 'trace_kprobe_multi', 'lsm_cgroup', 'struct_ops', 'netfilter',
  'tcx_ingress', 'tcx_egress', 'trace_uprobe_multi',
];
/** program types whose expected_attach_type is meaningful even when 0 (cgroup_inet_ingress) */
const ATTACH_TYPE_AT_ZERO = new Set([8, 9, 18, 25]);
const MAX_USED_MAPS = 64;
const MAX_OBJECTS = 65_536;

const enumName = (names: string[], n: number) => names[n] ?? `type_${n}`;

function fdsOf(ctx: LinuxContext, t: Task): OpenFd[] {
  // same memo key as the engine's open_file/socket extractors: fd tables are read once per analysis
  return ctx.memo('fds', t, () => ctx.safe(`files of pid ${t.pid}`, () => openFds(ctx, t), []));
}

interface Holder {
  pid: number;
  fd: number;
}

/**
 * Who holds each bpf object by fd: object address → lowest (pid, fd). Recognised by the file's f_op
 * (kallsyms bpf_prog_fops / bpf_map_fops) or, without data symbols, by the anon inode name bpf(2)
 * gives them (`anon_inode:bpf-prog`, `anon_inode:bpf-map`). Also perf event files → their program.
 */
function holders(ctx: LinuxContext): { progs: Map<bigint, Holder>; maps: Map<bigint, Holder>; perf: Map<bigint, string> } {
  return ctx.memoKernel('bpf holders', () => {
    const v = ctx.v;
    const progFops = ctx.k.syms.get('bpf_prog_fops');
    const mapFops = ctx.k.syms.get('bpf_map_fops');
    const perfFops = ctx.k.syms.get('perf_fops');
    const progs = new Map<bigint, Holder>();
    const maps = new Map<bigint, Holder>();
    const perf = new Map<bigint, string>(); // program → what it runs on (perf trace event, socket)
    const keep = (m: Map<bigint, Holder>, obj: bigint, h: Holder) => {
      const cur = m.get(obj);
      if (!cur || h.pid < cur.pid || (h.pid === cur.pid && h.fd < cur.fd)) m.set(obj, h);
    };
    for (const t of ctx.tasks()) {
      for (const f of fdsOf(ctx, t)) {
        if (f.kind === 'socket') {
          // SO_ATTACH_BPF / SO_ATTACH_FILTER: socket->sk->sk_filter->prog
          ctx.safe(`socket filter of fd ${f.fd} of pid ${f.pid}`, () => {
            const sock = v.p(f.file, 'file', 'private_data');
            const sk = sock > ctx.kernelFloor ? v.p(sock, 'socket', 'sk') : 0n;
            const filt = sk > ctx.kernelFloor ? v.p(sk, 'sock', 'sk_filter') : 0n;
            const prog = filt > ctx.kernelFloor ? v.p(filt, 'sk_filter', 'prog') : 0n;
            if (prog > ctx.kernelFloor && !perf.has(prog)) perf.set(prog, `socket:pid ${f.pid} fd ${f.fd}`);
          }, undefined);
          continue;
        }
        if (f.kind !== 'anon') continue;
        ctx.safe(`bpf fd ${f.fd} of pid ${f.pid}`, () => {
          const fop = v.p(f.file, 'file', 'f_op');
          const priv = v.p(f.file, 'file', 'private_data');
          if (priv < ctx.kernelFloor) return;
          const h = { pid: f.pid, fd: f.fd };
          if (fop === progFops || f.path === 'anon_inode:bpf-prog') keep(progs, priv, h);
          else if (fop === mapFops || f.path === 'anon_inode:bpf-map') keep(maps, priv, h);
          else if ((fop === perfFops || f.path === 'anon_inode:[perf_event]') && v.has('perf_event', 'prog')) {
            const prog = v.p(priv, 'perf_event', 'prog');
            if (prog > ctx.kernelFloor && !perf.has(prog)) perf.set(prog, perfTarget(ctx, priv));
          }
        }, undefined);
      }
    }
    return { progs, maps, perf };
  });
}

/** "kprobe:do_unlinkat" / "tracepoint:sched_switch": the trace event a perf event runs its program on */
function perfTarget(ctx: LinuxContext, event: bigint): string {
  const v = ctx.v;
  const call = v.has('perf_event', 'tp_event') ? v.p(event, 'perf_event', 'tp_event') : 0n;
  if (call < ctx.kernelFloor || !v.has('trace_event_call', 'name')) return 'perf_event';
  // TRACE_EVENT_FL_TRACEPOINT (0x10): the union holds a struct tracepoint * (its name is the first member)
  const flags = v.num(call, 'trace_event_call', 'flags');
  const p = v.p(call, 'trace_event_call', 'name');
  const name = flags & 0x10 ? v.cstr(v.ptr(p + BigInt(v.off('tracepoint', 'name'))), 128) : v.cstr(p, 128);
  const cls = v.p(call, 'trace_event_call', 'class');
  const system = cls > ctx.kernelFloor ? ctx.safe('trace event class', () => v.cstr(v.p(cls, 'trace_event_class', 'system'), 64), '') : '';
  return system ? `${system}:${name}` : name;
}

function bpfIdr(ctx: LinuxContext, name: string): bigint {
  const a = ctx.k.syms.get(name);
  // refuse rather than return an empty table: "no eBPF programs" must mean none were found
  if (a === undefined) throw new MemqError(`eBPF tables need ${name}, which kallsyms in this dump lacks (CONFIG_KALLSYMS_ALL off); pass --system-map <System.map of this kernel>`, 'E_SYMBOL');
  return a;
}

function cname(ctx: LinuxContext, at: bigint, len: number): string {
  const b = ctx.v.bytes(at, len);
  const z = b.indexOf(0);
  return b.toString('latin1', 0, z < 0 ? len : z);
}

export function bpfProgramRows(ctx: LinuxContext): Row<'bpf_program'>[] {
  const v = ctx.v;
  const idr = bpfIdr(ctx, 'prog_idr');
  const { progs, perf } = holders(ctx);
  const out: Row<'bpf_program'>[] = [];
  for (const { index, entry: prog } of idrEntries(ctx, idr, 'prog_idr').slice(0, MAX_OBJECTS)) {
    const row = ctx.safe(`bpf prog ${index} at ${hex(prog)}`, () => {
      const aux = v.p(prog, 'bpf_prog', 'aux');
      const type = v.num(prog, 'bpf_prog', 'type');
      const eat = v.num(prog, 'bpf_prog', 'expected_attach_type');
      const nMaps = Math.min(v.num(aux, 'bpf_prog_aux', 'used_map_cnt'), MAX_USED_MAPS);
      const used = v.p(aux, 'bpf_prog_aux', 'used_maps');
      const mapIds: number[] = [];
      if (nMaps > 0 && used > ctx.kernelFloor) {
        const ptrs = v.bytes(used, nMaps * 8);
        for (let i = 0; i < nMaps; i++) mapIds.push(v.u32(ptrs.readBigUInt64LE(i * 8) + BigInt(v.off('bpf_map', 'id'))));
      }
      const jited = v.num(prog, 'bpf_prog', 'jited') !== 0;
      const fn = v.p(aux, 'bpf_prog_aux', 'attach_func_name');
      const attachFunc = fn > ctx.kernelFloor ? ctx.safe('attach_func_name', () => v.cstr(fn, 128), null) : null;
      const user = v.has('bpf_prog_aux', 'user') ? v.p(aux, 'bpf_prog_aux', 'user') : 0n;
      const owner = progs.get(prog);
      return {
        id: v.u32(aux + BigInt(v.off('bpf_prog_aux', 'id'))),
        name: cname(ctx, aux + BigInt(v.off('bpf_prog_aux', 'name')), 16),
        type: enumName(PROG_TYPES, type),
        tag: v.bytes(prog + BigInt(v.off('bpf_prog', 'tag')), 8).toString('hex'),
        attach_type: eat === 0 && !ATTACH_TYPE_AT_ZERO.has(type) ? null : enumName(ATTACH_TYPES, eat),
        attach_target: attachFunc ?? perf.get(prog) ?? null,
        map_ids: mapIds.map(String),
        load_time_ns: v.n64(aux + BigInt(v.off('bpf_prog_aux', 'load_time'))),
        created_by_uid: user > ctx.kernelFloor ? v.u32(user + BigInt(v.off('user_struct', 'uid'))) : null,
        jited,
        jited_address: jited ? v.p(prog, 'bpf_prog', 'bpf_func') : null,
        jited_size: jited ? v.num(prog, 'bpf_prog', 'jited_len') : null,
        xlated_size: v.num(prog, 'bpf_prog', 'len') * 8,
        gpl_compatible: v.num(prog, 'bpf_prog', 'gpl_compatible') !== 0,
        process_id: owner?.pid ?? null,
        fd: owner?.fd ?? null,
        object_address: prog,
      };
    }, null);
    if (row) out.push(row);
  }
  return out;
}

export function bpfMapRows(ctx: LinuxContext): Row<'bpf_map'>[] {
  const v = ctx.v;
  const idr = bpfIdr(ctx, 'map_idr');
  const { maps } = holders(ctx);
  const out: Row<'bpf_map'>[] = [];
  for (const { index, entry: map } of idrEntries(ctx, idr, 'map_idr').slice(0, MAX_OBJECTS)) {
    const row = ctx.safe(`bpf map ${index} at ${hex(map)}`, () => {
      const owner = maps.get(map);
      return {
        id: v.u32(map + BigInt(v.off('bpf_map', 'id'))),
        name: cname(ctx, map + BigInt(v.off('bpf_map', 'name')), 16),
        type: enumName(MAP_TYPES, v.num(map, 'bpf_map', 'map_type')),
        key_size: v.num(map, 'bpf_map', 'key_size'),
        value_size: v.num(map, 'bpf_map', 'value_size'),
        max_entries: v.num(map, 'bpf_map', 'max_entries'),
        map_flags: v.num(map, 'bpf_map', 'map_flags'),
        process_id: owner?.pid ?? null,
        fd: owner?.fd ?? null,
        object_address: map,
      };
    }, null);
    if (row) out.push(row);
  }
  return out;
}

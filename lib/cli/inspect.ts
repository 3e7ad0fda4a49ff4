// Dump-inspection commands: info, ps, pstree, maps, modules, sockets, files, env, syscalls, dmesg,
// containers, mounts, analyze. Each opens the dump, extracts one table through the OS engine and renders it. This file
// holds the specs (names, options, help); the work is in inspect-run.ts / analyze-run.ts, loaded lazily.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { TableName } from '../model';
import { outputFormats, type OutputFormat } from './output';
import { load } from './lazy';

type InspectRun = typeof import('./inspect-run');
type AnalyzeRun = typeof import('./analyze-run');

export interface CommonOpts {
  format: OutputFormat;
  pid?: string;
  systemMap?: string;
  isf?: string[];
  ignoreVmcoreinfo?: boolean;
}

const formatOption = () =>
  new Option('-f, --format <format>', 'output format').choices(outputFormats).default('table');

export interface TableCommand {
  name: string;
  table: TableName;
  describe: string;
  columns: string[];
  pid: boolean;
}

const tableCommands: TableCommand[] = [
  { name: 'ps', table: 'process', describe: 'list processes', pid: true,
    columns: ['process_id', 'parent_process_id', 'name', 'uid', 'state', 'thread_count', 'exe_path', 'command_line'] },
  { name: 'threads', table: 'thread', describe: 'list threads', pid: true,
    columns: ['process_id', 'thread_id', 'name', 'state'] },
  { name: 'maps', table: 'vma', describe: 'memory maps (VMAs / VADs)', pid: true,
    columns: ['process_id', 'start', 'end', 'protection', 'page_offset', 'inode', 'kind', 'file_name'] },
  { name: 'libs', table: 'loaded_library', describe: 'loaded libraries / DLLs', pid: true,
    columns: ['process_id', 'base', 'size', 'path'] },
  { name: 'modules', table: 'kernel_module', describe: 'kernel modules / drivers', pid: false,
    columns: ['name', 'base', 'size', 'state', 'hidden', 'path'] },
  { name: 'sockets', table: 'socket', describe: 'sockets with owners', pid: true,
    columns: ['process_id', 'fd', 'protocol', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state', 'inode'] },
  { name: 'files', table: 'open_file', describe: 'open file descriptors', pid: true,
    columns: ['process_id', 'fd', 'kind', 'path'] },
  { name: 'handles', table: 'handle', describe: 'Windows handles', pid: true,
    columns: ['process_id', 'handle_value', 'object_type', 'granted_access', 'name'] },
  { name: 'env', table: 'env_var', describe: 'environment variables', pid: true, columns: ['process_id', 'name', 'value'] },
  { name: 'syscalls', table: 'syscall', describe: 'system call table with hook check and a summary line (--hooked: hooked entries only)', pid: false,
    columns: ['table_name', 'index', 'handler', 'symbol', 'module', 'hooked'] },
  { name: 'hooks', table: 'kernel_hook', describe: 'kernel hooks beyond the syscall table: ftrace, kprobes, tracepoint probes, netfilter, keyboard notifiers, IDT, tty (Linux), with owner and verdict', pid: false,
    columns: ['kind', 'target_symbol', 'family', 'hook_point', 'handler', 'handler_symbol', 'module', 'suspicious', 'reason'] },
  { name: 'dmesg', table: 'kernel_log', describe: 'kernel log, as dmesg prints it ([seconds.micro] message; --all-columns or --format for the fields)', pid: false, columns: ['timestamp_ns', 'level', 'message'] },
  { name: 'bpf', table: 'bpf_program', describe: 'Linux eBPF programs (prog_idr) with the process/fd holding each and what they are attached to', pid: false,
    columns: ['id', 'name', 'type', 'tag', 'attach_target', 'map_ids', 'jited_address', 'process_id', 'fd'] },
  { name: 'bpf-maps', table: 'bpf_map', describe: 'Linux eBPF maps (map_idr) with the process/fd holding each', pid: false,
    columns: ['id', 'name', 'type', 'key_size', 'value_size', 'max_entries', 'process_id', 'fd'] },
  { name: 'psscan', table: 'task_scan', describe: 'Linux task_structs found by scanning RAM, with whether the task list and PID IDR see them', pid: false,
    columns: ['process_id', 'parent_process_id', 'name', 'uid', 'state', 'in_task_list', 'in_pid_hash', 'exe_path'] },
  { name: 'indicators', table: 'indicator', describe: 'IPs, domains and URLs in process memory', pid: true,
    columns: ['process_id', 'kind', 'value', 'address', 'region'] },
  { name: 'containers', table: 'container', describe: 'containers found in the processes\' cgroup v2 paths (Linux)', pid: false,
    columns: ['runtime', 'container_id', 'pod_name', 'hostname', 'init_process_id', 'process_count', 'rootfs'] },
  { name: 'mounts', table: 'mount', describe: 'mounts of every mount namespace in use (Linux)', pid: false,
    columns: ['mnt_ns', 'mount_id', 'parent_mount_id', 'device', 'mount_point', 'fs_type', 'options', 'source'] },
];

export function registerInspectCommands(program: Command): void {
  program
    .command('info')
    .description('format, size, kernel version, KASLR shift, DTB and symbol sources of a dump')
    .argument('<dump>', 'memory dump (raw, LiME, ELF core, kdump, Windows crash dump; .gz/.xz ok)')
    .addOption(formatOption())
    .option('--system-map <file>', 'System.map to use or cross-check')
    .option('--isf <file...>', 'Volatility ISF symbol files (.json / .json.xz)')
    .option('--ignore-vmcoreinfo', "Linux: derive the kernel layout from memory (kallsyms/BTF scans) instead of the kernel's VMCOREINFO note")
    .action((dump: string, o: CommonOpts) => load<InspectRun>('inspect-run').info(dump, o));

  for (const tc of tableCommands) {
    const cmd = program
      .command(tc.name)
      .description(tc.describe)
      .argument('<dump>', 'memory dump')
      .addOption(formatOption())
      .option('--system-map <file>', 'System.map to use or cross-check')
      .option('--isf <file...>', 'Volatility ISF symbol files')
      .option('--ignore-vmcoreinfo', 'Linux: derive the kernel layout from memory instead of VMCOREINFO')
      .option('--all-columns', 'print every column of the table');
    if (tc.pid) cmd.option('-p, --pid <pid>', 'only this process');
    if (tc.table === 'syscall') cmd.option('--hooked', 'only entries whose handler is outside the kernel text (hooked)');
    cmd.action((dump: string, o: CommonOpts & { allColumns?: boolean }) => load<InspectRun>('inspect-run').table(tc, dump, o));
  }

  program
    .command('pstree')
    .description('process tree')
    .argument('<dump>', 'memory dump')
    .addOption(formatOption())
    .action((dump: string, o: CommonOpts) => load<InspectRun>('inspect-run').pstree(dump, o));

  program
    .command('analyze')
    .description('extract every table to Parquet plus a snapshot manifest')
    .argument('<dump>', 'memory dump')
    .option('-o, --out <dir>', 'output directory', 'memq-out')
    .option('--system-map <file>', 'System.map to use or cross-check')
    .option('--isf <file...>', 'Volatility ISF symbol files')
    .option('--hash', 'compute the dump\'s SHA-256 even for a sparse file (by default a file ≥ 1 GiB with under half its bytes allocated is not hashed: it would read every hole)')
    .option('--no-hash', 'never compute the dump\'s SHA-256; the manifest records size, mtime and a sampled-block hash instead')
    .option('--yara-rules <file...>', 'YARA rule files: scan process, module and kernel memory into the yara_match table')
    .action((dump: string, o: { out: string; systemMap?: string; isf?: string[]; yaraRules?: string[]; hash?: boolean }) => load<AnalyzeRun>('analyze-run').analyze(dump, o));
}

// Queries whose generated SQL is pinned in golden files (<name>.duckdb.sql, <name>.athena.sql).
// Regenerate with UPDATE_GOLDEN=1 npx jest test/query/golden.test.ts, then read the diff.
import type { Scope } from '../../../lib/query';

export interface GoldenCase {
  name: string;
  query: string;
  scope?: Scope;
}

export const goldenCases: GoldenCase[] = [
  { name: 'seed', query: 'process.process_object.parent_process_id == 1 &&\n    process.vad_object.file_name == "/usr/sbin/agetty"' },
  { name: 'scoped', query: 'process.process_object.name == "bash"', scope: { projects: ['acme'], machines: ['web-1', 'web-2'], snapshots: ['s1'] } },
  { name: 'empty-scope', query: 'process', scope: { projects: [] } },
  { name: 'same-element', query: 'process.vad_object.is_writable && process.vad_object.is_executable && process.vad_object.kind == "anon"' },
  { name: 'or-not-mixed', query: '!(process.vad_object.kind == "anon" || process.socket_object.local_port in [4444, 0x1f90]) && process.process_object.exe_path !contains "bin"' },
  { name: 'element-or-group', query: 'process.vad_object.file_name == "/lib/libc.so.6" && (process.vad_object.is_executable || process.vad_object.protection == "rw-p")' },
  { name: 'list-ops', query: 'process.process_object.argv contains "--pool" && process.process_object.argv[0] startswith "/tmp/" && process.process_object.argv !in ["-i"]' },
  { name: 'case-insensitive', query: 'process.process_object.name =~ "BASH" || process.process_object.name icontains "Miner" || process.process_object.name imatches "^k.*d$" || process.process_object.name in~ ["SSHD"]' },
  { name: 'regex-null', query: 'process.process_object.exe_path matches "^/(tmp|dev/shm)/" && process.process_object.cwd != null && process.process_object.uid == null' },
  { name: 'address', query: 'module.module_object.base >= 0xffffffffc0000000 && module.module_object.object_address != 18446744072639348736' },
  { name: 'timestamp', query: 'process.process_object.create_time >= "2026-11-25T10:00:00Z" && process.process_object.create_time < "2026-11-26"' },
  { name: 'select-many', query: 'select process.process_object.process_id, process.vad_object.start, process.vad_object.file_name where process.vad_object.is_executable && process.vad_object.file_name endswith ".so" order by process.vad_object.start desc limit 50' },
  { name: 'select-one-join', query: 'select socket.socket_object.local_port, socket.process_object.name, socket.process_object.argv[0] where socket.socket_object.state == "LISTEN"' },
  { name: 'parent', query: 'process.parent_object.name != "init" && process.process_object.name in ["agetty", "sshd"]' },
  { name: 'bool-bare', query: 'process.process_object.exe_deleted || process.process_object.flag_kernel_thread_name || process.process_object.is_wow64' },
  { name: 'select-star', query: 'select process.env_object.* where process.env_object.name == "LD_PRELOAD"' },
  { name: 'field-compare', query: 'process.process_object.uid != process.process_object.euid && process.vad_object.start >= process.vad_object.end && process.vad_object.file_name =~ process.vad_object.protection' },
  { name: 'aggregate-count', query: 'select process.parent_object.name, process.process_object.argv[0], count(*) where process.vad_object.is_executable && process.vad_object.file_name startswith "/tmp/" group by process.parent_object.name, process.process_object.argv[0] order by count asc limit 10', scope: { projects: ['acme'] } },
  { name: 'aggregate-distinct', query: 'select distinct process.process_object.name, process.vad_object.kind where process.vad_object.is_executable' },
  { name: 'container-listener', query: 'process.container_object.runtime == "containerd" && process.socket_object.state == "LISTEN"' },
  { name: 'container-processes', query: 'select container.container_object.container_id, container.process_object.process_id, container.process_object.ns_pid where container.container_object.shares_host_user && container.process_object.name == "nc"' },
  { name: 'mount-of-process', query: 'process.mount_object.fs_type == "overlay" && process.mount_object.mount_point startswith "/var/lib/docker/"' },
  { name: 'kernel-log', query: 'kernel_log.log_object.message icontains "segfault" && kernel_log.log_object.level <= 3' },
];

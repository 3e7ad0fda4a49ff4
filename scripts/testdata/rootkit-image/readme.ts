// Writes README.md beside the generated image, in the style of ../shared/images/*/README.md: what the
// image is, how it was made (versions, timings), its files with sha256, and the scenario tables, all
// from build-info.json and ground-truth.json (no hand-written facts about a particular build).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type O = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON read back

const code = (s: unknown) => (s === null || s === undefined || s === '' ? '—' : '`' + String(s).replace(/\|/g, '\\|') + '`');

export function writeReadme(outDir: string, gt: O, info: O): void {
  const k = gt.kernel as O;
  const rk = gt.rootkit as O;
  const mod = rk.module as O;
  const procs = gt.processes as O[];
  const byPid = new Map<number, O>(procs.map((p) => [p.pid as number, p]));
  const deb = (info.debs as O[])[0];
  const L: string[] = [];
  const user = procs.filter((p) => !p.is_kernel_thread);

  L.push(`# linux-dev-rootkit-6.12 — generated Linux x86-64 memory image (rootkit-dev scenario on 6.12)`);
  L.push('');
  L.push(`Made by \`scripts/testdata/rootkit-image/build.ts\` (in the memq repository; not shipped in git). A Debian kernel booted in QEMU with a busybox initramfs; /init (\`init.sh\`) starts the scenario, loads the \`memq_testkit\` module built against the same kernel's Debian headers, \`capture.sh\` captures ground truth from /proc, /sys, debugfs and bpf() inside the guest and prints it base64 on the serial console, the host types a marker on the PS/2 keyboard, then the VM is stopped and its memory dumped with QMP \`dump-guest-memory -z\`.`);
  L.push('');
  L.push('## Machine and kernel');
  L.push('');
  L.push(`- kernel: \`${k.release}\` — Debian package \`${deb.pkg}\` ${deb.version} (.deb sha256 ${deb.sha256}); ${info.kernel_note}; \`uname -a\`: \`${k.uname_a}\``);
  L.push(`- QEMU: ${info.qemu_version}, machine \`pc\` (i440fx), accel \`tcg\`, CPU model \`qemu64\`, ${gt.machine.mem_bytes / 1048576} MiB RAM, 1 vCPU, no NIC`);
  L.push(`- qemu arguments: \`${(info.qemu_args as string[]).join(' ')}\``);
  L.push(`- kernel cmdline: \`${k.cmdline}\``);
  const ka = k.kaslr as O;
  L.push(`- KASLR: runtime \`_text\` ${ka.text_runtime}${ka.virt_offset ? ` vs System.map ${ka.text_linked}: virtual offset **${ka.virt_offset}**` : ''}; physical load (iomem "Kernel code") ${ka.kernel_code_phys_start}; phys_base ${ka.phys_base ?? '?'}; page_offset_base ${ka.page_offset_base ?? '?'}, vmalloc_base ${ka.vmalloc_base ?? '?'} (from the guest's /proc/kcore headers)`);
  L.push(`- BTF: /sys/kernel/btf/vmlinux ${k.btf.size} bytes, sha256 ${k.btf.sha256}`);
  L.push(`- host packages: ${Object.entries(info.host as O).map(([p, v]) => `${p} ${v}`).join(', ')}; the other kernel packages: ${(info.debs as O[]).slice(1).map((d) => `${d.pkg} ${d.version}`).join(', ')}`);
  L.push(`- modules loaded (insmod): overlay (from the kernel package), memq_testkit (hidden after loading)`);
  L.push('');
  L.push('## Files');
  L.push('');
  L.push('| file | size | sha256 | what |');
  L.push('|---|---|---|---|');
  const what: Record<string, string> = {
    'memory.kdump': 'QEMU `dump-guest-memory -z` (kdump-compressed, per-page zlib), rearranged from QEMU 7.2\'s flattened stream into the standard layout (what `makedumpfile -R` does)',
    'ground-truth.json': 'ground truth captured in the guest (below)',
    'memq_testkit.ko': 'the test kit module that was loaded',
  };
  for (const [f, v] of Object.entries(info.files as O)) L.push(`| \`${f}\` | ${v.size} | \`${v.sha256}\` | ${what[f] ?? ''} |`);
  L.push('| `capture.tar.gz` | | | the guest files ground-truth.json was made from (capture.sh output) |');
  L.push('| `serial0.log` | | | the guest console (ttyS0) |');
  L.push('| `build-info.json` | | | inputs hash, package versions and sha256, timings |');
  L.push('');
  L.push('## Scenario processes (roles in ground-truth.json `roles`)');
  L.push('');
  L.push('| role | pid | ppid | uid | comm | exe | cmdline |');
  L.push('|---|---|---|---|---|---|---|');
  for (const [role, pid] of Object.entries(gt.roles as O)) {
    const p = byPid.get(pid as number);
    if (!p) {
      L.push(`| ${role} | ${pid} | | | (not alive at capture) | | |`);
      continue;
    }
    L.push(`| ${role} | ${pid} | ${p.ppid} | ${p.uid} | ${code(p.comm)} | ${code(p.exe)} | ${code((p.cmdline as string[]).join(' '))} |`);
  }
  L.push('');
  L.push(`Processes at capture: ${procs.length} (${user.length} user). Environment marker: the miner has \`MARKER=memq-dev-7f3a\` and keeps \`MEMQ-HEAP:…\` in a malloc()ed buffer. Stand-in programs (miner, rkd, nginx, redis-server, kupdated) are \`memq-idle.c\` copied under those names.`);
  const tcp = [...(gt.net.tcp as O[]), ...(gt.net.tcp6 as O[])];
  L.push(`TCP sockets (host namespace): ${tcp.map((s) => `${s.local_addr}:${s.local_port} -> ${s.remote_addr}:${s.remote_port} ${s.state} (pids ${(s.owners as O[]).map((o) => o.pid).join(',') || '-'})`).join('; ')}.`);
  L.push('');
  L.push('## Kernel module `memq_testkit`');
  L.push('');
  L.push(`- source: \`scripts/testdata/rootkit-image/testkit/\` (GPL-2.0, from ../shared/images/linux-dev-rootkit/testkit; changed for 6.12: module layout printout via struct module_memory, kprobe offset search skips the fentry site), .ko sha256 ${mod.ko_sha256} (${mod.ko_size} bytes)`);
  L.push(`- loaded with \`${mod.insmod}\`; /proc/modules before hiding: \`${mod.proc_modules_line_before_hiding}\`; \`kernel.tainted\` = ${mod.kernel_tainted}`);
  L.push(`- \`struct module\` at ${mod.this_module}; text ${mod.text_base} size ${hx(mod.text_size)}, data ${mod.data_base} size ${hx(mod.data_size)}, rodata ${mod.rodata_base} size ${hx(mod.rodata_size)}, init text at load ${mod.init_base_at_load}. Linux ≥ 6.4 has no contiguous core_layout: \`core_base\`/\`core_size\` in the JSON are the text region.`);
  if (mod.hide) L.push(`- **hidden**: ${mod.hide.method} (trigger \`${mod.hide.trigger}\`): in /proc/modules after hiding: ${mod.in_proc_modules_after_hiding}; list_head now next ${mod.hide.list_next_now} prev ${mod.hide.list_prev_now}; former neighbours prev ${mod.hide.list_prev_was}, next ${mod.hide.list_next_was}; /sys/module/memq_testkit present: ${mod.sysfs_dir_present_after_hiding}; kallsyms after hiding: ${(mod.kallsyms_after_hiding as string[]).map((s) => '`' + s.replace(/\t/g, ' ') + '`').join(', ') || 'none'}`);
  L.push(`- structure offsets printed by the module: ${Object.entries(mod.layout as O).map(([a, b]) => `${a} ${b}`).join(', ')}`);
  L.push('');
  L.push('| hook | target | target / probe address | handler | structure | line read in the guest |');
  L.push('|---|---|---|---|---|---|');
  for (const h of rk.hooks as O[]) {
    if (h.type === 'ftrace') L.push(`| ftrace (IPMODIFY) | \`${h.target_symbol}\` | ${h.target_addr}, trampoline ${h.trampoline} (${h.trampoline_size} bytes) | \`${h.handler_symbol}\` ${h.handler_addr} (callback \`${h.callback_symbol}\` ${h.callback_addr}) | ftrace_ops ${h.ops_addr}, flags ${h.ops_flags} | ${code(h.enabled_functions_line?.replace(/\t/g, ' '))} |`);
    if (h.type === 'kprobe') L.push(`| kprobe | \`${h.target_symbol}+${h.offset}\` | ${h.target_addr} / ${h.probe_addr} | \`${h.handler_symbol}\` ${h.handler_addr} | struct kprobe ${h.kprobe_addr}, flags ${h.kp_flags} | ${code(h.kprobes_list_line)} |`);
    if (h.type === 'netfilter') L.push(`| netfilter | init_net IPv4 \`${h.hook_point}\`, priority ${h.priority} | init_net ${h.net}, slot ${h.hooks_slot} | \`${h.handler_symbol}\` ${h.handler_addr} | nf_hook_ops ${h.ops_addr} | returns NF_ACCEPT |`);
    if (h.type === 'keyboard_notifier') L.push(`| keyboard notifier | \`keyboard_notifier_list\` | — | \`${h.handler_symbol}\` ${h.handler_addr} | notifier_block ${h.notifier_block} | keylog buffer ${h.keylog_buffer}; after the capture the host typed \`${rk.keyboard?.typed_after_capture}\` (QMP send-key) |`);
  }
  L.push('');
  const hid = rk.hidden as O;
  L.push(`Hidden from directory listings (getdents64 hook): pids ${(hid.processes as O[]).map((p) => `${p.pid} (\`${p.comm}\`, ${p.exe})`).join(', ') || 'none captured'} (\`processes[]\` has them with \`hidden_from_proc_listing: true\`), and names starting with \`${hid.name_prefix}\`: ${(hid.paths as string[]).map((p) => '`' + p + '`').join(', ')}.`);
  L.push('');
  const checks = (rk.checks ?? []) as O[];
  if (checks.length) {
    L.push(`Checks made in the memory image at build time (\`checks.ts\`, memq's image layer; ${checks.filter((c) => !c.ok).length} failed): ${checks.map((c) => `${c.name}: ${c.ok ? 'ok' : 'FAILED'}${c.at_buffer_offset ? ` (${(c.at_buffer_offset as string[]).join(', ')})` : ''}`).join('; ')}.`);
    L.push('');
  }
  L.push('## eBPF');
  L.push('');
  L.push('Created with the raw bpf() syscall by the `bpf_agent` process (`testkit/memq-bpf.c`), which keeps the fds open. JIT on.');
  L.push('');
  L.push('| kind | id | name | type | details | owner pid/fd |');
  L.push('|---|---|---|---|---|---|');
  for (const m of gt.bpf.maps as O[]) L.push(`| map | ${m.id} | \`${m.name}\` | ${m.type_name} (${m.type}) | key ${m.key_size}, value ${m.value_size}, max_entries ${m.max_entries}; key 0 holds \`${m.key0_value}\` | ${m.owner.pid} / ${m.owner.fd} |`);
  for (const p of gt.bpf.programs as O[]) L.push(`| prog | ${p.id} | \`${p.name}\` | ${p.type_name} (${p.type}) | tag ${p.tag}, map_ids [${p.map_ids}], xlated ${p.xlated_prog_len} / jited ${p.jited_prog_len} bytes, jited_ksym ${p.jited_ksym}; ${p.attach.how === 'SO_ATTACH_BPF' ? `SO_ATTACH_BPF on socket fd ${p.attach.sock_fd} (${p.attach.socket})` : `perf_event_open kprobe PMU on \`${p.attach.kprobe}\` (perf fd ${p.attach.perf_fd})`} | ${p.owner.pid} / ${p.owner.fd} |`);
  L.push('');
  L.push('## Containers');
  L.push('');
  L.push('cgroup v2 at /sys/fs/cgroup (nsdelegate; `cpu memory pids` enabled down to the slices). Each container: an overlay rootfs mounted in the host mount namespace at the runtime\'s path, a shim (busybox `unshare -p -f`, moved to `/system.slice/containerd.service`), and the container processes in new pid, mount, uts, net and ipc namespaces, chroot\'ed into the rootfs, in the scope cgroup.');
  L.push('');
  L.push('| runtime | id | cgroup | pod | hostname | shim pid (cgroup) | processes: pid/nspid comm | listening |');
  L.push('|---|---|---|---|---|---|---|---|');
  for (const c of gt.containers as O[]) {
    L.push(`| ${c.runtime} | \`${c.id}\` | \`${c.cgroup}\` | ${c.pod ? `${c.pod.namespace}/${c.pod.name} uid ${c.pod.uid} (${c.pod.qos})` : '—'} | \`${c.hostname}\` | ${c.shim_pid} (\`${c.shim_cgroup}\`) | ${(c.processes as O[]).map((p) => `${p.pid}/${(p.nspid as number[]).at(-1)} \`${p.comm}\``).join(', ')} | ${(c.listening as O[]).map((s) => `${s.proto} ${s.local_addr}:${s.local_port}`).join(', ')} |`);
  }
  L.push('');
  L.push('## Ground truth (ground-truth.json)');
  L.push('');
  L.push('Same schema keys as ../shared/images/linux-dev-rootkit/ground-truth.json where captured: `kernel`, `processes` (pid, ppid, comm, cmdline, exe, cwd, uid/euid/gid/egid, state, start_time, pgrp, session, num_threads, flags, is_kernel_thread, tgid, task_comm, cgroup, cgroup_path, ns, nspid; for user processes maps, environ, fds, fdinfo of bpf/perf fds; mountinfo / net for processes in another mount / net namespace; hidden_from_proc_listing), `roles`, `modules`, `net`, `iomem`, `rootkit` (module, hooks, hidden, hook_counts, raw), `bpf` (programs, maps, all_in_kernel, kallsyms), `containers`, `cgroups`, `raw`. Not captured here (present in the 6.1 image): `shell_history` (no bash typing on ttyS1), `rootkit.kprobe_table_in_dump`, and `rootkit.checks` only searches RAM for the markers (the 6.1 build re-checked every hook structure in the dump with a page walk; this generator leaves that to memq\'s tests), the raw/ELF/LiME forms of the memory, `kernel.kallsyms_modules` is limited to the memq_testkit/bpf/overlay lines.');
  L.push('');
  L.push('`task_comm` is task_struct.comm as memory holds it (≤ 15 bytes), derived from /proc PID/stat comm (which shows a kernel thread\'s full name and a workqueue worker\'s `-desc`/`+desc` suffix): the worker id before that suffix, cut to 15 bytes (gt.ts `taskComm`).');
  L.push('');
  L.push('Caveats: processes are as of the capture; the capture shell and its short-lived children are left out; kernel worker threads may come and go between the capture and `stop`.');
  L.push('');
  L.push('## How it was made');
  L.push('');
  const st = info.guest_stages_s as O;
  L.push(`Timings (host seconds from QEMU start): ${Object.entries(st).map(([a, b]) => `${a} ${Number(b).toFixed(1)}`).join(', ')}; kdump ${Number(info.dump_s).toFixed(1)} s. Build steps: ${Object.entries(info.timings_s as O).map(([a, b]) => `${a} ${Number(b).toFixed(1)} s`).join(', ')}.`);
  L.push(`Input hash (scenario files, kernel release, host package versions): \`${info.input_sha256}\`. Built ${info.built_at}.`);
  L.push('');
  writeFileSync(join(outDir, 'README.md'), L.join('\n'));
}

function hx(n: unknown): string {
  return typeof n === 'number' ? '0x' + n.toString(16) : '?';
}

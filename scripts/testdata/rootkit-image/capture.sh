# Ground-truth capture inside the guest (busybox sh, run by init.sh as its last step).
# Copies the /proc, /sys, debugfs and bpf() facts verbatim into /gt (one file per fact), then prints
# /gt as a gzip'ed tar, base64, between =====MEMQ-GT-BEGIN===== and =====MEMQ-GT-END===== on the
# console. The host (gt.ts) turns those files into ground-truth.json; nothing is interpreted here,
# so what the JSON says is what the guest kernel said.
G=/gt
rm -rf $G; mkdir -p $G/p $G/k $G/rk $G/bpf $G/cg $G/net
self=$$
echo "MEMQ-STAGE capture-start"
ls /proc > $G/proc_listing
# every pid the kernel lists, plus the pids hidden from the listing (their /proc/PID still opens)
pids="$(grep -E '^[0-9]+$' $G/proc_listing) $(cat /run/memq-hidden-pids 2>/dev/null)"
# fork-free where busybox allows (ash builtins, NOFORK applets): a fork costs a lot under TCG
for pid in $pids; do
	if [ ! -e /proc/$pid/stat ]; then echo "pid $pid: gone" >> $G/missing; continue; fi
	[ "$pid" = "$self" ] && continue
	# skip this capture's own short-lived children (their parent is this shell)
	pp=
	while read k v; do [ "$k" = PPid: ] && { pp=$v; break; }; done < /proc/$pid/status
	[ "$pp" = "$self" ] && continue
	# "pid-N", not "N": the test kit hides directory entries named like a hidden pid, tar included
	d=$G/p/pid-$pid; mkdir $d
	for f in stat status cmdline comm cgroup; do cat /proc/$pid/$f > $d/$f 2>/dev/null; done
	ls -l /proc/$pid/ns/ > $d/ns 2>/dev/null
	# kernel threads have no exe, maps, fds or environment
	readlink /proc/$pid/exe > $d/exe 2>/dev/null || continue
	readlink /proc/$pid/cwd > $d/cwd 2>/dev/null
	for f in environ maps mountinfo; do cat /proc/$pid/$f > $d/$f 2>/dev/null; done
	ls -l /proc/$pid/fd/ > $d/fds 2>/dev/null
	for f in /proc/$pid/fdinfo/*; do cat $f > $d/fdinfo.${f##*/} 2>/dev/null; done
	# network sockets as this process's net namespace sees them (containers have their own)
	for t in tcp tcp6 udp udp6; do cat /proc/$pid/net/$t > $d/net_$t 2>/dev/null; done
done
echo $self > $G/capture_pid
echo "MEMQ-STAGE capture-processes-done"

# kernel
uname -a > $G/k/uname_a
cat /proc/version > $G/k/proc_version
cat /proc/cmdline > $G/k/cmdline
uname -r > $G/k/release
hostname > $G/k/hostname
cat /proc/sys/kernel/random/boot_id > $G/k/boot_id
cat /proc/uptime > $G/k/uptime
cat /proc/sys/kernel/randomize_va_space > $G/k/randomize_va_space
cat /proc/sys/kernel/tainted > $G/k/tainted
# one pass over /proc/kallsyms (generating it is slow under TCG); the pieces are cut from that
grep -E ' (_text|_stext|startup_64|_etext|_edata|_end|__bss_start|_sinittext|linux_banner|init_task|init_mm|init_top_pgt|phys_base|page_offset_base|vmalloc_base|vmemmap_base|init_pid_ns|init_uts_ns|init_net|modules|mod_tree|prb|log_buf|saved_command_line|__per_cpu_offset|pcpu_base_addr|runqueues|node_data|mem_section|net_namespace_list|tcp_hashinfo|btf_vmlinux|vmcoreinfo_data|__start_BTF|__stop_BTF|__start___ksymtab|ftrace_ops_list|kprobe_table|keyboard_notifier_list|prog_idr|map_idr|nf_hook_entries|kallsyms_lookup_name|do_sys_openat2|inet_csk_accept|__x64_sys_getdents64|do_unlinkat|cgrp_dfl_root|init_cgroup_ns|css_set_table)$|\[(memq_testkit|bpf|overlay)\]' /proc/kallsyms > /run/memq-kallsyms
grep -vE '\[' /run/memq-kallsyms > $G/k/kallsyms_core
grep -E '\[(memq_testkit|bpf|overlay)\]' /run/memq-kallsyms > $G/k/kallsyms_modules
stat -c %s /sys/kernel/btf/vmlinux > $G/k/btf_size 2>/dev/null
sha256sum /sys/kernel/btf/vmlinux > $G/k/btf_sha256 2>/dev/null
dd if=/proc/kcore of=$G/k/kcore_head bs=4096 count=4 2>/dev/null
cat /proc/modules > $G/k/proc_modules
cat /proc/iomem > $G/k/proc_iomem
cat /proc/meminfo > $G/k/proc_meminfo
cat /proc/cpuinfo > $G/k/proc_cpuinfo
cat /proc/mounts > $G/k/proc_mounts
dmesg > $G/k/dmesg
for t in tcp tcp6 udp udp6 unix raw raw6 packet; do cat /proc/net/$t > $G/net/$t 2>/dev/null; done
ip -o link > $G/net/links 2>/dev/null
ip -o addr > $G/net/addrs 2>/dev/null

# rootkit
cp /run/rk/* $G/rk/ 2>/dev/null
cat /sys/kernel/debug/tracing/enabled_functions > $G/rk/enabled_functions 2>/dev/null
cat /sys/kernel/debug/kprobes/list > $G/rk/kprobes_list 2>/dev/null
cat /sys/kernel/debug/kprobes/enabled > $G/rk/kprobes_enabled 2>/dev/null
ls -la /sys/module/memq_testkit /sys/module/memq_testkit/parameters > $G/rk/sysfs_listing 2>&1
[ -d /sys/module/memq_testkit ] && echo present > $G/rk/sysfs_present
dmesg | grep 'memq-testkit:' > $G/rk/printk
ls -la /tmp /var/tmp /var/tmp/.memq-rk-dev > $G/rk/hidden_dir_listing 2>&1
ls -lad /tmp/.memq-rk-notes /var/tmp/.memq-rk-dev /var/tmp/.memq-rk-dev/rkd /var/tmp/.memq-rk-dev/loot.txt > $G/rk/hidden_paths_stat 2>&1
grep -E ' (kallsyms_lookup_name|do_sys_openat2|inet_csk_accept|__x64_sys_getdents64|do_unlinkat)$' /run/memq-kallsyms > $G/rk/target_kallsyms

# eBPF: what the agent was told by the kernel when it created them, and a GET_NEXT_ID walk now
cp /run/memq-bpf.txt $G/bpf/agent 2>/dev/null
/usr/lib/memq/memq-bpf list > $G/bpf/list 2>&1
grep -E '\[bpf\]' /run/memq-kallsyms > $G/bpf/kallsyms

# cgroups and containers
cat /sys/fs/cgroup/cgroup.subtree_control > $G/cg/root_subtree_control
find /sys/fs/cgroup -name cgroup.procs | while read f; do
	rel=${f#/sys/fs/cgroup}; rel=${rel%/cgroup.procs}
	echo "== ${rel:-/}"; cat $f
done > $G/cg/procs
cp /run/memq-containers $G/cg/containers 2>/dev/null
cp /run/memq-roles $G/roles
cat /root/.ash_history > $G/ash_history 2>/dev/null

echo "MEMQ-STAGE capture-files-done"
echo "=====MEMQ-GT-BEGIN====="
tar czf - -C / gt | base64
echo "=====MEMQ-GT-END====="

#!/bin/busybox sh
# /init of memq's rootkit test image (busybox initramfs, run by build.ts under QEMU).
# Starts the scenario (plain processes, two containers in cgroup v2 scopes, an eBPF agent, a process
# hidden by the memq_testkit kernel module, which hooks ftrace/kprobes/netfilter/keyboard and hides
# itself), then runs capture.sh (ground truth from /proc, /sys, debugfs, bpf()) which prints it
# base64 between =====MEMQ-GT-BEGIN/END===== on the console, and idles until the host dumps memory.
# Lines starting with MEMQ- are read by the host; keep their format.
/bin/busybox mkdir -p /usr/bin /usr/sbin /sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp /var/tmp /var/log /root /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
dmesg -n 1                       # keep printk off the console: the host parses it
echo 0 > /proc/sys/kernel/kptr_restrict
echo 0 > /proc/sys/kernel/dmesg_restrict
hostname memq-dev
ip link set lo up
KREL=$(uname -r)
ROLES=/run/memq-roles
: > $ROLES
role() { echo "$1 $2" >> $ROLES; }
say() { echo "MEMQ-STAGE $*"; }
# bounded wait for a condition: TCG on a loaded host runs the guest slowly, so a fixed sleep races
# usage: waitfor TRIES(0.2 s each) NAME COMMAND...
waitfor() {
	t=$1 w=$2; shift 2; i=0
	until "$@" 2>/dev/null; do
		[ $i -ge $t ] && { say error=timeout-$w; return 1; }
		sleep 0.2; i=$((i+1))
	done
}
# a TCP listener on the port (hex, /proc/net/tcp{,6} state 0A) in this process's network namespace
listening() { grep -qE ":$1 [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6; }
exe_is() { [ "$(readlink /proc/$1/exe)" = "$2" ]; }
# a container is up when its scope cgroup holds N processes and each port listens in its namespace
ctr_up() { # SCOPE N PORT...
	sc=$CG$1/cgroup.procs n=$2; shift 2
	[ "$(wc -l < $sc)" -ge $n ] || return 1
	p1=$(head -n 1 $sc)
	for port; do grep -qE ":$port [0-9A-F]+:0000 0A" /proc/$p1/net/tcp /proc/$p1/net/tcp6 || return 1; done
}
say init uptime=$(cut -d' ' -f1 /proc/uptime)

IDLE=/usr/lib/memq/memq-idle
insmod /lib/modules/$KREL/kernel/fs/overlayfs/overlay.ko || say error=overlay-insmod

# ---- plain processes ----
sleep 2147483647 | nc -l -p 4444 127.0.0.1 >/dev/null 2>&1 &
role nc_listener $!
waitfor 300 nc-listen listening 115C   # the client below must find it listening
echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd
echo 'dev:x:1000:1000:dev:/home/dev:/bin/sh' >> /etc/passwd
printf 'root:x:0:\ndev:x:1000:\n' > /etc/group
mkdir -p /home/dev
# su execs the shell, which execs nc: the pid stays the same and runs as uid 1000
sleep 2147483647 | su -s /bin/sh dev -c 'exec nc 127.0.0.1 4444' >/dev/null 2>&1 &
role nc_client $!
mkdir -p /tmp/.hidden /tmp/.cache /srv/www
cp $IDLE /tmp/.hidden/evil-miner
MARKER=memq-dev-7f3a MEMQ_HEAP=MEMQ-HEAP:48tKQ2memqWalletXr9 /tmp/.hidden/evil-miner --pool stratum+tcp://10.9.8.7:3333 &
role evil_miner $!
cp $IDLE /tmp/.cache/kupdated
/tmp/.cache/kupdated --interval 600 &
KUPD=$!
role deleted_exe $KUPD
waitfor 300 kupdated-exec exe_is $KUPD /tmp/.cache/kupdated   # deleted only once it runs
rm -f /tmp/.cache/kupdated
echo '<h1>memq</h1>' > /srv/www/index.html
httpd -f -p 8080 -h /srv/www &
role httpd $!
syslogd -n -O /var/log/messages &
role syslogd $!
setsid sh -c 'exec sh -i </dev/ttyS1 >/dev/ttyS1 2>&1' &
role shell $!
say plain-up

# ---- containers: cgroup v2 tree laid out as systemd + docker / kubelet + containerd create it ----
CG=/sys/fs/cgroup
echo "+cpu +memory +pids" > $CG/cgroup.subtree_control
DOCKER_ID=d945fa4a7f3459df2a0ff159ed8bc710c3e0cf984b1395a00f56989fd71f7d0f
DOCKER_LAYER=b02a3f732138074b870419a732f3db503310a9a4586dc359b44537cb995f9eb9
K8S_ID=0cdffd7a2a0c8a9bace0d856a2507e256e4c8ff2be4a2c48590caf7fbb082c12
POD_UID=9717f086-e585-4021-abd7-4febc7a6bc57
POD_SLICE=/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$(echo $POD_UID | tr - _).slice
SHIM_CG=/system.slice/containerd.service
mkdir -p $CG/system.slice $CG$SHIM_CG $CG/kubepods.slice/kubepods-besteffort.slice $CG$POD_SLICE
echo "+cpu +memory +pids" > $CG/system.slice/cgroup.subtree_control
echo "+cpu +memory +pids" > $CG/kubepods.slice/cgroup.subtree_control
echo "+cpu +memory +pids" > $CG/kubepods.slice/kubepods-besteffort.slice/cgroup.subtree_control
echo "+cpu +memory +pids" > $CG$POD_SLICE/cgroup.subtree_control

# image layer: a busybox userland plus the container's main program (memq-idle under its name)
mkimage() { # dir main-path
	mkdir -p $1/bin $1/proc $1/etc $1/www $1/tmp $1/dev $(dirname $1$2)
	mknod $1/dev/null c 1 3; chmod 666 $1/dev/null   # a background job's stdin is /dev/null
	cp /bin/busybox $1/bin/busybox
	for a in sh env httpd nc sleep ip hostname cat ls; do ln -s busybox $1/bin/$a; done
	cp $IDLE $1$2
	echo '<h1>ctr</h1>' > $1/www/index.html
}
# ctr RUNTIME ID ROOTFS LOWER UPPER WORK HOSTNAME SCOPE ROLE CMD...
ctr() {
	rt=$1 id=$2 rootfs=$3 lower=$4 upper=$5 work=$6 hn=$7 scope=$8 rname=$9
	shift 9
	mkdir -p $rootfs $upper $work
	mount -t overlay overlay -o lowerdir=$lower,upperdir=$upper,workdir=$work $rootfs ||
		{ say error=overlay-mount-$rname; mount -t tmpfs tmpfs $rootfs; cp -a $lower/. $rootfs/; }
	mkdir -p $CG$scope
	unshare -p -f /bin/sh -c "exec unshare -m -u -i -n --propagation private /bin/sh /etc/memq/ctr-init.sh $rootfs $hn $scope $*" &
	shim=$!
	sleep 1
	echo $shim > $CG$SHIM_CG/cgroup.procs
	role ${rname}_shim $shim
	echo "container $rt $id $hn $scope $rootfs shim=$shim" >> /run/memq-containers
}
D=/var/lib/docker/overlay2
mkimage $D/4c1d9e0b2a3f5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6/diff /usr/sbin/nginx
ctr docker $DOCKER_ID $D/$DOCKER_LAYER/merged $D/4c1d9e0b2a3f5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6/diff \
	$D/$DOCKER_LAYER/diff $D/$DOCKER_LAYER/work $(echo $DOCKER_ID | cut -c1-12) \
	/system.slice/docker-$DOCKER_ID.scope ctr_web \
	"/bin/sh -c 'httpd -f -p 8081 -h /www & exec env MEMQ_LISTEN=80 MEMQ_TITLE=\"nginx: master process nginx -g daemon off;\" /usr/sbin/nginx'"
K=/run/containerd/io.containerd.runtime.v2.task/k8s.io/$K8S_ID
S=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots
mkimage $S/17/fs /usr/local/bin/redis-server
ctr containerd $K8S_ID $K/rootfs $S/17/fs $S/18/fs $S/18/work redis-cache-0 \
	$POD_SLICE/cri-containerd-$K8S_ID.scope ctr_redis \
	"/bin/sh -c 'sleep 2147483647 | nc -l -p 7000 & exec env MEMQ_LISTEN=6379 MEMQ_TITLE=\"redis-server *:6379\" /usr/local/bin/redis-server'"
# docker: nginx (80) + httpd (8081); containerd: redis-server (6379) + sleep + nc (7000)
waitfor 600 ctr-web ctr_up /system.slice/docker-$DOCKER_ID.scope 2 0050 1F91
waitfor 600 ctr-redis ctr_up $POD_SLICE/cri-containerd-$K8S_ID.scope 3 18EB 1B58
say containers-up

# ---- eBPF maps and programs held by a process (raw bpf() syscalls, memq-bpf.c) ----
cp /usr/lib/memq/memq-bpf /usr/sbin/sysmon-agent
/usr/sbin/sysmon-agent hold /run/memq-bpf.txt map:memq_dev_cfg:array:4:32:4:MEMQ-BPF-DEV-CFG-7f3a \
	map:memq_dev_conns:hash:8:16:64:MQBPF-DEVCONN prog:memq_sock_flt:socket_filter:memq_dev_cfg:packet \
	prog:memq_kp_unlink:kprobe:memq_dev_conns:do_unlinkat 2>/run/memq-bpf.err &
role bpf_agent $!
waitfor 600 bpf grep -q '^done' /run/memq-bpf.txt || say error=bpf "$(cat /run/memq-bpf.err)"
say bpf-up

# ---- the hiding kernel module ----
mkdir -p /var/tmp/.memq-rk-dev
cp $IDLE /var/tmp/.memq-rk-dev/rkd
echo 'memq-rk loot: aws_secret_access_key=MEMQFAKEKEY7f3a' > /var/tmp/.memq-rk-dev/loot.txt
echo 'notes: beacon 10.66.0.7:8443' > /tmp/.memq-rk-notes
/var/tmp/.memq-rk-dev/rkd --beacon 10.66.0.7:8443 &
RKD=$!
role hidden_proc $RKD
echo $RKD > /run/memq-hidden-pids
mkdir -p /run/rk
cat /proc/modules > /run/rk/proc_modules_before_insmod
TK=/lib/modules/$KREL/extra/memq_testkit.ko
echo "insmod $TK hide_pids=$RKD" > /run/rk/insmod
insmod $TK hide_pids=$RKD || say error=testkit-insmod
cat /proc/modules > /run/rk/proc_modules_before_hiding
grep '\[memq_testkit\]' /proc/kallsyms > /run/rk/kallsyms_before_hiding
echo 1 > /sys/module/memq_testkit/parameters/hide || say error=testkit-hide
cat /proc/modules > /run/rk/proc_modules_after_hiding
grep '\[memq_testkit\]' /proc/kallsyms > /run/rk/kallsyms_after_hiding
# traffic through the hooks: a listing (getdents64), opens (kprobe), a loopback packet (netfilter)
ls /var/tmp /tmp /proc > /dev/null
echo ping | nc -w 1 127.0.0.1 8080 > /dev/null 2>&1
say rootkit-up

/bin/sh /etc/memq/capture.sh
mkfifo /run/memq-idle
say READY uptime=$(cut -d' ' -f1 /proc/uptime)
# idle without starting processes after the capture: open() of a fifo nobody writes blocks for good
while :; do read x < /run/memq-idle; done

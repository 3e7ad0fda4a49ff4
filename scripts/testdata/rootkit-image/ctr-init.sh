# Container start inside the new pid/mount/uts/ipc/net namespaces (run by init.sh through
# `unshare -p -f` + `unshare -m -u -i -n`): join the scope cgroup, set the hostname, bring up
# loopback, mount /proc of the new pid namespace in the rootfs, then chroot and exec the command.
# usage: ctr-init.sh ROOTFS HOSTNAME SCOPE_CGROUP CMD...
rootfs=$1 hn=$2 scope=$3
shift 3
echo $$ > /sys/fs/cgroup$scope/cgroup.procs
hostname "$hn"
ip link set lo up
mount -t proc proc "$rootfs/proc"
exec chroot "$rootfs" "$@"

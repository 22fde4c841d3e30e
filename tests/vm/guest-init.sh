#!/bin/bash
# PID 1 of a test VM booted by tests/vm/boot.sh: the host's root, shared
# read-only over 9p, with writable tmpfs layers where programs write
# (/etc, /var, /usr, ... as virtme-ng's guests have), then the command boot.sh
# left in the results directory, then an immediate reboot, which ends QEMU
# (-no-reboot). No udev and no systemd-tmpfiles: on the debug kernel under
# TCG those two took 3 to 6 minutes of every virtme-ng boot.
#
# From the kernel command line (unknown parameters reach PID 1 as
# environment variables): mcast_results (host path of the read-write
# results share), mcast_cwd (the directory to run the command in),
# mcast_queue (optional: the host path of the shared case queue).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
mount -t tmpfs -o mode=755 tmpfs /run
for dir in /etc /lib /home /opt /srv /usr /var /tmp; do
	layer=/run/overlay$dir
	mkdir -p "$layer/upper" "$layer/work"
	mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" "$dir"
done
chmod 1777 /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,access=any results "$mcast_results"
# the case queue, when guests side by side share one (uncached: a claim is a mkdir on the host)
[ -n "${mcast_queue:-}" ] && mount -t 9p -o trans=virtio,version=9p2000.L,access=any queue "$mcast_queue"
hostname mcast-vm
ip link set lo up

cd "$mcast_cwd" || cd /
bash "$mcast_results/.guest-command" </dev/null
echo "$?" > "$mcast_results/.guest-status"
sync
echo b > /proc/sysrq-trigger
sleep 60   # PID 1 must not exit: the reboot above ends the VM

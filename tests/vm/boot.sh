#!/usr/bin/env bash
# Boots a test kernel in QEMU (TCG) with the host's root shared read-only
# and runs one shell command in it: tests/vm/boot.sh KERNEL_DIR RESULTS_DIR
# LIMIT COMMAND. The guest's console (kernel messages and the command's
# output) goes to stdout, CRs removed; RESULTS_DIR is shared read-write at
# the same path; QEMU's pid is in RESULTS_DIR/.qemu-pid. Exit status: the
# command's; 124 when LIMIT seconds passed; 255 when the guest ended without
# one (a panic reboots it at once).
#
# Our own minimal init (tests/vm/guest-init.sh) instead of virtme-ng's: the
# same kind of guest, without udev's coldplug and systemd-tmpfiles, which
# took 3 to 6 minutes of every debug-kernel boot under TCG. As with any
# QEMU here: stdin must be open (</dev/null) and the output piped, never
# redirected to a file (QEMU reopens its stdout with O_TRUNC).
# MCAST_VM_ACCEL=kvm where KVM works (not on the project's machines);
# MCAST_VM_APPEND: more boot options (e.g. to measure a checker's cost).
# MCAST_VM_QUEUE: a host directory shared read-write at the same path too
# (the case queue that guests side by side share, guest-main.sh).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=${1:?kernel build dir}; results=${2:?results dir}; limit=${3:?time limit}; command=${4:?command}
results=$(mkdir -p "$results" && cd "$results" && pwd)
printf '%s\n' "$command" > "$results/.guest-command"
rm -f "$results/.guest-status" "$results/.qemu-pid"

# Boot options: the console on the serial port; a panic reboots (ends QEMU)
# at once; every KASAN report, not only the first of the boot; a log buffer
# that holds a run's reports until the guest copies them.
append="console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 loglevel=7 ro"
append="$append rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=524288,access=any,cache=loose"
append="$append kasan_multi_shot log_buf_len=4M init=$here/guest-init.sh"
# The debug kernel's slab checks (SLUB_DEBUG_ON: sanity checks, red zones,
# poisoning) without owner tracking (U): KASAN's reports name the allocating
# and freeing stacks already, and U's two stack traces per object cost about
# 10 % of the guest's instructions (counted: fork+exec, netns add, Python).
grep -q '^CONFIG_SLUB_DEBUG_ON=y' "$kdir/.config" && append="$append slub_debug=FZP"
append="$append mcast_results=$results mcast_cwd=$PWD ${MCAST_VM_APPEND:-}"
# MCAST_VM_ICOUNT=1: the guest's clock counts instructions (1 ns each) and
# jumps over idle time, so guest timings are instruction counts, deaf to
# the host's load (QEMU then runs the vCPUs in turn on one host thread).
icount=()
[ -n "${MCAST_VM_ICOUNT:-}" ] && icount=(-icount shift=0,sleep=off)
queue_share=()
if [ -n "${MCAST_VM_QUEUE:-}" ]; then
	queue_share=(-fsdev "local,id=queue,path=$MCAST_VM_QUEUE,security_model=none,multidevs=remap"
		-device virtio-9p-pci,fsdev=queue,mount_tag=queue)
	append="$append mcast_queue=$MCAST_VM_QUEUE"
fi

timeout "$limit" qemu-system-x86_64 -name mcast-test -machine "q35,accel=${MCAST_VM_ACCEL:-tcg}" -cpu max -smp 2 -m 2G \
	-nodefaults -no-user-config -display none -vga none -net none -no-reboot -pidfile "$results/.qemu-pid" \
	-chardev file,id=console,path=/proc/self/fd/1 -serial chardev:console \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev local,id=results,path="$results",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=results,mount_tag=results "${queue_share[@]}" "${icount[@]}" \
	-kernel "$kdir/arch/x86/boot/bzImage" -append "$append" \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r'
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && exit 124
[ -s "$results/.guest-status" ] && exit "$(cat "$results/.guest-status")"
exit 255

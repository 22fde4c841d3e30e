# Self-test case: passes its own checks but leaks a kernel allocation.
. "$VMDIR/lib.sh"
insmod "$VMDIR/selftest/mcast_selftest.ko" leak=1 && rmmod mcast_selftest
pass "the module loaded"
case_done

# Self-test case: passes its own checks but makes the kernel log a WARNING.
. "$VMDIR/lib.sh"
insmod "$VMDIR/selftest/mcast_selftest.ko" warn=1 && rmmod mcast_selftest
pass "the module loaded"
case_done

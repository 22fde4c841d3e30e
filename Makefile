# rust_mcast: multicast over unicast-only networks.
#   make demo      the main job: a cloud network in a VM, with and without us
#   make test      everything: host unit tests, VM tests, packaging tests
#   make bench     proxy fan-out rate vs an application's own sendmmsg fan-out
#   make soak      SOAK_MINUTES (default 10) of traffic, configuration churn,
#                  module reloads and namespace churn at once (not in make test)
#   make modules   both kernel modules against KDIR (default: the running
#                  kernel's build tree, else the cached $(KERNEL) kernel)
#   make tools     multis_admin and multic_admin (release)
#   make rpm       multi_server and multi_client RPMs into build/rpm
#   make kernel    build (or reuse) the cached $(KERNEL) kernel; prints its path
# KERNEL=debug (default; make test: KASAN, lockdep, kmemleak, LLVM=1) or
# KERNEL=lean (make demo, make bench): scripts/build-kernel.sh.
#   make header    regenerate kernel_glue/mcast_proto.h from mcast_shared
SHELL := /bin/bash
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KERNEL ?= debug
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(shell scripts/build-kernel.sh $(KERNEL)))
# A kernel built with clang needs its modules built with LLVM=1.
KBUILD_LLVM = $(if $(shell grep -s '^CONFIG_CC_IS_CLANG=y' $(KDIR)/.config),LLVM=1)
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all demo test bench soak modules tools rpm kernel header deps clean
all: modules tools

deps:
	@scripts/install-deps.sh

kernel: deps
	@scripts/build-kernel.sh $(KERNEL)

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_LLVM) modules

tools:
	cargo build --release --locked -p multis_admin -p multic_admin

header:
	cargo run -q -p mcast_shared --bin mcast-gen-header > kernel_glue/mcast_proto.h

rpm: tools
	packaging/rpm/build-rpms.sh $(CURDIR)/build/rpm

test:
	@scripts/test.sh

demo:
	@scripts/demo.sh

# Issue 15's benchmark (tests/bench/run-bench.sh) on the lean kernel, in
# two VM runs, each side by side, without and with conntrack. Timed: the
# proxy's copies/s against an application's own sendmmsg fan-out and a
# userspace relay (C, and socat at 1 member), memory per group and member,
# profiles of the server's hook. Instruction-counted (QEMU -icount, deaf to
# the host's load): the proxy against the application again (the relays
# stay out: their source's instructions would count as theirs), lookup
# with 1 vs 1024 groups and the hooks' cost for
# traffic they do not touch, against an empty nftables chain at the same
# hook points. Ratios: TCG timings are not absolute. Prints both runs'
# tables, the wire cross-checks (PASS/FAIL), the goals (GOAL met /
# GOAL-MISSED: reported, not failing) and the profile's top; writes
# build/bench/results.json (both runs), profile.txt and bench.png. Fails
# when a VM run fails (a FAIL line, a crash, a hang). BENCH_COUNT (copies a
# cell, 20000) and BENCH_RUNS (5) change the size.
BENCH_PYTHON ?= /usr/bin/python3
BENCH_VM = MCAST_VM_CASES=tests/bench/run-bench.sh \
	MCAST_VM_TIMEOUT=$${MCAST_VM_TIMEOUT:-5400} MCAST_VM_CASE_TIMEOUT=$${MCAST_VM_CASE_TIMEOUT:-5000} \
	BENCH_COUNT=$(BENCH_COUNT) BENCH_RUNS=$(BENCH_RUNS)
bench: KERNEL = lean
bench: modules
	@rm -rf build/bench; status=0; \
	$(BENCH_VM) BENCH_PARTS="fanout memory profile" MCAST_VM_RESULTS=$(CURDIR)/build/bench \
		tests/vm/run.sh $(KDIR) $(CURDIR) >/dev/null || status=1; \
	grep -v '^CASE-DONE' build/bench/case-run-bench.log; \
	$(BENCH_VM) BENCH_PARTS="fanout lookup untouched" BENCH_METHODS="proxy app" MCAST_VM_ICOUNT=1 MCAST_VM_RESULTS=$(CURDIR)/build/bench/instructions \
		tests/vm/run.sh $(KDIR) $(CURDIR) >/dev/null || status=1; \
	grep -v '^CASE-DONE' build/bench/instructions/case-run-bench.log; \
	if [ -s build/bench/results.json ] && [ -s build/bench/instructions/results.json ]; then \
		$(BENCH_PYTHON) tests/bench/report.py merge build/bench/results.json build/bench/instructions/results.json && \
		$(BENCH_PYTHON) tests/bench/report.py plot build/bench/results.json build/bench/bench.png && \
			echo "bench: build/bench/results.json, build/bench/profile.txt, build/bench/bench.png" || status=1; \
	else status=1; fi; \
	exit $$status

# Issue 13's soak on the $(KERNEL) kernel (debug by default): tests/vm/soak.sh
# for SOAK_MINUTES, in one VM whose time limit is the soak's plus 30 minutes
# for setup and checks on the debug kernel. Shows the PASS/FAIL lines as they
# come, then the soak's figures ("info:") and the closing "N passed, N
# failed" line; fails on any FAIL, kernel report, leak, hang or crash.
SOAK_MINUTES ?= 10
soak: modules tools
	@mkdir -p build; \
	SOAK_MINUTES=$(SOAK_MINUTES) MCAST_VM_CASES=tests/vm/soak.sh MCAST_VM_RESULTS=$(CURDIR)/build/soak \
		MCAST_VM_TIMEOUT=$$(( $(SOAK_MINUTES) * 60 + 1800 )) MCAST_VM_CASE_TIMEOUT=$$(( $(SOAK_MINUTES) * 60 + 1500 )) \
		tests/vm/run.sh $(KDIR) $(CURDIR) $(CURDIR)/target/release | tee build/soak.log | grep -v ' passed, '; \
	status=$${PIPESTATUS[0]}; \
	grep -h '^info: ' build/soak/case-soak.log 2>/dev/null; grep ' passed, ' build/soak.log; exit $$status

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_LLVM) clean
	rm -rf build
	cargo clean

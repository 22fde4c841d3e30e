# rust_mcast: multicast over unicast-only networks.
#   make demo      the main job: a cloud network in a VM, with and without us
#   make test      everything: host unit tests, VM tests, packaging tests
#   make bench     proxy fan-out rate vs an application's own sendmmsg fan-out
#   make modules   both kernel modules against KDIR (default: the running
#                  kernel's build tree, else the cached test kernel)
#   make tools     multis_admin and multic_admin (release)
#   make rpm       multi_server and multi_client RPMs into build/rpm
#   make kernel    build (or reuse) the cached test kernel; prints its path
#   make header    regenerate kernel_glue/mcast_proto.h from mcast_shared
SHELL := /bin/bash
RUNNING_KDIR := /lib/modules/$(shell uname -r)/build
KDIR ?= $(if $(wildcard $(RUNNING_KDIR)/Makefile),$(RUNNING_KDIR),$(shell scripts/build-kernel.sh))
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all demo test bench modules tools rpm kernel header deps clean
all: modules tools

deps:
	@scripts/install-deps.sh

kernel: deps
	@scripts/build-kernel.sh

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

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

# Copies per second of the proxy against an application's own sendmmsg
# fan-out, side by side in one VM run (ratios; TCG timings are not absolute).
bench: modules
	MCAST_VM_CASES=tests/bench/run-bench.sh MCAST_VM_RESULTS=$(CURDIR)/build/bench \
		tests/vm/run.sh $(KDIR) $(CURDIR) >/dev/null; \
	grep -vE '^(PASS|FAIL|info)' build/bench/case-run-bench.log

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build
	cargo clean

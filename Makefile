# rust_mcast: multicast over unicast-only networks.
#   make demo      the main job: a cloud network in a VM, with and without us
#   make test      everything: host unit tests, VM tests, packaging tests
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

.PHONY: all demo test modules tools rpm kernel header deps clean
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

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build
	cargo clean

# SPDX-License-Identifier: GPL-2.0
#
# dmaown: user DMA ownership of IOMMU groups.
#
#   make [KDIR=...]        build the module for the running kernel or KDIR
#   make build KVER=...    build into build/KVER/ against that kernel's headers
#   make matrix            build against every supported headers tree, W=1, -Werror
#   make check             matrix + DKMS + VM tests on every supported kernel
#   make test-one KVER=... VM tests on one kernel (TESTS=name to pick tests)
#   make deps              install what the build and the tests need (root)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD := $(shell pwd)
SOURCES := dkms.conf Kbuild Makefile include src

.PHONY: all module clean install build matrix check test test-one deps \
	dkms-install dkms-check style lint-compat cli

all: module

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -rf build

install: module
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(KVER)

deps:
	scripts/setup

# Out-of-place build for one kernel: a copy of the sources per kernel, so
# that several kernels can be built side by side.
build:
	scripts/build-module $(KVER)

matrix:
	scripts/build-matrix

lint-compat:
	@! git grep -nE 'LINUX_VERSION_CODE|KERNEL_VERSION|RHEL_MAJOR' -- src ':!src/compat' || \
		{ echo "version tests belong in src/compat/"; exit 1; }

style:
	scripts/style

dkms-install:
	scripts/dkms-install

dkms-check:
	scripts/dkms-check

test:
	scripts/vm-test

test-one:
	scripts/vm-test $(KVER) $(if $(TESTS),--tests "$(TESTS)")

check:
	scripts/check

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
#   make deb               the Debian packages dmaown-dkms and dmaown-tools
#                          (dpkg-buildpackage -us -uc -b, offline) and lintian,
#                          into build/deb/
#   make check-system      the packages on booted Debian 12 and 11 systems in
#                          QEMU: install, DKMS across a kernel upgrade, remove
#                          (about an hour under TCG: not part of make check)
#   make cli               build dmaownctl; make install-cli installs it, its
#                          man pages, the udev rule and the uapi header
#   make demo [KVER=5.10|6.1|6.12]   see it work in a QEMU guest
#   make bench             benchmarks in QEMU guests -> docs/benchmarks.md
#   make soak [STEPS=10000] [SEED=0x...]   the randomized soak on every kernel
#                          (iommu=pt); make check runs 1,000 steps

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PWD := $(shell pwd)
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
# udev reads /etc, /run and /lib, never /usr/local: the rule goes to /lib
# whatever PREFIX is; /etc/udev/rules.d/60-dmaown.rules overrides it.
UDEVRULESDIR ?= /lib/udev/rules.d
# Where dmaownctl is built (debian/rules builds it under debian/build/).
CLI_O ?= $(CURDIR)/build/dmaownctl

.PHONY: all module clean install install-module install-cli build matrix \
	check test test-one deps dkms-install dkms-check style lint-compat cli \
	examples demo bench soak deb check-system

all: module

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean 2>/dev/null || true
	rm -rf build

install: install-module install-cli

install-module: module
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a $(KVER)

cli:
	$(MAKE) -C tools/dmaownctl O=$(CLI_O)

examples:
	$(MAKE) -C examples O=$(CURDIR)/build/examples

# dmaownctl, its bash completion (where bash-completion looks), dmaownctl(8),
# dmaown(4), the udev rule, the uapi header, and the modprobe.d example (as /etc/modprobe.d/dmaown.conf only when the admin has
# none: every line of it is a comment).
install-cli: cli
	$(MAKE) -C tools/dmaownctl O=$(CLI_O) install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 0644 man/dmaownctl.8 $(DESTDIR)$(MANDIR)/man8/dmaownctl.8
	install -D -m 0644 man/dmaown.4 $(DESTDIR)$(MANDIR)/man4/dmaown.4
	install -D -m 0644 udev/60-dmaown.rules $(DESTDIR)$(UDEVRULESDIR)/60-dmaown.rules
	install -D -m 0644 include/uapi/linux/dmaown.h $(DESTDIR)$(INCLUDEDIR)/linux/dmaown.h
	[ -e $(DESTDIR)/etc/modprobe.d/dmaown.conf ] || \
		install -D -m 0644 modprobe.d/dmaown.conf.example $(DESTDIR)/etc/modprobe.d/dmaown.conf
	[ -n "$(DESTDIR)" ] || ! command -v udevadm >/dev/null || udevadm control --reload || true

# KVER defaults to uname -r: pass it on only when the user set it (6.12 then).
demo:
	scripts/demo $(if $(filter command line environment,$(origin KVER)),$(KVER))

bench:
	scripts/bench $(if $(filter command line environment,$(origin KVER)),$(KVER))

STEPS ?= 10000
soak:
	scripts/vm-test --iommu pt --tests soak_test --test-timeout 3000 --timeout 3600 \
		--env "DMAOWN_SOAK_STEPS=$(STEPS)$(if $(SEED), DMAOWN_SOAK_SEED=$(SEED))"

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

deb:
	scripts/mkdeb

check-system:
	scripts/check-system

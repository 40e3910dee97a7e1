# SPDX-License-Identifier: GPL-2.0
#
# flowlane: the module (flowlane.ko, built by Kbuild from kmod/) and the
# tool (userspace/flowlane).
#
#   make            build the module against KDIR and the tool
#   make check      all tests: deps, build, host tests, DKMS, guest selftests
#   make demo       boot the guest and show flowlane working
#   make debug-check  all tests on a KASAN/kmemleak/lockdep guest kernel
#   make check-mutants  small deliberate breakages, each caught by a test
#                   (MUTANTS="NAME...": only those; not in CI)
#   make static     sparse and checkpatch on the module, cppcheck on the C tools
#   make fuzz       1,000,000 fuzzed netlink messages under traffic, in the guest;
#                   then 5,000,000 libFuzzer runs each on the tool's reply and
#                   config parsers (random seed)
#   make bench      boot the guest and benchmark flowlane against the classic
#                   path and the stock flowtable (BENCH_ARGS: bench/run.sh's)
#   make deps       install the Debian packages flowlane needs (root)
#   make kernels    make deps, then the trixie build root holding 7.3
#                   (scripts/kernels.sh; FLOWLANE_KERNELS picks the series)
#   make install    install module (modules_install runs depmod) and tool
#   make dkms-install  DKMS-install for the guest kernel
#   make deb        Debian packages flowlane-dkms and flowlane into .build/deb,
#                   checked by lintian
#
# KDIR defaults to the running kernel's build directory, else the newest
# installed /lib/modules/*/build. V=1 shows the commands.

KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /lib/modules/*/build 2>/dev/null | sort -rV | head -1))
PREFIX ?= /usr

ifneq ($(V),1)
Q := @
MAKEFLAGS += --no-print-directory
endif

all: module tool

module:
	$(Q)[ -n "$(KDIR)" ] && [ -e "$(KDIR)/Makefile" ] || \
		{ echo "no kernel headers found (KDIR='$(KDIR)'): run 'make deps' or 'apt-get install linux-headers-amd64'" >&2; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) FLOWLANE_WERROR=1 modules

tool:
	$(Q)$(MAKE) -C userspace

deps:
	$(Q)scripts/deps.sh

kernels: deps
	$(Q)scripts/kernels.sh install

dkms-install: module
	$(Q)scripts/dkms-install.sh $$(scripts/guest-kver.sh)

check:
	$(Q)scripts/check.sh

deb:
	$(Q)scripts/deb.sh

demo:
	$(Q)scripts/demo.sh

debug-check:
	$(Q)scripts/debug-check.sh

check-mutants:
	$(Q)scripts/mutants.sh $(MUTANTS)

# The packages installed, loaded and purged by apt in the guest (about 20
# minutes: DKMS builds there), on the guest kernel (FLOWLANE_KVER).
check-deb: deb
	$(Q)kver=$$(scripts/guest-kver.sh) && scripts/dkms-install.sh $$kver && \
		FLOWLANE_TEST_TIMEOUT=1800 selftests/guest.sh --kver $$kver --timeout 2400 -- \
		selftests/run_tests.sh flowlane_deb.sh

static:
	$(Q)scripts/static-check.sh

# The guest's kernel, whatever other headers are installed (a debug kernel):
# the fuzz test insmods this tree's build there.
fuzz:
	$(Q)$(MAKE) all KDIR=/lib/modules/$$(scripts/guest-kver.sh)/build
	$(Q)$(MAKE) -C selftests helpers
	$(Q)FLOWLANE_FUZZ_COUNT=$${FLOWLANE_FUZZ_COUNT:-1000000} \
		FLOWLANE_FUZZ_SEED=$${FLOWLANE_FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')} \
		FLOWLANE_KO=$(CURDIR)/flowlane.ko selftests/guest.sh --timeout 3600 -- \
		selftests/run_tests.sh flowlane_fuzz.sh
	$(Q)FLOWLANE_LIBFUZZ_RUNS=$${FLOWLANE_LIBFUZZ_RUNS:-5000000} FLOWLANE_LIBFUZZ_SEED=$${FLOWLANE_LIBFUZZ_SEED:-0} \
		FLOWLANE_TIMEOUT_SCALE=$${FLOWLANE_TIMEOUT_SCALE:-20} \
		selftests/run_tests.sh unit/fuzz_replies.sh unit/fuzz_config.sh

bench:
	$(Q)bench/run.sh $(BENCH_ARGS)

install: all
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(Q)$(MAKE) -C userspace install PREFIX=$(PREFIX)

clean:
	$(Q)[ -z "$(KDIR)" ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(Q)$(MAKE) -C userspace clean
	$(Q)rm -rf .build

.PHONY: all module tool deps kernels dkms-install deb check check-mutants check-deb debug-check static fuzz demo bench install clean

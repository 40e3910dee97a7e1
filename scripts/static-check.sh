#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make static: sparse (C=2) and checkpatch on the module, cppcheck on the
# C programs of userspace/ and selftests/. Prints PASS:/FAIL: lines (it is
# also selftests/unit/static.sh) and exits 1 on any finding.
source "$(dirname "$0")/../selftests/lib.sh"
cd "$FL_TOP"
# The kernel the tests run on: the same headers as the module build of
# make check, so that this C=2 rebuild leaves an identical flowlane.ko.
kdir=/lib/modules/$("$FL_TOP/scripts/guest-kver.sh")/build
cache=${FLOWLANE_CACHE:-/var/cache/flowlane}

# sparse: rebuild every module object with the checker, keep what it says
# about our files.
if command -v sparse > /dev/null; then
	# make's own status counts too: a build that fails is no clean check.
	log=$(make -C "$kdir" M="$FL_TOP" C=2 CHECK="sparse -Wno-unknown-attribute" modules 2>&1)
	rc=$?
	check_eq "the sparse build (make C=2) exits 0" 0 "$rc"
	[ "$rc" = 0 ] || printf '%s\n' "$log" | tail -20
	out=$(printf '%s\n' "$log" | grep -E "^($FL_TOP/)?(kmod|include)/.*(warning|error):")
	check_eq "sparse on kmod/" "" "$out"
else
	fail "sparse is not installed (make deps installs it)"
fi

# checkpatch.pl comes with linux-source-6.1; three files of it are enough.
cp_dir=$cache/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ] && [ -r /usr/src/linux-source-6.1.tar.xz ]; then
	mkdir -p "$cp_dir"
	tar -C "$cp_dir" --strip-components=1 -xf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi
if [ -x "$cp_dir/scripts/checkpatch.pl" ]; then
	# checkpatch exits non-zero on any finding, or when perl cannot run it
	# (its complaint is on stderr, kept in the output).
	log=$(perl "$cp_dir/scripts/checkpatch.pl" --no-tree --file --terse --show-types \
		kmod/*.c kmod/*.h include/uapi/linux/flowlane.h 2>&1)
	rc=$?
	out=$(printf '%s\n' "$log" | grep -v '^total:')
	check_eq "checkpatch on kmod/ and the uapi header" "" "$out"
	check_eq "checkpatch exits 0" 0 "$rc"
else
	fail "checkpatch.pl not found: make deps installs linux-source-6.1"
fi

if command -v cppcheck > /dev/null; then
	out=$(cppcheck --quiet --enable=warning,portability,performance --inline-suppr \
		--std=c11 -I include/uapi -I kmod --include=/usr/include/libmnl/libmnl.h \
		--suppress=missingIncludeSystem userspace/*.c userspace/tests/*.c selftests/*.c 2>&1)
	rc=$?
	check_eq "cppcheck on userspace/ and selftests/" "" "$out"
	check_eq "cppcheck exits 0" 0 "$rc"
else
	fail "cppcheck is not installed (make deps installs it)"
fi
exit $ret

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scripts/kernels.sh and scripts/guest-kver.sh: which releases they name, in
# which order, where each one's files are, the newest of a series chosen by
# version order (on a made-up root), and commands run in the trixie root.
source "$(dirname "$0")/../lib.sh"

k="$FL_TOP/scripts/kernels.sh"
gk="$FL_TOP/scripts/guest-kver.sh"

k61=$(FLOWLANE_KERNELS=6.1 "$k" list 2>&1)
check_match "the 6.1 line is a 6.1.0-N-amd64 release" '^6\.1\.0-[0-9]+-amd64$' "$k61"
k612=$(FLOWLANE_KERNELS=6.12 "$k" list 2>&1)
check_match "the 6.12 line is a 6.12.N+deb12-amd64 release" '^6\.12\.[0-9]+\+deb12-amd64$' "$k612"
k73=$(FLOWLANE_KERNELS=7.3 "$k" list 2>&1) ||
	{ echo "# $k73"; skip "no 7.3 kernel in the trixie build root: run 'make kernels'"; }
check_match "the 7.3 line is a 7.3.N+deb13-amd64 release" '^7\.3\.[0-9]+\+deb13-amd64$' "$k73"
check_eq "by default the three, in order" "$k61 $k612 $k73" "$(env -u FLOWLANE_KERNELS "$k" list | xargs)"
check_eq "FLOWLANE_KERNELS keeps its order" "$k73 $k61" "$(FLOWLANE_KERNELS="7.3 6.1" "$k" list | xargs)"
out=$(FLOWLANE_KERNELS="6.1 5.10" "$k" list 2>&1); rc=$?
check_eq "a series with no kernel fails the list" 1 "$rc"
check_match "and says what to run" "^kernels.sh: no 5.10 kernel with its modules and headers: run 'make kernels'" "$out"

check_eq "6.1 lives on this machine" "" "$("$k" root "$k61")"
check_eq "6.1's image" "/boot/vmlinuz-$k61" "$("$k" vmlinuz "$k61")"
check_eq "6.12's modules" "/lib/modules/$k612" "$("$k" moddir "$k612")"
root=$("$k" root "$k73")
check_eq "7.3 lives in the trixie root" "${FLOWLANE_CACHE:-/var/cache/flowlane}/trixie-root" "$root"
check_eq "7.3's image" "$root/usr/lib/modules/$k73/vmlinuz" "$("$k" vmlinuz "$k73")"
check_eq "7.3's headers" "$root/usr/src/linux-headers-$k73" "$("$k" build "$k73")"
[ -e "$root/usr/lib/modules/$k73/modules.dep" ] && dep=yes || dep=no
check_eq "7.3's modules.dep was made" yes "$dep"
out=$("$k" vmlinuz 9.9.9-amd64 2>&1); rc=$?
check_eq "an unknown release fails" 1 "$rc"
check_match "and says so" "no kernel '9\.9\.9-amd64'" "$out"

check_eq "the guest kernel is the 6.1 line by default" "$k61" "$(env -u FLOWLANE_KVER "$gk")"
check_eq "FLOWLANE_KVER=7.3 picks the series' release" "$k73" "$(FLOWLANE_KVER=7.3 "$gk")"
check_eq "FLOWLANE_KVER=RELEASE is taken as it is" "$k612" "$(FLOWLANE_KVER=$k612 "$gk")"

# The newest release of a series, by version order (7.3.10 after 7.3.9), on
# a made-up root: Debian moves N, and the list must follow.
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
for v in 7.3.9+deb13-amd64 7.3.10+deb13-amd64 7.2.20+deb13-amd64; do
	mkdir -p "$fake/trixie-root/usr/lib/modules/$v" "$fake/trixie-root/usr/src/linux-headers-$v"
	touch "$fake/trixie-root/usr/lib/modules/$v/vmlinuz" "$fake/trixie-root/usr/lib/modules/$v/modules.dep" \
		"$fake/trixie-root/usr/src/linux-headers-$v/Makefile"
done
check_eq "the newest 7.3 by version order" 7.3.10+deb13-amd64 "$(FLOWLANE_CACHE=$fake FLOWLANE_KERNELS=7.3 "$k" list)"
# The debug kernel of scripts/debug-kernel.sh 7.3 lives there too, complete:
# it is booted by name (make debug-check), never a series' newest.
v=7.3.11-flowlane-debug
mkdir -p "$fake/trixie-root/usr/lib/modules/$v" "$fake/trixie-root/usr/src/linux-headers-$v"
touch "$fake/trixie-root/usr/lib/modules/$v/vmlinuz" "$fake/trixie-root/usr/lib/modules/$v/modules.dep" \
	"$fake/trixie-root/usr/src/linux-headers-$v/Makefile"
check_eq "a debug build in the root is no series' newest" 7.3.10+deb13-amd64 \
	"$(FLOWLANE_CACHE=$fake FLOWLANE_KERNELS=7.3 "$k" list)"
check_eq "but a root kernel by its name" "$fake/trixie-root" "$(FLOWLANE_CACHE=$fake "$k" root "$v")"
rm "$fake/trixie-root/usr/lib/modules/7.3.10+deb13-amd64/modules.dep"
check_eq "a release without modules.dep is not listed" 7.3.9+deb13-amd64 "$(FLOWLANE_CACHE=$fake FLOWLANE_KERNELS=7.3 "$k" list)"

[ "$(id -u)" = 0 ] || { echo "# not root: the root's commands are not tried"; exit $ret; }
check_eq "commands for 7.3 run in trixie" "VERSION_CODENAME=trixie" \
	"$("$k" run "$k73" grep '^VERSION_CODENAME=' /etc/os-release)"
check_eq "with /proc mounted (7.3's objtool reads it)" yes \
	"$("$k" run "$k73" sh -c 'test -r /proc/self/status && echo yes')"
check_eq "and the work tree at its own path" yes \
	"$("$k" run "$k73" sh -c "test -f '$FL_TOP/scripts/kernels.sh' && echo yes")"
check_eq "the mounts are gone afterwards" 0 "$(grep -c " $root/" /proc/mounts)"
check_eq "commands for 6.1 run here" "$(grep '^VERSION_CODENAME=' /etc/os-release)" \
	"$("$k" run "$k61" grep '^VERSION_CODENAME=' /etc/os-release)"
exit $ret

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian kernels flowlane is built and tested on, from Debian's archive
# only (Documentation/testing.rst, "The guest"):
#   6.1  bookworm's linux-image-amd64, installed on this machine;
#   6.12 bookworm-security's linux-image-6.12-amd64, installed on this machine;
#   7.3  trixie-backports' newest linux-image/headers-7.3.N+deb13-amd64, built
#        for trixie (gcc-14, glibc >= 2.38): installed in a trixie build root
#        made with debootstrap, ${FLOWLANE_CACHE:-/var/cache/flowlane}/trixie-root,
#        outside the work tree; nothing of it is installed on this machine.
# (make deps installs the host's packages; the root's are named here, for
# the root's own apt.)
#
#   kernels.sh [install]   make the build root and its 7.3 kernel, if wanted
#                          and missing (quick when done)
#   kernels.sh list        the kernels' releases, one a line, in the order of
#                          FLOWLANE_KERNELS (series, default "6.1 6.12 7.3")
#   kernels.sh root KVER   the build root KVER lives in; "" for this machine's
#   kernels.sh vmlinuz KVER | moddir KVER | build KVER
#                          KVER's image, modules directory, headers (paths here)
#   kernels.sh run KVER COMMAND...
#                          run COMMAND where KVER's modules build: in its root
#                          (with /proc, /dev and the work tree mounted), else here
#   kernels.sh root-install PACKAGE...
#                          install PACKAGEs in the root (its apt, trixie-backports
#                          first, as the root kernel's own packages), if missing
#   kernels.sh source      the root's linux-source-7.3 tarball (the newest
#                          kernel source in Debian's archive: its netlink
#                          schemas and YNL tools judge flowlane's spec)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${FLOWLANE_CACHE:-/var/cache/flowlane}
root=$cache/trixie-root
series_wanted=${FLOWLANE_KERNELS:-6.1 6.12 7.3}
# What the root needs to build and DKMS-install modules for trixie's kernels.
root_packages=(gcc-14 make libc6-dev pahole kmod dkms xz-utils)

die() { echo "kernels.sh: $*" >&2; exit 1; }

# The releases of every usable kernel: this machine's (image, modules and
# headers installed) and the root's (installed by the root's apt).
host_releases() {
	local image r
	for image in /boot/vmlinuz-*-amd64; do
		[ -e "$image" ] || continue
		r=${image#/boot/vmlinuz-}
		[ -d "/lib/modules/$r/kernel" ] && [ -e "/lib/modules/$r/build/Makefile" ] && echo "$r"
	done
	return 0
}
root_releases() {
	local image r
	for image in "$root"/usr/lib/modules/*/vmlinuz; do
		[ -e "$image" ] || continue
		r=$(basename "$(dirname "$image")")
		# Debian's own (-amd64): the debug kernel built there is chosen by
		# name only (make debug-check), never as a series' newest.
		case "$r" in *-amd64) ;; *) continue ;; esac
		[ -e "$root/usr/lib/modules/$r/modules.dep" ] && [ -e "$root/usr/src/linux-headers-$r/Makefile" ] && echo "$r"
	done
	return 0
}

# The newest release of SERIES ("6.1" takes 6.1.0-N, not 6.12.N).
newest_of() {
	{ host_releases; root_releases; } | awk -v s="$1." 'index($0, s) == 1' | sort -V | tail -1
}

in_root() {
	[ -n "$(root_of "$1")" ]
}
root_of() {
	if [ -e "$root/usr/lib/modules/$1/vmlinuz" ]; then echo "$root"; else echo ""; fi
}

cmd_list() {
	local s r status=0
	for s in $series_wanted; do
		r=$(newest_of "$s")
		if [ -n "$r" ]; then
			echo "$r"
		else
			echo "kernels.sh: no $s kernel with its modules and headers: run 'make kernels' (FLOWLANE_KERNELS='$series_wanted')" >&2
			status=1
		fi
	done
	return $status
}

cmd_path() {
	local what=$1 kver=$2 r
	r=$(root_of "$kver")
	if [ -z "$r" ] && [ ! -d "/lib/modules/$kver" ]; then
		die "no kernel '$kver' here or in $root: 'kernels.sh list' names the ones there are"
	fi
	case "$what" in
	root) echo "$r" ;;
	vmlinuz) if [ -n "$r" ]; then echo "$r/usr/lib/modules/$kver/vmlinuz"; else echo "/boot/vmlinuz-$kver"; fi ;;
	moddir) if [ -n "$r" ]; then echo "$r/usr/lib/modules/$kver"; else echo "/lib/modules/$kver"; fi ;;
	build) if [ -n "$r" ]; then echo "$r/usr/src/linux-headers-$kver"; else echo "/lib/modules/$kver/build"; fi ;;
	esac
}

# Run a command in the root, in a private mount and PID namespace: /proc
# (7.3's objtool reads it), /dev and the work tree (at its own path) are
# mounted there and gone when the command ends.
root_exec() {
	[ "$(id -u)" = 0 ] || die "the trixie build root needs root (chroot): run as root"
	unshare --mount --pid --fork --propagation private -- /bin/bash -euc '
		root=$1 top=$2; shift 2
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mkdir -p "$root$top"
		mount --bind "$top" "$root$top"
		cd /
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
		bash "$root" "$top" "$@"
}

cmd_run() {
	local kver=$1; shift
	if in_root "$kver"; then root_exec "$@"; else "$@"; fi
}

# The Debian mirror this machine's apt uses (deb.debian.org or a local
# one), read from its sources; trixie comes from the same place.
mirror() {
	local m
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }')
	m+=$'\n'$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }')
	m=$(echo "$m" | grep -E '/debian/?$' | head -1)
	[ -n "$m" ] || die "no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list{,.d}: cannot make the trixie root"
	echo "${m%/}"
}

make_root() {
	local m
	[ -x "$root/usr/bin/apt-get" ] && return 0
	command -v debootstrap > /dev/null || die "debootstrap not found: run 'make deps' (installs it)"
	m=$(mirror)
	echo "  ROOT    debootstrap trixie from $m into $root"
	rm -rf "$root.tmp"
	mkdir -p "$cache"
	debootstrap --variant=minbase trixie "$root.tmp" "$m" > "$root-debootstrap.log" 2>&1 ||
		{ tail -20 "$root-debootstrap.log" >&2; die "debootstrap failed (log: $root-debootstrap.log)"; }
	cat > "$root.tmp/etc/apt/sources.list" <<-EOF
	deb $m trixie main
	deb $m trixie-updates main
	deb ${m}-security trixie-security main
	deb $m trixie-backports main
	EOF
	# No documentation or man pages: they are most of a root's size.
	cat > "$root.tmp/etc/dpkg/dpkg.cfg.d/flowlane-nodoc" <<-EOF
	path-exclude=/usr/share/doc/*
	path-exclude=/usr/share/man/*
	path-exclude=/usr/share/locale/*
	EOF
	# A root left half made (no apt-get) is replaced, not filled in.
	rm -rf "$root"
	mv "$root.tmp" "$root"
}

# The newest linux-headers-7.3.N+debM-amd64 the root's apt knows: Debian
# moves the ABI (7.3.N), so it is read from the archive, never written down.
newest_73() {
	root_exec apt-cache search --names-only '^linux-headers-7\.3\.[0-9]+\+deb[0-9]+-amd64$' |
		awk '{ print $1 }' | sed 's/^linux-headers-//' | sort -V | tail -1
}

install_root_kernel() {
	local kver
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	echo "  ROOT    apt-get update in $root"
	root_exec apt-get update -qq > "$root-apt.log" 2>&1 ||
		{ tail -20 "$root-apt.log" >&2; die "apt-get update in the trixie root failed (log: $root-apt.log)"; }
	kver=$(newest_73)
	[ -n "$kver" ] || die "no linux-headers-7.3.*-amd64 in trixie-backports (sources: $root/etc/apt/sources.list)"
	echo "  ROOT    installing ${root_packages[*]} and the image, modules and headers of $kver"
	# From trixie-backports where it has them, as Debian's backports are
	# meant to be installed (the kernel pre-depends on backports' linux-base).
	# The three packages under the linux-image-KVER meta package, not the
	# meta itself: it depends on an initramfs generator (dracut), which
	# costs minutes and disk for an initramfs the guest does not use (it
	# boots with its own). Without recommends: no firmware.
	root_exec apt-get install -y -q --no-install-recommends -t trixie-backports "${root_packages[@]}" \
		"linux-base-$kver" "linux-binary-$kver" "linux-modules-$kver" "linux-headers-$kver" \
		>> "$root-apt.log" 2>&1 ||
		{ tail -20 "$root-apt.log" >&2; die "apt-get install in the trixie root failed (log: $root-apt.log)"; }
	# No postinst of these makes modules.dep: the meta's would have.
	root_exec depmod "$kver"
	root_exec apt-get clean
}

# root_apt_install WHAT PACKAGE...: PACKAGEs into the root from
# trixie-backports where it has them (as the root's kernel came), said as
# WHAT; dies with the end of the root's apt log.
root_apt_install() {
	local what=$1; shift
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	echo "  ROOT    installing $what in $root"
	{ root_exec apt-get update -qq &&
	  root_exec apt-get install -y -q --no-install-recommends -t trixie-backports "$@" &&
	  root_exec apt-get clean; } >> "$root-apt.log" 2>&1 ||
		{ tail -20 "$root-apt.log" >&2; die "apt-get install $* in the trixie root failed (log: $root-apt.log)"; }
}

# linux-source-7.3 from trixie-backports, in the root: read by the YNL
# tests, and built by scripts/debug-kernel.sh 7.3.
source_tarball() { echo "$root/usr/src/linux-source-7.3.tar.xz"; }
install_root_source() {
	root_apt_install "linux-source-7.3 (its YNL tools and netlink schemas)" linux-source-7.3
}

cmd_root_install() {
	local p missing=()
	[ -e "$root/usr/bin/apt-get" ] || die "no build root $root: run 'make kernels'"
	for p in "$@"; do
		root_exec dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] || root_apt_install "${missing[*]}" "${missing[@]}"
}

root_complete() { [ -n "$(newest_of 7.3)" ] && [ -e "$(source_tarball)" ]; }

cmd_install() {
	local s
	for s in $series_wanted; do
		case "$s" in
		7.3)
			root_complete && continue
			[ "$(id -u)" = 0 ] || die "making the trixie root $root needs root: run 'make kernels' as root"
			# Two work trees making the root at once would share one debootstrap.
			mkdir -p "$cache"
			exec 9> "$root.lock"
			flock 9
			root_complete && continue
			make_root
			[ -n "$(newest_of 7.3)" ] || install_root_kernel
			[ -e "$(source_tarball)" ] || install_root_source
			;;
		*)
			[ -n "$(newest_of "$s")" ] ||
				die "no $s kernel installed here: run 'make deps' (installs linux-image-amd64, linux-image-6.12-amd64 and their headers)"
			;;
		esac
	done
	cmd_list > /dev/null
}

case "${1:-install}" in
install) cmd_install ;;
list) cmd_list ;;
root|vmlinuz|moddir|build) [ $# = 2 ] || die "usage: kernels.sh $1 KVER"; cmd_path "$1" "$2" ;;
run) [ $# -ge 3 ] || die "usage: kernels.sh run KVER COMMAND..."; shift; cmd_run "$@" ;;
root-install) shift; cmd_root_install "$@" ;;
source) [ -e "$(source_tarball)" ] || die "no $(source_tarball): run 'make kernels'"; source_tarball ;;
*) die "unknown command '$1': install, list, root, vmlinuz, moddir, build, run, root-install or source (see the top of $0)" ;;
esac

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [SERIES]: build (once per machine and series, cached)
# Debian's kernel source of SERIES (6.1, the default, 6.12 or 7.3) with KASAN,
# kmemleak, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS and
# fault injection, for the guest harness. Prints the kernel release.
#
# 6.1 and 6.12: the linux-source-SERIES package of this machine, built here;
# the build lives in $FLOWLANE_CACHE (default /var/cache/flowlane), outside
# the work tree; its modules are installed in /lib/modules/RELEASE (with
# build -> the build tree, for DKMS), so the guest, which shares this
# machine's /, loads them with modprobe.
# 7.3: trixie-backports' linux-source-7.3, built for trixie (gcc-14) inside
# the trixie build root of scripts/kernels.sh, as a trixie machine builds it;
# the source, the build and the modules live in the root
# (/usr/src/flowlane-debug-7.3, /usr/lib/modules/RELEASE with its vmlinuz),
# where kernels.sh finds a root kernel: the harness mounts its modules in
# the guest and DKMS builds flowlane for it in the root.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${FLOWLANE_CACHE:-/var/cache/flowlane}
series=${1:-6.1}
kernels=$top/scripts/kernels.sh
case "$series" in
6.1|6.12)
	tarball=$(ls "/usr/src/linux-source-$series.tar.xz" 2>/dev/null) ||
		{ echo "no /usr/src/linux-source-$series.tar.xz: run 'scripts/deps.sh --debug-kernel' (installs linux-source-$series)" >&2; exit 1; }
	root=
	base=$cache
	inside=$cache
	make_cc=()
	;;
7.3)
	FLOWLANE_KERNELS=7.3 "$kernels" install
	tarball=$("$kernels" source)
	# A trixie kernel of the root: kernels.sh's "run" enters the root for it.
	rootkver=$(FLOWLANE_KERNELS=7.3 "$kernels" list)
	root=$("$kernels" root "$rootkver")
	base=$root/usr/src/flowlane-debug-7.3
	inside=/usr/src/flowlane-debug-7.3
	# What a kernel build needs beyond the root's module-building set.
	"$kernels" root-install bc bison flex libelf-dev libssl-dev
	make_cc=(CC=gcc-14 HOSTCC=gcc-14)	# (and .kernelvariables below)
	;;
*) echo "debug-kernel.sh: no debug build for series '$series': use 6.1, 6.12 or 7.3" >&2; exit 1 ;;
esac
# at CMD...: CMD where this series builds (in the root for 7.3), with the
# paths of $inside.
at() { if [ -n "$root" ]; then "$kernels" run "$rootkver" "$@"; else "$@"; fi; }
src=$inside/linux-source-$series
out=$inside/debug-build-$series
# The series' own additions to the selftests' options, if any.
frags=("$top/selftests/config" "$top/selftests/debug.config")
[ -e "$top/selftests/config.$series" ] && frags+=("$top/selftests/config.$series")
jobs=${FLOWLANE_JOBS:-$(nproc)}

# Rebuild when the source package or a config fragment changed.
key=$(cat "${frags[@]}" | cat - <(stat -c %s.%Y "$tarball") | sha1sum | cut -c1-12)
if [ -f "$base/debug-build-$series/.flowlane-done" ] &&
   [ "$(cat "$base/debug-build-$series/.flowlane-done")" = "$key" ]; then
	cat "$base/debug-build-$series/include/config/kernel.release"
	exit 0
fi

log() { echo "  DEBUGK  $*" >&2; }
mkdir -p "$base"
if [ ! -f "$base/linux-source-$series/.flowlane-extracted" ] ||
   [ "$tarball" -nt "$base/linux-source-$series/.flowlane-extracted" ]; then
	log "extracting $tarball"
	rm -rf "$base/linux-source-$series"
	tar -C "$base" -xf "$tarball"
	touch "$base/linux-source-$series/.flowlane-extracted"
fi

log "configuring in $base/debug-build-$series"
mkdir -p "$base/debug-build-$series"
# Debian's source reads the compiler from the build tree's .kernelvariables,
# as its headers packages do: later builds (DKMS's) then use gcc-14 too.
[ -z "$root" ] || printf 'CC = gcc-14\nHOSTCC = gcc-14\n' > "$base/debug-build-$series/.kernelvariables"
at make -s -C "$src" O="$out" "${make_cc[@]}" x86_64_defconfig kvm_guest.config > /dev/null
at "$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" > /dev/null
at make -s -C "$src" O="$out" "${make_cc[@]}" olddefconfig > /dev/null
# Every fragment option must have survived olddefconfig (a missing
# dependency silently drops one); a module another option made built-in
# (=y for =m, 6.12's CRYPTO_GCM) is there all the same.
config=$base/debug-build-$series/.config
missing=$(grep -h '^CONFIG_' "${frags[@]}" |
	while IFS= read -r line; do
		case "$line" in *=n) grep -q "^${line%=n}=" "$config" && echo "$line" ;;
		*=m) grep -qx -e "$line" -e "${line%=m}=y" "$config" || echo "$line" ;;
		*) grep -qx "$line" "$config" || echo "$line" ;; esac
	done)
[ -z "$missing" ] || { echo "debug-kernel.sh: options lost by olddefconfig: $missing" >&2; exit 1; }

start=$SECONDS
log "building with $jobs jobs (about 30-60 minutes on 2 cores, once)"
at make -s -C "$src" O="$out" "${make_cc[@]}" -j"$jobs" bzImage modules \
	> "$base/debug-build-$series/build.log" 2>&1 ||
	{ tail -30 "$base/debug-build-$series/build.log" >&2; exit 1; }
release=$(cat "$base/debug-build-$series/include/config/kernel.release")
at make -s -C "$src" O="$out" "${make_cc[@]}" INSTALL_MOD_STRIP=1 modules_install > /dev/null
if [ -n "$root" ]; then
	# Where kernels.sh looks for a root kernel: its image beside its
	# modules, its headers under /usr/src (a relative link: the same
	# tree seen from the root and from here).
	cp "$base/debug-build-$series/arch/x86/boot/bzImage" "$root/usr/lib/modules/$release/vmlinuz"
	ln -sfn "$out" "$root/usr/lib/modules/$release/build"
	ln -sfn "flowlane-debug-7.3/debug-build-$series" "$root/usr/src/linux-headers-$release"
else
	ln -sfn "$out" "/lib/modules/$release/build"
fi
log "built $release in $((SECONDS - start)) s"
echo "$key" > "$base/debug-build-$series/.flowlane-done"
echo "$release"

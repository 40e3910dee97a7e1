#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [SERIES]: build (once per machine and series, cached)
# Debian's kernel source of SERIES (6.1, the default, or 6.12: the
# linux-source-SERIES package; 7.3's is built for trixie and not handled
# here yet) with KASAN, kmemleak, lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP,
# DEBUG_OBJECTS and fault injection, for the guest harness. Prints the
# kernel release. The build lives in $FLOWLANE_CACHE (default
# /var/cache/flowlane), outside the work tree; its modules are installed in
# /lib/modules/RELEASE (with build -> the build tree, for DKMS), so the
# guest, which shares this machine's /, loads them with modprobe.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${FLOWLANE_CACHE:-/var/cache/flowlane}
series=${1:-6.1}
case "$series" in
6.1|6.12) ;;
*) echo "debug-kernel.sh: no debug build for series '$series': use 6.1 or 6.12" >&2; exit 1 ;;
esac
tarball=$(ls "/usr/src/linux-source-$series.tar.xz" 2>/dev/null) ||
	{ echo "no /usr/src/linux-source-$series.tar.xz: run 'scripts/deps.sh --debug-kernel' (installs linux-source-$series)" >&2; exit 1; }
src=$cache/linux-source-$series
out=$cache/debug-build-$series
# The series' own additions to the selftests' options, if any.
frags=("$top/selftests/config" "$top/selftests/debug.config")
[ -e "$top/selftests/config.$series" ] && frags+=("$top/selftests/config.$series")
jobs=${FLOWLANE_JOBS:-$(nproc)}

# Rebuild when the source package or a config fragment changed.
key=$(cat "${frags[@]}" | cat - <(stat -c %s.%Y "$tarball") | sha1sum | cut -c1-12)
if [ -f "$out/.flowlane-done" ] && [ "$(cat "$out/.flowlane-done")" = "$key" ]; then
	cat "$out/include/config/kernel.release"
	exit 0
fi

log() { echo "  DEBUGK  $*" >&2; }
mkdir -p "$cache"
if [ ! -f "$src/.flowlane-extracted" ] || [ "$tarball" -nt "$src/.flowlane-extracted" ]; then
	log "extracting $tarball"
	rm -rf "$src"
	tar -C "$cache" -xf "$tarball"
	touch "$src/.flowlane-extracted"
fi

log "configuring in $out"
mkdir -p "$out"
make -s -C "$src" O="$out" x86_64_defconfig kvm_guest.config > /dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" > /dev/null
make -s -C "$src" O="$out" olddefconfig > /dev/null
# Every fragment option must have survived olddefconfig (a missing
# dependency silently drops one); a module another option made built-in
# (=y for =m, 6.12's CRYPTO_GCM) is there all the same.
missing=$(grep -h '^CONFIG_' "${frags[@]}" |
	while IFS= read -r line; do
		case "$line" in *=n) grep -q "^${line%=n}=" "$out/.config" && echo "$line" ;;
		*=m) grep -qx -e "$line" -e "${line%=m}=y" "$out/.config" || echo "$line" ;;
		*) grep -qx "$line" "$out/.config" || echo "$line" ;; esac
	done)
[ -z "$missing" ] || { echo "debug-kernel.sh: options lost by olddefconfig: $missing" >&2; exit 1; }

start=$SECONDS
log "building with $jobs jobs (about 30-60 minutes on 2 cores, once)"
make -s -C "$src" O="$out" -j"$jobs" bzImage modules > "$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; exit 1; }
release=$(cat "$out/include/config/kernel.release")
make -s -C "$src" O="$out" INSTALL_MOD_STRIP=1 modules_install > /dev/null
ln -sfn "$out" "/lib/modules/$release/build"
log "built $release in $((SECONDS - start)) s"
echo "$key" > "$out/.flowlane-done"
echo "$release"

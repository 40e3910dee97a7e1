#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root inside a QEMU guest that boots Debian's distribution
# kernel, with this machine's / shared read-only over virtio-9p and the work
# tree shared read-write at the same path (the virtme approach; see
# Documentation/testing.rst).
#
#   selftests/guest.sh [--timeout SECS] [--kver KVER] [--] COMMAND [ARGS...]
#
# The command's output is streamed; the script exits with the command's
# status, 124 on timeout, and 125 when the guest kernel logged a warning, BUG,
# Oops, lockdep, KASAN or kmemleak report (the report is printed).
#
# FLOWLANE_GUEST=none runs COMMAND directly on this machine instead, for a
# machine whose own kernel can load flowlane (root needed).
# FLOWLANE_GUEST_MEM (default 2048, MiB) and FLOWLANE_GUEST_CPUS (default 2)
# size the guest. FLOWLANE_KERNEL boots another kernel image than
# /boot/vmlinuz-KVER (the debug kernel of scripts/debug-kernel.sh), with
# its modules in /lib/modules/KVER. FLOWLANE_GUEST_APPEND is added to the
# guest kernel's command line (scripts/debug-check.sh marks two slab caches
# for failslab with it).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=900
kver=""

die() { echo "guest.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option '$1' (see the usage at the top of $0)" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "no command given: usage: guest.sh [--timeout SECS] [--] COMMAND..."
case "$timeout_s" in
''|*[!0-9]*) die "--timeout '$timeout_s' is not a number of seconds" ;;
esac

if [ "${FLOWLANE_GUEST:-qemu}" = none ]; then
	cd "$top" && exec timeout --foreground -k 10 "$timeout_s" "$@"
fi

[ -n "$kver" ] || kver=$("$top/scripts/guest-kver.sh") || exit 2
kernel=${FLOWLANE_KERNEL:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || die "no readable $kernel: run 'make deps' (installs linux-image-amd64)"
[ -d "/lib/modules/$kver" ] || die "no /lib/modules/$kver for the guest kernel $kernel"
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: run 'make deps' (installs qemu-system-x86)"

build=${FLOWLANE_BUILD:-$top/.build}
initrd=$("$top/selftests/guest-initrd.sh" "$kver" "$build/guest") || exit 2

# One run directory per invocation, inside the read-write share, so that
# concurrent runs do not collide and the guest can hand back its results.
mkdir -p "$build/guest"
run=$(mktemp -d "$build/guest/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
# The guest starts with a clean environment: FLOWLANE_* settings go along.
for v in $(compgen -v FLOWLANE_); do
	printf 'export %s=%q\n' "$v" "${!v}"
done > "$run/cmd"
printf '%q ' "$@" >> "$run/cmd"
echo >> "$run/cmd"

accel="tcg,thread=multi"
cpu=max
if [ -w /dev/kvm ]; then
	accel=kvm
	cpu=host
fi

timeout --foreground -k 10 "$timeout_s" \
	qemu-system-x86_64 \
	-accel "$accel" -cpu "$cpu" \
	-smp "${FLOWLANE_GUEST_CPUS:-2}" -m "${FLOWLANE_GUEST_MEM:-2048}" \
	-nodefaults -no-reboot -display none -monitor none \
	-serial stdio -nic none \
	-kernel "$kernel" -initrd "$initrd" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev local,id=work,path="$top",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=work,mount_tag=work \
	-append "console=ttyS0 loglevel=5 panic=-1 quiet flwork=$top flrun=$run ${FLOWLANE_GUEST_APPEND:-}" \
	</dev/null 2>"$run/qemu.err" | tr -d '\r'
qemu_rc=${PIPESTATUS[0]}

if [ "$qemu_rc" = 124 ]; then
	echo "guest.sh: guest timed out after ${timeout_s}s" >&2
	exit 124
fi
if [ ! -f "$run/rc" ]; then
	echo "guest.sh: the guest did not finish (qemu exit $qemu_rc); qemu said:" >&2
	cat "$run/qemu.err" >&2
	exit 125
fi

# Kernel reports that make a run fail whatever the command returned.
bad='WARNING:|BUG:|Oops|Kernel panic|KASAN:|UBSAN:|general protection fault|unreferenced object|suspected memory leaks|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|RCU detected stall|scheduling while atomic|sleeping function called from invalid context'
if grep -Eq "$bad" "$run/dmesg"; then
	echo "guest.sh: the guest kernel reported a problem:" >&2
	grep -E -A 25 "$bad" "$run/dmesg" | head -80 >&2
	exit 125
fi
exit "$(cat "$run/rc")"

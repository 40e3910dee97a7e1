#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command as root inside a QEMU guest that boots Debian's distribution
# kernel, with this machine's / shared read-only over virtio-9p and the work
# tree shared read-write at the same path (the virtme approach; see
# Documentation/testing.rst).
#
#   selftests/guest.sh [--timeout SECS] [--kver KVER] [--] COMMAND [ARGS...]
#   selftests/guest.sh [--kver KVER] --accel   (decide and say the accelerator)
#
# The command's output is streamed; the script exits with the command's
# status, 124 on timeout, and 125 when the guest kernel logged a warning, BUG,
# Oops, lockdep, KASAN or kmemleak report (the report is printed).
#
# The accelerator is decided by trying it, never by /dev/kvm's permissions
# alone (a nested KVM may open fine and never boot a guest): with a writable
# /dev/kvm, a short probe boot under KVM must come back with its exit status
# within FLOWLANE_ACCEL_PROBE_TIMEOUT seconds (default 25), else the guest
# runs under TCG (software emulation). The verdict is said once and cached
# per machine boot and kernel in .build/guest/accel/. FLOWLANE_ACCEL=kvm|tcg
# forces a choice: kvm where KVM does not boot a guest fails (exit 2) after
# the probe instead of hanging.
#
# FLOWLANE_GUEST=none runs COMMAND directly on this machine instead, for a
# machine whose own kernel can load flowlane (root needed).
# FLOWLANE_GUEST_MEM (default 2048, MiB) and FLOWLANE_GUEST_CPUS (default 2)
# size the guest. FLOWLANE_KERNEL boots another kernel image than
# KVER's own (the debug kernel of scripts/debug-kernel.sh), with
# its modules in /lib/modules/KVER. FLOWLANE_GUEST_APPEND is added to the
# guest kernel's command line (scripts/debug-check.sh marks two slab caches
# for failslab with it).

set -u

top=$(cd "$(dirname "$0")/.." && pwd)
timeout_s=900
kver=""
which_accel=0
tcg_append=

die() { echo "guest.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--accel) which_accel=1; shift ;;
	--) shift; break ;;
	-*) die "unknown option '$1' (see the usage at the top of $0)" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || [ "$which_accel" = 1 ] || die "no command given: usage: guest.sh [--timeout SECS] [--] COMMAND..."
case "$timeout_s" in
''|*[!0-9]*) die "--timeout '$timeout_s' is not a number of seconds" ;;
esac

if [ "${FLOWLANE_GUEST:-qemu}" = none ]; then
	[ "$which_accel" = 1 ] && { echo "guest.sh: FLOWLANE_GUEST=none; no guest"; exit 0; }
	cd "$top" && exec timeout --foreground -k 10 "$timeout_s" "$@"
fi

[ -n "$kver" ] || kver=$("$top/scripts/guest-kver.sh") || exit 2
# The kernel may live in a build root (7.3, scripts/kernels.sh): its
# modules then go to the guest in a share of their own ("kmods", mounted
# at /lib/modules/KVER by the initrd's /init).
moddir=$("$top/scripts/kernels.sh" moddir "$kver") || exit 2
kernel=${FLOWLANE_KERNEL:-$("$top/scripts/kernels.sh" vmlinuz "$kver")}
[ -r "$kernel" ] || die "no readable $kernel: run 'make deps' (installs linux-image-amd64)"
[ -d "$moddir" ] || die "no $moddir for the guest kernel $kernel"
kmods=()
if [ "$moddir" != "/lib/modules/$kver" ]; then
	kmods=(-fsdev "local,id=kmods,path=$moddir,security_model=none,readonly=on,multidevs=remap"
		-device virtio-9p-pci,fsdev=kmods,mount_tag=kmods)
fi
qemu=${FLOWLANE_QEMU:-qemu-system-x86_64}
kvm_dev=${FLOWLANE_KVM_DEVICE:-/dev/kvm}
command -v "$qemu" >/dev/null ||
	die "$qemu not found: run 'make deps' (installs qemu-system-x86)"

build=${FLOWLANE_BUILD:-$top/.build}
initrd=$("$top/selftests/guest-initrd.sh" "$kver" "$build/guest") || exit 2

# qemu_boot ACCEL CPU TIMEOUT RUNDIR: boot the guest, which runs RUNDIR/cmd
# and writes RUNDIR/rc; the console goes to stdout. Returns QEMU's status
# (124 when the timeout stopped it).
qemu_boot() {
	timeout --foreground -k 10 "$3" \
		"$qemu" \
		-accel "$1" -cpu "$2" \
		-smp "${FLOWLANE_GUEST_CPUS:-2}" -m "${FLOWLANE_GUEST_MEM:-2048}" \
		-nodefaults -no-reboot -display none -monitor none \
		-serial stdio -nic none \
		-kernel "$kernel" -initrd "$initrd" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=work,path="$top",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=work,mount_tag=work \
		"${kmods[@]}" \
		-append "console=ttyS0 loglevel=5 panic=-1 quiet flwork=$top flrun=$4${kmods:+ flkmods=1} $tcg_append ${FLOWLANE_GUEST_APPEND:-}" \
		</dev/null 2>"$4/qemu.err" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# kvm_probe: boot the real kernel and initrd under KVM running `true`.
# Prints why KVM is not usable and fails, or succeeds silently.
kvm_probe() {
	local probe t=${FLOWLANE_ACCEL_PROBE_TIMEOUT:-25} rc

	if [ ! -e "$kvm_dev" ]; then
		echo "there is no $kvm_dev"
		return 1
	elif [ ! -w "$kvm_dev" ]; then
		echo "$kvm_dev is not writable"
		return 1
	fi
	probe=$(mktemp -d "$build/guest/probe.XXXXXX")
	echo true > "$probe/cmd"
	qemu_boot kvm host "$t" "$probe" > "$probe/console"
	rc=$?
	if [ "$rc" = 0 ] && [ "$(cat "$probe/rc" 2>/dev/null)" = 0 ]; then
		rm -rf "$probe"
		return 0
	fi
	if [ "$rc" = 124 ]; then
		echo "KVM did not boot a guest in $t s"
	else
		echo "KVM did not boot a guest (qemu exit $rc: $(head -c 200 "$probe/qemu.err" | head -1))"
	fi
	rm -rf "$probe"
	return 1
}

# Multi-threaded TCG does not always see a vCPU's live patch of kernel text
# in time on the other vCPU: a 7.3 guest died of "Oops: int3" in
# sched_clock_cpu (CI, 2026-12-05) when the boot's late_initcall turned on
# the sched_clock_stable static key while CPU 1 ran. So a TCG guest boots
# with one CPU online (maxcpus=1; the initrd's /init brings the others up
# after the initcalls) and without the TSC watchdog (tsc=reliable: TCG's
# TSC is the host's clock), which would flip that key again at run time.
# Keys flipped later can still meet the race (engine_lib.sh pins those the
# tests would flip; a 7.3 guest died once at inet_getpeer's first use).
# One host thread for all vCPUs (FLOWLANE_TCG_THREAD=single) has no such
# race, but took the 6.1 suite 23 min instead of 14: over CI's limit.

# choose_accel: sets accel, cpu, tcg_append and said (the sentence that
# says which and why). The first decision of a machine boot and kernel is
# printed and cached; later runs read the cache silently.
choose_accel() {
	local cache="$build/guest/accel/$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)-$kver"
	local forced=${FLOWLANE_ACCEL:-} why

	case "$forced" in
	''|kvm|tcg) ;;
	*) die "FLOWLANE_ACCEL='$forced' is not an accelerator: use kvm, tcg or leave it unset" ;;
	esac
	if [ "$forced" = tcg ]; then
		said="FLOWLANE_ACCEL=tcg; using TCG"
	elif [ -z "$forced" ] && [ -f "$cache" ]; then
		said=$(cat "$cache")
	else
		if why=$(kvm_probe); then
			said="KVM booted a probe guest; using KVM"
		elif [ "$forced" = kvm ]; then
			die "FLOWLANE_ACCEL=kvm, but $why; unset FLOWLANE_ACCEL or set it to tcg"
		else
			said="$why; using TCG"
		fi
		[ "$which_accel" = 1 ] || echo "guest.sh: $said" >&2
		if [ -z "$forced" ]; then
			mkdir -p "${cache%/*}"
			echo "$said" > "$cache"
		fi
	fi
	case "$said" in
	*"using KVM") accel=kvm cpu=host tcg_append= ;;
	*) accel="tcg,thread=${FLOWLANE_TCG_THREAD:-multi}" cpu=max tcg_append="maxcpus=1 tsc=reliable" ;;
	esac
}

# One run directory per invocation, inside the read-write share, so that
# concurrent runs do not collide and the guest can hand back its results.
mkdir -p "$build/guest"
choose_accel
if [ "$which_accel" = 1 ]; then
	echo "guest.sh: $said"
	exit 0
fi
run=$(mktemp -d "$build/guest/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
# The guest starts with a clean environment: FLOWLANE_* settings go along.
for v in $(compgen -v FLOWLANE_); do
	printf 'export %s=%q\n' "$v" "${!v}"
done > "$run/cmd"
printf '%q ' "$@" >> "$run/cmd"
echo >> "$run/cmd"

qemu_boot "$accel" "$cpu" "$timeout_s" "$run"
qemu_rc=$?

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

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest harness itself: it returns the command's status, fails a run
# whose kernel logged a WARNING even when the command succeeded, and
# enforces its timeout; it decides the accelerator by a probe boot and falls
# back to TCG where KVM does not boot a guest. Short guest boots.
source "$(dirname "$0")/../lib.sh"
[ "${FLOWLANE_GUEST:-qemu}" = none ] && skip "FLOWLANE_GUEST=none: no guest to test"

kver=$("$FL_TOP/scripts/guest-kver.sh") || skip "no guest kernel"
guest="$FL_TOP/selftests/guest.sh"
# A debug kernel (make debug-check) boots several times slower.
boot=$((120 * ${FLOWLANE_TIMEOUT_SCALE:-1}))

out=$("$guest" --timeout "$boot" -- bash -c 'echo from-guest; exit 3' 2>&1); rc=$?
check_eq "the command's exit status comes back" 3 "$rc"
check_match "the command's output is streamed" "^from-guest$" "$out"

# A module whose init does WARN_ON(1): the broken-module case. Built inside
# the work tree, which the guest shares (its /tmp is its own).
mkdir -p "$FL_TOP/.build"
build=$(mktemp -d "$FL_TOP/.build/warn_mod.XXXXXX")
trap 'rm -rf "$build"' EXIT
cp "$FL_TOP/selftests/unit/warn_mod/"* "$build/"
if make -s -C "/lib/modules/$kver/build" M="$build" modules > "$build/log" 2>&1; then
	out=$("$guest" --timeout "$boot" -- insmod "$build/warn_test.ko" 2>&1); rc=$?
	check_eq "a WARNING in the guest kernel fails the run" 125 "$rc"
	check_match "the report is shown" "the guest kernel reported a problem" "$out"
else
	fail "could not build the WARN test module: $(cat "$build/log")"
fi

out=$("$guest" --timeout 20 -- sleep 600 2>&1); rc=$?
check_eq "a command past the timeout is stopped" 124 "$rc"
check_match "the timeout is reported" "timed out after 20s" "$out"

# A nested KVM that opens but never boots a guest, as on some CI runners: a
# writable stand-in for /dev/kvm, and a QEMU wrapper that under -accel kvm
# prints what such a machine prints and hangs, and otherwise runs the real
# QEMU. Every accelerator asked for is logged.
fake="$build/fake-kvm"
mkdir -p "$fake/build/guest"
: > "$fake/kvm"
cat > "$fake/qemu" <<EOF
#!/bin/bash
prev=
for a; do
	if [ "\$prev" = -accel ]; then
		echo "\$a" >> "$fake/accels"
		[ "\$a" = kvm ] && { echo "Probing EDD (edd=off to disable)... ok"; exec sleep 600; }
	fi
	prev=\$a
done
exec qemu-system-x86_64 "\$@"
EOF
chmod +x "$fake/qemu"
fake_guest() {
	FLOWLANE_QEMU="$fake/qemu" FLOWLANE_KVM_DEVICE="$fake/kvm" FLOWLANE_ACCEL_PROBE_TIMEOUT=5 \
		FLOWLANE_BUILD="$fake/build" "$guest" --timeout "$boot" "$@"
}
accels() { echo $(cat "$fake/accels"); }

out=$(fake_guest -- bash -c 'exit 3' 2>&1); rc=$?
check_eq "KVM that does not boot: the run completes under TCG with the command's status" 3 "$rc"
check_match "the fallback is said, with its reason" \
	"^guest.sh: KVM did not boot a guest in 5 s; using TCG$" "$out"
check_eq "the probe tried KVM, then the run used TCG" "kvm tcg,thread=multi" "$(accels)"
check_eq "--accel repeats the verdict (make check prints it)" \
	"guest.sh: KVM did not boot a guest in 5 s; using TCG" "$(fake_guest --accel 2>&1)"

out=$(fake_guest -- bash -c 'exit 5' 2>&1); rc=$?
check_eq "the second run reuses the verdict" 5 "$rc"
check_eq "no second probe, nothing said again" "kvm tcg,thread=multi tcg,thread=multi|0" \
	"$(accels)|$(printf '%s\n' "$out" | grep -c '^guest.sh:')"

: > "$fake/accels"
t0=$SECONDS
out=$(FLOWLANE_ACCEL=kvm fake_guest -- true 2>&1); rc=$?
check_eq "FLOWLANE_ACCEL=kvm where KVM does not boot fails" 2 "$rc"
check_match "with the reason and what to do" \
	"^guest.sh: FLOWLANE_ACCEL=kvm, but KVM did not boot a guest in 5 s; unset FLOWLANE_ACCEL or set it to tcg$" "$out"
check_eq "after the probe alone, never running the command" kvm "$(accels)"
if [ $((SECONDS - t0)) -lt 60 ]; then
	pass "it fails fast ($((SECONDS - t0)) s)"
else
	fail "FLOWLANE_ACCEL=kvm took $((SECONDS - t0)) s to fail"
fi

: > "$fake/accels"
out=$(FLOWLANE_ACCEL=tcg fake_guest -- bash -c 'exit 3' 2>&1); rc=$?
check_eq "FLOWLANE_ACCEL=tcg runs under TCG without a probe" "3 tcg,thread=multi" "$rc $(accels)"

out=$(FLOWLANE_ACCEL=xen fake_guest -- true 2>&1); rc=$?
check_eq "an unknown FLOWLANE_ACCEL is refused" 2 "$rc"
check_match "naming the value" \
	"FLOWLANE_ACCEL='xen' is not an accelerator: use kvm, tcg or leave it unset" "$out"
exit $ret

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The systemd units flowlane ships, as systemd judges them: `systemd-analyze
# verify` has nothing to say about any of them, inside a root holding the
# package's files (the .deb of `make deb` when built, else `make install`'s
# tree: the same files) and this machine's systemd units, so that every
# command, man page and unit they name is checked. Then the apply unit's
# order, and its device wait (systemd/flowlane-wait-devices) in a private
# network namespace: it waits for a missing uplink, gives up after
# FLOWLANE_DEVICE_WAIT seconds with the tool's message, and refuses a bad
# document at once.
source "$(dirname "$0")/../lib.sh"
checktool "systemd-analyze --version" "systemd's unit checker"

ver=$("$FL_TOP/scripts/version.sh")
deb=$FL_TOP/.build/deb/flowlane_${ver}_amd64.deb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/lib/systemd/system"
if [ -f "$deb" ]; then
	dpkg-deb -x "$deb" "$root" || fail "dpkg-deb -x $deb"
	what="the package ${deb##*/}"
else
	make -s -C "$FL_TOP/userspace" install DESTDIR="$root" PREFIX=/usr \
		UNITDIR=/lib/systemd/system > /dev/null || fail "make install DESTDIR=$root"
	what="make install's tree (no $deb: run 'make deb' to check the package)"
fi
# The units they refer to (sysinit.target, network-online.target, ...).
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"

units=(flowlane.service flowlane-metrics.service flowlane-metrics.timer)
for u in "${units[@]}"; do
	[ -f "$root/lib/systemd/system/$u" ] || fail "$what has no /lib/systemd/system/$u"
done
out=$(cd "$root" && MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" \
	"${units[@]/#//lib/systemd/system/}" 2>&1)
check_eq "systemd-analyze verify of ${units[*]} in $what: exit 0, nothing to say" "0:" "$?:$out"

unit=$root/lib/systemd/system/flowlane.service
check_eq "flowlane.service: after the network is up and the host's firewall, before VMs" \
	"Wants=network-online.target
After=network-online.target nftables.service systemd-modules-load.service
Before=libvirtd.service libvirt-guests.service" \
	"$(grep -E '^(Wants|After|Before)=' "$unit")"
check_eq "flowlane.service: waits for devices, applies, reload applies again" \
	"ExecStartPre=/usr/libexec/flowlane/wait-devices /etc/flowlane/flowlane.json
ExecStart=/usr/sbin/flowlane apply \$FLOWLANE_APPLY_OPTS /etc/flowlane/flowlane.json
ExecReload=/usr/sbin/flowlane apply \$FLOWLANE_APPLY_OPTS /etc/flowlane/flowlane.json" \
	"$(grep -E '^Exec(StartPre=/|Start=|Reload=)' "$unit")"

# The device wait, against the tool built in this tree, in a network
# namespace of its own: an uplink that is missing, then appears.
wait_dev=$FL_TOP/systemd/flowlane-wait-devices
doc=$tmp/host.json
echo '{ "uplinks": ["fl-up0"] }' > "$doc"
missing="flowlane: check: $doc: uplinks[0]: no device named 'fl-up0'"
in_ns() { unshare -n env FLOWLANE="$FLOWLANE" "$@"; }
checktool "unshare -n true" "a private network namespace"

start=$SECONDS
out=$(in_ns env FLOWLANE_DEVICE_WAIT=2 "$wait_dev" "$doc" 2>&1)
check_eq "a device that never comes: exit 1 after the wait, with the tool's message" \
	"1:flowlane: waiting up to 2s: $missing
$missing
flowlane: waited 2s for the document's devices; create the device or raise FLOWLANE_DEVICE_WAIT in /etc/default/flowlane" \
	"$?:$out"
elapsed=$((SECONDS - start))
[ "$elapsed" -ge 2 ] && [ "$elapsed" -le 5 ] && pass "it waited 2-5 s ($elapsed s)" ||
	fail "it waited $elapsed s, not 2-5 s"

start=$SECONDS
out=$(in_ns bash -c "(sleep 2; ip link add fl-up0 type veth peer name fl-up1) &
	FLOWLANE_DEVICE_WAIT=30 '$wait_dev' '$doc'" 2>&1)
check_eq "a device that comes after 2 s: exit 0" "0:flowlane: waiting up to 30s: $missing" "$?:$out"
elapsed=$((SECONDS - start))
[ "$elapsed" -ge 2 ] && [ "$elapsed" -le 6 ] && pass "it went on as the device came (after $elapsed s)" ||
	fail "it went on after $elapsed s, not 2-6 s"

echo '{ "uplinks": "fl-up0" }' > "$doc"
start=$SECONDS
out=$(in_ns env FLOWLANE_DEVICE_WAIT=30 "$wait_dev" "$doc" 2>&1)
check_eq "a bad document: exit 1 at once with the tool's message alone" \
	"1:$("$FLOWLANE" check "$doc" 2>&1)" "$?:$out"
[ $((SECONDS - start)) -le 1 ] && pass "no wait for a bad document" || fail "a bad document waited $((SECONDS - start)) s"

out=$(FLOWLANE_DEVICE_WAIT=soon "$wait_dev" "$doc" 2>&1)
check_eq "FLOWLANE_DEVICE_WAIT=soon: exit 1, says what to set" \
	"1:flowlane: FLOWLANE_DEVICE_WAIT='soon' is not a number of seconds: set it to e.g. 60 in /etc/default/flowlane" \
	"$?:$out"
exit $ret

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The apply unit under a real systemd (issue 16 point 5): systemd-nspawn
# boots systemd as PID 1 of a container whose root is a copy-on-write view
# of this machine's (selftests/overlay_lib.sh) with the `flowlane` package
# of `make deb` installed by dpkg (its postinst enables flowlane.service)
# and the machine's own enabled services left out (nginx, postgresql...:
# the container boots what systemd itself and flowlane need). Its network
# namespace is one of the test's, with the devices the document names
# (veth pairs: this kernel has no dummy device type and loads no module).
# Then, in that one container:
#   a. at boot the uplink is missing and the unit waits for it; the test
#      adds it, and flowlane.service is active (exited), the journal holds
#      the unit's lines exactly, and the container's
#      ruleset holds flowlane's tables as the document says; systemd
#      resolved its order (After= network-online.target, Before=
#      libvirtd.service), and it ran so: it started after
#      network-online.target was reached, and a stand-in libvirtd.service
#      (a oneshot that records `nft list tables`) found flowlane's tables;
#   b. `systemctl reload flowlane` after the document changed applies the
#      change and the unit stays active;
#   c. a bad document (a VM interface that is also an uplink) fails
#      `systemctl reload` (the unit stays active, ReloadResult=exit-code)
#      and `systemctl restart` (failed, Result=exit-code), the journal
#      holds the tool's own message, and the ruleset stays as it was.
# This machine's kernel cannot load modules (it has no flowtable either):
# /etc/default/flowlane sets FLOWLANE_APPLY_OPTS=--nft-only, and the
# unit's `modprobe flowlane` fails as it may (ExecStartPre=-).
[ -n "${FL_SD_UNSHARED:-}" ] || FL_SD_UNSHARED=1 exec unshare -m --propagation private "$0" "$@"

source "$(dirname "$0")/../overlay_lib.sh"
need_root
need_cmd systemd-nspawn systemd-container
need_cmd nsenter util-linux
ver=$("$FL_TOP/scripts/version.sh")
deb=$FL_TOP/.build/deb/flowlane_${ver}_amd64.deb
[ -f "$deb" ] || skip "no $deb: run 'make deb' first"
unshare -n nft list ruleset > /dev/null 2>&1 || skip "nf_tables is not available in a network namespace"

Q=$FL_TOP/selftests/nft_query.py
conf=/etc/flowlane/flowlane.json
tables="table inet flowlane
table ip flowlane_nat"
nspawn=
leader=

sd_cleanup() {
	if [ -n "$nspawn" ] && kill -0 "$nspawn" 2>/dev/null; then
		kill "$nspawn"	# nspawn asks the container's systemd to halt
		wait_for 20 sd_gone || kill -9 "$nspawn"
		wait "$nspawn" 2>/dev/null
	fi
	umount "$OVL_TMP/netns" 2>/dev/null
	overlay_cleanup
}
sd_gone() { ! kill -0 "$nspawn" 2>/dev/null; }

# The container's network namespace, kept by a bind mount on a file.
in_net() { nsenter --net="$OVL_TMP/netns" "$@"; }
# A command in the container: its namespaces, its root, its systemd.
in_ct() { nsenter -t "$leader" -a "$@"; }
prop() { in_ct systemctl show -p "$2" --value "$1"; }
# The unit's state as `systemctl show` names it.
state() {
	local p
	for p in ActiveState SubState Result ReloadResult; do
		printf '%s=%s ' "$p" "$(prop flowlane.service "$p")"
	done
}
# cursor, then said_since CURSOR: what the unit's own processes logged
# since (journalctl -u adds systemd's lines about it); "": since the boot.
# apply's time is written "N ms". The unit is picked here, not by a
# journalctl match: systemd 252's journalctl prints nothing for
# --after-cursor with a field match.
cursor() { in_ct journalctl -q -n 1 -o cat --show-cursor | sed -n 's/^-- cursor: //p'; }
said_since() {
	local from=(-b)
	[ -z "$1" ] || from=(--after-cursor="$1")
	in_ct journalctl -q --no-pager -o json --output-fields=_SYSTEMD_UNIT,MESSAGE "${from[@]}" |
		python3 -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("_SYSTEMD_UNIT") == "flowlane.service":
        print(e["MESSAGE"])' | sed -E 's/ in [0-9.]+ ms$/ in N ms/'
}
# said CURSOR REGEX: a line since CURSOR matches. Callers wait_for it:
# journald reads a unit's output from a stream, maybe after the unit's
# process exited and systemctl returned.
said() { said_since "$1" | grep -Eq -- "$2"; }
write_doc() { printf '%s\n' "$1" > "$OVL_ROOT$conf"; }
ruleset() { in_net "$Q" snapshot flowlane flowlane_nat; }
# same_ruleset WHAT: flowlane's tables are as $good (elements and rules).
same_ruleset() {
	local now
	now=$(ruleset)
	if [ -n "$good" ] && [ "$now" = "$good" ]; then
		pass "$1 ($(grep -c . <<< "$now") elements and rules)"
	else
		fail "$1: it was, then is:"
		sed 's/^/# /' <<< "$good"; echo "# --"; sed 's/^/# /' <<< "$now"
	fi
}

overlay_setup
trap sd_cleanup EXIT

# The root: the machine's enabled services out (their links in /etc, and
# the SysV scripts' start links, which systemd turns into units), the
# package in (dpkg, as a host installs it), the document, the settings for
# a kernel without the module, a stand-in for libvirt's daemon and one for
# a network service's wait-online (the network is up 1 s after it starts,
# so that a unit not ordered after network-online.target starts before).
find "$OVL_ROOT/etc/systemd/system" -mindepth 2 -path '*.wants/*' -delete
find "$OVL_ROOT"/etc/rc?.d -name 'S*' -delete
cp "$deb" "$OVL_ROOT/tmp/"
out=$(chroot "$OVL_ROOT" env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/${deb##*/}" 2>&1)
check_eq "dpkg -i ${deb##*/} in the container's root: exit 0" 0 "$?"
[ "$ret" = 0 ] || { echo "$out"; exit $ret; }
check_eq "the package enabled flowlane.service" enabled \
	"$(systemctl --root="$OVL_ROOT" is-enabled flowlane.service 2>&1)"
doc_a='{ "uplinks": ["fl-up0"],
  "vms": [{ "name": "a", "interfaces": ["fl-vm0"], "ipv4": "10.0.0.2", "public_ipv4": "203.0.113.2" }] }'
write_doc "$doc_a"
printf 'FLOWLANE_APPLY_OPTS=--nft-only\nFLOWLANE_DEVICE_WAIT=60\n' >> "$OVL_ROOT/etc/default/flowlane"
cat > "$OVL_ROOT/etc/systemd/system/libvirtd.service" << 'UNIT'
[Unit]
Description=stand-in for libvirt's daemon (flowlane's systemd_boot.sh): records the tables it starts with

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'nft list tables > /run/libvirtd-saw'

[Install]
WantedBy=multi-user.target
UNIT
cat > "$OVL_ROOT/etc/systemd/system/fl-wait-online.service" << 'UNIT'
[Unit]
Description=stand-in for a network service's wait-online (flowlane's systemd_boot.sh): the network is up after 1 s
Before=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/sleep 1

[Install]
WantedBy=network-online.target
UNIT
systemctl --root="$OVL_ROOT" enable libvirtd.service fl-wait-online.service 2>/dev/null ||
	fail "systemctl --root enable libvirtd.service fl-wait-online.service"

# The network: the VMs' veth pair in a namespace of our own; the uplink
# comes late (below), as a bond made by the network service may.
touch "$OVL_TMP/netns"
unshare --net="$OVL_TMP/netns" true &&
	in_net ip link add fl-vm0 type veth peer name fl-vm1 ||
	{ fail "a network namespace with a veth pair fl-vm0/fl-vm1"; exit $ret; }

# Boot. The console goes to boot.log; the leader is the container's PID 1.
# No systemd runs this machine: nothing to register with (machined) or to
# ask for a scope (--register=no --keep-unit: the container stays in the
# test's cgroup). A network namespace given by path is not "private" to
# nspawn: it grants CAP_NET_ADMIN and a writable /proc/sys/net (apply sets
# net.ipv4.ip_forward) only when told, as --private-network would.
# /tmp is a tmpfs of its own: systemd-tmpfiles empties /tmp at boot, which
# in the overlay would walk this machine's /tmp to white it out.
SYSTEMD_NSPAWN_API_VFS_WRITABLE=network systemd-nspawn --quiet --boot \
	--directory="$OVL_ROOT" --machine="flowlane-sd$$" \
	--network-namespace-path="$OVL_TMP/netns" --capability=CAP_NET_ADMIN \
	--register=no --keep-unit --link-journal=no --resolv-conf=off --timezone=off \
	--tmpfs=/tmp --console=read-only > "$OVL_TMP/boot.log" 2>&1 &
nspawn=$!
find_leader() {
	local p
	for p in $(pgrep -P "$nspawn"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && leader=$p && return 0
	done
	return 1
}
t0=$SECONDS
if ! wait_for 30 find_leader; then
	fail "systemd-nspawn started no systemd in 30 s; its output:"
	sed 's/^/# /' "$OVL_TMP/boot.log"
	exit $ret
fi
# The unit waits for the uplink (ExecStartPre=wait-devices), and the boot
# with it; the uplink appears, the unit applies, the boot goes on.
waiting() { [ "$(prop flowlane.service SubState 2>/dev/null)" = start-pre ] && said "" '^flowlane: waiting'; }
if wait_for 60 waiting; then
	pass "at boot flowlane.service waits for the uplink ($((SECONDS - t0)) s after the start)"
else
	fail "flowlane.service is not waiting for the uplink: $(state)"
fi
in_net ip link add fl-up0 type veth peer name fl-up1 || fail "ip link add fl-up0 in the container's namespace"
booted=$(in_ct timeout $((120 * FL_SCALE)) systemctl is-system-running --wait 2>&1)
check_eq "the container's systemd finished booting (systemctl is-system-running --wait)" running "$booted"
if [ "$booted" != running ]; then
	in_ct systemctl --no-pager --failed
	sed 's/^/# /' "$OVL_TMP/boot.log"
fi
echo "# booted in $((SECONDS - t0)) s"

# a. At boot.
nomod="modprobe: FATAL: Module flowlane not found in directory /lib/modules/$(uname -r)"
wait_for 10 said "" '^applied '
check_eq "the journal at boot: no module here, the device wait's one line, apply's lines" \
	"$nomod
flowlane: waiting up to 60s: flowlane: check: $conf: uplinks[0]: no device named 'fl-up0'
sysctl net.ipv4.ip_forward: 0 -> 1 (the host routes its VMs)
applied $conf: 10 changes in N ms" "$(said_since "")"
check_eq "at boot: flowlane.service active (exited), Result success" \
	"ActiveState=active SubState=exited Result=success ReloadResult=success " "$(state)"
check_eq "the container's ruleset: flowlane's tables" "$tables" "$(in_net nft list tables)"
check_eq "vm a's 1:1 NAT (ip flowlane_nat dnat4)" "203.0.113.2 : 10.0.0.2" \
	"$(in_net "$Q" elems ip flowlane_nat dnat4)"
check_eq "vm a's interface (inet flowlane vm_ifaces)" "fl-vm0" "$(in_net "$Q" elems inet flowlane vm_ifaces)"
check_eq "systemd resolved After= of flowlane.service" \
	"basic.target network-online.target nftables.service sysinit.target system.slice systemd-journald.socket systemd-modules-load.service" \
	"$(prop flowlane.service After | tr ' ' '\n' | sort | xargs)"
check_eq "systemd resolved Before= of flowlane.service" \
	"libvirt-guests.service libvirtd.service multi-user.target shutdown.target" \
	"$(prop flowlane.service Before | tr ' ' '\n' | sort | xargs)"
# And it ran in that order (monotonic microseconds of this boot).
online=$(prop network-online.target ActiveEnterTimestampMonotonic)
started=$(prop flowlane.service InactiveExitTimestampMonotonic)
applied=$(prop flowlane.service ActiveEnterTimestampMonotonic)
virt=$(prop libvirtd.service InactiveExitTimestampMonotonic)
[ "${online:-0}" -gt 0 ] && [ "${started:-0}" -ge "$online" ] &&
	pass "flowlane.service started after network-online.target was reached ($started >= $online us)" ||
	fail "flowlane.service started at '$started' us, network-online.target was reached at '$online' us"
[ "${applied:-0}" -gt 0 ] && [ "${virt:-0}" -ge "$applied" ] &&
	pass "the stand-in libvirtd.service started after flowlane.service had applied ($virt >= $applied us)" ||
	fail "the stand-in libvirtd.service started at '$virt' us, flowlane.service was active at '$applied' us"
check_eq "the stand-in libvirtd.service found flowlane's tables" "$tables" "$(in_ct cat /run/libvirtd-saw 2>&1)"

# b. Reload applies the changed document.
write_doc '{ "uplinks": ["fl-up0"],
  "vms": [{ "name": "a", "interfaces": ["fl-vm0"], "ipv4": "10.0.0.2", "public_ipv4": "203.0.113.2" },
          { "name": "b", "interfaces": ["fl-vm1"], "ipv4": "10.0.0.3", "public_ipv4": "203.0.113.3" }] }'
c=$(cursor)
out=$(in_ct systemctl reload flowlane.service 2>&1)
check_eq "systemctl reload flowlane (vm b added): exit 0" "0:" "$?:$out"
check_eq "reload applied vm b's 1:1 NAT" "203.0.113.2 : 10.0.0.2|203.0.113.3 : 10.0.0.3" \
	"$(in_net "$Q" elems ip flowlane_nat dnat4 | paste -sd '|')"
check_eq "reload applied vm b's interface" "fl-vm0|fl-vm1" \
	"$(in_net "$Q" elems inet flowlane vm_ifaces | paste -sd '|')"
check_eq "after the reload: still active (exited)" \
	"ActiveState=active SubState=exited Result=success ReloadResult=success " "$(state)"
wait_for 10 said "$c" '^applied '
check_eq "the journal: apply's line for the reload" "applied $conf: 7 changes in N ms" "$(said_since "$c")"

# c. A bad document: refused by reload and by restart, nothing changed.
good=$(ruleset)
write_doc '{ "uplinks": ["fl-up0"],
  "vms": [{ "name": "a", "interfaces": ["fl-vm0"], "ipv4": "10.0.0.2", "public_ipv4": "203.0.113.2" },
          { "name": "b", "interfaces": ["fl-up0"], "ipv4": "10.0.0.3", "public_ipv4": "203.0.113.3" }] }'
why="vms[1].interfaces[0]: 'fl-up0' is also uplinks[0]: the VM's anti-spoofing rule would drop every packet forwarded in from the uplink (name the VM's own tap or veth here)"
c=$(cursor)
in_ct systemctl reload flowlane.service > /dev/null 2>&1
check_eq "systemctl reload with the bad document: exit 1" 1 "$?"
check_eq "after the failed reload: still active (exited), ReloadResult exit-code" \
	"ActiveState=active SubState=exited Result=success ReloadResult=exit-code " "$(state)"
wait_for 10 said "$c" '^flowlane: '
check_eq "the journal: the tool's message, alone" "flowlane: apply: $conf: $why" "$(said_since "$c")"
same_ruleset "the failed reload changed nothing in the ruleset"

c=$(cursor)
in_ct systemctl restart flowlane.service > /dev/null 2>&1
check_eq "systemctl restart with the bad document: exit 1" 1 "$?"
check_eq "after the failed restart: failed, Result exit-code" \
	"ActiveState=failed SubState=failed Result=exit-code ReloadResult=success " "$(state)"
wait_for 10 said "$c" '^flowlane: '
check_eq "the journal: no module, then the device wait's check refused it with the tool's message" \
	"$nomod
flowlane: check: $conf: $why" "$(said_since "$c")"
same_ruleset "the failed restart changed nothing in the ruleset"

# Power off as a host does; nspawn exits with the container.
in_ct systemctl poweroff > /dev/null 2>&1
if wait_for 60 sd_gone; then
	wait "$nspawn"
	check_eq "systemctl poweroff: the container stopped, systemd-nspawn exits 0" 0 "$?"
else
	fail "the container did not power off in 60 s"
fi
nspawn=
exit $ret

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-mutants [MUTANT...]: proves the suite bites. Each mutant below
# is a small deliberate breakage of the module or the tool (a sed script on
# one file); for each, a copy of the committed tree (git archive HEAD, in
# .build/mutants/tree) is broken that way, built, and the tests expected to
# notice run against it (host tests on this machine, guest tests in the
# guest, which insmods the copy's flowlane.ko). The report names, for each
# mutant, the tests that caught it (failed); a mutant no test catches
# "survived", and the run fails. Not part of make check (it boots a guest
# per module mutant). Documented in Documentation/testing.rst.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$top/.build/mutants/tree
out=$top/.build/mutants/results
kver=$("$top/scripts/guest-kver.sh") || exit 2

names=()
declare -A m_file m_sed m_tests m_what

# mutant NAME FILE SED WHAT TEST...: one breakage and the tests that must
# catch it.
mutant() {
	names+=("$1")
	m_file[$1]=$2
	m_sed[$1]=$3
	m_what[$1]=$4
	shift 4
	m_tests[${names[-1]}]="$*"
}

mutant threshold-off-by-one kmod/offload.c \
	's/\(counter\[IP_CT_DIR_REPLY\]\.packets)\) >=$/\1 >/' \
	"a flow offloads one packet after its threshold" \
	flowlane_engine_threshold.sh
mutant nat-skipped-on-fast-path kmod/offload.c \
	's/^\t\tgoto err_alloc;$/&\n\t__clear_bit(NF_FLOW_SNAT, \&flow->flags);/' \
	"the fast path forwards masqueraded flows without the source NAT" \
	flowlane_engine_nat.sh
mutant flush-ignores-reply-tuple kmod/genl.c \
	's/for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {/for (dir = 0; dir < IP_CT_DIR_REPLY; dir++) {/' \
	"flush and the flows filter match an address in the original tuple only" \
	flowlane_api.sh flowlane_engine_nat.sh
mutant admin-flag-dropped kmod/genl.c \
	's/^\t\t\.flags\t = ADMIN,$/\t\t.flags\t = 0,/' \
	"the flows dump no longer needs CAP_NET_ADMIN" \
	unit/spec.sh flowlane_api.sh flowlane_engine_tags.sh flowlane_security.sh
mutant fold-skipped kmod/flows.c \
	'/FLOWLANE_COUNT(fn, e->tag, fastpath_packets, packets - e->folded_packets);/d' \
	"fast-path packets are never folded into the counters" \
	flowlane_engine_threshold.sh
mutant idle-timeout-halved kmod/flows.c \
	's/>= p\.timeout)$/>= p.timeout \/ 2)/' \
	"a tag's idle timeout fires after half its time" \
	flowlane_engine_tags.sh
mutant totals-keep-deleted-netns kmod/netns.c \
	's/^\tflowlane_total_remove(fn);/\tif (0) flowlane_total_remove(fn);/' \
	"a deleted namespace's counts stay in the sysfs totals" \
	flowlane_engine_lifecycle.sh
mutant gre-nat-offloaded kmod/offload.c \
	's/return !(ct->status \& IPS_NAT_MASK) \&\&/return/' \
	"a GRE flow the router NATs is offloaded" \
	flowlane_engine_paths.sh
mutant ipsec-reverse-route-in-clear kmod/offload.c \
	's/return xfrm_lookup(net, dst, fl, NULL, 0);/return dst;/' \
	"the other direction of a flow into an IPsec tunnel goes out in the clear" \
	flowlane_engine_ipsec.sh
mutant drift-check-removed userspace/apply.c \
	's/if (!st->rid\.genid || st->rid\.genid != d->rid\.genid) {/if (0) {/' \
	"apply no longer notices that the ruleset changed since the last apply" \
	unit/apply_state.sh unit/apply_incremental.sh
mutant forward-hook-first kmod/offload.c \
	's/^\(#define FLOWLANE_FORWARD_PRIORITY\t\)(NF_IP_PRI_LAST - 1)$/\10/' \
	"the offload decision runs at priority 0, before a forward chain at 10" \
	flowlane_engine_tags.sh
mutant acct-not-restored kmod/flowtable.c \
	's/^\(\t\tfn->net->ct\.sysctl_acct = \)fn->saved_acct;$/\11;/' \
	"the last device gone leaves nf_conntrack_acct on" \
	flowlane_engine_lifecycle.sh
mutant events-to-every-namespace kmod/genl.c \
	'/genlmsg_multicast_netns(&flowlane_genl_family, fn->net, skb, 0,$/{N;s/genlmsg_multicast_netns(&flowlane_genl_family, fn->net, skb, 0,\n\t*FLOWLANE_MCGRP_ID_FLOWS, GFP_ATOMIC);/genlmsg_multicast_allns(\&flowlane_genl_family, skb, 0, FLOWLANE_MCGRP_ID_FLOWS);/}' \
	"flow events go to the monitors of every namespace" \
	flowlane_security.sh
mutant nat-change-flushes-nothing userspace/ruleset.c \
	'/^\t\t\tflush_addr(p, s, h\[i\], h, have->n);$/d' \
	"apply flushes no flow of an address whose NAT or firewall elements it deleted" \
	flowlane_apply_module.sh
mutant hairpin-not-masqueraded userspace/ruleset.c \
	'/^static void rules_nat_hairpin/,/^}/{/fl_x_masq(r);/d}' \
	"no hairpin masquerade: a VM reaching a public address of its host is not answered" \
	flowlane_apply_lb.sh
mutant service-tag-ignored userspace/ruleset.c \
	's/IP_CT_DIR_ORIGINAL, R1);/IP_CT_DIR_REPLY, R1);/' \
	"the service tag is looked up by the reply tuple's destination (the client), so never found" \
	unit/apply_lb.sh unit/apply_lb6.sh
mutant rollback-keeps-module userspace/apply.c \
	's/mod_ok = !mod || !fl_module_restore(mod);/mod_ok = true;/' \
	"a failed apply puts the ruleset back but leaves the module's policy, devices and tags changed" \
	flowlane_apply_module.sh
mutant apply-two-tries userspace/apply.c \
	's/if (err != -ERESTART || tries == 2)/if (err != -ERESTART || tries == 1)/' \
	"apply gives up after two tries when the ruleset keeps moving" \
	unit/apply_state.sh
# The apply unit, as the flowlane package ships it and systemd runs it
# (systemd/ and debian/ mutants are tested through the package: make deb).
mutant unit-without-reload systemd/flowlane.service \
	'/^ExecReload=/d' \
	"flowlane.service has no ExecReload: systemctl reload flowlane applies nothing" \
	unit/systemd_boot.sh
mutant unit-not-after-network systemd/flowlane.service \
	's/^After=network-online.target /After=/' \
	"flowlane.service may start before the network is up" \
	unit/systemd_boot.sh

[ $# -gt 0 ] && names=("$@")
for n in "${names[@]}"; do
	[ -n "${m_file[$n]:-}" ] || { echo "mutants.sh: no mutant '$n' (see the list in $0)" >&2; exit 2; }
done

rm -rf "$tree" "$out"
mkdir -p "$tree" "$out"
git -C "$top" archive HEAD | tar -x -C "$tree" || exit 2
echo "==> building the unmutated copy of $(git -C "$top" rev-parse --short HEAD) for $kver"
make -s -C "$tree" all KDIR="/lib/modules/$kver/build" && make -s -C "$tree/selftests" helpers ||
	{ echo "mutants.sh: the unmutated tree does not build" >&2; exit 2; }

# run_mutant NAME: break, build, run its tests, restore; prints the verdict.
run_mutant() {
	local n=$1 f=$tree/${m_file[$1]} host=() guest=() t caught
	cp -p "$f" "$out/$n.orig"
	sed -i "${m_sed[$n]}" "$f"
	if cmp -s "$f" "$out/$n.orig"; then
		echo "$n: NOT APPLIED (the sed script matched nothing in ${m_file[$n]})"
		return 1
	fi
	diff -u "$out/$n.orig" "$f" > "$out/$n.diff"
	if ! make -s -C "$tree" all KDIR="/lib/modules/$kver/build" > "$out/$n.build" 2>&1; then
		echo "$n: DOES NOT BUILD (see $out/$n.build)"
		restore "$n"
		return 1
	fi
	# Git must not take the copy for a directory of this work tree: deb.sh
	# would package the work tree's files under that path (none). The
	# copy holds the objects just built, which lintian refuses in a source
	# package: what counts here is that the packages were built.
	case ${m_file[$n]} in
	systemd/*|debian/*)
		GIT_CEILING_DIRECTORIES=$(dirname "$tree") make -s -C "$tree" deb > "$out/$n.deb" 2>&1
		if ! ls "$tree"/.build/deb/flowlane_*_amd64.deb > /dev/null 2>&1; then
			echo "$n: make deb FAILS (see $out/$n.deb)"
			restore "$n"
			return 1
		fi ;;
	esac
	for t in ${m_tests[$n]}; do
		case $t in unit/*) host+=("$t") ;; *) guest+=("$t") ;; esac
	done
	: > "$out/$n.tap"
	[ ${#host[@]} = 0 ] || "$tree/selftests/run_tests.sh" -o "$out/$n.host.tap" "${host[@]}" > "$out/$n.log" 2>&1
	# The guest writes only inside the tree it shares (the copy).
	# FLOWLANE_KO: the engine tests insmod the mutant, not the DKMS copy.
	[ ${#guest[@]} = 0 ] || FLOWLANE_KO="$tree/flowlane.ko" flock /tmp/flowlane-guest.lock "$tree/selftests/guest.sh" --kver "$kver" \
		--timeout $((1800 * ${FLOWLANE_TIMEOUT_SCALE:-1})) -- \
		"$tree/selftests/run_tests.sh" -o "$tree/.build/$n.guest.tap" "${guest[@]}" >> "$out/$n.log" 2>&1
	[ ${#guest[@]} = 0 ] || mv "$tree/.build/$n.guest.tap" "$out/$n.guest.tap"
	cat "$out/$n".*.tap > "$out/$n.tap" 2> /dev/null
	restore "$n"
	caught=$(sed -n 's/^not ok [0-9]* selftests: flowlane: \([^ ]*\).*/\1/p' "$out/$n.tap" | xargs)
	if [ -n "$caught" ]; then
		echo "$n: caught by $caught"
	else
		echo "$n: SURVIVED ${m_tests[$n]} (log: $out/$n.log)"
		return 1
	fi
}

# The file back as it was, newer than its objects so that the next build
# rebuilds them.
restore() {
	cp "$out/$1.orig" "$tree/${m_file[$1]}"
	touch "$tree/${m_file[$1]}"
}

caught=0
bad=0
for n in "${names[@]}"; do
	echo "==> $n: ${m_what[$n]} (${m_file[$n]})"
	if run_mutant "$n" | tee -a "$out/report"; [ "${PIPESTATUS[0]}" = 0 ]; then
		caught=$((caught + 1))
	else
		bad=$((bad + 1))
	fi
done
echo "${#names[@]} mutants: $caught caught, $bad survived or broken"
[ "$bad" = 0 ]

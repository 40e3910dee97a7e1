#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive only, every package flowlane needs to
# build, install and test. Idempotent: installs only what is missing, and
# does nothing (quickly) when everything is there.
set -eu

packages=(
	# build the module and the tool
	gcc make pkg-config libc6-dev libmnl-dev libnftnl-dev libjansson-dev
	linux-headers-amd64 kmod dkms
	# the guest: Debian's distribution kernel, QEMU, a static busybox
	linux-image-amd64 qemu-system-x86 busybox-static cpio gzip xz-utils
	# the other kernels tested (scripts/kernels.sh): bookworm's 6.12 (its
	# headers' BTF step needs pahole, from dwarves), and debootstrap for the
	# trixie build root that holds 7.3
	linux-image-6.12-amd64 linux-headers-6.12-amd64 dwarves debootstrap
	# what the tests drive inside the guest
	iproute2 iputils-ping nftables conntrack iperf3 procps util-linux
	# a PPPoE session through the router: pppd (its kernel-mode PPPoE
	# plugin) and the access concentrator's side
	ppp pppoe
	# the tests' parsers: JSON, the YNL spec, Prometheus text format
	python3 python3-yaml python3-prometheus-client
	# the man page and bash completion checks; static checkers (and
	# checkpatch.pl, from the kernel source package)
	groff-base bash-completion sparse cppcheck linux-source-6.1
	# make deb: the Debian packages, judged by lintian; the ecosystem's
	# own checkers: promtool (prometheus), node_exporter serving the
	# metrics, curl to scrape it; the YNL spec against the kernel's schemas
	# (7.3's source: scripts/kernels.sh installs it in the trixie root)
	dpkg-dev debhelper dh-dkms lintian prometheus prometheus-node-exporter curl
	python3-jsonschema
	# the apply unit under a real systemd: PID 1 of a container
	# (selftests/unit/systemd_boot.sh)
	systemd-container
	# libFuzzer with ASan and UBSan
	clang libclang-rt-14-dev
	# make bench: the plots; the workloads of its scenarios (veth offloads
	# off, short flows, request/response, PostgreSQL and pgbench)
	gnuplot-nox ethtool wrk nginx-light sockperf
	postgresql postgresql-client postgresql-contrib
)

# `deps.sh --debug-kernel`: also what scripts/debug-kernel.sh builds with.
if [ "${1:-}" = --debug-kernel ]; then
	packages+=(linux-source-6.1 linux-source-6.12 bc bison flex libelf-dev libssl-dev xz-utils)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing Debian packages: ${missing[*]}; run 'make deps' as root or 'sudo apt-get install ${missing[*]}'" >&2
	exit 1
fi
echo "  DEPS    installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once when they are empty or stale (a fresh
# machine has none).
if ! apt-get install -y -qq "${missing[@]}" > /tmp/flowlane-deps.log 2>&1; then
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" > /tmp/flowlane-deps.log 2>&1 ||
		{ cat /tmp/flowlane-deps.log >&2; echo "apt-get install failed (log above)" >&2; exit 1; }
fi

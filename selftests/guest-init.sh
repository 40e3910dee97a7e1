#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test guest, after switch_root into the host's (read-only)
# root: prepare a minimal system, run the command written by guest.sh, hand
# back its status and the kernel log, and power off.
work=$1
run=$2

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8 TERM=dumb
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# devtmpfs has no /dev/pts: pseudo-terminals (pppoe-server's pppd) need it.
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts 2>/dev/null
hostname flowlane-guest
ip link set lo up

cd "$work" || echo 127 > "$run/rc"
if [ ! -f "$run/rc" ]; then
	bash "$run/cmd" < /dev/null 2>&1 | tee "$run/output"
	echo "${PIPESTATUS[0]}" > "$run/rc.tmp"
fi
# On a kmemleak kernel, what leaked during the run is reported with the log
# (two scans: kmemleak reports an object only when it stays unreferenced).
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
fi
dmesg > "$run/dmesg"
[ -r /sys/kernel/debug/kmemleak ] && cat /sys/kernel/debug/kmemleak >> "$run/dmesg"
[ -f "$run/rc" ] || mv "$run/rc.tmp" "$run/rc"
sync
echo o > /proc/sysrq-trigger
# PID 1 must not exit; the 9p root goes away under it meanwhile.
sleep 10 2> /dev/null

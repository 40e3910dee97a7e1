#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make debug-check: the whole suite (scripts/check.sh) with the guest booting
# the debug kernel of scripts/debug-kernel.sh (KASAN, kmemleak, lockdep,
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS). Any report fails the run (guest.sh);
# kmemleak is scanned after the run. Tests get FLOWLANE_TIMEOUT_SCALE times
# their usual timeout: the checkers make the guest several times slower.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# FLOWLANE_DEBUG_SERIES: the kernel series to build and test (6.1, 6.12 or
# 7.3).
series=${FLOWLANE_DEBUG_SERIES:-6.1}
scripts/deps.sh --debug-kernel
kver=$(scripts/debug-kernel.sh "$series")
export FLOWLANE_KVER=$kver
# 7.3's lives in the trixie build root like Debian's 7.3 (kernels.sh finds
# it there); 6.1's and 6.12's image stays in their build tree.
if [ -n "$(scripts/kernels.sh root "$kver")" ]; then
	FLOWLANE_KERNEL=$(scripts/kernels.sh vmlinuz "$kver")
else
	FLOWLANE_KERNEL=${FLOWLANE_CACHE:-/var/cache/flowlane}/debug-build-$series/arch/x86/boot/bzImage
fi
export FLOWLANE_KERNEL
export FLOWLANE_TIMEOUT_SCALE=${FLOWLANE_TIMEOUT_SCALE:-4}
# Caches flowlane_failslab.sh fails in the packet path: 6.1 sets a cache's
# failslab flag only at its creation (the sysfs file is read-only).
# no5lvl: QEMU's "max" CPU has 5-level paging, and in 6.1 KASAN's idea of
# the kernel's address range follows the LA57 CPU flag, which identify_cpu()
# clears for a moment at boot: an interrupt in that window is reported as a
# wild memory access (handle_edge_irq under identify_boot_cpu, before any
# module). With 4-level paging there is no such window.
export FLOWLANE_GUEST_APPEND=${FLOWLANE_GUEST_APPEND:-no5lvl slub_debug=A,nf_conntrack,flowlane_flow}
exec scripts/check.sh

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: install what is missing, build (the module, the tool and the
# traffic helper the demo sends with), DKMS-install for the guest kernel,
# boot the guest and run examples/demo.sh there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
kver=$(scripts/guest-kver.sh)
make -s all KDIR="/lib/modules/$kver/build"
make -s -C selftests helpers
scripts/dkms-install.sh "$kver"
echo "  GUEST   booting $kver (QEMU, software emulation: about 10 s; the demo about 2 minutes)"
exec selftests/guest.sh --kver "$kver" --timeout 600 -- examples/demo.sh

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Documentation/netlink/specs/flowlane.yaml, the uapi header and the
# kernel's op table agree (see spec.py).
source "$(dirname "$0")/../lib.sh"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is missing (make deps installs it)"
/usr/bin/python3 "$(dirname "$0")/spec.py" "$FL_TOP"

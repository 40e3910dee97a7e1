#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make static, as a host test: sparse, checkpatch, cppcheck.
exec "$(dirname "$0")/../../scripts/static-check.sh"

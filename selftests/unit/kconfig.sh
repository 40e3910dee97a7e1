#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every kernel the suite runs on (scripts/kernels.sh list) has what
# selftests/config and selftests/config.SERIES ask for: an option asked as
# =m may be built in (=y), one asked as =y must be. The kernel's own config
# is read from its headers (KVER's build directory).
source "$(dirname "$0")/../lib.sh"

kvers=$("$FL_TOP/scripts/kernels.sh" list) || { fail "scripts/kernels.sh list"; exit $ret; }
for kver in $kvers; do
	series=$(echo "$kver" | cut -d. -f1-2)
	config=$("$FL_TOP/scripts/kernels.sh" build "$kver")/.config
	[ -r "$config" ] || { fail "$kver: no $config"; continue; }
	frags="$FL_TOP/selftests/config"
	[ -e "$FL_TOP/selftests/config.$series" ] && frags+=" $FL_TOP/selftests/config.$series"
	missing=$(grep -h '^CONFIG_' $frags | while IFS='=' read -r opt want; do
		have=$(sed -n "s/^$opt=//p" "$config")
		case "$want:$have" in
		y:y|m:m|m:y) ;;
		*) echo "$opt=$want (has ${have:-nothing})" ;;
		esac
	done | xargs)
	check_eq "$kver has the options of $(cd "$FL_TOP" && echo ${frags//$FL_TOP\//})" "" "$missing"
done
exit $ret

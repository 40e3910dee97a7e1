#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# flowlane.8 renders without warnings and documents every verb of the
# tool's dispatch table; bash completion offers exactly those verbs and the
# keywords of each.
source "$(dirname "$0")/../lib.sh"
man8=$FL_TOP/Documentation/man/flowlane.8
comp=$FL_TOP/userspace/completion/flowlane.bash
need_cmd groff groff-base
[ -r /usr/share/bash-completion/bash_completion ] ||
	{ fail "no /usr/share/bash-completion/bash_completion: make deps installs it (Debian package bash-completion)"; exit 1; }

# The verbs, as the tool's own help lists them.
verbs=$("$FLOWLANE" help | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u | xargs)
check_match "help lists verbs" "status" "$verbs"

warnings=$(groff -man -ww -z "$man8" 2>&1)
check_eq "groff renders flowlane.8 (exit status)" 0 "$?"
check_eq "flowlane.8 renders without warnings" "" "$warnings"
for v in $verbs; do
	sed 's/\\-/-/g' "$man8" | grep -q "^\.B[I]* \"\?$v\( \|\"\|$\)" && pass "flowlane.8 documents '$v'" ||
		fail "flowlane.8 does not document '$v'"
done

# complete WORDS...: what completion offers after WORDS (the last may be partial).
complete_words() {
	bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_flowlane; printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$comp" "$@"
}
check_eq "completion offers every verb" "$verbs" \
	"$(complete_words flowlane "" | tr ' ' '\n' | grep -v '^-' | sort | xargs)"
check_eq "completion: dev" "add del list" "$(complete_words flowlane dev "")"
check_eq "completion: tag" "add del list set" "$(complete_words flowlane tag "")"
check_eq "completion: tag set NAME k" "" "$(complete_words flowlane tag set vm1 k)"
check_eq "completion: tag set NAME o" "offload" "$(complete_words flowlane tag set vm1 o)"
check_eq "completion: offload" "off on" "$(complete_words flowlane set offload "")"
check_eq "completion: flows" "addr family id proto tag" "$(complete_words flowlane flows "")"
check_eq "completion: proto" "gre tcp udp" "$(complete_words flowlane flows proto "")"
exit $ret

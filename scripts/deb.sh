#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb.sh: build flowlane's Debian packages (flowlane-dkms, flowlane) with
# dpkg-buildpackage into .build/deb/, then run lintian on them; exits 1 when
# lintian reports an error or a warning. dpkg-buildpackage writes its output
# next to the source tree, so the tree's files (git's view: tracked and new,
# not ignored) are copied to .build/deb/flowlane-VERSION and built there.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ver=$("$top/scripts/version.sh")
out=$top/.build/deb
src=$out/flowlane-$ver

for t in dpkg-buildpackage dh dh_dkms lintian; do
	command -v $t > /dev/null ||
		{ echo "$t not found: run 'make deps' (installs dpkg-dev, debhelper, dh-dkms, lintian)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$src"
cd "$top"
if git rev-parse --git-dir > /dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -cf - --null -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./.build . | tar -xf - -C "$src"
fi

echo "  DEB     dpkg-buildpackage -us -uc (source and binaries) in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc) > "$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	echo "dpkg-buildpackage failed: whole log in $out/build.log" >&2
	exit 1
fi
changes=$out/flowlane_${ver}_amd64.changes
ls "$out"/*.deb | sed 's/^/  DEB     /'

# --fail-on warning: a warning fails as an error does; -I and --pedantic
# show the informational and pedantic tags too, without failing on them.
# Overrides live in debian/*.lintian-overrides, each with its reason.
echo "  LINTIAN $changes"
lintian -I --pedantic --fail-on error,warning "$changes" | tee "$out/lintian.log"

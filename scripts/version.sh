#!/bin/sh
# Print flowlane's version, read from its one source: kmod/version.h.
sed -n 's/^#define FLOWLANE_VERSION "\(.*\)"$/\1/p' "$(dirname "$0")/../kmod/version.h"

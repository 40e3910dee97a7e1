#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# flowlane's metrics as the Prometheus ecosystem judges them: the output of
# `flowlane stats --prometheus` passes `promtool check metrics` without a
# word; the script flowlane-metrics.service runs (systemd/flowlane-write-metrics)
# writes it into a textfile directory, and Debian's prometheus-node-exporter
# serves exactly those samples on /metrics (scraped with curl, parsed with
# the Prometheus client library), per namespace and per tag; when the
# module is gone the script fails and removes the file rather than leave
# stale numbers, and leaves no temporary file either way.

source "$(dirname "$0")/lib.sh"
need_root
checktool "promtool --version" "Debian's prometheus package: promtool check metrics"
checktool "prometheus-node-exporter --version" "Debian's prometheus-node-exporter"
checktool "curl --version" "scrapes node_exporter"
checktool "/usr/bin/python3 -c 'import prometheus_client'" "parses the scraped page"

write=$FL_TOP/systemd/flowlane-write-metrics
tmp=$(mktemp -d /tmp/flmetrics.XXXXXX)
dir=$tmp/textfile
mkdir -p "$dir"
exporter=""
cleanup() {
	[ -n "$exporter" ] && kill "$exporter" 2>/dev/null && wait "$exporter" 2>/dev/null
	"$FLOWLANE" tag del web 2>/dev/null
	"$FLOWLANE" tag del batch 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

load_flowlane
"$FLOWLANE" tag add web id 10 threshold 20 || fail "tag add web"
"$FLOWLANE" tag add batch id 20 offload off || fail "tag add batch"

# promtool: no lint problem, no parse error, nothing printed at all.
"$FLOWLANE" stats --prometheus > "$tmp/stats.prom"
out=$(promtool check metrics < "$tmp/stats.prom" 2>&1)
check_eq "promtool check metrics: exit 0, nothing to say" "0:" "$?:$out"

# The service's script: the file appears whole, no temporary file stays.
FLOWLANE_METRICS_DIR=$dir FLOWLANE=$FLOWLANE "$write"
check_eq "write-metrics exits 0" 0 $?
check_eq "the textfile directory holds flowlane.prom alone" "flowlane.prom" "$(ls -A "$dir")"
# (Through a file: the guest has no /dev/fd for <(...).)
"$FLOWLANE" stats --prometheus > "$tmp/again.prom"
check_eq "flowlane.prom is what stats --prometheus prints ($(grep -vc '^#' "$tmp/again.prom") samples)" "" \
	"$(diff "$tmp/again.prom" "$dir/flowlane.prom" 2>&1)"
check_eq "flowlane.prom is readable by node_exporter's user (0644)" 644 "$(stat -c %a "$dir/flowlane.prom")"

# node_exporter serves them: only its textfile collector, on loopback.
port=19100
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
	--collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$dir" > "$tmp/exporter.log" 2>&1 &
exporter=$!
scrape() { curl -sf "http://127.0.0.1:$port/metrics" > "$tmp/scrape" 2>/dev/null; }
wait_for 30 scrape || { fail "node_exporter did not answer on :$port; its log:"; cat "$tmp/exporter.log"; exit $ret; }

# Every flowlane sample of the file, and only those, served with its value;
# the textfile collector reports no error.
samples() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name.startswith("flowlane_") or s.name == "node_textfile_scrape_error":
            labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
            print("%s{%s} %s %s" % (s.name, labels, s.value, fam.type))
PY
}
samples "$tmp/stats.prom" | sort > "$tmp/want"
echo "node_textfile_scrape_error{} 0.0 gauge" >> "$tmp/want"
sort -o "$tmp/want" "$tmp/want"
samples "$tmp/scrape" | sort > "$tmp/got"
check_eq "node_exporter serves the file's $(wc -l < "$tmp/want") samples exactly (names, labels, values, types)" "" \
	"$(diff "$tmp/want" "$tmp/got")"
check_eq "per namespace and per tag: flows of the namespace, of tag web, of tag batch" \
	"flowlane_flows{} 0.0 gauge
flowlane_tag_flows{tag=batch,tag_id=20} 0.0 gauge
flowlane_tag_flows{tag=web,tag_id=10} 0.0 gauge" \
	"$(grep -E '^flowlane_(tag_)?flows\{' "$tmp/got")"

# Without the module the script fails, says why, and removes the old file.
"$FLOWLANE" tag del web; "$FLOWLANE" tag del batch
unload_flowlane
out=$(FLOWLANE_METRICS_DIR=$dir FLOWLANE=$FLOWLANE "$write" 2>&1)
check_eq "write-metrics without the module: exit 1 and the tool's message" \
	"1:flowlane: the flowlane kernel module is not loaded: run 'modprobe flowlane' as root" "$?:$out"
check_eq "no stale flowlane.prom, no temporary file" "" "$(ls -A "$dir")"
out=$(FLOWLANE_METRICS_DIR=$tmp/nodir FLOWLANE=$FLOWLANE "$write" 2>&1)
check_eq "write-metrics without the directory: exit 1, says what to do" \
	"1:flowlane: no directory $tmp/nodir for node_exporter's textfile collector: install prometheus-node-exporter or set FLOWLANE_METRICS_DIR in /etc/default/flowlane" \
	"$?:$out"
load_flowlane
exit $ret

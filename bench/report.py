#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's runs (JSON lines) into results.json, table.md and the
data files bench/plots.gp draws.

    bench/report.py --runs RUNS.jsonl --out DIR [--meta KEY=VALUE]...

Per scenario, case (flow count, offloads, workload, VM count) and variant:
the median, min, max and quartiles of the runs' figures; each variant's
median over the median of `classic` and of `stock`; and, because runs are
interleaved, the same ratio taken run by run inside each repetition
(paired), whose min-max says how far one repetition can move it. A
scenario's figure may be better higher (rates) or lower (latencies): the
ratios are of the figures as they are, and the table says which way is
better. Standard library only.
"""
import argparse
import json
import os
import statistics
import sys

VARIANTS = ["none", "classic", "classic-acct", "stock", "stock-counter", "stock-n20", "flowlane-0",
            "flowlane-20"]
BASES = ["classic", "stock"]
SCENARIOS = ["pps", "tcp", "latency", "conn", "table", "scale"]
TITLES = {
    "pps": "pps: 64-byte UDP through the router (kernel pktgen), by flow count",
    "tcp": "bulk TCP: iperf3, parallel streams to the VM's public address, veth offloads on and off",
    "latency": "latency: pgbench -S -c 1 (ms per transaction) and sockperf TCP ping-pong (us, half the round trip), client to the VM through 1:1 NAT",
    "conn": "short flows: new connections per second (wrk, Connection: close, to nginx in the VM), default and with a small nf_conntrack_max",
    "table": "table: pps with N flows held in the router's tables (cap: 10,000 flows, the tag capped at 1,000 in flowlane's variants)",
    "scale": "scale: the pps scenario (1 flow) with N VMs configured through flowlane apply",
}
SHORT = {
    "pps": "pps, 64-byte UDP", "tcp": "bulk TCP, iperf3 x 8 streams",
    "latency": "latency (pgbench ms, sockperf us)", "conn": "new connections per second",
    "table": "pps with N flows held",
    "scale": "pps with N VMs (flowlane apply)",
}
# What the issues ask: (scenario, case or None for every case, variant,
# base, at least).
TARGETS = [("pps", None, "flowlane-0", "stock", 0.97),
           ("pps", None, "flowlane-0", "classic", 1.3),
           ("pps", None, "flowlane-20", "stock", 0.97),
           ("pps", None, "flowlane-20", "classic", 1.3),
           ("conn", "default", "flowlane-20", "classic", 0.98)]


def normalize(r):
    """Runs of the first version (pps only) have flows and pps, not case
    and value."""
    if "value" not in r:
        r["value"] = r.get("pps", 0)
        r["unit"], r["better"] = "pps", "higher"
    if "case" not in r:
        r["case"] = str(r.get("flows", ""))
    if r.get("slab_bytes") and r.get("flowlane_flows"):
        r["slab_per_flow"] = r["slab_bytes"] / r["flowlane_flows"]
    return r


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def case_key(c, first):
    """Cases in a natural order: numbers by value, the rest as they first
    ran (FIRST: case -> index of its first run)."""
    return (0, int(c)) if c.isdigit() else (1, first.get(c, 0))


def med(rs, key):
    xs = [r[key] for r in rs if isinstance(r.get(key), (int, float))]
    return statistics.median(xs) if xs else None


def summarize(runs):
    """{(scenario, case): {variant: stats}} over the error-free runs, in
    the scenarios' order."""
    groups, first = {}, {}
    for i, r in enumerate(runs):
        first.setdefault(r["case"], i)
        if r.get("error"):
            continue
        groups.setdefault((r["scenario"], r["case"]), {}).setdefault(
            r["variant"], []).append(r)
    keys = sorted(groups, key=lambda k: (SCENARIOS.index(k[0]) if k[0] in SCENARIOS
                                         else len(SCENARIOS), k[0], case_key(k[1], first)))
    out = {}
    for key in keys:
        byv = groups[key]
        stats = {}
        for v, rs in byv.items():
            xs = sorted(r["value"] for r in rs)
            q1, q3 = quartiles(xs)
            s = {
                "runs": len(xs), "median": statistics.median(xs),
                "min": xs[0], "max": xs[-1], "q1": q1, "q3": q3,
                "unit": rs[0].get("unit", ""), "better": rs[0].get("better", "higher"),
                "offloaded_flows": med(rs, "offloaded_flows"),
                "offloaded_mid": med(rs, "offloaded_mid"),
                "fastpath_packets": med(rs, "fastpath_packets"),
                "offloads": med(rs, "offloads"),
                "ct_entries": med(rs, "ct_entries"),
                "by_rep": {r["rep"]: r["value"] for r in rs},
            }
            sent = sum(r.get("sent_total", 0) for r in rs)
            if sent:
                s["delivered"] = sum(r.get("rx_total", 0) for r in rs) / sent
            for k in ("tps", "p50_us", "p99_us", "apply_s", "fill_s", "slab_per_flow",
                      "sweep_slice_max_ns", "dump_us", "dump_lines", "churn_dump_us",
                      "churn_dump_lines", "churn_per_s", "churn_sweep_slice_max_ns",
                      "ct_dump_us", "ct_dump_lines"):
                if any(k in r for r in rs):
                    s[k] = med(rs, k)
            traced = [r["sweep_trace_longest"].split() for r in rs
                      if len(r.get("sweep_trace_longest", "").split()) == 2]
            if traced:  # bench/run.sh --trace-sweep: the longest of the runs
                fn, us = max(traced, key=lambda t: float(t[1]))
                s["sweep_trace_longest"] = f"{fn} {float(us) / 1000:.1f} ms"
            elif any("sweep_trace_longest" in r for r in rs):
                s["sweep_trace_longest"] = "none over 1 ms"
            if any("socket_errors" in r for r in rs):
                s["socket_errors"] = statistics.median(
                    sum(r.get("socket_errors", {}).values()) for r in rs)
            stats[v] = s
        for v, s in stats.items():
            for b in BASES:
                if b not in stats or not stats[b]["median"]:
                    continue
                s["over_" + b] = s["median"] / stats[b]["median"]
                paired = [s["by_rep"][k] / stats[b]["by_rep"][k]
                          for k in s["by_rep"]
                          if stats[b]["by_rep"].get(k)]
                if paired:
                    s["paired_over_" + b] = {
                        "median": statistics.median(paired),
                        "min": min(paired), "max": max(paired)}
        for s in stats.values():
            del s["by_rep"]
        out[key] = stats
    return out


def order(stats):
    return [v for v in VARIANTS if v in stats] + sorted(set(stats) - set(VARIANTS))


def fmt(x, unit):
    """A figure in the table's unit: pps as kpps, the rest with 3
    significant digits or whole numbers."""
    if unit == "pps":
        return f"{x / 1000:.1f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def shown_unit(unit):
    return "kpps" if unit == "pps" else unit


def ratio(s, b):
    r = s.get("over_" + b)
    if r is None:
        return "-"
    p = s.get("paired_over_" + b)
    if p:
        return f"{r:.2f} ({p['min']:.2f}-{p['max']:.2f})"
    return f"{r:.2f}"


def num(x):
    return "-" if x is None else f"{x:g}"


def evidence(scen, s):
    """The column that shows the variant did what it says."""
    e = [f"offl. {num(s['offloaded_mid'] if s['offloaded_mid'] is not None else s['offloaded_flows'])}"]
    if s.get("fastpath_packets"):
        e.append(f"fast pkts {s['fastpath_packets']:g}")
    if s.get("offloads"):
        e.append(f"offloads {s['offloads']:g}")
    if "delivered" in s:
        e.append(f"deliv. {100 * s['delivered']:.2f} %")
    if s.get("tps") is not None:
        e.append(f"tps {s['tps']:.0f}")
    if s.get("p99_us") is not None:
        e.append(f"p99 {s['p99_us']:g} us")
    if s.get("socket_errors"):
        e.append(f"sock. err. {s['socket_errors']:g}")
    if s.get("apply_s") is not None:
        e.append(f"apply {s['apply_s']:g} s")
    if s.get("slab_per_flow") is not None:
        e.append(f"slab {s['slab_per_flow']:.0f} B/flow")
    if s.get("sweep_slice_max_ns") is not None:
        e.append(f"sweep slice max {s['sweep_slice_max_ns'] / 1000:.0f} us")
    if s.get("sweep_trace_longest") is not None:
        e.append(f"longest traced in the sweep {s['sweep_trace_longest']}")
    if s.get("dump_us") is not None:
        e.append(f"dump {s['dump_us'] / 1e6:.2f} s ({num(s.get('dump_lines'))} lines)")
    if s.get("ct_dump_us") is not None:
        e.append(f"conntrack -L {s['ct_dump_us'] / 1e6:.2f} s ({num(s.get('ct_dump_lines'))} lines)")
    if s.get("churn_dump_us") is not None:
        e.append(f"under churn {s['churn_dump_us'] / 1e6:.2f} s ({num(s.get('churn_dump_lines'))} lines, "
                 f"{num(s.get('churn_per_s'))} offloads/s)")
    return ", ".join(e)


def scenario_table(scen, items):
    L = [f"### {TITLES.get(scen, scen)}", ""]
    units = {s["unit"] for _, st in items for s in st.values()}
    betters = {s["better"] for _, st in items for s in st.values()}
    if "lower" in betters:
        L.append("Lower is better here: a ratio below 1 is faster than the base.")
        L.append("")
    unit = shown_unit(units.pop()) if len(units) == 1 else "(see case)"
    L.append(f"| case | variant | runs | median {unit} | min-max | IQR "
             "| / classic | / stock | evidence (medians) |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for (_, case), stats in items:
        for v in order(stats):
            s = stats[v]
            u = s["unit"]
            c = case if len(units) <= 1 and unit != "(see case)" else f"{case} ({shown_unit(u)})"
            L.append(
                f"| {c} | {v} | {s['runs']} | **{fmt(s['median'], u)}** "
                f"| {fmt(s['min'], u)}-{fmt(s['max'], u)} "
                f"| {fmt(s['q1'], u)}-{fmt(s['q3'], u)} "
                f"| {ratio(s, 'classic')} | {ratio(s, 'stock')} | {evidence(scen, s)} |")
    L.append("")
    return L


def table_targets(summary):
    """Issue 15's targets in the table scenario, rows as table() writes
    them: pps with the most flows over pps with the fewest (each variant of
    flowlane's: >= 0.95), each dump against ten times fewer flows, with
    and without churn (<= 11 x), the churn reached during the dumps
    (>= 10,000 offloads a second), flowlane's records (<= 128 B per flow),
    the longest sweep slice (<= 1 ms), and the cap case's pps against
    classic (>= 0.95)."""
    cases = sorted((int(c), st) for (sc, c), st in summary.items()
                   if sc == "table" and c.isdigit())
    rows = []
    for v in VARIANTS:
        if not v.startswith("flowlane"):
            continue
        have = [(n, st[v]) for n, st in cases if v in st]
        if len(have) >= 2 and have[0][1]["median"]:
            (n0, s0), (n1, s1) = have[0], have[-1]
            r = s1["median"] / s0["median"]
            rows.append(f"| table: {v} pps at {n1} / at {n0} flows >= 0.95 | {n1} | {r:.3f} "
                        f"| {'yes' if r >= 0.95 else 'NO'} |")
        for key, what in (("dump_us", ""), ("churn_dump_us", " under churn")):
            dumps = {n: s[key] for n, s in have if s.get(key)}
            for n, t in dumps.items():
                if n * 10 in dumps:
                    r = dumps[n * 10] / t
                    rows.append(f"| table: {v} dump of {n * 10} / of {n} flows{what} <= 11 | {n * 10} "
                                f"| {r:.2f} | {'yes' if r <= 11 else 'NO'} |")
        ct = {n: s["ct_dump_us"] for n, s in have if s.get("ct_dump_us")}
        for n, t in ct.items():  # the machine's own growth: no target
            if n * 10 in ct:
                rows.append(f"| table: {v} runs, conntrack -L of {n * 10} / of {n} entries (reference) | {n * 10} "
                            f"| {ct[n * 10] / t:.2f} | - |")
        churn = [s["churn_per_s"] for _, s in have if s.get("churn_per_s") is not None]
        if churn:
            rows.append(f"| table: {v} churn during the dumps >= 10000 flows/s | all | {min(churn):.0f} "
                        f"| {'yes' if min(churn) >= 10000 else 'NO'} |")
        if have and have[-1][1].get("slab_per_flow") is not None:
            n, s = have[-1]
            rows.append(f"| table: {v} slab bytes per flow <= 128 | {n} | {s['slab_per_flow']:.1f} "
                        f"| {'yes' if s['slab_per_flow'] <= 128 else 'NO'} |")
        slices = [s[k] for _, s in have for k in ("sweep_slice_max_ns", "churn_sweep_slice_max_ns")
                  if s.get(k) is not None]
        if slices:
            rows.append(f"| table: {v} longest sweep slice <= 1 ms | all | {max(slices) / 1e6:.3f} ms "
                        f"| {'yes' if max(slices) <= 1e6 else 'NO'} |")
        cap = summary.get(("table", "cap"), {})
        if v in cap and cap[v].get("over_classic") is not None:
            r = cap[v]["over_classic"]
            rows.append(f"| table: {v} / classic with most flows refused >= 0.95 | cap | {r:.3f} "
                        f"| {'yes' if r >= 0.95 else 'NO'} |")
    return rows


def table(summary, meta, runs):
    L = []
    errors = [r for r in runs if r.get("error")]
    byscen = {}
    for k, st in summary.items():
        byscen.setdefault(k[0], []).append((k, st))
    for scen, items in byscen.items():
        L += scenario_table(scen, items)
    L.append("Ratios are medians over medians; in brackets the range of the same "
             "ratio taken run by run within each repetition (paired runs). "
             "Evidence: `offl.` conntrack entries in a flowtable (at the end of a "
             "pps or scale run, halfway through the others), `fast pkts` and "
             "`offloads` flowlane's own counters over the run.")
    L.append("")
    rows = []
    for scen, case, v, b, want in TARGETS:
        for (sc, c), stats in summary.items():
            if sc != scen or (case is not None and c != case):
                continue
            r = stats.get(v, {}).get("over_" + b)
            if r is None:
                continue
            rows.append(f"| {scen}: {v} / {b} >= {want} | {c} | {r:.3f} "
                        f"| {'yes' if r >= want else 'NO'} |")
    rows += table_targets(summary)
    if rows:
        L.append("| target (issues 3, 6 and 15) | case | measured | met |")
        L.append("|---|---:|---:|---|")
        L += rows
        L.append("")
    if errors:
        L.append("Failed runs:")
        L.append("")
        for r in errors:
            L.append(f"- {r['scenario']} {r['case']} {r['variant']} rep {r['rep']}: {r['error']}")
        L.append("")
    wall = int(meta.get("wall_s", 0))
    L.append(f"Runs: {len(runs)}, failed: {len(errors)}. "
             f"Host load average (1, 5, 15 min) at start {meta.get('host_load_start', '?')}, "
             f"at end {meta.get('host_load_end', '?')}. "
             f"Wall time {wall // 60} min {wall % 60} s"
             + (f" (expected {int(meta['expected_s']) // 60} min)." if "expected_s" in meta else "."))
    L.append("")
    for k in ("date", "host", "host_kernel", "guest", "guest_kernel", "flowlane",
              "commit", "command"):
        if k in meta:
            L.append(f"- {k}: {meta[k]}")
    return "\n".join(L) + "\n"


def write_plot_data(summary, runs, d):
    """Per scenario S: S-ratios.dat: variant, then median ratio over
    classic and over stock for each case; S-runs.dat: one line per run (x
    position, figure, variant), one block per case for gnuplot's index;
    S-medians.dat: the same positions with medians; S-labels.gp: the
    variables bench/plots.gp needs."""
    for scen in {k[0] for k in summary}:
        keys = [k for k in summary if k[0] == scen]
        variants = [v for v in VARIANTS if any(v in summary[k] for k in keys)]
        variants += sorted({v for k in keys for v in summary[k]} - set(variants))
        some = next(iter(summary[keys[0]].values()))
        unit, better = some["unit"], some["better"]
        scale = 1000 if unit == "pps" else 1
        with open(os.path.join(d, f"{scen}-ratios.dat"), "w") as f:
            f.write("# variant " + " ".join(
                f"classic_{k[1]} stock_{k[1]}" for k in keys) + "\n")
            for v in variants:
                cols = []
                for k in keys:
                    s = summary[k].get(v, {})
                    # 0, not NaN: gnuplot refuses a histogram column
                    # with no valid point (a case whose runs all failed).
                    cols += [f"{s.get('over_classic', 0):.4f}",
                             f"{s.get('over_stock', 0):.4f}"]
                f.write(f"{v} " + " ".join(cols) + "\n")
        n = len(keys)
        with open(os.path.join(d, f"{scen}-runs.dat"), "w") as f, \
                open(os.path.join(d, f"{scen}-medians.dat"), "w") as m:
            for i, k in enumerate(keys):
                f.write(f"# case {k[1]}\n")
                m.write(f"# case {k[1]}\n")
                off = (i - (n - 1) / 2) * (0.6 / max(n, 1)) if n > 1 else 0
                for x, v in enumerate(variants):
                    for r in runs:
                        if (not r.get("error") and r["scenario"] == scen
                                and r["case"] == k[1] and r["variant"] == v):
                            f.write(f"{x + off:.2f} {r['value'] / scale:.4g} {v}\n")
                    s = summary[k].get(v)
                    if s:
                        m.write(f"{x + off:.2f} {s['median'] / scale:.4g} {v}\n")
                f.write("\n\n")
                m.write("\n\n")
        with open(os.path.join(d, f"{scen}-labels.gp"), "w") as f:
            f.write("set xtics (" + ", ".join(
                f'"{v}" {x}' for x, v in enumerate(variants)) + ")\n")
            f.write(f"nvariants = {len(variants)}\n")
            f.write(f"ncases = {n}\n")
            for b in BASES:
                have = any(b in summary[k] for k in keys)
                f.write(f"have_{b} = {int(have)}\n")
            f.write("cases = \"" + " ".join(k[1] for k in keys) + "\"\n")
            f.write(f"unit = \"{shown_unit(unit) if len({s['unit'] for k in keys for s in summary[k].values()}) == 1 else 'unit of the case'}\"\n")
            f.write(f"better = \"{better}\"\n")
            f.write(f"scen_title = \"{SHORT.get(scen, scen)}\"\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    runs = []
    with open(a.runs) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                runs.append(normalize(json.loads(line)))
            except json.JSONDecodeError as e:
                print(f"report.py: {a.runs}:{n}: not JSON ({e}); skipped", file=sys.stderr)
    meta = dict(m.split("=", 1) for m in a.meta)
    summary = summarize(runs)
    doc = {
        "meta": meta,
        "summary": [dict(scenario=k[0], case=k[1], variant=v, **s)
                    for k, st in summary.items() for v, s in st.items()],
        "runs": runs,
    }
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table(summary, meta, runs))
    write_plot_data(summary, runs, a.out)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's runs (JSON lines) into results.json, table.md and the
data files bench/plots.gp draws.

    bench/report.py --runs RUNS.jsonl --out DIR [--meta KEY=VALUE]...

Per scenario, flow count and variant: the median, min, max and quartiles
of the runs' rates; each variant's median over the median of `classic` and
of `stock`; and, because runs are interleaved, the same ratio taken run by
run inside each repetition (paired), whose min-max says how far one
repetition can move it. Standard library only.
"""
import argparse
import json
import os
import statistics
import sys

VARIANTS = ["none", "classic", "stock", "stock-counter", "stock-n20", "flowlane-0", "flowlane-20"]
BASES = ["classic", "stock"]
# What the issues ask of the pps figures: (variant, base, at least).
TARGETS = [("flowlane-0", "stock", 0.97), ("flowlane-0", "classic", 1.3),
           ("flowlane-20", "stock", 0.97), ("flowlane-20", "classic", 1.3)]


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def summarize(runs):
    """{(scenario, flows): {variant: stats}} over the error-free runs."""
    groups = {}
    for r in runs:
        if r.get("error"):
            continue
        groups.setdefault((r["scenario"], r["flows"]), {}).setdefault(
            r["variant"], []).append(r)
    out = {}
    for key, byv in sorted(groups.items()):
        stats = {}
        for v, rs in byv.items():
            xs = sorted(r["pps"] for r in rs)
            q1, q3 = quartiles(xs)
            sent = sum(r["sent_total"] for r in rs)
            rx = sum(r["rx_total"] for r in rs)
            stats[v] = {
                "runs": len(xs), "median": statistics.median(xs),
                "min": xs[0], "max": xs[-1], "q1": q1, "q3": q3,
                "delivered": rx / sent if sent else 0.0,
                "offloaded_flows": statistics.median(r["offloaded_flows"] for r in rs),
                "ct_entries": statistics.median(r["ct_entries"] for r in rs),
                "by_rep": {r["rep"]: r["pps"] for r in rs},
            }
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


def kpps(x):
    return f"{x / 1000:.1f}"


def ratio(s, b):
    r = s.get("over_" + b)
    if r is None:
        return "-"
    p = s.get("paired_over_" + b)
    if p:
        return f"{r:.2f} ({p['min']:.2f}-{p['max']:.2f})"
    return f"{r:.2f}"


def table(summary, meta, runs):
    L = []
    errors = [r for r in runs if r.get("error")]
    L.append("| flows | variant | runs | median kpps | min-max kpps | IQR kpps "
             "| / classic | / stock | delivered | offloaded flows |")
    L.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (scen, flows), stats in summary.items():
        for v in order(stats):
            s = stats[v]
            L.append(
                f"| {flows} | {v} | {s['runs']} | **{kpps(s['median'])}** "
                f"| {kpps(s['min'])}-{kpps(s['max'])} "
                f"| {kpps(s['q1'])}-{kpps(s['q3'])} "
                f"| {ratio(s, 'classic')} | {ratio(s, 'stock')} "
                f"| {100 * s['delivered']:.2f} % | {s['offloaded_flows']:g} |")
    L.append("")
    L.append("Ratios are medians over medians; in brackets the range of the same "
             "ratio taken run by run within each repetition (paired runs).")
    L.append("")
    L.append("| target (issue 3) | flows | measured | met |")
    L.append("|---|---:|---:|---|")
    for v, b, want in TARGETS:
        for (scen, flows), stats in summary.items():
            s = stats.get(v, {})
            r = s.get("over_" + b)
            if r is None:
                continue
            L.append(f"| {v} / {b} >= {want} | {flows} | {r:.3f} "
                     f"| {'yes' if r >= want else 'NO'} |")
    L.append("")
    L.append(f"Runs: {len(runs)}, failed: {len(errors)}. "
             f"Host load average (1, 5, 15 min) at start {meta.get('host_load_start', '?')}, "
             f"at end {meta.get('host_load_end', '?')}. "
             f"Wall time {int(meta.get('wall_s', 0)) // 60} min {int(meta.get('wall_s', 0)) % 60} s.")
    L.append("")
    for k in ("date", "host", "host_kernel", "guest", "guest_kernel", "flowlane",
              "commit", "command"):
        if k in meta:
            L.append(f"- {k}: {meta[k]}")
    return "\n".join(L) + "\n"


def write_plot_data(summary, runs, d):
    """pps-ratios.dat: variant, then median ratio over classic and over
    stock for each flow count; pps-runs.dat: one line per run (x position,
    kpps, flows), blank-line separated blocks per flow count for gnuplot's
    index; pps-medians.dat: the same positions with medians."""
    keys = [k for k in summary if k[0] == "pps"]
    variants = [v for v in VARIANTS if any(v in summary[k] for k in keys)]
    with open(os.path.join(d, "pps-ratios.dat"), "w") as f:
        f.write("# variant " + " ".join(
            f"classic_{k[1]} stock_{k[1]}" for k in keys) + "\n")
        for v in variants:
            cols = []
            for k in keys:
                s = summary[k].get(v, {})
                cols += [f"{s.get('over_classic', float('nan')):.4f}",
                         f"{s.get('over_stock', float('nan')):.4f}"]
            f.write(f"{v} " + " ".join(cols) + "\n")
    with open(os.path.join(d, "pps-runs.dat"), "w") as f, \
            open(os.path.join(d, "pps-medians.dat"), "w") as m:
        for i, k in enumerate(keys):
            f.write(f"# flows {k[1]}\n")
            m.write(f"# flows {k[1]}\n")
            off = -0.15 if i == 0 else 0.15
            for x, v in enumerate(variants):
                for r in runs:
                    if (not r.get("error") and r["scenario"] == "pps"
                            and r["flows"] == k[1] and r["variant"] == v):
                        f.write(f"{x + off:.2f} {r['pps'] / 1000:.2f} {v}\n")
                s = summary[k].get(v)
                if s:
                    m.write(f"{x + off:.2f} {s['median'] / 1000:.2f} {v}\n")
            f.write("\n\n")
            m.write("\n\n")
    with open(os.path.join(d, "plot-labels.gp"), "w") as f:
        f.write("set xtics (" + ", ".join(
            f'"{v}" {x}' for x, v in enumerate(variants)) + ")\n")
        f.write(f"nvariants = {len(variants)}\n")
        for b in BASES:
            have = any(b in summary[k] for k in keys)
            f.write(f"have_{b} = {int(have)}\n")
        f.write("flows_labels = \"" + " ".join(str(k[1]) for k in keys) + "\"\n")


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
                runs.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"report.py: {a.runs}:{n}: not JSON ({e}); skipped", file=sys.stderr)
    meta = dict(m.split("=", 1) for m in a.meta)
    summary = summarize(runs)
    doc = {
        "meta": meta,
        "summary": [dict(scenario=k[0], flows=k[1], variant=v, **s)
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

#!/usr/bin/env python3
"""Medians and ratios from criterion's results, as Markdown tables.

    python3 benches/table.py [TARGET_DIR]           # default: target
    python3 benches/table.py [TARGET_DIR] --sweep   # one table per size sweep
    python3 benches/table.py --runs LOG             # repeated runs, see below

`--runs LOG` reads the standard output of several `cargo bench` runs
appended to one file and prints, for each bench, the median of the runs'
medians and, for each group, the median of the per-run ratios to `ours`:

    for i in 1 2 3 4 5; do
      cargo bench -p sealed-session-benches --bench sessions -- 'typical_(seal|open)/'
    done > runs.log
    python3 benches/table.py --runs runs.log

Reads TARGET_DIR/criterion/<group>/<bench>/new/estimates.json, written by
`cargo bench -p sealed-session-benches` (`--bench sessions`, `--bench
primitives`). Each row gives the
median and its ratio to `ours` in the same group (and to `floor`).
"""

import json
import os
import sys


def median_ns(path):
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    if ns >= 1_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns:.0f} ns"


def collect(root):
    """{group: {bench: median_ns}}, with parameterised benches flattened to
    `group/param` groups so that ours, floor and peers share a table."""
    groups = {}
    for dirpath, _dirs, files in os.walk(root):
        if "estimates.json" not in files or not dirpath.endswith(os.sep + "new"):
            continue
        rel = os.path.relpath(os.path.dirname(dirpath), root).split(os.sep)
        if rel[0] == "report" or "report" in rel:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            meta = json.load(f)
        group = meta["group_id"]
        function = meta.get("function_id")
        value = meta.get("value_str")
        if function and value:
            group, bench = f"{group}/{value}", function
        else:
            bench = function or value
        groups.setdefault(group, {})[bench] = median_ns(
            os.path.join(dirpath, "estimates.json")
        )
    return groups


PEERS = ["cookie_private_json", "branca", "pasetors_v4_local", "fernet"]


def sweep(groups):
    for op in ("bytes_seal", "bytes_open"):
        sizes = sorted(
            int(g.split("/")[1]) for g in groups if g.startswith(op + "/")
        )
        if not sizes:
            continue
        print(f"\n#### {op}: medians, and ours ÷ each\n")
        print("| payload | ours | floor | " + " | ".join(PEERS) + " |")
        print("|---:|---:|---:|" + "---:|" * len(PEERS))
        for n in sizes:
            rows = groups[f"{op}/{n}"]
            ours = rows["ours"]
            cells = [fmt(ours)]
            for bench in ["floor"] + PEERS:
                ns = rows.get(bench)
                cells.append(f"{fmt(ns)} ({ours / ns:.2f})" if ns else "–")
            print(f"| {n} B | " + " | ".join(cells) + " |")


UNITS = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def runs(path):
    import re
    import statistics

    text = open(path).read()
    found = {}
    pattern = r"(\S+/\S+)\s+time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]"
    for name, value, unit in re.findall(pattern, text):
        found.setdefault(name, []).append(float(value) * UNITS[unit])
    groups = {}
    for name, values in found.items():
        group, _, bench = name.rpartition("/")
        groups.setdefault(group, {})[bench] = values
    for group in sorted(groups):
        rows = groups[group]
        ours = rows.get("ours")
        count = len(ours) if ours else 0
        print(f"\n#### {group} ({count} runs)\n")
        print("| bench | median of medians | ours ÷ this, median | per run |")
        print("|---|---:|---:|---|")
        for bench in ["ours", "floor"] + sorted(set(rows) - {"ours", "floor"}):
            values = rows.get(bench)
            if not values:
                continue
            ratios = [o / v for o, v in zip(ours or [], values)]
            per_run = ", ".join(f"{r:.2f}" for r in ratios)
            median_ratio = f"{statistics.median(ratios):.2f}" if ratios else "–"
            print(
                f"| {bench} | {fmt(statistics.median(values))} | {median_ratio} | {per_run} |"
            )


def main():
    if "--runs" in sys.argv:
        runs(sys.argv[sys.argv.index("--runs") + 1])
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = args[0] if args else "target"
    root = os.path.join(target, "criterion")
    groups = collect(root)
    if "--sweep" in sys.argv:
        sweep(groups)
        return

    def key(group):
        head, _, tail = group.partition("/")
        return (head, int(tail) if tail.isdigit() else 0, tail)

    for group in sorted(groups, key=key):
        rows = groups[group]
        base = rows.get("ours")
        floor = rows.get("floor")
        print(f"\n#### {group}\n")
        if base is None:
            first = min(rows.values())
            print("| bench | median | ratio to fastest |")
            print("|---|---:|---:|")
            for bench, ns in sorted(rows.items(), key=lambda kv: kv[1]):
                print(f"| {bench} | {fmt(ns)} | {ns / first:.2f} |")
            continue
        print("| bench | median | ours ÷ this | this ÷ floor |")
        print("|---|---:|---:|---:|")
        order = ["ours", "floor"] + sorted(set(rows) - {"ours", "floor"})
        for bench in order:
            if bench not in rows:
                continue
            ns = rows[bench]
            vs_floor = f"{ns / floor:.2f}" if floor else "–"
            print(f"| {bench} | {fmt(ns)} | {base / ns:.2f} | {vs_floor} |")


if __name__ == "__main__":
    main()

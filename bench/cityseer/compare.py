"""Compares cityseer's nearest distances and circle counts with livingcircle's, and tabulates times.

Reads a directory written by bench/cityseer/run.sh:

    lc_node_access.csv, lc_node_counts.csv    livingcircle access --snap node (--out, --counts)
    lc_edge_access.csv, lc_edge_counts.csv    livingcircle access --snap edge
    cs_access.csv, cs_counts.csv              cityseer_bench.py
    run1/ .. runR/                            per round: measure.py JSON of each process, both
                                              tools' own summaries, uptime before and after

Times are the medians over the rounds (the rounds alternate the tools). Agreement is on the
nearest facility of each community and category (cityseer reports only the nearest distance)
and on the counts within each circle. Reading the long format and the number formatting are
shared with bench/pandana/compare.py.

    bench/.venv/bin/python bench/cityseer/compare.py --dir bench/work/city-100000/cityseer-bent \
        --label "100,000 nodes" --out-md bench/work/cityseer-result-100000-bent.md
"""

import argparse
import csv
import glob
import importlib.util
import os
import statistics

_spec = importlib.util.spec_from_file_location(
    "pandana_compare", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pandana", "compare.py")
)
shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shared)
fmt_s, fmt_mib, ratio, load, read_long = shared.fmt_s, shared.fmt_mib, shared.ratio, shared.load, shared.read_long

TOOLS = ("lc_node", "lc_edge", "cs")


def read_counts(path):
    """(community, category) -> {radius: count}."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[(row["community_id"], row["category"])] = {
                int(k[len("within_"):]): int(v) for k, v in row.items() if k.startswith("within_")
            }
    return out


def nearest_agreement(lc, cs, dmax):
    """Rank-1 distances of livingcircle (lc) against cityseer (cs)."""
    res = {"both": 0, "only_lc": [], "only_cs": [], "within_1m": 0, "within_5pct": 0, "diffs": []}
    for key in sorted(set(lc) | set(cs)):
        a, b = lc.get(key), cs.get(key)
        if a and b:
            d_lc, d_cs = a[0][1], b[0][1]
            res["both"] += 1
            diff = d_cs - d_lc
            res["within_1m"] += abs(diff) <= 1.0
            res["within_5pct"] += abs(diff) <= 0.05 * max(d_lc, 1.0)
            res["diffs"].append((abs(diff), diff, key, a[0], d_cs))
        elif a:
            res["only_lc"].append((key, a[0]))
        elif b:
            res["only_cs"].append((key, b[0]))
    res["diffs"].sort(reverse=True)
    res["borderline"] = sum(abs(x[1][1] - dmax) <= 5.0 for x in res["only_lc"] + res["only_cs"])
    return res


def counts_agreement(lc, cs):
    radii = sorted({r for v in list(lc.values())[:1] for r in v})
    equal = {r: 0 for r in radii}
    examples = []
    keys = sorted(set(lc) | set(cs))
    for key in keys:
        a, b = lc.get(key, {}), cs.get(key, {})
        for r in radii:
            same = a.get(r, 0) == b.get(r, 0)
            equal[r] += same
            if not same and len(examples) < 5:
                examples.append(f"{key} within {r} m: livingcircle {a.get(r, 0)}, cityseer {b.get(r, 0)}")
    return keys, radii, equal, examples


def median_of(runs, f):
    vals = [f(r) for r in runs]
    vals = [v for v in vals if v is not None]
    return (statistics.median(vals), min(vals), max(vals)) if vals else (None, None, None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--max-distance", type=float, default=1500.0)
    a = ap.parse_args()

    runs = []
    for d in sorted(glob.glob(os.path.join(a.dir, "run*")), key=lambda p: int(p.rsplit("run", 1)[1])):
        if not os.path.exists(os.path.join(d, "cs_summary.json")):
            print(f"compare.py: {d} is incomplete (the round was stopped), left out")
            continue
        r = {"dir": d, "load": open(os.path.join(d, "load_before.txt")).read().split("load average:")[1].strip()}
        for tool in TOOLS:
            r[tool] = load(os.path.join(d, f"{tool}_measure.json"))
            r[tool + "_sum"] = load(os.path.join(d, f"{tool}_summary.json"))
        runs.append(r)
    cs_info = runs[-1]["cs_sum"]

    # Each tool's end to end, access step and preparation, from its own timings.
    def lc_t(tool, *phases):
        return lambda r: sum(r[tool + "_sum"]["timings"].get(p, 0.0) for p in phases)

    def cs_t(*phases):
        return lambda r: sum(r["cs_sum"]["timings"][p] for p in phases)

    def cpu(tool):
        return lambda r: r[tool]["user_s"] + r[tool]["sys_s"]

    def peak(tool):
        return lambda r: max(r[tool]["peak_rss_bytes"], r[tool + "_sum"].get("peak_rss_bytes") or 0)

    rows = [
        ("**End to end** (read CSVs → written CSVs)", lc_t("lc_node", "total"), lc_t("lc_edge", "total"),
         cs_t("end_to_end"), fmt_s),
        ("**Access step**: livingcircle snap + access; cityseer compute_accessibilities (assigns, then searches)",
         lc_t("lc_node", "snap", "access"), lc_t("lc_edge", "snap", "access"), cs_t("access"), fmt_s),
        ("Network: livingcircle read + build; cityseer read + project + networkx + network_structure_from_nx",
         lc_t("lc_node", "read_network", "build_network"), lc_t("lc_edge", "read_network", "build_network"),
         cs_t("read", "project", "graph", "structure"), fmt_s),
        ("Process wall time (incl. start-up and imports)", lambda r: r["lc_node"]["wall_s"],
         lambda r: r["lc_edge"]["wall_s"], lambda r: r["cs"]["wall_s"], fmt_s),
        ("**Process CPU time** (user + sys)", cpu("lc_node"), cpu("lc_edge"), cpu("cs"), fmt_s),
        ("**Peak memory** (RSS)", peak("lc_node"), peak("lc_edge"), peak("cs"), fmt_mib),
    ]
    md = [f"### {a.label}\n"]
    md.append(
        f"{cs_info['nodes']:,} nodes, {cs_info['edges']:,} edges, {cs_info['communities']:,} communities, "
        f"{cs_info['facilities']:,} facilities in the {len(cs_info['categories'])} categories; nearest within "
        f"{cs_info['max_distance_m']:g} m, counts within {'/'.join(str(c) for c in cs_info['circles_m'])} m "
        f"(livingcircle also lists the 3 nearest with ids); cityseer computes from {cs_info['live_nodes']:,} live nodes. "
        f"Medians of {len(runs)} alternating rounds (min–max in brackets).\n"
    )
    md.append("| | livingcircle `--snap node` | livingcircle `--snap edge` | cityseer | cityseer / lc node | cityseer / lc edge |")
    md.append("|---|---:|---:|---:|---:|---:|")
    for name, fn, fe, fc, fmt in rows:
        n, e, c = median_of(runs, fn), median_of(runs, fe), median_of(runs, fc)
        cell = lambda m: f"{fmt(m[0])} ({fmt(m[1])}–{fmt(m[2])})" if len(runs) > 1 else fmt(m[0])  # noqa: E731
        md.append(f"| {name} | {cell(n)} | {cell(e)} | {cell(c)} | {ratio(c[0], n[0])} | {ratio(c[0], e[0])} |")
    md.append("")
    md.append("Rounds (end to end / CPU, seconds):\n")
    md.append("| round | load average before | lc node | lc edge | cityseer |")
    md.append("|---|---|---:|---:|---:|")
    for i, r in enumerate(runs, 1):
        cells = [f"{fmt_s(r[t + '_sum']['timings'].get('total', r[t + '_sum']['timings'].get('end_to_end')))} / "
                 f"{fmt_s(cpu(t)(r))}" for t in TOOLS]
        md.append(f"| {i} | {r['load']} | " + " | ".join(cells) + " |")
    md.append("")
    md.append("cityseer phases (median seconds): " + ", ".join(
        f"{p} {fmt_s(median_of(runs, cs_t(p))[0])}"
        for p in ("read", "project", "snap", "graph", "structure", "access", "extract", "write")
    ) + f"; Python start-up and imports {fmt_s(median_of(runs, lambda r: r['cs_sum']['startup_and_imports'])[0])} "
        "(not in end to end).")
    md.append("")
    md.append("livingcircle phases (median seconds, `--snap node`): " + ", ".join(
        f"{p} {fmt_s(median_of(runs, lc_t('lc_node', p))[0])}"
        for p in ("read_network", "build_network", "read_points", "snap", "access", "write")
    ) + ".")
    md.append("")

    cs_near, _ = read_long(os.path.join(a.dir, "cs_access.csv"))
    cs_counts = read_counts(os.path.join(a.dir, "cs_counts.csv"))
    for snap in ("node", "edge"):
        lc_near, _ = read_long(os.path.join(a.dir, f"lc_{snap}_access.csv"))
        ag = nearest_agreement(lc_near, cs_near, a.max_distance)
        both = max(ag["both"], 1)
        mean = sum(x[0] for x in ag["diffs"]) / both
        md.append(
            f"Agreement with livingcircle `--snap {snap}`, nearest facility: {ag['both']:,} community–category "
            f"pairs found by both; the same distance within 1 m {ag['within_1m'] / both:.2%}, within 5 % "
            f"{ag['within_5pct'] / both:.2%}; max |Δd| {ag['diffs'][0][0] if ag['diffs'] else 0:.3f} m, mean "
            f"{mean:.4f} m; found by livingcircle only {len(ag['only_lc'])}, by cityseer only {len(ag['only_cs'])} "
            f"({ag['borderline']} of them within 5 m of the {a.max_distance:g} m limit)."
        )
        for absd, diff, key, lc_row, d_cs in ag["diffs"][:5]:
            if absd > 1.0:
                md.append(f"- {key}: livingcircle {lc_row[1]:.3f} m ({lc_row[2]}), cityseer {d_cs:.3f} m (Δ {diff:+.3f} m)")
        for key, row in (ag["only_lc"] + ag["only_cs"])[:5]:
            who = "livingcircle" if key in lc_near else "cityseer"
            md.append(f"- {key}: only {who} finds one within the limit, at {row[1]:.3f} m")
        keys, radii, equal, examples = counts_agreement(read_counts(os.path.join(a.dir, f"lc_{snap}_counts.csv")), cs_counts)
        md.append(
            f"\nCounts (`--snap {snap}`): {len(keys):,} community–category pairs; equal "
            + ", ".join(f"within {r} m {equal[r] / max(len(keys), 1):.2%} ({len(keys) - equal[r]} differ)" for r in radii)
            + "."
        )
        for ex in examples:
            md.append(f"- {ex}")
        md.append("")
    text = "\n".join(md)
    print(text)
    with open(a.out_md, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()

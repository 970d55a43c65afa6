"""Checks that livingcircle and pandana agree, and tabulates their times and memory.

Inputs: both tools' long-format results `community_id,category,rank,facility_id,distance_m`,
livingcircle's `--summary-json` (phase timings in seconds under `timings`, `peak_rss_bytes`),
pandana_bench.py's JSON, and measure.py's JSON for each process (wall time, peak RSS).

Agreement: for every community and category both tools must list the same number of
facilities, and at every rank the distances must agree within the tolerance (0.5 m by
default: pandana accumulates float32). Distances are compared by rank, not by facility id,
because facilities at equal distance may be listed in either order. A facility within the
tolerance of the distance limit may be listed by one tool and not the other; such cases are
counted separately as borderline, not as disagreements.

Prints a Markdown fragment and writes it to --out-md; exits with status 1 on disagreement.

    python3 bench/pandana/compare.py --lc-csv lc.csv --pd-csv pd.csv --lc-summary lc.json \
        --lc-measure lc_measure.json --pd-json pd.json --pd-measure pd_measure.json \
        --label "100,000 nodes" --out-md bench/work/result-100000.md
"""

import argparse
import csv
import json
import sys
from collections import defaultdict


def read_long(path):
    """(community, category) -> list of (rank, distance, facility) sorted by rank."""
    out = defaultdict(list)
    rows = 0
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        need = {"community_id", "category", "rank", "facility_id", "distance_m"}
        missing = need - set(r.fieldnames or [])
        if missing:
            sys.exit(f"{path}: missing columns {sorted(missing)} (has {r.fieldnames})")
        for row in r:
            out[(row["community_id"], row["category"])].append(
                (int(row["rank"]), float(row["distance_m"]), row["facility_id"])
            )
            rows += 1
    for v in out.values():
        v.sort()
    return out, rows


def agreement(lc, pd_, tol, dmax):
    """Compares the two result sets; returns a dict of counts and examples."""
    keys = set(lc) | set(pd_)
    res = {
        "pairs": len(keys),
        "pairs_lc": len(lc),
        "pairs_pd": len(pd_),
        "compared_ranks": 0,
        "count_mismatch": 0,
        "distance_mismatch": 0,
        "borderline": 0,
        "rank_gaps": 0,
        "same_facility": 0,
        "max_abs_diff": 0.0,
        "sum_abs_diff": 0.0,
        "examples": [],
        "borderline_examples": [],
    }
    for key in sorted(keys):
        a, b = lc.get(key, []), pd_.get(key, [])
        ranks_a = [r for r, _, _ in a]
        if ranks_a != list(range(1, len(a) + 1)):
            res["rank_gaps"] += 1
        n = min(len(a), len(b))
        for i in range(n):
            d = abs(a[i][1] - b[i][1])
            res["compared_ranks"] += 1
            res["sum_abs_diff"] += d
            res["max_abs_diff"] = max(res["max_abs_diff"], d)
            if a[i][2] == b[i][2]:
                res["same_facility"] += 1
            if d > tol:
                res["distance_mismatch"] += 1
                if len(res["examples"]) < 10:
                    res["examples"].append(f"{key} rank {i + 1}: livingcircle {a[i]}, pandana {b[i]}")
        if len(a) != len(b):
            extra = (a if len(a) > len(b) else b)[n:]
            if all(abs(x[1] - dmax) <= tol for x in extra):
                res["borderline"] += 1
                if len(res["borderline_examples"]) < 10:
                    who = "livingcircle" if len(a) > len(b) else "pandana"
                    res["borderline_examples"].append(f"{key}: only {who} lists {extra}")
            else:
                res["count_mismatch"] += 1
                if len(res["examples"]) < 10:
                    res["examples"].append(
                        f"{key}: livingcircle lists {len(a)} {a}, pandana lists {len(b)} {b}"
                    )
    res["ok"] = res["count_mismatch"] == 0 and res["distance_mismatch"] == 0 and res["rank_gaps"] == 0
    return res


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fmt_s(x):
    if x is None:
        return "–"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def fmt_mib(b):
    return "–" if b is None else f"{b / 2**20:,.0f} MiB"


def ratio(p, l):
    if p is None or l is None or l <= 0:
        return "–"
    r = p / l
    return f"**{r:,.1f}×**" if r >= 10 else f"{r:,.2f}×"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lc-csv", required=True)
    ap.add_argument("--pd-csv", required=True)
    ap.add_argument("--lc-summary", required=True)
    ap.add_argument("--lc-measure", required=True)
    ap.add_argument("--pd-json", required=True)
    ap.add_argument("--pd-measure", required=True)
    ap.add_argument("--label", required=True, help="heading, e.g. '1,000,000 nodes'")
    ap.add_argument("--out-md", required=True)
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--max-distance", type=float, default=1500.0)
    a = ap.parse_args()

    lcs, lcm, pdj, pdm = load(a.lc_summary), load(a.lc_measure), load(a.pd_json), load(a.pd_measure)
    lt, pt = lcs.get("timings", {}), pdj["timings"]
    lc, lc_rows = read_long(a.lc_csv)
    pd_, pd_rows = read_long(a.pd_csv)
    ag = agreement(lc, pd_, a.tolerance, a.max_distance)

    lc_e2e = lt.get("total", lcm["wall_s"])
    lc_access = lt.get("access")
    pd_e2e = pt["end_to_end"]
    pd_access = pt["set_pois"] + pt["nearest"]
    lc_peak = lcs.get("peak_rss_bytes") or lcm["peak_rss_bytes"]
    lc_peak = max(lc_peak, lcm["peak_rss_bytes"])
    pd_peak = pdj["peak_rss_bytes"]

    md = []
    md.append(f"### {a.label}\n")
    md.append(
        f"{pdj['nodes']:,} nodes, {pdj['edges']:,} edges, {pdj['communities']:,} communities, "
        f"{pdj['facilities']:,} facilities ({sum(c['facilities'] for c in pdj['categories'].values()):,} "
        f"in the {len(pdj['categories'])} categories compared); k = {pdj['k']}, "
        f"{pdj['max_distance_m']:g} m, nearest-node snapping.\n"
    )
    md.append("| | livingcircle | pandana | pandana / livingcircle |")
    md.append("|---|---:|---:|---:|")
    md.append(
        f"| **End to end** (read CSVs → written CSV) | {fmt_s(lc_e2e)} | {fmt_s(pd_e2e)} | {ratio(pd_e2e, lc_e2e)} |"
    )
    md.append(
        f"| **Access step** ({len(pdj['categories'])} categories; pandana: set_pois + nearest_pois) "
        f"| {fmt_s(lc_access)} | {fmt_s(pd_access)} | {ratio(pd_access, lc_access)} |"
    )
    md.append(
        f"| Process wall time (incl. start-up and imports) | {fmt_s(lcm['wall_s'])} "
        f"| {fmt_s(pdm['wall_s'])} | {ratio(pdm['wall_s'], lcm['wall_s'])} |"
    )
    lc_cpu = lcm.get("user_s", 0) + lcm.get("sys_s", 0)
    pd_cpu = pdm.get("user_s", 0) + pdm.get("sys_s", 0)
    md.append(
        f"| Process CPU time (user + sys) | {fmt_s(lc_cpu)} | {fmt_s(pd_cpu)} | {ratio(pd_cpu, lc_cpu)} |"
    )
    md.append(
        f"| **Peak memory** (RSS) | {fmt_mib(lc_peak)} | {fmt_mib(pd_peak)} | {ratio(pd_peak, lc_peak)} |"
    )
    md.append("")
    md.append("Phases (seconds):\n")
    md.append("| livingcircle phase | time | | pandana phase | time |")
    md.append("|---|---:|---|---|---:|")
    order = ["read_network", "build_network", "read_points", "snap", "access", "write", "total"]
    rank = {k: i for i, k in enumerate(order)}
    lrows = sorted(
        ((k, v) for k, v in lt.items() if isinstance(v, (int, float))),
        key=lambda kv: (rank.get(kv[0], len(order) - 0.5), kv[0]),
    )
    prows = [
        ("read (pandas.read_csv)", pt["read"]),
        ("build (Network: CH + KD-tree)", pt["build"]),
        ("snap (get_node_ids)", pt["snap"]),
        ("set_pois × categories", pt["set_pois"]),
        ("nearest_pois × categories", pt["nearest"]),
        ("extract community rows", pt["extract"]),
        ("write CSV", pt["write"]),
        ("end to end", pt["end_to_end"]),
        ("(python start-up and imports, not counted)", pdj.get("startup_and_imports")),
    ]
    if "precompute" in pt:
        prows.append(("(precompute, not needed for nearest_pois, not counted)", pt["precompute"]))
    for i in range(max(len(lrows), len(prows))):
        l = lrows[i] if i < len(lrows) else ("", None)
        p = prows[i] if i < len(prows) else ("", None)
        md.append(
            f"| {l[0]} | {fmt_s(l[1]) if l[0] else ''} | | {p[0]} | {fmt_s(p[1]) if p[0] else ''} |"
        )
    if "peak_rss_bytes_with_precompute" in pdj and "precompute" in pt:
        md.append(
            f"\npandana's peak memory after `precompute({pdj['max_distance_m']:g})`: "
            f"{fmt_mib(pdj['peak_rss_bytes_with_precompute'])}."
        )
    md.append("")
    status = "**agree**" if ag["ok"] else "**DISAGREE**"
    mean = ag["sum_abs_diff"] / ag["compared_ranks"] if ag["compared_ranks"] else 0.0
    md.append(
        f"Agreement: {status}. {lc_rows:,} rows from livingcircle, {pd_rows:,} from pandana; "
        f"{ag['pairs']:,} community–category pairs with results; {ag['compared_ranks']:,} ranks "
        f"compared; count mismatches {ag['count_mismatch']}, distance mismatches (> {a.tolerance} m) "
        f"{ag['distance_mismatch']}, borderline at the limit {ag['borderline']}; "
        f"max |Δd| {ag['max_abs_diff']:.3f} m, mean {mean:.4f} m; "
        f"same facility at the same rank {ag['same_facility'] / max(ag['compared_ranks'], 1):.2%} "
        f"(the rest are ties at equal distance)."
    )
    for ex in ag["examples"]:
        md.append(f"- {ex}")
    if ag["borderline_examples"]:
        md.append(
            f"\nBorderline cases (a facility within {a.tolerance} m of the {a.max_distance:g} m limit, "
            "listed by one tool only; pandana sums float32 lengths, so it can fall on either side):\n"
        )
        for ex in ag["borderline_examples"]:
            md.append(f"- {ex}")
    md.append("")
    text = "\n".join(md)
    print(text)
    with open(a.out_md, "w", encoding="utf-8") as f:
        f.write(text)
    sys.exit(0 if ag["ok"] else 1)


if __name__ == "__main__":
    main()

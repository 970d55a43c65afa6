"""Compares the three runs of bench/python/run.sh: agreement of the tables and the figures as a
Markdown table (peer / livingcircle ratios)."""

import argparse
import json

import numpy as np
import pandas as pd

IDS = {"community_id": str, "facility_id": str}


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="the run's folder")
    ap.add_argument("--label", required=True)
    ap.add_argument("--out-md", required=True)
    a = ap.parse_args()
    d = a.dir
    lc, pd_, cs = (load(f"{d}/{t}_summary.json") for t in ("lc", "pd", "cs"))
    lcm, pdm, csm = (load(f"{d}/{t}_measure.json") for t in ("lc", "pd", "cs"))

    near = pd.read_csv(f"{d}/lc_access.csv", dtype=IDS)
    pdn = pd.read_csv(f"{d}/pd_access.csv", dtype=IDS)
    m = near.merge(pdn, on=["community_id", "category", "rank"], how="outer",
                   suffixes=("_lc", "_pd"), indicator=True)
    both = m[m["_merge"] == "both"]
    diff = (both["distance_m_lc"] - both["distance_m_pd"]).abs()
    pd_agree = f"{(diff <= 0.5).mean():.2%} of {len(both):,} rows within 0.5 m; {int((m['_merge'] != 'both').sum())} rows in one table only"

    csn = pd.read_csv(f"{d}/cs_access.csv", dtype=IDS)
    first = near[near["rank"] == 1]
    mc = first.merge(csn, on=["community_id", "category"], how="outer", suffixes=("_lc", "_cs"),
                     indicator=True)
    bc = mc[mc["_merge"] == "both"]
    cs_near = f"{((bc['distance_m_lc'] - bc['distance_m_cs']).abs() <= 1.0).mean():.2%} of {len(bc):,} nearest distances within 1 m; {int((mc['_merge'] != 'both').sum())} in one table only"
    lcc = pd.read_csv(f"{d}/lc_counts.csv", dtype=IDS)
    csc = pd.read_csv(f"{d}/cs_counts.csv", dtype=IDS)
    cc = lcc.merge(csc, on=["community_id", "category"], suffixes=("_lc", "_cs"))
    cols = [c for c in lcc.columns if c.startswith("within_")]
    same = np.mean([(cc[f"{c}_lc"] == cc[f"{c}_cs"]).mean() for c in cols])
    cs_counts = f"{same:.2%} of {len(cc) * len(cols):,} counts equal"

    t, tp, tc = lc["timings"], pd_["timings"], cs["timings"]
    rows = [
        ("End to end in Python (read CSVs → written CSVs)", t["end_to_end"], tp["end_to_end"], tc["end_to_end"]),
        ("Network (lc: from_frames; pandana: Network(); cityseer: graph + structure)",
         t["build"], tp["build"], tc["graph"] + tc["structure"] + tc.get("project", 0.0)),
        ("Access (lc: access_all; pandana: set_pois + nearest_pois + snap; cityseer: snap + compute_accessibilities)",
         t["access"], tp["set_pois"] + tp["nearest"] + tp["snap"], tc["access"] + tc["snap"]),
        ("Process wall time (imports included)", lcm["wall_s"], pdm["wall_s"], csm["wall_s"]),
    ]

    def s(x):
        return f"{x:.3f} s" if x < 10 else f"{x:,.1f} s"

    out = [f"### {a.label}", "",
           "| | livingcircle (Python) | pandana | ratio | cityseer | ratio |",
           "|---|---:|---:|---:|---:|---:|"]
    for name, x, p, c in rows:
        out.append(f"| {name} | {s(x)} | {s(p)} | **{p / x:,.0f}×** | {s(c)} | **{c / x:,.0f}×** |")
    mib = lambda b: b / 2**20  # noqa: E731
    out.append(f"| Peak memory (RSS, whole process) | {mib(lcm['peak_rss_bytes']):,.0f} MiB | "
               f"{mib(pdm['peak_rss_bytes']):,.0f} MiB | {pdm['peak_rss_bytes'] / lcm['peak_rss_bytes']:.1f}× | "
               f"{mib(csm['peak_rss_bytes']):,.0f} MiB | {csm['peak_rss_bytes'] / lcm['peak_rss_bytes']:.1f}× |")
    out += ["",
            f"livingcircle from the file paths instead of DataFrames: {s(t['paths'])} end to end (same tables).",
            "",
            f"Agreement with pandana (k = 3 nearest, nearest-node snapping): {pd_agree}.",
            f"Agreement with cityseer: {cs_near}; {cs_counts}.",
            ""]
    text = "\n".join(out)
    with open(a.out_md, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()

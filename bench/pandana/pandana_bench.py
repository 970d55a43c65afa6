"""Nearest-facility access with pandana, timed phase by phase, for the livingcircle comparison.

Reads the CSVs that `livingcircle generate` writes (nodes.csv, edges.csv, communities.csv,
facilities.csv), builds a pandana network, and for each category finds the k nearest
facilities within a network distance of every node (`set_pois` + `nearest_pois`), keeps the
rows of the communities' nodes (nearest-node snapping, as pandana does), and writes them in
livingcircle's long format `community_id,category,rank,facility_id,distance_m`.

Timings (seconds) and peak memory (ru_maxrss) go to a JSON file:

    read       pandas.read_csv of the four files
    build      pandana.Network(...) (contraction hierarchy and KD-tree)
    snap       net.get_node_ids for the communities
    set_pois   sum over categories of net.set_pois
    nearest    sum over categories of net.nearest_pois(..., include_poi_ids=True)
    extract    selecting the communities' rows and reshaping to the long format
    write      DataFrame.to_csv
    end_to_end read through write
    precompute net.precompute(max_distance), run *after* the output is written (it serves
               pandana's aggregations, not nearest_pois; timed because it is pandana's usual
               preparation step). Skip it with --no-precompute.

Run it with the benchmark's virtual environment (bench/pandana/run.sh creates it):

    bench/.venv/bin/python bench/pandana/pandana_bench.py --city bench/work/city-100000 \
        --categories nursery,restaurant,... --k 3 --max-distance 1500 \
        --out bench/work/city-100000/pandana_access.csv --json bench/work/city-100000/pd.json
"""

import argparse
import json
import resource
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pandana  # noqa: E402

T_IMPORTED = time.perf_counter()


def peak_rss_bytes():
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024 if sys.platform != "darwin" else kb


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--city", required=True, help="directory with the four CSV files")
    ap.add_argument("--categories", required=True, help="comma-separated category keys")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--max-distance", type=float, default=1500.0)
    ap.add_argument("--out", required=True, help="long-format CSV to write")
    ap.add_argument("--json", required=True, help="timings and memory as JSON")
    ap.add_argument("--no-precompute", action="store_true", help="skip net.precompute")
    a = ap.parse_args()
    cats = [c for c in a.categories.split(",") if c]
    k, dmax = a.k, a.max_distance
    t = {}

    # Read.
    t0 = time.perf_counter()
    nodes = pd.read_csv(f"{a.city}/nodes.csv", dtype={"id": np.int64})
    edges = pd.read_csv(f"{a.city}/edges.csv", dtype={"from": np.int64, "to": np.int64})
    comms = pd.read_csv(f"{a.city}/communities.csv", dtype={"id": str, "division_code": str})
    facs = pd.read_csv(f"{a.city}/facilities.csv", dtype={"id": str, "category": str})
    t["read"] = time.perf_counter() - t0

    # Build: contraction hierarchy and KD-tree.
    t1 = time.perf_counter()
    nodes = nodes.set_index("id")
    net = pandana.Network(
        nodes["lon"], nodes["lat"], edges["from"], edges["to"], edges[["length_m"]], twoway=True
    )
    t["build"] = time.perf_counter() - t1

    # Snap communities to their nearest nodes.
    t2 = time.perf_counter()
    comm_nodes = net.get_node_ids(comms["lon"], comms["lat"]).to_numpy()
    t["snap"] = time.perf_counter() - t2

    # Queries per category; keep the communities' rows.
    t["set_pois"] = 0.0
    t["nearest"] = 0.0
    t["extract"] = 0.0
    per_cat = {}
    pieces = []
    ncomm = len(comms)
    comm_order = np.arange(ncomm)
    for ci, cat in enumerate(cats):
        sel = facs[facs["category"] == cat]
        per_cat[cat] = {"facilities": int(len(sel))}
        if len(sel) == 0:
            continue
        x = pd.Series(sel["lon"].to_numpy(), index=sel["id"].to_numpy())
        y = pd.Series(sel["lat"].to_numpy(), index=sel["id"].to_numpy())
        ta = time.perf_counter()
        net.set_pois(cat, dmax, k, x, y)
        tb = time.perf_counter()
        res = net.nearest_pois(dmax, cat, num_pois=k, include_poi_ids=True)
        tc = time.perf_counter()
        sub = res.loc[comm_nodes]
        for r in range(1, k + 1):
            ids = sub[f"poi{r}"].to_numpy()
            dist = sub[r].to_numpy()
            found = pd.notna(ids)
            pieces.append(
                pd.DataFrame(
                    {
                        "order": comm_order[found],
                        "cat_order": ci,
                        "community_id": comms["id"].to_numpy()[found],
                        "category": cat,
                        "rank": r,
                        "facility_id": ids[found],
                        "distance_m": dist[found],
                    }
                )
            )
        td = time.perf_counter()
        t["set_pois"] += tb - ta
        t["nearest"] += tc - tb
        t["extract"] += td - tc
        per_cat[cat].update({"set_pois": tb - ta, "nearest": tc - tb})

    # Reshape and write.
    te = time.perf_counter()
    cols = ["community_id", "category", "rank", "facility_id", "distance_m"]
    if pieces:
        long = pd.concat(pieces, ignore_index=True)
        long = long.sort_values(["order", "cat_order", "rank"], kind="stable")[cols]
    else:
        long = pd.DataFrame(columns=cols)
    t["extract"] += time.perf_counter() - te
    tw = time.perf_counter()
    long.to_csv(a.out, index=False, float_format="%.3f")
    t["write"] = time.perf_counter() - tw
    t["end_to_end"] = time.perf_counter() - t0
    t["access"] = t["set_pois"] + t["nearest"]
    peak_access = peak_rss_bytes()

    if not a.no_precompute:
        tp = time.perf_counter()
        net.precompute(dmax)
        t["precompute"] = time.perf_counter() - tp

    out = {
        "tool": "pandana",
        "pandana_version": getattr(pandana, "__version__", "?"),
        "pandas_version": pd.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "startup_and_imports": T_IMPORTED - T_START,
        "timings": t,
        "peak_rss_bytes": peak_access,
        "peak_rss_bytes_with_precompute": peak_rss_bytes(),
        "nodes": int(len(nodes)),
        "edges": int(len(edges)),
        "communities": int(ncomm),
        "facilities": int(len(facs)),
        "rows": int(len(long)),
        "categories": per_cat,
        "k": k,
        "max_distance_m": dmax,
    }
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    print(
        f"pandana: end to end {t['end_to_end']:.2f} s (read {t['read']:.2f}, build {t['build']:.2f}, "
        f"set_pois {t['set_pois']:.2f}, nearest_pois {t['nearest']:.2f}, extract {t['extract']:.2f}, "
        f"write {t['write']:.2f}), precompute {t.get('precompute', float('nan')):.2f} s, "
        f"peak {peak_access / 2**20:.0f} MiB, {len(long)} rows",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

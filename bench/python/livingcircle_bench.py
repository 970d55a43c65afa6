"""Nearest facilities and circle counts with livingcircle's Python package, timed phase by phase,
on the same task and inputs as bench/pandana/pandana_bench.py and bench/cityseer/cityseer_bench.py.

Reads the CSVs that `livingcircle generate` writes with pandas (as the peers do), builds the
network from the DataFrames (`Network.from_frames`, no cache), computes the k nearest of every
category within the max distance and the counts within 300/500/1000 m for every community with
one `access_all` call (nearest-node snapping, as pandana and cityseer compute at nodes), and
writes livingcircle's long format and the counts.

Timings (seconds) and peak memory go to a JSON file:

    read        pandas.read_csv of the four files
    build       lc.Network.from_frames(nodes, edges) (tables handed over, read, graph built)
    access      net.access_all(...) (placing the points, the searches, the DataFrames)
    write       DataFrame.to_csv of both tables
    end_to_end  read through write
    paths       the same work from the file paths instead of DataFrames (from_tables without
                cache + access_all on the paths), end to end

    bench/.venv/bin/python bench/python/livingcircle_bench.py --city bench/work/city-100000 \
        --categories nursery,restaurant,... --k 3 --max-distance 1500 \
        --out lc_access.csv --counts lc_counts.csv --json lc_summary.json
"""

import argparse
import json
import resource
import sys
import time

T_START = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import livingcircle as lc  # noqa: E402

T_IMPORTED = time.perf_counter()
CIRCLES = [300, 500, 1000]


def peak_rss_bytes():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024 if sys.platform != "darwin" else kb


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--city", required=True)
    ap.add_argument("--categories", required=True)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--max-distance", type=float, default=1500.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--counts", required=True)
    ap.add_argument("--json", required=True)
    a = ap.parse_args()
    cats = [c for c in a.categories.split(",") if c]
    opts = dict(k=a.k, max_distance=a.max_distance, circles=CIRCLES, categories=cats,
                snap="node", progress=False)
    t = {}

    t0 = time.perf_counter()
    nodes = pd.read_csv(f"{a.city}/nodes.csv", dtype={"id": np.int64})
    edges = pd.read_csv(f"{a.city}/edges.csv", dtype={"from": np.int64, "to": np.int64})
    comms = pd.read_csv(f"{a.city}/communities.csv", dtype={"id": str, "division_code": str})
    facs = pd.read_csv(f"{a.city}/facilities.csv", dtype={"id": str, "category": str})
    t["read"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    net = lc.Network.from_frames(nodes, edges, progress=False)
    t["build"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    r = net.access_all(comms, facs, **opts)
    t["access"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    r.nearest.to_csv(a.out, index=False, float_format="%.3f")
    r.counts.to_csv(a.counts, index=False)
    t["write"] = time.perf_counter() - t3
    t["end_to_end"] = time.perf_counter() - t0
    peak = peak_rss_bytes()

    t4 = time.perf_counter()
    by_path = lc.Network.from_tables(f"{a.city}/nodes.csv", f"{a.city}/edges.csv", cache=False,
                                     progress=False)
    again = by_path.access_all(f"{a.city}/communities.csv", f"{a.city}/facilities.csv", **opts)
    t["paths"] = time.perf_counter() - t4
    assert again.nearest.equals(r.nearest), "paths and DataFrames gave different tables"

    out = {
        "tool": "livingcircle (Python)",
        "livingcircle_version": lc.__version__,
        "pandas_version": pd.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "startup_and_imports": T_IMPORTED - T_START,
        "timings": t,
        "peak_rss_bytes": peak,
        "nodes": int(len(nodes)),
        "edges": int(len(edges)),
        "communities": int(len(comms)),
        "facilities": int(len(facs)),
        "rows": int(len(r.nearest)),
    }
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    print(
        f"livingcircle (Python): end to end {t['end_to_end']:.2f} s (read {t['read']:.2f}, "
        f"build {t['build']:.2f}, access {t['access']:.2f}, write {t['write']:.2f}); from paths "
        f"{t['paths']:.2f} s; peak {peak / 2**20:.0f} MiB, {len(r.nearest)} rows",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

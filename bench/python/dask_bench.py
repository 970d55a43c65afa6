"""The Dask run's wall time and memory with 1, 2 and 4 worker processes against the whole run
on one machine (issue 20 item 2), on a generated multi-region city; bench/python/dask.sh runs it.

Each configuration runs in a fresh Python process (``--one``), so that every figure is that
run's own: the whole run is ``Network.from_tables(..., cache=False)`` + ``access_all`` on the
file paths; a Dask run starts a ``LocalCluster`` of N worker processes (timed apart), then
``livingcircle.distributed.access_all(..., client=client)`` (plan, one task per part, merge),
and asks every worker for its peak RSS before the cluster closes. Every Dask result is checked
equal to the whole run's (row count and a hash of every row of both tables).

    python bench/python/dask_bench.py --nodes 1000000 --seed 1 --workers 1,2,4 --by division:6

The city is bench/work/city-N (``livingcircle generate --nodes N --seed S``; reused with
``--keep-city``); the figures go to bench/work/dask-result-N.json. The release binary is built
first (``cargo build --release -p livingcircle``) unless ``--no-build``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def digest(result) -> dict:
    import pandas as pd

    out = {}
    for name in ("nearest", "counts"):
        df = getattr(result, name)
        out[name] = {"rows": len(df), "hash": int(pd.util.hash_pandas_object(df, index=False).sum() % (1 << 63))}
    return out


def one(args) -> dict:
    import livingcircle as lc
    import livingcircle.distributed as lcd

    c = args.city
    files = [os.path.join(c, f) for f in ("nodes.csv", "edges.csv", "communities.csv", "facilities.csv")]
    opts = dict(k=3, max_distance=1500.0, circles=[300.0, 500.0, 1000.0], progress=False)
    if args.one == "whole":
        t = time.perf_counter()
        net = lc.Network.from_tables(files[0], files[1], cache=False, progress=False)
        r = net.access_all(files[2], files[3], **opts)
        wall = time.perf_counter() - t
        return {"run": "whole", "wall_s": wall, "peak_rss_bytes": peak_rss(), "check": digest(r)}
    n = int(args.one)
    from dask.distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    startup = time.perf_counter() - t0
    t = time.perf_counter()
    r = lcd.access_all(*files, by=args.by, client=client, counts=True, **opts)
    wall = time.perf_counter() - t
    workers = client.run(peak_rss)
    client.close()
    cluster.close()
    return {
        "run": f"dask-{n}",
        "workers": n,
        "cluster_start_s": startup,
        "wall_s": wall,
        "client_peak_rss_bytes": peak_rss(),
        "worker_peak_rss_bytes": sorted(workers.values()),
        "parts": r.summary["parts"],
        "part_nodes_read": sorted(s["nodes_read"] for s in r.summary["part_stats"].values()),
        "check": digest(r),
    }


def city(args) -> str:
    """Builds the binary (unless --no-build) and generates the city (unless kept)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
    exe = os.path.join(target, "release", "livingcircle")
    if not args.no_build:
        print("== building livingcircle (release)", flush=True)
        subprocess.run(["cargo", "build", "--release", "-p", "livingcircle"], cwd=root, check=True)
    suffix = "" if args.seed == 1 else f"-s{args.seed}"
    d = os.path.join(root, "bench", "work", f"city-{args.nodes}{suffix}")
    if args.keep_city and os.path.isfile(os.path.join(d, "facilities.csv")):
        print(f"== reusing {d}", flush=True)
    else:
        print(f"== generating {d}", flush=True)
        subprocess.run([exe, "--quiet", "generate", "--nodes", str(args.nodes), "--seed", str(args.seed), "--out", d], check=True)
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=1_000_000, help="size of the generated city (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    ap.add_argument("--keep-city", action="store_true", help="reuse bench/work/city-N if it exists")
    ap.add_argument("--no-build", action="store_true", help="use the existing release binary")
    ap.add_argument("--workers", default="1,2,4", help="worker process counts (default 1,2,4)")
    ap.add_argument("--by", default="division:6", help="partition scheme (default division:6)")
    ap.add_argument("--city", help=argparse.SUPPRESS)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args)))
        return
    args.city = city(args)
    out = os.path.join(os.path.dirname(args.city), f"dask-result-{args.nodes}.json")
    print(f"Machine: {os.cpu_count()} cores; {platform.processor() or platform.machine()}; Python {platform.python_version()}", flush=True)
    runs = []
    for what in ["whole"] + args.workers.split(","):
        cmd = [sys.executable, __file__, "--city", args.city, "--by", args.by, "--one", what]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{what}: failed\n{p.stderr}")
        r = json.loads(p.stdout.strip().splitlines()[-1])
        runs.append(r)
        mem = r.get("peak_rss_bytes") or max(r["worker_peak_rss_bytes"])
        print(f"{r['run']:>8}: {r['wall_s']:7.2f} s, peak RSS {mem / 2**20:,.0f} MiB"
              + (f" per worker (client {r['client_peak_rss_bytes'] / 2**20:,.0f} MiB), {r['parts']} parts,"
                 f" cluster start {r['cluster_start_s']:.1f} s" if "workers" in r else ""), flush=True)
    whole = runs[0]["check"]
    bad = [r["run"] for r in runs[1:] if r["check"] != whole]
    with open(out, "w") as f:
        json.dump({"city": args.city, "by": args.by, "nproc": os.cpu_count(), "runs": runs}, f, indent=2)
    if bad:
        sys.exit(f"not equal to the whole run: {', '.join(bad)}")
    print(f"every Dask run equals the whole run ({whole['nearest']['rows']:,} nearest rows, {whole['counts']['rows']:,} count rows)")


if __name__ == "__main__":
    main()

"""Solve the MCLP and p-median instances exported by `livingcircle site --export-costs` with
PySAL spopt (CBC through PuLP), on the same cost data, and print one JSON line per problem.

Usage: spopt_bench.py COSTS_DIR --problem mclp|pmedian --p N [--radius M] [--max-distance M]

The timer covers what spopt needs from a cost matrix in memory to an answer: building the
model (`from_cost_matrix`) and solving it. Reading the CSV files and densifying the matrix are
not timed (that favours spopt). Unreachable pairs get a finite cost, never NaN: for MCLP a
cost above the radius, for p-median the penalty distance (as livingcircle charges it).
Existing facilities are always open: a community's cost to every candidate is capped at its
distance to the nearest existing facility, which gives exactly livingcircle's objectives.
"""

import argparse
import csv
import json
import os
import time

import numpy as np
import pulp
from spopt.locate import MCLP, PMedian


def load(costs_dir):
    with open(os.path.join(costs_dir, "demand.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    comm = {r["community_id"]: i for i, r in enumerate(rows)}
    weights = np.array([float(r["weight"]) for r in rows])
    with open(os.path.join(costs_dir, "candidates.csv"), newline="", encoding="utf-8") as f:
        cand_rows = list(csv.DictReader(f))
    cand = {r["id"]: j for j, r in enumerate(cand_rows)}
    d = np.full((len(rows), len(cand_rows)), np.inf)
    existing = np.full(len(rows), np.inf)
    with open(os.path.join(costs_dir, "costs.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            i = comm[r["community_id"]]
            x = float(r["distance_m"])
            if r["target"] == "candidate":
                j = cand[r["target_id"]]
                d[i, j] = min(d[i, j], x)
            else:
                existing[i] = min(existing[i], x)
    ids = [r["id"] for r in cand_rows]
    return weights, d, existing, ids


def greedy_mclp(cover, weights, p):
    """Plain greedy (no swaps), to show the instance is one where greedy is not optimal."""
    covered = np.zeros(cover.shape[0], dtype=bool)
    total = 0.0
    for _ in range(p):
        gains = (cover[~covered] * weights[~covered, None]).sum(axis=0)
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        total += gains[j]
        covered |= cover[:, j]
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("costs_dir")
    ap.add_argument("--problem", choices=["mclp", "pmedian"], required=True)
    ap.add_argument("--p", type=int, required=True)
    ap.add_argument("--radius", type=float, default=1000.0)
    ap.add_argument("--max-distance", type=float, default=3000.0)
    a = ap.parse_args()
    weights, d, existing, ids = load(a.costs_dir)
    solver = pulp.PULP_CBC_CMD(msg=False)
    out = {"tool": "spopt", "spopt_version": __import__("spopt").__version__,
           "problem": a.problem, "p": a.p, "communities": len(weights), "candidates": d.shape[1]}
    if a.problem == "mclp":
        base = existing <= a.radius
        cost = np.where(np.isfinite(d), d, a.radius + 1.0)
        cost[base, :] = 0.0  # already covered: every candidate "covers" it
        cover = cost <= a.radius
        out["greedy_objective"] = float(greedy_mclp(cover, weights, a.p))
        t = time.perf_counter()
        model = MCLP.from_cost_matrix(cost, weights, service_radius=a.radius, p_facilities=a.p)
        model = model.solve(solver)
        out["seconds"] = time.perf_counter() - t
        chosen = [ids[j] for j in range(d.shape[1]) if model.fac_vars[j].value() > 0.5]
        out["objective"] = float(weights[(cover[:, [ids.index(c) for c in chosen]].any(axis=1)) | base].sum()) if chosen else float(weights[base].sum())
    else:
        cap = np.minimum(existing, a.max_distance)
        cost = np.minimum(np.where(np.isfinite(d), d, np.inf), cap[:, None])
        cost = np.where(np.isfinite(cost), cost, a.max_distance)
        t = time.perf_counter()
        model = PMedian.from_cost_matrix(cost, weights, p_facilities=a.p)
        model = model.solve(solver)
        out["seconds"] = time.perf_counter() - t
        chosen = [ids[j] for j in range(d.shape[1]) if model.fac_vars[j].value() > 0.5]
        js = [ids.index(c) for c in chosen]
        out["objective"] = float((weights * cost[:, js].min(axis=1)).sum())
    out["status"] = pulp.LpStatus[model.problem.status]
    out["chosen"] = sorted(chosen)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

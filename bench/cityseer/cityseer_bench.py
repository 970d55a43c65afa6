"""Nearest facility and circle counts with cityseer, timed phase by phase, for the livingcircle comparison.

Reads the CSVs that `livingcircle generate` writes (nodes.csv, edges.csv, communities.csv,
facilities.csv) and answers, for every community and category, "how far is the nearest facility
(within the max distance), and how many lie within 300, 500 and 1000 m" with one call of
`cityseer.metrics.layers.compute_accessibilities`.

How the inputs become cityseer's model:

- Coordinates are projected to metres with a transverse Mercator centred on the city, on the
  sphere livingcircle's haversine uses (R = 6,371,008.8 m), so straight lines measure what
  livingcircle measures.
- cityseer takes an edge's length from its geometry. The edge table's `length_m` is longer than
  the straight line between its nodes (the generator bends streets by up to 15 %), so by default
  (`--lengths bent`) each edge is drawn as two segments bent at the midpoint, exactly `length_m`
  long. `--lengths impedance` draws it straight and sets cityseer's `imp_factor` to
  length_m / straight length instead (node-to-node distances are then the same, but cityseer
  measures a data point's position along its street on the straight geometry).
- Communities: cityseer computes at network nodes, so each community is taken to its nearest node
  (a KD-tree, as pandana's get_node_ids) and only those nodes are `live` (cityseer computes from
  live nodes only; the others are traversed). `--all-live` computes from every node instead,
  which is how cityseer is usually run.
- Facilities are cityseer data points: `compute_accessibilities` assigns each to its nearest
  street edge (within --assign-distance, livingcircle's snap limit of 300 m by default), reachable
  through both ends of that edge at the distance along the street plus the setback.

Writes livingcircle's long format `community_id,category,rank,facility_id,distance_m` (rank 1
only; cityseer reports the nearest distance, not which facility) and the counts in the format of
`livingcircle access --counts`: `community_id,category,within_300,within_500,within_1000`.

Timings (seconds) and peak memory go to a JSON file:

    read        pandas.read_csv of the four files
    project     pyproj transform of nodes and points to metres
    snap        communities to their nearest nodes (scipy cKDTree)
    graph       networkx MultiGraph with shapely edge geometries
    structure   cityseer.tools.io.network_structure_from_nx
    access      layers.compute_accessibilities (assigns the facilities, then searches)
    extract     reading the communities' rows back, reshaping to the long formats
    write       DataFrame.to_csv of both files
    end_to_end  read through write

    bench/.venv/bin/python bench/cityseer/cityseer_bench.py --city bench/work/city-100000 \
        --categories nursery,restaurant,... --max-distance 1500 --out cs_access.csv \
        --counts cs_counts.csv --json cs_summary.json
"""

import argparse
import json
import os
import resource
import sys
import time

T_START = time.perf_counter()
os.environ.setdefault("CITYSEER_QUIET_MODE", "1")  # no progress bars in timed runs

import geopandas as gpd  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyproj  # noqa: E402
import shapely  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

import cityseer  # noqa: E402
from cityseer.metrics import layers  # noqa: E402
from cityseer.tools import io  # noqa: E402

T_IMPORTED = time.perf_counter()

EARTH_RADIUS_M = 6_371_008.8  # livingcircle's haversine sphere


def peak_rss_bytes():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb * 1024 if sys.platform != "darwin" else kb


def step_done(t, phase):
    """One line per finished phase, so that a run stopped part-way shows how far it got."""
    print(f"cityseer: {phase} done in {t[phase]:.2f} s", file=sys.stderr, flush=True)


def edge_geometries(ax, ay, bx, by, length, mode):
    """LineStrings from a to b, and the imp_factor of each, so that cityseer sees `length`."""
    straight = np.hypot(bx - ax, by - ay)
    if mode == "impedance":
        geoms = shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[bx, by]], axis=1))
        return geoms, np.maximum(length, straight) / np.maximum(straight, 1e-9)
    # Bend at the midpoint, to the left of a→b, so that both halves together are `length` long.
    half = np.maximum(length, straight) / 2
    rise = np.sqrt(np.maximum(half**2 - (straight / 2) ** 2, 0.0))
    ux, uy = (bx - ax) / np.maximum(straight, 1e-9), (by - ay) / np.maximum(straight, 1e-9)
    mx, my = (ax + bx) / 2 - uy * rise, (ay + by) / 2 + ux * rise
    geoms = shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[mx, my], np.c_[bx, by]], axis=1))
    return geoms, np.ones(len(ax))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--city", required=True, help="directory with the four CSV files")
    ap.add_argument("--categories", required=True, help="comma-separated category keys")
    ap.add_argument("--max-distance", type=int, default=1500)
    ap.add_argument("--circles", default="300,500,1000", help="count radii in metres")
    ap.add_argument("--assign-distance", type=float, default=300.0, help="max_netw_assign_dist")
    ap.add_argument("--lengths", choices=["bent", "impedance"], default="bent")
    ap.add_argument("--all-live", action="store_true", help="compute from every node")
    ap.add_argument("--out", required=True, help="long-format CSV (nearest distance)")
    ap.add_argument("--counts", required=True, help="counts CSV")
    ap.add_argument("--json", required=True, help="timings and memory as JSON")
    a = ap.parse_args()
    cats = [c for c in a.categories.split(",") if c]
    circles = [int(c) for c in a.circles.split(",") if c]
    dmax = a.max_distance
    t = {}

    t0 = time.perf_counter()
    nodes = pd.read_csv(f"{a.city}/nodes.csv", dtype={"id": np.int64})
    edges = pd.read_csv(f"{a.city}/edges.csv", dtype={"from": np.int64, "to": np.int64})
    comms = pd.read_csv(f"{a.city}/communities.csv", dtype={"id": str, "division_code": str})
    facs = pd.read_csv(f"{a.city}/facilities.csv", dtype={"id": str, "category": str})
    facs = facs[facs["category"].isin(cats)]
    t["read"] = time.perf_counter() - t0
    step_done(t, "read")

    # Project to metres on livingcircle's sphere, centred on the city.
    t1 = time.perf_counter()
    nodes = nodes[nodes["id"].isin(edges["from"]) | nodes["id"].isin(edges["to"])]
    lon0, lat0 = nodes["lon"].mean(), nodes["lat"].mean()
    crs = pyproj.CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +R={EARTH_RADIUS_M} +units=m +no_defs"
    )
    fwd = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    nx_, ny_ = fwd.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
    cx, cy = fwd.transform(comms["lon"].to_numpy(), comms["lat"].to_numpy())
    fx, fy = fwd.transform(facs["lon"].to_numpy(), facs["lat"].to_numpy())
    t["project"] = time.perf_counter() - t1
    step_done(t, "project")

    # Communities to their nearest nodes; those nodes are the live ones.
    t2 = time.perf_counter()
    keys = nodes["id"].astype(str).to_numpy()
    _, nearest = cKDTree(np.c_[nx_, ny_]).query(np.c_[cx, cy])
    comm_keys = keys[nearest]
    live = np.full(len(keys), a.all_live)
    live[nearest] = True
    t["snap"] = time.perf_counter() - t2
    step_done(t, "snap")

    # networkx graph with edge geometries.
    t3 = time.perf_counter()
    pos = pd.Series(np.arange(len(keys)), index=nodes["id"].to_numpy())
    ia, ib = pos[edges["from"]].to_numpy(), pos[edges["to"]].to_numpy()
    geoms, imp = edge_geometries(nx_[ia], ny_[ia], nx_[ib], ny_[ib], edges["length_m"].to_numpy(), a.lengths)
    g = nx.MultiGraph()
    g.graph["crs"] = crs
    g.add_nodes_from(
        (k, {"x": x, "y": y, "live": bool(lv)}) for k, x, y, lv in zip(keys, nx_, ny_, live)
    )
    g.add_edges_from(
        (keys[u], keys[v], {"geom": geom, "imp_factor": float(f)})
        for u, v, geom, f in zip(ia, ib, geoms, imp)
    )
    t["graph"] = time.perf_counter() - t3
    step_done(t, "graph")

    t4 = time.perf_counter()
    nodes_gdf, _edges_gdf, network = io.network_structure_from_nx(g)
    del g
    t["structure"] = time.perf_counter() - t4
    step_done(t, "structure")

    # One call for every category: nearest distance within dmax, counts within each circle.
    t5 = time.perf_counter()
    data = gpd.GeoDataFrame(
        {"category": facs["category"].to_numpy()},
        index=facs["id"].to_numpy(),
        geometry=gpd.points_from_xy(fx, fy),
        crs=crs,
    )
    distances = sorted(set(circles + [dmax]))
    nodes_gdf = layers.compute_accessibilities(
        data,
        landuse_column_label="category",
        accessibility_keys=cats,
        nodes_gdf=nodes_gdf,
        network_structure=network,
        max_netw_assign_dist=a.assign_distance,
        distances=distances,
        decay_fn="1",  # plain counts, one column per distance
    )
    t["access"] = time.perf_counter() - t5
    step_done(t, "access")

    # The communities' rows, in livingcircle's formats.
    t6 = time.perf_counter()
    at = nodes_gdf.loc[comm_keys]
    near, counts = [], []
    for ci, cat in enumerate(cats):
        dist = at[f"cc_{cat}_nearest_max_{dmax}"].to_numpy(dtype=float)
        found = np.isfinite(dist) & (dist <= dmax)
        near.append(
            pd.DataFrame(
                {
                    "order": np.flatnonzero(found),
                    "cat_order": ci,
                    "category": cat,
                    "community_id": comms["id"].to_numpy()[found],
                    "rank": 1,
                    "facility_id": "",
                    "distance_m": dist[found],
                }
            )
        )
        cnt = {"order": np.arange(len(comms)), "cat_order": ci, "community_id": comms["id"].to_numpy()}
        cnt["category"] = cat
        for r in circles:
            cnt[f"within_{r}"] = np.nan_to_num(at[f"cc_{cat}_{r}"].to_numpy(dtype=float)).astype(np.int64)
        counts.append(pd.DataFrame(cnt))
    near = pd.concat(near, ignore_index=True).sort_values(["order", "cat_order"], kind="stable")
    counts = pd.concat(counts, ignore_index=True).sort_values(["order", "cat_order"], kind="stable")
    t["extract"] = time.perf_counter() - t6
    step_done(t, "extract")

    t7 = time.perf_counter()
    near[["community_id", "category", "rank", "facility_id", "distance_m"]].to_csv(
        a.out, index=False, float_format="%.3f"
    )
    counts[["community_id", "category"] + [f"within_{r}" for r in circles]].to_csv(a.counts, index=False)
    t["write"] = time.perf_counter() - t7
    step_done(t, "write")
    t["end_to_end"] = time.perf_counter() - t0

    out = {
        "tool": "cityseer",
        "cityseer_version": cityseer.__version__ if hasattr(cityseer, "__version__") else "?",
        "networkx_version": nx.__version__,
        "pandas_version": pd.__version__,
        "numpy_version": np.__version__,
        "python_version": sys.version.split()[0],
        "lengths": a.lengths,
        "all_live": a.all_live,
        "live_nodes": int(live.sum()),
        "startup_and_imports": T_IMPORTED - T_START,
        "timings": t,
        "peak_rss_bytes": peak_rss_bytes(),
        "nodes": int(len(nodes)),
        "edges": int(len(edges)),
        "communities": int(len(comms)),
        "facilities": int(len(facs)),
        "rows": int(len(near)),
        "categories": cats,
        "circles_m": circles,
        "max_distance_m": dmax,
    }
    with open(a.json, "w") as f:
        json.dump(out, f, indent=2)
    print(
        "cityseer: end to end {end_to_end:.2f} s (read {read:.2f}, project {project:.2f}, snap {snap:.2f}, "
        "graph {graph:.2f}, structure {structure:.2f}, access {access:.2f}, extract {extract:.2f}, "
        "write {write:.2f}), ".format(**t) + f"peak {out['peak_rss_bytes'] / 2**20:.0f} MiB, {len(near)} rows",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

"""Access from Python equals the command line's on the same inputs, row for row."""

from __future__ import annotations

import pandas as pd
import pytest

import livingcircle as lc


def test_three_lines_give_the_cli_nearest_table(demo, cli, tmp_path):
    # The bar of issue 20: three lines of Python, the CLI's table.
    net = lc.Network.from_osm(demo / "chengdu-central.osm.pbf")
    nearest = net.access(demo / "communities.csv", demo / "facilities.csv")

    out = tmp_path / "access.csv"
    cli("access", "--osm", demo / "chengdu-central.osm.pbf",
        "--communities", demo / "communities.csv", "--facilities", demo / "facilities.csv",
        "--out", out)
    expected = lc.read_table(out)
    assert list(nearest.columns) == ["community_id", "category", "rank", "facility_id", "distance_m"]
    assert len(nearest) > 1000
    # Every community of the demo city, every category of its facilities.
    communities = pd.read_csv(demo / "communities.csv")
    facilities = pd.read_csv(demo / "facilities.csv")
    assert set(nearest["community_id"]) <= set(communities["id"])
    assert set(nearest["category"]) == set(facilities["category"])
    pd.testing.assert_frame_equal(nearest, expected)


def test_counts_and_capacity_equal_the_cli(demo, cli, tmp_path):
    net = lc.Network.from_osm(demo / "chengdu-central.osm.pbf", progress=False)
    r = net.access_all(demo / "communities.csv", demo / "facilities.csv",
                       k=2, max_distance=1200, circles=[250, 800], catchment=900, progress=False)
    cli("access", "--osm", demo / "chengdu-central.osm.pbf",
        "--communities", demo / "communities.csv", "--facilities", demo / "facilities.csv",
        "--k", 2, "--max-distance", 1200, "--circles", "250,800", "--catchment", 900,
        "--out", tmp_path / "a.csv", "--counts", tmp_path / "c.csv",
        "--capacity", tmp_path / "cap.csv")
    pd.testing.assert_frame_equal(r.nearest, lc.read_table(tmp_path / "a.csv"))
    pd.testing.assert_frame_equal(r.counts, lc.read_table(tmp_path / "c.csv"))
    assert r.capacity is not None and len(r.capacity) > 0
    # Equal values; the catchment and demands are floats here, where the CSV reader sees
    # whole numbers as integers.
    pd.testing.assert_frame_equal(r.capacity, lc.read_table(tmp_path / "cap.csv"), check_dtype=False)
    assert r.capacity["ratio_per_1000"].notna().any()
    assert list(r.counts.columns[-2:]) == ["within_250", "within_800"]
    # The separate calls give the same tables.
    pd.testing.assert_frame_equal(
        net.counts(demo / "communities.csv", demo / "facilities.csv", circles=[250, 800],
                   k=2, max_distance=1200, progress=False),
        r.counts,
    )


def test_osm_tag_facilities_as_the_demo_uses_them(demo, cli, tmp_path):
    net = lc.Network.from_osm(demo / "chengdu-central.osm.pbf", osm_facilities=True, progress=False)
    tagged = net.osm_facilities()
    assert len(tagged) > 0 and {"id", "category", "lon", "lat"} <= set(tagged.columns)
    nearest = net.access(demo / "communities.csv", demo / "facilities.csv",
                         with_osm_facilities=True, progress=False)
    cli("access", "--osm", demo / "chengdu-central.osm.pbf",
        "--communities", demo / "communities.csv", "--facilities", demo / "facilities.csv",
        "--with-osm-facilities", "--out", tmp_path / "a.csv")
    pd.testing.assert_frame_equal(nearest, lc.read_table(tmp_path / "a.csv"))
    # Without a facilities table the tags' facilities are used, as the CLI does.
    only_tags = net.access(demo / "communities.csv", progress=False)
    cli("access", "--osm", demo / "chengdu-central.osm.pbf",
        "--communities", demo / "communities.csv", "--out", tmp_path / "t.csv")
    pd.testing.assert_frame_equal(only_tags, lc.read_table(tmp_path / "t.csv"))


def test_second_load_reads_the_cache(demo):
    first = lc.Network.from_osm(demo / "chengdu-central.osm.pbf", progress=False)
    again = lc.Network.from_osm(demo / "chengdu-central.osm.pbf", progress=False)
    assert again.info["from_cache"] is not None
    assert (demo / "chengdu-central.osm.pbf.walk.lcc.lcnet").exists()
    assert (again.node_count, again.edge_count) == (first.node_count, first.edge_count)
    fresh = lc.Network.from_osm(demo / "chengdu-central.osm.pbf", cache=False, progress=False)
    assert fresh.info["from_cache"] is None
    assert fresh.node_count == first.node_count


def test_frames_tables_and_cli_agree_on_a_generated_city(city, cli, tmp_path):
    nodes, edges = pd.read_csv(city / "nodes.csv"), pd.read_csv(city / "edges.csv")
    from_frames = lc.Network.from_frames(nodes, edges, progress=False)
    from_files = lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", progress=False)
    assert (from_frames.node_count, from_frames.edge_count) == (from_files.node_count, from_files.edge_count)
    communities = pd.read_csv(city / "communities.csv", dtype={"id": str, "division_code": str})
    facilities = pd.read_csv(city / "facilities.csv", dtype={"id": str})
    a = from_frames.access(communities, facilities, progress=False)
    b = from_files.access(city / "communities.csv", city / "facilities.csv", progress=False)
    pd.testing.assert_frame_equal(a, b)
    cli("access", "--nodes", city / "nodes.csv", "--edges", city / "edges.csv",
        "--communities", city / "communities.csv", "--facilities", city / "facilities.csv",
        "--out", tmp_path / "a.csv")
    pd.testing.assert_frame_equal(a, lc.read_table(tmp_path / "a.csv"))


def test_node_snapping_and_categories_options(city, cli, tmp_path):
    net = lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", progress=False)
    got = net.access(city / "communities.csv", city / "facilities.csv", k=1, snap="node",
                     categories=["pharmacy", "park"], progress=False)
    cli("access", "--nodes", city / "nodes.csv", "--edges", city / "edges.csv",
        "--communities", city / "communities.csv", "--facilities", city / "facilities.csv",
        "--k", 1, "--snap", "node", "--categories", "pharmacy,park", "--out", tmp_path / "a.csv")
    assert set(got["category"]) == {"pharmacy", "park"}
    pd.testing.assert_frame_equal(got, lc.read_table(tmp_path / "a.csv"))


def test_progress_reaches_the_callback_and_a_raising_callback_stops_the_run(city):
    events = []
    lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", cache=False,
                           progress=lambda *e: events.append(e))
    steps = [(e[0], e[1]) for e in events]
    assert ("start", "read_network") in steps and ("finish", "build_network") in steps

    net = lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", progress=False)

    class Stop(Exception):
        pass

    def stop(event, step, label, value):
        if step == "access":
            raise Stop()

    with pytest.raises(Stop):
        net.access(city / "communities.csv", city / "facilities.csv", progress=stop)


def test_default_progress_draws_tqdm_bars(city, capsys):
    pytest.importorskip("tqdm")  # installed by .ci/run (python/requirements-ci.txt)
    net = lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", cache=False)
    net.access(city / "communities.csv", city / "facilities.csv")
    err = capsys.readouterr().err
    assert "Reading the network" in err and "可达性 Access" in err

"""GeoDataFrames in (any CRS) and out: round trips through EPSG:3857, isochrones as polygons."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import shape

import livingcircle as lc


def _points(df: pd.DataFrame, crs: int = 4326) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]),
                         geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    return g.to_crs(crs)


@pytest.fixture(scope="module")
def net(demo):
    return lc.Network.from_osm(demo / "chengdu-central.osm.pbf", progress=False)


def test_geodataframes_in_web_mercator_give_the_same_access(net, demo):
    communities = pd.read_csv(demo / "communities.csv", dtype={"id": str, "division_code": str})
    facilities = pd.read_csv(demo / "facilities.csv", dtype={"id": str})
    c3857, f3857 = _points(communities, 3857), _points(facilities, 3857)
    assert c3857.crs.to_epsg() == 3857 and abs(c3857.geometry.x.iloc[0]) > 1e6
    got = net.access(c3857, f3857, progress=False)
    expected = net.access(demo / "communities.csv", demo / "facilities.csv", progress=False)
    # The same rows; distances within a few millimetres (the projection's round trip moves a
    # point by nanodegrees, and a distance written to the millimetre can round the other way).
    pd.testing.assert_frame_equal(got.drop(columns="distance_m"), expected.drop(columns="distance_m"))
    assert np.abs(got["distance_m"].to_numpy() - expected["distance_m"].to_numpy()).max() < 0.005
    # A plain DataFrame (the file read by pandas) gives exactly the file's result.
    pd.testing.assert_frame_equal(net.access(communities, facilities, progress=False), expected)


def test_plain_tables_in_gcj02_are_converted_like_the_cli(net, demo, cli, tmp_path):
    communities = pd.read_csv(demo / "communities.csv", dtype={"id": str, "division_code": str})
    facilities = pd.read_csv(demo / "facilities.csv", dtype={"id": str})
    got = net.access(communities, facilities, crs="gcj02", progress=False)
    cli("access", "--osm", demo / "chengdu-central.osm.pbf", "--crs", "gcj02",
        "--communities", demo / "communities.csv", "--facilities", demo / "facilities.csv",
        "--out", tmp_path / "a.csv")
    pd.testing.assert_frame_equal(got, lc.read_table(tmp_path / "a.csv"))


def test_a_geodataframe_beside_a_plain_table_in_another_crs_is_refused(net, demo):
    communities = pd.read_csv(demo / "communities.csv")
    with pytest.raises(lc.OptionError, match="GeoDataFrame"):
        net.access(_points(communities), demo / "facilities.csv", crs="gcj02", progress=False)


def test_isochrones_are_polygons_equal_to_the_cli(net, demo, cli, tmp_path):
    communities = pd.read_csv(demo / "communities.csv", dtype={"id": str}).head(4)
    sub = tmp_path / "c.csv"
    communities.to_csv(sub, index=False)
    iso = net.isochrones(sub, minutes=[5, 10, 15], progress=False)
    assert isinstance(iso, gpd.GeoDataFrame)
    assert iso.crs.to_epsg() == 4326
    assert len(iso) == 12
    assert set(iso.geom_type) == {"MultiPolygon"}
    assert iso.geometry.is_valid.all()
    # Larger limits reach more.
    for _, g in iso.groupby("start_id"):
        areas = g.sort_values("minutes").to_crs(3857).geometry.area.to_numpy()
        assert np.all(np.diff(areas) > 0)

    out = tmp_path / "iso.geojson"
    cli("isochrone", "--osm", demo / "chengdu-central.osm.pbf", "--communities", sub,
        "--minutes", "5,10,15", "--out", out)
    features = json.loads(out.read_text())["features"]
    assert len(features) == len(iso)
    for row, f in zip(iso.itertuples(), features):
        p = f["properties"]
        assert (row.start_id, row.minutes, row.distance_m, row.street_length_m, row.nodes_reached) == (
            p["start_id"], p["minutes"], p["distance_m"], p["street_length_m"], p["nodes_reached"])
        assert row.geometry.equals_exact(shape(f["geometry"]), 0.0)

    # The same starts given as a GeoDataFrame in EPSG:3857 give the same polygons (to a
    # nanodegree, the projection's round trip) and the frame's ids.
    g = _points(communities, 3857)
    from_geo = net.isochrones(g, minutes=[5, 10, 15], progress=False)
    assert list(from_geo["start_id"]) == list(iso["start_id"])
    for a, b in zip(from_geo.geometry, iso.geometry):
        assert a.symmetric_difference(b).area < 1e-9


def test_isochrones_of_lon_lat_pairs(net):
    iso = net.isochrones([(104.0657, 30.6595)], minutes=[10], speed=80, progress=False)
    assert list(iso["start_id"]) == ["point1"]
    assert iso["distance_m"].iloc[0] == 800
    assert iso.geometry.iloc[0].area > 0


def test_to_wgs84_matches_the_engine_reading_gcj02(demo):
    communities = pd.read_csv(demo / "communities.csv").head(5)
    lon, lat = lc.to_wgs84(communities["lon"], communities["lat"], "gcj02")
    # GCJ-02 is offset from WGS-84 by a few hundred metres in China.
    assert np.all(np.abs(lon - communities["lon"].to_numpy()) > 1e-4)
    same, _ = lc.to_wgs84(communities["lon"], communities["lat"], "wgs84")
    assert np.array_equal(same, communities["lon"].to_numpy())
    with pytest.raises(lc.OptionError):
        lc.to_wgs84([1.0], [2.0], "epsg:3857")


def test_network_nodes_as_a_geodataframe_in_another_crs(city):
    nodes, edges = pd.read_csv(city / "nodes.csv"), pd.read_csv(city / "edges.csv")
    plain = lc.Network.from_frames(nodes, edges, progress=False)
    g = _points(nodes, 3857)
    assert "lon" not in g.columns
    from_geo = lc.Network.from_frames(g, edges, progress=False)
    assert (from_geo.node_count, from_geo.edge_count) == (plain.node_count, plain.edge_count)
    a = plain.access(city / "communities.csv", city / "facilities.csv", progress=False)
    b = from_geo.access(city / "communities.csv", city / "facilities.csv", progress=False)
    pd.testing.assert_frame_equal(a.drop(columns="distance_m"), b.drop(columns="distance_m"))
    assert np.abs(a["distance_m"].to_numpy() - b["distance_m"].to_numpy()).max() < 0.005

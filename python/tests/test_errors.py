"""Bad input raises a LivingcircleError carrying file, line and field."""

from __future__ import annotations

import pandas as pd
import pytest

import livingcircle as lc


@pytest.fixture(scope="module")
def net(city):
    return lc.Network.from_tables(city / "nodes.csv", city / "edges.csv", progress=False)


def test_a_bad_value_in_a_file_names_file_line_and_field(net, city, tmp_path):
    rows = (city / "communities.csv").read_text().splitlines()
    header = rows[0].split(",")
    lat = header.index("lat")
    bad = rows[2].split(",")
    bad[lat] = "91.5"
    rows[2] = ",".join(bad)
    path = tmp_path / "communities.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(lc.TableError) as e:
        net.access(path, city / "facilities.csv", progress=False)
    err = e.value
    assert isinstance(err, lc.LivingcircleError) and isinstance(err, ValueError)
    assert (err.file, err.line, err.field) == (str(path), 3, "lat")
    assert "91.5" in str(err) and "line 3" in str(err)
    assert err.rows == [(str(path), 3, "lat", err.rows[0][3])]


def test_a_bad_value_in_a_dataframe_names_its_row(net, city):
    communities = pd.read_csv(city / "communities.csv", dtype={"id": str, "division_code": str})
    communities.loc[5, "population"] = -3
    with pytest.raises(lc.TableError) as e:
        net.access(communities, city / "facilities.csv", progress=False)
    err = e.value
    assert err.file == "<communities DataFrame>"
    assert (err.line, err.row, err.field) == (7, 5, "population")


def test_a_missing_column_is_named(net, city):
    facilities = pd.read_csv(city / "facilities.csv").drop(columns=["category"])
    with pytest.raises(lc.TableError) as e:
        net.access(city / "communities.csv", facilities, progress=False)
    assert e.value.field == "category"
    assert e.value.file == "<facilities DataFrame>"
    assert "missing required column 'category'" in str(e.value)


def test_bad_network_frames_name_the_edge_row(city):
    nodes, edges = pd.read_csv(city / "nodes.csv"), pd.read_csv(city / "edges.csv")
    edges.loc[10, "to"] = 999_999_999
    with pytest.raises(lc.TableError) as e:
        lc.Network.from_frames(nodes, edges, progress=False)
    assert (e.value.file, e.value.row, e.value.field) == ("<edges DataFrame>", 10, "to")


def test_a_missing_file_is_an_input_error(city, tmp_path):
    with pytest.raises(lc.InputError) as e:
        lc.Network.from_osm(tmp_path / "nowhere.osm.pbf", progress=False)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, lc.InputFileNotFound)
    assert e.value.file == str(tmp_path / "nowhere.osm.pbf")


def test_a_file_that_is_not_osm_is_a_network_error(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a PBF file")
    with pytest.raises(lc.NetworkError) as e:
        lc.Network.from_osm(bad, progress=False)
    assert e.value.file == str(bad)


def test_bad_options_are_option_errors(net, city):
    c, f = city / "communities.csv", city / "facilities.csv"
    with pytest.raises(lc.OptionError, match="k"):
        net.access(c, f, k=0, progress=False)
    with pytest.raises(lc.OptionError, match="snap"):
        net.access(c, f, snap="road", progress=False)
    with pytest.raises(lc.OptionError, match="max_distance"):
        net.access(c, f, max_distance=-1, progress=False)
    with pytest.raises(lc.OptionError, match="no_such_category"):
        net.access(c, f, categories=["no_such_category"], progress=False)
    with pytest.raises(lc.OptionError, match="profile"):
        lc.Network.from_osm(c, profile="bicycle", progress=False)
    with pytest.raises(lc.OptionError, match="crs"):
        net.access(c, f, crs="utm50", progress=False)


def test_no_rows_is_nothing_to_compute(net, city, tmp_path):
    empty = tmp_path / "communities.csv"
    empty.write_text((city / "communities.csv").read_text().splitlines()[0] + "\n")
    with pytest.raises(lc.NothingToCompute, match="header and no rows"):
        net.access(empty, city / "facilities.csv", progress=False)


def test_a_bad_standard_names_file_line_and_key(net, city, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nname = "x"\nbogus_key = 3\n')
    with pytest.raises(lc.SpecError) as e:
        net.assess(city / "communities.csv", city / "facilities.csv", standards=[bad], progress=False)
    assert e.value.file == str(bad)
    assert e.value.line is not None and e.value.line >= 1

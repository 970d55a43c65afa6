"""The assessment's tables and siting from Python, against the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import livingcircle as lc


@pytest.fixture(scope="module")
def net(demo):
    return lc.Network.from_osm(demo / "chengdu-central.osm.pbf", progress=False)


def test_assess_returns_the_cli_tables(net, demo, cli, tmp_path):
    tables = lc.assess(net, demo / "communities.csv", demo / "facilities.csv",
                       divisions=demo / "divisions.csv", progress=False)
    assert set(tables) == {"shortcomings", "indicators", "unavailable",
                           "indicator_definitions", "facilities"}
    out = tmp_path / "assessment"
    cli("assess", "--osm", demo / "chengdu-central.osm.pbf",
        "--communities", demo / "communities.csv", "--facilities", demo / "facilities.csv",
        "--divisions", demo / "divisions.csv", "--out", out)
    for name, df in tables.items():
        expected = lc.read_table(out / f"{name}.csv")
        pd.testing.assert_frame_equal(df, expected, obj=name)
    assert len(tables["shortcomings"]) > 0 and len(tables["indicators"]) > 0


def test_assess_with_a_standard_file(net, demo, tmp_path):
    repo_standard = Path(__file__).resolve().parents[2] / "standards" / "mofcom-15min.toml"
    tables = net.assess(demo / "communities.csv", demo / "facilities.csv",
                        standards=[repo_standard], progress=False)
    assert len(tables["shortcomings"]) > 0


def test_site_chooses_sites_with_a_proven_bound(net, demo, cli, tmp_path):
    r = lc.site(net, demo / "communities.csv", demo / "candidates.csv", "elderly_day_care", 3,
                facilities=demo / "facilities.csv", radius=1000, progress=False)
    assert isinstance(r, lc.SiteResult)
    s = r.sites
    assert list(s.columns[:3]) == ["rank", "candidate_id", "name"]
    assert list(s["rank"]) == [1, 2, 3]
    assert r.covered_before <= r.covered_after <= r.bound + 1e-6
    # Each site's people add up to the total newly covered, most first.
    assert s["newly_covered"].sum() == pytest.approx(r.covered_after - r.covered_before)
    assert list(s["newly_covered"]) == sorted(s["newly_covered"], reverse=True)
    assert s["cumulative"].iloc[-1] == pytest.approx(r.covered_after)
    candidates = pd.read_csv(demo / "candidates.csv")
    assert set(s["candidate_id"]) <= set(candidates["id"])

    # The command line's maximal coverage on the same inputs reaches the same coverage.
    cli("site", "--osm", demo / "chengdu-central.osm.pbf", "--communities", demo / "communities.csv",
        "--candidates", demo / "candidates.csv", "--facilities", demo / "facilities.csv",
        "--category", "elderly_day_care", "--p", 3, "--radius", 1000, "--weight", "population",
        "--out", tmp_path / "site")
    summary = json.loads((tmp_path / "site" / "summary.json").read_text())
    assert summary["covered_population_before"] == pytest.approx(r.covered_before)
    if summary["optimal"] and r.optimal:
        assert summary["covered_population_after"] == pytest.approx(r.covered_after)

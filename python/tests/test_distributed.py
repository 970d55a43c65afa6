"""livingcircle.distributed: a generated city of several districts and streets, with facilities
added where regions meet (ties at equal distance, a facility on a community), run by regional
parts on a LocalCluster of 2 and 3 worker processes, equals the whole run row for row, and the
assessment from parts equals the whole assessment table for table; bad input and a failing part
raise errors that say which file and which part."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import livingcircle as lc
import livingcircle.distributed as lcd

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def regions(city, tmp_path_factory):
    """The generated city (its communities carry 12-digit division codes: districts and
    streets) plus, for pairs of nearest communities of different streets, two kindergartens at
    the same point half-way between them (equal distances, ordered by id) and a pharmacy exactly
    on one of them."""
    d = tmp_path_factory.mktemp("regions")
    for f in ("nodes.csv", "edges.csv", "communities.csv"):
        shutil.copy(city / f, d / f)
    comms = pd.read_csv(d / "communities.csv", dtype={"id": str, "division_code": str})
    street = comms["division_code"].str[:9].to_numpy()
    lon, lat = comms["lon"].to_numpy(), comms["lat"].to_numpy()
    extra = []
    for i in range(len(comms)):
        other = street != street[i]
        dist = np.hypot((lon - lon[i]) * np.cos(np.radians(lat[i])), lat - lat[i])
        dist[~other] = np.inf
        j = int(np.argmin(dist))
        if j < i or not np.isfinite(dist[j]) or len(extra) >= 3 * 30:
            continue
        mid = ((lon[i] + lon[j]) / 2, (lat[i] + lat[j]) / 2)
        extra += [
            (f"zz-tie-b-{i}", "boundary", "kindergarten", *mid),
            (f"zz-tie-a-{i}", "boundary", "kindergarten", *mid),
            (f"zz-on-{i}", "boundary", "pharmacy", lon[j], lat[j]),
        ]
    assert len(extra) >= 30, "too few boundary pairs to mean anything"
    fac = pd.read_csv(city / "facilities.csv", dtype=str)
    add = pd.DataFrame(extra, columns=["id", "name", "category", "lon", "lat"]).astype(str)
    pd.concat([fac, add], ignore_index=True).to_csv(d / "facilities.csv", index=False)
    assert comms["division_code"].str[:6].nunique() >= 2, "the city has one district only"
    return d


def inputs(d):
    return [d / "nodes.csv", d / "edges.csv", d / "communities.csv", d / "facilities.csv"]


@pytest.fixture(scope="module")
def whole(regions):
    net = lc.Network.from_tables(regions / "nodes.csv", regions / "edges.csv", cache=False, progress=False)
    return net.access_all(regions / "communities.csv", regions / "facilities.csv", progress=False)


@pytest.fixture(scope="module")
def client2():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            yield client


def near_boundary_rows(nearest):
    return nearest[nearest["facility_id"].str.startswith("zz-")]


def test_parts_on_two_worker_processes_equal_the_whole_run(regions, whole, client2, cli, tmp_path):
    got = lcd.access_all(*inputs(regions), by="division:9", client=client2, progress=False)
    assert got.summary["parts"] >= 3
    pd.testing.assert_frame_equal(got.nearest, whole.nearest)
    pd.testing.assert_frame_equal(got.counts, whole.counts)
    # The boundary facilities are among the rows, ties ordered by id as in the whole run.
    ties = near_boundary_rows(got.nearest)
    assert len(ties) > 30 and (ties["facility_id"].str.startswith("zz-tie-a").any())
    # And the command line's whole run says the same.
    cli("access", "--nodes", regions / "nodes.csv", "--edges", regions / "edges.csv",
        "--communities", regions / "communities.csv", "--facilities", regions / "facilities.csv",
        "--no-cache", "--out", tmp_path / "a.csv")
    pd.testing.assert_frame_equal(lcd.access(*inputs(regions), by="division:6", client=client2, progress=False),
                                  lc.read_table(tmp_path / "a.csv"))


def test_grid_parts_on_three_worker_processes_equal_the_whole_run(regions, whole):
    # client=None: a LocalCluster of 3 worker processes is started and closed for the call.
    got = lcd.access_all(*inputs(regions), by="grid:1500m", n_workers=3, progress=False)
    assert got.summary["parts"] >= 4
    pd.testing.assert_frame_equal(got.nearest, whole.nearest)
    pd.testing.assert_frame_equal(got.counts, whole.counts)


def test_node_snapping_and_options_equal_the_whole_run(regions, client2):
    net = lc.Network.from_tables(regions / "nodes.csv", regions / "edges.csv", cache=False, progress=False)
    opts = dict(k=2, max_distance=900, snap="node", categories=["kindergarten", "pharmacy", "clinic"])
    want = net.access_all(regions / "communities.csv", regions / "facilities.csv", circles=[250, 800],
                          progress=False, **opts)
    got = lcd.access_all(*inputs(regions), by="division:9", client=client2, circles=[250, 800],
                         progress=False, **opts)
    pd.testing.assert_frame_equal(got.nearest, want.nearest)
    pd.testing.assert_frame_equal(got.counts, want.counts)


def test_plan_run_and_merge_step_by_step_and_as_files(regions, whole, cli, tmp_path):
    plan = lcd.plan(*inputs(regions), tmp_path / "plan", by="division:6", counts=True, progress=False)
    assert len(plan.jobs) >= 2 and sum(j.communities for j in plan.jobs) == plan.communities
    # In this process, one part after another, the plan folder visible: the same tables.
    parts = [lcd.run_part(j) for j in plan.jobs]
    merged = lcd.merge(plan, parts)
    pd.testing.assert_frame_equal(merged.nearest, whole.nearest)
    # Leaving a part out is refused, naming the community that no part computed.
    with pytest.raises(lc.PartitionError, match="in no part"):
        lcd.merge(plan, parts[1:])
    # The same plan's jobs run by the command line, merged from Python: access's bytes.
    for j in plan.jobs:
        cli("partition", "run", j.path)
    report = lcd.merge_files(plan.folder, tmp_path / "m.csv", tmp_path / "mc.csv")
    assert report["communities"] == plan.communities and len(report["parts"]) == len(plan.jobs)
    cli("access", "--nodes", regions / "nodes.csv", "--edges", regions / "edges.csv",
        "--communities", regions / "communities.csv", "--facilities", regions / "facilities.csv",
        "--no-cache", "--out", tmp_path / "a.csv", "--counts", tmp_path / "c.csv")
    assert (tmp_path / "m.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    assert (tmp_path / "mc.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()


def test_a_missing_input_file_is_named(regions, tmp_path):
    missing = tmp_path / "no-such-facilities.csv"
    args = inputs(regions)[:3] + [missing]
    with pytest.raises(lc.InputFileNotFound) as e:
        lcd.access(*args, client=object(), progress=False)  # refused before any cluster is used
    assert e.value.file == str(missing) and str(missing) in str(e.value)


def test_a_bad_scheme_says_what_is_expected(regions, tmp_path):
    with pytest.raises(lc.OptionError, match="division:N"):
        lcd.plan(*inputs(regions), tmp_path / "p", by="county:6", progress=False)


def test_a_part_failing_on_a_worker_raises_naming_the_part(regions, client2, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for f in inputs(regions):
        shutil.copy(f, d / f.name)
    plan = lcd.plan(*inputs(d), tmp_path / "plan", by="division:6", progress=False)
    # The facilities change after the plan was made: every part refuses to run on them.
    with open(d / "facilities.csv", "a") as f:
        f.write("late,added later,pharmacy,0,0\n")
    with pytest.raises(lc.PartitionError) as e:
        lcd.run_parts(plan, client2, progress=False)
    err = e.value
    assert err.part is not None and err.part in {j.part for j in plan.jobs}
    assert f"part {err.part}" in str(err) and "facilities.csv" in str(err) and "plan again" in str(err)


def test_errors_cross_processes_whole():
    import pickle

    e = lc.TableError("bad", {"file": "f.csv", "line": 3, "field": "lat", "rows": []}, "table")
    e.part = "part-0002"
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is lc.TableError
    assert (back.file, back.line, back.field, back.part, str(back)) == ("f.csv", 3, "lat", "part-0002", "bad")


@pytest.fixture(scope="module")
def whole_assessment(regions):
    net = lc.Network.from_tables(regions / "nodes.csv", regions / "edges.csv", cache=False, progress=False)
    return lc.assess(net, regions / "communities.csv", regions / "facilities.csv", progress=False)


def assert_same_tables(got, want):
    assert set(got) == set(want) == {"shortcomings", "indicators", "unavailable",
                                     "indicator_definitions", "facilities"}
    for name in want:
        pd.testing.assert_frame_equal(got[name], want[name], obj=name)


def test_assessment_by_parts_on_two_worker_processes_equals_the_whole(regions, whole_assessment, client2):
    got = lcd.assess(*inputs(regions), by="division:9", client=client2, progress=False)
    assert_same_tables(got, whole_assessment)
    ind = whole_assessment["indicators"]
    # Something to compare: shortcomings, and indicators with values, ratio ones among them
    # (capacity shared among communities of different streets, i.e. different parts).
    assert len(whole_assessment["shortcomings"]) > 0
    assert ind["value"].notna().sum() > 10
    assert whole_assessment["shortcomings"]["found_ratio"].notna().any(), "no ratio requirement checked"


def test_assessment_by_grid_on_three_worker_processes_equals_the_whole(regions, whole_assessment):
    # client=None: a LocalCluster of 3 worker processes for the call.
    got = lcd.assess(*inputs(regions), by="grid:1500m", n_workers=3, progress=False)
    assert_same_tables(got, whole_assessment)


def test_assessment_step_by_step_with_a_standard_file(regions, client2, tmp_path):
    standard = Path(__file__).resolve().parents[2] / "standards" / "mofcom-15min.toml"
    net = lc.Network.from_tables(regions / "nodes.csv", regions / "edges.csv", cache=False, progress=False)
    want = net.assess(regions / "communities.csv", regions / "facilities.csv", standards=[standard],
                      snap="node", progress=False)
    plan = lcd.plan_assess(*inputs(regions), tmp_path / "plan", by="division:6", standards=[standard],
                           snap="node", progress=False)
    parts = lcd.run_parts(plan, client2, progress=False)
    assert_same_tables(lcd.assess_parts(plan, parts, standards=[standard]), want)
    # A part left out, other standards than the plan's, or parts of an access plan: refused.
    with pytest.raises(lc.PartitionError, match="in no part"):
        lcd.assess_parts(plan, parts[1:], standards=[standard])
    with pytest.raises(lc.LivingcircleError, match="standards and targets differ"):
        lcd.assess_parts(plan, parts)
    access_plan = lcd.plan(*inputs(regions), tmp_path / "access", by="division:6", progress=False)
    with pytest.raises(lc.PartitionError, match="plan_assess"):
        lcd.assess_parts(plan, lcd.run_parts(access_plan, client2, progress=False), standards=[standard])


def test_progress_counts_the_parts_done(regions, client2):
    seen = []

    def callback(event, step, label, value):
        if step == "parts":
            seen.append((event, value))

    plan = lcd.plan(*inputs(regions), regions / "plan-progress", by="division:6", progress=False)
    parts = lcd.run_parts(plan, client2, progress=callback)
    assert len(parts) == len(plan.jobs) >= 2
    assert seen == [("advance", i) for i in range(1, len(plan.jobs) + 1)]

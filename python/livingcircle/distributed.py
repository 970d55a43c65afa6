"""National runs on Dask: a walking-access run cut into regional parts, the parts run on a
``dask.distributed`` cluster, merged into exactly the whole run's tables (issue 20 item 2).

Walking circles are local, so a run too large for one machine is cut by region — the
communities' division-code prefix (``"division:2"`` provinces, ``"division:4"`` cities,
``"division:6"`` counties/districts, ``"division:9"`` streets) or a grid cell (``"grid:20km"``)
— and each part reads only the network around its region plus a halo of the search radius.
The engine's partition library (``lc_pipeline::partition``, the same as ``livingcircle
partition``) plans the parts, runs one part and checks that its result is exact (it grows its
halo until it is); the merged result equals :meth:`livingcircle.Network.access` on the whole
input, row for row::

    from dask.distributed import Client
    import livingcircle.distributed as lcd

    nearest = lcd.access("nodes.csv", "edges.csv", "communities.csv", "facilities.csv",
                         by="division:6", client=Client("scheduler:8786"))

**What must be shared.** Every part job is self-contained: it names the four input files (by
absolute path, with their size and modification time, refused if changed) and carries the
run's options, its region and halo and the whole network's facts. A worker needs only:

* the **input files** (``nodes.csv``, ``edges.csv``, ``communities.csv``,
  ``facilities.csv``) readable **at the same absolute paths** as on the client (a shared
  file system, or the same files copied to the same place on every machine);
* the ``livingcircle`` package installed (the same version as the client's).

The plan folder stays on the client: the list of nodes the whole graph drops travels with the
tasks (scattered once to every worker) and each part's rows come back to the client through
Dask, where they are merged. Nothing is written on the workers but a temporary job file.

Only node/edge tables are supported (a part cannot read an OSM file by extent; export the
tables first). :func:`assess` runs the assessment's access computation by parts on the cluster
and the assessment itself on the client (see there).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np
import pandas as pd

from . import (
    AccessResult,
    LivingcircleError,
    PartitionError,
    PathLike,
    Progress,
    _call,
    _counts_frame,
    _native,
    _nearest_frame,
    _progress,
    _text,
    read_table,
)

__all__ = [
    "Plan",
    "PartJob",
    "PartResult",
    "plan",
    "plan_assess",
    "run_part",
    "run_parts",
    "merge",
    "merge_files",
    "assess_parts",
    "access",
    "access_all",
    "assess",
]


@dataclass(frozen=True)
class PartJob:
    """One part of a plan: its name (``part-0001``), region (``division 510104``, ``grid
    3,-2``), job file on the client and the job's JSON text (what a worker runs)."""

    part: str
    region: str
    path: str
    text: str

    @property
    def communities(self) -> int:
        """How many communities the plan found in the part's region."""
        return int(json.loads(self.text)["communities"])


@dataclass
class Plan:
    """A planned partitioned run: its folder (``plan.json``, ``dropped-nodes.txt``,
    ``part-NNNN.json``), the plan's summary (``plan.json`` as a dict) and its jobs."""

    folder: str
    summary: Dict[str, Any]
    jobs: List[PartJob]
    dropped_nodes_file: str
    timings: Dict[str, float] = field(default_factory=dict)
    assess: bool = False
    """A plan of the assessment's access computation (:func:`plan_assess`): its parts hand back
    their raw results too."""

    @property
    def communities(self) -> int:
        return int(self.summary["communities"])

    @property
    def counts(self) -> bool:
        """Whether the parts compute the counts within circles."""
        return bool(self.summary["options"]["counts"])

    def dropped_nodes(self) -> str:
        """The text of ``dropped-nodes.txt`` (sent to the workers with the jobs)."""
        with open(self.dropped_nodes_file, encoding="utf-8") as f:
            return f.read()


@dataclass
class PartResult:
    """What one part computed (picklable: plain lists and bytes): the columns of its
    communities' rows as :meth:`livingcircle.Network.access` builds them, the communities'
    indices among the input rows, and the part's manifest (how it went: nodes read, halo,
    attempts, seconds)."""

    part: str
    region: str
    columns: Dict[str, Any]
    manifest: Dict[str, Any]

    @property
    def indices(self) -> np.ndarray:
        return np.frombuffer(self.columns["indices"], dtype="<u8")


# --------------------------------------------------------------------------------------------
# The three steps


def plan(
    nodes: PathLike,
    edges: PathLike,
    communities: PathLike,
    facilities: PathLike,
    folder: PathLike,
    *,
    by: str = "division:6",
    k: int = 3,
    max_distance: float = 1500.0,
    circles: Sequence[float] = (300.0, 500.0, 1000.0),
    counts: bool = False,
    categories: Optional[Sequence[str]] = None,
    snap: str = "edge",
    snap_limit: float = 300.0,
    keep_all_components: bool = False,
    crs: str = "wgs84",
    progress: Progress = True,
) -> Plan:
    """Plans a partitioned access run into ``folder`` (as ``livingcircle partition plan``):
    one streaming pass over the network tables, the communities grouped by ``by``
    (``"division:N"`` or ``"grid:SIZE"``), one self-contained job per region. The options are
    :meth:`livingcircle.Network.access_all`'s; ``counts`` makes the parts compute the counts
    within ``circles`` too. An input that does not exist raises
    :class:`livingcircle.InputFileNotFound` naming it; a bad table, the file, line and field."""
    _check_paths(nodes, edges, communities, facilities)
    r = _call(
        _native.partition_plan,
        os.fspath(nodes),
        os.fspath(edges),
        os.fspath(communities),
        os.fspath(facilities),
        crs,
        str(by),
        int(k),
        float(max_distance),
        [float(c) for c in circles],
        None if categories is None else [str(c) for c in categories],
        snap,
        float(snap_limit),
        bool(keep_all_components),
        bool(counts),
        os.fspath(folder),
        _progress(progress),
    )
    return _plan_of(folder, r)


def plan_assess(
    nodes: PathLike,
    edges: PathLike,
    communities: PathLike,
    facilities: PathLike,
    folder: PathLike,
    *,
    by: str = "division:6",
    standards: Iterable[PathLike] = (),
    targets: Iterable[PathLike] = (),
    max_distance: float = 1500.0,
    snap: str = "edge",
    snap_limit: float = 300.0,
    keep_all_components: bool = False,
    crs: str = "wgs84",
    progress: Progress = True,
) -> Plan:
    """Plans the access computation of an assessment into ``folder``: the parts compute what
    :func:`livingcircle.assess` computes once for the whole (every category, the distances the
    standards and targets ask about, the community–facility pairs of the ratio categories
    within their largest catchment) for their regions' communities. ``standards`` and
    ``targets``: files, or the shipped ones. Each part's result carries its communities' raw
    results (``columns["raw"]``) for :func:`assess_parts`."""
    _check_paths(nodes, edges, communities, facilities)
    r = _call(
        _native.partition_plan_assess,
        os.fspath(nodes),
        os.fspath(edges),
        os.fspath(communities),
        os.fspath(facilities),
        crs,
        str(by),
        [_text(p) for p in standards],
        [_text(p) for p in targets],
        float(max_distance),
        snap,
        float(snap_limit),
        bool(keep_all_components),
        os.fspath(folder),
        _progress(progress),
    )
    return _plan_of(folder, r, assess=True)


def _check_paths(*tables: Any) -> None:
    for name, p in zip(("nodes", "edges", "communities", "facilities"), tables):
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(
                f"{name}: a partitioned run reads files that every worker can read; expected a path, got {type(p).__name__}"
            )


def _plan_of(folder: PathLike, r: Dict[str, Any], assess: bool = False) -> Plan:
    return Plan(
        folder=os.path.abspath(os.fspath(folder)),
        summary=json.loads(r["plan"]),
        jobs=[PartJob(part, region, path, text) for part, region, path, text in r["jobs"]],
        dropped_nodes_file=r["dropped_nodes_file"],
        timings=dict(r["timings"]),
        assess=assess,
    )


def run_part(job: PartJob, dropped_nodes: Optional[str] = None, raw: bool = False) -> PartResult:
    """Runs one part job, natively, with the GIL released (what a Dask worker does). With
    ``dropped_nodes`` (the text of the plan's ``dropped-nodes.txt``) the plan folder need not
    be visible here: the job is run from a temporary copy that points at that text. With
    ``raw``, the result also carries the engine's results as they are (``columns["raw"]``, what
    :func:`assess_parts` reads). Raises :class:`livingcircle.PartitionError` (or the input's
    error) naming the part."""
    try:
        with tempfile.TemporaryDirectory(prefix="livingcircle-part-") as tmp:
            text = job.text
            if dropped_nodes is not None:
                d = json.loads(text)
                dropped = os.path.join(tmp, "dropped-nodes.txt")
                with open(dropped, "w", encoding="utf-8") as f:
                    f.write(dropped_nodes)
                d["network"]["dropped_nodes_file"] = dropped
                text = json.dumps(d)
            path = os.path.join(tmp, f"{job.part}.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            r = _call(_native.partition_run, path, None, bool(raw))
    except LivingcircleError as e:
        raise _part_error(job, e) from None
    columns = dict(r)
    manifest = json.loads(columns.pop("manifest"))
    columns["nearest"] = {k: bytes(v) for k, v in columns["nearest"].items()}
    for k in ("counts", "indices"):
        columns[k] = bytes(columns[k])
    if "raw" in columns:
        columns["raw"] = {k: v if isinstance(v, int) else bytes(v) for k, v in columns["raw"].items()}
    return PartResult(job.part, job.region, columns, manifest)


def _part_error(job: PartJob, e: BaseException) -> LivingcircleError:
    """An error of one part, naming it (kept as the class of the cause where it is ours)."""
    message = f"分区 {job.part}（{job.region}）失败 part {job.part} ({job.region}) failed: {e}"
    if isinstance(e, LivingcircleError):
        err = type(e)(message, e._details, e.kind)
    else:
        err = PartitionError(message, None, "partition")
    err.part = job.part
    return err


def merge(the_plan: Plan, parts: Iterable[PartResult]) -> AccessResult:
    """The parts' rows as the whole run's tables: every community's rows, in the communities'
    input order, from the part that computed it (the rule of ``lc_pipeline::partition::merge``,
    on the columns instead of files). Refuses a community covered twice or by no part."""
    parts = list(parts)
    n = the_plan.communities
    owner = np.full(n, -1, dtype="int64")
    for p_i, p in enumerate(parts):
        idx = p.indices.astype("int64")
        if len(idx) and (idx.max() >= n or (owner[idx] >= 0).any()):
            raise PartitionError(
                f"分区 {p.part} 的社区与其他分区重叠或超出范围 part {p.part} has communities that another part "
                "also has, or beyond the plan's: were the parts run from the same plan?",
                None,
                "partition",
            )
        owner[idx] = p_i
    if (owner < 0).any():
        first = int(np.argmax(owner < 0)) + 1
        raise PartitionError(
            f"第 {first} 个社区不在任何已运行的分区中 community number {first} (in input order) is in no part that ran",
            None,
            "partition",
        )
    nearest_frames, counts_frames = [], []
    for p in parts:
        idx = p.indices.astype("int64")
        nf = _nearest_frame(p.columns)
        nf["_order"] = idx[np.frombuffer(p.columns["nearest"]["community"], dtype="<u4")]
        nearest_frames.append(nf)
        cf = _counts_frame(p.columns)
        cf["_order"] = np.repeat(idx, len(p.columns["categories"]))
        counts_frames.append(cf)
    text = pd.Series(["x"]).dtype

    def together(frames: List[pd.DataFrame], ids: Sequence[str]) -> pd.DataFrame:
        df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        # Each part's rows are in its communities' input order already: a stable sort on the
        # input index interleaves the parts exactly as the whole run orders them.
        df = df.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
        for c in ids:
            df[c] = df[c].astype(text)
        return df

    nearest = together(nearest_frames, ("community_id", "category", "facility_id"))
    counts = together(counts_frames, ("community_id", "category"))
    summary = {
        "communities": n,
        "placed": int(sum(int(p.columns["placed"]) for p in parts)),
        "parts": len(parts),
        "categories": list(the_plan.summary["options"]["categories"]),
        "plan_id": the_plan.summary["plan_id"],
        "part_stats": {p.part: p.manifest["stats"] for p in parts},
    }
    for df in (nearest, counts):
        df.attrs["summary"] = summary
    return AccessResult(nearest, counts, None, summary)


def merge_files(plan_folder: PathLike, out: PathLike, counts: Optional[PathLike] = None) -> Dict[str, Any]:
    """Merges the parts of a plan folder whose parts ran as files (``livingcircle partition
    run part-NNNN.json`` on any batch system) into ``out`` (and ``counts``): the bytes of
    ``livingcircle access --out`` (``--counts``). Returns what was merged (communities, placed,
    rows, per part its communities and stats)."""
    return dict(
        _call(
            _native.partition_merge,
            os.fspath(plan_folder),
            os.fspath(out),
            None if counts is None else os.fspath(counts),
        )
    )


# --------------------------------------------------------------------------------------------
# On Dask


def _bar(total: int, progress: Progress) -> Any:
    """A tqdm bar of parts done (when tqdm is installed and progress is on)."""
    if progress is not True:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="分区 Parts", unit="part")


def run_parts(
    the_plan: Plan,
    client: Any = None,
    *,
    n_workers: int = 2,
    progress: Progress = True,
) -> List[PartResult]:
    """Runs every part of a plan on a Dask cluster, one task per part, and gathers the
    results in the plan's order. ``client``: a ``dask.distributed.Client`` (any cluster whose
    workers can read the input files at the same paths), or ``None`` to start a
    ``LocalCluster`` of ``n_workers`` worker processes (one thread each; the engine's own
    threads do the searches) for the call. A part that fails raises its error naming the
    part (:attr:`LivingcircleError.part`); the other parts are cancelled."""
    from dask.distributed import Client, LocalCluster, as_completed

    own = None
    if client is None:
        if int(n_workers) < 1:
            raise ValueError("n_workers must be at least 1")
        cluster = LocalCluster(
            n_workers=int(n_workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )
        own = (cluster, Client(cluster))
        client = own[1]
    try:
        # hash=False: a key of its own for this run. Scattered by content (the default), a second
        # run of the same plan on the same client reuses the first run's key, which the first
        # run's release can drop while this run's tasks wait on it ("lost dependencies").
        dropped = client.scatter(the_plan.dropped_nodes(), broadcast=True, hash=False)
        futures = {
            client.submit(
                run_part,
                job,
                dropped,
                the_plan.assess,
                key=f"livingcircle-{job.part}-{uuid.uuid4().hex}",
                pure=False,
            ): i
            for i, job in enumerate(the_plan.jobs)
        }
        results: List[Optional[PartResult]] = [None] * len(the_plan.jobs)
        bar = _bar(len(futures), progress)
        callback = progress if callable(progress) else None
        try:
            for fut in as_completed(list(futures)):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except LivingcircleError as e:
                    client.cancel(list(futures))
                    if e.part is None:
                        raise _part_error(the_plan.jobs[i], e) from None
                    raise
                except Exception as e:
                    client.cancel(list(futures))
                    raise _part_error(the_plan.jobs[i], e) from e
                if bar is not None:
                    bar.update(1)
                if callback is not None:
                    callback("advance", "parts", "分区 Parts", sum(r is not None for r in results))
        finally:
            if bar is not None:
                bar.close()
        return [r for r in results if r is not None]
    finally:
        if own is not None:
            own[1].close()
            own[0].close()


def access_all(
    nodes: PathLike,
    edges: PathLike,
    communities: PathLike,
    facilities: PathLike,
    *,
    by: str = "division:6",
    client: Any = None,
    n_workers: int = 2,
    counts: bool = True,
    work_dir: Optional[PathLike] = None,
    progress: Progress = True,
    **options: Any,
) -> AccessResult:
    """Plans, runs every part on Dask (:func:`run_parts`) and merges: an
    :class:`livingcircle.AccessResult` whose ``nearest`` (and with ``counts``, ``counts``)
    equal :meth:`livingcircle.Network.access_all`'s on the whole input (``capacity`` is
    ``None``: 2SFCA is not partitioned; without ``counts`` the counts table is empty).
    ``options`` are :func:`plan`'s: ``k``, ``max_distance``, ``circles``, ``categories``,
    ``snap``, ``snap_limit``, ``keep_all_components``, ``crs``. The plan folder is
    ``work_dir`` (kept) or a temporary folder on the client (removed). See the module's
    documentation for what the workers must see."""
    with tempfile.TemporaryDirectory(prefix="livingcircle-plan-") as tmp:
        folder = tmp if work_dir is None else work_dir
        the_plan = plan(nodes, edges, communities, facilities, folder, by=by, counts=counts, progress=progress, **options)
        parts = run_parts(the_plan, client, n_workers=n_workers, progress=progress)
    result = merge(the_plan, parts)
    if not counts:
        result.counts = result.counts.iloc[0:0]
    return result


def access(
    nodes: PathLike,
    edges: PathLike,
    communities: PathLike,
    facilities: PathLike,
    k: int = 3,
    max_distance: float = 1500.0,
    *,
    by: str = "division:6",
    client: Any = None,
    n_workers: int = 2,
    **options: Any,
) -> pd.DataFrame:
    """The ``k`` nearest facilities of every category for every community within
    ``max_distance`` metres of walking, computed by regional parts on a Dask cluster: a
    DataFrame ``community_id, category, rank, facility_id, distance_m`` equal to
    :meth:`livingcircle.Network.access` (and ``livingcircle access``) on the whole input.
    ``by``: ``"division:N"`` (the first N digits of the communities' division codes) or
    ``"grid:SIZE"`` (``"grid:20km"``). ``client``: a ``dask.distributed.Client``, or ``None``
    to start a ``LocalCluster`` with ``n_workers`` worker processes. Other options as
    :func:`access_all`. The input files must be readable at the same absolute paths on every
    worker (see the module's documentation)."""
    options.setdefault("counts", False)
    return access_all(
        nodes,
        edges,
        communities,
        facilities,
        by=by,
        client=client,
        n_workers=n_workers,
        k=k,
        max_distance=max_distance,
        **options,
    ).nearest


def assess_parts(
    the_plan: Plan,
    parts: Iterable[PartResult],
    *,
    standards: Iterable[PathLike] = (),
    targets: Iterable[PathLike] = (),
    divisions: Optional[PathLike] = None,
) -> Dict[str, pd.DataFrame]:
    """The assessment of a :func:`plan_assess` plan's parts, here on the client: every
    community's results put back in input order (a community covered twice or by no part is
    refused), then the assessment on the whole — the capacity shares (2SFCA), every community
    against the standards, every region against the targets — exactly as
    :func:`livingcircle.assess` runs it after its own access computation. Pass the same
    ``standards`` and ``targets`` as to :func:`plan_assess`. Returns the same dict of
    DataFrames as :func:`livingcircle.assess`."""
    parts = list(parts)
    options = the_plan.summary["options"]
    inputs = the_plan.summary["inputs"]
    for p in parts:
        if "raw" not in p.columns:
            raise PartitionError(
                f"分区 {p.part} 不是评估规划的结果 part {p.part} is not a part of an assessment's plan (plan_assess)",
                None,
                "partition",
            )
    r = _call(
        _native.partition_assess,
        inputs["communities"]["path"],
        inputs["facilities"]["path"],
        inputs["crs"],
        [_text(p) for p in standards],
        [_text(p) for p in targets],
        None if divisions is None else _text(divisions),
        json.dumps(options),
        [(p.columns["indices"], p.columns["raw"]) for p in parts],
    )
    return {name: read_table(io.StringIO(text)) for name, text in r.items()}


def assess(
    nodes: PathLike,
    edges: PathLike,
    communities: PathLike,
    facilities: PathLike,
    *,
    by: str = "division:6",
    client: Any = None,
    n_workers: int = 2,
    standards: Iterable[PathLike] = (),
    targets: Iterable[PathLike] = (),
    divisions: Optional[PathLike] = None,
    max_distance: float = 1500.0,
    snap: str = "edge",
    snap_limit: float = 300.0,
    keep_all_components: bool = False,
    crs: str = "wgs84",
    work_dir: Optional[PathLike] = None,
    progress: Progress = True,
) -> Dict[str, pd.DataFrame]:
    """The assessment against the standards and the 2025 targets, with its access computation
    run by regional parts on a Dask cluster: the same dict of DataFrames (``shortcomings``,
    ``indicators``, ``unavailable``, ``indicator_definitions``, ``facilities``) as
    :func:`livingcircle.assess` on the whole input, equal table for table.

    **What runs where.** The walking searches — by far the most work — run on the cluster,
    one task per part (:func:`plan_assess`, :func:`run_parts`): each part computes its
    region's communities' nearest facility of every category, the counts within every distance
    asked, and the community–facility pairs of the ratio categories, exactly as the whole run
    (the engine checks each part and grows its halo until it is exact). The **assessment
    itself then runs on the client** (:func:`assess_parts`), on the merged results of every
    community: its ratio requirements and targets share each facility's capacity among all the
    communities within its catchment (2SFCA) and its indicators roll up over whole regions,
    so they are computed once, over everything, as the single-machine run computes them. The
    client therefore holds every community's results (a few pairs and one nearest facility per
    category each) and reads ``communities.csv`` and ``facilities.csv``, but never the
    network.

    ``by``, ``client``, ``n_workers``, ``work_dir``: as :func:`access_all`. ``standards``,
    ``targets``: files, or the shipped ones; ``divisions``: a ``code,name`` file naming the
    regions; the other options as :func:`livingcircle.assess` (node/edge tables only, and no
    OSM facilities). The input files must be readable at the same absolute paths on every
    worker (see the module's documentation)."""
    standards, targets = list(standards), list(targets)
    with tempfile.TemporaryDirectory(prefix="livingcircle-plan-") as tmp:
        folder = tmp if work_dir is None else work_dir
        the_plan = plan_assess(
            nodes,
            edges,
            communities,
            facilities,
            folder,
            by=by,
            standards=standards,
            targets=targets,
            max_distance=max_distance,
            snap=snap,
            snap_limit=snap_limit,
            keep_all_components=keep_all_components,
            crs=crs,
            progress=progress,
        )
        parts = run_parts(the_plan, client, n_workers=n_workers, progress=progress)
    return assess_parts(the_plan, parts, standards=standards, targets=targets, divisions=divisions)

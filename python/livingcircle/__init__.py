"""livingcircle for Python: walking access on real road networks (15-minute living circles).

The engine is livingcircle's Rust library (lc-pipeline); this package converts Python values in
and pandas/GeoPandas objects out, and nothing else. Three lines give the nearest facilities of
every category for every community::

    import livingcircle as lc
    net = lc.Network.from_osm("demo/chengdu-central/chengdu-central.osm.pbf")
    nearest = net.access("demo/chengdu-central/communities.csv", "demo/chengdu-central/facilities.csv")

Tables are file paths (read by the engine's own readers, as the command line reads them) or
DataFrames with the engine's column names (``communities.csv``: ``id,name,lon,lat,population``
…; ``facilities.csv``: ``id,name,category,lon,lat`` …; ``nodes.csv``: ``id,lon,lat``;
``edges.csv``: ``from,to,length_m``). GeoDataFrames are accepted wherever points are expected,
in any CRS: they are converted to WGS-84 with ``to_crs(4326)``. Results carry the command
line's column names. The GIL is released while the engine works; Ctrl-C stops a run.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _native

__all__ = [
    "Network",
    "AccessResult",
    "SiteResult",
    "assess",
    "site",
    "categories",
    "read_table",
    "to_wgs84",
    "LivingcircleError",
    "InputError",
    "InputFileNotFound",
    "TableError",
    "SpecError",
    "NetworkError",
    "OptionError",
    "NothingToCompute",
    "Cancelled",
    "PartitionError",
    "__version__",
]

__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
#: A table: a path to a CSV/XLSX file, a DataFrame with the engine's columns, or a GeoDataFrame.
Table = Union[PathLike, pd.DataFrame]
#: ``True``: a tqdm bar when tqdm is installed; ``False``/``None``: silent; or a callable
#: ``f(event, step, label, value)`` with event one of start/advance/note/finish.
Progress = Union[bool, None, Callable[[str, str, str, Any], None]]

#: Walking speed of the command line's default walker, metres per minute.
WALK_M_PER_MIN = 60.0


# --------------------------------------------------------------------------------------------
# Errors


class LivingcircleError(Exception):
    """An error of the engine. ``file``, ``line``, ``column`` and ``field`` say where, when known;
    for a table given as a DataFrame, ``row`` is the DataFrame's position (``line - 2``) and
    ``rows`` lists every row error as ``(file, line, field, message)``; ``part`` names the part
    of a partitioned run that raised it."""

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None, kind: str = "other"):
        super().__init__(message)
        d = details or {}
        self.message: str = message
        self.kind: str = kind
        self.file: Optional[str] = d.get("file")
        self.line: Optional[int] = d.get("line")
        self.column: Optional[int] = d.get("column")
        self.field: Optional[str] = d.get("field")
        self.rows: List[Tuple[str, int, Optional[str], str]] = list(d.get("rows") or [])
        self.row: Optional[int] = None
        #: The part of a partitioned run that failed (``livingcircle.distributed``), if any.
        self.part: Optional[str] = None
        self._details: Dict[str, Any] = dict(d)

    def __reduce__(self) -> Any:
        # Pickled whole (class, message, where), so that an error raised on a Dask worker
        # arrives on the client as the same exception with its file, line and field.
        return (_rebuild_error, (type(self), self.message, self._details, self.kind, self.__dict__))


def _rebuild_error(cls: type, message: str, details: Dict[str, Any], kind: str, state: Dict[str, Any]) -> "LivingcircleError":
    err = cls(message, details, kind)
    err.__dict__.update(state)
    return err


class InputError(LivingcircleError):
    """An input file or table is missing or wrong."""


class InputFileNotFound(InputError, FileNotFoundError):
    """An input file does not exist."""


class TableError(InputError, ValueError):
    """A table has a missing column or bad rows (file, line and field say where)."""


class SpecError(InputError, ValueError):
    """A standard or target file is wrong (file, line, column and key say where)."""


class NetworkError(LivingcircleError):
    """The road network could not be read or holds no walkable network."""


class OptionError(LivingcircleError, ValueError):
    """An option is out of its domain."""


class NothingToCompute(LivingcircleError, ValueError):
    """No rows, or none of the points on the network."""


class Cancelled(LivingcircleError):
    """The run was cancelled."""


class PartitionError(LivingcircleError):
    """A partitioned run cannot be done as asked: a bad or stale part job (an input changed
    after the plan was made), a part that failed (``part`` names it), parts that do not fit
    together."""


_KINDS = {
    "table": TableError,
    "io": InputError,
    "spec": SpecError,
    "network": NetworkError,
    "option": OptionError,
    "nothing": NothingToCompute,
    "cancelled": Cancelled,
    "partition": PartitionError,
}

# Names under which DataFrames are passed to the engine: "<communities DataFrame>".
_FRAME = "<{} DataFrame>"


def _raise(e: "_native.NativeError") -> "LivingcircleError":
    kind, message, details = e.args
    err = _KINDS.get(kind, LivingcircleError)(message, details, kind)
    if err.file and err.file.startswith("<") and err.line is not None:
        err.row = err.line - 2
    if kind == "io" and err.file and not os.path.exists(err.file):
        # A missing input is also a FileNotFoundError for callers that catch that.
        err = InputFileNotFound(message, details, kind)
    return err


def _call(f: Callable[..., Any], *args: Any) -> Any:
    try:
        return f(*args)
    except _native.NativeError as e:
        raise _raise(e) from None


# --------------------------------------------------------------------------------------------
# Progress


class _Tqdm:
    """Draws one tqdm bar per step."""

    def __init__(self) -> None:
        from tqdm.auto import tqdm  # noqa: F401 (checked by the caller)

        self._tqdm = tqdm
        self._bar: Any = None

    def __call__(self, event: str, step: str, label: str, value: Any) -> None:
        if event == "start":
            self._close()
            self._bar = self._tqdm(total=value, desc=label, leave=False)
        elif self._bar is not None and event == "advance":
            self._bar.update(int(value) - self._bar.n)
        elif self._bar is not None and event == "note":
            self._bar.set_postfix_str(str(value), refresh=True)
        elif event == "finish":
            self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _progress(p: Progress) -> Optional[Callable[[str, str, str, Any], None]]:
    if p is None or p is False:
        return None
    if p is True:
        try:
            return _Tqdm()
        except ImportError:
            return None
    if callable(p):
        return p
    raise TypeError("progress must be True, False, None or a callable")


# --------------------------------------------------------------------------------------------
# Tables in


def _is_geo(df: Any) -> bool:
    return hasattr(df, "geometry") and hasattr(df, "to_crs") and hasattr(df, "crs")


def _lonlat_of_geo(gdf: Any) -> Tuple[np.ndarray, np.ndarray]:
    """WGS-84 lon/lat of a GeoDataFrame's points (a polygon's representative point)."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    geom = gdf.geometry
    if len(geom) and not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    return np.asarray(geom.x, dtype="f8"), np.asarray(geom.y, dtype="f8")


def _plain_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame with lon/lat from its geometry (if a GeoDataFrame), integral float columns as
    integers (so that 1150.0 is written as 1150)."""
    if _is_geo(df):
        lon, lat = _lonlat_of_geo(df)
        out = pd.DataFrame(df.drop(columns=df.geometry.name))
        out["lon"], out["lat"] = lon, lat
        df = out
    else:
        df = df.copy(deep=False)
    for c in df.columns:
        s = df[c]
        if s.dtype.kind == "f" and c not in ("lon", "lat"):
            v = s.to_numpy()
            finite = v[~np.isnan(v)]
            if len(finite) and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53):
                df[c] = s.astype("Int64")
    return df


def _network_arrays(nodes: Any, edges: Any) -> Optional[Tuple[List[bytes], List[bytes]]]:
    """The node and edge columns as little-endian int64/float64 bytes, when both frames are plain
    DataFrames with integer ids and ends and numeric coordinates and lengths (otherwise the
    frames go as CSV text)."""
    if _is_geo(nodes) or not isinstance(nodes, pd.DataFrame) or not isinstance(edges, pd.DataFrame):
        return None
    spec = ((nodes, ("id", "lon", "lat")), (edges, ("from", "to", "length_m")))
    out = []
    for df, (a, b, c) in spec:
        if not {a, b, c} <= set(df.columns):
            return None
        kinds = [df[x].dtype.kind for x in (a, b, c)]
        ints = (kinds[:2] if a == "from" else kinds[:1])
        floats = (kinds[2:] if a == "from" else kinds[1:])
        if any(k != "i" for k in ints) or any(k not in "iuf" for k in floats):
            return None
        dtypes = ("<i8", "<i8", "<f8") if a == "from" else ("<i8", "<f8", "<f8")
        out.append([np.ascontiguousarray(df[x].to_numpy(), dtype=t).tobytes() for x, t in zip((a, b, c), dtypes)])
    return out[0], out[1]


def _table(x: Any, what: str) -> Tuple[str, Optional[bytes]]:
    """A table argument for the engine: ``(path, None)`` or ``(name, csv_bytes)``."""
    if isinstance(x, (str, os.PathLike)):
        return (os.fspath(x), None)
    if isinstance(x, pd.DataFrame):
        text = _plain_frame(x).to_csv(index=False, lineterminator="\n")
        return (_FRAME.format(what), text.encode("utf-8"))
    raise TypeError(f"{what}: expected a path or a DataFrame, got {type(x).__name__}")


def _text(x: PathLike) -> Tuple[str, str]:
    p = os.fspath(x)
    with open(p, encoding="utf-8") as f:
        return (p, f.read())


# --------------------------------------------------------------------------------------------
# Results out


def _u32(b: bytearray) -> np.ndarray:
    return np.frombuffer(b, dtype="<u4")


def _f64(b: bytearray) -> np.ndarray:
    return np.frombuffer(b, dtype="<f8")


def _labels(values: Sequence[str], index: np.ndarray) -> pd.Series:
    """``values[index]`` as a Series of the default string dtype (as ``read_csv`` gives)."""
    return pd.Series(list(values)).take(index).reset_index(drop=True)


def _circle_label(r: float) -> str:
    return f"within_{int(r)}" if float(r).is_integer() else f"within_{r}"


@dataclass
class AccessResult:
    """One access computation: the nearest table, the counts within circles and (with a
    catchment) the 2SFCA ratios, with the command line's column names."""

    nearest: pd.DataFrame
    counts: pd.DataFrame
    capacity: Optional[pd.DataFrame]
    summary: Dict[str, Any] = field(default_factory=dict)


def _nearest_frame(r: Dict[str, Any]) -> pd.DataFrame:
    """The nearest table of the engine's columns (``nearest_columns`` in python/src)."""
    n = r["nearest"]
    ids, fids, cats = r["community_ids"], r["facility_ids"], r["categories"]
    return pd.DataFrame(
        {
            "community_id": _labels(ids, _u32(n["community"])),
            "category": _labels(cats, _u32(n["category"])),
            "rank": _u32(n["rank"]).astype("int64"),
            "facility_id": _labels(fids, _u32(n["facility"])),
            "distance_m": _f64(n["distance_m"]).copy(),
        }
    )


def _counts_frame(r: Dict[str, Any]) -> pd.DataFrame:
    """The counts table (communities × categories, one column per circle)."""
    ids, cats, circles = r["community_ids"], r["categories"], r["circles"]
    nk, nc = len(cats), len(circles)
    counts_arr = _u32(r["counts"]).reshape(len(ids) * nk, nc) if nc else np.zeros((len(ids) * nk, 0))
    counts = pd.DataFrame(
        {
            "community_id": _labels(ids, np.repeat(np.arange(len(ids)), nk)),
            "category": _labels(cats, np.tile(np.arange(nk), len(ids))),
        }
    )
    for j, c in enumerate(circles):
        counts[_circle_label(c)] = counts_arr[:, j].astype("int64")
    return counts


def _access_result(r: Dict[str, Any]) -> AccessResult:
    ids, fids, cats = r["community_ids"], r["facility_ids"], r["categories"]
    nearest = _nearest_frame(r)
    counts = _counts_frame(r)
    capacity = None
    if "capacity" in r:
        c = r["capacity"]
        capacity = pd.DataFrame(
            {
                "community_id": _labels(ids, _u32(c["community"])),
                "category": _labels(cats, _u32(c["category"])),
                "catchment_m": float(c["catchment_m"]),
                "demand_group": pd.Series(list(c["demand_group"]), dtype=pd.Series(["x"]).dtype),
                "demand": _f64(c["demand"]).copy(),
                "facilities_in_catchment": _u32(c["facilities_in_catchment"]).astype("int64"),
                "capacity_in_catchment": _f64(c["capacity_in_catchment"]).copy(),
                "ratio_per_1000": _f64(c["ratio_per_1000"]).copy(),
            }
        )
    summary = {
        "communities": len(ids),
        "communities_too_far": [ids[i] for i in r["communities_too_far"]],
        "facilities": len(fids),
        "facilities_too_far": [fids[i] for i in r["facilities_too_far"]],
        "categories": list(cats),
        "median_snap_m": r["median_snap_m"],
        "timings": dict(r["timings"]),
    }
    for df in (nearest, counts) + ((capacity,) if capacity is not None else ()):
        df.attrs["summary"] = summary
    return AccessResult(nearest, counts, capacity, summary)


@dataclass
class SiteResult:
    """A siting scenario: the chosen sites, most people added first, and the proven bound.

    ``covered_after <= bound``: no choice of as many sites among the candidates could bring more
    people within ``radius_m`` than ``bound``."""

    sites: pd.DataFrame
    category: str
    radius_m: float
    population: float
    covered_before: float
    covered_after: float
    bound: float
    gap: float
    optimal: bool
    found_by: str
    bound_by: str


# --------------------------------------------------------------------------------------------
# The network


class Network:
    """A walkable road network, loaded once and queried many times.

    Build one with :meth:`from_osm`, :meth:`from_tables` or :meth:`from_frames`."""

    def __init__(self, native: Any) -> None:
        self._net = native

    # -- loading ------------------------------------------------------------------------------

    @classmethod
    def from_osm(
        cls,
        path: PathLike,
        profile: str = "walk",
        *,
        keep_all_components: bool = False,
        cache: bool = True,
        osm_facilities: bool = False,
        progress: Progress = True,
    ) -> "Network":
        """Reads an OpenStreetMap ``.osm.pbf`` or ``.osm`` file (``profile``: ``"walk"`` or
        ``"wheelchair"``), through the command line's cache next to the file
        (``<file>.<profile>.lcc.lcnet``). With ``osm_facilities`` the facilities found in the
        tags are kept too (this parses the file, as ``--with-osm-facilities`` does)."""
        native = _call(
            _native.Network.load_osm,
            os.fspath(path),
            profile,
            keep_all_components,
            cache,
            osm_facilities,
            _progress(progress),
        )
        return cls(native)

    @classmethod
    def from_tables(
        cls,
        nodes: PathLike,
        edges: PathLike,
        *,
        keep_all_components: bool = False,
        cache: bool = True,
        progress: Progress = True,
    ) -> "Network":
        """Reads ``nodes.csv`` (``id,lon,lat``) and ``edges.csv`` (``from,to,length_m``), through
        the command line's cache next to ``edges.csv``."""
        native = _call(
            _native.Network.load_tables,
            os.fspath(nodes),
            os.fspath(edges),
            keep_all_components,
            cache,
            _progress(progress),
        )
        return cls(native)

    @classmethod
    def from_frames(
        cls,
        nodes: pd.DataFrame,
        edges: pd.DataFrame,
        *,
        keep_all_components: bool = False,
        progress: Progress = True,
    ) -> "Network":
        """Builds the network of DataFrames with the engine's columns: ``nodes`` with
        ``id,lon,lat`` (or a GeoDataFrame of points with ``id``, any CRS), ``edges`` with
        ``from,to,length_m``. Checked as the files are (errors name the frame's row)."""
        arrays = _network_arrays(nodes, edges)
        if arrays is not None:
            # Numeric columns cross as arrays (the engine renders and reads them as the tables).
            native = _call(
                _native.Network.load_arrays,
                _FRAME.format("nodes"),
                *arrays[0],
                _FRAME.format("edges"),
                *arrays[1],
                keep_all_components,
                _progress(progress),
            )
        else:
            native = _call(
                _native.Network.load_frames,
                _table(nodes, "nodes"),
                _table(edges, "edges"),
                keep_all_components,
                _progress(progress),
            )
        return cls(native)

    # -- facts --------------------------------------------------------------------------------

    @property
    def info(self) -> Dict[str, Any]:
        """Source, nodes, edges, the cache it was read from (if any), build figures."""
        return dict(self._net.info())

    @property
    def node_count(self) -> int:
        return int(self._net.info()["nodes"])

    @property
    def edge_count(self) -> int:
        return int(self._net.info()["edges"])

    def __repr__(self) -> str:
        i = self._net.info()
        cached = ", from cache" if i.get("from_cache") else ""
        return f"<livingcircle.Network {i['source']}: {i['nodes']} nodes, {i['edges']} edges{cached}>"

    def osm_facilities(self) -> pd.DataFrame:
        """The facilities found in the OSM tags (with ``from_osm(..., osm_facilities=True)``)."""
        return pd.read_csv(io.StringIO(self._net.osm_facilities_csv()))

    # -- access -------------------------------------------------------------------------------

    def access_all(
        self,
        communities: Table,
        facilities: Optional[Table] = None,
        *,
        k: int = 3,
        max_distance: float = 1500.0,
        circles: Sequence[float] = (300.0, 500.0, 1000.0),
        catchment: Optional[float] = None,
        categories: Optional[Sequence[str]] = None,
        with_osm_facilities: bool = False,
        snap: str = "edge",
        snap_limit: float = 300.0,
        crs: str = "wgs84",
        progress: Progress = True,
    ) -> AccessResult:
        """Nearest facilities, counts within ``circles`` and (with ``catchment``, metres) the
        2SFCA ratios of the capacity categories, from one computation — as ``livingcircle access``
        with ``--out``, ``--counts`` and ``--capacity``.

        ``facilities`` may be left out for a network read with ``osm_facilities=True`` (the
        OSM tags' facilities are used, as the command line does without ``--facilities``);
        ``with_osm_facilities`` adds them to the table's. ``crs`` (``wgs84``, ``gcj02``,
        ``bd09``) is that of plain tables' lon/lat; GeoDataFrames are converted."""
        r = _call(
            self._net.access,
            _table(communities, "communities"),
            None if facilities is None else _table(facilities, "facilities"),
            with_osm_facilities,
            int(k),
            float(max_distance),
            [float(c) for c in circles],
            None if catchment is None else float(catchment),
            None if categories is None else [str(c) for c in categories],
            (snap, float(snap_limit), _points_crs(crs, communities, facilities)),
            _progress(progress),
        )
        return _access_result(r)

    def access(
        self,
        communities: Table,
        facilities: Optional[Table] = None,
        k: int = 3,
        max_distance: float = 1500.0,
        snap: str = "edge",
        **options: Any,
    ) -> pd.DataFrame:
        """The ``k`` nearest facilities of every category for every community, within
        ``max_distance`` metres of walking: a DataFrame with the command line's columns
        ``community_id, category, rank, facility_id, distance_m`` (metres to the millimetre, as
        ``livingcircle access`` writes them), in the same order. Other options as
        :meth:`access_all`."""
        return self.access_all(
            communities, facilities, k=k, max_distance=max_distance, snap=snap, **options
        ).nearest

    def counts(
        self,
        communities: Table,
        facilities: Optional[Table] = None,
        circles: Sequence[float] = (300.0, 500.0, 1000.0),
        **options: Any,
    ) -> pd.DataFrame:
        """Facilities of each category within each circle (metres of walking) of every
        community: ``community_id, category, within_300, within_500, within_1000`` (as
        ``--counts``)."""
        return self.access_all(communities, facilities, circles=circles, **options).counts

    def capacity(
        self,
        communities: Table,
        facilities: Optional[Table] = None,
        catchment: float = 1000.0,
        **options: Any,
    ) -> pd.DataFrame:
        """Two-step floating catchment ratios of the categories with a capacity (as
        ``--capacity``): ``community_id, category, catchment_m, demand_group, demand,
        facilities_in_catchment, capacity_in_catchment, ratio_per_1000``."""
        r = self.access_all(communities, facilities, catchment=catchment, **options).capacity
        assert r is not None
        return r

    # -- isochrones ---------------------------------------------------------------------------

    def isochrones(
        self,
        points: Union[Table, Sequence[Tuple[float, float]]],
        minutes: Sequence[float] = (5, 10, 15),
        *,
        speed: float = WALK_M_PER_MIN,
        buffer: float = 50.0,
        snap: str = "edge",
        snap_limit: float = 300.0,
        crs: str = "wgs84",
        progress: Progress = True,
    ) -> Any:
        """Areas reachable on foot within each of ``minutes`` at ``speed`` metres per minute from
        every point: a GeoDataFrame (EPSG:4326) with ``start_id, minutes, distance_m,
        speed_m_per_min, street_length_m, nodes_reached`` and a MultiPolygon per row, as
        ``livingcircle isochrone`` writes them. ``points``: a communities file, a DataFrame with
        ``lon,lat`` (and ``id``), a GeoDataFrame (any CRS), or ``[(lon, lat), …]``. Points off
        the network give no row. Needs geopandas."""
        import geopandas as gpd
        from shapely.geometry import MultiPolygon, Polygon

        table = None
        ids: List[str] = []
        lons: List[float] = []
        lats: List[float] = []
        point_crs = crs
        if isinstance(points, (str, os.PathLike)):
            table = _table(points, "points")
        elif isinstance(points, pd.DataFrame):
            if _is_geo(points):
                lon, lat = _lonlat_of_geo(points)
                point_crs = "wgs84"
            else:
                lon, lat = points["lon"].to_numpy("f8"), points["lat"].to_numpy("f8")
            ids = (
                [str(v) for v in points["id"]]
                if "id" in points.columns
                else [f"point{i + 1}" for i in range(len(points))]
            )
            lons, lats = [float(v) for v in lon], [float(v) for v in lat]
        else:
            pts = [tuple(p) for p in points]
            ids = [f"point{i + 1}" for i in range(len(pts))]
            lons = [float(p[0]) for p in pts]
            lats = [float(p[1]) for p in pts]
        r = _call(
            self._net.isochrones,
            ids,
            lons,
            lats,
            table,
            [float(m) for m in minutes],
            float(speed),
            float(buffer),
            (snap, float(snap_limit), point_crs),
            _progress(progress),
        )
        geoms = [
            MultiPolygon([Polygon(rings[0], rings[1:]) for rings in poly]) for poly in r["polygons"]
        ]
        return gpd.GeoDataFrame(
            {
                "start_id": _labels(r["ids"], _u32(r["start"])),
                "minutes": _f64(r["minutes"]).copy(),
                "distance_m": _f64(r["distance_m"]).copy(),
                "speed_m_per_min": float(speed),
                "street_length_m": _f64(r["street_length_m"]).copy(),
                "nodes_reached": _u32(r["nodes_reached"]).astype("int64"),
            },
            geometry=geoms,
            crs=4326,
        )

    # -- assessment and siting ----------------------------------------------------------------

    def assess(
        self,
        communities: Table,
        facilities: Optional[Table] = None,
        *,
        standards: Iterable[PathLike] = (),
        targets: Iterable[PathLike] = (),
        divisions: Optional[PathLike] = None,
        with_osm_facilities: bool = False,
        max_distance: float = 1500.0,
        snap: str = "edge",
        snap_limit: float = 300.0,
        crs: str = "wgs84",
        progress: Progress = True,
    ) -> Dict[str, pd.DataFrame]:
        """Every community against the standards, every region against the 2025 targets (the
        shipped ``standards/*.toml`` and ``targets/*.toml`` unless files are given), as
        ``livingcircle assess``: a dict of DataFrames ``shortcomings``, ``indicators``,
        ``unavailable``, ``indicator_definitions``, ``facilities`` with the CSVs' columns.
        ``divisions``: a ``code,name`` file naming the regions."""
        r = _call(
            self._net.assess,
            _table(communities, "communities"),
            None if facilities is None else _table(facilities, "facilities"),
            with_osm_facilities,
            [_text(p) for p in standards],
            [_text(p) for p in targets],
            None if divisions is None else _text(divisions),
            float(max_distance),
            (snap, float(snap_limit), _points_crs(crs, communities, facilities)),
            _progress(progress),
        )
        return {name: read_table(io.StringIO(text)) for name, text in r.items()}

    def site(
        self,
        communities: Table,
        candidates: Table,
        category: str,
        sites: int = 3,
        *,
        facilities: Optional[Table] = None,
        radius: Optional[float] = None,
        with_osm_facilities: bool = False,
        time_limit: float = 10.0,
        snap: str = "edge",
        snap_limit: float = 300.0,
        crs: str = "wgs84",
        progress: Progress = True,
    ) -> SiteResult:
        """Where ``sites`` new facilities of ``category`` bring the most residents within
        ``radius`` metres of walking (default: the shipped standards' distance for it), chosen
        among ``candidates`` (``id,lon,lat[,name,capacity,cost]``); existing ``facilities`` of the
        category count as open. Sites come most people added first, with the proven bound."""
        r = _call(
            self._net.site,
            _table(communities, "communities"),
            _table(candidates, "candidates"),
            None if facilities is None else _table(facilities, "facilities"),
            with_osm_facilities,
            category,
            int(sites),
            None if radius is None else float(radius),
            float(time_limit),
            (snap, float(snap_limit), _points_crs(crs, communities, candidates, facilities)),
            _progress(progress),
        )
        f = r.pop("figures")
        df = pd.DataFrame(r)
        df.attrs["figures"] = dict(f)
        return SiteResult(
            sites=df,
            category=f["category"],
            radius_m=f["radius_m"],
            population=f["population"],
            covered_before=f["covered_before"],
            covered_after=f["covered_after"],
            bound=f["bound"],
            gap=f["gap"],
            optimal=f["optimal"],
            found_by=f["found_by"],
            bound_by=f["bound_by"],
        )


def _points_crs(crs: str, *tables: Any) -> str:
    """The CRS of the tables' lon/lat for the engine: GeoDataFrames are converted to WGS-84
    here, so plain tables beside one must be in WGS-84 too."""
    geo = [t for t in tables if t is not None and _is_geo(t)]
    if not geo:
        return crs
    if crs.lower() not in ("wgs84", "wgs-84", "epsg:4326") and len(geo) < sum(t is not None for t in tables):
        raise OptionError(
            f"crs={crs!r} applies to plain tables, but a GeoDataFrame is given beside them: "
            "give every table as a GeoDataFrame, or every plain table in WGS-84"
        )
    return "wgs84"


#: Columns holding codes: read as text so that leading zeros and long codes stay as written.
_TEXT_COLUMNS = {
    "community_id": str,
    "facility_id": str,
    "division_code": str,
    "region_code": str,
    "code": str,
    "candidate_id": str,
    "id": str,
}


def read_table(path_or_buffer: Any) -> pd.DataFrame:
    """Reads one of livingcircle's output CSVs as the package returns it (id and code columns
    as text)."""
    return pd.read_csv(path_or_buffer, dtype=_TEXT_COLUMNS)


def assess(network: Network, communities: Table, facilities: Optional[Table] = None, **options: Any) -> Dict[str, pd.DataFrame]:
    """:meth:`Network.assess` as a function."""
    return network.assess(communities, facilities, **options)


def site(network: Network, communities: Table, candidates: Table, category: str, sites: int = 3, **options: Any) -> SiteResult:
    """:meth:`Network.site` as a function."""
    return network.site(communities, candidates, category, sites, **options)


def to_wgs84(lon: Sequence[float], lat: Sequence[float], crs: str) -> Tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes from GCJ-02 (``"gcj02"``: AMap/Gaode, Tencent) or BD-09
    (``"bd09"``: Baidu) to WGS-84, as the engine converts tables given with ``crs=``. (Other
    CRSs: GeoPandas' ``to_crs(4326)``.)"""
    x, y = _call(_native.convert_points, [float(v) for v in lon], [float(v) for v in lat], crs)
    return np.asarray(x), np.asarray(y)


def categories() -> pd.DataFrame:
    """The facility categories of the vocabulary: ``key, name_zh, name_en``."""
    return pd.DataFrame(_native.categories(), columns=["key", "name_zh", "name_en"])

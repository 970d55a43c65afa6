"""Type stub of the compiled extension (python/src). Use the `livingcircle` package's API."""

from typing import Any, Callable, Dict, List, Optional, Tuple

_Table = Tuple[str, Optional[bytes]]
_Placing = Tuple[str, float, str]
_Progress = Optional[Callable[[str, str, str, Any], None]]

__version__: str

class NativeError(Exception): ...

class Network:
    @staticmethod
    def load_osm(path: str, profile: str, keep_all_components: bool, cache: bool, osm_facilities: bool, progress: _Progress) -> Network: ...
    @staticmethod
    def load_tables(nodes: str, edges: str, keep_all_components: bool, cache: bool, progress: _Progress) -> Network: ...
    @staticmethod
    def load_frames(nodes: _Table, edges: _Table, keep_all_components: bool, progress: _Progress) -> Network: ...
    def info(self) -> Dict[str, Any]: ...
    def osm_facilities_csv(self) -> str: ...
    def access(self, communities: _Table, facilities: Optional[_Table], with_osm_facilities: bool, k: int, max_distance: float, circles: List[float], catchment: Optional[float], categories: Optional[List[str]], placing: _Placing, progress: _Progress) -> Dict[str, Any]: ...
    def isochrones(self, ids: List[str], lons: List[float], lats: List[float], communities: Optional[_Table], minutes: List[float], speed: float, buffer: float, placing: _Placing, progress: _Progress) -> Dict[str, Any]: ...
    def assess(self, communities: _Table, facilities: Optional[_Table], with_osm_facilities: bool, standards: List[Tuple[str, str]], targets: List[Tuple[str, str]], divisions: Optional[Tuple[str, str]], max_distance: float, placing: _Placing, progress: _Progress) -> Dict[str, str]: ...
    def site(self, communities: _Table, candidates: _Table, facilities: Optional[_Table], with_osm_facilities: bool, category: str, sites: int, radius: Optional[float], time_limit: float, placing: _Placing, progress: _Progress) -> Dict[str, Any]: ...

def categories() -> List[Tuple[str, str, str]]: ...
def convert_points(lons: List[float], lats: List[float], crs: str) -> Tuple[List[float], List[float]]: ...

# Partitioned runs (lc_pipeline::partition; livingcircle.distributed is the API).
def partition_plan(nodes: str, edges: str, communities: str, facilities: str, crs: str, scheme: str, k: int, max_distance: float, circles: List[float], categories: Optional[List[str]], snap: str, snap_limit: float, keep_all_components: bool, counts: bool, out_dir: str, progress: _Progress) -> Dict[str, Any]:
    """Plans a partitioned access run and writes the plan folder; returns ``plan`` (plan.json's
    text), ``jobs`` as ``(part, region, job_file, job_json)``, ``dropped_nodes_file``, ``timings``."""
def partition_run(job: str, progress: _Progress) -> Dict[str, Any]:
    """Runs one part job file; returns its rows as columns (as ``Network.access``), ``indices``
    (little-endian uint64: the communities' input rows), ``part``, ``region``, ``placed`` and
    ``manifest`` (JSON text). Writes nothing."""
def partition_merge(plan_dir: str, access: str, counts: Optional[str]) -> Dict[str, Any]:
    """Merges a plan folder's parts run by ``livingcircle partition run`` into the whole run's
    files; returns ``plan_id``, ``communities``, ``placed``, ``access_rows``, ``counts_rows``,
    ``parts`` as ``(part, communities, stats_json)``."""

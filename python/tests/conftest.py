"""Fixtures: the `livingcircle` command line (the reference every result is compared with), the
demo city (© OpenStreetMap contributors, ODbL) copied to a temporary folder so that the network
cache is written there, and a small generated city as node/edge tables."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo" / "chengdu-central"


def _binary() -> Path:
    env = os.environ.get("LIVINGCIRCLE_BIN")
    candidates = [Path(env)] if env else []
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        candidates.append(Path(target) / "release" / "livingcircle")
    candidates.append(REPO / "target" / "release" / "livingcircle")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    pytest.fail(
        "the livingcircle binary is needed as the reference: build it with "
        "`cargo build --release -p livingcircle` or set LIVINGCIRCLE_BIN"
    )


@pytest.fixture(scope="session")
def cli():
    """Runs `livingcircle --quiet ARGS…`; fails the test with its stderr on a non-zero exit."""
    exe = _binary()

    def run(*args: object) -> subprocess.CompletedProcess:
        p = subprocess.run(
            [str(exe), "--quiet", *[str(a) for a in args]],
            capture_output=True,
            text=True,
        )
        assert p.returncode == 0, f"livingcircle {' '.join(map(str, args))} failed:\n{p.stderr}"
        return p

    return run


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    """A copy of demo/chengdu-central (its cache files land here, not in the repository)."""
    d = tmp_path_factory.mktemp("demo")
    for f in DEMO.iterdir():
        if f.is_file():
            shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def city(tmp_path_factory, cli) -> Path:
    """A generated city of about 3,000 nodes: nodes.csv, edges.csv, communities.csv,
    facilities.csv, candidates.csv."""
    d = tmp_path_factory.mktemp("city")
    cli("generate", "--nodes", 3000, "--seed", 7, "--out", d)
    return d

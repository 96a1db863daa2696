"""Shared fixtures: a simulated company built end to end once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REVSTACK = str(Path(sys.executable).parent / "revstack")

# The end-to-end company: every currency, every scenario; 2,000 customers so that the ground-truth
# comparison covers thousands of movements (issue 3), still a few minutes in CI.
E2E_SEED = 7
E2E_CUSTOMERS = 2000
E2E_MONTHS = 24
E2E_START = "2024-11-01"


# The suite runs on two pytest-xdist workers (`-n 2 --dist loadgroup`, see bootstrap.py). The tests
# that share an expensive session fixture are one group, so each company is built once, on one
# worker; every other module is a group of its own, so a module-scoped fixture is built once too.
# The groups go first (longest first), then the modules with end-to-end tests, so that the two
# workers finish together.
_SHARED_COMPANIES = ("built_home", "small_home", "built_warehouse")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Parse the dbt project once, in the main process, before the workers start: every build and
    every import of the Dagster definitions then reads the same manifest, and no worker rewrites
    it under another's feet."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        from orchestration.dbt_project import prepare_if_stale

        prepare_if_stale()


def _group(item: pytest.Item) -> tuple[int, str]:
    for index, name in enumerate(_SHARED_COMPANIES):
        if name in item.fixturenames:
            return index, name
    e2e = item.get_closest_marker("e2e") is not None
    return len(_SHARED_COMPANIES) + (0 if e2e else 1), Path(item.nodeid.split("::")[0]).stem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {item: _group(item) for item in items}
    module_rank = {}
    for rank, name in groups.values():  # a module ranks by its most expensive test
        module_rank[name] = min(rank, module_rank.get(name, rank))
    items.sort(key=lambda item: module_rank[groups[item][1]])  # stable: keeps module order
    if os.environ.get("PYTEST_XDIST_WORKER") and config.getvalue("loadgroup"):
        # xdist's loadgroup reads the group from a `@group` suffix of the node id; xdist 3.8 adds
        # it by renaming `item._nodeid`, which pytest 9 no longer reads (it keeps a NodeId).
        from _pytest.nodeid import NodeId

        for item, (_, name) in groups.items():
            item._id = NodeId.parse(f"{item.nodeid}@{name}")


def revstack(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the installed ``revstack`` command on a given home, as a user would."""
    env = dict(os.environ, REVSTACK_HOME=str(home))
    for name in ("REVSTACK_WAREHOUSE", "DAGSTER_HOME"):
        env.pop(name, None)
    proc = subprocess.run(
        [REVSTACK, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"revstack {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-6000:]}"
        )
    return proc


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Parse the dbt project once, before anything imports the Dagster definitions."""
    from orchestration.dbt_project import prepare_if_stale

    os.environ.setdefault(
        "REVSTACK_WAREHOUSE", str(ROOT / "data" / "warehouse" / "revstack.duckdb")
    )
    return prepare_if_stale()


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``revstack simulate`` + ``revstack build`` on a temporary REVSTACK_HOME."""
    home = tmp_path_factory.mktemp("e2e_home")
    revstack(
        home,
        "simulate",
        "--seed",
        str(E2E_SEED),
        "--customers",
        str(E2E_CUSTOMERS),
        "--months",
        str(E2E_MONTHS),
        "--start",
        E2E_START,
    )
    revstack(home, "build")
    return home


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-written company of tests/dbt_dev_seed.py, built by a full `dbt build` (every
    model, data test and unit test), in a subprocess so no connection stays open here."""
    from tests.dbt_dev_seed import build_dev_warehouse

    tmp = tmp_path_factory.mktemp("dbt")
    path = build_dev_warehouse(tmp / "warehouse" / "revstack.duckdb")
    dbt = Path(sys.executable).with_name("dbt")
    project = ROOT / "dbt_project"
    result = subprocess.run(
        [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(project),
         "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        env={**os.environ, "REVSTACK_WAREHOUSE": str(path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    return path


@pytest.fixture(scope="session")
def small_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second, small simulated company (200 customers × 12 months, seed 3), built end to end,
    for the reports and the ledger, whose figures are recomputed from its landing files."""
    home = tmp_path_factory.mktemp("small_home")
    revstack(home, "simulate", "--customers", "200", "--months", "12", "--seed", "3")
    revstack(home, "build")
    return home

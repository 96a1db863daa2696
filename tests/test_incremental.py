"""Incremental builds equal a full build (issue 14, "Incremental by default").

A build takes in only what landed since the last one: the typed staging tables parse the raw rows
loaded after the newest ``_loaded_at`` they hold (``macros/gateway.sql``, ``load_watermark``),
and every model downstream recomputes from them. The property: however a company's landing files
are split into deliveries, and in whatever order those arrive, building after each delivery ends
with every mart equal, row for row, to one build of all the files from an empty warehouse.

Each example delivers a random permutation of the landing files in 2-3 random batches, loads each
batch with ingestion and runs dbt (in process, the project parsed once) on the same warehouse,
then compares every table of ``marts`` with the reference by ``except all`` both ways.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from ingestion import ENTITIES, HashCache, ensure_raw_tables, load_entity
from orchestration.live_worker import _close_dbt_duckdb
from revstack import config
from tests.conftest import revstack

pytestmark = pytest.mark.e2e


class Builder:
    """Loads a home's landing files and builds the dbt models in this process on one warehouse."""

    def __init__(self, work: Path) -> None:
        from dbt.cli.main import dbtRunner

        self.work = work
        self.warehouse = work / "warehouse" / "revstack.duckdb"
        self.target = work / "target"
        self.common = [
            "--project-dir", str(config.DBT_PROJECT_DIR),
            "--profiles-dir", str(config.DBT_PROJECT_DIR),
            "--target-path", str(self.target), "--log-path", str(work / "logs"),
            "--no-send-anonymous-usage-stats", "--no-use-colors", "--quiet",
        ]  # fmt: skip
        os.environ["REVSTACK_WAREHOUSE"] = str(self.warehouse)  # the profile reads it
        parsed = dbtRunner().invoke(["parse", *self.common])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result)

    def reset(self) -> None:
        shutil.rmtree(self.warehouse.parent, ignore_errors=True)
        self.warehouse.parent.mkdir(parents=True)

    def load(self, home: Path) -> int:
        con = duckdb.connect(str(self.warehouse))
        try:
            ensure_raw_tables(con)
            hashes = HashCache.load(con)
            rows = 0
            for source, entities in ENTITIES.items():
                for entity in entities:
                    result = load_entity(con, source, entity, home=home, hashes=hashes)
                    assert not result.blocked, result.blocked_reason
                    rows += result.rows_loaded
            hashes.save(con)
            return rows
        finally:
            con.close()

    def run(self, full_refresh: bool = False) -> None:
        os.environ["REVSTACK_WAREHOUSE"] = str(self.warehouse)
        # models and seeds (the chart-of-accounts map): the data tests run in every build
        # elsewhere; here only the values matter
        args = ["build", "--resource-type", "model", "--resource-type", "seed", *self.common]
        args += ["--full-refresh"] if full_refresh else []
        try:
            result = self.runner.invoke(args)
        finally:
            _close_dbt_duckdb()
        failed = [
            f"{r.node.name}: {r.message}"
            for r in getattr(result.result, "results", None) or []
            if str(r.status) != "success"
        ]
        assert result.success, failed or result.exception


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A small simulated company (40 customers × 4 months) and its landing files."""
    home = tmp_path_factory.mktemp("incremental_company")
    revstack(home, "simulate", "--customers", "40", "--months", "4", "--seed", "5")
    files = sorted(p.relative_to(home).as_posix() for p in (home / "landing").rglob("*.*"))
    return home, files


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory, company) -> Builder:
    """The builder, and the reference: every landing file, one build from an empty warehouse."""
    home, _ = company
    builder = Builder(tmp_path_factory.mktemp("incremental_work"))
    builder.reset()
    builder.load(home)
    builder.run(full_refresh=True)
    shutil.copy(builder.warehouse, builder.work / "reference.duckdb")
    return builder


def mart_differences(warehouse: Path, reference: Path) -> dict[str, tuple[int, int]]:
    """Per marts table: (rows only in ``warehouse``, rows only in ``reference``), where any."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"attach '{reference}' as ref (read_only)")
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'ref' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        mine = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema = 'marts'"
            ).fetchall()
        }
        assert mine == set(tables) and len(tables) > 20
        out = {}
        for table in tables:
            ours = f"marts.{table}"
            theirs = f"ref.marts.{table}"
            extra = con.execute(
                f"select count(*) from (select * from {ours} except all select * from {theirs})"
            ).fetchone()[0]
            missing = con.execute(
                f"select count(*) from (select * from {theirs} except all select * from {ours})"
            ).fetchone()[0]
            if extra or missing:
                out[table] = (extra, missing)
        return out
    finally:
        con.close()


def test_the_reference_is_a_whole_company(builder: Builder):
    """The property below is only as strong as the reference: it holds a real company."""
    con = duckdb.connect(str(builder.work / "reference.duckdb"), read_only=True)
    try:
        months, payments, movements = con.execute(
            "select (select count(*) from marts.metrics_monthly),"
            " (select count(*) from marts.fct_payments),"
            " (select count(*) from marts.fct_mrr_movements)"
        ).fetchone()
    finally:
        con.close()
    assert months >= 4 and payments > 50 and movements > 40


@settings(
    # each example is 2-3 builds of every model (about 20 s each): a few examples per CI run,
    # new ones every run; a failing example is printed as found (no shrinking: minutes a step)
    max_examples=2,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_incremental_builds_in_any_delivery_order_equal_one_full_build(
    data, company, builder: Builder, tmp_path_factory: pytest.TempPathFactory
):
    home, files = company
    order = data.draw(st.permutations(files), label="delivery order")
    cuts = data.draw(
        st.lists(st.integers(1, len(files) - 1), min_size=1, max_size=2, unique=True),
        label="batch boundaries",
    )
    bounds = [0, *sorted(cuts), len(files)]
    batches = [order[a:b] for a, b in itertools.pairwise(bounds)]
    note(f"{len(batches)} deliveries of {[len(b) for b in batches]} files")
    builder.reset()
    delivered = tmp_path_factory.mktemp("delivered")
    for batch in batches:
        for rel in batch:
            target = delivered / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(home / rel, target)
        builder.load(delivered)
        builder.run()
    assert mart_differences(builder.warehouse, builder.work / "reference.duckdb") == {}

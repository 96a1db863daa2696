"""Run a slice of the dbt project on hand-made rows, many times a second, without dbt.

For property tests of the SQL: feed chosen rows into some models ("inputs") and read what a few
downstream models ("targets") make of them, thousands of times per test session.

1. `build_empty_project(workdir)` runs dbt ONCE: `tests/dbt_dev_seed.py --empty` writes the raw
   tables without rows, then `dbt build` builds every model on them. That gives every relation
   with its real schema and, in `target/manifest.json`, each model's compiled SQL, relation
   name, materialisation and dependencies. (`empty_project(tmp_path_factory)` does it once per
   pytest session, for every test module that asks.)
2. `BuiltProject.chain(inputs, targets)` works out from the manifest the models that depend on
   an input (directly or not) and that a target depends on along a path not through an input
   (the targets included, the inputs excluded), in dependency order. Nothing about the models
   is hard-coded here.
3. `BuiltProject.runner(inputs, targets)` copies the built warehouse into an in-memory DuckDB
   database with the same catalog name (so the compiled SQL runs unchanged) and keeps that one
   connection open. `ChainRunner.run({input: rows})` then, per example: empties every input,
   inserts the rows, and re-materialises each table of the chain with
   `create or replace table <relation_name> as (<compiled_code>)` in dependency order (views
   and ephemeral models need nothing: a view reads its upstream live, an ephemeral model is
   inlined). Tests then read the targets with `ChainRunner.query`.

Every relation that the rows do not feed keeps what `dbt build` put there: empty for anything
built from the raw tables, the built rows for anything built from vars alone. A model of the
chain that the rows cannot change in practice (e.g. invoices, which read the FX input but are
empty without invoices) may be named `frozen` to skip its rebuild; `check_frozen()` rebuilds
those on the current rows and says whether that would have changed anything.

Rows are dicts keyed by column name. A column left out gets the runner's default for it
(`defaults={input: {column: value}}`), else NULL; values are cast to the column's own type by
DuckDB (Decimal values go through their exact string, so nothing passes through a float).
"""

from __future__ import annotations

import graphlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DIR = ROOT / "dbt_project"
DEV_SEED = ROOT / "tests" / "dbt_dev_seed.py"

# Materialisations that hold rows of their own and so must be rebuilt after their inputs change.
STORED = {"table", "incremental", "snapshot"}
SMALL = 64  # inputs of at most this many rows are inserted from a VALUES list, larger from a frame


@dataclass(frozen=True)
class Model:
    unique_id: str
    name: str
    relation_name: str | None
    materialized: str
    compiled_code: str
    depends_on: tuple[str, ...]


@dataclass
class BuiltProject:
    """A warehouse built by dbt on empty raw tables, and the manifest of that build."""

    warehouse: Path
    manifest_path: Path
    models: dict[str, Model] = field(default_factory=dict)  # by name

    @classmethod
    def load(cls, warehouse: Path, manifest_path: Path) -> BuiltProject:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        models = {}
        for uid, node in manifest["nodes"].items():
            if node["resource_type"] != "model":
                continue
            models[node["name"]] = Model(
                unique_id=uid,
                name=node["name"],
                relation_name=node.get("relation_name"),
                materialized=node["config"]["materialized"],
                compiled_code=node.get("compiled_code") or "",
                depends_on=tuple(node["depends_on"]["nodes"]),
            )
        return cls(warehouse, manifest_path, models)

    def model(self, name: str) -> Model:
        try:
            return self.models[name]
        except KeyError:
            raise KeyError(f"no model {name!r} in {self.manifest_path}") from None

    def chain(self, inputs: Iterable[str], targets: Iterable[str]) -> list[Model]:
        """Models downstream of an input and upstream of (or equal to) a target, in order."""
        inputs, targets = set(inputs), set(targets)
        for name in inputs | targets:
            self.model(name)
        by_uid = {m.unique_id: m.name for m in self.models.values()}
        parents = {
            m.name: [by_uid[d] for d in m.depends_on if d in by_uid] for m in self.models.values()
        }
        children: dict[str, list[str]] = {name: [] for name in self.models}
        for name, ps in parents.items():
            for p in ps:
                children[p].append(name)
        downstream = _closure(inputs, children)
        # upstream of a target along paths that do not pass through an input: whatever feeds
        # an input is replaced by the example's rows
        upstream = targets | _closure(
            targets, {n: [] if n in inputs else ps for n, ps in parents.items()}
        )
        between = (downstream & upstream) - inputs
        unfed = targets - downstream
        if unfed:
            raise ValueError(f"targets {sorted(unfed)} depend on none of {sorted(inputs)}")
        graph = {n: [p for p in parents[n] if p in between] for n in between}
        return [self.models[n] for n in graphlib.TopologicalSorter(graph).static_order()]

    def runner(
        self,
        inputs: Sequence[str],
        targets: Sequence[str],
        *,
        defaults: Mapping[str, Mapping[str, Any]] | None = None,
        frozen: Iterable[str] = (),
    ) -> ChainRunner:
        return ChainRunner(self, inputs, targets, defaults=defaults or {}, frozen=frozen)


def _closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def build_empty_project(workdir: Path, project_dir: Path = PROJECT_DIR) -> BuiltProject:
    """`dbt_dev_seed.py --empty`, then `dbt build`, into `workdir` (raises with dbt's output)."""
    warehouse = workdir / "warehouse" / "revstack.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(DEV_SEED), str(warehouse), "--empty"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    # a subprocess, so that no dbt-duckdb connection stays open in this process
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(workdir / "target"),
            "--log-path",
            str(workdir / "logs"),
        ],
        cwd=ROOT,
        env={**os.environ, "REVSTACK_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt build failed on the empty warehouse:\n{result.stdout[-6000:]}")
    return BuiltProject.load(warehouse, workdir / "target" / "manifest.json")


_SESSION: dict[str, BuiltProject] = {}


def empty_project(tmp_path_factory: Any) -> BuiltProject:
    """`build_empty_project` once per pytest session (pass pytest's `tmp_path_factory`)."""
    if "project" not in _SESSION:
        _SESSION["project"] = build_empty_project(tmp_path_factory.mktemp("sql_harness"))
    return _SESSION["project"]


class ChainRunner:
    """One in-memory copy of the built warehouse; `run` re-materialises the chain on new rows."""

    def __init__(
        self,
        project: BuiltProject,
        inputs: Sequence[str],
        targets: Sequence[str],
        *,
        defaults: Mapping[str, Mapping[str, Any]],
        frozen: Iterable[str] = (),
        threads: int = 1,  # the rows are few: planning dominates, and one thread plans fastest
    ) -> None:
        self.project = project
        self.inputs = [project.model(n) for n in inputs]
        self.targets = [project.model(n) for n in targets]
        self.chain = project.chain(inputs, targets)
        self.defaults = {k: dict(v) for k, v in defaults.items()}
        self.frozen = [m for m in self.chain if m.name in {project.model(n).name for n in frozen}]
        self.rebuilt = [m for m in self.chain if m.materialized in STORED and m not in self.frozen]
        catalogs = {
            m.relation_name.split(".")[0] for m in project.models.values() if m.relation_name
        }
        if len(catalogs) != 1:
            raise ValueError(f"expected one database in the manifest, found {sorted(catalogs)}")
        (catalog,) = catalogs
        self.con = duckdb.connect(config={"threads": threads})
        self.con.execute(f"attach '{project.warehouse}' as harness_built (read_only)")
        self.con.execute(f"attach ':memory:' as {catalog}")
        self.con.execute(f"copy from database harness_built to {catalog}")
        self.con.execute("detach harness_built")
        self.con.execute(f"use {catalog}")
        for m in self.inputs:
            if m.materialized not in STORED:
                self._as_table(m)
        self.columns: dict[str, list[tuple[str, str]]] = {
            m.name: [
                (r[0], r[1]) for r in self.con.execute(f"describe {m.relation_name}").fetchall()
            ]
            for m in self.inputs
        }
        for name, cols in self.defaults.items():
            unknown = set(cols) - set(self.column_names(name))
            if unknown:
                raise ValueError(
                    f"defaults for columns {sorted(unknown)} that {name} does not have"
                )

    def _as_table(self, m: Model) -> None:
        """An input that is a view becomes an (empty) table of the same columns."""
        if not m.relation_name:
            raise ValueError(f"input {m.name} is {m.materialized}: it has no relation to fill")
        self.con.execute(
            f"create temp table harness_shape as select * from {m.relation_name} limit 0"
        )
        self.con.execute(f"drop view {m.relation_name}")
        self.con.execute(f"create table {m.relation_name} as select * from harness_shape")
        self.con.execute("drop table harness_shape")

    def relation(self, name: str) -> str:
        return self.project.model(name).relation_name

    def column_names(self, name: str) -> list[str]:
        return [c for c, _ in self.columns[name]]

    def load(self, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Replace the rows of one input."""
        relation = self.relation(name)
        self.con.execute(f"truncate {relation}")
        if not rows:
            return
        columns = self.columns[name]
        fed = sorted({k for row in rows for k in row})
        unknown = set(fed) - set(self.column_names(name))
        if unknown:
            raise ValueError(
                f"rows for {name} have columns {sorted(unknown)} that it does not have"
            )
        defaults = self.defaults.get(name, {})
        params: list[Any] = []
        select = []
        for col, ctype in columns:
            if col in fed:
                select.append(f'cast(harness_rows."{col}" as {ctype})')
            elif defaults.get(col) is not None:
                select.append(f"cast(? as {ctype})")
                params.append(_plain(defaults[col]))
            else:
                select.append(f"cast(null as {ctype})")
        select_sql = f"select {', '.join(select)} from harness_rows"
        values = [[_plain(row.get(c, defaults.get(c))) for c in fed] for row in rows]
        if len(rows) <= SMALL:  # a VALUES list binds faster than a registered frame
            names = ", ".join(f'"{c}"' for c in fed)
            placeholders = ", ".join(["(" + ", ".join(["?"] * len(fed)) + ")"] * len(rows))
            self.con.execute(
                f"insert into {relation} with harness_rows ({names}) as (values {placeholders})"
                f" {select_sql}",
                [v for row in values for v in row] + params,
            )
            return
        frame = pl.DataFrame(
            values, schema=fed, orient="row", strict=False, infer_schema_length=None
        )
        self.con.register("harness_rows", frame)
        try:
            self.con.execute(f"insert into {relation} {select_sql}", params)
        finally:
            self.con.unregister("harness_rows")

    def run(self, rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Load every input (one missing from `rows` is emptied) and rebuild the chain."""
        unknown = set(rows) - {m.name for m in self.inputs}
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not inputs of this runner")
        for m in self.inputs:
            self.load(m.name, rows.get(m.name, ()))
        for m in self.rebuilt:
            self._materialise(m, m.relation_name)

    def _materialise(self, m: Model, relation: str, kind: str = "table") -> None:
        try:
            self.con.execute(f"create or replace {kind} {relation} as (\n{m.compiled_code}\n)")
        except duckdb.Error as exc:
            raise RuntimeError(f"re-materialising {m.name} failed: {exc}") from exc

    def check_frozen(self) -> list[str]:
        """The frozen models whose rebuild on the current rows would change what they hold."""
        changed = []
        for m in self.frozen:
            self._materialise(m, "harness_check", kind="temp table")
            diff = self.con.execute(
                f"select count(*) from ((select * from harness_check except all"
                f" select * from {m.relation_name}) union all (select * from {m.relation_name}"
                f" except all select * from harness_check))"
            ).fetchone()[0]
            if diff:
                changed.append(m.name)
        self.con.execute("drop table if exists temp.main.harness_check")
        return changed

    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def close(self) -> None:
        self.con.close()


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value

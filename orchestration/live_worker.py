"""The live worker: a landing file reaches the serving snapshot in a second or two.

One long-lived process (the ``live`` Dagster run, see ``defs/live.py``) polls the landing zone
every ``poll`` seconds and, for the files that appeared:

1. loads their entities into the raw tables (:func:`ingestion.load_entity`, with a
   :class:`ingestion.HashCache` so that only new files are read and hashed);
2. runs ``dbt build`` in process (``dbtRunner`` with the manifest parsed once at start) on the
   models tagged ``live`` downstream of those entities, incrementally: var ``live_batches`` names
   the raw batches loaded since its last beat (``raw_meta.loaded_files``: its own, and any a full
   build's ingestion step loaded first), and the models recompute only the objects in them
   (``macros/live.sql``); then their own tests;
3. republishes those tables in the snapshot (:func:`revstack.serving.publish_tables`).

Everything it does to the warehouse happens under the writer lock (:mod:`revstack.locking`). A
full build holds it only for moments: its dbt step, checks and publish work on a copy of the
warehouse (:mod:`revstack.build_copy`), and its ingestion step loads what the worker has not.
Batches loaded but not yet built (a failed dbt run, a worker stopped in between, the last ones a
full build caught up when it swapped its copy in) are kept in
``$REVSTACK_HOME/live/pending_batches.json`` and built with the next batch; a full build also
covers those loaded before it started, as it rebuilds the live marts whole.

Per-batch timings go to ``$REVSTACK_HOME/logs/live_worker.jsonl`` (the freshness benchmark
reads them) and to the caller, which reports them to Dagster.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb

from ingestion import HashCache, ensure_raw_tables, load_entity
from ingestion.loader import LoadResult
from orchestration.landing import Landed, LandingCursor, scan_landing
from revstack import config, serving
from revstack.locking import WarehouseBusy, warehouse_lock

LIVE_TAG = "live"  # dbt tag of the models the live worker maintains
RETRY_SECONDS = 30.0  # a batch whose build failed is tried again after this, or with new files


@dataclass
class LiveModels:
    """The dbt models tagged ``live``, from a parsed manifest (``manifest.json`` as a dict)."""

    manifest: dict[str, Any]

    @cached_property
    def unique_keys(self) -> dict[str, str]:
        """The unique key (one column) of each live model that has one, by ``schema.table``."""
        out = {}
        for node in self.manifest["nodes"].values():
            if node["resource_type"] == "model" and node["name"] in self.relations:
                key = node.get("config", {}).get("unique_key")
                if isinstance(key, str):
                    out[self.relations[node["name"]]] = key
        return out

    @cached_property
    def relations(self) -> dict[str, str]:
        """``schema.table`` of each live model, by model name."""
        return {
            node["name"]: f"{node['schema']}.{node.get('alias') or node['name']}"
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model" and LIVE_TAG in node.get("tags", [])
        }

    def downstream(self, source: str, entity: str) -> set[str]:
        """The live models downstream (through any chain of models) of ``raw_<source>.<entity>``."""
        children = self.manifest["child_map"]
        seen: set[str] = set()
        todo = [f"source.revstack.raw_{source}.{entity}"]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in seen and child.startswith("model."):
                    seen.add(child)
                    todo.append(child)
        return {uid.split(".")[-1] for uid in seen} & set(self.relations)


@dataclass
class Batch:
    """What one beat of the worker did."""

    batch: str  # the worker's own id of this beat (meta.tables' build_id of what it published)
    files: list[str]
    loads: list[dict[str, Any]] = field(default_factory=list)
    raw_batches: list[str] = field(default_factory=list)  # the raw batches the models took in
    models: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # published table -> rows
    ok: bool = True
    error: str | None = None
    started_at: float = 0.0  # epoch seconds
    seconds: dict[str, float] = field(default_factory=dict)  # load, dbt, publish, total

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


class DbtInProcess:
    """``dbt build`` in this process, with the project parsed once (``dbtRunner(manifest=…)``):
    no interpreter start, no parse, no manifest written on each call."""

    def __init__(self, warehouse: Path, target: Path) -> None:
        self.warehouse, self.target = warehouse, target
        self.project = str(config.DBT_PROJECT_DIR)
        self._runner = None
        self.manifest_dict: dict[str, Any] | None = None

    def _common(self) -> list[str]:
        return [
            "--project-dir", self.project, "--profiles-dir", self.project,
            "--target-path", str(self.target), "--log-path", str(self.target / "logs"),
            "--no-send-anonymous-usage-stats", "--no-use-colors", "--quiet",
        ]  # fmt: skip

    def start(self) -> None:
        from dbt.cli.main import dbtRunner

        os.environ["REVSTACK_WAREHOUSE"] = str(self.warehouse)  # the profile reads it
        os.environ.setdefault("DO_NOT_TRACK", "1")
        result = dbtRunner().invoke(["parse", *self._common()])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        self._runner = dbtRunner(manifest=result.result)
        self.manifest_dict = json.loads((self.target / "manifest.json").read_text("utf-8"))

    def build(self, models: list[str], raw_batches: list[str]) -> tuple[bool, str | None]:
        """Build ``models`` (and their own tests) over ``raw_batches``; (ok, error)."""
        if self._runner is None:
            self.start()
        args = [
            "build", "--select", *models,
            # the models' own tests only, not those that also read models it does not rebuild
            "--indirect-selection", "cautious",
            "--exclude-resource-type", "unit_test",
            "--vars", json.dumps({"live_batches": raw_batches}),
            "--no-write-json", *self._common(),
        ]  # fmt: skip
        try:
            result = self._runner.invoke(args)
        finally:
            _close_dbt_duckdb()
        if isinstance(result.exception, BaseException) and not isinstance(
            result.exception, Exception
        ):
            # an interrupt (Ctrl-C, Dagster terminating the run) that dbt caught: stop the worker
            raise result.exception
        if result.success:
            return True, None
        failures = [
            f"{r.node.name}: {r.status} {r.message or ''}".strip()
            for r in getattr(result.result, "results", None) or []
            if str(r.status) not in ("success", "pass")
        ]
        return False, "; ".join(failures) or repr(result.exception)


def _close_dbt_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in this process after an invocation (its
    environment outlives the run): the warehouse must be free for the publish and for the full
    builds' processes until the next beat."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    DuckDBConnectionManager._ENV = None
    if env is not None:
        env.close()


def _pending_path(home: Path) -> Path:
    return home / "live" / "pending_batches.json"


def read_pending(home: Path) -> list[str]:
    """The raw batches loaded into the warehouse that the live models have not taken in."""
    try:
        return json.loads(_pending_path(home).read_text("utf-8"))
    except FileNotFoundError:
        return []


def write_pending(home: Path, batches: list[str]) -> None:
    """Replace the pending list; the caller holds the warehouse writer lock."""
    path = _pending_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(set(batches))), "utf-8")
    os.replace(tmp, path)


class LiveWorker:
    def __init__(
        self,
        home: Path | None = None,
        warehouse: Path | None = None,
        serving_path: Path | None = None,
        log: Callable[[str], None] = print,
        dbt_target: Path | None = None,
    ) -> None:
        self.home = home or config.home()
        self.warehouse = warehouse or config.warehouse_path()
        self.serving = serving_path or config.serving_path()
        self.log = log
        self.id = uuid.uuid4().hex[:8]
        self.beats = 0
        self.hashes: HashCache | None = None  # the warehouse's, read on the first beat
        # the newest raw_meta.loaded_files.loaded_at the live models have taken in (first beat)
        self.loaded_mark: datetime | None = None
        self.cursor = LandingCursor()
        # its own target folder: the parse and compiled SQL of the full builds stay theirs
        self.dbt = DbtInProcess(
            self.warehouse, dbt_target or config.DBT_PROJECT_DIR / "target" / "live"
        )
        self.state_dir = self.home / "live"
        self.log_path = self.home / "logs" / "live_worker.jsonl"
        self._failed_at = float("-inf")

    # -- state --------------------------------------------------------------------------------
    def pending(self) -> list[str]:
        return read_pending(self.home)

    def _set_pending(self, batches: list[str]) -> None:
        write_pending(self.home, batches)

    @cached_property
    def models(self) -> LiveModels:
        if self.dbt.manifest_dict is None:
            self.dbt.start()
        return LiveModels(self.dbt.manifest_dict)

    # -- one beat -----------------------------------------------------------------------------
    def start(self) -> None:
        """Parse the dbt project (a few seconds, once)."""
        _ = self.models

    def poll(self, lock_wait: float = 0.0) -> Batch | None:
        """Take in what landed since the last poll; None when nothing did (or the warehouse
        is busy with a full-build step: the files stay new for the next poll)."""
        files = scan_landing(self.home)
        new = self.cursor.new_files(files)
        if not new and (not self.pending() or time.monotonic() - self._failed_at < RETRY_SECONDS):
            return None  # a failed batch is retried with the next file, or after a while
        try:
            with warehouse_lock(self.warehouse, timeout=lock_wait):
                # read under the lock: a full build's publish step adds the batches it caught
                # up to the list when it swaps its copy in (revstack.build_copy)
                batch = self._apply(new, self.pending())
        except WarehouseBusy:
            return None
        self.cursor = self.cursor.advanced(files)
        self._failed_at = float("-inf") if batch.ok else time.monotonic()
        self._record(batch)
        return batch

    def _apply(self, new: list[Landed], pending: list[str]) -> Batch:
        started = time.perf_counter()
        self.beats += 1
        batch = Batch(
            batch=f"live-{self.id}-{self.beats}",
            files=sorted(f.path for f in new),
            started_at=time.time(),
        )
        t = time.perf_counter()
        entities = sorted({(f.source, f.entity) for f in new})
        results: list[LoadResult] = []
        taken_in: list[tuple[str, str, str]] = []  # (batch, source, entity) loaded since last beat
        if entities:
            con = duckdb.connect(str(self.warehouse))
            try:
                ensure_raw_tables(con)
                if self.hashes is None:
                    self.hashes = HashCache.load(con)
                if self.loaded_mark is None:
                    (self.loaded_mark,) = con.execute(
                        "select coalesce(max(loaded_at), timestamp '1970-01-01')"
                        " from raw_meta.loaded_files"
                    ).fetchone()
                for source, entity in entities:
                    results.append(load_entity(con, source, entity, self.home, self.hashes))
                self.hashes.save(con)
                # every batch loaded since the last beat, whoever loaded it: its own, and those
                # of a full build's ingestion step, which may take in a landed file first
                rows = con.execute(
                    "select batch_id, source, entity, max(loaded_at) from raw_meta.loaded_files"
                    " where loaded_at > ? and rows_loaded > 0 group by all order by 1",
                    [self.loaded_mark],
                ).fetchall()
                taken_in = [(b, source, entity) for b, source, entity, _ in rows]
                self.loaded_mark = max([self.loaded_mark, *(at for *_, at in rows)])
            finally:
                con.close()
        batch.loads = [r.as_metadata() | {"source": r.source, "entity": r.entity}
                       for r in results]  # fmt: skip
        batch.seconds["load"] = time.perf_counter() - t
        for r in results:
            if r.blocked:
                self.log(f"live: {r.source}.{r.entity} blocked: {r.blocked_reason}")
        batch.raw_batches = sorted(set(pending) | {b for b, _, _ in taken_in})
        models = set()
        for _, source, entity in taken_in:
            models |= self.models.downstream(source, entity)
        if pending:  # a batch not yet built: every live model may need it
            models |= set(self.models.relations)
        batch.models = sorted(models)
        if not batch.models:
            self._set_pending([])
            batch.seconds["total"] = time.perf_counter() - started
            return batch
        self._set_pending(batch.raw_batches)
        t = time.perf_counter()
        batch.ok, batch.error = self.dbt.build(batch.models, batch.raw_batches)
        batch.seconds["dbt"] = time.perf_counter() - t
        if batch.ok:
            t = time.perf_counter()
            # the snapshot holds the marts; the typed staging tables a beat also keeps
            # current (parse once) stay in the warehouse
            relations = [self.models.relations[m] for m in batch.models]
            tables = [name for name in relations if name.startswith("marts.")]
            result = serving.publish_tables(
                tables,
                warehouse=self.warehouse,
                serving=self.serving,
                build_id=batch.batch,
                keys=self.models.unique_keys,  # only the rows that changed
            )
            batch.tables = result.tables
            batch.seconds["publish"] = time.perf_counter() - t
            self._set_pending([])
        batch.seconds["total"] = time.perf_counter() - started
        return batch

    def _record(self, batch: Batch) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as out:
            out.write(batch.as_json() + "\n")

    # -- the loop -----------------------------------------------------------------------------
    def run(
        self,
        poll: float = 0.5,
        idle_exit: float | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        on_batch: Callable[[Batch], None] = lambda b: None,
    ) -> int:
        """Poll until ``should_stop()``, or until nothing landed for ``idle_exit`` seconds;
        return the number of batches taken in."""
        self.start()
        taken = 0
        last = time.monotonic()
        while not should_stop():
            batch = self.poll()
            if batch is not None:
                taken += 1
                last = time.monotonic()
                on_batch(batch)
                continue  # more may have landed meanwhile
            if idle_exit is not None and time.monotonic() - last >= idle_exit:
                break
            time.sleep(poll)
        return taken

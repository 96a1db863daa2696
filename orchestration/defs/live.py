"""The live path (issue 6): new landing files reach the serving snapshot within seconds.

- ``live_landing`` (sensor, every few seconds) lists the landing zone — file names and change
  times only, never the warehouse, which a run may hold — against its cursor, and asks for one
  ``live`` run for the files that appeared since its last request. The run queue (tag
  ``revstack/warehouse``, limit 1) starts it when the run in progress ends; while a run already
  waits to start, the sensor skips and the cursor keeps the files for the next request (so at
  most one run waits: queuing behind the running one, rather than asking only once it ended,
  saved the sensor's tick and the run's creation from every event's wait).
- ``live`` (job) loads the changed entities (the raw assets), builds the dbt models tagged
  ``live`` downstream of them with their tests, and ``serving/live_tables`` republishes just those
  tables (and ``raw_meta``) in the snapshot, recording each refresh in ``meta.tables``.
- Everything else is refreshed by the full builds of ``schedules.py`` (hourly, and nightly).
"""

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import dagster as dg

from ingestion import ENTITIES, landing_files
from orchestration.dbt_project import revstack_dbt
from revstack import config, serving

from .dbt import LIVE_JOB, revstack_dbt_models
from .ingestion import raw_assets, raw_key
from .resources import WarehouseResource

LIVE_TAG = "live"  # dbt tag of the models the live job refreshes
LIVE_PUBLISH_KEY = dg.AssetKey(["serving", "live_tables"])
#: every run that writes the warehouse carries this tag; the instance's run queue runs one at a
#: time (tag concurrency limit 1, see revstack.cli.prepare_environment)
WAREHOUSE_TAG = "revstack/warehouse"
WAREHOUSE_TAGS = {WAREHOUSE_TAG: "main"}
#: files whose change time is this close to the newest seen are remembered by name, so that a
#: file renamed into place just after a listing is still new on the next one
CURSOR_WINDOW_NS = 30 * 1_000_000_000
#: a live request waits while a run is already waiting to start: the run queue starts it as soon
#: as the run in progress ends, and it loads whatever landed until then
WAITING = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
]
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


# ------------------------------------------------------------------------------- landing scan
@dataclass(frozen=True)
class Landed:
    source: str
    entity: str
    path: str  # relative to the home, as raw_meta.loaded_files records it
    changed_ns: int  # st_ctime_ns: a rename into place sets it


def scan_landing(home: Path) -> list[Landed]:
    """Every landing file ingestion would consider (its own listing), with its change time."""
    found = []
    for source, entities in ENTITIES.items():
        for entity in entities:
            for path in landing_files(home, source, entity):
                try:
                    changed = os.stat(path).st_ctime_ns
                except FileNotFoundError:
                    continue
                found.append(Landed(source, entity, path.relative_to(home).as_posix(), changed))
    return found


@dataclass
class LandingCursor:
    """The newest change time requested so far, and the files requested within the window
    below it (by name). ``None`` before the first request: every file is new."""

    newest_ns: int | None = None
    recent: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str | None) -> "LandingCursor":
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data["newest_ns"], set(data["recent"]))

    def dump(self) -> str:
        return json.dumps({"newest_ns": self.newest_ns, "recent": sorted(self.recent)})

    def new_files(self, files: list[Landed]) -> list[Landed]:
        if self.newest_ns is None:
            return list(files)
        floor = self.newest_ns - CURSOR_WINDOW_NS
        return [f for f in files if f.changed_ns > floor and f.path not in self.recent]

    def advanced(self, files: list[Landed]) -> "LandingCursor":
        """The cursor after requesting a run for every file of ``files`` (the whole listing)."""
        newest = max([f.changed_ns for f in files] + [self.newest_ns or 0])
        floor = newest - CURSOR_WINDOW_NS
        return LandingCursor(newest, {f.path for f in files if f.changed_ns > floor})


# --------------------------------------------------------------------------------- live models
@cache
def _manifest() -> dict:
    return json.loads(Path(revstack_dbt.manifest_path).read_text("utf-8"))


@cache
def live_relations() -> dict[dg.AssetKey, str]:
    """The dbt models tagged ``live`` (``schema.table``), by asset key."""
    from dagster_dbt import get_asset_key_for_model

    out = {}
    for node in _manifest()["nodes"].values():
        if node["resource_type"] == "model" and LIVE_TAG in node.get("tags", []):
            key = get_asset_key_for_model([revstack_dbt_models], node["name"])
            out[key] = f"{node['schema']}.{node.get('alias') or node['name']}"
    return out


@cache
def _live_downstream(source: str, entity: str) -> frozenset[dg.AssetKey]:
    """The live models that depend, through any chain of models, on ``raw_<source>.<entity>``."""
    from dagster_dbt import get_asset_key_for_model

    children = _manifest()["child_map"]
    live_names = {
        node["unique_id"]
        for node in _manifest()["nodes"].values()
        if node["resource_type"] == "model" and LIVE_TAG in node.get("tags", [])
    }
    seen: set[str] = set()
    todo = [f"source.revstack.raw_{source}.{entity}"]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen and child.startswith("model."):
                seen.add(child)
                todo.append(child)
    return frozenset(
        get_asset_key_for_model([revstack_dbt_models], uid.split(".")[-1])
        for uid in seen & live_names
    )


def live_selection(entities: set[tuple[str, str]]) -> list[dg.AssetKey]:
    """Raw assets of ``entities``, the live models downstream of them, and the live publish."""
    raw = [raw_key(source, entity) for source, entity in sorted(entities)]
    models = sorted(set().union(*(_live_downstream(s, e) for s, e in entities)))
    return raw + models + ([LIVE_PUBLISH_KEY] if models else [])


# ------------------------------------------------------------------------------ publish asset
@dg.asset(
    key=LIVE_PUBLISH_KEY,
    deps=sorted(live_relations()),
    group_name="serving",
    kinds={"duckdb"},
    description="The live marts this run rebuilt (dbt tag `live`), and `raw_meta`, copied into "
    "the serving snapshot by copy-and-swap; the other tables stay as the last full build "
    "published them. `meta.tables` records each table's refresh time and run.",
)
def serving_live_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    selected = context.dagster_run.asset_selection or set()
    tables = sorted(name for key, name in live_relations().items() if key in selected)
    result = serving.publish_tables(
        tables,
        warehouse=warehouse.resolved_path(),
        serving=config.serving_path(),
        build_id=context.run_id,
    )
    return dg.MaterializeResult(
        metadata={
            "tables": dg.MetadataValue.json(result.tables),
            "refreshed_at": result.published_at.isoformat(),
        }
    )


live_job = dg.define_asset_job(
    LIVE_JOB,
    selection=dg.AssetSelection.assets(*[k for a in raw_assets for k in a.keys])
    | dg.AssetSelection.assets(*live_relations())
    | dg.AssetSelection.assets(LIVE_PUBLISH_KEY),
    tags=WAREHOUSE_TAGS,
    description="Load the entities whose landing files changed, build the live dbt models "
    "downstream of them with their tests, republish those tables.",
)


# -------------------------------------------------------------------------------------- sensor
def _run_tags(new: list[Landed]) -> dict[str, str]:
    paths = sorted(f.path for f in new)
    shown = paths[:200]
    return {
        "revstack/landed_files": str(len(paths)),
        "revstack/files": ",".join(shown) + (",…" if len(paths) > len(shown) else ""),
    }


@dg.sensor(
    name="live_landing",
    job=live_job,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="New landing files → a `live` run for their entities (skipped while a run "
    "waits to start; the files wait in the cursor).",
)
def live_landing(context: dg.SensorEvaluationContext):
    cursor = LandingCursor.parse(context.cursor)
    files = scan_landing(config.home())
    new = cursor.new_files(files)
    if not new:
        return dg.SkipReason("no new landing file")
    waiting = context.instance.get_run_records(dg.RunsFilter(statuses=WAITING), limit=1)
    if waiting:
        return dg.SkipReason(
            f"{len(new)} new file(s) wait: run {waiting[0].dagster_run.run_id} waits to start"
        )
    selection = live_selection({(f.source, f.entity) for f in new})
    context.update_cursor(cursor.advanced(files).dump())
    return dg.RunRequest(asset_selection=selection, tags=_run_tags(new))

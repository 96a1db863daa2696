"""The live path (issue 6): new landing files reach the serving snapshot within seconds.

- ``live_landing`` (sensor, every few seconds) lists the landing zone (file names and change
  times only, never the warehouse) against its cursor. When files appeared and no ``live`` run is
  in progress, it starts one; while one runs, the worker in it takes them in itself.
- ``live`` (job) is the resident live worker (``orchestration/live_worker.py``): one run that
  polls the landing zone every half second, loads what landed, builds the dbt models tagged
  ``live`` downstream of it incrementally and in process, and republishes those tables in the
  snapshot (``meta.tables`` records each refresh). Each beat is reported to Dagster as
  materializations of the raw tables, the live models and ``serving/live_tables``. It ends after
  ``idle_exit_seconds`` without a new file; the sensor starts it again when one lands.
  A Dagster run per batch cost about 13 s before any work (queue, process start, definitions
  import, dbt start and parse): too slow for a payment to show within seconds.
- It does not go through the run queue (tag ``revstack/warehouse``), which holds the full
  builds one at a time: the warehouse writer lock (``revstack.locking``) keeps it and their steps
  apart. A full build holds it only for moments (its ingestion, and the copy and the swap of
  ``revstack.build_copy``): the worker keeps its beat while a full build runs.
- Everything else is refreshed by the full builds of ``schedules.py`` (hourly, and nightly).
"""

import os
import time
from functools import cache

import dagster as dg

from orchestration.landing import Landed, LandingCursor, scan_landing
from orchestration.live_worker import LIVE_TAG, Batch, LiveModels, LiveWorker
from revstack import config

from .dbt import revstack_dbt_models
from .ingestion import raw_key

LIVE_JOB = "live"
LIVE_PUBLISH_KEY = dg.AssetKey(["serving", "live_tables"])
#: every full-build run carries this tag; the instance's run queue runs one at a time (tag
#: concurrency limit 1, see revstack.cli.prepare_environment)
WAREHOUSE_TAG = "revstack/warehouse"
WAREHOUSE_TAGS = {WAREHOUSE_TAG: "main"}
IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


# --------------------------------------------------------------------------------- live models
@cache
def live_models() -> LiveModels:
    import json
    from pathlib import Path

    from orchestration.dbt_project import revstack_dbt

    return LiveModels(json.loads(Path(revstack_dbt.manifest_path).read_text("utf-8")))


def _model_key(name: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([revstack_dbt_models], name)


@cache
def live_model_keys() -> dict[str, dg.AssetKey]:
    """The asset key of each dbt model tagged ``live``, by model name."""
    return {name: _model_key(name) for name in sorted(live_models().relations)}


serving_live_tables = dg.AssetSpec(
    LIVE_PUBLISH_KEY,
    deps=sorted(live_model_keys().values()),
    group_name="serving",
    kinds={"duckdb"},
    description=f"The live marts (dbt tag `{LIVE_TAG}`) and `raw_meta`, republished in the "
    "serving snapshot by the live worker (the `live` job) seconds after a file lands, by "
    "copy-and-swap; the other tables stay as the last full build published them. "
    "`meta.tables` records each table's refresh time and the worker's batch.",
)


# ------------------------------------------------------------------------------------ the job
class LiveWorkerConfig(dg.Config):
    poll_seconds: float = 0.5
    idle_exit_seconds: float = 600.0


def batch_events(batch: Batch) -> list[dg.AssetMaterialization]:
    """A worker beat as Dagster materializations: the raw tables it loaded rows into, the
    models it rebuilt, and the publish."""
    events = [
        dg.AssetMaterialization(
            asset_key=raw_key(load["source"], load["entity"]),
            metadata={k: v for k, v in load.items() if k not in ("source", "entity")},
        )
        for load in batch.loads
        if load["rows_loaded"]
    ]
    if batch.ok and batch.tables:
        keys = live_model_keys()
        events += [
            dg.AssetMaterialization(
                asset_key=keys[name], metadata={"raw_batches": len(batch.raw_batches)}
            )
            for name in batch.models
        ]
        events.append(
            dg.AssetMaterialization(
                asset_key=LIVE_PUBLISH_KEY,
                metadata={
                    "tables": dg.MetadataValue.json(batch.tables),
                    "batch": batch.batch,
                    "seconds": dg.MetadataValue.json(
                        {k: round(v, 3) for k, v in batch.seconds.items()}
                    ),
                },
            )
        )
    return events


@dg.op(
    description="The resident live worker: poll the landing zone, load, build the live models "
    "incrementally, republish them; until nothing lands for `idle_exit_seconds`."
)
def live_worker(context: dg.OpExecutionContext, config: LiveWorkerConfig) -> int:
    worker = LiveWorker(log=context.log.warning)
    started = time.perf_counter()
    worker.start()
    context.log.info(f"live worker ready in {time.perf_counter() - started:.1f} s")

    def on_batch(batch: Batch) -> None:
        for event in batch_events(batch):
            context.log_event(event)
        line = (
            f"{batch.batch}: {len(batch.files)} file(s), {', '.join(batch.models) or 'no model'}"
            f" in {batch.seconds.get('total', 0):.2f} s"
        )
        if batch.ok:
            context.log.info(line)
        else:
            context.log.error(f"{line}: not published: {batch.error}")

    parent = os.getppid()
    try:
        taken = worker.run(
            poll=config.poll_seconds,
            idle_exit=config.idle_exit_seconds,
            # the process that launched this run (the code server) is gone: the stack stopped
            should_stop=lambda: os.getppid() != parent,
            on_batch=on_batch,
        )
    except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
        # stopped (Ctrl-C on `revstack up`, or the run terminated): the normal end of a
        # resident worker, not a failure to alert on; a beat cut short left its raw batches
        # pending for the next worker
        context.log.info(f"live worker stopped after {worker.beats} beat(s)")
        return worker.beats
    context.log.info(f"live worker idle for {config.idle_exit_seconds:.0f} s: {taken} batch(es)")
    return taken


@dg.job(
    name=LIVE_JOB,
    description="The resident live worker (see orchestration/live_worker.py); started by the "
    "live_landing sensor when files land and no live run is in progress.",
)
def live_job():
    live_worker()


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
    description="New landing files → the resident live worker (a `live` run) when none is in "
    "progress; while one is, it takes them in itself.",
)
def live_landing(context: dg.SensorEvaluationContext):
    cursor = LandingCursor.parse(context.cursor)
    files = scan_landing(config.home())
    new = cursor.new_files(files)
    if not new:
        return dg.SkipReason("no new landing file")
    context.update_cursor(cursor.advanced(files).dump())
    running = context.instance.get_run_records(
        dg.RunsFilter(job_name=LIVE_JOB, statuses=IN_PROGRESS), limit=1
    )
    if running:
        return dg.SkipReason(
            f"{len(new)} new file(s): live worker run {running[0].dagster_run.run_id} takes them"
        )
    return dg.RunRequest(tags=_run_tags(new))

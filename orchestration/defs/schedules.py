"""Jobs and schedules: the full build (hourly and nightly); the live job is in ``live.py``."""

from __future__ import annotations

import dagster as dg

from revstack import config

from .live import LIVE_PUBLISH_KEY, WAREHOUSE_TAGS

build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(LIVE_PUBLISH_KEY),
    tags=WAREHOUSE_TAGS,
    description="Load new landing files, build and test every dbt model, publish the snapshot.",
)


def full_refresh_config() -> dict:
    """Run config of a build job run whose dbt step rebuilds every table from the raw layer."""
    return {"ops": {"revstack_dbt_models": {"config": {"full_refresh": True}}}}


def _full_build(
    name: str, cron: str, description: str, full_refresh: bool = False
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=name,
        job=build_job,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description + " Skipped while REVSTACK_SCHEDULED_BUILDS is false.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext):
        if not config.scheduled_builds():  # read at every tick, like every setting
            return dg.SkipReason("REVSTACK_SCHEDULED_BUILDS is false")
        return dg.RunRequest(run_config=full_refresh_config() if full_refresh else {})

    return _schedule


hourly_build = _full_build(
    "hourly_build",
    "30 * * * *",
    "Every hour: the build, which takes in what landed since the last one (incrementally), "
    "refreshes what the live job does not (the MRR, ledger, metrics, reconciliation and health "
    "marts) and runs every check.",
)
nightly_build = _full_build(
    "nightly_build",
    "0 2 * * *",
    "Every night: the build with --full-refresh (every table rebuilt from the raw layer) and "
    "all checks.",
    full_refresh=True,
)

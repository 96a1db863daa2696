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


def _full_build(name: str, cron: str, description: str) -> dg.ScheduleDefinition:
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
        return dg.RunRequest()

    return _schedule


hourly_build = _full_build(
    "hourly_build",
    "30 * * * *",
    "Every hour: the full build, which refreshes what the live job does not (the MRR, ledger, "
    "metrics, reconciliation and health marts) and runs every check.",
)
nightly_build = _full_build("nightly_build", "0 2 * * *", "The nightly full build with all checks.")

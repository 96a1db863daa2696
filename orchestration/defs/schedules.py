"""Jobs and schedules."""

from __future__ import annotations

import dagster as dg

build_job = dg.define_asset_job(
    "build",
    selection=dg.AssetSelection.all(),
    description="Load new landing files, build and test every dbt model, publish the snapshot.",
)

nightly_build = dg.ScheduleDefinition(
    name="nightly_build",
    job=build_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    description="The nightly full build with all checks.",
)

"""The revstack Dagster code location: ``dagster dev -m orchestration.definitions``.

Wiring only: the logic lives in ``ingestion/`` (Python) and ``dbt_project/`` (SQL).
Every step writes the single DuckDB warehouse file, which one process at a time may open, so the
runs use the in-process executor (steps run one after another in one process), the full builds
carry the warehouse tag that the instance's run queue lets through one run at a time, and every
writer (their steps, the resident live worker) holds the warehouse writer lock while it writes.
A full build's dbt, checks and publish steps write a copy of the warehouse, which the publish step
swaps in (``revstack.build_copy``), so the live worker is never held for the length of a build.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.checks import alerts_after_failure, alerts_after_success, ops_checks
from orchestration.defs.dbt import dbt_resource, revstack_dbt_models
from orchestration.defs.ingestion import raw_assets
from orchestration.defs.live import live_job, live_landing, serving_live_tables
from orchestration.defs.publish import serving_snapshot
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import build_job, hourly_build, nightly_build

defs = dg.Definitions(
    assets=[*raw_assets, revstack_dbt_models, ops_checks, serving_snapshot, serving_live_tables],
    jobs=[build_job, live_job],
    schedules=[hourly_build, nightly_build],
    sensors=[live_landing, alerts_after_success, alerts_after_failure],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
)

"""The checks step between the dbt build and the publish step (DESIGN §6), and the sensor that
turns every finished build's checks into alerts.

``ops/checks`` runs the Great Expectations suites (revstack.quality) and reads the check marts
(reconciliation, volume, freshness; revstack.checks), and records their alerts in
``ops.alerts``; a blocking failure among them (a duplicate or missing key in a mart) stops the
publish step.
The dbt tests and the sources' contract checks already stop it by failing their steps; after the
run, :func:`revstack.checks.post_run` alerts on them (the CLI calls it for `revstack build`, the
sensor below for runs the daemon launches).
"""

import dagster as dg
import duckdb

from revstack import alerts, build_copy, checks, quality

from .dbt import revstack_dbt_models
from .resources import WarehouseResource
from .schedules import build_job


@dg.asset(
    key=dg.AssetKey(["ops", "checks"]),
    deps=list(revstack_dbt_models.keys),
    group_name="checks",
    kinds={"duckdb"},
    description="Great Expectations suites on the staged sources and the marts (keys, domains, "
    "ranges, row-count floors; duplicate or missing mart keys are blocking), cross-system "
    "reconciliation breaks, volume anomalies and stale sources as alerts in ops.alerts "
    "(deduplicated while open, resolved when they pass), delivered to the configured webhook "
    "and email.",
)
def ops_checks(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    build = build_copy.path_for(context.run_id, warehouse.resolved_path())
    if build.exists():
        # the build's copy (revstack.build_copy) is this run's alone: read without the lock;
        # the alerts go to the warehouse, which keeps them whether or not this build publishes
        with duckdb.connect(str(build)) as con:
            results = checks.warehouse_results(con) + quality.run_suites(con)
        with warehouse.connect() as con:
            outcome = alerts.process(results, con=con)
    else:
        with warehouse.connect() as con:
            results = checks.warehouse_results(con) + quality.run_suites(con)
            outcome = alerts.process(results, con=con)
    for alert in outcome.opened:  # warnings reach the terminal of `revstack build`
        context.log.warning(f"alert opened: {alert.line()}")
    for line in outcome.lines():
        context.log.info(line)
    blocking = alerts.blocking_failures(results)
    failed = [r for r in results if not r.passed]
    if blocking:
        raise dg.Failure(
            description=f"{len(blocking)} blocking check(s) failed: "
            + "; ".join(r.summary for r in blocking[:5]),
        )
    return dg.MaterializeResult(
        metadata={
            "checks": len({r.check_name for r in results}),
            "failing": len(failed),
            "opened": len(outcome.opened),
            "still_open": len(outcome.still_open),
            "resolved": len(outcome.resolved),
        }
    )


def _after_run(context: dg.RunStatusSensorContext, success: bool) -> None:
    run_id = context.dagster_run.run_id
    records = context.instance.all_logs(run_id)
    events = [r.dagster_event for r in records if r.dagster_event is not None]
    checks.post_run(events, run_id, success)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="alerts_after_build_success",
    description="Resolve the alerts of checks that pass again; record the build in ops.builds.",
    minimum_interval_seconds=5,
    # full builds only: a live run every few seconds would flood ops.builds, and this sensor
    # opening the warehouse would collide with the next live run (a failed one still alerts)
    monitored_jobs=[build_job],
)
def alerts_after_success(context: dg.RunStatusSensorContext):
    _after_run(context, success=True)


@dg.run_failure_sensor(
    name="alerts_after_build_failure",
    description="Alert on the blocking checks and steps that stopped a build from publishing.",
    minimum_interval_seconds=5,
)
def alerts_after_failure(context: dg.RunFailureSensorContext):
    _after_run(context, success=False)

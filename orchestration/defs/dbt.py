"""dbt models as Dagster assets (dagster-dbt). dbt tests become asset checks automatically.

Sources map to ``[raw_<source>, <entity>]`` by dagster-dbt's default, which are exactly the raw
assets' keys, so lineage from the raw tables needs no translator code. The translator only groups
the models by their dbt layer (staging, intermediate, marts).
"""

import importlib.metadata
import time
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging import version

from orchestration.dbt_project import dbt_executable, prepare_if_dev, revstack_dbt
from revstack import build_copy, build_state

from .resources import WarehouseResource

prepare_if_dev()

#: the publish step's asset: a run that materializes it swaps the build copy in
SNAPSHOT_KEY = dg.AssetKey(["serving", "snapshot"])


class RevstackTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, layer, ...]: group each model by its layer
        return fqn[1] if len(fqn) > 2 else "dbt"


class DbtBuildConfig(dg.Config):
    """How the dbt step builds: incrementally (the default), or everything from scratch."""

    full_refresh: bool = False


@dbt_assets(
    manifest=revstack_dbt.manifest_path,
    project=revstack_dbt,
    dagster_dbt_translator=RevstackTranslator(),
)
def revstack_dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
):
    """Build and test the dbt models (staging → intermediate → marts) on a copy of the working
    warehouse (``revstack.build_copy``), which the publish step swaps in: the live worker keeps
    writing the warehouse meanwhile.

    Incremental by default: the typed staging tables take in only the raw rows loaded since the
    last build (parse once); ``full_refresh`` (``revstack build --full-refresh``, the nightly
    build) rebuilds every table from the raw layer. Data tests run on every build (they check
    the data); dbt unit tests check the SQL against fixed inputs, so they run where the SQL
    changes (pytest, CI), not on every pipeline run."""
    main = warehouse.resolved_path()
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    with warehouse.lock():
        with warehouse.connect() as con:
            state = build_state.fingerprint(con)
        if not config.full_refresh and build_state.unchanged(state, main):
            # nothing landed and nothing changed since the last published build: the models,
            # the checks and the snapshot would come out as they are, so none of them runs
            context.log.info(build_state.NOTHING_NEW)
            return
        build_state.stage(state, main)
        if builds_on_copy(context):
            # the build works on a copy; the live worker keeps the warehouse (revstack.build_copy)
            build_copy.discard(main, keep=lambda run_id: _in_progress(context, run_id))
            started = time.perf_counter()
            target = build_copy.begin(context.run_id, main)
            context.log.info(
                f"building on a copy of the warehouse ({target.stat().st_size / 1e6:,.0f} MB, "
                f"copied in {time.perf_counter() - started:.1f} s under the writer lock)"
            )
    if builds_on_copy(context):
        # dbt's profile reads the warehouse path from the environment of its subprocess
        with build_copy.warehouse_env(target):
            yield from dbt.cli(args, context=context).stream()
        return
    with warehouse.lock(), build_copy.warehouse_env(main):  # a run of some models only: in place
        yield from dbt.cli(args, context=context).stream()


def builds_on_copy(context: dg.AssetExecutionContext) -> bool:
    """True when this run publishes the snapshot, which swaps the copy in: a whole build.
    A run of some models only (from the Dagster UI) builds them in the warehouse, under the
    lock, as it would be lost on a copy."""
    selection = context.run.asset_selection  # empty or None: the whole job
    return not selection or SNAPSHOT_KEY in selection


def _in_progress(context: dg.AssetExecutionContext, run_id: str) -> bool:
    if run_id == context.run_id:
        return True
    run = context.instance.get_run_by_id(run_id)
    return run is not None and not run.is_finished


class RevstackDbtCli(DbtCliResource):
    """dagster-dbt's resource, without the ``dbt --version`` subprocess it starts for every run
    to learn the version: the executable is this environment's own dbt, so the installed
    dbt-core says it (a whole dbt start saved on every run; the live job runs every few
    seconds)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))


def dbt_resource() -> DbtCliResource:
    return RevstackDbtCli(project_dir=revstack_dbt, dbt_executable=dbt_executable())

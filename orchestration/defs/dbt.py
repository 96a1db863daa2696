"""dbt models as Dagster assets (dagster-dbt). dbt tests become asset checks automatically.

Sources map to ``[raw_<source>, <entity>]`` by dagster-dbt's default, which are exactly the raw
assets' keys, so lineage from the raw tables needs no translator code. The translator only groups
the models by their dbt layer (staging, intermediate, marts).
"""

import importlib.metadata
import os
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging import version

from orchestration.dbt_project import dbt_executable, prepare_if_dev, revstack_dbt
from revstack import build_state

from .resources import WarehouseResource

prepare_if_dev()


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
    """Build and test the dbt models (staging → intermediate → marts) in the working warehouse.

    Incremental by default: the typed staging tables take in only the raw rows loaded since the
    last build (parse once); ``full_refresh`` (``revstack build --full-refresh``, the nightly
    build) rebuilds every table from the raw layer. Data tests run on every build (they check
    the data); dbt unit tests check the SQL against fixed inputs, so they run where the SQL
    changes (pytest, CI), not on every pipeline run."""
    # dbt's profile reads the warehouse path from the environment of its subprocess.
    os.environ["REVSTACK_WAREHOUSE"] = str(warehouse.resolved_path())
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    with warehouse.lock():
        with warehouse.connect() as con:
            state = build_state.fingerprint(con)
        if not config.full_refresh and build_state.unchanged(state, warehouse.resolved_path()):
            # nothing landed and nothing changed since the last published build: the models,
            # the checks and the snapshot would come out as they are, so none of them runs
            context.log.info(build_state.NOTHING_NEW)
            return
        build_state.stage(state, warehouse.resolved_path())
        yield from dbt.cli(args, context=context).stream()


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

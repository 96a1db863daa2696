"""The Dagster code location loads cleanly and wires raw tables → dbt → publish."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def defs(dbt_manifest: Path) -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


def test_definitions_load_without_errors(defs: dg.Definitions):
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("build") is not None
    schedule = defs.resolve_schedule_def("nightly_build")
    assert schedule.cron_schedule == "0 2 * * *"


def test_one_asset_per_raw_table(defs: dg.Definitions):
    from ingestion import ENTITIES

    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for source, entities in ENTITIES.items():
        for entity in entities:
            assert f"raw_{source}/{entity}" in keys
    assert "serving/snapshot" in keys
    for mart in (
        "dim_customers",
        "fct_invoices",
        "fct_invoice_lines",
        "fct_payments",
        "fct_mrr",
        "fct_mrr_movements",
        "metrics_monthly",
    ):
        assert f"marts/{mart}" in keys  # dbt models are keyed by [schema, model]


def test_lineage_from_raw_assets_to_marts_to_publish(defs: dg.Definitions):
    graph = defs.resolve_asset_graph()
    # raw rows are typed once into the versions table; the latest version of each is read from it
    versions = dg.AssetKey(["staging", "stg_gateway__invoice_versions"])
    assert graph.get(versions).parent_keys == {
        dg.AssetKey(["raw_gateway", "invoices"]),
        dg.AssetKey(["raw_gateway", "events"]),
    }
    latest = dg.AssetKey(["staging", "stg_gateway__invoices"])
    assert graph.get(latest).parent_keys == {versions}
    publish = graph.get(dg.AssetKey(["serving", "snapshot"]))
    assert dg.AssetKey(["marts", "metrics_monthly"]) in publish.parent_keys
    # every raw table is an asset of this code location, not an external placeholder
    assert graph.get(dg.AssetKey(["raw_gateway", "invoices"])).is_materializable


def test_dbt_tests_are_asset_checks(defs: dg.Definitions):
    graph = defs.resolve_asset_graph()
    check_keys = graph.asset_check_keys
    customers = dg.AssetKey(["marts", "dim_customers"])
    on_customers = {c.name for c in check_keys if c.asset_key == customers}
    assert any("unique" in name and "customer_id" in name for name in on_customers)
    contract = [c for c in check_keys if c.name == "contract"]
    from ingestion import ENTITIES

    assert len(contract) == sum(len(entities) for entities in ENTITIES.values())


def test_singular_tests_on_two_models_are_checks_of_one(defs: dg.Definitions):
    checks = defs.resolve_asset_graph().asset_check_keys
    movements = dg.AssetKey(["marts", "fct_mrr_movements"])
    assert any(
        c.asset_key == movements and c.name == "assert_movements_sum_to_mrr_changes" for c in checks
    )

"""Publish the serving snapshot after a successful build (DESIGN §7)."""

import dagster as dg

from revstack import build_state, config, serving

from .checks import ops_checks
from .dbt import revstack_dbt_models
from .resources import WarehouseResource


@dg.asset(
    key=dg.AssetKey(["serving", "snapshot"]),
    deps=[*revstack_dbt_models.keys, ops_checks.key],
    group_name="serving",
    kinds={"duckdb"},
    description="The marts copied into a new DuckDB file and swapped atomically over "
    "`warehouse/serving.duckdb`, which the app and analysts open read-only. Runs only when "
    "every upstream dbt model, blocking check and the checks step succeeded, so a failed "
    "build leaves the previous snapshot untouched.",
)
def serving_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.lock():
        result = serving.publish(
            warehouse=warehouse.resolved_path(),
            serving=config.serving_path(),
            build_id=context.run_id,
        )
        build_state.commit(warehouse.resolved_path())
    return dg.MaterializeResult(
        metadata={
            "path": str(result.path),
            "published_at": result.published_at.isoformat(),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
        }
    )

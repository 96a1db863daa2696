"""One Dagster asset per raw table: ``[raw_<source>, <entity>]``.

The assets are thin: :func:`ingestion.load_entity` does the work (contracts, quarantine, drift,
content-hash dedup) and the asset reports what it did. Each asset carries a blocking ``contract``
check: when a source's contract is broken (a required column missing or retyped) the check fails
and nothing downstream of it is built or published in that run.
"""

import time

import dagster as dg

from ingestion import ENTITIES, HashCache, ensure_raw_tables, load_entity
from revstack import config

from .resources import WarehouseResource

CONTRACT_CHECK = "contract"


def raw_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{source}", entity])


def _raw_assets_for(source: str) -> dg.AssetsDefinition:
    entities = ENTITIES[source]
    specs = [
        dg.AssetSpec(
            raw_key(source, entity),
            description=f"Raw {source} `{entity}` rows appended from "
            f"`landing/{source}/{entity}/`, with load metadata; bad rows quarantined.",
            group_name=f"raw_{source}",
            kinds={"duckdb", "polars"},
            skippable=True,
        )
        for entity in entities
    ]
    checks = [
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=raw_key(source, entity),
            blocking=True,
            description="The source's contract holds: no required column missing or retyped.",
        )
        for entity in entities
    ]

    @dg.multi_asset(
        name=f"load_raw_{source}",
        specs=specs,
        check_specs=checks,
        can_subset=True,
        description=f"Load new landing files of the {source} source into raw_{source}.*",
    )
    def _load(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        home = config.home()
        # every entity of the source takes the files that had landed when the step began: a
        # delivery of several entities (a charge's event and its balance transaction) that
        # lands while the step loads them one after another waits whole for the next load (or
        # the live worker), instead of being taken in half: the event without its balance
        # transaction failed the ledger-vs-balance test of a build under live traffic
        landed_before = time.time()
        with warehouse.connect() as con:
            ensure_raw_tables(con)
            hashes = HashCache.load(con)  # only new or changed landing files are read
            for entity in entities:
                key = raw_key(source, entity)
                if key not in context.selected_asset_keys:
                    continue
                result = load_entity(
                    con, source, entity, home=home, hashes=hashes, landed_before=landed_before
                )
                hashes.save(con)
                if result.blocked:
                    context.log.error(f"{source}.{entity} blocked: {result.blocked_reason}")
                elif result.rows_quarantined:
                    context.log.warning(
                        f"{source}.{entity}: {result.rows_quarantined} row(s) quarantined"
                    )
                yield dg.MaterializeResult(asset_key=key, metadata=result.as_metadata())
                yield dg.AssetCheckResult(
                    asset_key=key,
                    check_name=CONTRACT_CHECK,
                    passed=not result.blocked,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=result.blocked_reason or "contract holds",
                    metadata={
                        "rows_quarantined": result.rows_quarantined,
                        "drift": str(result.drift),
                    },
                )

    return _load


raw_assets = [_raw_assets_for(source) for source in ENTITIES]

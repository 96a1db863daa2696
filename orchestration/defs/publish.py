"""Publish the serving snapshot after a successful build (DESIGN §7), and swap the build's copy
of the warehouse in (revstack.build_copy).

While the build worked on its copy, the live worker went on loading files into the warehouse and
publishing the live marts. So that nothing it took in goes missing, not even for a moment:

1. under the writer lock, the copy catches up with the raw batches the warehouse loaded (and its
   ``raw_meta``, ``raw_cache``, ``ops``);
2. without the lock, the copy's live models take those batches in, as a live beat would, and
   the snapshot is published from the copy; when there were such batches, but for the live
   marts: they stay as the live worker keeps them;
3. under the lock again, the copy catches up with what landed during step 2 and its live models
   take that in; if anything was caught up, the live marts are republished from the copy (only
   the rows that differ: the live worker's rows plus whatever the full build changed); and the
   copy replaces the warehouse. That is one live beat's work. Batches the copy's live models
   could not take in there (their dbt build failed) are left pending for the live worker.
"""

import time
from pathlib import Path

import dagster as dg

from orchestration.live_worker import DbtInProcess, LiveModels, read_pending, write_pending
from revstack import build_copy, build_state, config, serving

from .checks import ops_checks
from .dbt import SNAPSHOT_KEY, revstack_dbt_models
from .live import live_models
from .resources import WarehouseResource


class _LiveModelsOf:
    """The live models of the build copy, built in process over given raw batches."""

    def __init__(self, build: Path) -> None:
        self.build = build
        self.dbt = DbtInProcess(build, config.DBT_PROJECT_DIR / "target" / "build_copy")
        self.models: LiveModels | None = None

    def take_in(self, batches: list[str]) -> tuple[bool, str | None]:
        with build_copy.warehouse_env(self.build):
            if self.models is None:
                self.dbt.start()
                self.models = LiveModels(self.dbt.manifest_dict)
            return self.dbt.build(sorted(self.models.relations), batches)


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=[*revstack_dbt_models.keys, ops_checks.key],
    group_name="serving",
    kinds={"duckdb"},
    description="The marts copied into a new DuckDB file and swapped atomically over "
    "`warehouse/serving.duckdb`, which the app and analysts open read-only; then the build's "
    "copy of the warehouse, caught up with what the live worker loaded meanwhile, replaces the "
    "warehouse. Runs only when every upstream dbt model, blocking check and the checks step "
    "succeeded, so a failed build leaves the previous snapshot and the warehouse untouched.",
)
def serving_snapshot(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    main = warehouse.resolved_path()
    build = build_copy.path_for(context.run_id, main)
    if not build.exists():  # the dbt step built in place (a run of some models only)
        with warehouse.lock():
            result = serving.publish(
                warehouse=main, serving=config.serving_path(), build_id=context.run_id
            )
            build_state.commit(main)
        return _published(result, {})
    timings: dict[str, float] = {}
    live = _LiveModelsOf(build)

    t = time.perf_counter()
    with warehouse.lock():
        first = build_copy.catch_up(build, main)
    timings["catch_up"] = time.perf_counter() - t
    if first:
        t = time.perf_counter()
        ok, error = live.take_in(first)
        if not ok:
            raise dg.Failure(f"the live models of the build could not take in {first}: {error}")
        timings["live_models"] = time.perf_counter() - t
    t = time.perf_counter()
    live_marts = sorted(r for r in live_models().relations.values() if r.startswith("marts."))
    # while batches come in, the live marts stay as the live worker keeps them until the swap,
    # which republishes them; with none, the copy's hold everything the worker published
    result = serving.publish(
        warehouse=build,
        serving=config.serving_path(),
        build_id=context.run_id,
        keep=live_marts if first else (),
    )
    timings["publish"] = time.perf_counter() - t

    t = time.perf_counter()
    with warehouse.lock():
        last = build_copy.catch_up(build, main)
        if last:
            # one live beat's work on the copy (dbt parsed here only if the worker started
            # loading in the last seconds: rare)
            ok, error = live.take_in(last)
            if not ok:  # the live worker's next beat builds them
                context.log.warning(f"left to the live worker: {last}: {error}")
                write_pending(config.home(), read_pending(config.home()) + last)
        if first or last:
            # the build's live marts with the rows the live worker took in meanwhile: only the
            # rows that differ from what the snapshot shows are replaced
            serving.publish_tables(
                live_marts,
                warehouse=build,
                serving=config.serving_path(),
                build_id=context.run_id,
                keys=live_models().unique_keys,
            )
        build_copy.swap(build, main)
        build_state.commit(main)
    timings["swap"] = time.perf_counter() - t
    context.log.info(
        f"caught up {len(first)} + {len(last)} raw batch(es) loaded during the build; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    )
    return _published(result, {"caught_up_batches": len(first) + len(last), **timings})


def _published(result: serving.PublishResult, extra: dict) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "path": str(result.path),
            "published_at": result.published_at.isoformat(),
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in extra.items()},
        }
    )

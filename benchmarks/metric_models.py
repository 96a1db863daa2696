"""Benchmark (not a test): build time of the metric models on a company already built.

    .venv/bin/python benchmarks/build.py --customers 10000 --home /tmp/bench10k   # once
    .venv/bin/python benchmarks/metric_models.py --home /tmp/bench10k [--repeat 3]

Runs `dbt run` on the MRR / metrics models alone (the subscription timeline through
metrics_monthly, metrics_cohorts and rpt_metric_policy_diff) against the home's working
warehouse, and prints each model's time (the median over --repeat runs) from dbt's
run_results.json, with row counts. Numbers belong in notes and docs, never in pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
MODELS = (
    "int_metric_policy_sets",
    "int_subscription_versions",
    "int_subscription_items",
    "int_subscription_items_mrr",
    "int_subscription_discounts",
    "int_invoice_lines",
    "int_subscription_invoiced_mrr_intervals",
    "int_subscription_mrr_intervals",
    "int_customer_mrr_intervals",
    "int_mrr_movements",
    "int_metrics_monthly",
    "fct_mrr",
    "fct_mrr_movements",
    "metrics_monthly",
    "metrics_cohorts",
    "rpt_metric_policy_diff",
)


def run_once(warehouse: Path, target: Path) -> tuple[float, dict[str, float]]:
    env = dict(os.environ, REVSTACK_WAREHOUSE=str(warehouse))
    started = time.perf_counter()
    proc = subprocess.run(
        [DBT, "run", "--select", *MODELS, "--project-dir", "dbt_project",
         "--profiles-dir", "dbt_project", "--target-path", str(target),
         "--log-path", str(target / "logs")],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"dbt run failed:\n{proc.stdout[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return wall, {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warehouse = args.home / "warehouse" / "revstack.duckdb"
    target = Path(tempfile.mkdtemp(prefix="revstack-metric-bench-"))
    walls, per_model = [], {m: [] for m in MODELS}
    for _ in range(args.repeat):
        wall, times = run_once(warehouse, target)
        walls.append(wall)
        for model, seconds in times.items():
            per_model[model].append(seconds)
    con = duckdb.connect(str(warehouse), read_only=True)
    schemas = dict(
        con.execute(
            "select table_name, table_schema from information_schema.tables"
            " where table_schema in ('intermediate', 'marts')"
        ).fetchall()
    )
    print(f"## metric models — {args.home} (median of {args.repeat} runs)\n")
    print("| model | time | rows |\n|---|---|---|")
    for model in MODELS:
        rows = con.execute(f'select count(*) from {schemas[model]}."{model}"').fetchone()[0]
        print(f"| {model} | {statistics.median(per_model[model]):.2f} s | {rows:,} |")
    total = sum(statistics.median(v) for v in per_model.values())
    print(f"| **sum of model times** | **{total:.1f} s** | |")
    print(f"\n`dbt run` wall time (with dbt start-up): {statistics.median(walls):.1f} s")
    con.close()


if __name__ == "__main__":
    main()

"""Benchmark (not a test): simulate a company, time `revstack build`, report mart row counts.

    .venv/bin/python benchmarks/build.py --customers 1000 --months 24 [--home /tmp/bench]

Prints a Markdown table; numbers belong in notes and docs, never in pytest assertions.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
REVSTACK = str(Path(sys.executable).parent / "revstack")


def timed(home: Path, *args: str) -> float:
    env = dict(os.environ, REVSTACK_HOME=str(home))
    started = time.perf_counter()
    proc = subprocess.run([REVSTACK, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"revstack {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="revstack-bench-"))
    sim = timed(
        home,
        "simulate",
        "--customers",
        str(args.customers),
        "--months",
        str(args.months),
        "--seed",
        str(args.seed),
    )
    first = timed(home, "build")
    second = timed(home, "build")
    landing = sum(f.stat().st_size for f in (home / "landing").rglob("*") if f.is_file())
    print(f"## revstack build — {args.customers:,} customers × {args.months} months\n")
    print("| step | wall time |\n|---|---|")
    print(f"| simulate | {sim:.1f} s |")
    print(f"| build (first: load everything, dbt build, publish) | {first:.1f} s |")
    print(f"| build (second: nothing new landed) | {second:.1f} s |")
    print(f"\nlanding zone: {landing / 1e6:.1f} MB\n")
    with duckdb.connect(str(home / "warehouse" / "revstack.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('marts') or table_schema like 'raw_%'"
            " order by 1, 2"
        ).fetchall()
        print("| table | rows |\n|---|---|")
        for schema, table in rows:
            (n,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            print(f"| {schema}.{table} | {n:,} |")


if __name__ == "__main__":
    main()

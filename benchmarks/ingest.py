"""Ingestion throughput: revstack's loader beside DuckDB's own readers, on the same files.

    .venv/bin/python -m benchmarks.ingest --home HOME --scratch DIR [--json OUT]

For every entity with landing files (the files ``ingestion.loader.landing_files`` picks, so
both sides read exactly the same ones), in one process, each side into its own new DuckDB
file under ``--scratch``:

- DuckDB: ``create table t as select * from read_json([files], union_by_name = true)`` (or
  ``read_csv``), then ``checkpoint``. Should schema detection fail on a file, it falls back to
  ``read_ndjson_objects`` (one JSON value per line) and says so;
- revstack: ``ingestion.load_entity`` (contracts, quarantine, drift, dedup, raw table), then
  ``checkpoint``.

The files are read once before either side (not timed), so both find them in the page cache
as far as it holds them. Rows are each side's own count; MB are the landing files' bytes.
Prints JSON. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import emit

ROOT = Path(__file__).resolve().parent.parent


def _warm(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass


def _sql_list(files: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in files) + "]"


def duckdb_native(con, table: str, files: list[Path]) -> dict:
    """DuckDB's own reader loading ``files`` into ``table``: rows, seconds, the reader used."""
    import duckdb

    reader = "read_csv" if files[0].suffix == ".csv" else "read_json"
    attempts = [f"{reader}({_sql_list(files)}, union_by_name = true)"]
    if reader == "read_json":
        attempts.append(f"read_ndjson_objects({_sql_list(files)})")
    errors = []
    for source in attempts:
        started = time.perf_counter()
        try:
            con.execute(f"create or replace table {table} as select * from {source}")
            con.execute("checkpoint")
        except duckdb.Error as exc:
            errors.append(str(exc).splitlines()[0][:200])
            continue
        seconds = time.perf_counter() - started
        (rows,) = con.execute(f"select count(*) from {table}").fetchone()
        return {
            "rows": rows,
            "seconds": seconds,
            "reader": source.split("(")[0],
            "errors": errors,
        }
    return {"rows": 0, "seconds": None, "reader": None, "errors": errors}


def revstack_load(con, home: Path, source: str, entity: str) -> dict:
    from ingestion.loader import load_entity

    started = time.perf_counter()
    result = load_entity(con, source, entity, home=home)
    con.execute("checkpoint")
    return {
        "rows": result.rows_loaded,
        "rows_quarantined": result.rows_quarantined,
        "seconds": time.perf_counter() - started,
        "blocked": result.blocked,
    }


def measure(home: Path, scratch: Path) -> dict:
    import duckdb

    from ingestion.loader import landing_files
    from ingestion.registry import ENTITIES

    scratch.mkdir(parents=True, exist_ok=True)
    native = duckdb.connect(str(scratch / "native.duckdb"))
    ours = duckdb.connect(str(scratch / "revstack.duckdb"))
    entities = []
    for source, names in ENTITIES.items():
        for entity in names:
            files = landing_files(home, source, entity)
            if not files:
                continue
            _warm(files)
            entities.append(
                {
                    "source": source,
                    "entity": entity,
                    "files": len(files),
                    "mb": sum(p.stat().st_size for p in files) / 1e6,
                    "duckdb": duckdb_native(native, f'"{source}__{entity}"', files),
                    "revstack": revstack_load(ours, home, source, entity),
                }
            )
    native.close()
    ours.close()
    return {"entities": entities, "totals": totals(entities)}


def totals(entities: list[dict]) -> dict:
    """Throughput of each side over the entities both loaded, and revstack's share of
    DuckDB's (the figure: 1.0 = as fast as DuckDB's own reader)."""
    both = [e for e in entities if e["duckdb"]["seconds"] and e["revstack"]["seconds"]]
    mb = sum(e["mb"] for e in both)
    out: dict = {"entities": len(both), "mb": mb}
    for side in ("revstack", "duckdb"):
        seconds = sum(e[side]["seconds"] for e in both)
        rows = sum(e[side]["rows"] for e in both)
        out[side] = {
            "seconds": seconds,
            "rows": rows,
            "rows_per_s": rows / seconds if seconds else None,
            "mb_per_s": mb / seconds if seconds else None,
        }
    if out["revstack"]["seconds"]:
        out["throughput_ratio"] = out["duckdb"]["seconds"] / out["revstack"]["seconds"]
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--scratch", type=Path, required=True, help="a new folder (deleted)")
    parser.add_argument("--json", type=Path, help="write the result here (default: stdout)")
    args = parser.parse_args()
    emit(measure(args.home.resolve(), args.scratch), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

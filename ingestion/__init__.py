"""Ingestion: landing files in each source's own format -> ``raw_<source>`` tables in DuckDB.

Plain functions, no orchestrator: the Dagster code location and the CLI call

    ensure_raw_tables(con)
    load_entity(con, source, entity, home=None, hashes=None) -> LoadResult

``ENTITIES`` maps each source to its entity folders (contracts §2).
"""

from ingestion.loader import HashCache, LoadResult, landing_files, load_entity
from ingestion.raw import ensure_raw_tables
from ingestion.registry import ENTITIES

__all__ = [
    "ENTITIES",
    "HashCache",
    "LoadResult",
    "ensure_raw_tables",
    "landing_files",
    "load_entity",
]

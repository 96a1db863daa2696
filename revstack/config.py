"""Where things live.

Every path derives from ``REVSTACK_HOME``, read at call time (never at import).
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCES: tuple[str, ...] = ("gateway", "crm", "usage", "accounting", "fx")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def home() -> Path:
    """The data home: ``$REVSTACK_HOME`` or ``./data``, as an absolute path."""
    return Path(os.environ.get("REVSTACK_HOME", "data")).expanduser().resolve()


def landing_dir(source: str | None = None, entity: str | None = None) -> Path:
    path = home() / "landing"
    if source:
        path = path / source
    if entity:
        path = path / entity
    return path


def quarantine_dir() -> Path:
    return home() / "quarantine"


def warehouse_dir() -> Path:
    return home() / "warehouse"


def warehouse_path() -> Path:
    """The working warehouse the pipeline writes. Readers must never open it (DuckDB locks)."""
    return warehouse_dir() / "revstack.duckdb"


def serving_path() -> Path:
    """The published snapshot that readers open read-only."""
    return warehouse_dir() / "serving.duckdb"


def truth_dir() -> Path:
    """Ground truth written by the simulator, outside the landing zone."""
    return home() / "truth"


def reporting_currency() -> str:
    return os.environ.get("REVSTACK_REPORTING_CURRENCY", "USD").upper()

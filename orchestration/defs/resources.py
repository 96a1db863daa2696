"""Resources: where the warehouse lives. Paths are resolved when a run starts, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from revstack import config


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB warehouse.

    An empty ``path`` means ``$REVSTACK_HOME/warehouse/revstack.duckdb``, resolved at run time.
    """

    path: str = ""

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else config.warehouse_path()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        path = self.resolved_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        try:
            yield con
        finally:
            con.close()

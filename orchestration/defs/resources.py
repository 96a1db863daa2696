"""Resources: where the warehouse lives. Paths are resolved when a run starts, never at import."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from revstack import config
from revstack.locking import LOCK_WAIT_SECONDS, warehouse_lock


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
        with self.lock():  # the live worker writes it too
            con = duckdb.connect(str(path))
            try:
                yield con
            finally:
                con.close()

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock while a step writes the warehouse other than through
        :meth:`connect` (dbt's process, the publish's read-only attach)."""
        with warehouse_lock(self.resolved_path(), timeout=LOCK_WAIT_SECONDS):
            yield

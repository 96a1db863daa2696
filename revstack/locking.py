"""The warehouse writer lock: one writer at a time, across processes.

DuckDB lets one process open a database file for writing; a second one fails at once. The full
builds (Dagster runs of ``build``, ``revstack build``) and the live worker (every second or so)
write the same warehouse, so each takes this advisory lock (``flock`` on a file next to the
warehouse) for as long as it writes: a full-build step waits for the live worker's few seconds,
and the live worker waits while a full build's step holds the warehouse. The long steps of a full
build (dbt, checks, publish) work on a copy of the warehouse (:mod:`revstack.build_copy`) and hold
the lock only to make the copy and to swap it back in.

The lock is re-entrant within a process (a step that holds it may call code that takes it).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from revstack import config


class WarehouseBusy(TimeoutError):
    """The writer lock was not free within the time allowed."""


#: how long a full-build step waits for the writer lock (the live worker holds it for seconds; a
#: step that waited this long has found something stuck and fails, saying so)
LOCK_WAIT_SECONDS = 600.0

_state = threading.local()


def lock_path(warehouse: Path | None = None) -> Path:
    warehouse = warehouse or config.warehouse_path()
    return warehouse.with_name(warehouse.name + ".writer.lock")


@contextmanager
def warehouse_lock(
    warehouse: Path | None = None, timeout: float | None = None, poll: float = 0.1
) -> Iterator[None]:
    """Hold the writer lock of ``warehouse``; wait up to ``timeout`` seconds (None: forever,
    0: do not wait) and raise :class:`WarehouseBusy` when it stays taken."""
    path = lock_path(warehouse).resolve()
    held: dict[Path, int] = getattr(_state, "held", None) or {}
    _state.held = held
    if held.get(path):
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise WarehouseBusy(f"another process writes {path.name[:-12]}") from None
                time.sleep(poll)
        held[path] = 1
        try:
            yield
        finally:
            held.pop(path, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

"""Benchmarks of revstack (not tests: nothing here is asserted).

``python -m benchmarks run --size S|M|L`` simulates a company of the size, times
``revstack build`` four ways (from empty, nothing new, one new business day, 1,000 live gateway
events), revstack's ingestion beside DuckDB's own readers, every app page, and revstack's MRR
models beside a naive month-spine peer, and writes docs/benchmarks.md and docs/benchmarks.json.
``harness.py`` holds the steps, ``landing.py`` what is done to the landing zone, ``proc.py``
how a subprocess is measured, ``ingest.py``, ``app_render.py`` and ``peer.py`` the measurements
run as subprocesses, ``report.py`` the Markdown. ``freshness.py`` (live freshness under the
Dagster daemon) also runs on its own.
"""

from __future__ import annotations

import json
from pathlib import Path


def emit(result: dict, path: Path | None) -> None:
    """A measurement module's result: as JSON into ``path`` (the harness reads it), or printed."""
    text = json.dumps(result, indent=2)
    if path is None:
        print(text)
    else:
        path.write_text(text)

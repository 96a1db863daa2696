"""Render time of every app page on ``$REVSTACK_HOME``'s serving snapshot (Streamlit AppTest).

    REVSTACK_HOME=/path/to/home .venv/bin/python -m benchmarks.app_render [--repeat 3] [--json OUT]

For each page: the first render in a fresh session with Streamlit's caches emptied (cold: the
queries run on the snapshot; Python imports are warmed up first, untimed) and the best of
``--repeat`` reruns in the same session (warm: Streamlit's caches answer, which is also what
every live refresh of an open page costs). Not a test: nothing is asserted but that the page
rendered without an exception. The harness (``python -m benchmarks run``) runs this on every
size's snapshot.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import emit

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboards" / "app.py")
PAGES = [
    ("Overview", "views/overview.py"),
    ("MRR", "views/mrr.py"),
    ("Retention", "views/retention.py"),
    ("Revenue", "views/revenue.py"),
    ("Customer 360", "views/customer.py"),
    ("Data health", "views/health.py"),
]


def measure(repeat: int = 3, timeout: float = 600) -> dict:
    """Cold and warm render seconds, tables and rows shown, and exceptions, per page."""
    sys.path.insert(0, str(ROOT))
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from revstack import config

    serving = config.serving_path()
    if not serving.exists():
        raise SystemExit(f"no snapshot at {serving}; run `revstack build`")
    AppTest.from_file(APP, default_timeout=timeout).run()  # imports, not timed
    pages = []
    for title, path in PAGES:
        at = AppTest.from_file(APP, default_timeout=timeout)
        if path != PAGES[0][1]:
            at.run()  # the default page first: switching needs a run
            at.switch_page(path)
        st.cache_data.clear()
        st.cache_resource.clear()
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        warm = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            at.run()
            warm = min(warm, time.perf_counter() - started)
        pages.append(
            {
                "page": title,
                "cold_s": cold,
                "warm_s": warm,
                "tables": len(at.dataframe),
                "rows_shown": sum(len(d.value) for d in at.dataframe),
                "exceptions": [str(e.value) for e in at.exception],
            }
        )
    return {"snapshot_mb": serving.stat().st_size / 1e6, "repeat": repeat, "pages": pages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = measure(args.repeat, args.timeout)
    print(f"snapshot {result['snapshot_mb']:,.1f} MB")
    print(f"{'page':<14} {'cold s':>8} {'warm s':>8} {'tables':>7} {'rows shown':>11}")
    for p in result["pages"]:
        print(
            f"{p['page']:<14} {p['cold_s']:8.2f} {p['warm_s']:8.2f} {p['tables']:7d} "
            f"{p['rows_shown']:11,d}"
        )
        for error in p["exceptions"]:
            print(f"  exception: {error}")
    if args.json:
        emit(result, args.json)
    return 1 if any(p["exceptions"] for p in result["pages"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())

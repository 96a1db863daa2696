"""Time the app's pages against ``$REVSTACK_HOME``'s serving snapshot, with Streamlit's AppTest.

    REVSTACK_HOME=/path/to/home .venv/bin/python benchmarks/app_render.py [--repeat 3]

For each page: the first render in a fresh session with Streamlit's caches emptied (cold: the
queries run on the snapshot; Python imports are warmed up first, untimed) and the best of
``--repeat`` reruns in the same session (warm: Streamlit's caches answer, which is also what
every live refresh of an open page costs). Not a test: nothing is asserted but that the page
rendered without an exception.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

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


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    from revstack import config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    serving = config.serving_path()
    if not serving.exists():
        print(f"no snapshot at {serving}; run `revstack build`", file=sys.stderr)
        return 1
    print(f"snapshot {serving} ({serving.stat().st_size / 1e6:,.1f} MB)")
    print(f"{'page':<14} {'cold s':>8} {'warm s':>8} {'tables':>7} {'rows shown':>11}")
    import streamlit as st

    AppTest.from_file(APP, default_timeout=args.timeout).run()  # imports, not timed
    failed = False
    for title, path in PAGES:
        at = AppTest.from_file(APP, default_timeout=args.timeout)
        if path != PAGES[0][1]:
            at.run()  # the default page first: switching needs a run
            at.switch_page(path)
        st.cache_data.clear()
        st.cache_resource.clear()
        started = time.perf_counter()
        at.run()
        cold = time.perf_counter() - started
        warm = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            at.run()
            warm = min(warm, time.perf_counter() - started)
        rows = sum(len(d.value) for d in at.dataframe)
        errors = [e.value for e in at.exception]
        failed |= bool(errors)
        print(f"{title:<14} {cold:8.2f} {warm:8.2f} {len(at.dataframe):7d} {rows:11,d}")
        for error in errors:
            print(f"  exception: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The benchmark harness's own logic (never its figures: benchmarks are not tests): the held-back
business day is exactly the company's last day and lands back whole, a build's printed steps
are read into the shares, and one size's run keeps the other sizes' results."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks import landing
from benchmarks.__main__ import merge
from benchmarks.harness import parse_build_output, shares
from revstack.simulator import simulate

EVENT_FOLDERS = ("gateway/events", "usage/events")


def _lines(home: Path) -> Counter:
    found: Counter = Counter()
    for folder in EVENT_FOLDERS:
        for path in (home / "landing" / folder).glob("*.jsonl"):
            found.update(path.read_bytes().splitlines())
    return found


def test_the_held_back_day_is_the_last_day_and_lands_back_whole(tmp_path: Path) -> None:
    simulate(tmp_path, seed=3, customers=80, months=3, start=date(2026, 8, 1))
    before = _lines(tmp_path)
    state = landing.hold_out_last_day(tmp_path)
    assert state["day"] == "2026-10-31"
    assert state["events"]["gateway"] > 0 and state["events"]["usage"] > 0
    held = Counter()
    for rel in state["files"]:
        held.update((tmp_path / rel).read_bytes().splitlines())
    for line in held:
        source = "gateway" if line.startswith(b'{"id":"evt_') else "usage"
        assert landing._event_time(source, line).startswith("2026-10-31T")
    for line in _lines(tmp_path):
        source = "gateway" if line.startswith(b'{"id":"evt_') else "usage"
        assert landing._event_time(source, line) < "2026-10-31T00:00:00"
    assert _lines(tmp_path) + held == before
    landed = landing.land_held_day(tmp_path)
    assert landed["files"] == 2 and _lines(tmp_path) == before
    assert (tmp_path / "landing" / "usage" / "events" / "2026-10-31_events.jsonl").exists()
    landing.hold_out_last_day(tmp_path)  # a later run takes the landed day back out
    assert _lines(tmp_path) + held == before


def test_build_output_is_read_into_step_shares() -> None:
    stdout = (
        "  loaded raw_gateway/events                       12,345 rows, 0 quarantined\n"
        "  loaded raw_usage/events                            678 rows, 2 quarantined\n"
        "  steps: load_raw_gateway 8.3 s, load_raw_usage 1.2 s, revstack_dbt_models 29.9 s, "
        "ops__checks 7.1 s, serving__snapshot 0.8 s\n"
        "  checks: 10 passed, 0 failed\n"
        "  open alerts after this build: 3\n"
        "  dbt docs generated in 5.3 s at /tmp/home/docs/index.html\n"
        "build succeeded in 81.0 s; snapshot published at /tmp/home/warehouse/serving.duckdb\n"
    )
    parsed = parse_build_output(stdout)
    assert parsed["printed"] == {"open_alerts": 3, "docs_s": 5.3, "command_s": 81.0}
    assert parsed["rows_loaded"] == {"raw_gateway/events": 12345, "raw_usage/events": 678}
    assert parsed["steps"]["revstack_dbt_models"] == 29.9
    got = shares(50.0, parsed["steps"])
    assert got["ingestion"] == 8.3 + 1.2 and got["dbt"] == 29.9
    assert got["checks"] == 7.1 and got["publish"] == 0.8
    assert abs(got["outside the job"] - (50.0 - 47.3)) < 1e-9


def test_one_size_keeps_the_others_and_a_partial_run_updates_its_own() -> None:
    saved = {"sizes": {"M": {"size": "M", "builds": {"full": 1, "noop": 2}, "app": "old"}}}
    saved = merge(saved, "S", {"size": "S", "builds": {"full": 3}}, replace=True)
    assert list(saved["sizes"]) == ["S", "M"] and saved["sizes"]["M"]["app"] == "old"
    saved = merge(saved, "M", {"builds": {"noop": 5}, "app": "new"}, replace=False)
    assert saved["sizes"]["M"]["builds"] == {"full": 1, "noop": 5}
    assert saved["sizes"]["M"]["app"] == "new" and saved["sizes"]["S"]["builds"] == {"full": 3}
    json.dumps(saved)

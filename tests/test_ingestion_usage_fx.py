"""Usage (CloudEvents) and FX (ECB) ingestion."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion import load_entity

FIXTURES = Path("/work/shared/fixtures")
if not FIXTURES.exists():
    FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def scalar(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_openmeter_events_delivered_twice_count_once(con, tmp_path):
    folder = tmp_path / "landing" / "usage" / "events"
    folder.mkdir(parents=True)
    for name in ("first", "second", "third"):
        shutil.copy(
            FIXTURES / "openmeter-usage" / f"{name}.json", folder / f"2023-01-01_{name}.json"
        )
        shutil.copy(
            FIXTURES / "openmeter-usage" / f"{name}.json", folder / f"2023-01-02_{name}_again.json"
        )
    result = load_entity(con, "usage", "events", tmp_path)
    assert (result.files_seen, result.files_loaded, result.files_skipped) == (6, 3, 3)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)
    assert scalar(con, "SELECT count(*) FROM raw_usage.events") == 3
    assert (
        scalar(con, "SELECT sum(CAST(data->>'$.duration_ms' AS INTEGER)) FROM raw_usage.events")
        == 60
    )
    row = con.execute(
        'SELECT id, "source", "type", subject, specversion, "time" '
        "FROM raw_usage.events ORDER BY id"
    ).fetchall()[0]
    assert row[:5] == ("00001", "service-0", "request", "customer-1", "1.0")
    assert str(row[5]) == "2023-01-01 00:00:00.001000"


def test_usage_jsonl_contract(con, tmp_path):
    base = {
        "specversion": "1.0",
        "id": "e1",
        "source": "api",
        "type": "request",
        "subject": "cus_1",
        "time": "2024-03-01T10:00:00+02:00",
        "data": {"tokens": 5},
    }
    rows = [
        base,
        dict(base, id="e2", time="yesterday"),
        {k: v for k, v in base.items() if k != "subject"},
        dict(base, id="e4", region="eu"),  # a CloudEvents extension attribute: drift, kept
    ]
    path = tmp_path / "landing" / "usage" / "events" / "a.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = load_entity(con, "usage", "events", tmp_path)
    assert result.rows_loaded == 2
    assert result.quarantine_reasons == {"invalid_timestamp": 1, "missing_field": 1}
    assert result.drift == (("new_column", "region", "warning"),)
    times = con.execute('SELECT id, "time", region FROM raw_usage.events ORDER BY id').fetchall()
    assert [(i, str(t), r) for i, t, r in times] == [
        ("e1", "2024-03-01 08:00:00", None),  # UTC
        ("e4", "2024-03-01 08:00:00", "eu"),
    ]


ECB = (
    "Date,USD,JPY,BGN,CYP,GBP,\n"
    "2024-01-03,1.0919,155.52,1.9558,N/A,0.86518,\n"
    "2024-01-02,1.0956,155.81,1.9558,N/A,0.86810,\n"
)


def test_ecb_csv_with_na_and_trailing_comma_loads_long(con, tmp_path):
    path = tmp_path / "landing" / "fx" / "rates" / "eurofxref-hist.csv"
    path.parent.mkdir(parents=True)
    path.write_text(ECB)
    result = load_entity(con, "fx", "rates", tmp_path)
    assert not result.blocked
    assert (result.rows_loaded, result.rows_quarantined, result.drift) == (8, 0, ())
    rows = con.execute(
        "SELECT rate_date::VARCHAR, currency, rate FROM raw_fx.rates ORDER BY 1, 2"
    ).fetchall()
    assert rows[:4] == [
        ("2024-01-02", "BGN", Decimal("1.955800")),
        ("2024-01-02", "GBP", Decimal("0.868100")),
        ("2024-01-02", "JPY", Decimal("155.810000")),
        ("2024-01-02", "USD", Decimal("1.095600")),
    ]
    assert scalar(con, "SELECT count(*) FROM raw_fx.rates WHERE currency = 'CYP'") == 0
    again = load_entity(con, "fx", "rates", tmp_path)
    assert again.files_skipped == 1 and scalar(con, "SELECT count(*) FROM raw_fx.rates") == 8


def test_ecb_bad_rates_are_quarantined_and_missing_date_blocks(con, tmp_path):
    path = tmp_path / "landing" / "fx" / "rates" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text("Date,USD,JPY\n2024-01-02,1.0956,-3\n2024-02-30,1.1,150\n")
    result = load_entity(con, "fx", "rates", tmp_path)
    assert result.rows_loaded == 1
    assert result.quarantine_reasons == {"invalid_rate": 1, "unparsable_date": 2}
    blocked_home = tmp_path / "other"
    bad = blocked_home / "landing" / "fx" / "rates" / "a.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("Day,USD\n2024-01-02,1.0956\n")
    blocked = load_entity(duckdb.connect(), "fx", "rates", blocked_home)
    assert blocked.blocked and "Date" in blocked.blocked_reason


def test_a_load_takes_only_the_files_landed_before_it_began(con, tmp_path):
    """``landed_before``: a file renamed into place after the load began waits for the next
    load, and so do the files after it in delivery order (versions stay in order)."""
    import os
    import time

    folder = tmp_path / "landing" / "usage" / "events"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "openmeter-usage" / "first.json", folder / "2023-01-02_first.json")
    time.sleep(0.05)
    began = time.time()
    time.sleep(0.05)
    # lands after the load began, though it sorts first
    late = tmp_path / "late.json"
    shutil.copy(FIXTURES / "openmeter-usage" / "second.json", late)
    os.replace(late, folder / "2023-01-01_second.json")
    waited = load_entity(con, "usage", "events", tmp_path, landed_before=began)
    assert (waited.files_seen, waited.rows_loaded) == (0, 0)
    assert scalar(con, "SELECT count(*) FROM raw_usage.events") == 0
    taken = load_entity(con, "usage", "events", tmp_path, landed_before=time.time() + 1)
    assert (taken.files_seen, taken.files_loaded, taken.rows_loaded) == (2, 2, 2)
    # a third file lands later still: it waits for a load that began after it, or for none
    (folder / "2023-01-03_third.json").write_text(
        (FIXTURES / "openmeter-usage" / "third.json").read_text()
    )
    assert load_entity(con, "usage", "events", tmp_path, landed_before=began).files_loaded == 0
    assert load_entity(con, "usage", "events", tmp_path).files_loaded == 1

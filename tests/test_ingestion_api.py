"""The public API: entities, raw DDL, LoadResult metadata, no orchestrator import."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import duckdb
import pytest

import ingestion
from ingestion import ENTITIES, LoadResult, ensure_raw_tables, load_entity
from ingestion.currencies import exponent, is_currency


def test_entities_match_the_landing_contract():
    assert ENTITIES["gateway"] == (
        "customers", "products", "prices", "coupons", "discounts", "tax_rates", "subscriptions",
        "invoices", "invoiceitems", "credit_notes", "charges", "refunds", "disputes",
        "balance_transactions", "payouts", "application_fees", "transfers", "events",
    )  # fmt: skip
    assert ENTITIES["crm"] == ("account", "opportunity", "opportunity_line_item", "user")
    assert ENTITIES["usage"] == ("events",)
    assert ENTITIES["accounting"] == ("journal", "journal_line", "account", "contact", "invoice")
    assert ENTITIES["fx"] == ("rates",)


def test_ensure_raw_tables_creates_every_table_empty_and_is_idempotent():
    con = duckdb.connect()
    ensure_raw_tables(con)
    ensure_raw_tables(con)
    tables = set(
        con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall()
    )
    expected = {(f"raw_{s}.{e}",) for s, ents in ENTITIES.items() for e in ents}
    expected |= {("raw_meta.loaded_files",), ("raw_meta.quarantine",), ("raw_meta.schema_drift",)}
    assert expected <= tables
    for (name,) in expected:
        schema, table = name.split(".")
        assert con.execute(f'SELECT count(*) FROM {schema}."{table}"').fetchall()[0][0] == 0
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw_gateway' AND table_name = 'events' ORDER BY ordinal_position"
    ).fetchall()
    assert cols == [
        ("id", "VARCHAR"), ("object", "VARCHAR"), ("created", "TIMESTAMP"),
        ("_version_at", "TIMESTAMP"), ("data", "JSON"), ("type", "VARCHAR"),
        ("api_version", "VARCHAR"), ("object_type", "VARCHAR"), ("object_id", "VARCHAR"),
        ("_batch_id", "VARCHAR"), ("_file", "VARCHAR"), ("_line", "INTEGER"),
        ("_loaded_at", "TIMESTAMP"),
    ]  # fmt: skip
    fx = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw_fx' AND table_name = 'rates' ORDER BY ordinal_position"
    ).fetchall()
    assert fx[:3] == [("rate_date", "DATE"), ("currency", "VARCHAR"), ("rate", "DECIMAL(18,6)")]


def test_load_result_metadata_is_json(tmp_path):
    con = duckdb.connect()
    result = load_entity(con, "crm", "account", tmp_path)
    assert isinstance(result, LoadResult)
    meta = result.as_metadata()
    json.dumps(meta)
    assert meta["dagster/row_count"] == 0 and meta["blocked"] is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rows_loaded = 5  # type: ignore[misc]


def test_home_defaults_to_revstack_home(tmp_path, monkeypatch):
    folder = tmp_path / "landing" / "fx" / "rates"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("Date,USD\n2024-01-02,1.0956\n")
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    result = load_entity(duckdb.connect(), "fx", "rates")
    assert result.rows_loaded == 1


def test_unknown_entity_is_an_error():
    with pytest.raises(ValueError, match="unknown entity"):
        load_entity(duckdb.connect(), "gateway", "widgets")


def test_ingestion_never_imports_dagster():
    code = "import sys, ingestion, ingestion.loader; print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert ingestion.__all__


def test_iso_4217_exponents():
    codes = ("JPY", "krw", "usd", "BHD", "KWD")
    assert [exponent(c) for c in codes] == [0, 0, 2, 3, 3]
    assert is_currency("eur") and not is_currency("currency") and not is_currency(None)

"""revstack.quality: the Great Expectations suites as alert inputs (a few seconds, no build)."""

from __future__ import annotations

import duckdb
import pytest

from revstack import quality


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    c.execute("create schema staging")
    c.execute("create schema marts")
    c.execute(
        "create table staging.stg_gateway__invoices as select * from (values"
        " ('in_A1', 'usd', 100), ('in_A2', 'eur', 50), ('in_A3', 'usd', 10))"
        " as t (invoice_id, currency, total_minor)"
    )
    yield c
    c.close()


def _by_key(results):
    return {(r.check_name, r.key): r for r in results}


def test_a_clean_mart_passes_its_suite(con) -> None:
    con.execute(
        "create table marts.fct_invoices as select invoice_id, upper(currency) as currency"
        " from staging.stg_gateway__invoices"
    )
    results = quality.run_suites(con)
    assert {(r.check_name, r.passed) for r in results} == {
        ("gx:stg_gateway__invoices", True),
        ("gx:fct_invoices", True),
    }


def test_duplicate_key_unknown_currency_and_lost_rows_fail_the_mart(con) -> None:
    con.execute(
        "create table marts.fct_invoices as select * from (values"
        " ('in_A1', 'USD'), ('in_A1', 'USD'), ('in_A2', 'XYZ')) as t (invoice_id, currency)"
    )
    results = _by_key(quality.run_suites(con))
    duplicate = results[("gx:fct_invoices", "expect_column_values_to_be_unique:invoice_id")]
    assert (duplicate.passed, duplicate.severity) == (False, "blocking")
    assert duplicate.evidence == [{"unexpected": "in_A1"}, {"unexpected": "in_A1"}]
    assert duplicate.summary == (
        "fct_invoices.invoice_id: expect_column_values_to_be_unique failed for 2 row(s)"
    )
    currency = results[("gx:fct_invoices", "expect_column_values_to_be_in_set:currency")]
    assert currency.evidence == [{"unexpected": "XYZ"}]
    # 3 staged invoices, 3 rows here: the floor holds; the staged source passes
    assert ("gx:fct_invoices", "expect_table_row_count_to_be_between:table") not in results
    assert results[("gx:stg_gateway__invoices", "")].passed


def test_a_mart_with_fewer_rows_than_its_source_fails_the_floor(con) -> None:
    con.execute(
        "create table marts.fct_invoices as select * from (values ('in_A1', 'USD'))"
        " as t (invoice_id, currency)"
    )
    results = _by_key(quality.run_suites(con))
    floor = results[("gx:fct_invoices", "expect_table_row_count_to_be_between:table")]
    assert not floor.passed
    assert floor.summary.endswith("(observed 1, expected at least 3)")


def test_a_stripe_id_that_breaks_the_pattern_is_an_error_not_blocking(con) -> None:
    con.execute("insert into staging.stg_gateway__invoices values ('inv-9', 'usd', 5)")
    results = _by_key(quality.run_suites(con))
    pattern = results[
        ("gx:stg_gateway__invoices", "expect_column_values_to_match_regex:invoice_id")
    ]
    assert (pattern.passed, pattern.severity) == (False, "error")
    assert pattern.evidence == [{"unexpected": "inv-9"}]

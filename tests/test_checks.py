"""revstack.checks: check marts and Dagster run events as alert inputs (fast, no build)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest

from revstack import checks


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    c.execute("create schema marts")
    c.execute(
        "create table marts.rpt_reconciliation as select * from (values"
        " ('payouts_vs_balance_transactions', date '2025-03-01', 'po_1',"
        "  50.49::decimal(38,6), 38.15::decimal(38,6), 12.34::decimal(38,6), 'break', 'AUD',"
        "  'high', 'stg_gateway__payouts', 'stg_gateway__balance_transactions'),"
        " ('payouts_vs_balance_transactions', date '2025-03-01', 'po_2', 1, 1, 0, 'ok', 'AUD',"
        "  'high', 'a', 'b'),"
        " ('identity_match_rate', null, 'crm', 0.97, 1, -0.03, 'warn', 'share', 'medium',"
        "  'a', 'b'),"
        " ('gateway_vs_gl_cash', date '2025-03-01', 'EUR/receipts', 250.5, 200, 50.5, 'break',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'),"
        " ('gateway_vs_gl_cash', date '2025-03-01', 'USD/payouts', 0, 0.75, -0.75, 'break',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'),"
        " ('gateway_vs_gl_cash', date '2025-03-01', 'USD/receipts', 900, 800, 100, 'break',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'),"
        " ('gateway_vs_gl_cash', date '2025-03-01', 'GBP/receipts', 10, 10, 0, 'ok',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'),"
        " ('gateway_vs_gl_cash', date '2025-04-01', 'USD/receipts', 5, 4, 1, 'break',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'),"
        " ('gateway_vs_gl_tax', date '2025-04-01', 'GBP', 7, 7, 0, 'ok',"
        "  'USD', 'high', 'fct_revenue_ledger', 'int_gl_journal_lines'))"
        " as t (check_name, period, key, left_amount, right_amount, difference, status, unit,"
        " severity, left_source, right_source)"
    )
    c.execute(
        "create table marts.rpt_reconciliation_exceptions as select"
        " 'payouts_vs_balance_transactions' as check_name, date '2025-03-01' as period,"
        ' \'po_1\' as key, \'{"payout_id": "po_1", "amount": 50.49}\' as left_evidence,'
        ' \'[{"balance_transaction_id": "txn_1", "net": 38.15}]\' as right_evidence,'
        " 'marts.rpt_reconciliation_exceptions where key = ''po_1''' as where_to_look"
    )
    c.execute(
        "create table marts.rpt_source_volume_daily as select * from (values"
        " ('usage', date '2025-04-28', 1, 0, 39.0, 41, true, 'drop_to_zero'),"
        " ('usage', date '2025-04-27', 7, 40, 39.0, 41, true, 'ok'))"
        " as t (source_name, business_day, iso_weekday, row_count, baseline_rows, reference_rows,"
        " in_window, status)"
    )
    c.execute(
        "create table marts.rpt_metric_anomalies_daily as select * from (values"
        " ('failed_charge_share', date '2025-04-27', 29.0, 29, 1, null, null, 0, 1.0, 0.065,"
        "  20.51, 'share_high'),"
        " ('charges_succeeded', date '2025-04-27', 0.0, 0, 1, 4.0, 20.0, 12, null, null, null,"
        "  'drop_to_zero'),"
        " ('invoices_finalized', date '2025-02-28', 600.0, 600, 4, 40.0, 40.0, 41, null, null,"
        "  null, 'spike'),"
        " ('usage_median_quantity', date '2025-04-26', 12000.0, 40, 1, 100.0, 40.0, 40, null,"
        "  null, null, 'scale_shift'),"
        " ('cash_collected', date '2025-04-26', 5000.0, 40, 1, null, null, 40, null, null, null,"
        "  'ok'))"
        " as t (metric_name, business_day, metric_value, support_rows, anchor_days,"
        " baseline_value, baseline_rows, reference_rows, failed_share, baseline_share, share_z,"
        " status)"
    )
    c.execute(
        "create table marts.rpt_source_freshness as select * from (values"
        " ('crm', date '2025-03-01', date '2025-04-30', 60, 30, 'stale'),"
        " ('gateway', date '2025-04-30', date '2025-04-30', 0, 2, 'ok'))"
        " as t (source_name, latest_day, last_date, lag_days, max_lag_days, status)"
    )
    yield c
    c.close()


def test_a_reconciliation_break_is_one_failing_result_with_both_sides(con) -> None:
    results = {(r.check_name, r.key): r for r in checks.warehouse_results(con)}
    payout = results[("reconciliation:payouts_vs_balance_transactions", "2025-03-01:po_1")]
    assert not payout.passed and payout.severity == "error" and payout.period == "2025-03-01"
    assert payout.summary == (
        "payouts_vs_balance_transactions po_1 in 2025-03-01: stg_gateway__payouts 50.49 AUD"
        " vs stg_gateway__balance_transactions 38.15 AUD, difference 12.34 AUD"
    )
    figures, left, right = payout.evidence
    assert figures["difference"] == Decimal("12.34")
    assert left == {"side": "left", "payout_id": "po_1", "amount": 50.49}
    assert right == {"side": "right", "balance_transaction_id": "txn_1", "net": 38.15}
    assert payout.where == "marts.rpt_reconciliation_exceptions where key = 'po_1'"
    # a check with no break (a 'warn' is within tolerance) passes as a whole
    assert results[("reconciliation:identity_match_rate", "")].passed
    assert ("reconciliation:payouts_vs_balance_transactions", "") not in results


def test_gl_breaks_alert_once_per_check_and_month_with_every_key(con) -> None:
    """A GL check's keys slice one monthly total: one result per check × period, keyed by the
    period, listing each breaking key (largest difference first) under the period's total."""
    results = [r for r in checks.warehouse_results(con) if r.check_name.endswith("_gl_cash")]
    march, april = sorted((r for r in results), key=lambda r: r.key)
    assert (march.key, march.period, march.severity, march.passed) == (
        "2025-03-01",
        "2025-03-01",
        "error",
        False,
    )
    assert march.summary == (
        "gateway_vs_gl_cash in 2025-03-01: 3 key(s) break, fct_revenue_ledger vs"
        " int_gl_journal_lines differ by 149.75 USD in total (USD/receipts 100.00,"
        " EUR/receipts 50.50, USD/payouts -0.75)"
    )
    total, *keys = march.evidence
    assert total == {
        "side": "figures",
        "key": "total",
        "keys": 3,
        "left": Decimal("1150.5"),
        "right": Decimal("1000.75"),
        "difference": Decimal("149.75"),
        "unit": "USD",
    }
    assert [(k["side"], k["key"], k["difference"]) for k in keys] == [
        ("key", "USD/receipts", Decimal("100")),
        ("key", "EUR/receipts", Decimal("50.5")),
        ("key", "USD/payouts", Decimal("-0.75")),
    ]
    assert march.where == (
        "marts.rpt_reconciliation_exceptions where check_name = 'gateway_vs_gl_cash'"
        " and period = '2025-03-01'"
    )
    assert april.key == "2025-04-01" and april.evidence[0]["difference"] == Decimal("1")
    # a grouped check with no break passes as a whole
    tax = [r for r in checks.warehouse_results(con) if r.check_name.endswith("_gl_tax")]
    assert [(r.key, r.passed) for r in tax] == [("", True)]


def test_volume_and_freshness(con) -> None:
    results = {(r.check_name, r.key): r for r in checks.warehouse_results(con)}
    drop = results[("volume_anomaly", "usage:2025-04-28")]
    assert (drop.passed, drop.severity) == (False, "warning")
    assert drop.summary == (
        "usage drop to zero on 2025-04-28: 0 rows (same weekday a week before 41,"
        " 4-week median 39.0)"
    )
    stale = results[("freshness", "crm")]
    assert not stale.passed and "60 day(s) behind 2025-04-30 (allowed 30)" in stale.summary
    assert ("freshness", "gateway") not in results


def test_metric_anomalies_alert_per_metric_and_day(con) -> None:
    """One warning per metric × day not 'ok', keyed <metric>:<day>, its row as evidence."""
    results = {r.key: r for r in checks.warehouse_results(con) if r.check_name == "metric_anomaly"}
    assert sorted(results) == [
        "charges_succeeded:2025-04-27",
        "failed_charge_share:2025-04-27",
        "invoices_finalized:2025-02-28",
        "usage_median_quantity:2025-04-26",
    ]
    assert all(not r.passed and r.severity == "warning" for r in results.values())
    share = results["failed_charge_share:2025-04-27"]
    assert share.summary == (
        "failed charges 29 of 29 attempts on 2025-04-27 (100%; 28-day share 6.5%,"
        " 20.51 standard deviations above)"
    )
    assert share.evidence[0]["status"] == "share_high" and share.period == "2025-04-27"
    assert results["charges_succeeded:2025-04-27"].summary == (
        "charges_succeeded drop to zero on 2025-04-27: 0 (same weekday a week before: 12 rows"
        " behind it)"
    )
    assert results["invoices_finalized:2025-02-28"].summary == (
        "invoices_finalized spike on 2025-02-28: 600 for 4 billing anchor days (4-week"
        " same-weekday median 40.00 a day)"
    )
    assert results["usage_median_quantity:2025-04-26"].summary == (
        "usage quantities changed scale on 2025-04-26: median 12000 per event of 40 (4-week"
        " same-weekday median 100): a meter may report in another unit"
    )


def test_metric_anomalies_pass_when_every_day_is_ok(con) -> None:
    con.execute("delete from marts.rpt_metric_anomalies_daily where status != 'ok'")
    (result,) = [r for r in checks.warehouse_results(con) if r.check_name == "metric_anomaly"]
    assert result.passed and result.key == ""


def _event(kind: str, **data) -> SimpleNamespace:
    return SimpleNamespace(
        event_type_value=kind,
        step_key=data.pop("step_key", None),
        event_specific_data=SimpleNamespace(**data),
    )


def test_run_results_from_a_failed_run() -> None:
    error = SimpleNamespace(
        message="DagsterExecutionStepExecutionError: Error occurred",
        cause=SimpleNamespace(message="TypeError: boom\nmore", cause=None),
    )
    events = [
        _event(
            "ASSET_CHECK_EVALUATION",
            asset_key=SimpleNamespace(path=["raw_crm", "opportunity"]),
            check_name="contract",
            passed=False,
            severity=SimpleNamespace(value="ERROR"),
            description="missing required column stage_name",
            metadata={"rows_quarantined": SimpleNamespace(value=0)},
        ),
        _event(
            "ASSET_CHECK_EVALUATION",
            asset_key=SimpleNamespace(path=["raw_gateway", "charges"]),
            check_name="contract",
            passed=True,
            severity=SimpleNamespace(value="ERROR"),
            description="contract holds",
            metadata={},
        ),
        _event("STEP_FAILURE", step_key="ops__checks", error=error),
    ]
    results = {(r.check_name, r.key): r for r in checks.run_results(events, "run1", False)}
    contract = results[("raw_crm/opportunity:contract", "")]
    assert (contract.passed, contract.severity) == (False, "blocking")
    assert contract.summary == (
        "check contract on raw_crm/opportunity failed: missing required column stage_name"
        " — the build did not publish"
    )
    assert contract.evidence == [{"rows_quarantined": 0}]
    assert results[("raw_gateway/charges:contract", "")].passed
    step = results[("build_step", "ops__checks")]
    assert step.summary == "step ops__checks failed: TypeError: boom — the build did not publish"
    assert ("build_step", "") not in results  # a failed run does not resolve failed steps
    ok = checks.run_results(events[1:2], "run2", True)
    assert [(r.check_name, r.passed) for r in ok] == [
        ("raw_gateway/charges:contract", True),
        ("build_step", True),
    ]


def test_a_redelivered_file_alerts_while_it_is_in_the_landing_zone(tmp_path) -> None:
    home = tmp_path / "home"
    copy = home / "landing" / "gateway" / "events" / "b.jsonl"
    copy.parent.mkdir(parents=True)
    copy.write_text("{}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as c:
        c.execute("create schema raw_meta")
        c.execute(
            "create table raw_meta.duplicate_files as select"
            " 'landing/gateway/events/b.jsonl' as path, 'gateway' as source, 'events' as entity,"
            " 'abc' as file_hash, 'landing/gateway/events/a.jsonl' as first_path,"
            " timestamp '2026-11-27 10:00:00' as detected_at"
        )
        (found,) = checks.duplicate_results(c, home)
        assert (found.check_name, found.key, found.passed) == (
            "duplicate_delivery",
            "landing/gateway/events/b.jsonl",
            False,
        )
        assert found.summary.startswith(
            "landing/gateway/events/b.jsonl repeats landing/gateway/events/a.jsonl byte for byte"
        )
        copy.unlink()  # removed from the landing zone: the check passes, the alert resolves
        (cleared,) = checks.duplicate_results(c, home)
        assert (cleared.key, cleared.passed) == ("", True)

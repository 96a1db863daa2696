"""Injected drift is caught by the intended check, with its key and amount, and alerted once
(issue 5). One company of 200 customers × 6 months with ten kinds of drift injected
(`revstack simulate --inject`), built once by `revstack build` with a webhook receiver configured;
the recorded truth (truth/injected_drift.json) says what each check must find."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from tests.conftest import revstack

KINDS = (
    "duplicate_file",
    "late_events",
    "payout_mismatch",
    "gl_sync_gap",
    "unbilled_usage",
    "volume_drop",
    "gl_currency_missing",
    "tax_rate_change",
    "crm_wrong_customer",
    "payment_outage",
)


class Receiver:
    """A Slack-compatible webhook endpoint on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/revstack"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module):
    home = tmp_path_factory.mktemp("drifted")
    revstack(
        home, "simulate", "--customers", "200", "--months", "6", "--seed", "7",
        "--inject", ",".join(KINDS),
    )  # fmt: skip
    receiver = Receiver()
    monkeypatch_module.setenv("REVSTACK_ALERT_WEBHOOK_URL", receiver.url)
    build = revstack(home, "build")
    truth = json.loads((home / "truth" / "injected_drift.json").read_text())
    yield home, build, truth, receiver
    receiver.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _alerts(home: Path) -> list[dict]:
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        cursor = con.execute("select * from ops.alerts where status = 'open' order by 1")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _difference(alert: dict) -> Decimal:
    (figures,) = [r for r in json.loads(alert["evidence"]) if r.get("side") == "figures"]
    return Decimal(figures["difference"])


def _key_differences(alert: dict) -> dict[str, Decimal]:
    """A per-period alert's breaking keys and their differences."""
    return {
        r["key"]: Decimal(r["difference"])
        for r in json.loads(alert["evidence"])
        if r.get("side") == "key"
    }


def _by_check(alerts: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for a in alerts:
        out[a["check_name"]].append(a)
    return out


def _records(truth: dict, kind: str) -> list[dict]:
    return [r for r in truth["drifts"] if r["kind"] == kind]


def test_each_injected_drift_is_caught_with_its_key_and_amount(drifted) -> None:
    home, _, truth, _ = drifted
    alerts = _by_check(_alerts(home))
    caught: dict[str, bool] = {}

    (payout,) = _records(truth, "payout_mismatch")
    (a,) = alerts["reconciliation:payouts_vs_balance_transactions"]
    assert a["key"].endswith(":" + payout["key"]) and _difference(a) == Decimal(payout["amount"])
    caught["payout_mismatch"] = True

    (invoice,) = _records(truth, "gl_currency_missing")
    (a,) = alerts["reconciliation:gateway_vs_gl_currency"]
    assert a["key"].endswith(":" + invoice["key"]) and _difference(a) == Decimal(invoice["amount"])
    caught["gl_currency_missing"] = True

    (usage,) = _records(truth, "unbilled_usage")
    (a,) = alerts["reconciliation:usage_recorded_vs_billed"]
    assert a["key"] == f"{usage['period']}-01:{usage['key']}"
    assert _difference(a) == usage["details"]["quantity_recorded"]  # units never billed
    caught["unbilled_usage"] = True

    # the GL stopped for a week: one alert per GL check for that month (not one per currency),
    # listing every currency's receipts and payouts; the week's receipts missing from the
    # clearing account are exactly the charges collected that week (in USD), over every currency
    (gap,) = _records(truth, "gl_sync_gap")
    gap_month = gap["period"][:7] + "-01"
    for check in ("cash", "revenue", "tax", "fees"):
        (a,) = [a for a in alerts[f"reconciliation:gateway_vs_gl_{check}"] if a["key"] == gap_month]
        differences = _key_differences(a)
        assert len(differences) >= 2 and _difference(a) == sum(differences.values())
        assert f"{len(differences)} key(s) break" in a["summary"]
        shown = re.search(r"differ by (-?\d+\.\d+) USD in total", a["summary"])
        assert Decimal(shown.group(1)) == _difference(a)  # exact, without padding zeros
    (a,) = [a for a in alerts["reconciliation:gateway_vs_gl_cash"] if a["key"] == gap_month]
    receipts = {k: d for k, d in _key_differences(a).items() if k.endswith("/receipts")}
    assert len(receipts) >= 2 and sum(receipts.values()) == Decimal(gap["amount"])
    caught["gl_sync_gap"] = True

    # the gateway's new tax rate that the GL does not follow: that month's one tax alert names
    # the country's currency, which differs by the sum of the invoices' differences
    changed = _records(truth, "tax_rate_change")
    (month,) = {r["period"] + "-01" for r in changed}
    (currency,) = {r["currency"].upper() for r in changed}
    (a,) = [a for a in alerts["reconciliation:gateway_vs_gl_tax"] if a["key"] == month]
    expected = sum(Decimal(r["details"]["difference_rc"]) for r in changed)
    assert _key_differences(a) == {currency: expected} and _difference(a) == expected
    caught["tax_rate_change"] = True

    # a CRM account that linked its own gateway customer is re-linked to another one by the
    # CRM's next sync: its link's history shows a right link turned wrong, a break keyed by the
    # account; the clean company's own mislinked accounts (wrong from their first version) stay
    # 'warn' and alert nothing
    (relinked,) = _records(truth, "crm_wrong_customer")
    (a,) = alerts["reconciliation:crm_vs_billing_identity"]
    assert a["key"].endswith(":" + relinked["key"]) and a["severity"] == "warning"
    left = next(r for r in json.loads(a["evidence"]) if r["side"] == "left")
    assert left["stripe_customer_id"] == relinked["details"]["linked_customer_id"]
    assert left["previous_stripe_customer_id"] == relinked["details"]["right_customer_id"]
    assert a["summary"].endswith(
        f"link changed from {relinked['details']['right_customer_id']} (same name) to a customer"
        " whose name disagrees"
    )
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        (warned,) = con.execute(
            "select count(*) from marts.rpt_reconciliation"
            " where check_name = 'crm_vs_billing_identity' and status = 'warn'"
        ).fetchone()
    assert warned >= 5  # the natural mislinks and unlinked accounts
    caught["crm_wrong_customer"] = True

    # usage drops to 1 event in 20 for the last 3 days; the data's last day is still arriving
    # and not judged, so the two days before it alert
    last_day = max(r["key"] for r in _records(truth, "volume_drop"))
    expected = {r["key"] for r in _records(truth, "volume_drop")} - {last_day}
    assert {a["key"] for a in alerts["volume_anomaly"]} == expected
    caught["volume_drop"] = True

    # a gateway events file delivered twice: loaded once, the copy alerted by its path
    (copy,) = _records(truth, "duplicate_file")
    (a,) = alerts["duplicate_delivery"]
    assert a["key"] == copy["key"] and a["severity"] == "warning"
    caught["duplicate_file"] = True

    # a day's gateway events delivered days later, in the next month's file
    (late,) = _records(truth, "late_events")
    (a,) = alerts["late_arriving_events"]
    assert a["key"] == late["key"]
    caught["late_events"] = True

    # the card processor is down for a day and the gateway retries hourly: that day's share of
    # failed charges alerts once, keyed by the metric and day, with the failed attempts the
    # simulator recorded (the outage's attempts, plus the day's few ordinary declines)
    (outage,) = _records(truth, "payment_outage")
    (a,) = alerts["metric_anomaly"]
    assert a["key"] == outage["key"] and a["severity"] == "warning"
    (row,) = json.loads(a["evidence"])
    assert row["status"] == "share_high"
    failed = outage["details"]["failed_attempts"]
    assert Decimal(row["metric_value"]) == failed  # every charge of the day failed ...
    assert row["support_rows"] >= failed and row["failed_share"] >= 0.6  # ... but a manual payment
    assert a["summary"].startswith(f"failed charges {int(Decimal(row['metric_value']))} of ")
    caught["payment_outage"] = True

    assert set(caught) == set(KINDS)  # 100 % of the injected kinds


def test_no_alert_outside_the_injected_drift(drifted) -> None:
    """Every open alert is one of the injected breaks or a direct consequence of one (the GL gap
    also moves revenue, tax and fees in its month; the tax change overstates GL revenue), and a
    GL check alerts once per month."""
    home, _, truth, _ = drifted
    gap_month = _records(truth, "gl_sync_gap")[0]["period"][:7] + "-01"
    tax_month = _records(truth, "tax_rate_change")[0]["period"] + "-01"
    for a in _alerts(home):
        check = a["check_name"]
        if check.startswith("reconciliation:gateway_vs_gl_") and check != (
            "reconciliation:gateway_vs_gl_currency"
        ):
            assert a["key"] in (gap_month, tax_month), a
        else:
            assert check in {
                "reconciliation:payouts_vs_balance_transactions",
                "reconciliation:gateway_vs_gl_currency",
                "reconciliation:usage_recorded_vs_billed",
                "volume_anomaly",
                "metric_anomaly",
                "duplicate_delivery",
                "late_arriving_events",
                "reconciliation:crm_vs_billing_identity",
            }, a
        assert a["severity"] in ("error", "warning") and a["occurrences"] == 1


def test_the_build_summary_lists_every_open_alert(drifted) -> None:
    """The operator is told: `revstack build` prints every alert open after it, including the
    ones the checks step opened during the run."""
    home, build, _, _ = drifted
    alerts = _alerts(home)
    assert len(KINDS) <= len(alerts) <= 20  # all of them are listed (the summary lists 20)
    assert f"open alerts after this build: {len(alerts)}" in build.stdout
    for a in alerts:
        key = f" ({a['key']})" if a["key"] else ""
        assert f"[{a['severity']}] {a['check_name']}{key}: {a['summary']}" in build.stdout


def test_alerts_reach_the_webhook_once_and_not_again_while_open(drifted, monkeypatch) -> None:
    from revstack import alerts, checks

    home, build, _, receiver = drifted
    monkeypatch.setenv("REVSTACK_HOME", str(home))
    opened = _alerts(home)
    assert len(receiver.posts) == len(opened) > 0
    texts = [p["text"] for p in receiver.posts]
    assert any("payouts_vs_balance_transactions" in t for t in texts)
    assert "alert opened: [error] reconciliation:payouts_vs_balance_transactions" in build.stderr

    # the next build's checks step finds the same breaks: nothing opens, nothing is sent
    with duckdb.connect(str(home / "warehouse" / "revstack.duckdb")) as con:
        outcome = alerts.process(
            checks.warehouse_results(con),
            con=con,
            sinks=[alerts.WebhookSink(receiver.url)],
        )
    assert not outcome.opened and not outcome.resolved
    assert len(outcome.still_open) == len(opened)
    assert len(receiver.posts) == len(opened)

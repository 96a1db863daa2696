"""Alerts: lifecycle in ops.alerts, and delivery to a real webhook receiver and SMTP server.

The receivers run in threads on 127.0.0.1 (port 0); every test has its own DuckDB file.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from revstack import alerts, config
from revstack.alerts import CheckResult, EmailSink, WebhookSink

T0 = datetime(2026, 11, 2, 2, 0, 0)
WHERE_PO_7 = "marts.rpt_reconciliation where check_name = 'bt_vs_payouts' and key = 'po_7'"


def at(hours: int) -> datetime:
    return T0 + timedelta(hours=hours)


def fail(check: str, key: str = "", severity: str = "error", **kw) -> CheckResult:
    kw.setdefault("summary", f"{check} broke for {key or 'everything'}")
    kw.setdefault("where", f"marts.rpt_reconciliation where check_name = '{check}'")
    return CheckResult(check, severity, passed=False, key=key, **kw)  # type: ignore[arg-type]


def ok(check: str, severity: str = "error") -> CheckResult:
    return CheckResult(check, severity, passed=True)  # type: ignore[arg-type]


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def rows(con, where: str = "true") -> list[dict]:
    cur = con.execute(f"select * from ops.alerts where {where} order by opened_at, check_name, key")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# ------------------------------------------------------------------------------ receivers
class WebhookReceiver:
    """An HTTP server recording each POST's JSON; answers ``status`` (200 unless set)."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(body),
                        "status": receiver.status,
                    }
                )
                payload = b"ok" if receiver.status == 200 else b"boom"
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/services/T1/B2/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def delivered(self) -> list[dict]:
        return [p["json"] for p in self.posts if p["status"] == 200]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


class SMTPReceiver:
    """A minimal SMTP server (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.logins: list[tuple[str, str]] = []
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 test.local ESMTP ready")
                sender, recipients = None, []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode().rstrip("\r\n")
                    verb = line.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.wfile.write(b"250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif verb == "HELO":
                        self.reply("250 test.local")
                    elif verb == "AUTH":
                        _, _, initial = line.split(" ", 2)
                        _, user, password = base64.b64decode(initial).decode().split("\0")
                        receiver.logins.append((user, password))
                        self.reply("235 2.7.0 authenticated")
                    elif verb == "MAIL":
                        sender = line.split(":", 1)[1].split()[0].strip("<>")
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b""):
                                break
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        receiver.messages.append(
                            {
                                "from": sender,
                                "to": recipients,
                                "message": message_from_bytes(
                                    b"".join(data), policy=default_policy
                                ),
                            }
                        )
                        sender, recipients = None, []
                        self.reply("250 OK queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 command not implemented")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def smtp() -> Iterator[SMTPReceiver]:
    receiver = SMTPReceiver()
    yield receiver
    receiver.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------ lifecycle
def test_lifecycle_open_still_open_resolve_reopen(con, webhook):
    sink = WebhookSink(webhook.url, timeout=5)
    evidence = [{"payout_id": "po_1", "gateway": Decimal("100.00"), "bank": Decimal("99.50")}]

    first = alerts.process(
        [fail("payouts_match_bank", "po_1", "blocking", evidence=evidence, period="2026-10")],
        con=con,
        now=at(0),
        sinks=[sink],
    )
    assert [a.title for a in first.opened] == ["payouts_match_bank (po_1)"]
    assert (first.still_open, first.resolved) == ([], [])
    assert first.delivered == [(first.opened[0].alert_id, "opened", "webhook")]
    (row,) = rows(con)
    first_id = row["alert_id"]
    assert row["status"] == "open"
    assert row["severity"] == "blocking"
    assert row["period"] == "2026-10"
    assert row["opened_at"] == at(0) and row["last_seen_at"] == at(0)
    assert row["resolved_at"] is None and row["occurrences"] == 1
    assert (
        row["where_to_look"] == "marts.rpt_reconciliation where check_name = 'payouts_match_bank'"
    )
    assert json.loads(row["notified"])["webhook"]["opened"]["status"] == "sent"
    assert row["delivery_pending"] is False

    # still failing: no second notice; last_seen_at, occurrences and the evidence move on
    newer = [{"payout_id": "po_1", "gateway": Decimal("100.00"), "bank": Decimal("0.00")}]
    second = alerts.process(
        [fail("payouts_match_bank", "po_1", "blocking", evidence=newer, summary="now worse")],
        con=con,
        now=at(1),
        sinks=[sink],
    )
    assert second.opened == [] and [a.alert_id for a in second.still_open] == [first_id]
    assert second.delivered == []
    (row,) = rows(con)
    assert (row["alert_id"], row["opened_at"], row["last_seen_at"]) == (first_id, at(0), at(1))
    assert row["occurrences"] == 2 and row["summary"] == "now worse"
    assert json.loads(row["evidence"]) == [
        {"payout_id": "po_1", "gateway": "100.00", "bank": "0.00"}
    ]
    assert len(webhook.posts) == 1

    # passes again: resolved, one "resolved" notice
    third = alerts.process([ok("payouts_match_bank", "blocking")], con=con, now=at(2), sinks=[sink])
    assert [a.alert_id for a in third.resolved] == [first_id]
    assert third.delivered == [(first_id, "resolved", "webhook")]
    (row,) = rows(con)
    assert (row["status"], row["resolved_at"], row["occurrences"]) == ("resolved", at(2), 2)
    assert len(webhook.posts) == 2

    # passing again changes nothing and sends nothing
    assert alerts.process([ok("payouts_match_bank")], con=con, now=at(3), sinks=[sink]).lines() == [
        "alerts: 0 opened, 0 still open, 0 resolved"
    ]
    assert len(webhook.posts) == 2

    # fails after the resolution: a new alert with a new id
    fifth = alerts.process(
        [fail("payouts_match_bank", "po_1", "blocking")], con=con, now=at(4), sinks=[sink]
    )
    (reopened,) = fifth.opened
    assert reopened.alert_id != first_id
    table = rows(con)
    assert [(r["alert_id"], r["status"], r["opened_at"]) for r in table] == [
        (first_id, "resolved", at(0)),
        (reopened.alert_id, "open", at(4)),
    ]
    assert [p["json"]["text"] for p in webhook.posts] == [
        "BLOCKING alert: payouts_match_bank (po_1): payouts_match_bank broke for po_1",
        "Resolved: payouts_match_bank (po_1) (blocking), open since 2026-11-02 02:00 UTC, seen 2×",
        "BLOCKING alert: payouts_match_bank (po_1): payouts_match_bank broke for po_1",
    ]


def test_key_level_resolution_and_absent_checks_untouched(con):
    alerts.process(
        [
            fail("payments_vs_invoices", "in_A"),
            fail("payments_vs_invoices", "in_B"),
            fail("freshness", "source:crm", "warning"),
        ],
        con=con,
        now=at(0),
        sinks=[],
    )
    assert len(rows(con, "status = 'open'")) == 3

    # the reconciliation ran again and only A still fails; freshness did not run this time
    outcome = alerts.process([fail("payments_vs_invoices", "in_A")], con=con, now=at(1), sinks=[])
    assert [a.key for a in outcome.still_open] == ["in_A"]
    assert [a.key for a in outcome.resolved] == ["in_B"]
    state = {(r["check_name"], r["key"]): r for r in rows(con)}
    assert state[("payments_vs_invoices", "in_A")]["status"] == "open"
    assert state[("payments_vs_invoices", "in_A")]["occurrences"] == 2
    assert state[("payments_vs_invoices", "in_B")]["status"] == "resolved"
    assert state[("payments_vs_invoices", "in_B")]["resolved_at"] == at(1)
    crm = state[("freshness", "source:crm")]
    assert (crm["status"], crm["last_seen_at"], crm["occurrences"]) == ("open", at(0), 1)

    # a check that passes wholly (one passed result, key "") resolves all its keys
    outcome = alerts.process([ok("payments_vs_invoices")], con=con, now=at(2), sinks=[])
    assert [a.key for a in outcome.resolved] == ["in_A"]
    assert [r["key"] for r in rows(con, "status = 'open'")] == ["source:crm"]
    # a check with no results at all in a run: nothing changes
    assert alerts.process([], con=con, now=at(3), sinks=[]).lines() == [
        "alerts: 0 opened, 0 still open, 0 resolved"
    ]
    assert [r["key"] for r in rows(con, "status = 'open'")] == ["source:crm"]


def test_evidence_decimals_and_dates_round_trip_exactly(con):
    evidence = [
        {
            "invoice_id": "in_1",
            "amount": Decimal("1234567890.123456789"),
            "zero": Decimal("0.00000000"),
            "jpy": Decimal("1500"),
            "day": datetime(2026, 10, 31).date(),
            "count": 3,
            "ratio": 0.5,
            "note": None,
            "path": Path("/tmp/x.csv"),
        }
    ]
    (alert,) = alerts.process(
        [fail("gl_cash", "2026-10", evidence=evidence)], con=con, now=at(0), sinks=[]
    ).opened
    stored = json.loads(rows(con)[0]["evidence"])
    assert stored == [
        {
            "invoice_id": "in_1",
            "amount": "1234567890.123456789",
            "zero": "0.00000000",
            "jpy": "1500",
            "day": "2026-10-31",
            "count": 3,
            "ratio": 0.5,
            "note": None,
            "path": "/tmp/x.csv",
        }
    ]
    assert Decimal(stored[0]["amount"]) == evidence[0]["amount"]
    assert alert.evidence_rows == stored


def test_evidence_from_duckdb_decimals(con):
    """Evidence straight from a DuckDB query: DECIMAL columns come back as Decimal."""
    sample = con.execute(
        "select 'po_9' as payout_id, 12.30::decimal(18, 2) as gateway, 0::decimal(18, 8) as bank"
    ).fetchall()
    evidence = [{"payout_id": p, "gateway": g, "bank": b} for p, g, b in sample]
    alerts.process([fail("payouts", "po_9", evidence=evidence)], con=con, now=at(0), sinks=[])
    assert json.loads(rows(con)[0]["evidence"]) == [
        {"payout_id": "po_9", "gateway": "12.30", "bank": "0.00000000"}
    ]


def test_contradictory_results_are_rejected_before_writing(con):
    with pytest.raises(ValueError, match="both passed and failed"):
        alerts.process([fail("c", "k"), CheckResult("c", "error", True, key="k")], con=con)
    with pytest.raises(ValueError, match="failing twice"):
        alerts.process([fail("c", "k"), fail("c", "k")], con=con, sinks=[])
    with pytest.raises(ValueError, match="severity"):
        CheckResult("c", "critical", False)  # type: ignore[arg-type]
    assert con.execute("select count(*) from information_schema.tables").fetchone()[0] == 0


def test_blocking_failures_and_severity_order():
    results = [
        fail("volume", "source:usage", "warning"),
        fail("ledger_balance", "", "blocking"),
        ok("bridge", "blocking"),
        fail("gl_revenue", "2026-10", "error"),
        fail("identity", "", "blocking"),
    ]
    assert [r.check_name for r in alerts.blocking_failures(results)] == [
        "ledger_balance",
        "identity",
    ]
    assert [r.check_name for r in alerts.failures_by_severity(results)] == [
        "ledger_balance",
        "identity",
        "gl_revenue",
        "volume",
    ]
    assert alerts.blocking_failures([ok("bridge", "blocking")]) == []


def test_process_opens_the_warehouse_path_itself(tmp_path):
    path = tmp_path / "wh" / "revstack.duckdb"
    outcome = alerts.process([fail("c", "k")], con=path, now=at(0), sinks=[])
    assert len(outcome.opened) == 1
    with duckdb.connect(str(path), read_only=True) as reader:
        assert reader.execute("select check_name, key, status from ops.alerts").fetchall() == [
            ("c", "k", "open")
        ]


# ------------------------------------------------------------------------------ webhook
def test_webhook_one_post_per_opened_alert_and_per_resolution(con, webhook):
    sink = WebhookSink(webhook.url, timeout=5)
    evidence = [
        {"balance_transaction": f"txn_{i}", "amount": Decimal(f"{i}.25")} for i in range(12)
    ]
    alerts.process(
        [
            fail(
                "bt_vs_payouts",
                "po_7",
                "blocking",
                evidence=evidence,
                summary="payout po_7 is 78.00 USD short of its balance transactions",
                period="2026-10",
                where=WHERE_PO_7,
            ),
            fail("usage_billed", "cus_9", "warning"),
            ok("ledger_balance", "blocking"),
        ],
        con=con,
        now=at(0),
        sinks=[sink],
    )
    assert len(webhook.posts) == 2
    assert all(p["path"] == "/services/T1/B2/secret" for p in webhook.posts)
    assert all(p["content_type"].startswith("application/json") for p in webhook.posts)
    post = next(p["json"] for p in webhook.posts if "bt_vs_payouts" in p["json"]["text"])
    assert post["text"] == (
        "BLOCKING alert: bt_vs_payouts (po_7): payout po_7 is 78.00 USD short of its balance "
        "transactions"
    )
    header, summary, fields, code, context = post["blocks"]
    assert header == {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": ":rotating_light: bt_vs_payouts (po_7)",
            "emoji": True,
        },
    }
    assert summary["text"]["text"] == "payout po_7 is 78.00 USD short of its balance transactions"
    assert [f["text"] for f in fields["fields"]] == [
        "*Severity*\nblocking",
        "*Check*\nbt_vs_payouts",
        "*Key*\npo_7",
        "*Period*\n2026-10",
        "*Opened*\n2026-11-02 02:00 UTC",
        "*Occurrences*\n1",
    ]
    table = code["text"]["text"]
    assert table.startswith("```balance_transaction  amount\ntxn_0                0.25\n")
    assert "txn_9                9.25\n… 2 more row(s) in the alerts table```" in table
    assert "txn_10" not in table
    assert context["elements"][0]["text"].startswith(
        "Where to look: `marts.rpt_reconciliation where check_name = 'bt_vs_payouts' and "
        "key = 'po_7'`"
    )
    # still failing next run: nothing sent; then both pass: one resolution each
    alerts.process(
        [fail("bt_vs_payouts", "po_7", "blocking"), fail("usage_billed", "cus_9", "warning")],
        con=con,
        now=at(1),
        sinks=[sink],
    )
    assert len(webhook.posts) == 2
    alerts.process(
        [ok("bt_vs_payouts", "blocking"), ok("usage_billed", "warning")],
        con=con,
        now=at(2),
        sinks=[sink],
    )
    resolved = [p["json"] for p in webhook.posts[2:]]
    assert sorted(p["text"] for p in resolved) == [
        "Resolved: bt_vs_payouts (po_7) (blocking), open since 2026-11-02 02:00 UTC, seen 2×",
        "Resolved: usage_billed (cus_9) (warning), open since 2026-11-02 02:00 UTC, seen 2×",
    ]
    bt = next(p for p in resolved if "bt_vs_payouts" in p["text"])
    assert bt["blocks"][0]["text"]["text"] == ":white_check_mark: Resolved: bt_vs_payouts (po_7)"
    assert "*Resolved*\n2026-11-02 04:00 UTC" in [f["text"] for f in bt["blocks"][2]["fields"]]
    assert len(webhook.posts) == 4


# ------------------------------------------------------------------------------ email
def test_email_reaches_smtp_server_with_subject_recipients_and_evidence(con, smtp):
    sink = EmailSink(
        host="127.0.0.1",
        port=smtp.port,
        sender="revstack@example.com",
        recipients=["finance@example.com", "oncall@example.com"],
        user="alerts-user",
        password="s3cret",
        starttls=False,
        timeout=5,
    )
    evidence = [{"account": "revenue_subscription", "gateway": Decimal("1200.50"), "gl": None}]
    outcome = alerts.process(
        [
            fail(
                "gl_revenue",
                "2026-10",
                "error",
                evidence=evidence,
                summary="revenue in the GL is 1,200.50 USD below the gateway for 2026-10",
                where="marts.rpt_reconciliation where check_name = 'gl_revenue'",
                period="2026-10",
            )
        ],
        con=con,
        now=at(0),
        sinks=[sink],
    )
    assert outcome.delivered == [(outcome.opened[0].alert_id, "opened", "email")]
    assert smtp.logins == [("alerts-user", "s3cret")]
    (mail,) = smtp.messages
    assert mail["from"] == "revstack@example.com"
    assert mail["to"] == ["finance@example.com", "oncall@example.com"]
    msg = mail["message"]
    assert msg["Subject"] == (
        "[revstack] ERROR: gl_revenue (2026-10): revenue in the GL is 1,200.50 USD below the "
        "gateway for 2026-10"
    )
    assert msg["To"] == "finance@example.com, oncall@example.com"
    body = msg.get_content().replace("\r\n", "\n")
    assert "Where to look: marts.rpt_reconciliation where check_name = 'gl_revenue'" in body
    assert "Period:        2026-10" in body
    assert "account               gateway  gl\nrevenue_subscription  1200.50" in body
    assert outcome.opened[0].alert_id in body

    alerts.process([ok("gl_revenue")], con=con, now=at(1), sinks=[sink])
    assert len(smtp.messages) == 2
    resolved = smtp.messages[1]["message"]
    assert resolved["Subject"] == "[revstack] resolved: gl_revenue (2026-10)"
    assert "Resolved:      2026-11-02 03:00:00 UTC" in resolved.get_content()


def test_email_starttls_required_but_not_offered_is_a_recorded_failure(con, smtp, caplog):
    sink = EmailSink("127.0.0.1", smtp.port, "a@example.com", ["b@example.com"], timeout=5)
    with caplog.at_level(logging.WARNING, logger="revstack.alerts"):
        outcome = alerts.process([fail("c", "k")], con=con, now=at(0), sinks=[sink])
    assert smtp.messages == []
    ((_, kind, name, error),) = outcome.failed
    assert (kind, name) == ("opened", "email")
    assert "STARTTLS" in error
    record = json.loads(rows(con)[0]["notified"])["email"]["opened"]
    assert record["status"] == "failed" and "STARTTLS" in record["error"]
    assert "retried on the next run" in caplog.text


# ------------------------------------------------------------------------------ failures
def test_unreachable_webhook_keeps_the_alert_and_retries_next_run(con, caplog):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    with caplog.at_level(logging.WARNING, logger="revstack.alerts"):
        first = alerts.process(
            [fail("freshness", "source:gateway", "error"), fail("volume", "source:crm")],
            con=con,
            now=at(0),
            sinks=[WebhookSink(url, timeout=2)],
        )
    assert len(first.opened) == 2 and first.delivered == []
    assert len(first.failed) == 2
    assert "cannot reach http://127.0.0.1" in first.failed[0][3]
    assert "not attempted: webhook unavailable" in first.failed[1][3]  # one timeout per run
    assert "not delivered to webhook" in caplog.text and "retried on the next run" in caplog.text
    assert first.lines()[-1] == (
        "  2 notification(s) not delivered (webhook); they are retried on the next run"
    )
    table = rows(con)
    assert [r["status"] for r in table] == ["open", "open"]
    assert all(r["delivery_pending"] for r in table)
    notified = json.loads(table[0]["notified"])["webhook"]["opened"]
    assert notified["status"] == "failed" and notified["attempts"] == 1

    receiver = WebhookReceiver(port)  # the receiver comes up at the same address
    try:
        second = alerts.process(
            [fail("freshness", "source:gateway", "error"), fail("volume", "source:crm")],
            con=con,
            now=at(1),
            sinks=[WebhookSink(url, timeout=2)],
        )
        assert second.opened == [] and len(second.still_open) == 2
        assert sorted(d[1:] for d in second.delivered) == [("opened", "webhook")] * 2
        assert sorted(p["json"]["text"] for p in receiver.posts) == [
            "ERROR alert: freshness (source:gateway): freshness broke for source:gateway",
            "ERROR alert: volume (source:crm): volume broke for source:crm",
        ]
        table = rows(con)
        assert not any(r["delivery_pending"] for r in table)
        record = json.loads(table[0]["notified"])["webhook"]["opened"]
        assert (record["status"], record["attempts"], "error" in record) == ("sent", 2, False)
        # delivered once: a third run sends nothing more
        alerts.process(
            [fail("freshness", "source:gateway", "error"), fail("volume", "source:crm")],
            con=con,
            now=at(2),
            sinks=[WebhookSink(url, timeout=2)],
        )
        assert len(receiver.posts) == 2
    finally:
        receiver.stop()


def test_http_500_is_recorded_and_delivered_when_the_receiver_recovers(con, webhook):
    webhook.status = 500
    sink = WebhookSink(webhook.url, timeout=5)
    first = alerts.process([fail("bridge", "", "blocking")], con=con, now=at(0), sinks=[sink])
    ((alert_id, kind, name, error),) = first.failed
    assert (kind, name) == ("opened", "webhook")
    assert error.startswith("SinkUnavailable: HTTP 500")
    assert "boom" in error and "secret" not in error  # the webhook's secret path is not logged
    (row,) = rows(con)
    assert (row["alert_id"], row["status"], row["delivery_pending"]) == (alert_id, "open", True)
    assert json.loads(row["notified"])["webhook"]["opened"]["status"] == "failed"

    webhook.status = 200
    second = alerts.process([fail("bridge", "", "blocking")], con=con, now=at(1), sinks=[sink])
    assert second.delivered == [(alert_id, "opened", "webhook")]
    assert len(webhook.delivered()) == 1 and len(webhook.posts) == 2
    assert webhook.delivered()[0]["text"].startswith("BLOCKING alert: bridge:")
    assert rows(con)[0]["delivery_pending"] is False


def test_resolution_before_first_delivery_sends_only_the_resolution(con, webhook):
    webhook.status = 500
    sink = WebhookSink(webhook.url, timeout=5)
    alerts.process([fail("identity", "", "warning")], con=con, now=at(0), sinks=[sink])
    webhook.status = 200
    outcome = alerts.process([ok("identity", "warning")], con=con, now=at(1), sinks=[sink])
    assert [d[1] for d in outcome.delivered] == ["resolved"]
    assert [p["text"].split(":")[0] for p in webhook.delivered()] == ["Resolved"]
    notified = json.loads(rows(con)[0]["notified"])["webhook"]
    assert (notified["opened"]["status"], notified["resolved"]["status"]) == ("superseded", "sent")


def test_one_failing_sink_does_not_stop_another(con, webhook, smtp):
    webhook.status = 500
    sinks = [
        WebhookSink(webhook.url, timeout=5),
        EmailSink("127.0.0.1", smtp.port, "a@example.com", ["b@example.com"], starttls=False),
    ]
    outcome = alerts.process([fail("c", "k")], con=con, now=at(0), sinks=sinks)
    assert [(d[1], d[2]) for d in outcome.delivered] == [("opened", "email")]
    assert [(f[1], f[2]) for f in outcome.failed] == [("opened", "webhook")]
    assert len(smtp.messages) == 1
    notified = json.loads(rows(con)[0]["notified"])
    assert notified["email"]["opened"]["status"] == "sent"
    assert notified["webhook"]["opened"]["status"] == "failed"


# ------------------------------------------------------------------------------ settings
def test_dotenv_parsing(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "# a comment\n"
        "\n"
        "REVSTACK_SMTP_HOST=smtp.example.com  # inline comment\n"
        "export REVSTACK_SMTP_PORT=2525\n"
        "REVSTACK_SMTP_PASSWORD='p#ss word'\n"
        'REVSTACK_ALERT_EMAIL_FROM="Rev Stack <rev@example.com>"\n'
        'QUOTED_ESCAPES="a\\"b\\nc"\n'
        "REVSTACK_ALERT_EMAIL_TO = a@example.com, b@example.com\n"
        "EMPTY=\n"
        "not an assignment\n"
    )
    assert config.dotenv_values(env) == {
        "REVSTACK_SMTP_HOST": "smtp.example.com",
        "REVSTACK_SMTP_PORT": "2525",
        "REVSTACK_SMTP_PASSWORD": "p#ss word",
        "REVSTACK_ALERT_EMAIL_FROM": "Rev Stack <rev@example.com>",
        "QUOTED_ESCAPES": 'a"b\nc',
        "REVSTACK_ALERT_EMAIL_TO": "a@example.com, b@example.com",
        "EMPTY": "",
    }
    assert config.dotenv_values(tmp_path / "missing.env") == {}


def test_settings_from_home_dotenv_with_environment_winning(tmp_path, monkeypatch):
    for name in (
        "REVSTACK_ALERT_WEBHOOK_URL",
        "REVSTACK_ALERT_TIMEOUT",
        "REVSTACK_SMTP_HOST",
        "REVSTACK_SMTP_PORT",
        "REVSTACK_SMTP_USER",
        "REVSTACK_SMTP_PASSWORD",
        "REVSTACK_SMTP_STARTTLS",
        "REVSTACK_ALERT_EMAIL_FROM",
        "REVSTACK_ALERT_EMAIL_TO",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    monkeypatch.setattr(config, "PROJECT_ROOT", tmp_path / "no_project_root")
    assert alerts.sinks_from_settings() == []  # nothing configured: the table only

    (tmp_path / ".env").write_text(
        "REVSTACK_ALERT_WEBHOOK_URL=http://127.0.0.1:9/from-file\n"
        "REVSTACK_ALERT_TIMEOUT=3\n"
        "REVSTACK_SMTP_HOST=mail.example.com\n"
        "REVSTACK_SMTP_STARTTLS=false\n"
        "REVSTACK_SMTP_USER=bot@example.com\n"
        "REVSTACK_ALERT_EMAIL_TO=a@example.com,b@example.com\n"
    )
    monkeypatch.setenv("REVSTACK_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/from-env")
    webhook_sink, email_sink = alerts.sinks_from_settings()
    assert isinstance(webhook_sink, WebhookSink) and isinstance(email_sink, EmailSink)
    assert (webhook_sink.url, webhook_sink.timeout) == ("http://127.0.0.1:9/from-env", 3.0)
    assert (email_sink.host, email_sink.port, email_sink.starttls) == (
        "mail.example.com",
        25,
        False,
    )
    assert email_sink.sender == "bot@example.com"  # no FROM: the user, being an address
    assert email_sink.recipients == ["a@example.com", "b@example.com"]

    monkeypatch.setenv("REVSTACK_SMTP_STARTTLS", "maybe")
    with pytest.raises(ValueError, match="REVSTACK_SMTP_STARTTLS='maybe' is not a boolean"):
        alerts.sinks_from_settings()
    monkeypatch.setenv("REVSTACK_SMTP_STARTTLS", "true")
    monkeypatch.setenv("REVSTACK_ALERT_WEBHOOK_URL", "")  # set but empty: wins, and means off
    (only_email,) = alerts.sinks_from_settings()
    assert isinstance(only_email, EmailSink) and only_email.port == 587


def test_alerts_are_published_to_the_serving_snapshot(tmp_path):
    from revstack import serving

    warehouse = tmp_path / "revstack.duckdb"
    alerts.process([fail("gl_tax", "2026-10", "warning")], con=warehouse, now=at(0), sinks=[])
    result = serving.publish(warehouse=warehouse, serving=tmp_path / "serving.duckdb")
    assert result.tables["ops.alerts"] == 1
    with serving.connect_snapshot(result.path) as reader:
        assert alerts.open_alerts(reader)[0].title == "gl_tax (2026-10)"

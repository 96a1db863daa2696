"""Alerts: the lifecycle and delivery of alerts raised by failing checks (DESIGN §6).

The checks produce :class:`CheckResult` values; :func:`process` turns them into alerts in the
working warehouse's ``ops.alerts`` table and notifies the sinks (a Slack-compatible webhook, SMTP
email). The table is always a sink: an alert is recorded before anything is sent, so a sink that
is down never loses it.

Lifecycle, per fingerprint ``(check_name, key)``:

* a failure with no open alert **opens** one (a new ``alert_id``) and notifies every sink once;
* a failure whose alert is already open is **still open**: ``last_seen_at``, ``occurrences``,
  summary and evidence are refreshed, and nothing is sent;
* a check that ran and no longer fails for a key **resolves** that key's open alert
  (``resolved_at``) and sends a "resolved" notice;
* a failure after a resolution opens a new alert.

What a key names is the check's choice, and it is the unit of deduplication: one alert per root
cause, not per row. A check whose key names one object (a payout, an invoice, a customer, a CRM
account) alerts per object; the reconciliation checks of gateway vs GL cash, revenue, tax and fees,
whose keys slice one monthly total by currency, alert once per check × period with the key
``<period>`` and every breaking key in the evidence (``checks.GROUPED_BY_PERIOD``), so a GL
sync that stops for a week opens one alert per check, not one per currency, and it resolves when
no key of that month breaks any more.

The results of one check name are the complete set of its failing keys for that run: if a check
reported keys A and B last time and only A now, B's alert resolves. A check that ran and passed
wholly is given as one passed result with ``key=""``. A check absent from the results did not run,
and its alerts are left as they are.

Delivery is at least once and recorded per sink and per notice in ``notified``. A sink failure is
logged and the notice stays pending; every :func:`process` call first retries what is pending.
When a sink cannot be reached at all, its other notices wait for the next run instead of each
paying the timeout again.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb

from revstack import config

log = logging.getLogger(__name__)

Severity = Literal["blocking", "error", "warning"]
# Most severe first. "blocking" stops the publish step; "error" and "warning" only alert.
SEVERITIES: tuple[str, ...] = ("blocking", "error", "warning")

ALERTS_SCHEMA = "ops"
ALERTS_TABLE = f"{ALERTS_SCHEMA}.alerts"
MAX_EVIDENCE_ROWS = 50  # stored per alert; a check should send a sample, not the whole break
NOTICE_EVIDENCE_ROWS = 10  # shown in a webhook post or an email
NoticeKind = Literal["opened", "resolved"]


def severity_rank(severity: str) -> int:
    """0 for the most severe (blocking); for sorting alerts worst first."""
    return SEVERITIES.index(severity)


# ------------------------------------------------------------------------------------- input
@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check for one key in one build.

    ``key`` names what the break is about (a payout id, ``source:gateway``); ``""`` means the whole
    check. ``evidence`` is a small list of JSON-serialisable rows (Decimal, date and datetime are
    stored as exact strings). ``where`` says where to look: a table or model and a filter
    (``marts.rpt_reconciliation where check_name = 'payouts' and key = 'po_123'``) or a file path.
    """

    check_name: str
    severity: Severity
    passed: bool
    key: str = ""
    summary: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    where: str = ""
    period: str | None = None

    def __post_init__(self) -> None:
        if not self.check_name:
            raise ValueError("a CheckResult needs a check_name")
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"{self.check_name}: severity {self.severity!r} is not one of {SEVERITIES}"
            )
        if self.key is None:
            object.__setattr__(self, "key", "")
        if isinstance(self.period, date):
            object.__setattr__(self, "period", self.period.isoformat())


def blocking_failures(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The failing results of blocking severity: if any, the build must not publish."""
    return [r for r in results if not r.passed and r.severity == "blocking"]


def failures_by_severity(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The failing results, most severe first (stable within a severity)."""
    return sorted((r for r in results if not r.passed), key=lambda r: severity_rank(r.severity))


# ---------------------------------------------------------------------------------- evidence
def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # fixed-point text keeps every digit and the scale (str() would give '0E-8' for 0.00000000)
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    # anything else (UUID, Path, …) as its text: evidence that is not quite JSON must not cost
    # the alert
    return str(value)


def evidence_json(evidence: Sequence[dict[str, Any]]) -> str:
    """The evidence as JSON text, at most :data:`MAX_EVIDENCE_ROWS` rows; Decimals as strings."""
    rows = list(evidence)[:MAX_EVIDENCE_ROWS]
    return json.dumps(rows, default=_json_default, ensure_ascii=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def evidence_table(rows: Sequence[dict[str, Any]], limit: int = NOTICE_EVIDENCE_ROWS) -> str:
    """Rows as a small aligned text table, for a code block or a plain-text email."""
    if not rows:
        return "(no evidence rows)"
    shown = list(rows)[:limit]
    columns: list[str] = []
    for row in shown:
        columns.extend(c for c in row if c not in columns)
    cells = [[_cell(row.get(c)) for c in columns] for row in shown]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
    if len(rows) > limit:
        lines.append(f"… {len(rows) - limit} more row(s) in the alerts table")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------- alerts
@dataclass
class Alert:
    """One row of ``ops.alerts``."""

    alert_id: str
    check_name: str
    key: str
    severity: str
    status: str  # open | resolved
    summary: str
    evidence: str  # JSON text
    where_to_look: str
    period: str | None
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    occurrences: int
    notified: dict[str, dict[str, dict[str, Any]]]  # sink -> notice kind -> delivery record
    delivery_pending: bool

    @property
    def evidence_rows(self) -> list[dict[str, Any]]:
        return json.loads(self.evidence or "[]")

    @property
    def title(self) -> str:
        return f"{self.check_name} ({self.key})" if self.key else self.check_name

    def line(self) -> str:
        """One line for a terminal or a log."""
        return f"[{self.severity}] {self.title}: {self.summary}"


@dataclass
class Outcome:
    """What one :func:`process` call did."""

    opened: list[Alert] = field(default_factory=list)
    still_open: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    delivered: list[tuple[str, str, str]] = field(default_factory=list)  # (alert_id, kind, sink)
    failed: list[tuple[str, str, str, str]] = field(default_factory=list)  # (..., error)

    def lines(self) -> list[str]:
        """A summary to print after a build."""
        out = [
            f"alerts: {len(self.opened)} opened, {len(self.still_open)} still open, "
            f"{len(self.resolved)} resolved"
        ]
        out.extend(f"  opened    {a.line()}" for a in self.opened)
        out.extend(f"  open      {a.line()}" for a in self.still_open)
        out.extend(f"  resolved  [{a.severity}] {a.title}" for a in self.resolved)
        if self.failed:
            sinks = sorted({sink for _, _, sink, _ in self.failed})
            out.append(
                f"  {len(self.failed)} notification(s) not delivered ({', '.join(sinks)}); "
                "they are retried on the next run"
            )
        return out


# --------------------------------------------------------------------------------------- sinks
class SinkUnavailable(Exception):
    """The sink cannot be reached at all: its other notices wait for the next run."""


class Sink(Protocol):
    name: str

    def send(self, kind: NoticeKind, alert: Alert) -> None:
        """Deliver one notice or raise (``SinkUnavailable`` when the sink is unreachable)."""


def notice_text(kind: NoticeKind, alert: Alert) -> str:
    """The one-line text of a notice (Slack's notification text, the email subject's core)."""
    if kind == "opened":
        return f"{alert.severity.upper()} alert: {alert.title}: {alert.summary}"
    return (
        f"Resolved: {alert.title} ({alert.severity}), open since "
        f"{alert.opened_at:%Y-%m-%d %H:%M} UTC, seen {alert.occurrences}×"
    )


def slack_payload(kind: NoticeKind, alert: Alert) -> dict[str, Any]:
    """A Slack-compatible message: ``text`` (the fallback and notification) and ``blocks``."""
    icon = {"blocking": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:"}
    header = f"{icon.get(alert.severity, '')} " if kind == "opened" else ":white_check_mark: "
    header += f"{'Resolved: ' if kind == 'resolved' else ''}{alert.title}"
    fields = [
        f"*Severity*\n{alert.severity}",
        f"*Check*\n{alert.check_name}",
        f"*Key*\n{alert.key or '(whole check)'}",
        f"*Period*\n{alert.period or '-'}",
        f"*Opened*\n{alert.opened_at:%Y-%m-%d %H:%M} UTC",
    ]
    if kind == "resolved" and alert.resolved_at is not None:
        fields.append(f"*Resolved*\n{alert.resolved_at:%Y-%m-%d %H:%M} UTC")
    else:
        fields.append(f"*Occurrences*\n{alert.occurrences}")
    evidence = evidence_table(alert.evidence_rows)
    if len(evidence) > 2800:  # Slack's limit for a section's text is 3000 characters
        evidence = evidence[:2800] + "\n…"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.summary[:2900] or "-"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    if kind == "opened":
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"```{evidence}```"}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Where to look: `{alert.where_to_look or '-'}` · "
                    f"alert `{alert.alert_id}` in `{ALERTS_TABLE}`",
                }
            ],
        }
    )
    return {"text": notice_text(kind, alert), "blocks": blocks}


def _redact(url: str) -> str:
    """A webhook URL without its secret path, for logs."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") else url


class WebhookSink:
    """Posts :func:`slack_payload` JSON to a (Slack-compatible) incoming webhook."""

    def __init__(self, url: str, timeout: float = 10.0, name: str = "webhook") -> None:
        self.url = url
        self.timeout = timeout
        self.name = name

    def __repr__(self) -> str:
        return f"WebhookSink({_redact(self.url)!r})"

    def send(self, kind: NoticeKind, alert: Alert) -> None:
        body = json.dumps(slack_payload(kind, alert), ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            message = f"HTTP {exc.code} {exc.reason} from {_redact(self.url)}"
            message += f": {detail}" if detail else ""
            if exc.code >= 500:
                raise SinkUnavailable(message) from exc
            raise RuntimeError(message) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SinkUnavailable(f"cannot reach {_redact(self.url)}: {reason}") from exc


class EmailSink:
    """Sends a plain-text email per notice through SMTP (optional STARTTLS and login)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        user: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 10.0,
        name: str = "email",
    ) -> None:
        if not recipients:
            raise ValueError("an EmailSink needs at least one recipient")
        self.host, self.port = host, port
        self.sender, self.recipients = sender, list(recipients)
        self.user, self.password = user, password
        self.starttls, self.timeout, self.name = starttls, timeout, name

    def __repr__(self) -> str:
        return f"EmailSink({self.host}:{self.port} → {', '.join(self.recipients)})"

    def message(self, kind: NoticeKind, alert: Alert) -> EmailMessage:
        msg = EmailMessage()
        if kind == "opened":
            subject = f"[revstack] {alert.severity.upper()}: {alert.title}: {alert.summary}"
        else:
            subject = f"[revstack] resolved: {alert.title}"
        msg["Subject"] = subject[:200]
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid(domain="revstack")
        lines = [notice_text(kind, alert), ""]
        lines.append(f"Severity:      {alert.severity}")
        lines.append(f"Check:         {alert.check_name}")
        lines.append(f"Key:           {alert.key or '(whole check)'}")
        lines.append(f"Period:        {alert.period or '-'}")
        lines.append(f"Opened:        {alert.opened_at:%Y-%m-%d %H:%M:%S} UTC")
        lines.append(f"Last seen:     {alert.last_seen_at:%Y-%m-%d %H:%M:%S} UTC")
        if alert.resolved_at is not None:
            lines.append(f"Resolved:      {alert.resolved_at:%Y-%m-%d %H:%M:%S} UTC")
        lines.append(f"Occurrences:   {alert.occurrences}")
        lines.append(f"Where to look: {alert.where_to_look or '-'}")
        lines.append("")
        lines.append(f"Summary: {alert.summary}")
        lines.append("")
        lines.append("Evidence:")
        lines.append(evidence_table(alert.evidence_rows))
        lines.append("")
        lines.append(f"Alert {alert.alert_id} in {ALERTS_TABLE}.")
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def send(self, kind: NoticeKind, alert: Alert) -> None:
        msg = self.message(kind, alert)
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise SinkUnavailable(f"cannot reach SMTP {self.host}:{self.port}: {exc}") from exc
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls()
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password or "")
            refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=self.recipients)
            if refused:
                log.warning("SMTP %s:%s refused recipient(s) %s", self.host, self.port, refused)
        except (
            smtplib.SMTPServerDisconnected,
            smtplib.SMTPAuthenticationError,
            smtplib.SMTPNotSupportedError,
            OSError,
        ) as exc:
            raise SinkUnavailable(f"SMTP {self.host}:{self.port}: {exc}") from exc
        except smtplib.SMTPException as exc:
            raise RuntimeError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def sinks_from_settings() -> list[Sink]:
    """The sinks configured by the settings (see ``.env.example``); none = the table only."""
    sinks: list[Sink] = []
    timeout = config.alert_timeout_seconds()
    url = config.alert_webhook_url()
    if url:
        sinks.append(WebhookSink(url, timeout=timeout))
    host = config.smtp_host()
    recipients = config.alert_email_to()
    if host and not recipients:
        log.warning("REVSTACK_SMTP_HOST is set but REVSTACK_ALERT_EMAIL_TO is empty: no email")
    elif recipients and not host:
        log.warning("REVSTACK_ALERT_EMAIL_TO is set but REVSTACK_SMTP_HOST is empty: no email")
    elif host:
        user = config.smtp_user()
        sender = config.alert_email_from() or (user if user and "@" in user else None)
        sinks.append(
            EmailSink(
                host=host,
                port=config.smtp_port(),
                sender=sender or "revstack@localhost",
                recipients=recipients,
                user=user,
                password=config.smtp_password(),
                starttls=config.smtp_starttls(),
                timeout=timeout,
            )
        )
    return sinks


# --------------------------------------------------------------------------------------- table
_COLUMNS = (
    "alert_id",
    "check_name",
    "key",
    "severity",
    "status",
    "summary",
    "evidence",
    "where_to_look",
    "period",
    "opened_at",
    "last_seen_at",
    "resolved_at",
    "occurrences",
    "notified",
    "delivery_pending",
)

_DDL = f"""
create schema if not exists {ALERTS_SCHEMA};
create table if not exists {ALERTS_TABLE} (
    alert_id varchar primary key,      -- a new id each time a fingerprint opens
    check_name varchar not null,
    key varchar not null,              -- what the break is about; '' = the whole check
    severity varchar not null,         -- blocking | error | warning
    status varchar not null,           -- open | resolved
    summary varchar not null,
    evidence varchar not null,         -- JSON array of rows (latest run); Decimals as strings
    where_to_look varchar not null,
    period varchar,
    opened_at timestamp not null,      -- UTC
    last_seen_at timestamp not null,   -- UTC, the last run that saw it failing
    resolved_at timestamp,             -- UTC
    occurrences integer not null,      -- runs that saw it failing
    notified varchar not null,         -- JSON: sink -> opened/resolved -> status, at, attempts
    delivery_pending boolean not null  -- some notice to a sink is not delivered yet
)
"""


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``ops.alerts`` if it does not exist."""
    con.execute(_DDL)


def _row_to_alert(row: tuple) -> Alert:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["notified"] = json.loads(values["notified"] or "{}")
    return Alert(**values)


def load_alerts(
    con: duckdb.DuckDBPyConnection, where: str = "true", params: Sequence[Any] = ()
) -> list[Alert]:
    """Alerts matching a SQL condition (on ``ops.alerts``' columns), oldest first."""
    rows = con.execute(
        f"select {', '.join(_COLUMNS)} from {ALERTS_TABLE} where {where} "
        "order by opened_at, check_name, key, alert_id",
        list(params),
    ).fetchall()
    return [_row_to_alert(r) for r in rows]


def open_alerts(con: duckdb.DuckDBPyConnection) -> list[Alert]:
    """The open alerts, most severe first."""
    alerts = load_alerts(con, "status = 'open'")
    return sorted(alerts, key=lambda a: severity_rank(a.severity))


def _pending(notified: dict[str, dict[str, dict[str, Any]]]) -> bool:
    return any(
        record.get("status") in ("pending", "failed")
        for notices in notified.values()
        for record in notices.values()
    )


def _save(con: duckdb.DuckDBPyConnection, alert: Alert, insert: bool = False) -> None:
    alert.delivery_pending = _pending(alert.notified)
    values = [getattr(alert, c) for c in _COLUMNS]
    values[_COLUMNS.index("notified")] = json.dumps(alert.notified, sort_keys=True)
    if insert:
        placeholders = ", ".join("?" for _ in _COLUMNS)
        con.execute(
            f"insert into {ALERTS_TABLE} ({', '.join(_COLUMNS)}) values ({placeholders})", values
        )
    else:
        assignments = ", ".join(f"{c} = ?" for c in _COLUMNS[1:])
        con.execute(
            f"update {ALERTS_TABLE} set {assignments} where alert_id = ?", values[1:] + values[:1]
        )


# ------------------------------------------------------------------------------------ process
def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _group(results: Iterable[CheckResult]) -> dict[str, dict[str, CheckResult]]:
    """check_name -> failing key -> result; a check that ran and passed maps to {}."""
    ran: dict[str, dict[str, CheckResult]] = {}
    passed: set[tuple[str, str]] = set()
    for result in results:
        failing = ran.setdefault(result.check_name, {})
        fingerprint = (result.check_name, result.key)
        if result.passed:
            if result.key in failing:
                raise ValueError(f"{fingerprint} is reported both passed and failed")
            passed.add(fingerprint)
            continue
        if result.key in failing:
            raise ValueError(f"{fingerprint} is reported failing twice in one run")
        if fingerprint in passed:
            raise ValueError(f"{fingerprint} is reported both passed and failed")
        failing[result.key] = result
    return ran


def process(
    results: Iterable[CheckResult],
    con: duckdb.DuckDBPyConnection | str | Path | None = None,
    now: datetime | None = None,
    sinks: Sequence[Sink] | None = None,
) -> Outcome:
    """Record this build's check results as alerts and notify the sinks.

    ``con`` is a connection to the working warehouse (or a path to it; default
    ``config.warehouse_path()``). ``now`` is the run's time (default: now, UTC). ``sinks`` default
    to :func:`sinks_from_settings`; ``[]`` means the table only. Raises ``ValueError`` on
    contradictory results (one fingerprint both passed and failed, or failing twice) before
    writing anything; a sink failure never raises.
    """
    grouped = _group(results)
    now = _naive_utc(now or _utcnow())
    sinks = sinks_from_settings() if sinks is None else list(sinks)
    names = [s.name for s in sinks]
    if len(set(names)) != len(names):
        raise ValueError(f"sink names must be unique: {names}")

    own = not isinstance(con, duckdb.DuckDBPyConnection)
    if own:
        path = Path(con) if con is not None else config.warehouse_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
    try:
        ensure_table(con)
        outcome = _record(con, grouped, now, names)
        _deliver(con, sinks, now, outcome)
    finally:
        if own:
            con.close()
    for alert in outcome.opened:
        log.info("alert opened: %s", alert.line())
    for alert in outcome.resolved:
        log.info("alert resolved: [%s] %s", alert.severity, alert.title)
    return outcome


def _record(
    con: duckdb.DuckDBPyConnection,
    grouped: dict[str, dict[str, CheckResult]],
    now: datetime,
    sink_names: list[str],
) -> Outcome:
    """Write the transitions in one transaction, each new notice pending for every sink."""
    outcome = Outcome()
    if not grouped:
        return outcome
    con.execute("begin transaction")
    try:
        current = {
            (a.check_name, a.key): a
            for a in load_alerts(con, "status = 'open' and check_name = any(?)", [list(grouped)])
        }
        for check_name, failing in grouped.items():
            for key, result in failing.items():
                alert = current.get((check_name, key))
                evidence = evidence_json(result.evidence)
                if alert is None:
                    alert = Alert(
                        alert_id=uuid.uuid4().hex,
                        check_name=check_name,
                        key=key,
                        severity=result.severity,
                        status="open",
                        summary=result.summary,
                        evidence=evidence,
                        where_to_look=result.where,
                        period=result.period,
                        opened_at=now,
                        last_seen_at=now,
                        resolved_at=None,
                        occurrences=1,
                        notified={n: {"opened": {"status": "pending"}} for n in sink_names},
                        delivery_pending=False,
                    )
                    _save(con, alert, insert=True)
                    outcome.opened.append(alert)
                else:
                    alert.severity = result.severity
                    alert.summary = result.summary
                    alert.evidence = evidence
                    alert.where_to_look = result.where
                    alert.period = result.period
                    alert.last_seen_at = now
                    alert.occurrences += 1
                    _save(con, alert)
                    outcome.still_open.append(alert)
        for (check_name, key), alert in current.items():
            if key in grouped[check_name]:
                continue
            alert.status = "resolved"
            alert.resolved_at = now
            # the resolution goes to the sinks that were told (or meant to be told) of the alert;
            # a sink that never got the "opened" notice gets the resolution alone, which tells
            # the whole story, instead of a stale "opened" followed by "resolved"
            for notices in alert.notified.values():
                opened = notices.get("opened", {})
                if opened.get("status") in ("pending", "failed"):
                    opened["status"] = "superseded"
                notices["resolved"] = {"status": "pending"}
            _save(con, alert)
            outcome.resolved.append(alert)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcome


def _deliver(
    con: duckdb.DuckDBPyConnection, sinks: Sequence[Sink], now: datetime, outcome: Outcome
) -> None:
    """Send every pending notice (this run's and earlier runs' undelivered ones), then record."""
    if not sinks:
        return
    unavailable: dict[str, str] = {}
    stamp = now.isoformat(timespec="seconds")
    for alert in load_alerts(con, "delivery_pending"):
        changed = False
        for sink in sinks:
            notices = alert.notified.get(sink.name, {})
            for kind in ("opened", "resolved"):
                record = notices.get(kind)
                if record is None or record.get("status") not in ("pending", "failed"):
                    continue
                changed = True
                if sink.name in unavailable:
                    record.update(status="failed", error=unavailable[sink.name])
                    outcome.failed.append((alert.alert_id, kind, sink.name, record["error"]))
                    continue
                record["attempts"] = record.get("attempts", 0) + 1
                record["at"] = stamp
                try:
                    sink.send(kind, alert)  # type: ignore[arg-type]
                except Exception as exc:  # a sink must never crash the run
                    error = f"{type(exc).__name__}: {exc}"
                    record.update(status="failed", error=error)
                    if isinstance(exc, SinkUnavailable):
                        unavailable[sink.name] = f"not attempted: {sink.name} unavailable ({exc})"
                    log.warning(
                        "alert %s %s (%s): %s notice not delivered to %s: %s; "
                        "the alert is recorded and delivery is retried on the next run",
                        alert.alert_id,
                        alert.title,
                        alert.severity,
                        kind,
                        sink.name,
                        error,
                    )
                    outcome.failed.append((alert.alert_id, kind, sink.name, error))
                else:
                    record.pop("error", None)
                    record["status"] = "sent"
                    outcome.delivered.append((alert.alert_id, kind, sink.name))
        if changed:
            _save(con, alert)
    # keep the Outcome's alerts in step with what was recorded
    ids = [a.alert_id for a in (*outcome.opened, *outcome.still_open, *outcome.resolved)]
    saved = {a.alert_id: a for a in load_alerts(con, "alert_id = any(?)", [ids])} if ids else {}
    for bucket in (outcome.opened, outcome.still_open, outcome.resolved):
        bucket[:] = [saved.get(a.alert_id, a) for a in bucket]

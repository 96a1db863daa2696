"""The checks step (DESIGN §6): what a build's checks found, as :class:`alerts.CheckResult`.

Two kinds of results feed the alerts:

* :func:`warehouse_results` reads the check marts the dbt build just made — the cross-system
  reconciliation (``marts.rpt_reconciliation``: every ``break`` is an alert keyed by period and
  key, with the rows of both sides from ``rpt_reconciliation_exceptions``; the checks of
  :data:`GROUPED_BY_PERIOD`, whose keys slice one monthly total, alert once per period with the
  breaking keys as evidence), volume anomalies
  (``marts.rpt_source_volume_daily``) and freshness (``marts.rpt_source_freshness``). The
  ``ops/checks`` asset processes them inside the build, before the publish step.
* :func:`run_results` reads a finished Dagster run's events: every asset check (a source's
  contract, each dbt test) and every failed step. A failed check of ERROR severity is blocking —
  it is what stopped the publish step — and alerts as such. :func:`post_run` processes them after
  every build (the CLI calls it; a run-status sensor does for scheduled runs), records the build
  in ``ops.builds`` and refreshes the snapshot's ``ops`` schema, so the app shows the alerts and
  says the marts it shows are from the last good build.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from revstack import alerts, config, serving
from revstack.alerts import CheckResult
from revstack.locking import LOCK_WAIT_SECONDS, warehouse_lock

# rpt_reconciliation's severity → the alert's. A break between systems alerts; it never stops
# the publish step (the marts are right about each system; the systems disagree).
RECON_SEVERITY = {"high": "error", "medium": "warning", "low": "warning"}
EVIDENCE_ROWS = 10
CENT = Decimal("0.01")

# The checks whose keys slice one monthly total (a currency; a currency's receipts or payouts).
# One root cause — a GL sync that stopped for a week, a tax rate the GL did not follow — breaks
# several keys of the same month at once, so they alert once per check × period (key
# ``<period>``), with every breaking key and its figures as evidence, and resolve when no key of
# that period breaks any more. Their amounts are all in the reporting currency, so the summary
# gives the period's total difference. Every other reconciliation check's key names one object
# — a payout, an invoice, a subscription, a usage customer, a CRM account or opportunity — and
# alerts per key (``<period>:<key>``): the key is what someone has to fix, and grouping would hide
# it.
GROUPED_BY_PERIOD = frozenset(
    {"gateway_vs_gl_cash", "gateway_vs_gl_revenue", "gateway_vs_gl_tax", "gateway_vs_gl_fees"}
)
SUMMARY_KEYS = 4  # the largest differences named in a grouped alert's summary


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (n,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return n > 0


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _evidence(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    value = json.loads(text)
    rows = value if isinstance(value, list) else [value]
    return [r if isinstance(r, dict) else {"value": r} for r in rows[:EVIDENCE_ROWS]]


def reconciliation_results(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Every break of ``marts.rpt_reconciliation`` as a failing result.

    A check in :data:`GROUPED_BY_PERIOD` alerts once per period (key ``<period>``), with every
    breaking key and its figures as evidence; any other check once per key (``<period>:<key>``),
    with both sides' rows from ``rpt_reconciliation_exceptions``."""
    if not _table_exists(con, "marts", "rpt_reconciliation"):
        return []
    names = [
        name
        for (name,) in con.execute(
            "select distinct check_name from marts.rpt_reconciliation"
        ).fetchall()
    ]
    breaks = _rows(
        con,
        """
        select r.check_name, r.period, r.key, r.left_amount, r.right_amount, r.difference,
               r.unit, r.severity, r.left_source, r.right_source,
               e.left_evidence, e.right_evidence, e.where_to_look
        from marts.rpt_reconciliation as r
        left join marts.rpt_reconciliation_exceptions as e
            on r.check_name = e.check_name and r.period is not distinct from e.period
                and r.key = e.key
        where r.status = 'break'
        order by r.check_name, r.period, r.key
        """,
    )
    results: list[CheckResult] = []
    grouped: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for b in breaks:
        period = str(b["period"]) if b["period"] is not None else None
        if b["check_name"] in GROUPED_BY_PERIOD:
            grouped.setdefault((b["check_name"], period), []).append(b)
        else:
            results.append(_break_result(b, period))
    results += [_period_result(check, period, rows) for (check, period), rows in grouped.items()]
    failing = {b["check_name"] for b in breaks}
    results += [
        CheckResult(f"reconciliation:{n}", "error", True) for n in names if n not in failing
    ]
    return results


def _break_result(b: dict[str, Any], period: str | None) -> CheckResult:
    """One break of a check whose key names one object: its figures and both sides' rows."""
    unit = f" {b['unit']}" if b["unit"] else ""
    left = _evidence(b["left_evidence"])
    problem = next((r["problem"] for r in left if r.get("problem")), None)
    evidence = [
        {
            "side": "figures",
            "left": b["left_amount"],
            "right": b["right_amount"],
            "difference": b["difference"],
        },
        *({"side": "left", **r} for r in left),
        *({"side": "right", **r} for r in _evidence(b["right_evidence"])),
    ]
    return CheckResult(
        check_name=f"reconciliation:{b['check_name']}",
        severity=RECON_SEVERITY.get(b["severity"], "error"),  # type: ignore[arg-type]
        passed=False,
        key=f"{period}:{b['key']}" if period else str(b["key"]),
        summary=(
            f"{b['check_name']} {b['key']}{' in ' + period if period else ''}:"
            f" {b['left_source']} {_figure(b['left_amount'], b['unit'] or '')}{unit}"
            f" vs {b['right_source']} {_figure(b['right_amount'], b['unit'] or '')}{unit},"
            f" difference {_figure(b['difference'], b['unit'] or '')}{unit}"
            + (f": {problem}" if problem else "")
        ),
        evidence=evidence,
        where=b["where_to_look"]
        or f"marts.rpt_reconciliation where check_name = '{b['check_name']}'",
        period=period,
    )


def _amount(value: Decimal) -> str:
    """An exact amount as text, without the warehouse's padding zeros but with at least two
    decimals: ``16446.100000`` → ``16446.10``, ``0.125000`` → ``0.125`` (never rounded)."""
    cents = value.quantize(CENT)
    return f"{cents if cents == value else value.normalize():f}"


def _figure(value: Decimal | None, unit: str) -> str:
    """A reconciliation figure in its unit: money as :func:`_amount`; a count (links,
    quantities) without decimals when whole: ``4955.000000 quantity`` → ``4955``."""
    if value is None:
        return "none"
    if len(unit) == 3 and unit.isalpha() and unit.isupper():
        return _amount(value)
    return f"{value.normalize():f}" if value != value.to_integral_value() else f"{int(value)}"


def _total(rows: list[dict[str, Any]], column: str) -> str:
    """Σ column per unit, as text: ``1.50 USD`` (``… + … EUR`` if units differ)."""
    totals: dict[str, Decimal] = {}
    for r in rows:
        totals[r["unit"] or ""] = totals.get(r["unit"] or "", Decimal(0)) + r[column]
    return " + ".join(f"{_amount(v)}{' ' + u if u else ''}" for u, v in totals.items())


def _period_result(check: str, period: str | None, rows: list[dict[str, Any]]) -> CheckResult:
    """Every break of a per-period check in one period, as one result keyed by the period."""
    first = rows[0]
    worst = sorted(rows, key=lambda r: (-abs(r["difference"]), r["key"]))
    shown = ", ".join(f"{r['key']} {_amount(r['difference'])}" for r in worst[:SUMMARY_KEYS])
    more = f", and {len(rows) - SUMMARY_KEYS} more" if len(rows) > SUMMARY_KEYS else ""
    units = {r["unit"] for r in rows}
    evidence = [
        {
            "side": "figures",
            "key": "total",
            "keys": len(rows),
            # totals only when they add up one unit
            **(
                {
                    "left": sum(r["left_amount"] for r in rows),
                    "right": sum(r["right_amount"] for r in rows),
                    "difference": sum(r["difference"] for r in rows),
                    "unit": first["unit"],
                }
                if len(units) == 1
                else {}
            ),
        },
        *(
            {
                "side": "key",
                "key": r["key"],
                "left": r["left_amount"],
                "right": r["right_amount"],
                "difference": r["difference"],
                "unit": r["unit"],
            }
            for r in worst
        ),
    ]
    where = f"marts.rpt_reconciliation_exceptions where check_name = '{check}'"
    return CheckResult(
        check_name=f"reconciliation:{check}",
        severity=RECON_SEVERITY.get(first["severity"], "error"),  # type: ignore[arg-type]
        passed=False,
        key=period or "",
        summary=(
            f"{check}{' in ' + period if period else ''}: {len(rows)} key(s) break,"
            f" {first['left_source']} vs {first['right_source']} differ by"
            f" {_total(rows, 'difference')} in total ({shown}{more})"
        ),
        evidence=evidence,
        where=where + (f" and period = '{period}'" if period else ""),
        period=period,
    )


def source_health_results(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    results: list[CheckResult] = []
    if _table_exists(con, "marts", "rpt_source_volume_daily"):
        anomalies = _rows(
            con,
            "select * from marts.rpt_source_volume_daily where status != 'ok'"
            " order by source_name, business_day",
        )
        for a in anomalies:
            baseline, status = a["baseline_rows"], a["status"].replace("_", " ")
            results.append(
                CheckResult(
                    check_name="volume_anomaly",
                    severity="warning",
                    passed=False,
                    key=f"{a['source_name']}:{a['business_day']}",
                    summary=(
                        f"{a['source_name']} {status} on {a['business_day']}:"
                        f" {a['row_count']} row{'' if a['row_count'] == 1 else 's'}"
                        " (same weekday a week before"
                        f" {a['reference_rows']}"
                        + (f", 4-week median {baseline}" if baseline is not None else "")
                        + ")"
                    ),
                    evidence=[a],
                    where=(
                        "marts.rpt_source_volume_daily where source_name = "
                        f"'{a['source_name']}' and business_day = '{a['business_day']}'"
                    ),
                    period=str(a["business_day"]),
                )
            )
        if not anomalies:
            results.append(CheckResult("volume_anomaly", "warning", True))
    results.extend(metric_anomaly_results(con))
    if _table_exists(con, "marts", "rpt_source_freshness"):
        stale = _rows(con, "select * from marts.rpt_source_freshness where status != 'ok'")
        for s in stale:
            results.append(
                CheckResult(
                    check_name="freshness",
                    severity="warning",
                    passed=False,
                    key=str(s["source_name"]),
                    summary=(
                        f"{s['source_name']} is stale: latest row {s['latest_day'] or 'never'},"
                        f" {s['lag_days']} day(s) behind {s['last_date']}"
                        f" (allowed {s['max_lag_days']})"
                    ),
                    evidence=[s],
                    where=f"marts.rpt_source_freshness where source_name = '{s['source_name']}'",
                )
            )
        if not stale:
            results.append(CheckResult("freshness", "warning", True))
    return results


def _metric_summary(a: dict[str, Any]) -> str:
    """One line for a judged day of ``rpt_metric_anomalies_daily``."""
    name, day, status = a["metric_name"], a["business_day"], a["status"]
    if status == "share_high":
        failed, attempts = int(a["metric_value"]), a["support_rows"]
        baseline = a["baseline_share"]
        return (
            f"failed charges {failed} of {attempts} attempts on {day} ({failed / attempts:.0%}"
            + (
                f"; 28-day share {baseline:.1%}, {a['share_z']} standard deviations above"
                if baseline is not None
                else "; no 28-day baseline yet"
            )
            + ")"
        )
    value = a["metric_value"]
    if status == "scale_shift":
        return (
            f"usage quantities changed scale on {day}: median {_figure(value, '')} per event of"
            f" {a['support_rows']} (4-week same-weekday median"
            f" {_figure(Decimal(str(a['baseline_value'])), '')}):"
            " a meter may report in another unit"
        )
    shown = _amount(value) if name in ("cash_collected", "new_mrr") else f"{int(value)}"
    text = f"{name} {status.replace('_', ' ')} on {day}: {shown}"
    if status == "drop_to_zero":
        return text + f" (same weekday a week before: {a['reference_rows']} rows behind it)"
    anchors = a["anchor_days"]
    return (
        text
        + (f" for {anchors} billing anchor days" if anchors != 1 else "")
        + f" (4-week same-weekday median {a['baseline_value']:.2f} a day)"
    )


def metric_anomaly_results(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Anomalies of the key daily metrics (cash, charges and their failed share, refunds, new
    MRR, invoices): one alert per metric and day judged not 'ok', keyed ``<metric>:<day>``."""
    if not _table_exists(con, "marts", "rpt_metric_anomalies_daily"):
        return []
    anomalies = _rows(
        con,
        "select * from marts.rpt_metric_anomalies_daily where status != 'ok'"
        " order by metric_name, business_day",
    )
    results = [
        CheckResult(
            check_name="metric_anomaly",
            severity="warning",
            passed=False,
            key=f"{a['metric_name']}:{a['business_day']}",
            summary=_metric_summary(a),
            evidence=[a],
            where=(
                "marts.rpt_metric_anomalies_daily where metric_name = "
                f"'{a['metric_name']}' and business_day = '{a['business_day']}'"
            ),
            period=str(a["business_day"]),
        )
        for a in anomalies
    ]
    return results or [CheckResult("metric_anomaly", "warning", True)]


def duplicate_results(
    con: duckdb.DuckDBPyConnection, home: Path | None = None
) -> list[CheckResult]:
    """A landing file that repeats one already loaded (ingestion kept it out of the raw tables and
    recorded it in raw_meta.duplicate_files) alerts while it is still in the landing zone."""
    if not _table_exists(con, "raw_meta", "duplicate_files"):
        return []
    home = home or config.home()
    present = [
        d
        for d in _rows(con, "select * from raw_meta.duplicate_files order by path")
        if (home / d["path"]).exists()
    ]
    results = [
        CheckResult(
            check_name="duplicate_delivery",
            severity="warning",
            passed=False,
            key=str(d["path"]),
            summary=(
                f"{d['path']} repeats {d['first_path']} byte for byte: already loaded, not"
                " loaded again; remove it or ask the source why it was re-delivered"
            ),
            evidence=[d],
            where=str(d["path"]),
        )
        for d in present
    ]
    return results or [CheckResult("duplicate_delivery", "warning", True)]


def late_event_results(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """Gateway events that arrived out of order (marts.rpt_late_events), one alert per day."""
    if not _table_exists(con, "marts", "rpt_late_events"):
        return []
    days = _rows(
        con,
        """
        select business_day, count(*) as events, max(hours_late) as max_hours_late,
               any_value(file_path order by file_path) as file_path,
               list(event_id order by created_at)[1:10] as sample
        from marts.rpt_late_events
        group by business_day
        order by business_day
        """,
    )
    results = [
        CheckResult(
            check_name="late_arriving_events",
            severity="warning",
            passed=False,
            key=f"gateway:{d['business_day']}",
            summary=(
                f"{d['events']} gateway event(s) of {d['business_day']} arrived late in"
                f" {d['file_path']}, up to {d['max_hours_late']} hours after newer events:"
                " figures for that day changed after they were published"
            ),
            evidence=[{"event_id": e} for e in d["sample"]],
            where=f"marts.rpt_late_events where business_day = '{d['business_day']}'",
            period=str(d["business_day"]),
        )
        for d in days
    ]
    return results or [CheckResult("late_arriving_events", "warning", True)]


def warehouse_results(con: duckdb.DuckDBPyConnection) -> list[CheckResult]:
    """The results of the check marts of the build that just ran, and re-delivered files."""
    return (
        reconciliation_results(con)
        + source_health_results(con)
        + late_event_results(con)
        + duplicate_results(con)
    )


# --------------------------------------------------------------------------------- after a run
def _check_result_of(evaluation: Any, run_id: str) -> CheckResult:
    asset = "/".join(evaluation.asset_key.path)
    blocking = getattr(evaluation.severity, "value", str(evaluation.severity)) == "ERROR"
    description = getattr(evaluation, "description", None) or ""
    metadata = {
        k: getattr(v, "value", v)
        for k, v in (getattr(evaluation, "metadata", None) or {}).items()
        if isinstance(getattr(v, "value", v), str | int | float | bool)
    }
    return CheckResult(
        check_name=f"{asset}:{evaluation.check_name}",
        severity="blocking" if blocking else "warning",
        passed=bool(evaluation.passed),
        summary=(
            f"check {evaluation.check_name} on {asset} failed"
            + (f": {description}" if description else "")
            + (" — the build did not publish" if blocking else "")
        ),
        evidence=[metadata] if metadata else [],
        where=f"Dagster run {run_id}, asset {asset}, check {evaluation.check_name}",
    )


def run_results(events: Iterable[Any], run_id: str, success: bool) -> list[CheckResult]:
    """Every asset check of a finished run, and its failed steps (``build_step``)."""
    results: dict[str, CheckResult] = {}
    failed_steps: list[CheckResult] = []
    for event in events:
        kind = event.event_type_value
        if kind == "ASSET_CHECK_EVALUATION":
            result = _check_result_of(event.event_specific_data, run_id)
            results[result.check_name] = result  # a re-evaluation replaces the earlier one
        elif kind == "STEP_FAILURE" and event.step_key:
            error = getattr(event.event_specific_data, "error", None)
            while getattr(error, "cause", None) is not None:  # the user code's own error
                error = error.cause
            message = (getattr(error, "message", "") or "").strip().splitlines()
            failed_steps.append(
                CheckResult(
                    check_name="build_step",
                    severity="blocking",
                    passed=False,
                    key=event.step_key,
                    summary=f"step {event.step_key} failed"
                    + (f": {message[0][:300]}" if message else "")
                    + " — the build did not publish",
                    where=f"Dagster run {run_id}, step {event.step_key}",
                )
            )
    out = list(results.values()) + failed_steps
    if success and not failed_steps:
        out.append(CheckResult("build_step", "blocking", True))
    return out


@dataclass(frozen=True)
class PostRun:
    outcome: alerts.Outcome
    published: bool
    #: every alert open after the build, worst first: (severity, check_name, key, summary), with
    #: the ones the checks step opened during the run (its own outcome is not in ``outcome``)
    open_alerts: tuple[tuple[str, str, str, str], ...] = ()

    def lines(self) -> list[str]:
        """The build's alert summary: what this call did, then everything open now."""
        out = self.outcome.lines()
        out.append(f"open alerts after this build: {len(self.open_alerts)}")
        out.extend(
            f"  [{severity}] {check}{f' ({key})' if key else ''}: {summary}"
            for severity, check, key, summary in self.open_alerts[:20]
        )
        if len(self.open_alerts) > 20:
            more = len(self.open_alerts) - 20
            out.append(f'  … {more} more: revstack sql "select * from ops.alerts"')
        return out


def post_run(
    events: Iterable[Any],
    run_id: str,
    success: bool,
    warehouse: Path | None = None,
    serving_path: Path | None = None,
    now: datetime | None = None,
    sinks: list[alerts.Sink] | None = None,
) -> PostRun:
    """Alerts for a finished build, its line in ``ops.builds``, and the snapshot's ``ops``."""
    warehouse = warehouse or config.warehouse_path()
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    events = list(events)
    published = any(
        e.event_type_value == "ASSET_MATERIALIZATION"
        and list(e.event_specific_data.materialization.asset_key.path) == ["serving", "snapshot"]
        for e in events
    )
    results = run_results(events, run_id, success)
    with warehouse_lock(warehouse, timeout=LOCK_WAIT_SECONDS):  # the live worker writes it too
        con = duckdb.connect(str(warehouse))
        try:
            outcome = alerts.process(results, con=con, now=now, sinks=sinks)
            con.execute("create schema if not exists ops")
            con.execute(
                "create table if not exists ops.builds (run_id varchar primary key,"
                " finished_at timestamp, success boolean, published boolean,"
                " failed_checks integer, open_alerts integer)"
            )
            open_alerts = con.execute(
                f"select severity, check_name, coalesce(key, ''), summary"
                f" from {alerts.ALERTS_TABLE} where status = 'open'"
                " order by case severity when 'blocking' then 0 when 'error' then 1 else 2 end,"
                " check_name, key"
            ).fetchall()
            open_count = len(open_alerts)
            con.execute(
                "insert or replace into ops.builds values (?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    now,
                    success,
                    published,
                    sum(1 for r in results if not r.passed),
                    open_count,
                ],
            )
        finally:
            con.close()
        serving.refresh_ops(warehouse, serving_path or config.serving_path())
    return PostRun(outcome=outcome, published=published, open_alerts=tuple(open_alerts))

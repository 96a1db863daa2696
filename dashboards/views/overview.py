"""Overview: the month's headline figures, each with its change against the month before."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import data, filters, ui

# (label, column, kind); kind: money, count or rate; rates where up is bad are "rate-"
KPIS: list[tuple[str, str, str]] = [
    ("MRR", "mrr", "money"),
    ("ARR", "arr", "money"),
    ("Net new MRR", "net_new_mrr", "money"),
    ("Paying customers", "customers", "count"),
    ("Customer churn rate", "customer_churn_rate", "rate-"),
    ("Gross MRR churn rate", "gross_mrr_churn_rate", "rate-"),
    ("Net MRR churn rate", "net_mrr_churn_rate", "rate-"),
    ("NRR", "nrr", "rate"),
    ("Cash collected", "cash_collected", "money"),
    ("AR outstanding", "ar_outstanding", "money-"),
    ("Deferred revenue", "deferred_revenue_end", "money"),
]


def _value(kind: str, value, currency: str, sign: bool = False) -> str:
    if kind.startswith("money"):
        return ui.money(value, currency, sign=sign)
    if kind == "count":
        return ui.count(value, sign=sign)
    if sign:
        return ui.rate(value, sign=True).replace(" %", " pp")
    return ui.rate(value)


def _delta(kind: str, latest, previous, currency: str) -> str | None:
    if previous is None or pd.isna(latest) or pd.isna(previous):
        return None
    return _value(kind, latest - previous, currency, sign=True)


def _latest_day(snapshot: data.Snapshot, rc: str) -> None:
    """The latest day's payments, from fct_payments: live traffic moves them within seconds,
    while the month's figures above wait for the next full build."""
    if data.missing_marts(snapshot, ("fct_payments",)):
        return
    day = data.latest_payment_day(snapshot)
    if day.empty:
        return
    row = day.iloc[0]
    stamp = ui.as_of(snapshot, "marts.fct_payments")
    ui.section(
        f"Latest day: {row['business_day']:%Y-%m-%d}",
        snapshot,
        f"payments in {rc} · refreshed by the live path",
        table="marts.fct_payments",
    )
    last = row["last_payment_at"]
    figures = [
        ("Cash collected (day)", ui.money(row["cash_collected"], rc)),
        ("Charges succeeded (day)", ui.count(row["charges_succeeded"])),
        ("Charges failed (day)", ui.count(row["charges_failed"])),
        ("Last payment", "none" if pd.isna(last) else ui.money(row["last_payment_rc"], rc)),
    ]
    for column, (label, value) in zip(st.columns(4), figures, strict=True):
        column.metric(label, value, help=stamp, border=True)
    if not pd.isna(last):
        ago = max(0, int((data.now() - last).total_seconds()))
        st.caption(f"last payment at {last:%Y-%m-%d %H:%M:%S} UTC · {ui.ago(ago)}")


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    monthly = data.metrics_monthly(snapshot)
    rc = f.reporting_currency
    position = monthly.index[monthly["month"] == f.end][0]
    latest = monthly.loc[position]
    previous = monthly.loc[position - 1] if position > 0 else None
    stamp = ui.as_of(snapshot, "marts.metrics_monthly")
    ui.section(
        f"{latest['month']:%B %Y}",
        snapshot,
        f"reporting currency {rc} · change against the month before",
        table="marts.metrics_monthly",
    )
    for start in range(0, len(KPIS), 4):
        columns = st.columns(4)
        for column, (label, name, kind) in zip(columns, KPIS[start : start + 4], strict=False):
            column.metric(
                label,
                _value(kind, latest[name], rc),
                _delta(kind, latest[name], None if previous is None else previous[name], rc),
                delta_color="inverse" if kind.endswith("-") else "normal",
                help=stamp,
                border=True,
            )

    _latest_day(snapshot, rc)

    period = monthly[(monthly["month"] >= f.start) & (monthly["month"] <= f.end)]
    ui.section("MRR by month", snapshot, f"{rc}")
    chart = period[["month", "mrr"]].assign(mrr=lambda x: x["mrr"].astype(float))
    st.bar_chart(chart, x="month", y="mrr", y_label=f"MRR ({rc})", x_label="month")

    ui.section("Monthly figures", snapshot, f"{rc}")
    ui.table(
        period,
        "metrics_monthly",
        currency=rc,
        rates=("customer_churn_rate", "gross_mrr_churn_rate", "net_mrr_churn_rate", "nrr", "grr"),
    )


ui.page("Overview", body, applies=("period",), needs=("metrics_monthly",))

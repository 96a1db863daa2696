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


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    monthly = data.metrics_monthly(snapshot)
    rc = f.reporting_currency
    position = monthly.index[monthly["month"] == f.end][0]
    latest = monthly.loc[position]
    previous = monthly.loc[position - 1] if position > 0 else None
    stamp = ui.as_of(snapshot)
    ui.section(
        f"{latest['month']:%B %Y}",
        snapshot,
        f"reporting currency {rc} · change against the month before",
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

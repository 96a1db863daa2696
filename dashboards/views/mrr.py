"""MRR: the bridge per month as a waterfall, every movement, and where MRR comes from."""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters, ui

STEPS = [
    ("New", "new_mrr"),
    ("Expansion", "expansion_mrr"),
    ("Reactivation", "reactivation_mrr"),
    ("Contraction", "contraction_mrr"),
    ("Churn", "churned_mrr"),
    ("FX", "fx_impact_mrr"),
]
SPLITS = [
    ("Plan", "plan"),
    ("Segment", "segment"),
    ("Country", "country"),
    ("Currency", "currency"),
]


def _scope(f: filters.Filters) -> str:
    who = ", ".join(f.segments) if f.segments else "every segment"
    if f.currency:
        return f"customers billed in {f.currency}, in {f.currency} · {who}"
    return f"{f.reporting_currency} at month-end rates · {who}"


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    currency = f.view_currency
    scope = _scope(f)
    bridge = data.mrr_bridge(snapshot, f.start, f.end, f.currency, f.segments)

    ui.section("MRR bridge", snapshot, scope)
    months = list(bridge["month"])
    month = st.selectbox(
        "Month", months, index=len(months) - 1, format_func=filters.month_label, key="mrr_month"
    )
    row = bridge[bridge["month"] == month].iloc[0]
    steps = [("Start MRR", row["start_mrr"])] + [(label, row[c]) for label, c in STEPS]
    st.altair_chart(ui.waterfall(steps, currency, "End MRR"), width="stretch")
    c1, c2, c3 = st.columns(3)
    c1.metric("Start MRR", ui.money(row["start_mrr"], currency), help=ui.as_of(snapshot))
    net = sum(row[c] for _, c in STEPS[:-1])
    c2.metric("Net new MRR", ui.money(net, currency, sign=True), help=ui.as_of(snapshot))
    c3.metric("End MRR", ui.money(row["end_mrr"], currency), help=ui.as_of(snapshot))
    ui.table(bridge, "mrr_bridge", currency=currency)

    ui.section("Movements", snapshot, scope + " · mrr_delta in the customer's currency")
    ui.table(data.mrr_movements(snapshot, f.start, f.end, f.currency, f.segments),
             "mrr_movements", currency=currency, reporting=f.reporting_currency)  # fmt: skip

    ui.section(
        f"MRR on {data.month_end(f.end):%d %b %Y} by plan, segment, country and currency",
        snapshot,
        f"{currency}"
        + ("" if f.currency else " at the month-end rate, adding up to the MRR bridge's end MRR")
        + " · plan = the subscription's price ids",
    )
    for tab, (label, by) in zip(st.tabs([s[0] for s in SPLITS]), SPLITS, strict=True):
        with tab:
            split = data.mrr_split(snapshot, f.end, by, f.currency, f.segments)
            ui.table(split.rename(columns={"group": label.lower()}), f"mrr_by_{by}",
                     currency=currency)  # fmt: skip


ui.page(
    "MRR",
    body,
    applies=("period", "currency", "segment"),
    needs=("metrics_monthly", "metrics_customer_monthly", "fct_mrr_movements",
           "fct_subscription_mrr", "dim_customers"),
)  # fmt: skip

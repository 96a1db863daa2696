"""Revenue: how billings become revenue, the deferred balance, receivables, tax and disputes."""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters, ui


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    rc = f.reporting_currency
    label = filters.month_label(f.end)

    currency = f.view_currency
    rollforward = data.deferred_rollforward(snapshot, f.start, f.end, f.currency)
    ui.section(
        f"Recognition waterfall, {label}",
        snapshot,
        (f"lines billed in {currency}, in {currency}" if f.currency else f"{rc} at each "
         "invoice's rate") + " · deferred revenue: opening + invoiced − recognised − given back "
        "(refunds, credit notes, voids) = closing",
    )  # fmt: skip
    last = rollforward[rollforward["month"] == f.end]
    if last.empty:
        st.info(f"Nothing was invoiced or recognised by {label}.")
    else:
        row = last.iloc[0]
        steps = [
            ("Opening deferred", row["opening_deferred"]),
            ("Invoiced", row["invoiced"]),
            ("Recognised", row["recognized"]),
            ("Given back", row["given_back"]),
        ]
        st.altair_chart(ui.waterfall(steps, currency, "Closing deferred"), width="stretch")
    ui.table(rollforward, "deferred_revenue_rollforward", currency=currency)

    ui.section("Deferred revenue balance", snapshot, f"{currency} at each month end")
    balance = rollforward[["month", "closing_deferred"]].assign(
        closing_deferred=lambda x: x["closing_deferred"].astype(float)
    )
    st.line_chart(balance, x="month", y="closing_deferred", y_label=f"deferred ({currency})")

    ui.section("Billings to revenue", snapshot, f"{rc} · invoiced month × recognition month")
    ui.table(data.revenue_waterfall(snapshot, f.start, f.end), "revenue_waterfall", currency=rc)

    ui.section("AR aging", snapshot, f"{rc} · open receivables at each month end by days past due")
    ui.table(data.ar_aging_by_month(snapshot, f.start, f.end, f.segments), "ar_aging_by_month",
             currency=rc)  # fmt: skip
    st.markdown(f"**Customers with open receivables at the end of {label}**")
    ui.table(data.ar_aging_customers(snapshot, f.end, f.segments), "ar_aging_customers",
             currency=rc)  # fmt: skip

    ui.section("Tax by jurisdiction", snapshot, f"{rc} · Σ over the period")
    ui.table(data.tax_by_jurisdiction(snapshot, f.start, f.end), "tax_by_jurisdiction",
             currency=rc)  # fmt: skip

    ui.section("Disputes", snapshot, f"{rc} · by the month opened")
    ui.table(data.disputes(snapshot, f.start, f.end), "disputes", currency=rc,
             rates=("dispute_rate", "win_rate"))  # fmt: skip


ui.page(
    "Revenue",
    body,
    applies=("period", "currency (recognition and deferred revenue)", "segment (AR aging)"),
    needs=("metrics_monthly", "rpt_revenue_waterfall", "rpt_ar_aging", "rpt_tax",
           "rpt_disputes", "dim_customers"),
)  # fmt: skip

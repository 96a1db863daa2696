"""Retention: cohort heatmaps of customers and of net MRR retained."""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters, ui


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    cohorts = data.cohorts(snapshot, f.start, f.end)
    if cohorts.empty:
        st.info("No cohort first paid in the selected period.")
        return
    constant = st.toggle(
        "Net MRR retention at constant exchange rates (the cohort month's rates)",
        key="retention_constant_fx",
    )
    nrr = "net_mrr_retention_constant_fx" if constant else "net_mrr_retention"
    rc = f.reporting_currency

    ui.section(
        "Customers retained", snapshot, "share of each cohort's customers paying at month end"
    )
    st.altair_chart(
        ui.heatmap(cohorts, "months_since", "cohort_month", "customer_retention",
                   "customer retention by cohort month × months since"),
        width="stretch",
    )  # fmt: skip

    ui.section(
        "Net MRR retained",
        snapshot,
        f"{rc} · " + ("at the cohort month's rates" if constant else "at each month end's rates"),
    )
    st.altair_chart(
        ui.heatmap(cohorts, "months_since", "cohort_month", nrr,
                   "net MRR retention by cohort month × months since"),
        width="stretch",
    )  # fmt: skip

    ui.section("Cohorts", snapshot, rc)
    ui.table(
        cohorts,
        "metrics_cohorts",
        currency=rc,
        rates=("customer_retention", "net_mrr_retention", "net_mrr_retention_constant_fx"),
    )


ui.page("Retention", body, applies=("period",), needs=("metrics_monthly", "metrics_cohorts"))

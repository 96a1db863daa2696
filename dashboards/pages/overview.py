"""Overview: MRR, ARR, paying customers, net new MRR this month, MRR by month."""

from __future__ import annotations

import streamlit as st

from dashboards import data

st.title("Overview")
snapshot = data.current_snapshot()
if snapshot is None:
    st.warning("No serving snapshot has been published yet. Run `revstack build`.")
    st.stop()

monthly = data.metrics_monthly(snapshot)
published = data.published_at(snapshot)
currency = "USD"
if monthly.empty:
    st.info("The snapshot holds no months yet: no subscription data has landed.")
    st.stop()

latest = monthly.iloc[-1]
previous = monthly.iloc[-2] if len(monthly) > 1 else None
month_label = latest["month"].strftime("%B %Y")
st.caption(
    f"Month: {month_label} · reporting currency {currency} · "
    f"as of {published:%Y-%m-%d %H:%M:%S} UTC"
)


def _delta(column: str, fmt: str = "{:+,.2f}") -> str | None:
    """The change against the previous month, formatted like the value (None in the first month)."""
    if previous is None:
        return None
    return fmt.format(latest[column] - previous[column])


c1, c2, c3, c4 = st.columns(4)
c1.metric("MRR", f"{latest['mrr']:,.2f}", _delta("mrr"), border=True)
c2.metric("ARR", f"{latest['arr']:,.2f}", _delta("arr"), border=True)
c3.metric(
    "Paying customers", f"{int(latest['customers']):,}", _delta("customers", "{:+,}"), border=True
)
c4.metric("Net new MRR", f"{latest['net_new_mrr']:,.2f}", _delta("net_new_mrr"), border=True)

st.subheader("MRR by month")
chart = monthly[["month", "mrr"]].assign(mrr=lambda f: f["mrr"].astype(float))
st.bar_chart(chart, x="month", y="mrr", y_label=f"MRR ({currency})", x_label="month")

with st.expander("Monthly figures"):
    st.dataframe(monthly, hide_index=True)

"""Data health: is what the app shows current, and do the systems agree?"""

from __future__ import annotations

import streamlit as st

from dashboards import data

st.title("Data health")
snapshot = data.current_snapshot()
if snapshot is None:
    st.warning("No serving snapshot has been published yet. Run `revstack build`.")
    st.stop()

published = data.published_at(snapshot)
builds = data.builds(snapshot)
shown = data.snapshot_build(snapshot)
if not builds.empty and not bool(builds.iloc[0]["published"]):
    last = builds.iloc[0]
    st.error(
        f"The last build ({last['finished_at']:%Y-%m-%d %H:%M:%S} UTC) did not publish: "
        f"{int(last['failed_checks'])} check(s) failed. The figures in this app are from the "
        f"last good build, published {published:%Y-%m-%d %H:%M:%S} UTC."
    )
else:
    st.success(f"Figures are from the latest build, published {published:%Y-%m-%d %H:%M:%S} UTC.")
st.caption(f"snapshot build {shown}")

alerts = data.open_alerts(snapshot)
c1, c2, c3 = st.columns(3)
c1.metric("Open alerts", f"{len(alerts):,}", border=True)
c2.metric("Blocking", f"{int((alerts['severity'] == 'blocking').sum()):,}", border=True)
c3.metric("Errors", f"{int((alerts['severity'] == 'error').sum()):,}", border=True)

st.subheader("Open alerts")
if alerts.empty:
    st.info("No open alert: every check passed in the last build.")
else:
    st.dataframe(alerts, hide_index=True)

st.subheader("Reconciliation")
st.dataframe(data.reconciliation_summary(snapshot), hide_index=True)

st.subheader("Freshness per source")
st.dataframe(data.source_freshness(snapshot), hide_index=True)

st.subheader("Builds")
st.dataframe(builds, hide_index=True)

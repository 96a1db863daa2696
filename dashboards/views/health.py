"""Data health: is what the app shows current, and do the systems agree?"""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters, ui


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    published = data.published_at(snapshot)
    builds = data.builds(snapshot)
    shown = data.snapshot_build(snapshot)
    if not builds.empty and not bool(builds.iloc[0]["published"]):
        last = builds.iloc[0]
        st.error(
            f"The last build ({last['finished_at']:%Y-%m-%d %H:%M:%S} UTC) did not publish: "
            f"{int(last['failed_checks'])} check(s) failed. The figures in this app are from the "
            f"last good build, published {ui.fmt_time(published)} UTC."
        )
    else:
        st.success(f"Figures are from the latest build, published {ui.fmt_time(published)} UTC.")
    st.caption(f"snapshot build {shown} · {ui.as_of(snapshot)}")

    alerts = data.open_alerts(snapshot)
    stamp = ui.as_of(snapshot)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Open alerts", f"{len(alerts):,}", help=stamp, border=True)
    c2.metric("Blocking", f"{int((alerts['severity'] == 'blocking').sum()):,}", help=stamp,
              border=True)  # fmt: skip
    c3.metric("Errors", f"{int((alerts['severity'] == 'error').sum()):,}", help=stamp, border=True)
    if builds.empty:
        c4.metric("Last build", "none recorded", help=stamp, border=True)
    else:
        last = builds.iloc[0]
        verdict = "published" if last["published"] else ("failed" if not last["success"]
                                                          else "not published")  # fmt: skip
        finished = f"{stamp} · finished {ui.fmt_time(last['finished_at'])} UTC"
        c4.metric("Last build", verdict, f"{int(last['failed_checks'])} failed check(s)",
                  delta_color="off", delta_arrow="off", help=finished,
                  border=True)  # fmt: skip

    ui.section("Open alerts", snapshot)
    if alerts.empty:
        st.info("No open alert: every check passed in the last build.")
    else:
        ui.table(alerts, "open_alerts")

    ui.section("Check results", snapshot, "every check that has alerted: open and resolved")
    ui.table(data.check_results(snapshot), "check_results")

    ui.section("Reconciliation", snapshot, "rows compared per check, and the breaks")
    ui.table(data.reconciliation_summary(snapshot), "reconciliation")
    breaks = data.reconciliation_breaks(snapshot)
    if not breaks.empty:
        ui.table(breaks, "reconciliation_breaks")

    ui.section("Freshness per source", snapshot)
    ui.table(data.source_freshness(snapshot), "source_freshness")

    ui.section("Builds", snapshot)
    ui.table(builds, "builds")


ui.page("Data health", body)

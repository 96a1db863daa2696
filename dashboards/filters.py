"""The shared sidebar filters: period (a month range), currency, segment.

The router (app.py) draws them once per run, before the page, so they keep their values from
page to page; each page says which of them apply to it. Their options come from the snapshot the
run started with (``Filters.snapshot``): when a new publish arrives, the page's live fragment
reruns the whole app so the options follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboards import data

_KEY = "revstack_filters"
ALL_SEGMENTS: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    snapshot: data.Snapshot | None
    start: date | None  # first month of the period (first day)
    end: date | None  # last month of the period (first day); balances as of its last day
    currency: str | None  # None: the reporting view (every customer, in the reporting currency)
    segments: tuple[str, ...]  # empty: every segment
    reporting_currency: str

    @property
    def view_currency(self) -> str:
        """The currency amounts are shown in."""
        return self.currency or self.reporting_currency


def month_label(month: date) -> str:
    return month.strftime("%b %Y")


def sidebar(snapshot: data.Snapshot | None) -> Filters:
    """Draw the filters in the sidebar and remember them for the page."""
    months = data.months(snapshot) if snapshot else []
    rc = data.reporting_currency(snapshot) if snapshot else "USD"
    start = end = None
    currency: str | None = None
    segs: tuple[str, ...] = ALL_SEGMENTS
    with st.sidebar:
        st.header("Filters")
        if months:
            start, end = _period(months)
            reporting = f"{rc} (reporting currency, every customer)"
            options = [reporting, *data.currencies(snapshot)]
            _keep_valid("filter_currency", lambda v: v in options, reporting)
            choice = st.selectbox("Currency", options, key="filter_currency")
            currency = None if choice == reporting else choice
            names = data.segments(snapshot)
            _keep_valid("filter_segments", lambda v: set(v) <= set(names), [])
            segs = tuple(
                st.multiselect("Segment", names, key="filter_segments", placeholder="All segments")
            )
        else:
            st.caption("No months in the snapshot yet.")
    filters = Filters(snapshot, start, end, currency, segs, rc)
    st.session_state[_KEY] = filters
    return filters


def _keep_valid(key: str, valid, default) -> None:
    """Reset a filter whose remembered value the new snapshot no longer offers."""
    if key in st.session_state and not valid(st.session_state[key]):
        st.session_state[key] = default


def _period(months: list[date]) -> tuple[date, date]:
    """The month range. It starts as every month; a range that ended at the latest month keeps
    ending at the latest month when a publish adds one (an open page follows the data)."""
    latest = st.session_state.get("filter_period_latest")
    chosen = st.session_state.get("filter_period")
    if not isinstance(chosen, tuple | list) or not set(chosen) <= set(months):
        st.session_state["filter_period"] = (months[0], months[-1])
    elif chosen[1] == latest and months[-1] != latest:
        st.session_state["filter_period"] = (chosen[0], months[-1])
    st.session_state["filter_period_latest"] = months[-1]
    if len(months) == 1:
        st.caption(f"Period: {month_label(months[0])}")
        return months[0], months[0]
    start, end = st.select_slider(
        "Period", options=months, value=(months[0], months[-1]), key="filter_period",
        format_func=month_label,
    )  # fmt: skip
    return start, end


def current() -> Filters:
    """The filters the router drew in this run."""
    return st.session_state.get(_KEY) or Filters(None, None, None, None, ALL_SEGMENTS, "USD")


def describe(applies: tuple[str, ...]) -> str:
    """A line saying which sidebar filters this page honours (each entry starts with the
    filter's name and may say where, e.g. "segment (AR aging)")."""
    ignored = [
        n for n in ("period", "currency", "segment") if not any(a.startswith(n) for a in applies)
    ]
    text = "Filters applied: " + (", ".join(applies) if applies else "none")
    if ignored:
        text += " · not applied here: " + ", ".join(ignored)
    return text

"""Layout helpers every page shares: the live page frame, "as of", money formats, tables + CSV."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pandas as pd
import streamlit as st

from dashboards import data, filters
from ingestion.currencies import exponent as currency_exponent

NO_SNAPSHOT = "No serving snapshot has been published yet. Run `revstack build`."


def refresh_seconds() -> float:
    """How often a page re-reads the snapshot while open (REVSTACK_APP_REFRESH_SECONDS, 5)."""
    return float(os.environ.get("REVSTACK_APP_REFRESH_SECONDS", "5"))


Body = Callable[[data.Snapshot, filters.Filters], None]


def page(title: str, body: Body, *, applies: tuple[str, ...] = (), needs: tuple[str, ...] = ()):
    """Draw a page: its title, which filters apply, then ``body`` inside a fragment that reruns
    every few seconds, so the "as of" ages tick and a new publish shows without a page reload."""
    st.title(title)
    st.caption(filters.describe(applies))
    st.fragment(_live, run_every=refresh_seconds())(title, body, needs)


def _live(title: str, body: Body, needs: tuple[str, ...]) -> None:
    snapshot = data.current_snapshot()
    chosen = filters.current()
    if snapshot != chosen.snapshot:
        # A new publish (or the first): rerun the app so the filters' options follow it.
        st.rerun()
    if snapshot is None:
        st.warning(NO_SNAPSHOT)
        return
    missing = data.missing_marts(snapshot, needs)
    if missing:
        st.info(
            f"The snapshot holds no {', '.join(f'marts.{m}' for m in missing)} yet: "
            f"{title} needs it. Run `revstack build` on a home with data."
        )
        return
    if chosen.start is None and "metrics_monthly" in needs:
        st.info("The snapshot holds no months yet: no subscription data has landed.")
        return
    body(snapshot, chosen)


def as_of(snapshot: data.Snapshot, table: str | None = None) -> str:
    """When the data was published and how many seconds old it is now: ``table``'s own refresh
    (``meta.tables``; the live path refreshes some tables between full builds), else the
    snapshot's last full publish."""
    published = data.table_refreshed_at(snapshot, table) if table else data.published_at(snapshot)
    if published is None:
        return "as of: unknown (the snapshot has no publish time)"
    age = max(0, int((data.now() - published).total_seconds()))
    return f"as of {published:%Y-%m-%d %H:%M:%S} UTC · {age:,} s old"


def ago(seconds: int) -> str:
    """A duration in the unit a reader takes in at a glance: 42 s, 5 min, 3 h, 12 days ago."""
    for unit, size, up_to in (("s", 1, 120), ("min", 60, 7200), ("h", 3600, 172800)):
        if seconds < up_to:
            return f"{seconds // size:,} {unit} ago"
    return f"{seconds // 86400:,} days ago"


def section(title: str, snapshot: data.Snapshot, note: str = "", table: str | None = None) -> None:
    st.subheader(title)
    st.caption(as_of(snapshot, table) + (f" · {note}" if note else ""))


def exponent_of(currency: str) -> int:
    try:
        return currency_exponent(currency)
    except ValueError:
        return 2


def money(value: Decimal | float | int | None, currency: str = "USD", sign: bool = False) -> str:
    """Thousands separators and the currency's decimals; exact for Decimal input."""
    if value is None or pd.isna(value):
        return "–"
    places = exponent_of(currency)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return f"{value:{'+' if sign else ''},.{places}f}"


def rate(value: Decimal | float | None, sign: bool = False) -> str:
    """A ratio as a percentage with 2 decimals (0.0523 → 5.23 %)."""
    if value is None or pd.isna(value):
        return "–"
    pct = Decimal(str(value)) * 100
    return f"{pct:{'+' if sign else ''},.2f} %"


def count(value: int | None, sign: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):{'+' if sign else ''},}"


def _is_money(series: pd.Series) -> bool:
    first = series.dropna()
    return not first.empty and isinstance(first.iloc[0], Decimal)


def table(
    frame: pd.DataFrame,
    name: str,
    *,
    currency: str = "USD",
    reporting: str | None = None,
    rates: tuple[str, ...] = (),
    height: int | str = "auto",
) -> None:
    """A table with its CSV download under it. DECIMAL columns show with thousands separators
    and the decimals of ``currency`` (``*_rc`` columns: of ``reporting``, when given); ``rates``
    as percentages; the CSV keeps every exact digit."""
    config: dict[str, object] = {}
    for column in frame.columns:
        if column in rates:
            config[column] = st.column_config.NumberColumn(format="percent")
        elif _is_money(frame[column]):
            rc = reporting is not None and str(column).endswith("_rc")
            places = exponent_of(reporting if rc else currency)
            config[column] = st.column_config.NumberColumn(format=f"%,.{places}f")
    st.dataframe(frame, hide_index=True, column_config=config, height=height)
    st.download_button(
        f"Download {name} (CSV)",
        data=lambda: to_csv(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv:{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV, Decimals written exactly as they are."""
    return frame.to_csv(index=False).encode("utf-8")


def fmt_time(value: datetime | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:%Y-%m-%d %H:%M:%S}"


def waterfall(steps: list[tuple[str, Decimal]], currency: str, total_label: str):
    """A waterfall chart: the first step is the opening total, the others move it, and a last
    bar shows where they end (``total_label``). Values are cast to float for drawing only."""
    import altair as alt

    rows, level = [], 0.0
    for i, (label, value) in enumerate(steps):
        amount = float(value or 0)
        if i == 0:
            rows.append({"step": label, "from": 0.0, "to": amount, "kind": "total"})
            level = amount
        else:
            rows.append(
                {"step": label, "from": level, "to": level + amount,
                 "kind": "up" if amount >= 0 else "down"}
            )  # fmt: skip
            level += amount
    rows.append({"step": total_label, "from": 0.0, "to": level, "kind": "total"})
    # Movements are small beside the totals: zoom the axis onto where the bars move (a total
    # then rises from the axis' floor, which the title says is not zero).
    ends = [v for r in rows for v in (r["from"], r["to"]) if r["kind"] != "total"]
    ends += [rows[0]["to"], level]
    low, high = min(ends), max(ends)
    floor = low - (high - low) * 0.5 if high > low else low * 0.9
    zoomed = floor > 0
    if zoomed:
        for r in rows:
            if r["kind"] == "total":
                r["from"] = floor
    frame = pd.DataFrame(rows)
    frame["amount"] = [r["to"] if r["kind"] == "total" else r["to"] - r["from"] for r in rows]
    order = list(frame["step"])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("step:N", sort=order, title=None),
            y=alt.Y(
                "from:Q",
                title=f"{currency} (axis from {floor:,.0f})" if zoomed else currency,
                scale=alt.Scale(zero=not zoomed, domain=[floor, high] if zoomed else alt.Undefined),
            ),
            y2="to:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["total", "up", "down"], range=["#4c78a8", "#54a24b", "#e45756"]
                ),
                legend=None,
            ),
            tooltip=["step", alt.Tooltip("amount:Q", format=",.2f")],
        )
    )


def heatmap(frame: pd.DataFrame, x: str, y: str, value: str, title: str):
    """A cohort-style heatmap of ``value`` (a ratio, shown as a percentage)."""
    import altair as alt

    shown = frame[[x, y, value]].copy()
    shown[value] = shown[value].astype(float)
    shown[y] = shown[y].astype(str)
    return (
        alt.Chart(shown, title=title)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O"),
            y=alt.Y(f"{y}:O"),
            color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="blues"), title=None),
            tooltip=[y, x, alt.Tooltip(f"{value}:Q", format=".2%")],
        )
    )

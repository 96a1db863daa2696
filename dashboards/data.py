"""The app's only door to data: cached, read-only, parameterised queries on the serving snapshot.

The snapshot is replaced atomically by each publish (DESIGN §7). A connection keeps reading the
file it opened, so every cache here is keyed by the snapshot's identity (inode + mtime): a new
publish gives a new key, a new connection and fresh frames.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd
import streamlit as st

from revstack import config


@dataclass(frozen=True)
class Snapshot:
    path: str
    inode: int
    mtime_ns: int


def current_snapshot() -> Snapshot | None:
    path = config.serving_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns)


@st.cache_resource(max_entries=2)
def _connection(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(snapshot.path, read_only=True)


@st.cache_data(max_entries=64)
def query(snapshot: Snapshot, sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run a fixed SQL text with bound parameters (never string-built from widget values)."""
    cursor = _connection(snapshot).cursor()
    try:
        return cursor.execute(sql, list(params)).df()
    finally:
        cursor.close()


def published_at(snapshot: Snapshot) -> datetime | None:
    frame = query(snapshot, "select published_at from meta.snapshot")
    return None if frame.empty else frame.iloc[0, 0].to_pydatetime()


def metrics_monthly(snapshot: Snapshot) -> pd.DataFrame:
    return query(
        snapshot,
        """
        select
            month,
            mrr,
            arr,
            customers,
            new_mrr,
            expansion_mrr,
            contraction_mrr,
            churned_mrr,
            reactivation_mrr,
            fx_impact_mrr,
            net_new_mrr
        from marts.metrics_monthly
        order by month
        """,
    )

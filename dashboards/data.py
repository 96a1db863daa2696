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


def _has_table(snapshot: Snapshot, schema: str, table: str) -> bool:
    frame = query(
        snapshot,
        "select count(*) as n from information_schema.tables"
        " where table_schema = ? and table_name = ?",
        (schema, table),
    )
    return int(frame.iloc[0, 0]) > 0


def snapshot_build(snapshot: Snapshot) -> str | None:
    """The Dagster run that published the marts the snapshot holds."""
    frame = query(snapshot, "select build_id from meta.snapshot")
    return None if frame.empty else frame.iloc[0, 0]


def builds(snapshot: Snapshot, limit: int = 20) -> pd.DataFrame:
    """The latest builds, newest first (ops.builds; empty before the first recorded build)."""
    if not _has_table(snapshot, "ops", "builds"):
        columns = ["run_id", "finished_at", "success", "published", "failed_checks", "open_alerts"]
        return pd.DataFrame(columns=columns)
    return query(
        snapshot,
        "select run_id, finished_at, success, published, failed_checks, open_alerts"
        " from ops.builds order by finished_at desc limit ?",
        (limit,),
    )


def open_alerts(snapshot: Snapshot) -> pd.DataFrame:
    """Open alerts, worst first."""
    if not _has_table(snapshot, "ops", "alerts"):
        return pd.DataFrame(
            columns=["severity", "check_name", "key", "summary", "where_to_look", "opened_at"]
        )
    return query(
        snapshot,
        """
        select severity, check_name, key, summary, where_to_look, opened_at, occurrences
        from ops.alerts
        where status = 'open'
        order by case severity when 'blocking' then 0 when 'error' then 1 else 2 end,
                 opened_at, check_name, key
        """,
    )


def reconciliation_summary(snapshot: Snapshot) -> pd.DataFrame:
    """Per reconciliation check: rows compared and how many are ok, within tolerance, breaks."""
    if not _has_table(snapshot, "marts", "rpt_reconciliation"):
        return pd.DataFrame(columns=["check_name", "compared", "ok", "warn", "break"])
    return query(
        snapshot,
        """
        select
            check_name,
            count(*) as compared,
            count(*) filter (where status = 'ok') as ok,
            count(*) filter (where status = 'warn') as warn,
            count(*) filter (where status = 'break') as "break"
        from marts.rpt_reconciliation
        group by check_name
        order by "break" desc, check_name
        """,
    )


def source_freshness(snapshot: Snapshot) -> pd.DataFrame:
    if not _has_table(snapshot, "marts", "rpt_source_freshness"):
        return pd.DataFrame(
            columns=["source_name", "latest_day", "lag_days", "max_lag_days", "status"]
        )
    return query(
        snapshot,
        "select source_name, latest_day, lag_days, max_lag_days, status"
        " from marts.rpt_source_freshness order by source_name",
    )

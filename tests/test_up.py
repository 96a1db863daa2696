"""`revstack up`: simulate when the landing zone is empty, build, serve the UI and the app."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tests.conftest import revstack


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.e2e
def test_up_simulates_builds_and_serves_both_services(tmp_path: Path):
    dagster_port, app_port, docs_port = _free_port(), _free_port(), _free_port()
    proc = revstack(
        tmp_path,
        "up",
        "--customers",
        "20",
        "--dagster-port",
        str(dagster_port),
        "--app-port",
        str(app_port),
        "--docs-port",
        str(docs_port),
        "--exit-when-ready",
    )
    assert "landing zone is empty: simulating" in proc.stdout
    # Dagster's own output goes to a log file, not the terminal
    log = tmp_path / "logs" / "dagster.log"
    assert f"Dagster's logs: {log}" in proc.stdout and log.stat().st_size > 0
    assert " - dagster - " not in proc.stdout
    ready = [line for line in proc.stdout.splitlines() if "http://127.0.0.1:" in line]
    assert f"Dagster UI http://127.0.0.1:{dagster_port}  up" in ready, ready
    assert f"app        http://127.0.0.1:{app_port}  up" in ready, ready
    with duckdb.connect(str(tmp_path / "warehouse" / "serving.duckdb"), read_only=True) as con:
        (months,) = con.execute("select count(*) from marts.metrics_monthly").fetchone()
    # the default company's 24 months end today (UTC), so that the live traffic continues it;
    # a start mid-month spans 25 calendar months
    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text())
    start, end = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
    assert end == datetime.now(UTC).date() and manifest["months"] == 24
    assert months == 24 + (start.day != 1)
    # --exit-when-ready stops what it started
    assert not _listening(dagster_port) and not _listening(app_port)
    # the live simulator was started after the first build, and the instance queues the runs
    # that write the warehouse one at a time
    assert "live traffic: a gateway events and a usage file every second" in proc.stdout
    instance_yaml = (tmp_path / "dagster" / "dagster.yaml").read_text()
    assert "QueuedRunCoordinator" in instance_yaml and "key: revstack/warehouse" in instance_yaml


def test_up_stops_on_ctrl_c_and_sigterm_even_when_started_with_sigint_ignored():
    """A background job of a non-interactive shell starts with SIGINT ignored; Dagster maps
    SIGTERM to SIGINT's handler when a run executes in process (the first build of `up`), so
    SIGTERM was ignored too and `kill` left every service running. `up` installs both."""
    import signal

    from dagster._utils.interrupts import setup_interrupt_handlers

    from revstack import cli

    saved = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cli.stop_on_signals()
        setup_interrupt_handlers()  # what the build's in-process Dagster run does
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])

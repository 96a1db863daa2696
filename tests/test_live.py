"""The live pipeline (issue 6): live simulated files pass ingestion, the sensor starts the live
worker, which puts them in the serving snapshot within its beat, keeps the live marts equal to a
full rebuild, loses no batch, and leaves every other mart as it was."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from ingestion import load_entity
from revstack import serving
from revstack.simulator import live, simulate
from revstack.simulator.common import EXPONENT, ts

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
LIVE_ENTITIES = (("gateway", "events"), ("gateway", "balance_transactions"), ("usage", "events"))
LIVE_VERSIONS = tuple(
    f"stg_gateway__{name}_versions"
    for name in ("balance_transaction", "charge", "dispute", "invoice", "refund")
)


@pytest.fixture(scope="module")
def tiny_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-customer, 4-month company: landing files and truth only (no warehouse)."""
    home = tmp_path_factory.mktemp("live_company")
    simulate(home, seed=5, customers=40, months=4, start=date(2025, 1, 1))
    return home


def _copy_company(src: Path, dst: Path) -> Path:
    for part in ("landing", "truth"):
        shutil.copytree(src / part, dst / part)
    return dst


def _clock(start: int = 1_900_000_000, step: int = 10):
    """A clock that moves ``step`` seconds at every reading (shared by streams: one timeline)."""
    return itertools.count(start, step).__next__


def _live_files(home: Path) -> dict[str, bytes]:
    return {
        p.relative_to(home).as_posix(): p.read_bytes()
        for p in sorted((home / "landing").rglob(f"{live.LIVE_DIR}/*"))
    }


# ------------------------------------------------------------------------- the live simulator
def test_live_files_pass_the_ingestion_contracts(tiny_company: Path, tmp_path: Path):
    home = _copy_company(tiny_company, tmp_path / "home")
    stream = live.LiveStream(home, seed=9, clock=lambda: 0)  # a clock before the company's end
    ticks = [stream.tick() for _ in range(12)]
    with duckdb.connect() as con:
        results = {(s, e): load_entity(con, s, e, home=home) for s, e in LIVE_ENTITIES}
        for result in results.values():
            assert not result.blocked and result.rows_quarantined == 0 and not result.drift
        # nothing but the live files under events/ (the company's monthly files were loaded too)
        live_events = con.execute(
            "select type, object_type, object_id from raw_gateway.events"
            " where _file like '%/live/%' order by _file, _line"
        ).fetchall()
        txns = con.execute(
            "select id, data->>'source', (data->>'amount')::bigint"
            " from raw_gateway.balance_transactions where _file like '%/live/%' order by _file"
        ).fetchall()
        usage = con.execute(
            "select count(*), count(distinct id) from raw_usage.events where _file like '%/live/%'"
        ).fetchone()
    expected_events = []
    for tick in ticks:
        expected_events.append(("charge.succeeded", "charge", tick.charge_id))
        if tick.invoice_id:
            expected_events.append(("invoice.paid", "invoice", tick.invoice_id))
    assert live_events == expected_events
    assert [(source, amount) for _, source, amount in txns] == [
        (t.charge_id, t.amount_minor) for t in ticks
    ]
    n_usage = sum(len(t.usage_ids) for t in ticks)
    assert usage == (n_usage, n_usage)
    # business time is the clock's, never before the company's end nor the previous version
    # (an invoice.paid one second after its charge)
    manifest = json.loads((home / "truth" / "manifest.json").read_text())
    expected, t = [], ts(date.fromisoformat(manifest["end"]))
    for tick in ticks:
        expected.append(t + 1)
        t += 2 if tick.invoice_id else 1
    assert [t.created for t in ticks] == expected
    assert any(t.invoice_id for t in ticks) and any(not t.invoice_id for t in ticks)


def test_live_stream_is_deterministic_and_resumes(tiny_company: Path, tmp_path: Path):
    whole = _copy_company(tiny_company, tmp_path / "whole")
    stream = live.LiveStream(whole, seed=9, clock=_clock())
    ticks = [stream.tick() for _ in range(8)]
    resumed = _copy_company(tiny_company, tmp_path / "resumed")
    clock = _clock()
    first = live.LiveStream(resumed, seed=9, clock=clock)
    for _ in range(3):
        first.tick()
    assert live.next_tick(resumed) == 3
    second = live.LiveStream(resumed, seed=9, clock=clock)
    second.skip_to(live.next_tick(resumed))
    for _ in range(5):
        second.tick()
    assert _live_files(whole) == _live_files(resumed)
    assert len(_live_files(whole)) == 3 * 8
    # another seed, another stream; ids never repeat and never collide with the company's
    other = _copy_company(tiny_company, tmp_path / "other")
    other_ticks = [live.LiveStream(other, seed=10, clock=_clock()).tick()]
    assert other_ticks[0].charge_id != ticks[0].charge_id
    ids = [t.charge_id for t in ticks] + [e for t in ticks for e in t.event_ids]
    assert len(set(ids)) == len(ids)
    charges = {
        json.loads(line)["id"]
        for p in (tiny_company / "landing" / "gateway" / "charges").glob("*.jsonl")
        for line in p.read_text().splitlines()
    }
    assert not charges & {t.charge_id for t in ticks}
    # each open invoice is paid once, and only invoices that were open
    paid = [t.invoice_id for t in ticks if t.invoice_id]
    assert len(set(paid)) == len(paid)
    open_ids = {inv["id"] for inv in live.load_company(tiny_company).open_invoices}
    assert set(paid) <= open_ids


def test_run_stops_after_duration_or_on_stop(tiny_company: Path, tmp_path: Path):
    home = _copy_company(tiny_company, tmp_path / "home")
    seen: list[live.Tick] = []
    assert live.run(home, seed=1, interval=0.05, duration=0.22, on_tick=seen.append) == len(seen)
    assert 3 <= len(seen) <= 6
    stop = threading.Event()
    stop.set()
    assert live.run(home, seed=1, interval=0.05, stop=stop) == 0
    # a second run continues the first one's numbering
    assert live.next_tick(home) == len(seen)


def test_live_needs_a_company(tmp_path: Path):
    with pytest.raises(live.LiveError, match="revstack simulate"):
        live.LiveStream(tmp_path)


# ----------------------------------------------------------------------------- the live publish
def test_publish_tables_replaces_only_the_named_tables(tmp_path: Path):
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"

    def warehouse(value: int) -> None:
        with duckdb.connect(str(wh)) as con:
            con.execute("create schema if not exists marts")
            con.execute("create or replace table marts.live_one as select $1 as v", [value])
            con.execute("create or replace table marts.other as select $1 as v", [value])

    warehouse(1)
    serving.publish(wh, snap, schemas=("marts",), build_id="full")
    warehouse(2)
    result = serving.publish_tables(["marts.live_one"], wh, snap, build_id="live1")
    assert result.tables == {"marts.live_one": 1}
    with serving.connect_snapshot(snap) as con:
        assert con.execute("select v from marts.live_one").fetchone() == (2,)
        assert con.execute("select v from marts.other").fetchone() == (1,)
        assert con.execute("select build_id from meta.snapshot").fetchone() == ("full",)
        rows = dict(
            con.execute("select table_name, build_id from meta.tables order by 1").fetchall()
        )
    assert rows == {"marts.live_one": "live1", "marts.other": "full"}
    assert not list(tmp_path.glob(".*.tmp"))


def test_publish_tables_by_key_replaces_changed_rows_and_drops_gone_ones(tmp_path: Path):
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_payments as select * from (values"
            " ('a', 1.00::decimal(18, 2)), ('b', 2.00), ('c', 3.00)) as t (payment_id, amount)"
        )
    serving.publish(wh, snap, schemas=("marts",), build_id="full")
    with duckdb.connect(str(wh)) as con:  # b changed, c gone, d new, a as it was
        con.execute("update marts.fct_payments set amount = 2.50 where payment_id = 'b'")
        con.execute("delete from marts.fct_payments where payment_id = 'c'")
        con.execute("insert into marts.fct_payments values ('d', 4.00)")
    keys = {"marts.fct_payments": "payment_id"}
    result = serving.publish_tables(["marts.fct_payments"], wh, snap, build_id="l1", keys=keys)
    assert result.tables == {"marts.fct_payments": 3}
    with serving.connect_snapshot(snap) as con:
        rows = con.execute("select * from marts.fct_payments order by 1").fetchall()
    assert rows == [("a", Decimal("1.00")), ("b", Decimal("2.50")), ("d", Decimal("4.00"))]
    # a table whose columns changed (a full build altered it) is copied whole
    with duckdb.connect(str(wh)) as con:
        con.execute("alter table marts.fct_payments add column note varchar default 'x'")
    serving.publish_tables(["marts.fct_payments"], wh, snap, build_id="l2", keys=keys)
    with serving.connect_snapshot(snap) as con:
        assert con.execute("select count(*), min(note) from marts.fct_payments").fetchone() == (
            3,
            "x",
        )


def test_a_long_lived_reader_sees_each_new_snapshot(tmp_path: Path):
    """DuckDB keeps one database per path and process: a reader that opened the snapshot before
    a swap must not make later connections in the same process see the old file."""
    wh, snap = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_payments as select 1 as v")
    serving.publish(wh, snap, schemas=("marts",), build_id="full")
    old = serving.connect_snapshot(snap)
    with duckdb.connect(str(wh)) as con:
        con.execute("create or replace table marts.fct_payments as select 2 as v")
    serving.publish_tables(["marts.fct_payments"], wh, snap, build_id="live")
    with serving.connect_snapshot(snap) as new:
        assert new.execute("select v from marts.fct_payments").fetchone() == (2,)
        assert new.execute("select build_id from meta.tables").fetchone() == ("live",)
    assert old.execute("select v from marts.fct_payments").fetchone() == (1,)
    old.close()


# ------------------------------------------------------------------------------------ the cursor
def test_landing_cursor_sees_each_file_once(dbt_manifest: Path):
    from orchestration.landing import CURSOR_WINDOW_NS, Landed, LandingCursor

    def f(path: str, t: int) -> Landed:
        return Landed("gateway", "events", path, t)

    first = [f("a", 10), f("b", 20)]
    cursor = LandingCursor.parse(None)
    assert cursor.new_files(first) == first  # no cursor yet: everything is new
    cursor = LandingCursor.parse(cursor.advanced(first).dump())
    assert cursor.new_files(first) == []
    # a file renamed into place after the listing, with an older change time, is still new
    late = f("c", 15)
    assert cursor.new_files([*first, late]) == [late]
    # files far below the newest are not remembered by name, and not new
    old = f("d", 20 - CURSOR_WINDOW_NS - 1)
    assert cursor.new_files([old]) == []


def test_sensor_starts_the_live_worker_unless_one_runs(
    tiny_company: Path, dbt_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.definitions import defs
    from orchestration.defs.live import live_landing

    home = _copy_company(tiny_company, tmp_path / "home")
    monkeypatch.setenv("REVSTACK_HOME", str(home))
    with dg.instance_for_test() as instance:
        # a full build in progress does not hold the worker back (the writer lock does)
        instance.add_run(dg.DagsterRun(job_name="build", status=dg.DagsterRunStatus.STARTED))
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        request = live_landing(context)
        assert isinstance(request, dg.RunRequest) and request.job_name in (None, "live")
        cursor = context.cursor
        idle = live_landing(
            dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        )
        assert isinstance(idle, dg.SkipReason) and idle.skip_message == "no new landing file"
        # while a live worker runs, it takes the new files in itself
        worker = dg.DagsterRun(job_name="live", status=dg.DagsterRunStatus.STARTED)
        instance.add_run(worker)
        live.LiveStream(home, seed=1).tick()
        context = dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        skipped = live_landing(context)
        assert isinstance(skipped, dg.SkipReason)
        assert skipped.skip_message == f"3 new file(s): live worker run {worker.run_id} takes them"
        assert context.cursor != cursor  # seen: the next evaluation does not count them again


class OtherWriter:
    """Another writer (a full-build step) holding the warehouse lock in its own thread until
    ``release()``."""

    def __init__(self, warehouse: Path) -> None:
        from revstack.locking import warehouse_lock

        self.held, self.done = threading.Event(), threading.Event()

        def hold():
            with warehouse_lock(warehouse):
                self.held.set()
                self.done.wait(30)

        self.thread = threading.Thread(target=hold)
        self.thread.start()
        assert self.held.wait(10)

    def release(self) -> None:
        self.done.set()
        self.thread.join(30)


def test_the_writer_lock_keeps_writers_apart(tmp_path: Path):
    from revstack.locking import WarehouseBusy, warehouse_lock

    warehouse = tmp_path / "revstack.duckdb"
    other = OtherWriter(warehouse)
    with pytest.raises(WarehouseBusy), warehouse_lock(warehouse, timeout=0):
        pass
    threading.Timer(0.3, other.done.set).start()
    with warehouse_lock(warehouse, timeout=10):  # waits for the other writer, then holds it
        assert other.done.is_set()
        with warehouse_lock(warehouse, timeout=0):  # re-entrant in the holder
            pass
    other.release()


# --------------------------------------------------------------------------------- end to end
def _table_digests(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    tables = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        " where table_schema = 'marts' order by 1"
    ).fetchall()
    return {
        name: con.execute(f"select count(*), sum(hash(t)) from {name} as t").fetchone()
        for (name,) in tables
    }


def _live_digests(warehouse: Path) -> dict[str, tuple]:
    """The live marts, and the intermediate models behind them less their bookkeeping column
    (the dbt invocation that last wrote each row)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        digests = {
            name: digest
            for name, digest in _table_digests(con).items()
            if name in ("marts.fct_payments", "marts.fct_invoices")
        }
        for name in ("intermediate.int_payments", "intermediate.int_invoices"):
            digests[name] = con.execute(
                "select count(*), sum(hash(t)) from"
                f" (select * exclude (_invocation_id) from {name}) as t"
            ).fetchone()
        return digests


@pytest.fixture
def live_home(small_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built small company, as REVSTACK_HOME."""
    home = tmp_path / "home"
    for part in ("landing", "truth", "warehouse"):
        shutil.copytree(small_home / part, home / part)
    monkeypatch.setenv("REVSTACK_HOME", str(home))
    monkeypatch.setenv("REVSTACK_WAREHOUSE", str(home / "warehouse" / "revstack.duckdb"))
    return home


def _ticks_paying_an_invoice(home: Path, seed: int) -> list[live.Tick]:
    stream = live.LiveStream(home, seed=seed)
    ticks = [stream.tick()]
    while not any(t.invoice_id for t in ticks):  # one tick that pays an open invoice too
        ticks.append(stream.tick())
    return ticks


def test_a_live_event_reaches_the_snapshot(live_home: Path, dbt_manifest: Path, tmp_path: Path):
    home = live_home
    from orchestration.definitions import defs
    from orchestration.defs.live import LIVE_PUBLISH_KEY

    snapshot = home / "warehouse" / "serving.duckdb"
    with serving.connect_snapshot(snapshot) as con:
        before = _table_digests(con)
        (full_build,) = con.execute("select build_id from meta.snapshot").fetchone()
        refreshed_before = dict(
            con.execute("select table_name, refreshed_at from meta.tables").fetchall()
        )

    ticks = _ticks_paying_an_invoice(home, seed=4)
    with dg.instance_for_test() as instance:
        # the resident worker, as the sensor starts it: it takes in what landed, then stops
        # after the idle time it is given
        result = defs.resolve_job_def("live").execute_in_process(
            instance=instance,
            run_config={"ops": {"live_worker": {"config": {"idle_exit_seconds": 1.0}}}},
            raise_on_error=False,
        )
        assert result.success
        assert result.output_for_node("live_worker") == 1  # one batch: every file in one beat
        materialized = {
            e.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()
            for e in [e.event_specific_data.materialization]
        }
        assert materialized == {
            "raw_gateway/balance_transactions",
            "raw_gateway/events",
            "raw_usage/events",
            "marts/fct_invoices",
            "marts/fct_payments",
            "intermediate/int_invoices",
            "intermediate/int_payments",
            *(f"staging/{name}" for name in LIVE_VERSIONS),
            LIVE_PUBLISH_KEY.to_user_string(),
        }
    (beat,) = [
        json.loads(line) for line in (home / "logs" / "live_worker.jsonl").read_text().splitlines()
    ]
    # the typed versions tables take in the new rows first (parse once), then the intermediate
    # models that hold the rules, then the two marts that publish them
    assert beat["ok"] and beat["models"] == [
        "fct_invoices", "fct_payments", "int_invoices", "int_payments", *LIVE_VERSIONS
    ]  # fmt: skip
    # its first beat lists every landing file (a new worker has seen none); the ticks' are loaded
    assert {p.relative_to(home).as_posix() for t in ticks for p in t.files} <= set(beat["files"])
    loaded = {(x["source"], x["entity"]): x["files_loaded"] for x in beat["loads"]}
    assert {k: v for k, v in loaded.items() if v} == {e: len(ticks) for e in LIVE_ENTITIES}

    with serving.connect_snapshot(snapshot) as con:
        for tick in ticks:
            row = con.execute(
                "select kind, customer_id, invoice_id, currency, amount, fee, net"
                " from marts.fct_payments where payment_id = ?",
                [tick.charge_id],
            ).fetchone()
            amount = Decimal(tick.amount_minor).scaleb(-EXPONENT[tick.currency])
            assert row[:5] == ("charge", tick.customer_id, tick.invoice_id, tick.currency.upper(),
                               amount)  # fmt: skip
            assert row[5] > 0 and row[5] + row[6] == amount
        paid = [t for t in ticks if t.invoice_id]
        status = con.execute(
            "select status, amount_paid = amount_due from marts.fct_invoices where invoice_id = ?",
            [paid[0].invoice_id],
        ).fetchone()
        assert status == ("paid", True)
        after = _table_digests(con)
        refreshed = dict(con.execute("select table_name, build_id from meta.tables").fetchall())
        refreshed_at = dict(
            con.execute("select table_name, refreshed_at from meta.tables").fetchall()
        )
        assert con.execute("select build_id from meta.snapshot").fetchone() == (full_build,)
    live_tables = {"marts.fct_payments", "marts.fct_invoices"}
    assert {name for name in before if before[name] != after[name]} == live_tables
    assert refreshed["marts.fct_payments"] == beat["batch"]
    assert refreshed["marts.fct_invoices"] == beat["batch"]
    for name, at in refreshed_before.items():
        if name.startswith("marts.") and name not in live_tables:
            assert (refreshed[name], refreshed_at[name]) == (full_build, at)

    # the app's Overview: the latest day is the live charges' day, its figures are that day's
    # rows of fct_payments, as of the live publish; the month's KPIs stay as of the full build
    with serving.connect_snapshot(snapshot) as con:
        day, succeeded, last_at = con.execute(
            "select occurred_date, count(*), max(occurred_at) from marts.fct_payments"
            " where kind = 'charge' and status = 'succeeded'"
            " and occurred_date = (select max(occurred_date) from marts.fct_payments"
            " where kind = 'charge') group by all"
        ).fetchone()
    assert day == datetime.fromtimestamp(max(t.created for t in ticks), UTC).date()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"Latest day: {day:%Y-%m-%d}" in [h.value for h in at.subheader]
    shown = {m.label: m for m in at.metric}
    assert shown["Charges succeeded (day)"].value == f"{succeeded:,}"
    caption = next(c.value for c in at.caption if c.value.startswith("last payment at "))
    assert caption.startswith(f"last payment at {last_at:%Y-%m-%d %H:%M:%S} UTC · ")
    assert caption.endswith((" s ago", " min ago"))  # moments after the live charge
    live_stamp = f"as of {refreshed_at['marts.fct_payments']:%Y-%m-%d %H:%M:%S} UTC · "
    full_stamp = f"as of {refreshed_at['marts.metrics_monthly']:%Y-%m-%d %H:%M:%S} UTC · "
    assert live_stamp != full_stamp
    assert shown["Cash collected (day)"].help.startswith(live_stamp)
    assert shown["MRR"].help.startswith(full_stamp)


def test_the_live_marts_stay_equal_to_a_full_rebuild_and_lose_no_batch(
    live_home: Path, dbt_manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from orchestration.landing import scan_landing
    from orchestration.live_worker import DbtInProcess, LiveWorker, _close_dbt_duckdb

    home = live_home
    warehouse = home / "warehouse" / "revstack.duckdb"
    worker = LiveWorker(home, log=lambda line: None, dbt_target=tmp_path / "target")
    worker.start()
    worker.cursor = worker.cursor.advanced(scan_landing(home))  # the built company is in

    # a beat whose dbt build fails publishes nothing and keeps its raw batches pending
    failing = _ticks_paying_an_invoice(home, seed=8)
    real_build = worker.dbt.build
    monkeypatch.setattr(worker.dbt, "build", lambda models, batches: (False, "boom"))
    beat = worker.poll()
    assert not beat.ok and beat.error == "boom" and len(beat.raw_batches) == 3
    assert worker.pending() == beat.raw_batches
    with serving.connect_snapshot(home / "warehouse" / "serving.duckdb") as con:
        missing = [t.charge_id for t in failing]
        assert con.execute(
            "select count(*) from marts.fct_payments where list_contains(?, payment_id)",
            [missing],
        ).fetchone() == (0,)
    monkeypatch.setattr(worker.dbt, "build", real_build)

    # while another writer (a full-build step) holds the warehouse, the worker skips its beat
    more = _ticks_paying_an_invoice(home, seed=9)
    other = OtherWriter(warehouse)
    try:
        assert worker.poll() is None
    finally:
        other.release()
    # the next beat takes in the new files and the pending batches: nothing is lost
    beat = worker.poll()
    assert beat.ok and len(beat.raw_batches) == 6 and worker.pending() == []
    with serving.connect_snapshot(home / "warehouse" / "serving.duckdb") as con:
        shown = {
            r[0]: r[1:]
            for r in con.execute(
                "select payment_id, invoice_id from marts.fct_payments"
                " where list_contains(?, payment_id)",
                [[t.charge_id for t in failing + more]],
            ).fetchall()
        }
    assert shown == {t.charge_id: (t.invoice_id,) for t in failing + more}

    # a few more beats, then: the incrementally kept marts equal a full rebuild
    for seed in (10, 11, 12):
        _ticks_paying_an_invoice(home, seed=seed)
        assert worker.poll().ok
    incremental = _live_digests(warehouse)
    # the publish replaced only the changed rows in the snapshot: the same tables as built
    with serving.connect_snapshot(home / "warehouse" / "serving.duckdb") as con:
        published = {k: v for k, v in _table_digests(con).items() if k in incremental}
    assert published == {k: v for k, v in incremental.items() if k.startswith("marts.")}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # a beat rewrites only the payments it touched (the rows of its dbt invocation, which
        # the mart takes in), not the whole table
        (writers,) = con.execute(
            "select count(distinct _invocation_id) from intermediate.int_payments"
        ).fetchone()
    assert writers > 1
    dbt = DbtInProcess(warehouse, tmp_path / "target")
    dbt.start()
    try:
        rebuilt = dbt._runner.invoke(
            ["run", "--select", "int_payments", "int_invoices", "fct_payments", "fct_invoices",
             "--full-refresh",
             "--no-write-json", *dbt._common()]
        )  # fmt: skip
    finally:
        _close_dbt_duckdb()
    assert rebuilt.success
    assert _live_digests(warehouse) == incremental
    assert incremental["marts.fct_payments"][0] > 0


def test_the_live_worker_takes_in_batches_a_full_build_loaded_first(
    live_home: Path, dbt_manifest: Path, tmp_path: Path
):
    """A file that a full build's ingestion step loads before the worker sees it still reaches
    the live marts at the worker's next beat (it takes in every batch loaded since its last)."""
    from ingestion import HashCache, ensure_raw_tables
    from orchestration.landing import scan_landing
    from orchestration.live_worker import LiveWorker

    home = live_home
    warehouse = home / "warehouse" / "revstack.duckdb"
    worker = LiveWorker(home, log=lambda line: None, dbt_target=tmp_path / "target")
    worker.start()
    worker.cursor = worker.cursor.advanced(scan_landing(home))
    _ticks_paying_an_invoice(home, seed=30)
    assert worker.poll().ok  # the worker's first beat: it knows the warehouse from now on
    ticks = _ticks_paying_an_invoice(home, seed=31)
    with duckdb.connect(str(warehouse)) as con:  # the build's ingestion step, first
        ensure_raw_tables(con)
        hashes = HashCache.load(con)
        build_batches = {
            r.batch_id
            for source, entity in LIVE_ENTITIES
            for r in [load_entity(con, source, entity, home, hashes)]
            if r.rows_loaded
        }
        hashes.save(con)
    assert len(build_batches) == len(LIVE_ENTITIES)
    beat = worker.poll()
    assert beat.ok and not any(x["rows_loaded"] for x in beat.loads)  # nothing left to load
    assert build_batches <= set(beat.raw_batches)
    with serving.connect_snapshot(home / "warehouse" / "serving.duckdb") as con:
        rows = con.execute(
            "select payment_id, invoice_id from marts.fct_payments"
            " where list_contains(?, payment_id)",
            [[t.charge_id for t in ticks]],
        ).fetchall()
    assert dict(rows) == {t.charge_id: t.invoice_id for t in ticks}

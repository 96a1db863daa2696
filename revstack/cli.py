"""The ``revstack`` command: simulate, build, up, sql.

Every command takes its paths from ``REVSTACK_HOME`` (default ``./data``) and exits non-zero with
a one-line reason when it cannot do its job.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

from revstack import config
from revstack.docs import serve as serve_docs

DEFAULT_SEED = 42
DEFAULT_CUSTOMERS = 1000
DEFAULT_MONTHS = 24
DEFAULT_START = date(2024, 11, 1)
# the kinds of ``revstack.simulator.drift.KINDS``, named here for --help without importing the
# simulator (and polars) on every command; a test keeps the two equal
DRIFT_KINDS = (
    "duplicate_file",
    "renamed_column",
    "gl_sync_gap",
    "payout_mismatch",
    "crm_wrong_customer",
    "unbilled_usage",
    "volume_drop",
    "late_events",
    "gl_currency_missing",
    "tax_rate_change",
    "payment_outage",
)


class CommandError(Exception):
    """A failure the user can act on; printed as one line, exit code 1."""


# --------------------------------------------------------------------------------------- env
def prepare_environment() -> None:
    """Export the settings that child processes (dbt, Dagster) read, all derived from the home."""
    home = config.home()
    os.environ["REVSTACK_HOME"] = str(home)
    os.environ.setdefault("REVSTACK_WAREHOUSE", str(config.warehouse_path()))
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    _write_instance_yaml(dagster_home / "dagster.yaml")
    os.environ.setdefault("DAGSTER_HOME", str(dagster_home))
    config.warehouse_dir().mkdir(parents=True, exist_ok=True)
    # dbt and dagster must be found on PATH even when the venv is not activated
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


# Storage under the home (Dagster's default); no telemetry: the stack runs offline. Every run
# writes the one DuckDB warehouse, which one process at a time may open: the run queue launches
# the runs that carry the warehouse tag (every job of orchestration/) one at a time, and looks at
# the queue every second so that a live run starts without waiting.
INSTANCE_YAML = """telemetry:
  enabled: false
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    dequeue_interval_seconds: 1
    tag_concurrency_limits:
      - key: revstack/warehouse
        limit: 1
"""


def _write_instance_yaml(path: Path) -> None:
    """Create the instance's dagster.yaml; give an older one (without a run queue) the queue."""
    text = path.read_text() if path.exists() else ""
    if not text.strip() or text == "telemetry:\n  enabled: false\n":
        path.write_text(INSTANCE_YAML)
    elif "run_coordinator:" not in text:
        queue = INSTANCE_YAML[INSTANCE_YAML.index("run_coordinator:") :]
        path.write_text(text.rstrip("\n") + "\n" + queue)


def landing_is_empty() -> bool:
    landing = config.landing_dir()
    return not landing.exists() or not any(p.is_file() for p in landing.rglob("*"))


# ----------------------------------------------------------------------------------- simulate
def cmd_simulate(args: argparse.Namespace) -> int:
    if getattr(args, "live", False):
        return cmd_simulate_live(args)
    from revstack.simulator import simulate
    from revstack.simulator.drift import DriftError, parse_kinds

    try:
        inject = parse_kinds(getattr(args, "inject", None) or ())
    except DriftError as exc:
        raise CommandError(str(exc)) from exc
    if not landing_is_empty():
        if not getattr(args, "replace", False):
            raise CommandError(
                f"the landing zone {config.landing_dir()} already holds files; a second company "
                "would mix with the first. Use --replace to start over (clears landing, truth, "
                "quarantine and the warehouse)."
            )
        for path in (config.landing_dir(), config.truth_dir(), config.quarantine_dir()):
            shutil.rmtree(path, ignore_errors=True)
        for path in (config.warehouse_path(), config.serving_path()):
            path.unlink(missing_ok=True)
    started = time.perf_counter()
    try:
        manifest = simulate(
            config.home(),
            seed=args.seed,
            customers=args.customers,
            months=args.months,
            start=args.start,
            inject=inject,
            usage_density=getattr(args, "usage_density", 1.0),
        )
    except DriftError as exc:
        raise CommandError(f"{exc}; the landing zone holds a partial company") from exc
    elapsed = time.perf_counter() - started
    counts = manifest.get("counts", {}) if isinstance(manifest, dict) else {}
    print(
        f"simulated {args.customers} customers × {args.months} months from {args.start} "
        f"(seed {args.seed}) into {config.landing_dir()} in {elapsed:.1f} s"
    )
    for source, entities in counts.items():
        if isinstance(entities, dict):
            line = ", ".join(f"{entity} {n:,}" for entity, n in entities.items())
            print(f"  {source:<11} {line}")
    print(f"ground truth: {config.truth_dir()}")
    if inject:
        print(
            f"injected drift: {', '.join(inject)} "
            f"(recorded in {config.truth_dir() / 'injected_drift.json'})"
        )
    return 0


def cmd_simulate_live(args: argparse.Namespace) -> int:
    """``simulate --live``: continue the company with a tick of new files every interval."""
    from revstack.simulator import live

    if args.interval <= 0:
        raise CommandError("--interval must be positive")
    if landing_is_empty():
        cmd_simulate(argparse.Namespace(**{**vars(args), "live": False}))
    home = config.home()
    try:
        stream_from = live.next_tick(home)
        print(
            f"live: a gateway events, balance transactions and usage file every "
            f"{args.interval:g} s into {config.landing_dir()} from tick {stream_from} "
            f"(seed {args.seed}); Ctrl-C stops",
            flush=True,
        )
        written = live.run(home, seed=args.seed, interval=args.interval, duration=args.duration)
    except live.LiveError as exc:
        raise CommandError(str(exc)) from exc
    print(f"live: wrote {written} tick(s)")
    return 0


# -------------------------------------------------------------------------------------- build
def run_build(quiet: bool = False, full_refresh: bool = False) -> int:
    """Load, build, check and publish through the same Dagster job the scheduler runs.

    Incremental: the dbt step takes in what landed since the last build; ``full_refresh``
    rebuilds every table from the raw layer (the way back, as the nightly build does)."""
    prepare_environment()
    started = time.perf_counter()
    from revstack import build_state

    if not full_refresh and build_state.nothing_new():
        # no Dagster run: loading, building, checking and publishing would change nothing
        print(
            f"nothing new since the last published build: no landing file is new or changed, "
            f"the code and settings are the same; the snapshot stays as it is "
            f"({time.perf_counter() - started:.1f} s)"
        )
        return 0
    from orchestration.dbt_project import prepare_if_stale

    prepare_if_stale()
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.schedules import full_refresh_config

    job = defs.resolve_job_def("build")
    # the full event log is in the Dagster UI; the terminal gets warnings and a summary
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    if full_refresh:
        run_config |= full_refresh_config()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
    from revstack import checks

    after = checks.post_run(result.all_events, result.run_id, result.success)
    elapsed = time.perf_counter() - started
    summary = _summarise(result) + [f"  {line}" for line in after.lines()]
    if not quiet:
        for line in summary:
            print(line)
    if not result.success:
        failed = [
            e.step_key
            for e in result.all_events
            if e.event_type_value == "STEP_FAILURE" and e.step_key
        ]
        print(
            f"build failed in {elapsed:.1f} s at step(s): {', '.join(failed) or 'unknown'}; "
            f"the previous serving snapshot is unchanged. Dagster run {result.run_id}.",
            file=sys.stderr,
        )
        return 1
    if after.published:
        from revstack.docs import generate_after_build

        docs_line = generate_after_build()  # the warehouse is free now: dbt reads its catalog
        if not quiet:
            print(f"  {docs_line}")
    else:
        print(f"  {build_state.NOTHING_NEW}")
    where = "published at" if after.published else "unchanged at"
    print(f"build succeeded in {elapsed:.1f} s; snapshot {where} {config.serving_path()}")
    return 0


def _summarise(result) -> list[str]:
    lines: list[str] = []
    checks_failed: list[str] = []
    checks_total = 0
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            md = mat.metadata
            key = "/".join(mat.asset_key.path)
            if "rows_loaded" in md:
                loaded = md["rows_loaded"].value
                quarantined = md.get("rows_quarantined")
                q = quarantined.value if quarantined is not None else 0
                if loaded or q:
                    lines.append(f"  loaded {key:<40} {loaded:>9,} rows, {q:,} quarantined")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            checks_total += 1
            if not evaluation.passed:
                checks_failed.append(
                    f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}"
                )
    steps = [
        f"{e.step_key} {e.event_specific_data.duration_ms / 1000:.1f} s"
        for e in result.all_events
        if e.event_type_value == "STEP_SUCCESS" and e.step_key
    ]
    lines.append(f"  steps: {', '.join(steps)}")
    lines.append(
        f"  checks: {checks_total - len(checks_failed)} passed, {len(checks_failed)} failed"
    )
    lines.extend(f"    failed: {name}" for name in checks_failed)
    return lines


def cmd_build(args: argparse.Namespace) -> int:
    return run_build(full_refresh=args.full_refresh)


# ----------------------------------------------------------------------------------------- up
def _wait_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def end_orphan_runs(instance) -> int:
    """Mark canceled the runs an earlier stack left queued or running (its processes are gone):
    before the daemon starts, no run of this home can be alive, and the live sensor waits for
    every run in progress. Returns how many."""
    import dagster as dg

    from orchestration.defs.live import IN_PROGRESS

    records = instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS))
    for record in records:
        instance.report_run_canceled(
            record.dagster_run, "revstack up started again: the process of this run is gone"
        )
    return len(records)


def live_start(today: date | None = None, months: int = DEFAULT_MONTHS) -> date:
    """The start of the company `up` simulates: ``months`` before today (UTC), so that its
    history ends today and the live traffic continues it. A company that ended weeks ago would
    leave a gap the checks rightly report: no gateway or usage rows for weeks, a stale GL."""
    from revstack.simulator.common import add_months_date

    return add_months_date(today or datetime.now(UTC).date(), -months)


def _start_live(root: Path) -> subprocess.Popen:
    """`revstack simulate --live` in its own session; the sensor picks its files up."""
    cmd = [sys.executable, "-m", "revstack.cli", "simulate", "--live", "--seed", str(DEFAULT_SEED)]
    print("live traffic: a gateway events and a usage file every second (--no-live: off)")
    return subprocess.Popen(cmd, cwd=root, start_new_session=True)


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop ``revstack up`` and the services it started, even when
    it was started with SIGINT ignored (a background job of a non-interactive shell, nohup):
    Dagster maps SIGTERM to whatever handles SIGINT, so an ignored SIGINT made SIGTERM
    ignored too, and the services outlived a `kill`."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def cmd_up(args: argparse.Namespace) -> int:
    stop_on_signals()
    prepare_environment()
    if landing_is_empty():
        print("landing zone is empty: simulating the default company first")
        cmd_simulate(
            argparse.Namespace(
                seed=DEFAULT_SEED,
                customers=args.customers,
                months=DEFAULT_MONTHS,
                start=live_start(),
            )
        )
    from orchestration.dbt_project import prepare_if_stale

    prepare_if_stale()  # before the services start, so that they find a parsed project
    import dagster as dg

    # Create the Dagster instance's storage once, here: `dagster dev` and the first build would
    # otherwise both create the SQLite schema of an empty DAGSTER_HOME at the same moment, and the
    # loser fails (alembic_version UNIQUE) or hangs.
    with dg.DagsterInstance.get() as instance:
        end_orphan_runs(instance)
    root = config.PROJECT_ROOT
    bin_dir = Path(sys.executable).parent
    procs: list[subprocess.Popen] = []
    dagster_cmd = [
        str(bin_dir / "dagster"),
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        args.host,
        "-p",
        str(args.dagster_port),
        "--log-level",  # the daemon logs every sensor tick at info: a line a second
        "warning",
    ]
    app_cmd = [
        str(bin_dir / "streamlit"),
        "run",
        str(root / "dashboards" / "app.py"),
        "--server.address",
        args.host,
        "--server.port",
        str(args.app_port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    try:
        # The services boot while the first build runs: the app shows "no snapshot yet" until
        # the build publishes, and the build's run appears in the Dagster UI (same instance).
        # Dagster's own output (the daemon, and every live run's step events at debug level,
        # dozens of lines a second while traffic flows) goes to a log file: the terminal keeps
        # revstack's summaries, and the Dagster UI shows each run's events.
        log_path = config.home() / "logs" / "dagster.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"Dagster's logs: {log_path}")
        with open(log_path, "ab") as dagster_log:  # the child keeps its own descriptor
            procs.append(
                subprocess.Popen(
                    dagster_cmd,
                    cwd=root,
                    start_new_session=True,
                    stdout=dagster_log,
                    stderr=subprocess.STDOUT,
                )
            )
        procs.append(subprocess.Popen(app_cmd, cwd=root, start_new_session=True))
        procs.append(serve_docs(args.host, args.docs_port))
        if run_build() != 0 and not config.serving_path().exists():
            raise CommandError("the first build failed and there is no snapshot to serve")
        if not args.no_live:
            procs.append(_start_live(root))
        dagster_url = f"http://{args.host}:{args.dagster_port}"
        app_url = f"http://{args.host}:{args.app_port}"
        for name, url in (("Dagster UI", dagster_url), ("app", app_url)):
            ok = _wait_http(url, timeout=300)
            print(f"{name:<10} {url}  {'up' if ok else 'NOT answering yet'}")
        print("revstack is running; Ctrl-C stops it.")
        if args.exit_when_ready:
            return 0
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        failed = [p.args[0] for p in procs if p.poll() not in (None, 0)]
        if failed:
            raise CommandError(f"a service exited: {', '.join(map(str, failed))}")
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
            _end_group(p.pid)


def _end_group(pgid: int, grace: float = 5.0) -> None:
    """End what a stopped service left in its process group: Dagster's code servers keep
    running while a run they launched (the resident live worker) is in progress."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + grace
        try:
            os.killpg(pgid, sig)
            while time.monotonic() < deadline:
                time.sleep(0.2)
                os.killpg(pgid, 0)  # raises once no process of the group is left
        except ProcessLookupError:
            return


# ---------------------------------------------------------------------------------------- sql
SQL_QUIT = {".quit", ".exit", "\\q", "quit", "exit"}


def cmd_sql(args: argparse.Namespace) -> int:
    """Run SQL on the serving snapshot, read-only: the argument's statements, or a prompt.

    The connection is read-only and cannot reach files or other databases (so no ``ATTACH`` of
    the working warehouse, whose lock the pipeline needs). A failing statement prints DuckDB's
    message; the prompt goes on, and the exit code is 1 if any statement failed.
    """
    from revstack.serving import connect_snapshot

    try:
        con = connect_snapshot()
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    interactive = args.statement is None and sys.stdin.isatty()
    failed = 0
    with con:
        _restrict(con)
        if args.statement is not None:
            texts = iter([args.statement])
        else:
            if interactive:
                with contextlib.suppress(ImportError):
                    import readline  # noqa: F401 - line editing and history for input()
                print(
                    f"revstack sql: read-only on {config.serving_path()}; end a statement with ;"
                    " and leave with .quit or Ctrl-D"
                )
            texts = _read_statements(interactive)
        for text in texts:
            failed += _run_sql(con, text, args.max_rows)
            if failed and args.statement is not None:
                break
    return 1 if failed else 0


def _restrict(con) -> None:
    """No files, no other database (so no ATTACH of the warehouse), and no way to undo that.

    The settings belong to the database instance, which DuckDB shares between the connections
    of one process to the same file: set them once, then only check them."""
    setting = (
        "select current_setting('lock_configuration'), current_setting('enable_external_access')"
    )
    [(locked, external)] = con.execute(setting).fetchall()
    if not locked:
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    elif external:
        raise CommandError("the snapshot is open in this process with file access enabled")


def _run_sql(con, text: str, max_rows: int) -> int:
    """Run every statement of ``text``, showing each result; return how many failed."""
    import duckdb

    try:
        statements = con.extract_statements(text)
    except duckdb.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for statement in statements:
        try:
            relation = con.sql(statement.query)
            if relation is not None:  # a query runs here, where a runtime error shows
                relation.show(max_rows=max_rows, max_width=200)
        except duckdb.Error as exc:  # report the engine's message, keep the prompt alive
            print(f"error: {_sql_error(exc)}", file=sys.stderr)
            failed += 1
    return failed


def _sql_error(exc: Exception) -> str:
    message = str(exc)
    if "read-only mode" in message:
        return f"the snapshot is read-only, nothing can change it ({message})"
    if "disabled by configuration" in message:
        return f"revstack sql reads the snapshot only, no files or other databases ({message})"
    return message


def _read_statements(interactive: bool):
    """Statements from stdin: each ends with ``;`` at the end of a line; ``.quit`` or EOF ends
    the input (a last statement without ``;`` still runs)."""
    buffer: list[str] = []
    while True:
        try:
            if interactive:
                line = input("revstack> " if not buffer else "      ...> ")
            else:
                line = sys.stdin.readline()
                if not line:
                    raise EOFError
                line = line.rstrip("\n")
        except EOFError:
            if interactive:
                print()
            if "\n".join(buffer).strip():
                yield "\n".join(buffer)
            return
        except KeyboardInterrupt:  # at the prompt, Ctrl-C drops the statement being typed
            if not interactive:
                return
            print()
            buffer = []
            continue
        if not buffer and line.strip().rstrip(";").strip().lower() in SQL_QUIT:
            return
        buffer.append(line)
        if line.rstrip().endswith(";"):
            yield "\n".join(buffer)
            buffer = []


# --------------------------------------------------------------------------------------- main
def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from exc


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {value}") from exc
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revstack",
        description="revstack: revenue data stack. Paths come from REVSTACK_HOME (default ./data).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="write a simulated company into the landing zone")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    p.add_argument("--months", type=int, default=DEFAULT_MONTHS)
    p.add_argument("--start", type=_date, default=DEFAULT_START, help="first day, YYYY-MM-DD")
    p.add_argument(
        "--usage-density",
        type=_positive_float,
        default=1.0,
        metavar="N",
        help="usage events per metered customer-day as a multiple of the default (1.4), each "
        "event's value divided by N: more, smaller events for about the same usage",
    )
    p.add_argument(
        "--replace", action="store_true", help="clear an existing company and its warehouse first"
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="continue the simulated company (simulated first if the landing zone is empty) "
        "with new gateway events and usage every --interval seconds until stopped",
    )
    p.add_argument("--interval", type=float, default=1.0, help="seconds between live ticks")
    p.add_argument(
        "--duration", type=float, default=None, help="stop live mode after this many seconds"
    )
    p.add_argument(
        "--inject",
        action="append",
        metavar="KIND",
        help="inject a known drift (repeatable or comma-separated; 'all' for every kind): "
        + ", ".join(DRIFT_KINDS),
    )
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("build", help="load what landed, build and check the models, publish")
    p.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every table from the raw layer instead of incrementally",
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("up", help="simulate if empty, build, then run the Dagster UI and the app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--dagster-port", type=int, default=3000)
    p.add_argument("--app-port", type=int, default=8501)
    p.add_argument("--docs-port", type=int, default=8080, help="the dbt docs site")
    p.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    p.add_argument("--no-live", action="store_true", help="do not stream live simulated traffic")
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("sql", help="query the serving snapshot read-only")
    p.add_argument("statement", nargs="?", help="a SQL statement; omit for a prompt")
    p.add_argument("--max-rows", type=int, default=100)
    p.set_defaults(func=cmd_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        print(f"revstack {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

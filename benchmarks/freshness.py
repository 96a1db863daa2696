"""Benchmark (not a test): how long a gateway event takes from landing to being visible.

    .venv/bin/python benchmarks/freshness.py --home /tmp/bench1000 [--events 50 --interval 1.5]

On a home with a built company (``revstack simulate`` + ``revstack build``; WRITES live files
into its landing zone and runs into its warehouse: use a copy), this starts the Dagster daemon
(``dagster-daemon run``: the ``live_landing`` sensor and the run queue, no web server), writes
``--events`` ticks of the live simulator one every ``--interval`` seconds, and for each measures
the time from its gateway events file being renamed into the landing zone to its charge being

- in the serving snapshot: a fresh read-only connection every ``--poll`` seconds looks for the
  charge id in ``marts.fct_payments``;
- in the app: the same lookup through the app's own data layer (``dashboards.data``: the
  snapshot identity and the cached ``query``), as a page does when it re-renders; a page that is
  open re-renders on its own refresh interval, which adds at most that interval.

It then breaks each event's time down with the live worker's beat that carried it (its log,
``$REVSTACK_HOME/logs/live_worker.jsonl``, names each beat's files): waiting for the beat
(landing → beat start: the worker's poll interval, or the beat before it still running), the
beat's load, dbt and publish, and the publish → visible delay. Prints p50/p95/max and writes
everything as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Sample:
    n: int
    charge_id: str
    events_file: str
    landed_at: float
    snapshot_at: float | None = None
    app_at: float | None = None
    run_id: str | None = None
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def snapshot_s(self) -> float | None:
        return None if self.snapshot_at is None else self.snapshot_at - self.landed_at

    @property
    def app_s(self) -> float | None:
        return None if self.app_at is None else self.app_at - self.landed_at


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Pollers:
    """Two threads that look for pending charge ids: in the snapshot, and through the app."""

    def __init__(self, serving: Path, poll: float) -> None:
        self.serving, self.poll = serving, poll
        self.pending: dict[str, Sample] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._loop, args=(self._snapshot_ids, "snapshot_at")),
            threading.Thread(target=self._loop, args=(self._app_ids, "app_at")),
        ]

    def start(self) -> None:
        from streamlit import logger

        logger.set_log_level("error")  # the data module outside a Streamlit run warns each call
        for thread in self.threads:
            thread.start()

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.pending[sample.charge_id] = sample

    def waiting(self) -> int:
        with self.lock:
            return sum(1 for s in self.pending.values() if None in (s.snapshot_at, s.app_at))

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _loop(self, find, attribute: str) -> None:
        while not self.stop.is_set():
            with self.lock:
                ids = [i for i, s in self.pending.items() if getattr(s, attribute) is None]
            if ids:
                try:
                    found = find(ids)
                except (duckdb.Error, OSError):
                    found = set()
                now = time.time()
                with self.lock:
                    for charge_id in found:
                        setattr(self.pending[charge_id], attribute, now)
            self.stop.wait(self.poll)

    def _snapshot_ids(self, ids: list[str]) -> set[str]:
        from revstack.serving import connect_snapshot

        with connect_snapshot(self.serving) as con:
            rows = con.execute(
                "select payment_id from marts.fct_payments where payment_id = any($ids)",
                {"ids": ids},
            ).fetchall()
        return {r[0] for r in rows}

    def _app_ids(self, ids: list[str]) -> set[str]:
        from dashboards import data

        snapshot = data.current_snapshot()
        if snapshot is None:
            return set()
        frame = data.query(
            snapshot,
            "select payment_id from marts.fct_payments where list_contains(?, payment_id)",
            (ids,),
        )
        return set(frame["payment_id"])


def start_daemon(home: Path, log: Path, scheduled_builds: bool) -> subprocess.Popen:
    daemon = Path(sys.executable).parent / "dagster-daemon"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env["REVSTACK_SCHEDULED_BUILDS"] = "true" if scheduled_builds else "false"
    return subprocess.Popen(
        [str(daemon), "run", "-m", "orchestration.definitions"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_daemon(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def read_beats(home: Path, since: float) -> list[dict]:
    """The live worker's beats since ``since`` (its JSON lines log)."""
    path = home / "logs" / "live_worker.jsonl"
    if not path.exists():
        return []
    beats = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [b for b in beats if b["started_at"] >= since]


def attribute(samples: list[Sample], beats: list[dict]) -> None:
    """Each sample's beat (the one whose files name its events file) and its phases."""
    by_file = {f: b for b in beats for f in b["files"]}
    for sample in samples:
        beat = by_file.get(sample.events_file)
        if beat is None:
            continue
        sample.run_id = beat["batch"]
        ended = beat["started_at"] + beat["seconds"]["total"]
        phases = {"wait_for_the_beat": beat["started_at"] - sample.landed_at}
        phases.update({f"beat:{k}": v for k, v in beat["seconds"].items() if k != "total"})
        phases["beat_total"] = beat["seconds"]["total"]
        if sample.snapshot_at is not None:
            phases["beat_end_to_visible"] = sample.snapshot_at - ended
        sample.phases = phases


def wait_for_worker(instance, home: Path, since: float, timeout: float) -> None:
    """Until the sensor has started the live worker and its first beat (which takes in every
    landing file: a new worker has seen none) is done."""
    import dagster as dg

    from orchestration.defs.live import LIVE_JOB

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = instance.get_run_records(
            dg.RunsFilter(job_name=LIVE_JOB, statuses=[dg.DagsterRunStatus.STARTED]), limit=1
        )
        if running and read_beats(home, since):
            return
        time.sleep(1)
    raise SystemExit(f"the live worker did not take its first beat within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a built REVSTACK_HOME (a copy)")
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between events")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between lookups")
    parser.add_argument("--timeout", type=float, default=300, help="per event, after the last")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="default: <home>/freshness.json")
    parser.add_argument(
        "--scheduled-builds",
        action="store_true",
        help="let the hourly/nightly full builds run meanwhile (default: paused, so that the "
        "figures are the live path's; a full build holds the queue for minutes)",
    )
    parser.add_argument(
        "--during-full-build",
        action="store_true",
        help="start `revstack build --full-refresh` once the live worker is ready and write "
        "events until it has finished (at least --events): the live path while a full build "
        "runs on its copy of the warehouse (revstack.build_copy)",
    )
    parser.add_argument("--from-json", type=Path, help="only report a JSON written before")
    args = parser.parse_args()
    home = args.home.resolve()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        fields = Sample.__dataclass_fields__
        samples = [Sample(**{k: v for k, v in d.items() if k in fields}) for d in saved["samples"]]
        attribute(samples, saved["beats"])
        args.interval = saved["interval_s"]
        return report(args, home, samples, saved["beats"])
    os.environ["REVSTACK_HOME"] = str(home)
    os.environ.pop("REVSTACK_WAREHOUSE", None)
    os.environ.pop("DAGSTER_HOME", None)

    from revstack import cli, config
    from revstack.simulator import live

    cli.prepare_environment()  # DAGSTER_HOME under the home, its dagster.yaml with the run queue
    from orchestration.dbt_project import prepare_if_stale

    prepare_if_stale()
    import dagster as dg

    if not config.serving_path().exists():
        raise SystemExit(f"no serving snapshot under {home}: run `revstack build` first")
    stream = live.LiveStream(home, seed=args.seed)
    stream.skip_to(live.next_tick(home))
    with dg.DagsterInstance.get() as instance:
        cli.end_orphan_runs(instance)
    log = home / "freshness-daemon.log"
    started = time.time()
    daemon = start_daemon(home, log, args.scheduled_builds)
    pollers = Pollers(config.serving_path(), args.poll)
    samples: list[Sample] = []
    build: FullBuild | None = None
    try:
        with dg.DagsterInstance.get() as instance:
            print(f"daemon started (log {log}); waiting for the live worker", flush=True)
            wait_for_worker(instance, home, started, timeout=900)
            pollers.start()
            print(f"writing {args.events} events, one every {args.interval:g} s", flush=True)
            if args.during_full_build:
                build = start_full_build(home)
            t0 = time.monotonic()
            i = 0
            while i < args.events or (build is not None and build.proc.poll() is None):
                tick = stream.tick()
                samples.append(
                    Sample(
                        n=tick.n,
                        charge_id=tick.charge_id,
                        events_file=tick.files[1].relative_to(home).as_posix(),
                        landed_at=tick.landed_at,
                    )
                )
                pollers.add(samples[-1])
                i += 1
                time.sleep(max(0.0, t0 + i * args.interval - time.monotonic()))
            if build is not None:
                build.finish()
            deadline = time.monotonic() + args.timeout
            while pollers.waiting() and time.monotonic() < deadline:
                time.sleep(0.5)
            pollers.close()
    finally:
        pollers.stop.set()
        if build is not None:
            build.finish()
        stop_daemon(daemon)
    beats = read_beats(home, started)
    attribute(samples, beats)
    report(args, home, samples, beats, build)


@dataclass
class FullBuild:
    """`revstack build --full-refresh`, run beside the live path."""

    proc: subprocess.Popen
    log: Path
    started_at: float
    ended_at: float | None = None
    returncode: int | None = None

    def finish(self) -> None:
        if self.ended_at is not None:
            return
        try:
            self.returncode = self.proc.wait(timeout=3600)
        except BaseException:
            self.proc.terminate()
            self.returncode = self.proc.wait()
            raise
        finally:
            self.ended_at = time.time()

    def during(self, sample: Sample) -> bool:
        return self.started_at <= sample.landed_at <= (self.ended_at or float("inf"))


def start_full_build(home: Path) -> FullBuild:
    log = home / "freshness-full-build.log"
    env = dict(os.environ, REVSTACK_HOME=str(home))
    exe = str(Path(sys.executable).parent / "revstack")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [exe, "build", "--full-refresh"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    print(f"full build started (log {log})", flush=True)
    return FullBuild(proc=proc, log=log, started_at=time.time())


def report(
    args, home: Path, samples: list[Sample], beats: list[dict], build: FullBuild | None = None
) -> None:
    during = None
    if build is not None:
        inside = [s.snapshot_s for s in samples if build.during(s) and s.snapshot_s is not None]
        during = {
            "build_s": (build.ended_at or time.time()) - build.started_at,
            "build_returncode": build.returncode,
            "events": len(inside),
            "snapshot_s": {"p50": pct(inside, 0.5), "p95": pct(inside, 0.95), "max": max(inside)}
            if inside
            else None,
        }
    snap = [s.snapshot_s for s in samples if s.snapshot_s is not None]
    app = [s.app_s for s in samples if s.app_s is not None]
    customers = json.loads((home / "truth" / "manifest.json").read_text())["customers"]
    load = os.getloadavg()
    print(f"\n## freshness — {customers:,} customers, {len(samples)} gateway events\n")
    print("| landing → visible | n | p50 | p95 | max |\n|---|---|---|---|---|")
    for name, values in (("serving snapshot", snap), ("app data layer", app)):
        print(
            f"| {name} | {len(values)} | {pct(values, 0.5):.1f} s | {pct(values, 0.95):.1f} s "
            f"| {max(values, default=float('nan')):.1f} s |"
        )
    phases: dict[str, list[float]] = {}
    for s in samples:
        for k, v in s.phases.items():
            phases.setdefault(k, []).append(v)
    print("\n| where the time goes (per event) | p50 | p95 |\n|---|---|---|")
    for k, values in phases.items():
        print(f"| {k} | {pct(values, 0.5):.1f} s | {pct(values, 0.95):.1f} s |")
    files = [sum(1 for f in b["files"] if "/events/" in f and "gateway" in f) for b in beats]
    if during is not None:
        shown = during["snapshot_s"] or {"p50": float("nan"), "p95": float("nan")}
        print(
            f"\nduring the full build ({during['build_s']:.0f} s, exit "
            f"{during['build_returncode']}): {during['events']} events, landing → snapshot "
            f"p50 {shown['p50']:.1f} s, p95 {shown['p95']:.1f} s"
        )
    print(
        f"\nbeats: {len(beats)}, {sum(1 for b in beats if not b['ok'])} failed; gateway event "
        f"files per beat: median {statistics.median(files or [0]):g}; load average at the end "
        f"{load[0]:.1f} / {os.cpu_count()} cores"
    )
    out = args.json or home / "freshness.json"
    out.write_text(
        json.dumps(
            {
                "customers": customers,
                "events": len(samples),
                "interval_s": args.interval,
                "snapshot_s": {"p50": pct(snap, 0.5), "p95": pct(snap, 0.95), "max": max(snap)}
                if snap
                else None,
                "app_s": {"p50": pct(app, 0.5), "p95": pct(app, 0.95), "max": max(app)}
                if app
                else None,
                "phases_p50": {k: pct(v, 0.5) for k, v in phases.items()},
                "phases_p95": {k: pct(v, 0.95) for k, v in phases.items()},
                "during_full_build": during,
                "load_average": load,
                "samples": [
                    {**asdict(s), "snapshot_s": s.snapshot_s, "app_s": s.app_s} for s in samples
                ],
                "beats": beats,
            },
            indent=2,
        )
    )
    print(f"written: {out}")


if __name__ == "__main__":
    main()

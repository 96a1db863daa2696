"""The benchmark run of one size: every step as a subprocess of the current code, measured.

Steps, in order (``--steps`` picks some; each needs the ones before it to have run on the home):

- ``simulate``: ``revstack simulate`` of the size into an empty home (wall time, peak memory,
  landing MB and files); then, untimed, the company's last business day is held back
  (``landing.py``);
- ``ingest``: ``benchmarks.ingest`` in a subprocess: revstack's loader beside DuckDB's own
  readers on the same landing files, each into a scratch DuckDB file;
- ``full``: ``revstack build`` on an empty warehouse (everything but the held-back day);
- ``noop``: ``revstack build`` again, nothing new landed;
- ``day``: the held-back day lands, ``revstack build``;
- ``events``: the live simulator writes 1,000 gateway events, ``revstack build``;
- ``app``: every app page rendered on the snapshot (``benchmarks.app_render``);
- ``mrr``: revstack's MRR models re-run alone with ``dbt run --full-refresh``, and the
  month-spine peer (``benchmarks.peer``) on the same warehouse, compared at month ends;
- ``freshness`` (only when asked): ``benchmarks/freshness.py`` on a copy of the built home.
- ``freshness_build`` (only when asked): the same while ``revstack build --full-refresh`` runs
  (``--during-full-build``): the live path while a full build works on its copy of the warehouse.

Each build records its wall time, the Dagster step durations ``revstack build`` prints (sorted
into ingestion, dbt, checks and publish; the rest of the wall time is the command's own start,
the alerts after the run and the dbt docs), the rows each raw table loaded, peak memory of the
process tree and the slowest dbt nodes (its ``run_results.json``).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from benchmarks import landing, proc

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DBT_PROJECT = ROOT / "dbt_project"

#: Every size's company ends here: a past day, so that every load happens after the data's end
#: (export rows are versioned at the earlier of their load time and the day after the data's
#: last day) and the live ticks that continue the company are in the past as well.
END = date(2026, 11, 1)


@dataclass(frozen=True)
class Size:
    name: str
    customers: int
    months: int
    usage_density: float = 1.0


SIZES = {
    "S": Size("S", 1_000, 24),
    "M": Size("M", 10_000, 24),
    # 2,000 customers × 36 months write 90 usage events per customer at density 1: 11 gives
    # about 99 million usage events for 100,000 customers
    "L": Size("L", 100_000, 36, usage_density=11.0),
}
STEPS = ("simulate", "ingest", "full", "noop", "day", "events", "app", "mrr")
OPTIONAL_STEPS = ("freshness", "freshness_build")

#: revstack's MRR models, from the subscription versions to the metrics (dbt names); the peer
#: starts from int_subscription_mrr_intervals, so its like-for-like are the models after it
#: that turn subscription intervals into customer month-end MRR, movements and monthly totals
MRR_CHAIN = (
    "int_metric_policy_sets",
    "int_subscription_versions",
    "int_subscription_items",
    "int_subscription_items_mrr",
    "int_subscription_discounts",
    "int_invoice_lines",
    "int_subscription_invoiced_mrr_intervals",
    "int_subscription_mrr_intervals",
    "int_customer_mrr_intervals",
    "int_mrr_movements",
    "int_customer_mrr_month_end",
    "int_metrics_monthly",
    "fct_mrr",
    "fct_mrr_movements",
    "metrics_customer_monthly",
    "metrics_monthly",
    "metrics_cohorts",
    "rpt_metric_policy_diff",
)
PEER_EQUIVALENT = (
    "int_customer_mrr_intervals",
    "int_customer_mrr_month_end",
    "int_mrr_movements",
    "int_metrics_monthly",
)


@dataclass
class Run:
    size: Size
    label: str
    seed: int
    home: Path
    steps: tuple[str, ...]
    repeat: int = 3
    live_events: int = 1000
    freshness_events: int = 20
    start: date = field(init=False)

    def __post_init__(self) -> None:
        m0 = END.month - 1 - self.size.months
        self.start = date(END.year + m0 // 12, m0 % 12 + 1, 1)


def machine() -> dict:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "polars", "streamlit"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "cpu": model,
        "python": platform.python_version(),
        "versions": versions,
    }


def code_version() -> dict:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return out.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "uncommitted_changes": bool(status) if commit else None}


# ------------------------------------------------------------------------------ builds
_LOADED = re.compile(r"^\s*loaded (\S+)\s+([\d,]+) rows, ([\d,]+) quarantined")
_FIGURES = {
    # what else `revstack build` prints: its own elapsed time (from after its imports), the
    # dbt docs generation after the publish, the alerts left open
    "command_s": re.compile(r"^build (?:succeeded|failed) in ([\d.]+) s"),
    "docs_s": re.compile(r"dbt docs generated in ([\d.]+) s"),
    "open_alerts": re.compile(r"open alerts after this build: (\d+)"),
}


def step_category(step: str) -> str:
    if step.startswith(("load_raw", "raw_")):
        return "ingestion"
    if "dbt" in step:
        return "dbt"
    if "check" in step:
        return "checks"
    if step.startswith("serving") or "publish" in step:
        return "publish"
    return "other steps"


def parse_build_output(stdout: str) -> dict:
    """The Dagster step durations, rows loaded and other figures ``revstack build`` prints."""
    steps: dict[str, float] = {}
    loaded: dict[str, int] = {}
    figures: dict[str, float] = {}
    for line in stdout.splitlines():
        stripped = line.strip()
        for name, pattern in _FIGURES.items():
            if found := pattern.search(stripped):
                figures[name] = float(found.group(1))
        if stripped.startswith("steps:"):
            for part in stripped[len("steps:") :].split(","):
                pieces = part.strip().rsplit(" ", 2)
                if len(pieces) == 3 and pieces[2] == "s":
                    steps[pieces[0]] = float(pieces[1])
        elif m := _LOADED.match(line):
            loaded[m.group(1)] = int(m.group(2).replace(",", ""))
    return {"steps": steps, "rows_loaded": loaded, "printed": figures}


def shares(wall: float, steps: dict[str, float]) -> dict[str, float]:
    """Seconds per category (ingestion, dbt, checks, publish, other steps) and outside the
    Dagster job (the command's start, the alerts after the run, the docs)."""
    out = {c: 0.0 for c in ("ingestion", "dbt", "checks", "publish")}
    for step, seconds in steps.items():
        category = step_category(step)
        out[category] = out.get(category, 0.0) + seconds
    out["outside the job"] = max(0.0, wall - sum(steps.values()))
    return out


def dbt_run_results(home: Path) -> dict | None:
    """The dbt step's run_results.json of the home's latest build (dagster-dbt writes it to
    ``dbt_project/target/<op>-<run id[:7]>-<uuid>/``): the slowest nodes and the MRR chain's
    times; the folder is removed afterwards (it is this run's litter in the code tree)."""
    import duckdb

    warehouse = home / "warehouse" / "revstack.duckdb"
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute(
                "select run_id from ops.builds order by finished_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return None
    if row is None:
        return None
    found = sorted((DBT_PROJECT / "target").glob(f"*-{row[0][:7]}-*/run_results.json"))
    if not found:
        return None
    data = json.loads(found[0].read_text())
    shutil.rmtree(found[0].parent, ignore_errors=True)
    results = data.get("results", [])
    nodes = sorted(
        (
            {
                "node": r["unique_id"].split(".", 1)[1],
                "kind": r["unique_id"].split(".", 1)[0],
                "seconds": r.get("execution_time") or 0.0,
            }
            for r in results
        ),
        key=lambda n: -n["seconds"],
    )
    models = {n["node"].split(".")[-1]: n["seconds"] for n in nodes if n["kind"] == "model"}
    return {
        "elapsed_s": data.get("elapsed_time"),
        "nodes": len(results),
        "models": sum(1 for n in nodes if n["kind"] == "model"),
        "tests": sum(1 for n in nodes if n["kind"] == "test"),
        "sum_node_s": sum(n["seconds"] for n in nodes),
        "sum_by_kind_s": {
            kind: sum(n["seconds"] for n in nodes if n["kind"] == kind)
            for kind in sorted({n["kind"] for n in nodes})
        },
        "slowest": nodes[:8],
        "mrr_chain_s": {m: models[m] for m in MRR_CHAIN if m in models},
    }


# ------------------------------------------------------------------------------ the run
class Harness:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.home = run.home
        self.bench = run.home / "bench"
        self.result: dict = {
            "size": run.label,
            "customers": run.size.customers,
            "months": run.size.months,
            "usage_density": run.size.usage_density,
            "seed": run.seed,
            "start": run.start.isoformat(),
            "end": END.isoformat(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "code": code_version(),
            "steps_run": [],
            "errors": [],
        }

    # -- plumbing -------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = dict(os.environ, REVSTACK_HOME=str(self.home))
        for derived in ("REVSTACK_WAREHOUSE", "DAGSTER_HOME"):
            env.pop(derived, None)  # from the home, as a user's would be
        env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
        return env

    def measure(self, label: str, cmd: list[str], env: dict | None = None) -> proc.Measured:
        logs = self.bench / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        print(f"  {label}: {' '.join(str(c) for c in cmd)}", flush=True)
        m = proc.run(cmd, env=env or self.env(), cwd=ROOT, log=logs / f"{label}.log")
        status = "ok" if m.ok else f"FAILED (exit {m.returncode})"
        print(f"  {label}: {status} in {m.wall_s:.1f} s, peak {m.peak_rss_mb:,.0f} MB", flush=True)
        if not m.ok:
            self.result["errors"].append({"step": label, "tail": m.tail()})
        return m

    def module(self, label: str, name: str, *args: str) -> tuple[proc.Measured, dict | None]:
        out = self.bench / f"{label}.json"
        out.unlink(missing_ok=True)
        m = self.measure(label, [sys.executable, "-m", name, *args, "--json", str(out)])
        return m, (json.loads(out.read_text()) if out.exists() else None)

    def simulate_args(self) -> list[str]:
        size = self.run.size
        args = [
            "--customers", str(size.customers), "--months", str(size.months),
            "--start", self.run.start.isoformat(), "--seed", str(self.run.seed),
        ]  # fmt: skip
        if size.usage_density != 1:
            args += ["--usage-density", f"{size.usage_density:g}"]
        return args

    # -- steps ----------------------------------------------------------------------------
    def step_simulate(self) -> None:
        for sub in ("landing", "truth", "quarantine", "warehouse", "dagster", "logs", "live"):
            shutil.rmtree(self.home / sub, ignore_errors=True)
        shutil.rmtree(self.bench / "holdout", ignore_errors=True)
        (self.bench / "holdout.json").unlink(missing_ok=True)
        args = self.simulate_args()
        m = self.measure("simulate", [str(BIN / "revstack"), "simulate", *args])
        if not m.ok:
            raise SystemExit("simulate failed: nothing else can run")
        manifest = json.loads((self.home / "truth" / "manifest.json").read_text())
        self.result["simulate"] = {
            "command": "revstack simulate " + " ".join(args),
            "wall_s": m.wall_s,
            "peak_rss_mb": m.peak_rss_mb,
            "landing": landing.landing_stats(self.home),
            "gateway_events": manifest["counts"]["gateway"]["events"],
            "usage_events": manifest["counts"]["usage"]["events"],
        }
        self.result["holdout"] = landing.hold_out_last_day(self.home)

    def step_ingest(self) -> None:
        scratch = self.bench / "ingest-scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            m, data = self.module(
                "ingest", "benchmarks.ingest", "--home", str(self.home), "--scratch", str(scratch)
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if data is not None:
            data["wall_s"] = m.wall_s
            data["peak_rss_mb"] = m.peak_rss_mb
            self.result["ingest"] = data

    def build(self, name: str, landed: dict | None = None) -> None:
        m = self.measure(f"build-{name}", [str(BIN / "revstack"), "build"])
        parsed = parse_build_output(m.stdout)
        record = {
            "ok": m.ok,
            "wall_s": m.wall_s,
            "peak_rss_mb": m.peak_rss_mb,
            "max_process_rss_mb": m.max_process_rss_mb,
            "cpu_s": m.cpu_s,
            "load_before": m.load_before,
            **parsed,
            "categories_s": shares(m.wall_s, parsed["steps"]),
            "dbt": dbt_run_results(self.home) if m.ok else None,
        }
        if landed is not None:
            record["landed"] = landed
        self.result.setdefault("builds", {})[name] = record

    def step_full(self) -> None:
        landing.hold_out_last_day(self.home)  # and take back a day an earlier run landed
        landing.remove_live_files(self.home)
        for sub in ("warehouse", "dagster", "quarantine", "logs", "live"):
            shutil.rmtree(self.home / sub, ignore_errors=True)
        self.result["builds"] = {}
        self.build("full", landed=landing.landing_stats(self.home))

    def step_noop(self) -> None:
        self.build("noop", landed={"files": 0, "mb": 0.0})

    def step_day(self) -> None:
        self.build("day", landed=landing.land_held_day(self.home))

    def step_events(self) -> None:
        started = time.perf_counter()
        landed = landing.write_live_events(self.home, self.run.live_events, self.run.seed)
        landed["write_s"] = time.perf_counter() - started
        self.build("events", landed=landed)

    def step_app(self) -> None:
        m, data = self.module("app", "benchmarks.app_render", "--repeat", str(self.run.repeat))
        if data is not None:
            data["peak_rss_mb"] = m.peak_rss_mb
            self.result["app"] = data

    def step_mrr(self) -> None:
        chain = self.dbt_chain()
        scratch = self.bench / "peer-scratch"
        warehouse = self.home / "warehouse" / "revstack.duckdb"
        compiled = self.bench / "revstack-sql.json"
        args = ["--warehouse", str(warehouse), "--scratch", str(scratch)]
        args += ["--repeat", str(self.run.repeat)]
        if compiled.exists():
            args += ["--revstack-sql", str(compiled)]
        try:
            _, peer = self.module("peer", "benchmarks.peer", *args)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        record: dict = {"chain": chain, "peer": peer, "equivalent_models": list(PEER_EQUIVALENT)}
        if chain and peer:
            ours = sum(chain["models_s"].get(m, 0.0) for m in PEER_EQUIVALENT)
            record["revstack_equivalent_s"] = ours
            record["peer_over_revstack"] = peer["seconds"] / ours if ours else None
        if peer and peer.get("revstack_sql"):
            ours_sql = peer["revstack_sql"]["seconds"]
            record["peer_over_revstack_sql"] = peer["seconds"] / ours_sql if ours_sql else None
        self.result["mrr"] = record

    def dbt_chain(self) -> dict | None:
        """revstack's MRR models alone: ``dbt run --full-refresh -s <chain>`` ``--repeat``
        times on the home's warehouse (rewriting those tables with the same rows); each
        model's median ``execution_time``."""
        manifest_path = DBT_PROJECT / "target" / "manifest.json"
        present = set()
        if manifest_path.exists():
            nodes = json.loads(manifest_path.read_text())["nodes"].values()
            present = {n["name"] for n in nodes if n["resource_type"] == "model"}
        models = [m for m in MRR_CHAIN if m in present] if present else list(MRR_CHAIN)
        target = self.bench / "dbt-target"
        env = self.env()
        env["REVSTACK_WAREHOUSE"] = str(self.home / "warehouse" / "revstack.duckdb")
        cmd = [
            str(BIN / "dbt"), "run", "--full-refresh", "--select", *models,
            "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(target), "--log-path", str(target / "logs"),
        ]  # fmt: skip
        runs, walls = [], []
        try:
            for i in range(self.run.repeat):
                m = self.measure(f"dbt-mrr-chain-{i + 1}", cmd, env=env)
                if not m.ok:
                    return None
                walls.append(m.wall_s)
                results = json.loads((target / "run_results.json").read_text())["results"]
                runs.append({r["unique_id"].split(".")[-1]: r["execution_time"] for r in results})
            compiled = {}
            for model in PEER_EQUIVALENT:
                found = sorted((target / "compiled").rglob(f"{model}.sql"))
                if found:
                    compiled[model] = found[0].read_text()
            (self.bench / "revstack-sql.json").write_text(json.dumps(compiled, indent=2))
        finally:
            shutil.rmtree(target, ignore_errors=True)
        per_model = {m: statistics.median(r[m] for r in runs) for m in models if m in runs[0]}
        return {
            "command": "dbt run --full-refresh --select " + " ".join(models),
            "repeat": self.run.repeat,
            "models_s": per_model,
            "sum_s": sum(per_model.values()),
            "wall_s": statistics.median(walls),
            "missing": [m for m in MRR_CHAIN if m not in per_model],
        }

    def step_freshness(self) -> None:
        self._freshness("freshness", [])

    def step_freshness_build(self) -> None:
        self._freshness("freshness_build", ["--during-full-build"])

    def _freshness(self, name: str, extra: list[str]) -> None:
        copy = self.home.with_name(self.home.name + "-freshness")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(self.home, copy, ignore=shutil.ignore_patterns("bench"), symlinks=True)
        out = self.bench / f"{name}.json"
        try:
            m = self.measure(
                name,
                [
                    sys.executable, str(ROOT / "benchmarks" / "freshness.py"), "--home", str(copy),
                    "--events", str(self.run.freshness_events), "--json", str(out), *extra,
                ],
            )  # fmt: skip
        finally:
            shutil.rmtree(copy, ignore_errors=True)
        if m.ok and out.exists():
            data = json.loads(out.read_text())
            self.result[name] = {
                k: data.get(k)
                for k in ("events", "interval_s", "snapshot_s", "app_s", "during_full_build")
            }

    def execute(self) -> dict:
        for step in self.run.steps:
            print(f"[{self.run.label}] {step}", flush=True)
            getattr(self, f"step_{step}")()
            self.result["steps_run"].append(step)
        return self.result


def new_home(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))

"""docs/benchmarks.md from the JSON of every size (``render``): one section per size, and the
issue's targets beside each size's figures."""

from __future__ import annotations

HEADER = """\
# Benchmarks

Written by the benchmark harness (`benchmarks/`) from `docs/benchmarks.json`: do not edit by
hand; `.venv/bin/python -m benchmarks report` rewrites it from the JSON. Not tests: nothing here
is asserted. Each size is run on its own (`.venv/bin/python -m benchmarks run --size S`, `M`,
`L`) and keeps the other sizes' sections; each section says when, on what machine and with
which code it ran.
"""

SIZES_NOTE = """\
Sizes: S = 1,000 customers × 24 months, M = 10,000 × 24 (usage density 1: 1.4 usage events per
metered customer-day), L = 100,000 × 36 at usage density 11, about 99 million usage events.
What L takes, estimated from a 2,000-customer × 36-month company at density 11 (1.98 million
usage events, 1.0 GB of landing files, simulated in 47 s on this machine) scaled by 50: about
51 GB of landing files (22 GB of them usage) and 40 minutes to simulate, before any build.
"""

METHOD_INTRO = """\
## How each figure is measured

Every command runs as a subprocess of the harness with `REVSTACK_HOME` set to a scratch home,
so the figures are those of the code in the working tree. Each company ends on 2026-11-01
(`--start` = that day minus the size's months; seed 42).
"""

#: (figure, how it is measured)
METHOD = (
    (
        "simulate",
        "wall time of `revstack simulate --customers C --months N --start … [--usage-density "
        "D]`; landing MB and files after it",
    ),
    (
        "one new business day",
        "held back before the full build: every gateway and usage event whose own time is on "
        "the company's last day, taken out of the monthly files; it lands as one file per "
        'source, `<day>_events.jsonl`, before the "one new day" build (`benchmarks/landing.py`)',
    ),
    (
        "1,000 new gateway events",
        "the live simulator (`revstack.simulator.live`, what `revstack simulate --live` runs) "
        "continuing the company from its end, ticks one business second apart, until 1,000 "
        "gateway events landed: each tick a `charge.succeeded` (+ `invoice.paid` one tick in "
        "four), its balance transaction and 1–3 usage events, 3 files",
    ),
    (
        "ingestion vs DuckDB",
        "`python -m benchmarks.ingest`: per entity, the same landing files "
        "(`ingestion.loader.landing_files`) loaded by `ingestion.load_entity` and by DuckDB's "
        "`create table … as select * from read_json([…], union_by_name = true)` (`read_csv` for "
        "CSV), each into its own new DuckDB file, `checkpoint` included; files read once before "
        "either side. The ratio is revstack's throughput ÷ DuckDB's (1.0 = as fast)",
    ),
    (
        "builds",
        "wall time of `revstack build`: full (empty warehouse, everything but the held-back "
        "day), nothing new, after the new day, after the 1,000 events, in that order on one "
        "home",
    ),
    (
        "step shares",
        "the Dagster step durations `revstack build` prints: `load_raw_*` = ingestion, the dbt "
        'step = dbt, `ops__checks` = checks, `serving__snapshot` = publish; "outside the job" = '
        "the wall time left (process start and imports, the dbt manifest check, alerts after "
        "the run, dbt docs)",
    ),
    (
        "peak RSS",
        "the build's whole process tree (its session), summed from `/proc` every 0.1 s; "
        '"largest process" = the kernel\'s `ru_maxrss` (`wait4`)',
    ),
    (
        "dbt nodes",
        "`execution_time` of each node in the build's own `run_results.json` (models run 2 at a "
        "time: `threads: 2`)",
    ),
    (
        "app pages",
        "`python -m benchmarks.app_render` on the last snapshot: Streamlit `AppTest`, cold = "
        "first render with the caches emptied, warm = best of 3 reruns",
    ),
    (
        "MRR models",
        "`dbt run --full-refresh --select <the MRR chain>` alone on the built warehouse, 3 "
        "times, each model's median `execution_time`",
    ),
    (
        "month-spine peer",
        '`python -m benchmarks.peer`: the dbt "mrr-playbook" method in DuckDB SQL (see '
        "`benchmarks/peer.py`) from `int_subscription_mrr_intervals`, median of 3; compared "
        "with revstack's models from the same input (`int_customer_mrr_intervals`, "
        "`int_customer_mrr_month_end`, `int_mrr_movements`, `int_metrics_monthly`), and its "
        "results with `marts.metrics_customer_monthly` and `marts.metrics_monthly` at every "
        "month end, exactly (DECIMAL). Why that input: it is the playbook's "
        "`subscription_periods` (subscription, start, end, monthly amount, with discounts, "
        "trials, past_due and cancellations applied) and the first model both methods share; "
        "`int_customer_mrr_intervals` would hand the peer the customer aggregation it is meant "
        "to do itself",
    ),
    (
        "live freshness (optional: `--steps … freshness`)",
        "`benchmarks/freshness.py` on a copy of the built home: the Dagster daemon and the live "
        "worker, `--freshness-events` live ticks, landing → visible in the snapshot and the app",
    ),
    (
        "live freshness during a full build (optional: `--steps … freshness_build`)",
        "the same, with `revstack build --full-refresh` started once the live worker is ready and "
        "ticks written until it has finished; the figure is over the ticks that landed while it "
        "ran (the build works on a copy of the warehouse: `revstack/build_copy.py`)",
    ),
)

TARGETS = (
    # (figure, target, function of a size's result -> text)
    ("full build from empty", "M ≤ 60 s", lambda r: _s(_build(r, "full"))),
    ("build with nothing new", "M ≤ 5 s", lambda r: _s(_build(r, "noop"))),
    ("build after one new day", "≤ 10 % of full", lambda r: _of_full(r, "day")),
    ("build after 1,000 events", "≤ 10 % of full", lambda r: _of_full(r, "events")),
    ("ingestion ÷ DuckDB's reader (throughput)", "≥ 0.5", lambda r: _ratio(r)),
    ("month-spine peer time ÷ revstack's MRR models", "L ≥ 5×", lambda r: _peer_ratio(r)),
    ("peak RSS of any build", "L ≤ 24 GiB", lambda r: _peak(r)),
    ("slowest app page (cold)", "L ≤ 1 s", lambda r: _slowest_page(r)),
    ("live freshness p95 while a full build runs", "M ≤ 10 s", lambda r: _fresh_build(r)),
)


# ------------------------------------------------------------------------------ formatting
def _s(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds >= 100:
        return f"{seconds:,.0f} s"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.2f} s"


def _mb(mb: float | None) -> str:
    if mb is None:
        return "–"
    if mb >= 1000:
        return f"{mb / 1000:,.1f} GB"
    return f"{mb:,.1f} MB" if mb >= 1 else f"{mb:.2f} MB"


def _n(n: float | None) -> str:
    return "–" if n is None else f"{n:,.0f}"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def _build(r: dict, name: str) -> float | None:
    build = (r.get("builds") or {}).get(name)
    return build["wall_s"] if build and build.get("ok") else None


def _of_full(r: dict, name: str) -> str:
    full, this = _build(r, "full"), _build(r, name)
    if this is None:
        return "–"
    return f"{_s(this)} ({_pct(this, full)})" if full else _s(this)


def _ratio(r: dict) -> str:
    totals = (r.get("ingest") or {}).get("totals") or {}
    ratio = totals.get("throughput_ratio")
    return "–" if ratio is None else f"{ratio:.2f}"


def _peer_ratio(r: dict) -> str:
    ratio = (r.get("mrr") or {}).get("peer_over_revstack")
    return "–" if ratio is None else f"{ratio:.2f}×"


def _peak(r: dict) -> str:
    peaks = [b["peak_rss_mb"] for b in (r.get("builds") or {}).values()]
    return _mb(max(peaks)) if peaks else "–"


def _slowest_page(r: dict) -> str:
    pages = (r.get("app") or {}).get("pages") or []
    if not pages:
        return "–"
    slowest = max(pages, key=lambda p: p["cold_s"])
    return f"{_s(slowest['cold_s'])} ({slowest['page']})"


def _fresh_build(r: dict) -> str:
    during = (r.get("freshness_build") or {}).get("during_full_build") or {}
    q = during.get("snapshot_s")
    return f"{_s(q['p95'])} ({during['events']} events)" if q else "–"


def _size_title(label: str, r: dict) -> str:
    density = r.get("usage_density", 1)
    usage = f", usage density {density:g}" if density != 1 else ""
    return f"{label} — {r['customers']:,} customers × {r['months']} months{usage}"


# ------------------------------------------------------------------------------ sections
def _targets(sizes: dict) -> list[str]:
    labels = ["S", "M", "L"] + [label for label in sizes if label not in ("S", "M", "L")]
    out = [
        "## Targets (issue 14) and where each size stands",
        "",
        "| figure | target | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for figure, target, value in TARGETS:
        cells = [value(sizes[label]) if label in sizes else "not run" for label in labels]
        out.append(f"| {figure} | {target} | " + " | ".join(cells) + " |")
    return [*out, ""]


def _section(label: str, r: dict) -> list[str]:
    m = r["machine"]
    code = r.get("code") or {}
    commit = code.get("commit") or "unknown"
    if code.get("uncommitted_changes"):
        commit += " + uncommitted changes"
    out = [
        f"## {_size_title(label, r)}",
        "",
        f"Run {r['date']} on {m['cores']} cores, {m['memory_gib']} GiB ({m['cpu']}); code "
        f"{commit}; company {r['start']} → {r['end']}, seed {r['seed']}. Command: "
        f"`.venv/bin/{r.get('command', 'python -m benchmarks run --size ' + label)}`.",
        "",
    ]
    for error in r.get("errors") or []:
        out += [f"**{error['step']} failed**:", "", "```", error["tail"], "```", ""]
    out += _simulate(r) + _builds(r) + _ingest(r) + _dbt(r) + _app(r) + _mrr(r) + _fresh(r)
    return out


def _simulate(r: dict) -> list[str]:
    sim = r.get("simulate")
    if not sim:
        return []
    held = r.get("holdout") or {}
    return [
        "### Simulate",
        "",
        f"`{sim['command']}`: {_s(sim['wall_s'])}, peak {_mb(sim['peak_rss_mb'])}; landing "
        f"{_mb(sim['landing']['mb'])} in {sim['landing']['files']:,} files ("
        + ", ".join(f"{k} {_mb(v)}" for k, v in sim["landing"]["per_source_mb"].items())
        + f"); {sim['gateway_events']:,} gateway events, {sim['usage_events']:,} usage events. "
        f"Held back for the new-day build: {held.get('day', '–')}, "
        + ", ".join(f"{n:,} {s} events" for s, n in (held.get("events") or {}).items())
        + ".",
        "",
    ]


def _landed(b: dict) -> str:
    landed = b.get("landed") or {}
    if "ticks" in landed:
        return (
            f"{landed['gateway_events']:,} gateway events, {landed['usage_events']:,} usage "
            f"events ({landed['ticks']:,} ticks, {landed['files']:,} files, "
            f"{_mb(landed['mb'])})"
        )
    if "day" in landed:
        events = ", ".join(f"{n:,} {s}" for s, n in landed["events"].items())
        return f"{landed['day']}: {events} events ({landed['files']} files, {_mb(landed['mb'])})"
    if landed.get("files"):
        return f"{_mb(landed['mb'])}, {landed['files']:,} files"
    return "nothing"


def _outside(name: str, b: dict) -> str:
    """The wall time outside the Dagster job, split by what ``revstack build`` prints."""
    printed = b.get("printed") or {}
    command, docs = printed.get("command_s"), printed.get("docs_s")
    outside = b["categories_s"]["outside the job"]
    if command is None:
        return f"{name} {_s(outside)}"
    start = max(0.0, b["wall_s"] - command)
    rest = max(0.0, outside - start - (docs or 0.0))
    alerts = printed.get("open_alerts")
    return (
        f"{name}: start and imports {_s(start)}, dbt docs {_s(docs)}, the rest (before and "
        f"after the job: the dbt manifest check, Dagster's run setup, alerts) {_s(rest)}"
        + (f", {alerts:.0f} alerts open after it" if alerts is not None else "")
    )


def _builds(r: dict) -> list[str]:
    builds = r.get("builds") or {}
    if not builds:
        return []
    names = {
        "full": "full, empty warehouse",
        "noop": "nothing new",
        "day": "one new day",
        "events": "1,000 new events",
    }
    out = [
        "### Builds (`revstack build`)",
        "",
        "| build | landed | wall | ingestion | dbt | checks | publish | outside the job "
        "| peak RSS (tree) | largest process |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, b in builds.items():
        if not b.get("ok"):
            out.append(f"| {names.get(name, name)} | {_landed(b)} | failed | | | | | | | |")
            continue
        c = b["categories_s"]
        cells = [
            f"{_s(c.get(k, 0.0))} ({_pct(c.get(k, 0.0), b['wall_s'])})"
            for k in ("ingestion", "dbt", "checks", "publish", "outside the job")
        ]
        out.append(
            f"| {names.get(name, name)} | {_landed(b)} | {_s(b['wall_s'])} | "
            + " | ".join(cells)
            + f" | {_mb(b['peak_rss_mb'])} | {_mb(b['max_process_rss_mb'])} |"
        )
    out += [
        "",
        "Outside the job, as the command prints it: "
        + "; ".join(_outside(names.get(name, name), b) for name, b in builds.items() if b.get("ok"))
        + ".",
    ]
    out += [
        "",
        "CPU time (user + system, the whole tree) and the 1-minute load average when each "
        "started (the machine's other work): "
        + "; ".join(
            f"{names.get(name, name)} {_s(b.get('cpu_s'))}, load {b.get('load_before', 0):.1f}"
            for name, b in builds.items()
        )
        + ".",
    ]
    full = builds.get("full") or {}
    rows = sum((full.get("rows_loaded") or {}).values())
    load_s = (full.get("categories_s") or {}).get("ingestion")
    landed_mb = (full.get("landed") or {}).get("mb")
    if rows and load_s:
        out += [
            "",
            f"The full build's load steps: {rows:,} rows from {_mb(landed_mb)} in {_s(load_s)} "
            f"= {_n(rows / load_s)} rows/s, {landed_mb / load_s:,.1f} MB/s (Dagster steps "
            "included).",
        ]
    return [*out, ""]


def _ingest(r: dict) -> list[str]:
    ing = r.get("ingest")
    if not ing:
        return []
    t = ing["totals"]
    ours, duck = t["revstack"], t["duckdb"]
    out = [
        "### Ingestion beside DuckDB's own reader (`python -m benchmarks.ingest`)",
        "",
        f"All {t['entities']} entities, {_mb(t['mb'])}: revstack {_s(ours['seconds'])} "
        f"({_n(ours['rows_per_s'])} rows/s, {ours['mb_per_s']:,.1f} MB/s), DuckDB "
        f"{_s(duck['seconds'])} ({_n(duck['rows_per_s'])} rows/s, {duck['mb_per_s']:,.1f} MB/s): "
        f"revstack at **{t.get('throughput_ratio', 0):.2f}** of DuckDB's throughput.",
        "",
        "| entity | files | MB | revstack rows | revstack | DuckDB rows | DuckDB | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    small = [e for e in ing["entities"] if e["mb"] < 1]
    for e in ing["entities"]:
        if e["mb"] < 1:
            continue
        ours_s, duck_s = e["revstack"]["seconds"], e["duckdb"]["seconds"]
        ratio = f"{duck_s / ours_s:.2f}" if ours_s and duck_s else "–"
        reader = "" if e["duckdb"]["reader"] in ("read_json", "read_csv") else "*"
        out.append(
            f"| {e['source']}/{e['entity']} | {e['files']} | {e['mb']:,.1f} | "
            f"{_n(e['revstack']['rows'])} | {_s(ours_s)} | {_n(e['duckdb']['rows'])}{reader} | "
            f"{_s(duck_s)} | {ratio} |"
        )
    if small:
        ours_s = sum(e["revstack"]["seconds"] or 0 for e in small)
        duck_s = sum(e["duckdb"]["seconds"] or 0 for e in small)
        ratio = f"{duck_s / ours_s:.2f}" if ours_s else "–"
        out.append(
            f"| {len(small)} entities under 1 MB | {sum(e['files'] for e in small)} | "
            f"{sum(e['mb'] for e in small):,.1f} | "
            f"{_n(sum(e['revstack']['rows'] for e in small))} | {_s(ours_s)} | "
            f"{_n(sum(e['duckdb']['rows'] for e in small))} | {_s(duck_s)} | {ratio} |"
        )
    if any(e["duckdb"]["reader"] not in ("read_json", "read_csv") for e in ing["entities"]):
        out += ["", "\\* DuckDB's schema detection failed: `read_ndjson_objects` instead."]
    return [*out, ""]


def _dbt(r: dict) -> list[str]:
    full = (r.get("builds") or {}).get("full") or {}
    dbt = full.get("dbt")
    if not dbt:
        return []
    out = [
        "### Where the full build's dbt time goes",
        "",
        f"{dbt['models']} models and {dbt['tests']} tests; dbt's own elapsed time "
        f"{_s(dbt['elapsed_s'])}, Σ node time {_s(dbt['sum_node_s'])} (2 threads)"
        + _by_kind(dbt)
        + ". Slowest nodes:",
        "",
        "| node | seconds |",
        "|---|---|",
    ]
    out += [f"| {n['kind']} {n['node']} | {_s(n['seconds'])} |" for n in dbt["slowest"]]
    out += _later_builds_dbt(r)
    return [*out, ""]


def _by_kind(dbt: dict) -> str:
    kinds = dbt.get("sum_by_kind_s") or {}
    return f" ({', '.join(f'{k}s {_s(v)}' for k, v in kinds.items())})" if kinds else ""


def _later_builds_dbt(r: dict) -> list[str]:
    """The dbt step of the incremental builds, by the same measure."""
    out = []
    for name, label in (("day", "one new day"), ("events", "1,000 new events")):
        dbt = ((r.get("builds") or {}).get(name) or {}).get("dbt")
        if dbt:
            out.append(
                f"- {label}: {dbt['nodes']} nodes, dbt's elapsed {_s(dbt['elapsed_s'])}, "
                f"Σ node time {_s(dbt['sum_node_s'])}{_by_kind(dbt)}"
            )
    return ["", "The same for the incremental builds:", "", *out] if out else []


def _app(r: dict) -> list[str]:
    app = r.get("app")
    if not app:
        return []
    out = [
        f"### App pages (snapshot {_mb(app['snapshot_mb'])})",
        "",
        "| page | cold | warm | tables | rows shown |",
        "|---|---|---|---|---|",
    ]
    for p in app["pages"]:
        flag = " (exception)" if p["exceptions"] else ""
        out.append(
            f"| {p['page']}{flag} | {_s(p['cold_s'])} | {_s(p['warm_s'])} | {p['tables']} | "
            f"{p['rows_shown']:,} |"
        )
    return [*out, ""]


def _mrr(r: dict) -> list[str]:
    mrr = r.get("mrr")
    if not mrr:
        return []
    chain, peer = mrr.get("chain"), mrr.get("peer")
    full_times = (((r.get("builds") or {}).get("full") or {}).get("dbt") or {}).get("mrr_chain_s")
    out = ["### MRR models beside the month-spine peer", ""]
    if chain:
        out += [
            f"revstack's MRR chain alone (`{chain['command'].split(' --select')[0]}`, "
            f"median of {chain['repeat']}): Σ {_s(chain['sum_s'])} over {len(chain['models_s'])} "
            f"models, {_s(chain['wall_s'])} with dbt's start.",
            "",
            "| model | alone | in the full build |",
            "|---|---|---|",
        ]
        for model, seconds in chain["models_s"].items():
            mark = " †" if model in (mrr.get("equivalent_models") or ()) else ""
            in_full = _s((full_times or {}).get(model))
            out.append(f"| {model}{mark} | {_s(seconds)} | {in_full} |")
        out.append("")
    if peer:
        out += [
            f"The peer: {_s(peer['seconds'])} (median of {peer['repeat']}; "
            + ", ".join(f"{k} {_s(v)}" for k, v in peer["statements"].items())
            + f"), {peer['rows']['mrr']:,} customer-month rows from "
            f"{peer['rows']['subscription_periods']:,} subscription periods.",
            "",
        ]
    if chain and peer and mrr.get("revstack_equivalent_s"):
        sets = peer.get("revstack_policy_sets")
        out += [
            f"revstack from the same input († above; {sets} metric policy sets at once, the "
            f"peer one): {_s(mrr['revstack_equivalent_s'])} in dbt; **peer ÷ revstack = "
            f"{mrr['peer_over_revstack']:.2f}** (above 1: revstack is faster).",
        ]
        sql = peer.get("revstack_sql")
        if sql and mrr.get("peer_over_revstack_sql"):
            out.append(
                f"The same four models' compiled SQL run as plain `create table` statements "
                f"beside the peer (no dbt around them): {_s(sql['seconds'])} ("
                + ", ".join(f"{m} {_s(v)}" for m, v in sql["models_s"].items())
                + f"); peer ÷ revstack SQL = {mrr['peer_over_revstack_sql']:.2f}."
            )
        out.append("")
    if peer:
        out += _equality(peer["comparison"], peer.get("reporting_currency", ""))
    return out


def _equality(c: dict, rc: str) -> list[str]:
    cm, mo = c["customer_months"], c["monthly"]
    verdict = "equal" if cm["differ"] == 0 else f"**{cm['differ']:,} differ**"
    out = [
        "Equality at month ends (exact DECIMAL):",
        "",
        f"- customer × month MRR in the customer's currency vs `metrics_customer_monthly.mrr`: "
        f"{cm['rows']:,} customer-months ({cm['in_both']:,} in both; {cm['only_ours']:,} only in "
        f"revstack's, {cm['only_peer']:,} only in the peer's, compared as 0): {verdict};",
        f"- monthly MRR ({rc}) and paying customers vs `metrics_monthly`: {mo['months']} months, "
        f"MRR differs in {mo['mrr_differ']}, customers in {mo['customers_differ']}.",
    ]
    for example in cm.get("examples") or []:
        out.append(f"  - {example}")
    for example in mo.get("examples") or []:
        out.append(f"  - {example}")
    out += [
        "",
        "Movements, which the two methods define differently (the peer: month end against month "
        "end, amounts at the month end's rate; revstack: every day's change at its own rate, "
        "FX apart), side by side over all months:",
        "",
        f"| movement | peer customer-months | revstack customer-months | in both | peer Σ ({rc}) "
        f"| revstack Σ ({rc}) | months equal |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in c["movements"]:
        out.append(
            f"| {m['movement']} ({m['peer_category']}) | {m['peer_customer_months']:,} | "
            f"{m['revstack_customer_months']:,} | {m['in_both']:,} | {m['peer_total_rc']} | "
            f"{m['revstack_total_rc']} | {m['months_equal']} of {mo['months']} |"
        )
    return [*out, ""]


def _fresh(r: dict) -> list[str]:
    out = []
    for step, title in (
        (
            "freshness",
            "### Live freshness (`benchmarks/freshness.py`, on a copy of the built home)",
        ),
        ("freshness_build", "### Live freshness while `revstack build --full-refresh` runs"),
    ):
        f = r.get(step)
        if not f:
            continue
        out += [title, ""]
        for name in ("snapshot_s", "app_s"):
            q = f.get(name) or {}
            if q:
                out.append(
                    f"- landing → visible ({name[:-2]}): p50 {_s(q['p50'])}, p95 {_s(q['p95'])}, "
                    f"max {_s(q['max'])} over {f['events']} events, one every {f['interval_s']} s"
                )
        during = f.get("during_full_build")
        if during and during.get("snapshot_s"):
            q = during["snapshot_s"]
            out.append(
                f"- of them, the {during['events']} that landed during the full build "
                f"({_s(during['build_s'])}, exit {during['build_returncode']}): "
                f"p50 {_s(q['p50'])}, p95 {_s(q['p95'])}, max {_s(q['max'])}"
            )
        out.append("")
    return out


def render(saved: dict) -> str:
    sizes = saved.get("sizes") or {}
    lines = [HEADER]
    lines += [*_targets(sizes), SIZES_NOTE]
    lines += [METHOD_INTRO, "", "| figure | how |", "|---|---|"]
    lines += [f"| {figure} | {how} |" for figure, how in METHOD]
    lines.append("")
    for label, result in sizes.items():
        lines += _section(label, result)
    return "\n".join(lines).rstrip() + "\n"

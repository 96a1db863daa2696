"""``python -m benchmarks``: run a benchmark size, or rewrite the report from its JSON.

    .venv/bin/python -m benchmarks run --size S|M|L [--home DIR] [--keep] [--steps ...]
    .venv/bin/python -m benchmarks run --size S --customers 200 --months 6   # a custom size
    .venv/bin/python -m benchmarks report                                    # JSON -> Markdown

A standard size (S, M, L) replaces its section of ``docs/benchmarks.json`` and regenerates
``docs/benchmarks.md`` from every size there; a run of only some steps on a kept home updates
those figures of its size. A custom size (``--customers``, ``--months`` or ``--usage-density``
given) writes nothing under docs/ unless ``--out`` says where; its report is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from benchmarks import harness, report

DOCS = harness.ROOT / "docs"


def _steps(values: list[str]) -> tuple[str, ...]:
    names = {s.strip() for v in values for s in v.split(",") if s.strip()}
    if "all" in names:
        names = (names - {"all"}) | set(harness.STEPS)
    known = harness.STEPS + harness.OPTIONAL_STEPS
    unknown = names - set(known)
    if unknown:
        raise SystemExit(f"unknown step(s): {', '.join(sorted(unknown))}; known: {known}")
    return tuple(s for s in known if s in names)


def merge(saved: dict, label: str, result: dict, replace: bool) -> dict:
    """``saved`` (the JSON of every size) with this run's result in its size's place."""
    sizes = saved.setdefault("sizes", {})
    entry = {} if replace or label not in sizes else sizes[label]
    for key, value in result.items():
        if key == "builds" and isinstance(entry.get(key), dict):
            entry[key].update(value)
        elif key in ("steps_run", "errors") and isinstance(entry.get(key), list):
            entry[key] = [x for x in entry[key] if x not in value] + value
        else:
            entry[key] = value
    sizes[label] = entry
    order = ["S", "M", "L"]
    saved["sizes"] = dict(
        sorted(sizes.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 9, kv[0]))
    )
    return saved


def cmd_run(args: argparse.Namespace) -> int:
    base = harness.SIZES[args.size]
    custom = any(v is not None for v in (args.customers, args.months, args.usage_density))
    size = harness.Size(
        base.name,
        args.customers or base.customers,
        args.months or base.months,
        args.usage_density or base.usage_density,
    )
    label = f"{size.customers}x{size.months}" if custom else size.name
    out = args.out if args.out is not None else (None if custom else DOCS)
    home = args.home.resolve() if args.home else harness.new_home(label)
    home.mkdir(parents=True, exist_ok=True)
    run = harness.Run(
        size=size,
        label=label,
        seed=args.seed,
        home=home,
        steps=_steps(args.steps),
        repeat=args.repeat,
        live_events=args.live_events,
        freshness_events=args.freshness_events,
    )
    print(f"benchmark {label}: {size.customers:,} customers × {size.months} months, home {home}")
    try:
        result = harness.Harness(run).execute()
    finally:
        if args.home is None and not args.keep:
            shutil.rmtree(home, ignore_errors=True)
            shutil.rmtree(home.with_name(home.name + "-freshness"), ignore_errors=True)
        else:
            print(f"home kept: {home}")
    result["command"] = "python -m benchmarks " + " ".join(sys.argv[1:])
    one = {"sizes": {label: result}}
    if home.exists():
        (home / "bench" / "result.json").write_text(json.dumps(one, indent=2) + "\n")
    if out is None:
        print(report.render(one))
        return 1 if result["errors"] else 0
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "benchmarks.json"
    saved = json.loads(json_path.read_text()) if json_path.exists() else {}
    saved = merge(saved, label, result, replace="simulate" in run.steps)
    json_path.write_text(json.dumps(saved, indent=2) + "\n")
    (out / "benchmarks.md").write_text(report.render(saved))
    print(f"written: {json_path}, {out / 'benchmarks.md'}")
    return 1 if result["errors"] else 0


def cmd_report(args: argparse.Namespace) -> int:
    saved = json.loads((args.out / "benchmarks.json").read_text())
    (args.out / "benchmarks.md").write_text(report.render(saved))
    print(f"written: {args.out / 'benchmarks.md'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="simulate, build and measure one size")
    p.add_argument("--size", choices=sorted(harness.SIZES), default="S")
    p.add_argument("--customers", type=int, help="custom size (development)")
    p.add_argument("--months", type=int, help="custom size (development)")
    p.add_argument("--usage-density", type=float, help="custom size (development)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--home", type=Path, help="REVSTACK_HOME to use (kept); default: a new temp dir")
    p.add_argument("--keep", action="store_true", help="keep the temporary home")
    p.add_argument(
        "--steps",
        nargs="+",
        default=["all"],
        help=f"steps to run (comma or space separated; default all = {','.join(harness.STEPS)}; "
        f"optional: {','.join(harness.OPTIONAL_STEPS)})",
    )
    p.add_argument("--repeat", type=int, default=3, help="runs of app pages, MRR chain, peer")
    p.add_argument("--live-events", type=int, default=1000, help="gateway events of 'events'")
    p.add_argument("--freshness-events", type=int, default=20)
    p.add_argument("--out", type=Path, help="folder for benchmarks.json/.md (default docs/)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("report", help="rewrite benchmarks.md from benchmarks.json")
    p.add_argument("--out", type=Path, default=DOCS)
    p.set_defaults(func=cmd_report)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

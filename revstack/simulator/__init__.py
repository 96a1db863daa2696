"""A deterministic simulated SaaS company written into the landing zone, with its ground truth.

``simulate(home)`` writes ``home/landing/{gateway,crm,usage,accounting,fx}/...`` in each source's
own export format (contracts §2, §4) and ``home/truth/`` (contracts §6), computed from the
simulator's own state with the arithmetic of contracts §5. ``inject=`` adds known drifts
(``drift.KINDS``) and records each in ``home/truth/injected_drift.json``.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .common import DAY, add_months_date
from .drift import Drift, parse_kinds
from .model import Company, Timeline

__all__ = ["simulate"]


def simulate(
    home: Path,
    *,
    seed: int = 42,
    customers: int = 1000,
    months: int = 24,
    start: date = date(2024, 11, 1),
    inject: Iterable[str] = (),
    usage_density: float = 1.0,
) -> dict:
    """Simulate ``customers`` customers over [start, start + months) and return the manifest.

    ``inject``: drift kinds (``drift.KINDS``) to inject; raises ``drift.DriftError`` when the
    company cannot hold one of them. ``usage_density``: usage events per metered customer-day
    as a multiple of the default, each event's value divided by it (``usage.UsageStream``)."""
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be positive")
    if not usage_density > 0:
        raise ValueError("usage_density must be positive")
    home = Path(home)
    end = add_months_date(start, months)
    kinds = parse_kinds(inject)
    drift = Drift(kinds, seed=seed, customers=customers, start=start, end=end) if kinds else None
    co = Company(home, seed, start, end, months)
    co.usage.density = usage_density
    if drift is not None:
        drift.attach(co)
    co.publish_catalog()

    rng = random.Random(f"signups:{seed}")
    span = co.end_ts - co.start_ts
    signups = []
    for _ in range(customers):
        if rng.random() < 0.2:  # the base that signs up in the first month
            signups.append(co.start_ts + rng.randrange(min(span, 30 * DAY)))
        else:
            signups.append(co.start_ts + rng.randrange(max(DAY, span - 21 * DAY)))
    signups.sort()
    for i, signup in enumerate(signups):
        crng = random.Random(f"customer:{seed}:{i}")
        customer = co.new_customer(i, signup, crng)
        timeline = Timeline(co, customer, crng)
        timeline.start()
        timeline.run()
        timeline.finish()
    co.crm.add_prospects(max(1, customers // 10), co.start_ts, co.end_ts)
    co.payouts()
    if drift is not None:
        drift.before_close(co)
    co.exports.close()

    event_files = co.events.finish()
    usage_files = co.usage.finish()
    shutil.rmtree(home / ".simulator-tmp", ignore_errors=True)
    fx_dir = home / "landing" / "fx" / "rates"
    fx_dir.mkdir(parents=True, exist_ok=True)
    (fx_dir / f"eurofxref-hist_{end.isoformat()}.csv").write_text(co.fx.csv_text(), "utf-8")
    crm_counts = co.crm.write(home, end, co.end_ts + 6 * 3600)
    accounting_counts = co.books.write(home, end)
    truth_counts = co.truth.write(home / "truth")
    injected = drift.finish(home) if drift is not None else None

    manifest = {
        "seed": seed,
        "customers": customers,
        "months": months,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "legacy_api_until": _date_of(co.cutoff_ts).isoformat(),
        "counts": {
            "gateway": {**co.exports.counts, "events": co.events.count},
            "crm": crm_counts,
            "usage": {"events": co.usage.spool.count, "duplicate_deliveries": co.usage.duplicates},
            "accounting": accounting_counts,
            "fx": {"rates": len(co.fx.rows)},
            "truth": truth_counts,
        },
        "files": {
            "gateway_events": len(event_files),
            "usage_events": len(usage_files),
        },
        "crm_links": co.crm.links,
        "scenarios": dict(sorted(co.stats.scenarios.items())),
    }
    if usage_density != 1:  # the default manifest stays as it was
        manifest["usage_density"] = usage_density
    if injected is not None:
        manifest["injected_drift"] = {
            "kinds": list(kinds),
            "records": len(injected),
            "file": "truth/injected_drift.json",
        }
    truth_dir = home / "truth"
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return manifest


def _date_of(t: int) -> date:
    return date(1970, 1, 1).fromordinal(date(1970, 1, 1).toordinal() + t // DAY)

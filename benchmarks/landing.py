"""What the harness does to a simulated landing zone: measure it, hold its last business day
back, land that day later, and continue the company with live gateway events.

**One new business day.** The simulator delivers gateway events and usage events as monthly
files. Before the full build the harness moves every event whose own time falls on the
company's last day (``end - 1 day``) out of those files into ``$HOME/bench/holdout/`` (the
rest of each file is rewritten in place); the "one new day" build then lands them as one file
per source, ``<last day>_events.jsonl``, as a daily delivery would. Everything else (the
current-state exports, CRM, GL, FX, which the simulator writes as of the company's end) lands
with the full build, so after the day's build the warehouse holds exactly the simulated company.
A day is what the company really did that day: invoices, subscription changes, charges,
refunds and usage at the company's own density.

**1,000 new gateway events.** The live simulator (``revstack.simulator.live``, what
``revstack simulate --live`` runs) continues the company tick by tick, each tick one
``charge.succeeded`` (plus ``invoice.paid`` one tick in four, while open invoices last), its
balance transaction and one to three usage events, three files a tick. Its clock here is the
business time one second after the previous tick, from the company's end (``--interval 1``
without waiting), and ticks are written until 1,000 gateway events have landed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HOLDOUT = ("gateway", "events"), ("usage", "events")
_GATEWAY_CREATED = re.compile(
    rb'^\{"id":"[^"]*","object":"event","api_version":"[^"]*","created":(\d+),'
)
_USAGE_TIME = re.compile(rb'"time":"([^"]+)"')


def landing_stats(home: Path) -> dict:
    """Files and bytes under the landing zone, per source."""
    per_source: dict[str, dict[str, int]] = {}
    for path in (home / "landing").rglob("*"):
        if path.is_file():
            source = path.relative_to(home / "landing").parts[0]
            entry = per_source.setdefault(source, {"files": 0, "bytes": 0})
            entry["files"] += 1
            entry["bytes"] += path.stat().st_size
    return {
        "files": sum(e["files"] for e in per_source.values()),
        "mb": sum(e["bytes"] for e in per_source.values()) / 1e6,
        "per_source_mb": {s: e["bytes"] / 1e6 for s, e in sorted(per_source.items())},
    }


def company_end(home: Path) -> date:
    manifest = json.loads((home / "truth" / "manifest.json").read_text("utf-8"))
    return date.fromisoformat(manifest["end"])


def _event_time(source: str, line: bytes) -> str:
    """The event's own time as an ISO string (``YYYY-MM-DDTHH:MM:SS...``, UTC)."""
    if source == "gateway":
        m = _GATEWAY_CREATED.match(line)
        created = int(m.group(1)) if m else json.loads(line)["created"]
        return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    m = _USAGE_TIME.search(line)
    return m.group(1).decode() if m else json.loads(line)["time"]


def _state_path(home: Path) -> Path:
    return home / "bench" / "holdout.json"


def hold_out_last_day(home: Path) -> dict:
    """Move the last business day's gateway and usage events out of the landing zone (once;
    afterwards only removes the copies a day build landed). Returns what is held back."""
    state_path = _state_path(home)
    if state_path.exists():
        state = json.loads(state_path.read_text())
        for rel in state["landed"]:
            (home / rel).unlink(missing_ok=True)
        state["landed"] = []
        state_path.write_text(json.dumps(state, indent=2))
        return state
    end = company_end(home)
    day = end - timedelta(days=1)
    cut = f"{day.isoformat()}T00:00:00"
    first_month = day.replace(day=1).isoformat()
    state = {"day": day.isoformat(), "files": [], "events": {}, "landed": []}
    for source, entity in HOLDOUT:
        folder = home / "landing" / source / entity
        held: list[bytes] = []
        # an event of the last day is delivered on it or later: only the last months' files
        for path in sorted(folder.glob("*.jsonl")):
            if path.name[:10] < first_month:
                continue
            before = len(held)
            tmp = path.with_name(f".{path.name}.tmp")  # a dot-name: never read as landing
            with open(path, "rb") as f, open(tmp, "wb") as out:
                for line in f:
                    if _event_time(source, line) >= cut:
                        held.append(line)
                    else:
                        out.write(line)
            if len(held) > before:
                os.replace(tmp, path)
            else:
                tmp.unlink()
        if held:
            target = (
                home / "bench" / "holdout" / source / entity / f"{day.isoformat()}_events.jsonl"
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"".join(held))
            state["files"].append(target.relative_to(home).as_posix())
        state["events"][source] = len(held)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps(state, indent=2))
    return state


def land_held_day(home: Path) -> dict:
    """Copy the held-back day into the landing zone; returns files, events and MB landed."""
    state = json.loads(_state_path(home).read_text())
    landed, size = [], 0
    for rel in state["files"]:
        held = home / rel
        parts = Path(rel).parts  # bench/holdout/<source>/<entity>/<file>
        target = home / "landing" / parts[2] / parts[3] / parts[4]
        shutil.copyfile(held, target)
        landed.append(target.relative_to(home).as_posix())
        size += held.stat().st_size
    state["landed"] = landed
    _state_path(home).write_text(json.dumps(state, indent=2))
    return {"day": state["day"], "files": len(landed), "events": state["events"], "mb": size / 1e6}


def remove_live_files(home: Path) -> None:
    """Every ``live/`` folder of the landing zone (what an earlier run's live ticks wrote)."""
    for folder in (home / "landing").glob("*/*/live"):
        shutil.rmtree(folder)


def write_live_events(home: Path, events: int, seed: int) -> dict:
    """Live ticks, one business second apart from the company's end, until ``events`` gateway
    events have landed."""
    from revstack.simulator import live

    stream = live.LiveStream(home, seed=seed, clock=lambda: 0.0)  # t = the previous tick + 1 s
    stream.skip_to(live.next_tick(home))
    ticks = gateway = usage = size = 0
    while gateway < events:
        tick = stream.tick()
        ticks += 1
        gateway += len(tick.event_ids)
        usage += len(tick.usage_ids)
        size += sum(p.stat().st_size for p in tick.files)
    return {
        "ticks": ticks,
        "gateway_events": gateway,
        "balance_transactions": ticks,
        "usage_events": usage,
        "files": 3 * ticks,
        "mb": size / 1e6,
    }

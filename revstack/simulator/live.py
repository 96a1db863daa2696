"""Live traffic for an already simulated company: ``revstack simulate --live``.

Every tick writes, in the landing layout and formats ingestion already reads (DESIGN §2):

- ``landing/gateway/balance_transactions/live/<tick>_<time>_balance_transactions.jsonl``: the
  balance transaction of the tick's charge (a current-state export line, like the connector's
  incremental sync);
- ``landing/gateway/events/live/<tick>_<time>_events.jsonl``: Stripe ``event`` objects: a
  ``charge.succeeded`` for either the next open invoice of the company (plus its
  ``invoice.paid``) or a new one-off charge of an existing customer;
- ``landing/usage/events/live/<tick>_<time>_events.jsonl``: one to three CloudEvents of the
  metered customers.

The company is read from its landing files (the gateway's current-state exports of customers,
charges, invoices and subscriptions) and ``truth/manifest.json`` (its end). A tick happens *now*:
its business time is the clock's (the wall clock by default), and never before the company's end
nor before the previous tick. It must be: ingestion versions an export row by its load time, so an
event about an exported object (the ``invoice.paid`` of an open invoice) only supersedes the
export when it is newer than that load. Everything else — which invoice or customer, amounts,
ids — depends only on the seed, the company and the tick number ``n``: a restarted stream resumes
after the last tick found in the landing zone and writes what an uninterrupted one would have, and
with a given clock (tests) the files are identical byte for byte.
Files are written under a dot-name and renamed, so a reader never sees half a file; within a
tick the balance transaction lands first, then the gateway events, then the usage.
"""

from __future__ import annotations

import copy
import json
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .common import CURRENT_API, DAY, Ids, midnight, round_int, to_dt, ts
from .payments import FIXED_FEE, _balance_txn
from .usage import METER, SOURCES
from .writer import dumps

LIVE_DIR = "live"
#: share of ticks that pay the next open invoice while any is left (the rest: one-off charges)
INVOICE_SHARE = 0.25
#: one-off purchase amounts, in hundredths of the minor unit (49.00 USD, 4,900 JPY, ...)
ONE_OFF = (49, 99, 149, 249, 499)
#: live ids count from here (a simulated company draws far fewer ids), IDS_PER_TICK a tick
LIVE_ID_BASE = 62**6 // 2
IDS_PER_TICK = 8
_TICK_RE = re.compile(r"^(\d{8})_")


class LiveError(Exception):
    """The home holds no simulated company to continue."""


@dataclass(frozen=True)
class Tick:
    """What one tick wrote."""

    n: int
    created: int  # business time (epoch seconds) of the charge
    charge_id: str
    customer_id: str
    currency: str  # ISO 4217, lower case as Stripe writes it
    amount_minor: int
    invoice_id: str | None
    event_ids: tuple[str, ...]
    usage_ids: tuple[str, ...]
    files: tuple[Path, ...]  # balance transactions, gateway events, usage (in landing order)
    landed_at: float  # time.time() when the gateway events file was renamed into place


@dataclass
class Company:
    """What the stream needs of the simulated company, read from its landing files."""

    end_ts: int
    customers: dict[str, dict[str, Any]]  # id -> customer object
    templates: dict[str, dict[str, Any]]  # customer id -> its latest succeeded charge
    open_invoices: list[dict[str, Any]]  # payable by card now, in a fixed order
    metered: list[str] = field(default_factory=list)  # customers with a metered subscription


def _export_lines(home: Path, entity: str):
    folder = home / "landing" / "gateway" / entity
    for path in sorted(folder.glob("export_*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)


def load_company(home: Path) -> Company:
    """Read the simulated company of ``home`` (raises LiveError when there is none)."""
    manifest = home / "truth" / "manifest.json"
    if not manifest.exists():
        raise LiveError(
            f"no simulated company at {home} (no truth/manifest.json): run `revstack simulate` "
            "first"
        )
    end = json.loads(manifest.read_text("utf-8"))["end"]
    end_ts = ts(date.fromisoformat(end))
    customers = {c["id"]: c for c in _export_lines(home, "customers")}
    templates: dict[str, dict[str, Any]] = {}
    for ch in _export_lines(home, "charges"):
        if ch.get("status") != "succeeded" or ch.get("on_behalf_of"):
            continue  # marketplace charges carry fees and transfers: not streamed
        previous = templates.get(ch["customer"])
        if previous is None or (ch["created"], ch["id"]) > (previous["created"], previous["id"]):
            templates[ch["customer"]] = ch
    open_invoices = sorted(
        (
            inv
            for inv in _export_lines(home, "invoices")
            if inv["status"] == "open"
            and inv["amount_remaining"] > 0
            and not inv.get("on_behalf_of")
            and inv["customer"] in templates
        ),
        key=lambda inv: (inv["created"], inv["id"]),
    )
    metered = sorted(
        {
            sub["customer"]
            for sub in _export_lines(home, "subscriptions")
            if sub["status"] in ("active", "past_due")
            and any(
                (item["price"].get("recurring") or {}).get("usage_type") == "metered"
                for item in sub["items"]["data"]
            )
        }
    )
    if not templates:
        raise LiveError(f"the company at {home} has no succeeded charge to continue from")
    return Company(end_ts, customers, templates, open_invoices, metered)


def next_tick(home: Path) -> int:
    """The first tick not yet written (ticks are numbered from 0 in the file names)."""
    folder = home / "landing" / "gateway" / "events" / LIVE_DIR
    ticks = [int(m.group(1)) for p in folder.glob("*.jsonl") if (m := _TICK_RE.match(p.name))]
    return max(ticks) + 1 if ticks else 0


def _write_atomic(path: Path, lines: list[str]) -> float:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in lines)
    os.replace(tmp, path)
    return time.time()


class LiveStream:
    """The deterministic stream of ticks of one company (see the module docstring)."""

    def __init__(self, home: Path, seed: int = 42, clock: Callable[[], float] = time.time) -> None:
        self.home = Path(home)
        self.seed = seed
        self.clock = clock
        self.company = load_company(self.home)
        order = list(self.company.open_invoices)
        random.Random(f"live-invoices:{seed}").shuffle(order)
        self._invoices = order
        self._paid = 0  # open invoices paid by the ticks so far
        self._payers = sorted(self.company.templates)
        self.n = 0
        self._last_t = self.company.end_ts  # business time of the latest version written

    # -- the plan of a tick (no I/O) ------------------------------------------------------------
    def _pays_invoice(self, rng: random.Random) -> bool:
        return rng.random() < INVOICE_SHARE and self._paid < len(self._invoices)

    def skip_to(self, n: int) -> None:
        """Advance the state to tick ``n`` without writing (resuming a stream)."""
        while self.n < n:
            if self._pays_invoice(random.Random(f"live:{self.seed}:{self.n}")):
                self._paid += 1
            self.n += 1

    # -- writing ------------------------------------------------------------------------------
    def tick(self) -> Tick:
        """Write the next tick's files and return what they hold."""
        n, seed = self.n, self.seed
        rng = random.Random(f"live:{seed}:{n}")
        # a counter range of its own per tick, above any the company used: ids unique by head
        ids = Ids(f"live:{seed}:{n}", start=LIVE_ID_BASE + n * IDS_PER_TICK)
        t = max(int(self.clock()), self._last_t + 1)
        invoice = None
        if self._pays_invoice(rng):
            invoice = copy.deepcopy(self._invoices[self._paid])
            self._paid += 1
            customer_id = invoice["customer"]
            amount = invoice["amount_remaining"]
        else:
            customer_id = self._payers[rng.randrange(len(self._payers))]
            # cents of 2-decimal currencies; for JPY (no decimals) 100 × the figure in yen
            amount = ONE_OFF[rng.randrange(len(ONE_OFF))] * 100
        charge, txn = self._charge(ids, rng, t, customer_id, amount, invoice)
        events = [self._event(ids, t, "charge.succeeded", charge)]
        if invoice is not None:
            events.append(self._event(ids, t + 1, "invoice.paid", _paid(ids, invoice, charge)))
        stamp = to_dt(t).strftime("%Y%m%dT%H%M%S")
        gateway = self.home / "landing" / "gateway"
        txn_path = gateway / "balance_transactions" / LIVE_DIR / f"{n:08d}_{stamp}_txns.jsonl"
        events_path = gateway / "events" / LIVE_DIR / f"{n:08d}_{stamp}_events.jsonl"
        usage_path = (
            self.home / "landing" / "usage" / "events" / LIVE_DIR / f"{n:08d}_{stamp}_events.jsonl"
        )
        usage = self._usage(rng, n, t)
        _write_atomic(txn_path, [dumps(txn)])
        landed_at = _write_atomic(events_path, [dumps(e) for e in events])
        _write_atomic(usage_path, [line for _, line in usage])
        self.n += 1
        self._last_t = t + 1 if invoice is not None else t
        return Tick(
            n=n,
            created=t,
            charge_id=charge["id"],
            customer_id=customer_id,
            currency=charge["currency"],
            amount_minor=amount,
            invoice_id=invoice["id"] if invoice else None,
            event_ids=tuple(e["id"] for e in events),
            usage_ids=tuple(eid for eid, _ in usage),
            files=(txn_path, events_path, usage_path),
            landed_at=landed_at,
        )

    def _charge(self, ids: Ids, rng, t: int, customer_id: str, amount: int, invoice):
        """A succeeded card charge in the shape of the customer's own latest charge."""
        ch = copy.deepcopy(self.company.templates[customer_id])
        cur = ch["currency"]
        ch_id, txn_id = ids.new("ch"), ids.new("txn")
        fee = round_int(Decimal(amount) * Decimal("0.029")) + FIXED_FEE[cur]
        ch.update(
            id=ch_id,
            amount=amount,
            amount_captured=amount,
            amount_refunded=0,
            application_fee_amount=None,
            balance_transaction=txn_id,
            created=t,
            description=(
                f"Payment for Invoice {invoice['number']}" if invoice else "One-off purchase"
            ),
            disputed=False,
            refunded=False,
            payment_intent=f"pi_{invoice['id'][3:]}" if invoice else f"pi_{ch_id[3:]}",
        )
        ch["outcome"] = dict(ch["outcome"], risk_score=rng.randrange(5, 60))
        description = f"Invoice {invoice['number']}" if invoice else "One-off purchase"
        txn = _balance_txn(
            txn_id, amount, fee, cur, "charge", "charge", ch_id, t, midnight(t) + 2 * DAY,
            t, description,
        )  # fmt: skip
        return ch, txn

    @staticmethod
    def _event(ids: Ids, t: int, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": ids.new("evt"),
            "object": "event",
            "api_version": CURRENT_API,
            "created": t,
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }

    def _usage(self, rng: random.Random, n: int, t: int) -> list[tuple[str, str]]:
        metered = self.company.metered or self._payers
        out = []
        for k in range(1 + rng.randrange(3)):
            customer = metered[rng.randrange(len(metered))]
            source = SOURCES[rng.randrange(len(SOURCES))]
            eid = f"{n:08x}-{k:04x}-{rng.getrandbits(48):012x}"
            t_ms = t * 1000 + rng.randrange(1000)
            stamp = to_dt(t).strftime("%Y-%m-%dT%H:%M:%S")
            value = max(1, int(rng.lognormvariate(0, 0.6) * 120))
            line = (
                f'{{"specversion":"1.0","id":"{eid}","source":"{source}","type":"{METER}",'
                f'"subject":"{customer}","time":"{stamp}.{t_ms % 1000:03d}Z",'
                f'"datacontenttype":"application/json","data":{{"value":{value}}}}}'
            )
            out.append((eid, line))
        return out


def _paid(ids: Ids, invoice: dict[str, Any], charge: dict[str, Any]) -> dict[str, Any]:
    """The open invoice after ``charge`` paid it (the simulator's invoice.paid shape)."""
    t = charge["created"] + 1
    amount = charge["amount"]
    invoice["status"] = "paid"
    invoice["amount_paid"] = invoice["amount_due"]
    invoice["amount_remaining"] = 0
    invoice["attempted"] = True
    invoice["attempt_count"] = invoice.get("attempt_count", 0) + 1
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"] = dict(invoice["status_transitions"], paid_at=t)
    invoice["payments"] = dict(invoice["payments"])
    invoice["payments"]["data"] = [
        *invoice["payments"]["data"],
        {
            "id": ids.new("inpay"),
            "object": "invoice_payment",
            "amount_paid": amount,
            "amount_requested": amount,
            "created": charge["created"],
            "currency": charge["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"charge": charge["id"], "type": "charge"},
            "status": "paid",
            "status_transitions": {"canceled_at": None, "paid_at": charge["created"]},
        },
    ]
    return invoice


def run(
    home: Path,
    *,
    seed: int = 42,
    interval: float = 1.0,
    duration: float | None = None,
    on_tick: Callable[[Tick], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Write a tick every ``interval`` seconds until ``duration`` has passed or ``stop`` is set
    (SIGINT and SIGTERM set it when this runs in the main thread). Returns the ticks written."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    stream = LiveStream(home, seed=seed)
    stream.skip_to(next_tick(stream.home))
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    started = time.monotonic()
    written = 0
    while not stop.is_set():
        if duration is not None and time.monotonic() - started >= duration:
            break
        tick = stream.tick()
        written += 1
        if on_tick is not None:
            on_tick(tick)
        # ticks keep to a fixed schedule: a slow write does not push the later ones back
        stop.wait(max(0.0, started + written * interval - time.monotonic()))
    return written

"""Drift injection: the simulated company plus known breaks, and the ground truth of each break.

``simulate(home, inject=kinds)`` runs the normal company with a :class:`Drift` attached. Kinds
that change money flow through the company (so that every downstream object stays consistent)
are applied by small hooks while it is simulated; kinds that are about delivery are applied to the
landing files afterwards. Without ``inject`` no hook fires and the company is byte for byte the
clean one.

The breaks sit in the last two months of the company, clear of each other:

- the GL sync gap is the week starting on the first Monday on or after the 8th of the
  second-to-last month (``gap``); the objects of the other money kinds are picked after it;
- the tax rate changes at 00:00 UTC on the first day of the last month;
- the CRM account is re-linked the morning after the last day, in a second CRM sync.

Every injected break is one record of ``truth/injected_drift.json`` (see :meth:`Drift.write`):
``kind``, the ``check`` that should catch it, ``key``, ``period``, ``amount`` (exact decimal
string in ``currency``'s major unit, or null), ``currency``, ``description``, the ``files`` it
changed and kind-specific ``details``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import EU, TAX_BY_COUNTRY
from .common import (
    DAY,
    EXPONENT,
    HOUR,
    Ids,
    day_of,
    iso,
    minor_to_major,
    round_int,
    to_dt,
    ts,
)
from .writer import dumps

if TYPE_CHECKING:
    from .model import Company
    from .stripe import Customer, Item, Subscription

#: CLI value -> the check that should catch it
KINDS: dict[str, str] = {
    "duplicate_file": "duplicate_delivery",
    "renamed_column": "contract_broken",
    "gl_sync_gap": "gateway_vs_gl_cash",
    "payout_mismatch": "payouts_vs_balance_transactions",
    "crm_wrong_customer": "crm_vs_billing_identity",
    "unbilled_usage": "usage_recorded_vs_billed",
    "volume_drop": "volume_anomaly",
    "late_events": "late_arriving_events",
    "gl_currency_missing": "gateway_vs_gl_currency",
    "tax_rate_change": "gateway_vs_gl_tax",
    "payment_outage": "metric_anomaly",
}

PAYOUT_DELTA_MINOR = 1234  # the payout pays out 12.34 more than the transactions it settles
RENAMED = ("charges", "amount", "amount_value")  # (gateway entity, field, new name)
GAP_DAYS = 7
LATE_DAYS = 4  # late events are delivered among the events created this many days after them
VOLUME_DAYS = 3  # usage of the last days drops ...
VOLUME_KEEP_EVERY = 20  # ... to one event in 20 (< 10 % of normal)
TAX_STEP = 2  # percentage points the gateway's rate rises by
DUPLICATE_SUFFIX = "_redelivered"
CRM_RELINK_HOURS = (9, 10)  # hours after the end: the account is re-linked, the CRM syncs again
OUTAGE_DAYS_BEFORE_END = 4  # the card processor is down for the whole UTC day this many days
# before the end (inside the last week the anomaly rules judge, clear of the usage drop)


class DriftError(ValueError):
    """A drift that cannot be injected (an unknown kind, or a company too small for it)."""


def parse_kinds(values: Iterable[str]) -> tuple[str, ...]:
    """CLI values (repeatable, comma-separated, ``all``) -> kinds in canonical order."""
    chosen: set[str] = set()
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if not name:
                continue
            if name == "all":
                chosen.update(KINDS)
            elif name in KINDS:
                chosen.add(name)
            else:
                raise DriftError(
                    f"unknown drift kind {name!r}; choose from: all, {', '.join(KINDS)}"
                )
    return tuple(k for k in KINDS if k in chosen)


def _money(minor: int, currency: str) -> str:
    return f"{minor_to_major(minor, currency):f}"


def _month_file(t: int) -> str:
    d = day_of(t)
    return f"{d.year:04d}-{d.month:02d}-01_events.jsonl"


def _next_month(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def _csv_fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def _csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


def _read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        return f.readlines()


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)


class Drift:
    """The chosen kinds, their hooks into the simulation, and their ground truth."""

    def __init__(
        self, kinds: Iterable[str], *, seed: int, customers: int, start: date, end: date
    ) -> None:
        self.kinds = frozenset(kinds)
        unknown = self.kinds - set(KINDS)
        if unknown:
            raise DriftError(f"unknown drift kind(s) {sorted(unknown)}")
        self.seed, self.start, self.end = seed, start, end
        self.end_ts = ts(end)
        self.last_month = day_of(self.end_ts - 1).replace(day=1)
        self.prev_month = (self.last_month - timedelta(days=1)).replace(day=1)
        first = self.prev_month.replace(day=8)
        while first.weekday() != 0:
            first += timedelta(days=1)
        self.gap_days = [first + timedelta(days=i) for i in range(GAP_DAYS)]
        if self.gap_days[0] < start or self.gap_days[-1] >= self.last_month:
            raise DriftError(
                "drift injection needs the company to span at least the two calendar months "
                f"before {end.isoformat()} (use --months 2 or more from the 1st of a month)"
            )
        self.after_gap_ts = ts(self.gap_days[-1] + timedelta(days=1))
        self.tax_change_ts = ts(self.last_month)
        self.ids = Ids(f"drift:{seed}")  # its own id stream: the company's ids stay the same
        self.co: Company | None = None
        self.records: list[dict[str, Any]] = []
        self.volume_from_ts = self.end_ts - VOLUME_DAYS * DAY
        self.volume: dict[str, dict[str, int]] = {}
        self.volume_base: dict[str, int] = defaultdict(int)
        self._volume_n = 0
        self.payout: dict[str, Any] | None = None
        self.outage_from_ts = self.end_ts - OUTAGE_DAYS_BEFORE_END * DAY
        self.outage: dict[str, list[int]] = defaultdict(list)  # invoice -> failed attempts
        self.usage: dict[str, Any] | None = None
        self.currency_invoice: dict[str, Any] | None = None
        self.tax_invoices: dict[str, dict[str, Any]] = {}
        self.tax_country: str | None = None
        self.old_rate: dict[str, Any] | None = None
        self.new_rate: dict[str, Any] | None = None
        if "tax_rate_change" in self.kinds:
            self.tax_country = self._plan_tax_country(seed, customers)

    def rng(self, kind: str) -> random.Random:
        """One stream per kind: a kind picks the same object whatever else is injected."""
        return random.Random(f"drift:{self.seed}:{kind}")

    @staticmethod
    def _plan_tax_country(seed: int, customers: int) -> str:
        """The taxed country with the most standard-rated customers. A customer's country and
        segment are the first two draws of its own RNG (``model.Company.new_customer``)."""
        from .model import COUNTRIES, SEGMENTS, _pick

        counts: Counter[str] = Counter()
        for i in range(customers):
            rng = random.Random(f"customer:{seed}:{i}")
            country, segment = _pick(rng, COUNTRIES), _pick(rng, SEGMENTS)
            if country in TAX_BY_COUNTRY and not (country in EU and segment != "smb"):
                counts[country] += 1
        if not counts:
            raise DriftError("cannot inject tax_rate_change: no customer pays tax")
        return min(counts, key=lambda c: (-counts[c], c))

    def attach(self, co: Company) -> None:
        self.co = co
        co.drift = self
        if "volume_drop" in self.kinds:
            co.usage.drift = self
        if self.tax_country is not None:
            old = co.catalog.tax_rates[self.tax_country]
            pct = Decimal(str(old["percentage"])) + TAX_STEP
            self.old_rate = old
            self.new_rate = dict(
                old,
                id=self.ids.new("txr"),
                created=self.tax_change_ts,
                description=f"{old['description']} from {self.last_month.isoformat()}",
                effective_percentage=float(pct),
                percentage=float(pct),
                metadata={"replaces": old["id"]},
            )

    # -- hooks called by the simulation (only when a Drift is attached) -----------------------
    def tax_rate(self, c: Customer, t: int) -> dict[str, Any] | None:
        """The tax rate the gateway applies to an invoice of ``c`` created at ``t``."""
        if (
            self.new_rate is not None
            and c.country == self.tax_country
            and c.tax_rate is not None
            and t >= self.tax_change_ts
        ):
            return self.new_rate
        return c.tax_rate

    def bill_usage(
        self, c: Customer, s: Subscription, it: Item, p0: int, p1: int, qty: int, renewal: bool
    ) -> int:
        """The usage quantity that reaches the invoice (``qty`` recorded in the period)."""
        if (
            "unbilled_usage" in self.kinds
            and self.usage is None
            and renewal  # a renewal invoice also bills the licensed items: its total stays > 0
            and qty > 0
            and p1 >= self.after_gap_ts
            and s.discount is None
        ):
            self.usage = {"customer": c, "subscription": s.id, "price": it.price, "qty": qty}
            self.usage.update(p0=p0, p1=p1)
            return 0
        return qty

    def processor_down(self, t: int) -> bool:
        """Whether the card processor fails a charge at ``t`` (``payment_outage``)."""
        return "payment_outage" in self.kinds and 0 <= t - self.outage_from_ts < DAY

    def outage_charge(self, t: int, invoice_id: str) -> None:
        self.outage[invoice_id].append(t)

    def keep_usage(self, t: int, value: int) -> bool:
        """Whether a usage event at ``t`` reaches billing and the landing zone: of the last
        ``VOLUME_DAYS`` days one in ``VOLUME_KEEP_EVERY`` (in generation order) does."""
        d = day_of(t).isoformat()
        if t < self.volume_from_ts:
            if t >= self.volume_from_ts - 14 * DAY:
                self.volume_base[d] += 1
            return True
        v = self.volume.setdefault(
            d, {"events_before": 0, "events_after": 0, "value_before": 0, "value_after": 0}
        )
        v["events_before"] += 1
        v["value_before"] += value
        self._volume_n += 1
        if self._volume_n % VOLUME_KEEP_EVERY:
            return False
        v["events_after"] += 1
        v["value_after"] += value
        return True

    def usage_line(self, line: dict[str, Any]) -> None:
        if self.usage is not None and "line" not in self.usage and line["quantity"] == 0:
            self.usage["line"] = line

    def gl_view(self, inv: dict[str, Any], currency: str, tax: int, t: int) -> tuple[str, int]:
        """(currency, tax) with which the GL books ``inv`` (the gateway's are given)."""
        gl_tax = self._gl_tax(inv, tax, t)
        return self._gl_currency(inv, currency, t, gl_tax != tax), gl_tax

    def _gl_tax(self, inv: dict[str, Any], tax: int, t: int) -> int:
        if self.new_rate is None or self.old_rate is None:
            return tax
        new_id, old_pct = self.new_rate["id"], Decimal(str(self.old_rate["percentage"]))
        gl, touched = 0, False
        for ln in inv["lines"]["data"]:
            for x in ln["taxes"]:
                if x["tax_rate_details"]["tax_rate"] == new_id:
                    touched = True
                    if x["taxability_reason"] != "reverse_charge":
                        gl += round_int(Decimal(x["taxable_amount"]) * old_pct / 100)
                else:
                    gl += x["amount"]
        if touched and gl != tax and inv["id"] not in self.tax_invoices:
            self.tax_invoices[inv["id"]] = {"inv": inv, "gateway": tax, "gl": gl, "t": t}
        return gl if touched else tax

    def _gl_currency(self, inv: dict[str, Any], currency: str, t: int, taxed: bool) -> str:
        chosen = self.currency_invoice
        if chosen is not None:
            return "usd" if chosen["inv"]["id"] == inv["id"] else currency
        usage_line = (self.usage or {}).get("line")
        if (
            "gl_currency_missing" in self.kinds
            and currency != "usd"
            and EXPONENT[currency] == 2  # its minor units read as cents of USD
            and inv["total"] > 0
            and inv["status"] == "open"
            and t >= self.after_gap_ts
            and not taxed
            and inv["id"] not in self.tax_invoices
            and not any(ln is usage_line for ln in inv["lines"]["data"])
        ):
            self.currency_invoice = {"inv": inv, "t": t, "currency": currency}
            return "usd"
        return currency

    def payout_amount(
        self, po_id: str, currency: str, day: int, amount: int, pending: list[tuple[int, int, str]]
    ) -> int:
        """The amount of the automatic payout ``po_id`` that settles ``pending``."""
        if (
            "payout_mismatch" not in self.kinds
            or self.payout is not None
            or EXPONENT[currency] != 2
            or day < self.after_gap_ts
            or day + 2 * DAY >= self.end_ts  # paid, and booked in the GL, before the end
        ):
            return amount
        self.payout = {
            "id": po_id,
            "currency": currency,
            "day": day,
            "settled": amount,
            "txns": [txn for _, _, txn in pending],
        }
        return amount + PAYOUT_DELTA_MINOR

    def before_close(self, co: Company) -> None:
        """The new tax rate object: in the tax_rates export and as a ``tax_rate.created`` event."""
        if self.new_rate is None:
            return
        from .common import CURRENT_API, LEGACY_API

        co.exports.write("tax_rates", [self.new_rate])
        legacy = self.tax_change_ts < co.cutoff_ts
        event = {
            "id": self.ids.new("evt"),
            "object": "event",
            "api_version": LEGACY_API if legacy else CURRENT_API,
            "created": self.tax_change_ts,
            "data": {"object": self.new_rate},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "tax_rate.created",
        }
        co.events.add(self.tax_change_ts, dumps(event))

    # -- after the landing files are written -------------------------------------------------
    def finish(self, home: Path) -> list[dict[str, Any]]:
        """Apply the file-level kinds, collect every record and write the truth file."""
        home = Path(home)
        self.records = []
        if "payout_mismatch" in self.kinds:
            self._record_payout()
        if "unbilled_usage" in self.kinds:
            self._record_usage()
        if "gl_currency_missing" in self.kinds:
            self._record_currency()
        if "tax_rate_change" in self.kinds:
            self._record_tax()
        if "volume_drop" in self.kinds:
            self._record_volume()
        if "payment_outage" in self.kinds:
            self._record_outage()
        if "gl_sync_gap" in self.kinds:
            self._gl_sync_gap(home)
        if "crm_wrong_customer" in self.kinds:
            self._crm_wrong_customer(home)
        if "renamed_column" in self.kinds:
            self._renamed_column(home)
        if "late_events" in self.kinds:
            self._late_events(home)
        if "duplicate_file" in self.kinds:  # last: it copies the file as finally delivered
            self._duplicate_file(home)
        missing = sorted(self.kinds - {r["kind"] for r in self.records})
        if missing:
            raise DriftError(
                f"cannot inject {', '.join(missing)}: the company has no object to break "
                "(simulate more customers)"
            )
        order = list(KINDS)
        self.records.sort(key=lambda r: (order.index(r["kind"]), r["period"] or "", r["key"]))
        self.write(home / "truth" / "injected_drift.json")
        return self.records

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kinds": [k for k in KINDS if k in self.kinds],
            "fields": {
                "kind": "the --inject value",
                "check": "the check that should catch it",
                "key": "where the break is: an object id, a file, or <source>:<day>",
                "period": "the day (YYYY-MM-DD) or month (YYYY-MM) of the break",
                "amount": "expected difference, exact decimal in currency's major unit, or null",
                "currency": "ISO 4217, lower case, or null",
                "description": "one line",
                "files": "landing files changed or added, relative to REVSTACK_HOME",
                "details": "kind-specific evidence",
            },
            "drifts": self.records,
        }
        path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")

    def _add(
        self,
        kind: str,
        key: str,
        period: str | None,
        amount: str | None,
        currency: str | None,
        description: str,
        files: list[str],
        details: dict[str, Any],
    ) -> None:
        self.records.append(
            {
                "kind": kind,
                "check": KINDS[kind],
                "key": key,
                "period": period,
                "amount": amount,
                "currency": currency,
                "description": description,
                "files": sorted(set(files)),
                "details": details,
            }
        )

    def _export(self, entity: str) -> str:
        return f"landing/gateway/{entity}/export_{self.end.isoformat()}.jsonl"

    def _events(self, *times: int) -> list[str]:
        return [f"landing/gateway/events/{_month_file(t)}" for t in times]

    def _gl_files(self) -> list[str]:
        stamp = self.end.isoformat()
        return [
            f"landing/accounting/journal/journal_{stamp}.csv",
            f"landing/accounting/journal_line/journal_line_{stamp}.csv",
        ]

    # -- hook-based kinds: their records -----------------------------------------------------
    def _record_payout(self) -> None:
        p = self.payout
        if p is None:
            return
        cur, created = p["currency"], p["day"] + 7200
        amount = p["settled"] + PAYOUT_DELTA_MINOR
        self._add(
            "payout_mismatch",
            p["id"],
            day_of(p["day"]).isoformat(),
            _money(PAYOUT_DELTA_MINOR, cur),
            cur,
            f"payout {p['id']} of {_money(amount, cur)} {cur.upper()} settles balance "
            f"transactions netting {_money(p['settled'], cur)}",
            [
                self._export("payouts"),
                self._export("balance_transactions"),
                *self._events(created, p["day"] + 2 * DAY),
                *self._gl_files(),
            ],
            {
                "payout_amount": _money(amount, cur),
                "settled_net": _money(p["settled"], cur),
                "settled_balance_transactions": p["txns"],
                "settlement_rule": "every balance transaction of the payout's currency with "
                "available_on <= the payout's day 00:00 UTC not settled by an earlier payout "
                "(automatic daily payouts on weekdays)",
                "created": iso(created),
                "arrival_date": iso(p["day"] + 2 * DAY),
                "gl": "the GL's TRANSFER journal books the payout's amount (bank and clearing)",
            },
        )

    def _record_usage(self) -> None:
        u = self.usage
        if u is None or "line" not in u:
            return
        c, price, line = u["customer"], u["price"], u["line"]
        unit = price.unit_amount or 0
        inv_id = line["invoice"]
        self._add(
            "unbilled_usage",
            c.id,
            day_of(u["p1"]).strftime("%Y-%m"),
            _money(unit * u["qty"], c.currency),
            c.currency,
            f"{u['qty']} API requests of {c.id} in [{iso(u['p0'])}, {iso(u['p1'])}) are billed "
            f"as 0 on invoice {inv_id}",
            [self._export("invoices"), *self._events(u["p1"])],
            {
                "invoice_id": inv_id,
                "invoice_line_id": line["id"],
                "subscription_id": u["subscription"],
                "price_id": price.id,
                "unit_amount": _money(unit, c.currency),
                "quantity_recorded": u["qty"],
                "quantity_billed": 0,
                "period_start": iso(u["p0"]),
                "period_end": iso(u["p1"]),
                "usage_events": "CloudEvents with subject = customer and time in the period "
                "(deduplicated by (source, id)); their data.value sums to quantity_recorded",
            },
        )

    def _record_currency(self) -> None:
        ci = self.currency_invoice
        if ci is None or self.co is None:
            return
        inv, cur, d = ci["inv"], ci["currency"], day_of(ci["t"])
        books = self.co.books
        expected = books.rc(inv["total"], cur, d)
        booked = books.rc(inv["total"], "usd", d)
        self._add(
            "gl_currency_missing",
            inv["id"],
            d.strftime("%Y-%m"),
            _money(inv["total"], cur),
            cur,
            f"invoice {inv['number']} of {_money(inv['total'], cur)} {cur.upper()} is booked "
            f"in the GL as {booked:.2f} USD: no {cur.upper()} counterpart",
            [
                f"landing/accounting/invoice/invoice_{self.end.isoformat()}.csv",
                *self._gl_files(),
            ],
            {
                "invoice_number": inv["number"],
                "gateway_currency": cur,
                "gl_currency_code": "USD",
                "gl_currency_rate": "1.000000",
                "booked_on": d.isoformat(),
                "expected_total_rc": f"{expected:.2f}",
                "booked_total_rc": f"{booked:.2f}",
                "difference_rc": f"{booked - expected:.2f}",
                "final_status": inv["status"],
            },
        )

    def _record_tax(self) -> None:
        if self.co is None or self.new_rate is None or self.old_rate is None:
            return
        books = self.co.books
        for inv_id, x in sorted(self.tax_invoices.items()):
            inv, cur, d = x["inv"], x["inv"]["currency"], day_of(x["t"])
            diff = x["gateway"] - x["gl"]
            gw_rc, gl_rc = books.rc(x["gateway"], cur, d), books.rc(x["gl"], cur, d)
            self._add(
                "tax_rate_change",
                inv_id,
                d.strftime("%Y-%m"),
                _money(diff, cur),
                cur,
                f"invoice {inv['number']} taxed at {self.new_rate['percentage']}% in the "
                f"gateway, booked at the old {self.old_rate['percentage']}% in the GL",
                [
                    self._export("invoices"),
                    self._export("tax_rates"),
                    *self._events(self.tax_change_ts, x["t"]),
                    f"landing/accounting/invoice/invoice_{self.end.isoformat()}.csv",
                    *self._gl_files(),
                ],
                {
                    "invoice_number": inv["number"],
                    "country": self.tax_country,
                    "old_tax_rate_id": self.old_rate["id"],
                    "old_percentage": f"{Decimal(str(self.old_rate['percentage']))}",
                    "new_tax_rate_id": self.new_rate["id"],
                    "new_percentage": f"{Decimal(str(self.new_rate['percentage']))}",
                    "changed_at": iso(self.tax_change_ts),
                    "gateway_tax": _money(x["gateway"], cur),
                    "gl_tax": _money(x["gl"], cur),
                    "booked_on": d.isoformat(),
                    "gateway_tax_rc": f"{gw_rc:.2f}",
                    "gl_tax_rc": f"{gl_rc:.2f}",
                    "difference_rc": f"{gw_rc - gl_rc:.2f}",
                    "gl_revenue_overstated_rc": f"{gw_rc - gl_rc:.2f}",
                    "final_status": inv["status"],
                },
            )

    # -- file-level kinds --------------------------------------------------------------------
    def _gl_sync_gap(self, home: Path) -> None:
        jpath, lpath = (home / f for f in self._gl_files())
        days = {d.isoformat() for d in self.gap_days}
        jlines = _read_lines(jpath)
        jhead = _csv_fields(jlines[0])
        i_id, i_date, i_type = (
            jhead.index(c) for c in ("journal_id", "journal_date", "source_type")
        )
        gone: dict[str, tuple[str, str]] = {}
        kept = [jlines[0]]
        for line in jlines[1:]:
            f = _csv_fields(line)
            if f[i_date] in days:
                gone[f[i_id]] = (f[i_date], f[i_type])
            else:
                kept.append(line)
        llines = _read_lines(lpath)
        lhead = _csv_fields(llines[0])
        l_jid, l_code, l_net = (
            lhead.index(c) for c in ("journal_id", "account_code", "net_amount")
        )
        by_account: dict[str, Decimal] = defaultdict(Decimal)
        by_type: dict[str, Decimal] = defaultdict(Decimal)
        by_day: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        lkept, removed_lines = [llines[0]], 0
        for line in llines[1:]:
            f = _csv_fields(line)
            if f[l_jid] in gone:
                removed_lines += 1
                net = Decimal(f[l_net])
                jdate, jtype = gone[f[l_jid]]
                by_account[f[l_code]] += net
                if net > 0:
                    by_type[jtype] += net
                    by_day[jdate][jtype] += net
            else:
                lkept.append(line)
        if not gone:
            return
        _write_lines(jpath, kept)
        _write_lines(lpath, lkept)
        first, last = self.gap_days[0].isoformat(), self.gap_days[-1].isoformat()
        cash = by_type.get("ACCRECPAYMENT", Decimal(0))
        self._add(
            "gl_sync_gap",
            f"accounting:{first}/{last}",
            first,
            f"{cash:.2f}",
            "usd",
            f"the Xero sync wrote no GL journal dated {first}..{last}: {len(gone)} journals "
            f"missing, {cash:.2f} USD of gateway cash collected not in the GL",
            self._gl_files(),
            {
                "days": sorted(days),
                "journals_removed": len(gone),
                "journal_lines_removed": removed_lines,
                "amount_is": "sum of the clearing (091) debits of the missing ACCRECPAYMENT "
                "journals: gateway charges collected in the week, in USD",
                "missing_debits_by_source_type": {
                    k: f"{v:.2f}" for k, v in sorted(by_type.items())
                },
                "missing_net_by_account_code": {
                    k: f"{v:.2f}" for k, v in sorted(by_account.items())
                },
                "missing_debits_by_day": {
                    d: {k: f"{v:.2f}" for k, v in sorted(t.items())}
                    for d, t in sorted(by_day.items())
                },
            },
        )

    def _crm_wrong_customer(self, home: Path) -> None:
        """A CRM account that was linked to its own gateway customer is re-linked to another one
        the morning after the company's last day, and the CRM's next sync delivers that change:
        a new file with the account's new version (newer ``system_modstamp``) beside the
        snapshot, which keeps the right link. The clean company's own mislinked accounts were
        wrong from their first version; this one is a right link that turned wrong."""
        names = {}
        with open(home / self._export("customers"), encoding="utf-8") as f:
            for line in f:
                c = json.loads(line)
                names[c["name"]] = c["id"]
        snapshot = f"landing/crm/account/account_{self.end.isoformat()}.csv"
        lines = _read_lines(home / snapshot)
        head = _csv_fields(lines[0])
        i_id, i_name, i_link = (head.index(c) for c in ("id", "name", "stripe_customer_id_c"))
        linked = [
            i
            for i, line in enumerate(lines[1:], 1)
            if (f := _csv_fields(line))[i_link] and names.get(f[i_name]) == f[i_link]
        ]
        if len(linked) < 1 or len(names) < 2:
            return
        rng = self.rng("crm_wrong_customer")
        row = linked[rng.randrange(len(linked))]
        f = _csv_fields(lines[row])
        right = f[i_link]
        others = sorted(cid for cid in names.values() if cid != right)
        wrong = others[rng.randrange(len(others))]
        changed_at = to_dt(self.end_ts + CRM_RELINK_HOURS[0] * HOUR)
        synced_at = to_dt(self.end_ts + CRM_RELINK_HOURS[1] * HOUR)
        f[i_link] = wrong
        for column, moment in (
            ("system_modstamp", changed_at),
            ("last_modified_date", changed_at),
            ("_fivetran_synced", synced_at),
        ):
            f[head.index(column)] = moment.strftime("%Y-%m-%d %H:%M:%S")
        rel = f"landing/crm/account/account_{self.end.isoformat()}_sync2.csv"
        _write_lines(home / rel, [lines[0], _csv_line(f)])
        self._add(
            "crm_wrong_customer",
            f[i_id],
            self.end.isoformat(),
            None,
            None,
            f"CRM account {f[i_id]} ({f[i_name]}), linked to its gateway customer {right}, is "
            f"re-linked to {wrong} on {changed_at:%Y-%m-%d %H:%M} UTC (the next CRM sync)",
            [rel],
            {
                "account_name": f[i_name],
                "linked_customer_id": wrong,
                "right_customer_id": right,
                "changed_at": changed_at.strftime("%Y-%m-%d %H:%M:%S"),
                "snapshot": snapshot,
                "note": "the clean company already has a few mislinked and unlinked accounts "
                "(manifest crm_links), wrong since their first version; this one was right in "
                "the snapshot and turns wrong in the next sync",
            },
        )

    def _renamed_column(self, home: Path) -> None:
        entity, old, new = RENAMED
        rel = self._export(entity)
        path = home / rel
        out, n = [], 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                obj = json.loads(line)
                if old in obj:
                    obj = {(new if k == old else k): v for k, v in obj.items()}
                    n += 1
                out.append(dumps(obj) + "\n")
        if n == 0:
            return
        _write_lines(path, out)
        self._add(
            "renamed_column",
            rel,
            self.end.isoformat(),
            None,
            None,
            f"the gateway's {entity} export renames required field {old!r} to {new!r} in all "
            f"{n} rows",
            [rel],
            {
                "source": "gateway",
                "entity": entity,
                "field": old,
                "renamed_to": new,
                "rows": n,
                "expected": "the contract blocks gateway.charges at this file (required field "
                "missing from every row); the charges still arrive as events",
            },
        )

    def _record_volume(self) -> None:
        if not self.volume or not any(v["events_before"] for v in self.volume.values()):
            return
        first = day_of(self.volume_from_ts)
        base_days = [(first - timedelta(days=i)).isoformat() for i in range(1, 15)]
        baseline = Decimal(sum(self.volume_base.get(d, 0) for d in base_days)) / len(base_days)
        files = sorted(
            {
                f"landing/usage/events/{_month_file(self.volume_from_ts + i * DAY)}"
                for i in range(VOLUME_DAYS)
            }
        )
        for d, v in sorted(self.volume.items()):
            self._add(
                "volume_drop",
                f"usage:{d}",
                d,
                None,
                None,
                f"usage events of {d}: {v['events_after']} delivered of {v['events_before']} "
                f"(one in {VOLUME_KEEP_EVERY} kept; normal {baseline:.2f} a day)",
                files,
                {
                    "source": "usage",
                    "entity": "events",
                    **{k: v[k] for k in ("events_before", "events_after")},
                    **{k: v[k] for k in ("value_before", "value_after")},
                    "baseline_events_per_day": f"{baseline:.2f}",
                    "baseline_is": "distinct usage events a day over the 14 days before the "
                    "drop (the same count of the landing files)",
                    "note": "events are lost before both billing and landing: invoices bill "
                    "what was delivered, so usage recorded still equals usage billed",
                },
            )

    def _record_outage(self) -> None:
        if not self.outage:
            return
        d = day_of(self.outage_from_ts).isoformat()
        failed = sum(len(v) for v in self.outage.values())
        self._add(
            "payment_outage",
            f"failed_charge_share:{d}",
            d,
            None,
            None,
            f"the card processor is down on {d}: {failed} charge attempts for "
            f"{len(self.outage)} invoices fail with processing_error, retried hourly",
            [*self._events(self.outage_from_ts), self._export("charges"), self._export("invoices")],
            {
                "source": "gateway",
                "failure_code": "processing_error",
                "failed_attempts": failed,
                "invoices": {k: len(v) for k, v in sorted(self.outage.items())},
                "down_from": iso(self.outage_from_ts),
                "down_until": iso(self.outage_from_ts + DAY),
                "note": "other charges of the day (none are attempted while it is down) and the "
                "retries after it follow the normal behaviour; no money is lost",
            },
        )

    def _late_events(self, home: Path) -> None:
        folder = home / "landing" / "gateway" / "events"
        src = folder / f"{self.prev_month.isoformat()}_events.jsonl"
        dst = folder / f"{self.last_month.isoformat()}_events.jsonl"
        if not src.exists() or not dst.exists():
            return
        lines = _read_lines(src)
        created = [json.loads(line)["created"] for line in lines]
        gap_end = self.gap_days[-1] + timedelta(days=1)
        day = self.last_month - timedelta(days=1)
        while day >= gap_end:  # the last day of the month with events, after the GL gap
            if any(day_of(c) == day for c in created):
                break
            day -= timedelta(days=1)
        else:
            return
        batch = [line for line, c in zip(lines, created, strict=True) if day_of(c) == day]
        rest = [line for line, c in zip(lines, created, strict=True) if day_of(c) != day]
        delivered = ts(day) + LATE_DAYS * DAY
        target = _read_lines(dst)
        pos = 0
        while pos < len(target) and json.loads(target[pos])["created"] < delivered:
            pos += 1
        target[pos:pos] = batch
        _write_lines(src, rest)
        _write_lines(dst, target)
        ids = [json.loads(line)["id"] for line in batch]
        rel_src, rel_dst = (p.relative_to(home).as_posix() for p in (src, dst))
        self._add(
            "late_events",
            f"gateway:{day.isoformat()}",
            day.isoformat(),
            None,
            None,
            f"{len(batch)} gateway events created on {day.isoformat()} arrive in {dst.name} "
            f"among the events of {day_of(delivered).isoformat()}, not in {src.name}",
            [rel_src, rel_dst],
            {
                "source": "gateway",
                "entity": "events",
                "event_ids": ids,
                "count": len(ids),
                "created_day": day.isoformat(),
                "delivered_with_events_from": iso(delivered),
                "lateness_days": LATE_DAYS,
                "expected_file": rel_src,
                "delivered_in": rel_dst,
                "first_line": pos + 1,
                "note": "in the clean company every event of YYYY-MM-01_events.jsonl is created "
                "in that month and the file is sorted by created",
            },
        )

    def _duplicate_file(self, home: Path) -> None:
        folder = home / "landing" / "gateway" / "events"
        original = folder / f"{self.prev_month.isoformat()}_events.jsonl"
        if not original.exists():
            return
        copy = original.with_name(f"{original.stem}{DUPLICATE_SUFFIX}{original.suffix}")
        shutil.copyfile(original, copy)
        data = original.read_bytes()
        rel, rel_orig = (p.relative_to(home).as_posix() for p in (copy, original))
        self._add(
            "duplicate_file",
            rel,
            self.prev_month.strftime("%Y-%m"),
            None,
            None,
            f"{original.name} is delivered a second time as {copy.name} (identical bytes)",
            [rel],
            {
                "source": "gateway",
                "entity": "events",
                "original": rel_orig,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "lines": data.count(b"\n"),
            },
        )

"""The company's state machine: customers, subscriptions, invoices, payments and their events.

Each customer is simulated on its own timeline (a priority queue of scheduled actions); every
change to a Stripe object is emitted as an ``event`` at the exact time of the change, in the API
shape of that time. Objects are final once their customer's timeline has run, so their
current-state export lines are written then. Payouts, which settle balance transactions of all
customers, are made in a last pass.
"""

from __future__ import annotations

import heapq
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .accounting import Books
from .billing import Billing
from .catalog import EU, Catalog, Coupon, Price
from .common import (
    CURRENT_API,
    DAY,
    HOUR,
    LEGACY_API,
    Ids,
    add_months,
    day_of,
    minor_to_major,
    round_int,
)
from .crm import INDUSTRIES, AccountRecord, Crm, Opportunity
from .fx import FxRates
from .payments import Payments, _balance_txn, _pair
from .stripe import (
    Customer,
    Discount,
    Item,
    Legacy,
    Subscription,
    customer_obj,
    discount_obj,
    subscription_obj,
)
from .truth import Truth, Version
from .usage import SOURCES, UsageStream
from .writer import Exports, MonthlySpool, dumps

if TYPE_CHECKING:
    from .drift import Drift

GATEWAY_ENTITIES = (
    "customers",
    "products",
    "prices",
    "coupons",
    "discounts",
    "tax_rates",
    "subscriptions",
    "invoices",
    "invoiceitems",
    "credit_notes",
    "charges",
    "refunds",
    "disputes",
    "balance_transactions",
    "payouts",
    "application_fees",
    "transfers",
)

SEGMENTS = (("smb", 55), ("mid_market", 25), ("enterprise", 10), ("marketplace", 10))
COUNTRIES = (
    ("US", 38),
    ("GB", 10),
    ("DE", 10),
    ("FR", 7),
    ("NL", 5),
    ("IE", 3),
    ("JP", 8),
    ("AU", 9),
    ("CA", 10),
)
CURRENCY_OF = {
    "US": "usd",
    "GB": "gbp",
    "DE": "eur",
    "FR": "eur",
    "NL": "eur",
    "IE": "eur",
    "JP": "jpy",
    "AU": "aud",
    "CA": "cad",
}
CANCEL_HAZARD = {"smb": 0.035, "mid_market": 0.02, "enterprise": 0.01, "marketplace": 0.025}
UPGRADE_HAZARD = {"smb": 0.04, "mid_market": 0.06, "enterprise": 0.05, "marketplace": 0.03}
DOWNGRADE_HAZARD = {"smb": 0.02, "mid_market": 0.03, "enterprise": 0.02, "marketplace": 0.02}
NAME_A = (
    "Acme",
    "Blue",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tidal",
    "Umbra",
    "Vertex",
    "Willow",
    "Zenith",
)
NAME_B = (
    "Analytics",
    "Labs",
    "Systems",
    "Logistics",
    "Health",
    "Retail",
    "Software",
    "Partners",
    "Foods",
    "Media",
    "Robotics",
    "Energy",
    "Capital",
    "Studios",
)
NAME_C = ("Inc.", "GmbH", "SAS", "B.V.", "Ltd", "K.K.", "Pty Ltd", "Corp.", "LLC")
SUFFIX_BY_COUNTRY = {
    "US": "Inc.",
    "DE": "GmbH",
    "FR": "SAS",
    "NL": "B.V.",
    "IE": "Ltd",
    "GB": "Ltd",
    "JP": "K.K.",
    "AU": "Pty Ltd",
    "CA": "Corp.",
}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in weighted)
    r = rng.random() * total
    for value, w in weighted:
        r -= w
        if r < 0:
            return value
    return weighted[-1][0]


@dataclass
class Stats:
    scenarios: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Company:
    """Everything shared by the customers' timelines."""

    def __init__(self, home: Path, seed: int, start: date, end: date, months: int) -> None:
        self.home, self.seed = home, seed
        self.start_ts, self.end_ts = _ts(start), _ts(end)
        self.start, self.end = start, end
        legacy_months = round(months * 0.4)
        self.cutoff_ts = add_months(self.start_ts, legacy_months)
        self.ids = Ids(seed)
        self.fx = FxRates(seed, date.fromordinal(start.toordinal() - 10), end)
        self.catalog = Catalog(self.ids, self.start_ts - 7 * DAY)
        self.legacy = Legacy(self.catalog)
        tmp = home / ".simulator-tmp"
        gateway = home / "landing" / "gateway"
        self.events = MonthlySpool(tmp / "events", gateway / "events", "events")
        self.exports = Exports(gateway, end, GATEWAY_ENTITIES)
        self.usage = UsageStream(home, seed, tmp)
        self.books = Books(seed, self.ids, self.fx, self.end_ts + 6 * HOUR)
        self.crm = Crm(seed, self.ids)
        self.truth = Truth(self.fx, start, end)
        self.stats = Stats()
        self.payable: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        self.connected_accounts = [self.ids.new("acct", 16) for _ in range(12)]
        self.drift: Drift | None = None  # injected drift (drift.py); None = the clean company

    def emit(self, t: int, type_: str, obj: dict[str, Any], prev: dict | None = None) -> None:
        legacy = t < self.cutoff_ts
        data: dict[str, Any] = {"object": self.legacy.convert(obj) if legacy else obj}
        if prev:
            data["previous_attributes"] = prev
        event = {
            "id": self.ids.new("evt"),
            "object": "event",
            "api_version": LEGACY_API if legacy else CURRENT_API,
            "created": t,
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }
        self.events.add(t, dumps(event))

    # ----------------------------------------------------------------------------------------
    def publish_catalog(self) -> None:
        t = self.catalog.products["starter"]["created"]
        for p in self.catalog.products.values():
            self.emit(t, "product.created", p)
        for p in self.catalog.price_by_id.values():
            self.emit(t + 60, "price.created", p.obj)
        for c in self.catalog.coupons:
            self.emit(t + 120, "coupon.created", c.obj)
        self.exports.write("products", self.catalog.products.values())
        self.exports.write("prices", (p.obj for p in self.catalog.price_by_id.values()))
        self.exports.write("coupons", (c.obj for c in self.catalog.coupons))
        self.exports.write("tax_rates", self.catalog.tax_rates.values())

    def new_customer(self, index: int, signup: int, rng: random.Random) -> Customer:
        country = _pick(rng, COUNTRIES)
        segment = _pick(rng, SEGMENTS)
        a, b = NAME_A[rng.randrange(len(NAME_A))], NAME_B[rng.randrange(len(NAME_B))]
        name = f"{a} {b} {index + 1} {SUFFIX_BY_COUNTRY[country]}"
        slug = f"{a}{b}{index + 1}".lower()
        reverse = country in EU and segment != "smb"
        c = Customer(
            index=index,
            id=self.ids.new("cus", 14),
            created=signup,
            name=name,
            email=f"billing@{slug}.example",
            country=country,
            currency=CURRENCY_OF[country],
            segment=segment,
            tax_exempt="reverse" if reverse else "none",
            industry=INDUSTRIES[rng.randrange(len(INDUSTRIES))],
            tax_rate=self.catalog.tax_rates.get(country),
            invoice_prefix=f"{a[:2].upper()}{index + 1:06X}",
        )
        if segment == "marketplace":
            c.connected_account = self.connected_accounts[rng.randrange(12)]
        return c

    def payouts(self) -> None:
        """Automatic daily payouts per currency: every business day, all balance transactions
        that became available on or before that day and were not paid out yet."""
        payouts, txns = [], []
        for currency in sorted(self.payable):
            queue = sorted(self.payable[currency])
            i, pending = 0, []
            day = self.start_ts
            while day < self.end_ts:
                if day_of(day).weekday() < 5:
                    while i < len(queue) and queue[i][0] <= day:
                        pending.append(queue[i])
                        i += 1
                    amount = sum(n for _, n, _ in pending)
                    if amount > 0:
                        created = day + 2 * HOUR
                        arrival = day + 2 * DAY
                        po_id, txn_id = self.ids.new("po"), self.ids.new("txn")
                        if self.drift is not None:
                            amount = self.drift.payout_amount(po_id, currency, day, amount, pending)
                        po = {
                            "id": po_id,
                            "object": "payout",
                            "amount": amount,
                            "application_fee": None,
                            "application_fee_amount": None,
                            "arrival_date": arrival,
                            "automatic": True,
                            "balance_transaction": txn_id,
                            "created": created,
                            "currency": currency,
                            "description": "STRIPE PAYOUT",
                            "destination": f"ba_revstack_{currency}",
                            "failure_balance_transaction": None,
                            "failure_code": None,
                            "failure_message": None,
                            "livemode": False,
                            "metadata": {"balance_transactions": str(len(pending))},
                            "method": "standard",
                            "original_payout": None,
                            "reconciliation_status": "completed",
                            "reversed_by": None,
                            "source_type": "card",
                            "statement_descriptor": None,
                            "status": "in_transit",
                            "trace_id": None,
                            "type": "bank_account",
                        }
                        self.emit(created, "payout.created", po)
                        if arrival < self.end_ts:
                            po = dict(po, status="paid")
                            self.emit(arrival, "payout.paid", po)
                        payouts.append(po)
                        txns.append(
                            _balance_txn(
                                txn_id,
                                -amount,
                                0,
                                currency,
                                "payout",
                                "payout",
                                po_id,
                                created,
                                created,
                                self.end_ts,
                                "STRIPE PAYOUT",
                            )
                        )
                        if arrival < self.end_ts:
                            amount_rc = self.books.rc(amount, currency, day_of(arrival))
                            self.books.post(
                                arrival,
                                "TRANSFER",
                                po_id,
                                _pair("bank", "clearing", amount_rc),
                                description=f"Stripe payout {currency.upper()}",
                            )
                        pending = []
                day += DAY
        self.exports.write("payouts", payouts)
        self.exports.write("balance_transactions", txns)
        self.stats.scenarios["payout"] += len(payouts)


def _ts(d: date) -> int:
    return (d.toordinal() - date(1970, 1, 1).toordinal()) * DAY


Action = Callable[..., None]


class Timeline(Billing, Payments):
    """One customer's life, run as a queue of timed actions."""

    def __init__(self, co: Company, c: Customer, rng: random.Random) -> None:
        self.co, self.c, self.rng = co, c, rng
        self.cur = c.currency
        self.heap: list[tuple[int, int, int, Action, tuple]] = []
        self.seq = 0
        self.last: dict[str, int] = {}
        self.objs: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        self.subs: list[Subscription] = []
        self.versions: dict[str, list[Version]] = {}
        self.last_sub_obj: dict[str, dict[str, Any]] = {}
        self.sub_of_invoice: dict[str, Subscription] = {}
        self.ever_paid = False
        self.xero_row: dict[str, int] = {}
        self.usage_intensity = rng.choice((40, 120, 400, 1200))
        self.usage_source = SOURCES[rng.randrange(len(SOURCES))]
        self.account = AccountRecord(
            c.id, c.name, c.country, c.industry, c.segment, c.currency, c.created
        )

    # -- plumbing ----------------------------------------------------------------------------
    def at(self, t: int, action: Action, *args: Any, prio: int = 5) -> None:
        if t < self.co.end_ts:
            self.seq += 1
            heapq.heappush(self.heap, (t, prio, self.seq, action, args))

    def run(self) -> None:
        while self.heap:
            t, _, _, action, args = heapq.heappop(self.heap)
            action(t, *args)

    def bump(self, obj_id: str, t: int) -> int:
        """The time for the next version of ``obj_id``: strictly after its previous one."""
        last = self.last.get(obj_id)
        return last + 1 if last is not None and t <= last else t

    def emit(self, t: int, type_: str, entity: str, obj: dict[str, Any], prev=None) -> int:
        """Emit an event for ``obj`` and keep it as the object's latest state; a later version of
        one object always gets a later second than the one before. Returns the time used."""
        last = self.last.get(obj["id"])
        if last is not None and t <= last:
            t = last + 1
        self.last[obj["id"]] = t
        self.co.emit(t, type_, obj, prev)
        self.objs[entity][obj["id"]] = obj
        return t

    def emit_sub(self, t: int, type_: str, s: Subscription) -> int:
        obj = subscription_obj(s)
        old = self.last_sub_obj.get(s.id)
        prev = None
        if old is not None and type_ == "customer.subscription.updated":
            if t < self.co.cutoff_ts:
                old_c, new_c = self.co.legacy.convert(old), self.co.legacy.convert(obj)
            else:
                old_c, new_c = old, obj
            prev = {k: v for k, v in old_c.items() if new_c.get(k) != v}
        self.last_sub_obj[s.id] = obj
        t = self.emit(t, type_, "subscriptions", obj, prev)
        d = s.discount
        self.versions.setdefault(s.id, []).append(
            Version(
                t,
                s.status,
                tuple((it.price, it.quantity) for it in s.items),
                Decimal(d.coupon.percent_off) if d and d.coupon.percent_off is not None else None,
                d.coupon.amount_off if d else None,
                d.start if d else None,
                d.end if d else None,
            )
        )
        return t

    def emit_customer(self, t: int, type_: str) -> None:
        self.emit(t, type_, "customers", customer_obj(self.c))

    def scen(self, name: str) -> None:
        self.co.stats.scenarios[name] += 1

    # -- start -------------------------------------------------------------------------------
    def start(self) -> None:
        c, rng, t = self.c, self.rng, self.c.created
        self.emit_customer(t, "customer.created")
        self.co.books.contact(c.id, c.name, c.email, rng.random() < 0.9)
        self.new_subscription(t + rng.randrange(60, 3 * HOUR), first=True)
        if c.segment in ("mid_market", "enterprise") and rng.random() < 0.25:
            self.at(t + rng.randrange(45, 400) * DAY, self.second_subscription)
        if rng.random() < 0.3:
            # a lost deal before (or besides) the won one
            close = t - rng.randrange(20, 200) * DAY
            self.account.opportunities.append(
                Opportunity(
                    close - rng.randrange(10, 60) * DAY,
                    close,
                    f"{c.name} - Competitive evaluation",
                    "Closed Lost",
                    Decimal(rng.randrange(2, 60) * 1000),
                    "New Business",
                    "Revstack Business (volume tiers)",
                    rng.randrange(5, 50),
                    0,
                )
            )

    def finish(self) -> None:
        """Unbilled usage of the open period, then exports and truth."""
        co = self.co
        for s in self.subs:
            if s.status in ("active", "past_due") and self._metered(s):
                co.usage.generate(
                    self.c.id,
                    s.period_start,
                    co.end_ts,
                    self.usage_intensity,
                    self.usage_source,
                )
        for entity, objs in self.objs.items():
            co.exports.write(entity, objs.values())
        co.truth.add_customer(self.c.id, self.cur, self.versions)
        for inv in self.objs["invoices"].values():
            co.truth.add_recognition(inv)
        co.crm.account(self.account)

    # -- plans ---------------------------------------------------------------------------------
    def choose_plan(self, second: bool = False) -> tuple[Price, int, bool]:
        rng, seg, cat, cur = self.rng, self.c.segment, self.co.catalog, self.cur
        if second:
            ik = "month" if rng.random() < 0.7 else "year"
            return cat.price("team", cur, ik), rng.randint(3, 15), False
        if seg == "smb":
            key = "starter" if rng.random() < 0.6 else "team"
            qty = 1 if key == "starter" else rng.randint(2, 6)
            ik = _pick(rng, (("month", 70), ("quarter", 10), ("year", 20)))
            metered = ik == "month" and rng.random() < 0.15
        elif seg == "mid_market":
            key = "team" if rng.random() < 0.5 else "business"
            qty = rng.randint(5, 40)
            ik = _pick(rng, (("month", 50), ("quarter", 20), ("year", 30)))
            metered = ik == "month" and rng.random() < 0.35
        elif seg == "enterprise":
            key = "business" if rng.random() < 0.5 else "scale"
            qty = rng.randint(20, 250)
            ik = "year" if rng.random() < 0.7 else "month"
            metered = ik == "month" and rng.random() < 0.3
        else:
            key, qty = "platform", 1
            ik = "month" if rng.random() < 0.8 else "year"
            metered = ik == "month" and rng.random() < 0.3
        return cat.price(key, cur, ik), qty, metered

    def _metered(self, s: Subscription) -> Item | None:
        for it in s.items:
            if it.price.kind == "metered":
                return it
        return None

    def _period_end(self, s: Subscription, index: int) -> int:
        return add_months(s.anchor, index * s.months)

    # -- subscriptions -------------------------------------------------------------------------
    def new_subscription(self, t: int, first: bool = False, second: bool = False) -> None:
        c, rng, co = self.c, self.rng, self.co
        price, qty, metered = self.choose_plan(second)
        s = Subscription(id=co.ids.new("sub"), customer=c, created=t, anchor=t)
        s.items.append(Item(co.ids.new("si", 14), price, qty, t))
        if metered:
            s.items.append(
                Item(co.ids.new("si", 14), co.catalog.price("api", self.cur, "month"), 1, t)
            )
        self.subs.append(s)
        trial_p = {"smb": 0.4, "mid_market": 0.2}.get(c.segment, 0.0)
        reactivation = not first and not second
        trial = first and rng.random() < trial_p
        mrr_major = minor_to_major(price.amount(qty), self.cur) / price.months
        self.account.opportunities.append(
            Opportunity(
                t - rng.randrange(20, 60) * DAY,
                t - rng.randrange(1, 14) * DAY,
                f"{c.name} - {'Add-on' if second else 'Win-back' if reactivation else 'New'}",
                "Closed Won",
                (mrr_major * 12).quantize(Decimal("0.01")),
                "Existing Business" if second else "New Business",
                co.catalog.products[price.product_key]["name"],
                qty,
                100,
            )
        )
        if reactivation:
            self.scen("reactivation")
        if second:
            self.scen("second_subscription")
        if trial:
            days = 14 if c.segment == "smb" else 30
            s.status = "trialing"
            s.trial_start, s.trial_end = t, t + days * DAY
            s.period_start, s.period_end = t, s.trial_end
            self.scen("trial")
            self.emit_sub(t, "customer.subscription.created", s)
            lines = [
                self._sub_line(s, it, t, s.trial_end, trial=True)
                for it in s.items
                if it.price.kind == "licensed"
            ]
            self.invoice(t, s, "subscription_create", lines, t, t)
            self.at(s.trial_end - 3 * DAY, self.trial_will_end, s)
            self.at(s.trial_end, self.trial_end, s, prio=2)
            return
        s.period_start, s.period_end = t, self._period_end(s, 1)
        coupon = self._maybe_coupon(price, qty)
        if coupon is not None:
            end = None
            if coupon.duration == "once":
                end = s.period_end
            elif coupon.duration == "repeating":
                end = add_months(t, coupon.duration_in_months or 0)
            s.discount = Discount(co.ids.new("di"), coupon, c.id, s.id, t, end)
            self.scen(f"coupon_{coupon.duration}")
        self.emit_sub(t, "customer.subscription.created", s)
        if s.discount:
            self.emit(t, "customer.discount.created", "discounts", discount_obj(s.discount))
            if s.discount.end is not None:
                self.at(s.discount.end, self.discount_end, s, prio=0)
        lines = [
            self._sub_line(s, it, s.period_start, s.period_end)
            for it in s.items
            if it.price.kind == "licensed"
        ]
        if c.segment == "enterprise" and first and rng.random() < 0.6:
            setup = co.catalog.price("setup", self.cur, None)
            ii = self._invoiceitem(
                t, s, setup, 1, setup.unit_amount or 0, False, t, t, "Onboarding and setup"
            )
            lines.append(self._ii_line(ii))
            self.scen("one_time")
        self.invoice(t, s, "subscription_create", lines, t, t)
        self.start_period(s)

    def _maybe_coupon(self, price: Price, qty: int) -> Coupon | None:
        rng = self.rng
        if self.c.segment == "enterprise" or rng.random() >= 0.25:
            return None
        options = []
        for cp in self.co.catalog.coupons:
            if cp.amount_off is not None:
                if cp.currency != self.cur or price.interval_key != "month":
                    continue
                if price.amount(qty) <= cp.amount_off:
                    continue
            if cp.id == "ANNUAL15" and price.interval_key != "year":
                continue
            options.append(cp)
        return options[rng.randrange(len(options))]

    def start_period(self, s: Subscription) -> None:
        """Schedule the renewal and roll the dice for what happens during the period."""
        rng, seg = self.rng, self.c.segment
        self.at(s.period_end, self.renew, s, prio=1)
        length = s.period_end - s.period_start
        m = s.months

        def chance(h: float) -> float:
            return 1 - (1 - h) ** m

        if rng.random() < chance(CANCEL_HAZARD[seg]):
            self.at(s.period_start + int(length * rng.uniform(0.1, 0.9)), self.cancel_request, s)
        r = rng.random()
        if r < chance(UPGRADE_HAZARD[seg]):
            self.at(s.period_start + int(length * rng.uniform(0.05, 0.85)), self.change, s, True)
        elif r < chance(UPGRADE_HAZARD[seg]) + chance(DOWNGRADE_HAZARD[seg]):
            self.at(s.period_start + int(length * rng.uniform(0.05, 0.85)), self.change, s, False)

    def trial_will_end(self, t: int, s: Subscription) -> None:
        if s.status == "trialing":
            self.emit_sub(t, "customer.subscription.trial_will_end", s)

    def trial_end(self, t: int, s: Subscription) -> None:
        if s.status != "trialing":
            return
        if self.rng.random() < 0.7:
            s.status = "active"
            s.anchor = t
            s.period_start, s.period_end, s.period_index = t, self._period_end(s, 1), 0
            self.scen("trial_converted")
            self.emit_sub(t, "customer.subscription.updated", s)
            lines = [
                self._sub_line(s, it, s.period_start, s.period_end)
                for it in s.items
                if it.price.kind == "licensed"
            ]
            self.invoice(t, s, "subscription_cycle", lines, s.trial_start or t, t)
            self.start_period(s)
        else:
            s.status = "canceled"
            s.canceled_at = s.ended_at = t
            s.cancellation_reason = "cancellation_requested"
            self.scen("trial_canceled")
            self.emit_sub(t, "customer.subscription.deleted", s)
            self.after_end(t)

    def renew(self, t: int, s: Subscription) -> None:
        if s.status not in ("active", "past_due"):
            return
        if s.cancel_at_period_end:
            self.scen("cancel_at_period_end")
            self.end_subscription(t, s, "cancellation_requested")
            return
        old_start, old_end = s.period_start, s.period_end
        s.period_index += 1
        s.period_start, s.period_end = old_end, self._period_end(s, s.period_index + 1)
        t = self.emit_sub(t, "customer.subscription.updated", s)
        lines = [
            self._sub_line(s, it, s.period_start, s.period_end)
            for it in s.items
            if it.price.kind == "licensed"
        ]
        metered = self._metered(s)
        if metered:
            lines.append(self._usage_line(s, metered, old_start, old_end, renewal=True))
        lines.extend(self._ii_line(ii) for ii in s.pending)
        s.pending = []
        self.invoice(t, s, "subscription_cycle", lines, old_start, old_end, finalize_after=HOUR)
        self.start_period(s)

    def discount_end(self, t: int, s: Subscription) -> None:
        d = s.discount
        if d is None or d.end != t or s.status in ("canceled", "incomplete_expired"):
            return
        if s.cancel_at_period_end and s.period_end == t:
            return  # the subscription ends at this very moment, with its discount
        s.discount = None
        self.scen("discount_expired")
        self.emit(t, "customer.discount.deleted", "discounts", discount_obj(d))
        self.emit_sub(t, "customer.subscription.updated", s)

    def change(self, t: int, s: Subscription, up: bool) -> None:
        if s.status != "active" or s.cancel_at_period_end:
            return
        rng, cat = self.rng, self.co.catalog
        item = s.items[0]
        old_price, old_q = item.price, item.quantity
        new_price, new_q = old_price, old_q
        key = old_price.product_key
        if up:
            if key == "starter":
                new_price, new_q = cat.price("team", self.cur, old_price.interval_key), 3
            elif key == "platform":
                new_q = old_q + 1
            else:
                new_q = old_q + max(1, round(old_q * rng.uniform(0.1, 0.5)))
        else:
            if key == "team" and old_q <= 3:
                new_price, new_q = cat.price("starter", self.cur, old_price.interval_key), 1
            elif old_q > 1:
                new_q = max(1, old_q - max(1, round(old_q * rng.uniform(0.1, 0.4))))
            else:
                return
        old_amt, new_amt = old_price.amount(old_q), new_price.amount(new_q)
        if (new_amt > old_amt) != up or new_amt == old_amt:
            return  # e.g. a volume tier that makes more seats cheaper: not this change
        frac = Decimal(s.period_end - t) / Decimal(s.period_end - s.period_start)
        credit = -round_int(old_amt * frac)
        debit = round_int(new_amt * frac)
        item.price, item.quantity = new_price, new_q
        t = self.emit_sub(t, "customer.subscription.updated", s)
        iis = [
            self._invoiceitem(
                t,
                s,
                old_price,
                old_q,
                credit,
                True,
                t,
                s.period_end,
                f"Unused time on {old_q} × {old_price.obj['nickname']}",
            ),
            self._invoiceitem(
                t,
                s,
                new_price,
                new_q,
                debit,
                True,
                t,
                s.period_end,
                f"Remaining time on {new_q} × {new_price.obj['nickname']}",
            ),
        ]
        if up:
            self.scen("upgrade")
            delta = minor_to_major(new_amt - old_amt, self.cur) / new_price.months
            self.account.opportunities.append(
                Opportunity(
                    t - rng.randrange(10, 40) * DAY,
                    t - rng.randrange(0, 5) * DAY,
                    f"{self.c.name} - Expansion",
                    "Closed Won",
                    (delta * 12).quantize(Decimal("0.01")),
                    "Existing Business",
                    cat.products[new_price.product_key]["name"],
                    new_q,
                    100,
                )
            )
            self.invoice(t, s, "subscription_update", [self._ii_line(ii) for ii in iis], t, t)
        else:
            self.scen("downgrade")
            s.pending.extend(iis)

    def cancel_request(self, t: int, s: Subscription) -> None:
        if s.status != "active" or s.cancel_at_period_end:
            return
        rng = self.rng
        if rng.random() < 0.7:
            s.cancel_at_period_end = True
            s.cancel_at = s.period_end
            s.canceled_at = t
            s.cancellation_reason = "cancellation_requested"
            self.emit_sub(t, "customer.subscription.updated", s)
            if rng.random() < 0.12:
                self.at(t + int((s.period_end - t) * rng.uniform(0.1, 0.8)), self.undo_cancel, s)
        else:
            self.scen("immediate_cancel")
            charge = self._last_paid_charge(s)
            self.end_subscription(t, s, "cancellation_requested")
            if charge is not None and rng.random() < 0.5 and charge["amount_refunded"] == 0:
                self.refund(t + rng.randrange(HOUR, DAY), charge, partial=True, credit_note=True)

    def undo_cancel(self, t: int, s: Subscription) -> None:
        if s.status == "active" and s.cancel_at_period_end:
            s.cancel_at_period_end = False
            s.cancel_at = s.canceled_at = None
            s.cancellation_reason = None
            self.scen("cancel_undone")
            self.emit_sub(t, "customer.subscription.updated", s)

    def end_subscription(self, t: int, s: Subscription, reason: str) -> None:
        metered = self._metered(s)
        if metered and s.status in ("active", "past_due"):
            line = self._usage_line(s, metered, s.period_start, t)
            lines = [line, *(self._ii_line(ii) for ii in s.pending)]
            s.pending = []
            self.invoice(t, s, "subscription_cycle", lines, s.period_start, t)
        for inv in list(self.objs["invoices"].values()):
            if inv["status"] == "open" and self.sub_of_invoice.get(inv["id"]) is s:
                self.void(t, inv)
        t = self.bump(s.id, t)
        s.status = "canceled"
        s.ended_at = t
        if s.canceled_at is None:
            s.canceled_at = t
        s.cancellation_reason = s.cancellation_reason or reason
        self.emit_sub(t, "customer.subscription.deleted", s)
        self.after_end(t)

    def after_end(self, t: int) -> None:
        if any(x.status in ("active", "past_due", "trialing") for x in self.subs):
            return
        if self.rng.random() < 0.3:
            self.at(t + self.rng.randrange(30, 300) * DAY, self.reactivate)

    def reactivate(self, t: int) -> None:
        if any(x.status in ("active", "past_due", "trialing", "unpaid") for x in self.subs):
            return
        self.new_subscription(t)

    def second_subscription(self, t: int) -> None:
        if any(x.status == "active" for x in self.subs):
            self.new_subscription(t, second=True)

    def cancel_unpaid(self, t: int, s: Subscription) -> None:
        if s.status == "unpaid":
            self.end_subscription(t, s, "payment_failed")

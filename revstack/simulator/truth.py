"""Ground truth from the simulator's internal state, with the exact arithmetic of contracts §5.

Rules as implemented (and stated in the report):

- a subscription *version* is its state as of an event; on day ``d`` the version in force is
  the latest whose time is before ``d + 1 day`` (UTC);
- contributing statuses: ``active`` and ``past_due``;
- item MRR = licensed items only, ``amount_minor`` (per-unit or tier-evaluated at the quantity)
  normalised to a month and converted to major units, truncated toward zero at 6 decimals of
  the major unit;
- a discount is active on ``d`` when ``date(start) <= d`` and (``end`` is null or
  ``d < date(end)``) — the day-level comparison, which equals evaluating it at the end of ``d``;
- percent_off: ``contract × (1 − p/100)``; amount_off: ``contract − amount_off`` normalised by the
  first item's interval; floored at 0; truncated at 6 decimals; subscriptions summed per customer;
- ``rate`` = round(USD/CCY, 10) from the latest ECB row on or before the day;
  ``mrr_rc = round(mrr × rate, 6)`` (half away from zero) per customer and day;
- a movement's delta in rc = ``round((c − p) × rate(d), 6)``; monthly contraction and churn are
  reported as positive magnitudes; ``fx_impact = end − start − Σ signed deltas``;
- invoiced/collected/refunded: ``round(amount_major × rate(day), 6)`` per invoice/charge/refund,
  then summed;
- revenue recognition (``recognition_schedule``): every line of an invoice whose final status is
  open, paid or uncollectible (finalised; never draft or void), net of its discount amounts and
  without tax, from the month of the invoice's finalisation through the month holding the last
  second of its service period; recognised through month m = round(net × share, half away from
  zero) in minor units, share = seconds of the period before the end of m ÷ seconds of the period
  (1 once the month ends after the period's start for a line without a positive period);
  in rc ``round(major(cumulative) × rate(finalised day), 6)`` differenced month by month, and
  deferred = ``round(major(net) × rate, 6)`` − that; a refund takes its deferred part out of the
  invoice's lines and stops recognising it (``invoice_recognition``); a finalised invoice voided
  later recognises nothing and its lines are deferred from its month until the void's month.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl

from .catalog import Price
from .common import EXPONENT, day_of, minor_to_major, round6, trunc6, ts
from .fx import FxRates

_NORMALISE = {"month": (1, 1), "year": (1, 12), "week": (52, 12), "day": (365, 12)}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Version:
    """What of a subscription version matters for MRR."""

    t: int
    status: str
    items: tuple[tuple[Price, int], ...]  # licensed and metered items with quantity
    percent_off: Decimal | None
    amount_off: int | None
    discount_start: int | None
    discount_end: int | None


def item_mrr(price: Price, quantity: int) -> Decimal:
    if price.kind != "licensed":
        return ZERO
    rec = price.obj["recurring"]
    num, den = _NORMALISE[rec["interval"]]
    den *= rec["interval_count"]
    exp = EXPONENT[price.currency]
    micro = (price.amount(quantity) * num * 10**6) // (den * 10**exp)
    return Decimal(micro).scaleb(-6)


def contract_mrr(v: Version) -> Decimal:
    return sum((item_mrr(p, q) for p, q in v.items), ZERO)


def version_mrr(v: Version, d: date) -> Decimal:
    if v.status not in ("active", "past_due"):
        return ZERO
    mrr = contract_mrr(v)
    if (
        v.discount_start is not None
        and day_of(v.discount_start) <= d
        and (v.discount_end is None or d < day_of(v.discount_end))
    ):
        if v.percent_off is not None:
            mrr = mrr * (1 - v.percent_off / 100)
        elif v.amount_off is not None:
            first = v.items[0][0]
            rec = first.obj["recurring"]
            num, den = _NORMALISE[rec["interval"]]
            den *= rec["interval_count"]
            mrr = mrr - minor_to_major(v.amount_off, first.currency) * num / den
        mrr = max(mrr, ZERO)
    return trunc6(mrr)


RECOGNISED_STATUSES = ("open", "paid", "uncollectible")


def _next_month(m: date) -> date:
    return (m.replace(day=28) + timedelta(days=4)).replace(day=1)


def _round_half_away(x: Fraction) -> int:
    sign = -1 if x < 0 else 1
    return sign * int(abs(x) + Fraction(1, 2))


def _round_ratio(numerator: int, denominator: int) -> int:
    return _round_half_away(Fraction(numerator, denominator))


@dataclass(frozen=True)
class _Line:
    line_id: str
    net: int
    start: int | None
    end: int | None
    point: int  # when a line without a positive period is recognised

    @property
    def has_period(self) -> bool:
        return self.start is not None and self.end is not None and self.end > self.start

    def gross_by(self, boundary: int) -> int:
        """Recognised (gross of reversals) by ``boundary`` in minor units."""
        if self.has_period:
            assert self.start is not None and self.end is not None
            span = self.end - self.start
            return _round_half_away(
                self.net * Fraction(min(max(boundary - self.start, 0), span), span)
            )
        return self.net if self.point < boundary else 0


def invoice_recognition(
    lines: list[tuple[str, int, int | None, int | None]],
    currency: str,
    rate: Decimal,
    finalized_at: int,
    tax: int,
    total: int,
    reversals: list[tuple[int, str, int]],
) -> dict[str, list[tuple[date, int, Decimal, Decimal]]]:
    """Per line id: (month, recognised minor units, recognised rc, deferred rc at month end).

    ``lines`` are (id, net minor units, period start, period end); ``reversals`` (time, id,
    amount) are the refunds and unsettled credit notes against the invoice. A reversal's tax
    part is amount × tax ÷ total, its contra part the rest × recognised before its month ÷ the
    invoice's net, and its deferred part D the remainder: D leaves the lines' deferred balances
    in its month (split over the lines by what each had still to recognise, cumulatively rounded
    in line id order) and each line's later recognition is reduced by round(D_line × recognised
    since ÷ what remained).
    """
    invoiced = day_of(finalized_at).replace(day=1)
    objs = sorted(
        (_Line(i, n, s, e, s if s is not None else finalized_at) for i, n, s, e in lines),
        key=lambda x: x.line_id,
    )
    revenue = sum(x.net for x in objs)
    # per line: (reversal month, deferred given back, recognised before, remaining)
    taken: dict[str, list[tuple[date, int, int, int]]] = defaultdict(list)
    for t, _, amount in sorted(reversals, key=lambda r: (r[0], r[1])):
        month = day_of(t).replace(day=1)
        before = [x.gross_by(ts(month)) if invoiced < month else 0 for x in objs]
        tax_part = _round_ratio(amount * tax, total) if total > 0 and tax > 0 else 0
        part = amount - tax_part
        if revenue <= 0:
            continue  # all contra revenue, nothing deferred to take back
        contra = _round_ratio(part * min(max(sum(before), 0), revenue), revenue)
        deferred = part - contra
        remaining = [x.net - b for x, b in zip(objs, before, strict=True)]
        if deferred == 0 or sum(remaining) == 0:
            continue
        through, done = 0, 0
        for x, b, q in zip(objs, before, remaining, strict=True):
            through += q
            upto = _round_ratio(deferred * through, sum(remaining))
            if q != 0:
                taken[x.line_id].append((month, upto - done, b, q))
            done = upto
    out: dict[str, list[tuple[date, int, Decimal, Decimal]]] = {}
    for x in objs:
        last = max(
            invoiced,
            day_of(x.end - 1 if x.has_period else x.point).replace(day=1),  # type: ignore[operator]
        )
        rows: list[tuple[date, int, Decimal, Decimal]] = []
        m, prev_minor, prev_rc = invoiced, 0, ZERO
        while m <= last:
            gross = x.gross_by(ts(_next_month(m)))
            applied = [r for r in taken[x.line_id] if r[0] <= m]
            cum = gross - sum(_round_ratio(d * (gross - b), q) for _, d, b, q in applied)
            kept = x.net - sum(d for _, d, _, _ in applied)
            cum_rc = round6(minor_to_major(cum, currency) * rate)
            kept_rc = round6(minor_to_major(kept, currency) * rate)
            rows.append((m, cum - prev_minor, cum_rc - prev_rc, kept_rc - cum_rc))
            m, prev_minor, prev_rc = _next_month(m), cum, cum_rc
        out[x.line_id] = rows
    return out


def recognition_schedule(
    net_minor: int,
    currency: str,
    rate: Decimal,
    finalized_at: int,
    start: int | None,
    end: int | None,
) -> list[tuple[date, int, Decimal, Decimal]]:
    """(month, recognised minor units, recognised rc, deferred rc at month end) of one line."""
    return invoice_recognition(
        [("line", net_minor, start, end)], currency, rate, finalized_at, 0, 0, []
    )["line"]


MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")


class Truth:
    def __init__(self, fx: FxRates, start: date, end: date) -> None:
        self.fx, self.start, self.end = fx, start, end
        self.month_end_rc: dict[date, Decimal] = defaultdict(Decimal)
        self.month_customers: dict[date, int] = defaultdict(int)
        self.movements: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
        self.invoiced: dict[date, Decimal] = defaultdict(Decimal)
        self.collected: dict[date, Decimal] = defaultdict(Decimal)
        self.refunded: dict[date, Decimal] = defaultdict(Decimal)
        self.recognized: dict[date, Decimal] = defaultdict(Decimal)
        self.deferred_end: dict[date, Decimal] = defaultdict(Decimal)
        self.reversals: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.movement_rows: list[tuple[str, date, str, Decimal, Decimal]] = []
        self._chunks: list[pl.DataFrame] = []
        self._rows: tuple[list, list, list, list, list] = ([], [], [], [], [])
        d, self.month_ends = start, set()
        while d < end:
            nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
            self.month_ends.add(nxt - timedelta(days=1))
            d = nxt

    def add_invoiced(self, t: int, amount: int, currency: str) -> None:
        d = day_of(t)
        self.invoiced[d.replace(day=1)] += round6(
            minor_to_major(amount, currency) * self.fx.rate(currency, d)
        )

    def add_collected(self, t: int, amount: int, currency: str) -> None:
        d = day_of(t)
        self.collected[d.replace(day=1)] += round6(
            minor_to_major(amount, currency) * self.fx.rate(currency, d)
        )

    def add_refunded(self, t: int, amount: int, currency: str) -> None:
        d = day_of(t)
        self.refunded[d.replace(day=1)] += round6(
            minor_to_major(amount, currency) * self.fx.rate(currency, d)
        )

    def add_reversal(self, invoice_id: str, t: int, source_id: str, amount: int) -> None:
        """Money given back against an invoice (a refund), for recognition to net."""
        self.reversals[invoice_id].append((t, source_id, amount))

    def add_recognition(self, inv: dict[str, Any]) -> None:
        """Recognise the lines of an invoice in its final state (call once per invoice, after
        its refunds)."""
        finalized_at = inv["status_transitions"]["finalized_at"]
        if finalized_at is None:
            return
        currency = inv["currency"]
        rate = self.fx.rate(currency, day_of(finalized_at))
        if inv["status"] == "void":
            # finalised, then voided: nothing recognised, deferred until the void's month
            voided = day_of(inv["status_transitions"]["voided_at"] or finalized_at).replace(day=1)
            m = day_of(finalized_at).replace(day=1)
            while m < voided:
                for line in inv["lines"]["data"]:
                    net = line["amount"] - sum(d["amount"] for d in line["discount_amounts"])
                    self.deferred_end[m] += round6(minor_to_major(net, currency) * rate)
                m = _next_month(m)
            return
        if inv["status"] not in RECOGNISED_STATUSES:
            return
        lines = [
            (
                line["id"],
                line["amount"] - sum(d["amount"] for d in line["discount_amounts"]),
                (line.get("period") or {}).get("start"),
                (line.get("period") or {}).get("end"),
            )
            for line in inv["lines"]["data"]
        ]
        tax = sum(x["amount"] for x in inv.get("total_taxes") or [])
        schedule = invoice_recognition(
            lines,
            currency,
            rate,
            finalized_at,
            tax,
            inv["total"],
            self.reversals.get(inv["id"], []),
        )
        for rows in schedule.values():
            for m, _, rc, deferred in rows:
                self.recognized[m] += rc
                self.deferred_end[m] += deferred

    def customer_segments(self, versions: dict[str, list[Version]]) -> list[tuple[date, Decimal]]:
        """(day from which, customer MRR in currency) at every day the MRR may change."""
        points: set[date] = set()
        for vs in versions.values():
            for v in vs:
                points.add(day_of(v.t))
                if v.discount_start is not None:
                    points.add(day_of(v.discount_start))
                    if v.discount_end is not None:
                        points.add(day_of(v.discount_end))
        out: list[tuple[date, Decimal]] = []
        for d in sorted(points):
            if d >= self.end:
                break
            total = ZERO
            for vs in versions.values():
                current = None
                for v in vs:  # versions are in time order
                    if day_of(v.t) <= d:
                        current = v
                    else:
                        break
                if current is not None:
                    total += version_mrr(current, d)
            if not out or out[-1][1] != total:
                out.append((max(d, self.start), total))
        return out

    def add_customer(self, customer_id: str, currency: str, versions: dict[str, list[Version]]):
        segs = self.customer_segments(versions)
        rate = self.fx.rate
        ids, dates, ccys, mrrs, rcs = self._rows
        had, prev = False, ZERO
        for i, (d0, mrr) in enumerate(segs):
            d1 = segs[i + 1][0] if i + 1 < len(segs) else self.end
            # movement on d0
            if mrr != prev:
                if prev == 0:
                    kind = "reactivation" if had else "new"
                elif mrr == 0:
                    kind = "churn"
                elif mrr > prev:
                    kind = "expansion"
                else:
                    kind = "contraction"
                delta_rc = round6((mrr - prev) * rate(currency, d0))
                self.movements[(d0.replace(day=1), kind)] += delta_rc
                self.movement_rows.append((customer_id, d0, kind, mrr - prev, delta_rc))
            if mrr > 0:
                had = True
                s_mrr = f"{mrr:f}"
                d = d0
                while d < d1:
                    rc = round6(mrr * rate(currency, d))
                    ids.append(customer_id)
                    dates.append(d)
                    ccys.append(currency)
                    mrrs.append(s_mrr)
                    rcs.append(f"{rc:f}")
                    if d in self.month_ends:
                        m = d.replace(day=1)
                        self.month_end_rc[m] += rc
                        self.month_customers[m] += 1
                    d += timedelta(days=1)
            prev = mrr
        if len(ids) > 200_000:
            self._flush()

    def _flush(self) -> None:
        ids, dates, ccys, mrrs, rcs = self._rows
        if ids:
            self._chunks.append(
                pl.DataFrame(
                    {
                        "customer_id": ids,
                        "date": pl.Series(dates, dtype=pl.Date),
                        "currency": ccys,
                        "mrr": pl.Series(mrrs, dtype=pl.String).cast(pl.Decimal(38, 6)),
                        "mrr_rc": pl.Series(rcs, dtype=pl.String).cast(pl.Decimal(38, 6)),
                    }
                )
            )
        self._rows = ([], [], [], [], [])

    def monthly(self) -> list[dict[str, object]]:
        rows, start_rc = [], ZERO
        m = self.start.replace(day=1)
        while m < self.end:
            mv = {k: self.movements.get((m, k), ZERO) for k in MOVEMENTS}
            end_rc = self.month_end_rc.get(m, ZERO)
            signed = sum(mv.values(), ZERO)
            rows.append(
                {
                    "month": m.isoformat(),
                    "mrr_rc": end_rc,
                    "customers": self.month_customers.get(m, 0),
                    "new_mrr": mv["new"],
                    "expansion_mrr": mv["expansion"],
                    "contraction_mrr": -mv["contraction"],
                    "churned_mrr": -mv["churn"],
                    "reactivation_mrr": mv["reactivation"],
                    "fx_impact_mrr": end_rc - start_rc - signed,
                    "invoiced_rc": self.invoiced.get(m, ZERO),
                    "collected_rc": self.collected.get(m, ZERO),
                    "refunded_rc": self.refunded.get(m, ZERO),
                    "recognized_rc": self.recognized.get(m, ZERO),
                    "deferred_end_rc": self.deferred_end.get(m, ZERO),
                }
            )
            start_rc = end_rc
            m = (m + timedelta(days=32)).replace(day=1)
        return rows

    def write(self, truth_dir: Path) -> dict[str, int]:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self._flush()
        schema = {
            "customer_id": pl.String,
            "date": pl.Date,
            "currency": pl.String,
            "mrr": pl.Decimal(38, 6),
            "mrr_rc": pl.Decimal(38, 6),
        }
        df = pl.concat(self._chunks) if self._chunks else pl.DataFrame(schema=schema)
        df = df.sort(["customer_id", "date"])
        df.write_parquet(truth_dir / "customer_mrr_daily.parquet", statistics=False)
        rows = self.monthly()
        with open(truth_dir / "monthly.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(list(rows[0].keys()))
            for r in rows:
                w.writerow([f"{v:.6f}" if isinstance(v, Decimal) else v for v in r.values()])
        with open(truth_dir / "mrr_movements.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(
                ["customer_id", "movement_date", "movement_type", "mrr_delta", "mrr_delta_rc"]
            )
            for cid, d, kind, delta, delta_rc in sorted(
                self.movement_rows, key=lambda r: (r[1], r[0])
            ):
                w.writerow([cid, d.isoformat(), kind, f"{delta:.6f}", f"{delta_rc:.6f}"])
        return {
            "customer_mrr_daily": df.height,
            "monthly": len(rows),
            "mrr_movements": len(self.movement_rows),
        }

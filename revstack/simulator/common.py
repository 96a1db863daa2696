"""Shared helpers: currencies, time arithmetic, deterministic ids and decimal rounding."""

from __future__ import annotations

import calendar
import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

DAY = 86_400
HOUR = 3_600

# ISO 4217 exponents of the currencies the company bills in.
EXPONENT: dict[str, int] = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0, "aud": 2, "cad": 2}
CURRENCIES: tuple[str, ...] = ("usd", "eur", "gbp", "jpy", "aud", "cad")

Q6 = Decimal("0.000001")
Q2 = Decimal("0.01")
Q10 = Decimal("0.0000000001")

LEGACY_API = "2024-06-20"
CURRENT_API = "2026-07-29.dahlia"

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def trunc6(x: Decimal) -> Decimal:
    """Truncate toward zero at 6 decimals."""
    return x.quantize(Q6, rounding=ROUND_DOWN)


def round6(x: Decimal) -> Decimal:
    """Round half away from zero at 6 decimals (DuckDB ``round``)."""
    return x.quantize(Q6, rounding=ROUND_HALF_UP)


def round2(x: Decimal) -> Decimal:
    return x.quantize(Q2, rounding=ROUND_HALF_UP)


def minor_to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-EXPONENT[currency])


def round_int(x: float | Decimal) -> int:
    """Half away from zero to an integer (minor units)."""
    return int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ts(dt: datetime | date) -> int:
    """Epoch seconds of a UTC datetime or of a date's midnight."""
    if not isinstance(dt, datetime):
        dt = datetime(dt.year, dt.month, dt.day, tzinfo=UTC)
    return int(dt.timestamp())


def to_dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def day_of(t: int) -> date:
    return date(1970, 1, 1) + timedelta(days=t // DAY)


def midnight(t: int) -> int:
    return t - t % DAY


def add_months(t: int, months: int) -> int:
    """Epoch ``t`` plus calendar months, day of month clamped (Stripe billing anchors)."""
    dt = to_dt(t)
    m0 = dt.month - 1 + months
    year, month = dt.year + m0 // 12, m0 % 12 + 1
    day = min(dt.day, calendar.monthrange(year, month)[1])
    return ts(dt.replace(year=year, month=month, day=day))


def add_months_date(d: date, months: int) -> date:
    m0 = d.month - 1 + months
    year, month = d.year + m0 // 12, m0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(d: date) -> date:
    return d.replace(day=1)


def iso(t: int) -> str:
    return to_dt(t).strftime("%Y-%m-%dT%H:%M:%SZ")


class Ids:
    """Stripe-like ids from one seeded RNG; a running counter guarantees uniqueness."""

    def __init__(self, seed: int | str, start: int = 0) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._n = start  # the counter before the first id (distinct ranges: distinct heads)

    def _head(self) -> str:
        """Six characters that differ for every id: the counter through a bijection of 62^6."""
        self._n += 1
        n, head = (self._n * 2_654_435_761) % 62**6, []
        for _ in range(6):
            n, r = divmod(n, 62)
            head.append(_ALPHABET[r])
        return "".join(head)

    def new(self, prefix: str, length: int = 24) -> str:
        tail = "".join(self._rng.choices(_ALPHABET, k=length - 6))
        return f"{prefix}_{self._head()}{tail}"

    def uuid(self) -> str:
        h = f"{self._rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"

    def sf(self, prefix: str) -> str:
        """An 18-character Salesforce id with the object's key prefix."""
        return prefix + self._head() + "".join(self._rng.choices(_ALPHABET, k=9))

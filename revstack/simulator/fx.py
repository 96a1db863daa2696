"""ECB euro reference rates: a random walk published on business days, and the USD lookup."""

from __future__ import annotations

import bisect
import math
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .common import Q10

# Units of each currency per 1 EUR at the start, and the decimals the ECB publishes.
START_RATES: dict[str, tuple[float, int]] = {
    "USD": (1.0823, 4),
    "JPY": (162.45, 2),
    "GBP": (0.85370, 5),
    "CHF": (0.9412, 4),
    "SEK": (11.4525, 4),
    "AUD": (1.6543, 4),
    "CAD": (1.4712, 4),
}
CCY_COLUMNS: tuple[str, ...] = tuple(START_RATES)


def _is_business_day(d: date) -> bool:
    # ECB publishes Mon-Fri except 1 January and 25/26 December.
    return d.weekday() < 5 and (d.month, d.day) not in {(1, 1), (12, 25), (12, 26)}


class FxRates:
    """Daily ECB rows from ``first`` to ``last`` and the exact ``rate(ccy -> USD, day)`` rule."""

    def __init__(self, seed: int, first: date, last: date) -> None:
        rng = random.Random(f"fx:{seed}")
        level = {c: math.log(v) for c, (v, _) in START_RATES.items()}
        self.rows: list[tuple[date, dict[str, Decimal]]] = []
        d = first
        while d <= last:
            if _is_business_day(d):
                row = {}
                for c, (_, decimals) in START_RATES.items():
                    # mean-reverting walk around the start level, ~0.4 % a day
                    base = math.log(START_RATES[c][0])
                    level[c] += rng.gauss(0.0, 0.004) - 0.01 * (level[c] - base)
                    row[c] = Decimal(f"{math.exp(level[c]):.{decimals}f}")
                self.rows.append((d, row))
            d += timedelta(days=1)
        self._dates = [r[0] for r in self.rows]
        self._cache: dict[tuple[str, date], Decimal] = {}

    def row_on(self, d: date) -> dict[str, Decimal]:
        i = bisect.bisect_right(self._dates, d) - 1
        if i < 0:
            raise ValueError(f"no ECB rate on or before {d}")
        return self.rows[i][1]

    def rate(self, currency: str, d: date) -> Decimal:
        """``round(USD_per_EUR / CCY_per_EUR, 10)`` from the latest row on or before ``d``."""
        key = (currency, d)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        ccy = currency.upper()
        if ccy == "USD":
            r = Decimal(1)
        else:
            row = self.row_on(d)
            r = row["USD"] if ccy == "EUR" else (row["USD"] / row[ccy])
            r = r.quantize(Q10, rounding=ROUND_HALF_UP)
        self._cache[key] = r
        return r

    def csv_text(self) -> str:
        """``eurofxref-hist.csv`` layout: newest first, trailing comma."""
        lines = ["Date," + ",".join(CCY_COLUMNS) + ","]
        for d, row in reversed(self.rows):
            values = ",".join(f"{row[c]:.{START_RATES[c][1]}f}" for c in CCY_COLUMNS)
            lines.append(f"{d.isoformat()},{values},")
        return "\n".join(lines) + "\n"

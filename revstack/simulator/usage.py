"""Product usage as CloudEvents 1.0 (one meter, ``api_requests``), with a few re-deliveries.

A metered customer sends one or two events a day (1.4 on average). ``density`` multiplies that
count and divides each event's value by the same factor, so a company with a higher density
sends more, smaller events for about the same usage and usage revenue: the volume of a large
product's event stream without changing the books much. A fractional count (2 x 2.5 = 5, but
1 x 2.5 = 2.5) rounds up or down by a draw. Density 1 draws nothing more than it always did: the
default company is the same, byte for byte.
"""

from __future__ import annotations

import random
from pathlib import Path

from .common import DAY, to_dt
from .writer import MonthlySpool

METER = "api_requests"
SOURCES = ("api-gateway/eu-west-1", "api-gateway/us-east-1", "api-gateway/ap-southeast-2")


class UsageStream:
    def __init__(self, home: Path, seed: int, tmp: Path) -> None:
        self.spool = MonthlySpool(tmp / "usage", home / "landing" / "usage" / "events", "events")
        self.rng = random.Random(f"usage:{seed}")
        self._n = 0
        self.duplicates = 0
        self.drift = None  # drift.Drift when a volume drop is injected
        self.density = 1.0  # events per metered customer-day, as a multiple of the default

    def _event_line(self, source: str, eid: str, customer: str, t_ms: int, value: int) -> str:
        stamp = to_dt(t_ms // 1000).strftime("%Y-%m-%dT%H:%M:%S")
        return (
            f'{{"specversion":"1.0","id":"{eid}","source":"{source}","type":"{METER}",'
            f'"subject":"{customer}","time":"{stamp}.{t_ms % 1000:03d}Z",'
            f'"datacontenttype":"application/json","data":{{"value":{value}}}}}'
        )

    def generate(self, customer: str, t0: int, t1: int, intensity: float, source: str) -> int:
        """Write usage for ``customer`` in [t0, t1) and return the (deduplicated) total."""
        rng, total, density = self.rng, 0, self.density
        per_event = intensity if density == 1 else intensity / density
        day = t0 - t0 % DAY
        while day < t1:
            lo, hi = max(day, t0), min(day + DAY, t1)
            n = 1 if rng.random() < 0.6 else 2
            if density != 1:
                scaled = n * density
                frac = scaled - int(scaled)
                n = int(scaled) + (frac > 0 and rng.random() < frac)
            for _ in range(n):
                t_ms = lo * 1000 + int(rng.random() * (hi - lo) * 1000)
                value = max(1, int(rng.lognormvariate(0, 0.6) * per_event))
                self._n += 1
                eid = f"{self._n:08x}-{rng.getrandbits(48):012x}"
                line = self._event_line(source, eid, customer, t_ms, value)
                t = t_ms // 1000
                if self.drift is not None and not self.drift.keep_usage(t, value):
                    if rng.random() < 0.003:  # the same draws as a kept event
                        rng.randrange(DAY)
                    continue
                self.spool.add(t, line)
                if rng.random() < 0.003:  # the collector re-delivers it a day or two later
                    self.spool.add(t + DAY + rng.randrange(DAY), line)
                    self.duplicates += 1
                total += value
            day += DAY
        return total

    def finish(self) -> list[Path]:
        return self.spool.finish()

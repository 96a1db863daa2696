"""Product usage as CloudEvents 1.0 (one meter, ``api_requests``), with a few re-deliveries."""

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

    def _event_line(self, source: str, eid: str, customer: str, t_ms: int, value: int) -> str:
        stamp = to_dt(t_ms // 1000).strftime("%Y-%m-%dT%H:%M:%S")
        return (
            f'{{"specversion":"1.0","id":"{eid}","source":"{source}","type":"{METER}",'
            f'"subject":"{customer}","time":"{stamp}.{t_ms % 1000:03d}Z",'
            f'"datacontenttype":"application/json","data":{{"value":{value}}}}}'
        )

    def generate(self, customer: str, t0: int, t1: int, intensity: float, source: str) -> int:
        """Write usage for ``customer`` in [t0, t1) and return the (deduplicated) total."""
        rng, total = self.rng, 0
        day = t0 - t0 % DAY
        while day < t1:
            lo, hi = max(day, t0), min(day + DAY, t1)
            for _ in range(1 if rng.random() < 0.6 else 2):
                t_ms = lo * 1000 + int(rng.random() * (hi - lo) * 1000)
                value = max(1, int(rng.lognormvariate(0, 0.6) * intensity))
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

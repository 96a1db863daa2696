"""Landing-zone writers: time-sorted monthly JSONL (through a spool), per-entity exports, CSV."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from .common import day_of


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


class MonthlySpool:
    """Lines keyed by (time, sequence), spooled to disk and written sorted, one file a month."""

    def __init__(self, tmp: Path, out_dir: Path, suffix: str) -> None:
        self.tmp, self.out_dir, self.suffix = tmp, out_dir, suffix
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}
        self._seq = 0
        self.count = 0

    def add(self, t: int, line: str) -> None:
        d = day_of(t)
        key = f"{d.year:04d}-{d.month:02d}-01"
        f = self._files.get(key)
        if f is None:
            f = self._files[key] = open(self.tmp / key, "w", encoding="utf-8")  # noqa: SIM115
        self._seq += 1
        f.write(f"{t:011d}{self._seq:010d} {line}\n")
        self.count += 1

    def finish(self) -> list[Path]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for key in sorted(self._files):
            self._files[key].close()
            with open(self.tmp / key, encoding="utf-8") as f:
                lines = f.readlines()
            lines.sort()
            path = self.out_dir / f"{key}_{self.suffix}.jsonl"
            with open(path, "w", encoding="utf-8") as out:
                out.writelines(line[22:] for line in lines)
            written.append(path)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return written


class Exports:
    """One ``export_<date>.jsonl`` per gateway entity, appended as objects become final."""

    def __init__(self, gateway_dir: Path, as_of: date, entities: Sequence[str]) -> None:
        self._files: dict[str, TextIO] = {}
        self.counts: dict[str, int] = {}
        for entity in entities:
            folder = gateway_dir / entity
            folder.mkdir(parents=True, exist_ok=True)
            self._files[entity] = open(  # noqa: SIM115
                folder / f"export_{as_of.isoformat()}.jsonl", "w", encoding="utf-8"
            )
            self.counts[entity] = 0

    def write(self, entity: str, objs: Iterable[dict[str, Any]]) -> None:
        f = self._files[entity]
        n = 0
        for obj in objs:
            f.write(dumps(obj))
            f.write("\n")
            n += 1
        self.counts[entity] += n

    def close(self) -> None:
        for f in self._files.values():
            f.close()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
            n += 1
    return n

"""The landing zone as the live path watches it: file names and change times only (never the
warehouse), and a cursor of what was already seen. No Dagster import: the live worker uses it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import ENTITIES, landing_files

#: files whose change time is this close to the newest seen are remembered by name, so that a
#: file renamed into place just after a listing is still new on the next one
CURSOR_WINDOW_NS = 30 * 1_000_000_000


@dataclass(frozen=True)
class Landed:
    source: str
    entity: str
    path: str  # relative to the home, as raw_meta.loaded_files records it
    changed_ns: int  # st_ctime_ns: a rename into place sets it


def scan_landing(home: Path) -> list[Landed]:
    """Every landing file ingestion would consider (its own listing), with its change time."""
    found = []
    for source, entities in ENTITIES.items():
        for entity in entities:
            for path in landing_files(home, source, entity):
                try:
                    changed = os.stat(path).st_ctime_ns
                except FileNotFoundError:
                    continue
                found.append(Landed(source, entity, path.relative_to(home).as_posix(), changed))
    return found


@dataclass
class LandingCursor:
    """The newest change time requested so far, and the files requested within the window
    below it (by name). ``None`` before the first request: every file is new."""

    newest_ns: int | None = None
    recent: set[str] = field(default_factory=set)

    @classmethod
    def parse(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(data["newest_ns"], set(data["recent"]))

    def dump(self) -> str:
        return json.dumps({"newest_ns": self.newest_ns, "recent": sorted(self.recent)})

    def new_files(self, files: list[Landed]) -> list[Landed]:
        if self.newest_ns is None:
            return list(files)
        floor = self.newest_ns - CURSOR_WINDOW_NS
        return [f for f in files if f.changed_ns > floor and f.path not in self.recent]

    def advanced(self, files: list[Landed]) -> LandingCursor:
        """The cursor after requesting a run for every file of ``files`` (the whole listing)."""
        newest = max([f.changed_ns for f in files] + [self.newest_ns or 0])
        floor = newest - CURSOR_WINDOW_NS
        return LandingCursor(newest, {f.path for f in files if f.changed_ns > floor})

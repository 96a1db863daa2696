"""What a build was made of, so that a build with nothing new costs nothing.

A published build is the function of three things: the raw layer (every batch loaded, every
re-delivery and schema change recorded in ``raw_meta``), the code that turns it into marts and
checks (the dbt project, ingestion, orchestration and revstack's own checks and publish), and the
settings that reach them. :func:`fingerprint` hashes all three. The dbt step computes it under
the warehouse writer lock before it builds and stages it (:func:`stage`); the publish step
commits it once the snapshot is swapped in (:func:`commit`). The next build's dbt step compares:
when nothing differs and the snapshot is still there, the dbt build, the checks and the publish
would reproduce what is already published, so they are skipped.

A failed or interrupted build never commits, so the next one builds. Rows the live worker
loads between two builds change the raw layer's state, so the next build takes them in (the
live worker refreshes only the live marts).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb

from revstack import config

NOTHING_NEW = "nothing new since the last published build: dbt, checks and publish skipped"
STATE_FILE = "build_state.json"
PENDING_FILE = "build_state.pending.json"
#: source trees whose code shapes what a build publishes (dbt's target/ and logs excluded)
CODE_DIRS = ("dbt_project", "ingestion", "orchestration", "revstack")
_SKIP_PARTS = {"target", "logs", "dbt_packages", "__pycache__", "simulator"}
_CODE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".md"}
#: raw_meta tables and the column that says when a row was added
_RAW_META = {
    "loaded_files": "loaded_at",
    "duplicate_files": "detected_at",
    "schema_drift": "detected_at",
    "quarantine": "quarantined_at",
}
#: settings read by dbt or the checks (every other setting only locates files or services)
_SETTINGS = ("REVSTACK_REPORTING_CURRENCY",)


def code_hash(root: Path = config.PROJECT_ROOT) -> str:
    """sha256 over the path and content of every source file of :data:`CODE_DIRS`."""
    digest = hashlib.sha256()
    for top in CODE_DIRS:
        base = root / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if (
                _SKIP_PARTS.intersection(rel.parts)
                # hidden files are not code: dbt writes its user id to dbt_project/.user.yml
                # on its first run, after that build's fingerprint was taken
                or any(part.startswith(".") for part in rel.parts)
                or path.suffix not in _CODE_SUFFIXES
            ):
                continue
            if path.is_file():
                digest.update(str(rel).encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def raw_state(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Row count and newest time of every ``raw_meta`` table (each load records its files there)."""
    existing = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'raw_meta'"
        ).fetchall()
    }
    state: dict[str, list] = {}
    for table, column in _RAW_META.items():
        if table in existing:
            count, newest = con.execute(
                f"select count(*), max({column}) from raw_meta.{table}"
            ).fetchone()
            state[table] = [count, str(newest)]
    return state


def fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """What the next build would be made of (JSON-able; compare with ``==``)."""
    return {
        "code": code_hash(),
        "raw": raw_state(con),
        "settings": {name: config.setting(name) for name in _SETTINGS},
    }


def _path(name: str, warehouse: Path | None = None) -> Path:
    return (warehouse or config.warehouse_path()).parent / name


def published(warehouse: Path | None = None) -> dict[str, object] | None:
    """The fingerprint of the last build that published, if any."""
    path = _path(STATE_FILE, warehouse)
    try:
        return json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def unchanged(state: dict[str, object], warehouse: Path | None = None) -> bool:
    """True when ``state`` is the last published build's and its snapshot is still there."""
    return published(warehouse) == state and config.serving_path().exists()


def stage(state: dict[str, object], warehouse: Path | None = None) -> None:
    """Record what this build is made of, to be committed when it publishes."""
    _path(STATE_FILE, warehouse).parent.mkdir(parents=True, exist_ok=True)
    _path(PENDING_FILE, warehouse).write_text(json.dumps(state, sort_keys=True), "utf-8")


def commit(warehouse: Path | None = None) -> None:
    """The build published: its staged fingerprint becomes the published one."""
    pending = _path(PENDING_FILE, warehouse)
    if pending.exists():
        os.replace(pending, _path(STATE_FILE, warehouse))


def forget(warehouse: Path | None = None) -> None:
    """The next build builds whatever the state (a change the fingerprint cannot see)."""
    for name in (STATE_FILE, PENDING_FILE):
        _path(name, warehouse).unlink(missing_ok=True)


def landing_unchanged(con: duckdb.DuckDBPyConnection, home: Path | None = None) -> bool:
    """True when every landing file is one the warehouse has taken in as it is now: its hash
    remembered for its path, size and change time, and its content loaded from that path or
    recorded as a re-delivery. A new, changed or blocked file makes it False."""
    from ingestion import ENTITIES, landing_files

    home = (home or config.home()).resolve()
    known = {
        (path, size, ctime): file_hash
        for path, size, ctime, file_hash in con.execute(
            "select path, size, ctime_ns, file_hash from raw_cache.landing_file_hashes"
        ).fetchall()
    }
    taken = set(con.execute("select file_hash, path from raw_meta.loaded_files").fetchall())
    redelivered = {
        p for (p,) in con.execute("select path from raw_meta.duplicate_files").fetchall()
    }
    for source, entities in ENTITIES.items():
        for entity in entities:
            for path in landing_files(home, source, entity):
                st = path.stat()
                file_hash = known.get((str(path), st.st_size, st.st_ctime_ns))
                rel = path.relative_to(home).as_posix()
                if file_hash is None or ((file_hash, rel) not in taken and rel not in redelivered):
                    return False
    return True


def nothing_new(warehouse: Path | None = None) -> bool:
    """True when a build now would publish what is published: no landing file is new or
    changed, and the raw layer, the code and the settings are the last published build's.
    Reads the warehouse under the writer lock (briefly)."""
    from revstack.locking import warehouse_lock

    warehouse = warehouse or config.warehouse_path()
    if published(warehouse) is None or not warehouse.exists() or not config.serving_path().exists():
        return False
    with warehouse_lock(warehouse, timeout=60):
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            has_cache = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw_cache' and table_name = 'landing_file_hashes'"
            ).fetchone()[0]
            if not has_cache:
                return False
            return fingerprint(con) == published(warehouse) and landing_unchanged(con)
        finally:
            con.close()

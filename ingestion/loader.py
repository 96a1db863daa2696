"""Load one entity's landing files into its raw table.

For every file under ``home/landing/<source>/<entity>/`` (sorted path order) not yet loaded
(by sha256 of its content, whatever its name): read it, check its contract, then in one
transaction append the good rows, quarantine the bad ones and record the file in
``raw_meta.loaded_files``. A file that changed shape (a required column gone or retyped) blocks
the entity: nothing of it is written and it stays unrecorded, so it loads once fixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ingestion import contracts
from ingestion.currencies import CURRENCY_CODES
from ingestion.quarantine import empty_quarantine, write_quarantine
from ingestion.raw import ensure_raw_tables, ident, table_columns, table_name
from ingestion.readers import (
    UnreadableFile,
    ecb_to_long,
    json_stream_rows,
    read_csv,
    read_json_lines,
)
from ingestion.registry import (
    CLOUDEVENT_KNOWN,
    CLOUDEVENT_REQUIRED,
    CSV_CONTRACTS,
    FILE_SUFFIXES,
    STRIPE_CONTRACTS,
    check_entity,
    stripe_contract,
)

_SKIP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_JSON_SOURCES = ("gateway", "usage")
#: New JSON files are checked together up to this many bytes (a file is never split): DuckDB
#: spends 10-300 ms planning a contract query whatever its row count, most of the load time of
#: small files (a simulated company delivers its events as 25 monthly files of about 1 MB).
_BATCH_BYTES = 128 * 1024 * 1024
_INPUT_ERRORS = (
    duckdb.ConversionException,
    duckdb.InvalidInputException,
    duckdb.OutOfRangeException,
    pl.exceptions.ComputeError,
    pl.exceptions.InvalidOperationError,
    pl.exceptions.SchemaError,
    ValueError,
    UnicodeError,
)


@dataclass(frozen=True)
class LoadResult:
    """What one ``load_entity`` call did."""

    source: str
    entity: str
    batch_id: str
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0  # already loaded (same content hash), whatever the name
    files_quarantined: int = 0  # unreadable as a whole (recorded, not retried)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    drift: tuple[tuple[str, str, str], ...] = ()  # (kind, column, severity), newly seen
    blocked: bool = False
    blocked_reason: str | None = None
    blocked_file: str | None = None
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        """Plain JSON-able values for Dagster metadata."""
        return {
            "dagster/row_count": self.rows_loaded,
            "batch_id": self.batch_id,
            "files_seen": self.files_seen,
            "files_loaded": self.files_loaded,
            "files_skipped": self.files_skipped,
            "files_quarantined": self.files_quarantined,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "schema_drift": [{"kind": k, "column": c, "severity": s} for k, c, s in self.drift],
            "blocked": self.blocked,
            "blocked_reason": self.blocked_reason or "",
            "blocked_file": self.blocked_file or "",
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Prepared:
    """One file, read and checked, ready to write."""

    good: pl.DataFrame | None = None  # the raw table's data columns + ``_line`` (+ ``line``)
    bad: pl.DataFrame = field(default_factory=empty_quarantine)  # line, reason, record
    new_columns: list[str] = field(default_factory=list)  # to add to the table (VARCHAR)
    drift: list[tuple[str, str]] = field(default_factory=list)  # (kind, column) warnings
    block: tuple[str, str, str] | None = None  # (kind, column, reason)
    unreadable: str | None = None
    preview: str = ""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_batch_id(source: str, entity: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{source}.{entity}.{stamp}.{uuid.uuid4().hex[:8]}"


def landing_files(home: Path, source: str, entity: str) -> list[Path]:
    """Files to consider, in sorted path order (= delivery order by naming convention)."""
    root = home / "landing" / source / entity
    if not root.is_dir():
        return []
    suffixes = FILE_SUFFIXES[source]
    found = []
    for path in root.rglob("*"):
        rel_parts = path.relative_to(root).parts
        name = path.name.lower()
        if any(p.startswith((".", "_")) for p in rel_parts) or name.endswith(_SKIP_SUFFIXES):
            continue
        if path.is_file() and name.endswith(suffixes):
            found.append(path)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


# ------------------------------------------------------------------------------------------
# JSON sources (gateway, usage)
# ------------------------------------------------------------------------------------------


def _run_sql(con, frame: pl.DataFrame, sql_for_view) -> pl.DataFrame:
    """``sql_for_view(view)`` run over ``frame`` registered as ``view``."""
    view = f"_ingest_lines_{uuid.uuid4().hex[:8]}"
    con.register(view, frame)
    try:
        return con.sql(sql_for_view(view)).pl()
    finally:
        con.unregister(view)


def _run_json_checks(con, frame: pl.DataFrame, sql_for_view) -> pl.DataFrame:
    """The line frame with the check results beside it (the text never leaves polars)."""
    frame = frame.with_row_index("_row")
    checked = _run_sql(con, frame, sql_for_view)
    if checked.height != frame.height or not checked["_row"].equals(frame["_row"]):
        raise RuntimeError("contract check rows do not line up with the file's lines")
    return pl.concat([frame.drop("_row"), checked.drop("_row")], how="horizontal")


def _with_event_object_reasons(con, frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``_object_reason``: each event's ``data.object`` checked against the contract of its
    own type. One query per type present, over the lines of that type only: a single query with
    every type's checks took ~1 s to plan and extracted ~70 paths from every line."""
    typed = _run_json_checks(con, frame.select("line"), contracts.event_object_types_sql)
    typed = typed.with_row_index("_row")
    reasons = pl.Series("_object_reason", [None] * frame.height, dtype=pl.String)
    for name, contract in STRIPE_CONTRACTS.items():
        lines = typed.filter(pl.col("object_type") == name).select("_row", "line")
        if lines.height:
            found = _run_sql(con, lines, partial(contracts.event_object_sql, contract))
            reasons.scatter(found["_row"], found["_object_reason"])
    return frame.with_columns(reasons)


def _json_check(con, source: str, entity: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """The contract check of a JSON entity: line frame -> the frame with the results beside it."""
    if source == "usage":
        return partial(_run_json_checks, con, sql_for_view=contracts.usage_sql)
    contract = stripe_contract(entity)
    sql_for_view = partial(contracts.gateway_sql, contract)
    if contract.object == "event":
        return lambda frame: _run_json_checks(
            con, _with_event_object_reasons(con, frame), sql_for_view
        )
    return partial(_run_json_checks, con, sql_for_view=sql_for_view)


def _json_checked(raw: bytes, checked: pl.DataFrame, check) -> pl.DataFrame:
    """``checked`` (the file's lines, checked), or the file checked as one JSON stream when its
    lines are not JSON Lines (pretty-printed JSON, concatenated objects, an array)."""
    if checked.height == 0:
        return checked
    reason = checked["reason"].fill_null("")
    invalid = reason.str.starts_with("invalid_json").sum()
    arrays = reason.str.starts_with("not_object: line is a JSON array").sum()
    if invalid or arrays == checked.height:
        stream = json_stream_rows(raw)
        if stream is not None:
            return check(stream)
        if invalid == checked.height:
            raise UnreadableFile("unreadable_file: not JSON (no line parses as JSON)")
    return checked


def _json_keys(checked: pl.DataFrame) -> set[str]:
    """Top-level keys of the rows that keep their contract."""
    keys = checked.filter(pl.col("reason").is_null())["_keys"].explode().drop_nulls()
    return set(keys.unique().to_list())


def _bad_rows(checked: pl.DataFrame) -> pl.DataFrame:
    return checked.filter(pl.col("reason").is_not_null()).select(
        pl.col("_line").cast(pl.Int32).alias("line"), "reason", pl.col("line").alias("record")
    )


def _n_good(checked: pl.DataFrame) -> int:
    return checked.height - checked["reason"].is_not_null().sum()


def _prepare_json(con, source: str, entity: str, raws: list[bytes]) -> list[_Prepared]:
    """Read and check files of one JSON entity, all with the same contract queries (their lines
    are checked together, then split by file): each file as if it were checked alone."""
    check = _json_check(con, source, entity)
    preps: dict[int, _Prepared] = {}
    frames = []
    for i, raw in enumerate(raws):
        try:
            frames.append(read_json_lines(raw).with_columns(_file_index=pl.lit(i)))
        except UnreadableFile as exc:
            preps[i] = _Prepared(unreadable=exc.reason, preview=_preview(raw))
    if not frames:
        return [preps[i] for i in range(len(raws))]
    lines = pl.concat(frames)
    checked = check(lines) if lines.height else lines
    for i, raw in enumerate(raws):
        if i in preps:
            continue
        try:
            file_checked = checked.filter(pl.col("_file_index") == i).drop("_file_index")
            file_checked = _json_checked(raw, file_checked, check)
            if source == "usage":
                preps[i] = _prepare_usage(con, file_checked)
            else:
                preps[i] = _prepare_gateway(con, entity, file_checked)
        except UnreadableFile as exc:
            preps[i] = _Prepared(unreadable=exc.reason, preview=_preview(raw))
    return [preps[i] for i in range(len(raws))]


def _prepare_gateway(con, entity: str, checked: pl.DataFrame) -> _Prepared:
    if checked.height == 0:
        return _Prepared()
    contract = stripe_contract(entity)
    block = contracts.json_block_reason(checked, contract.required, contract.integers)
    if block:
        return _Prepared(block=block)
    cols = ["_line", "line", "id", "object", "created_epoch", "reason"]
    if entity == "events":
        cols += ["type", "api_version", "object_type", "object_id"]
    unknown = sorted(_json_keys(checked) - contract.known)
    return _Prepared(
        good=checked.select(cols),
        bad=_bad_rows(checked),
        drift=[("new_column", k) for k in unknown],
    )


def _prepare_usage(con, checked: pl.DataFrame) -> _Prepared:
    if checked.height == 0:
        return _Prepared()
    block = contracts.json_block_reason(checked, CLOUDEVENT_REQUIRED, ())
    if block:
        return _Prepared(block=block)
    good = checked.drop("_eligible", "_required_types", "_keys")
    unknown = sorted(_json_keys(checked) - CLOUDEVENT_KNOWN)
    for key in unknown:  # CloudEvents extension attributes: kept as VARCHAR columns
        good = good.with_columns(pl.col("line").str.json_path_match(f"$['{key}']").alias(key))
    return _Prepared(
        good=good,
        bad=_bad_rows(checked),
        new_columns=unknown,
        drift=[("new_column", k) for k in unknown],
    )


# ------------------------------------------------------------------------------------------
# CSV sources (crm, accounting, fx)
# ------------------------------------------------------------------------------------------


def _drop_empty_unnamed(frame: pl.DataFrame) -> pl.DataFrame:
    """The trailing comma of an ECB file makes an unnamed, empty column: not data."""
    drop = [
        c
        for c in frame.columns
        if c.startswith("_column_") and frame[c].null_count() == frame.height
    ]
    return frame.drop(drop)


def _csv_bad_rows(bad_rows: list[tuple[int, str, str]]) -> pl.DataFrame:
    if not bad_rows:
        return empty_quarantine()
    return pl.DataFrame(
        {
            "line": pl.Series([b[0] for b in bad_rows], dtype=pl.Int32),
            "reason": [b[1] for b in bad_rows],
            "record": [b[2] for b in bad_rows],
        }
    )


def _records(frame: pl.DataFrame, columns: list[str]) -> pl.Expr:
    return pl.struct(columns).struct.json_encode().alias("record")


def _prepare_csv(con, source: str, entity: str, raw: bytes) -> _Prepared:
    contract = CSV_CONTRACTS[(source, entity)]
    parsed = read_csv(raw)
    frame = _drop_empty_unnamed(parsed.frame)
    data_cols = [c for c in frame.columns if c != "_line"]
    checked, block = contracts.check_csv(frame, contract)
    if block:
        return _Prepared(block=block)
    bad = pl.concat(
        [
            _csv_bad_rows(parsed.bad_rows),
            checked.filter(pl.col("reason").is_not_null()).select(
                pl.col("_line").alias("line"), "reason", _records(checked, data_cols)
            ),
        ]
    )
    good = checked.filter(pl.col("reason").is_null()).drop("reason")
    known = set(contract.columns)
    unknown = [c for c in data_cols if c not in known]
    existing = set(table_columns(con, source, entity))
    return _Prepared(
        good=good,
        bad=bad,
        new_columns=[c for c in unknown if c not in existing],
        drift=[("new_column", c) for c in unknown],
    )


def _prepare_fx(raw: bytes) -> _Prepared:
    parsed = read_csv(raw)
    frame = _drop_empty_unnamed(parsed.frame)
    date_col = next((c for c in frame.columns if c.lower() == "date"), None)
    if date_col is None:
        return _Prepared(
            block=(
                "missing_column",
                "Date",
                "required column 'Date' missing from the ECB CSV header",
            )
        )
    currencies = [c for c in frame.columns if c not in ("_line", date_col)]
    unknown = [c for c in currencies if c.upper() not in CURRENCY_CODES]
    long = contracts.check_fx(ecb_to_long(frame, date_col))
    bad = pl.concat(
        [
            _csv_bad_rows(parsed.bad_rows),
            long.filter(pl.col("reason").is_not_null()).select(
                pl.col("_line").alias("line"),
                "reason",
                _records(long, ["rate_date", "currency", "rate"]),
            ),
        ]
    )
    good = long.filter(pl.col("reason").is_null()).select(
        "_line",
        pl.col("rate_date").str.strip_chars().str.to_date("%Y-%m-%d"),
        pl.col("currency").str.to_uppercase(),
        "rate",
    )
    return _Prepared(good=good, bad=bad, drift=[("new_column", c) for c in unknown])


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------


def _insert_sql(source: str, entity: str, view: str, extra: list[str], filtered: bool) -> str:
    target = table_name(source, entity)
    meta = '"_batch_id", "_file", "_line", "_loaded_at"'
    meta_values = "$batch, $file, _line, $at"
    if source == "gateway":
        cols = 'id, "object", created, _version_at, data'
        created = "epoch_ms(created_epoch * 1000)"
        version = created if entity == "events" else "$at"
        values = f'id, "object", {created}, {version}, line::JSON'
        if entity == "events":
            cols += ', "type", api_version, object_type, object_id'
            values += ', "type", api_version, object_type, object_id'
    elif source == "usage":
        base = ["id", "source", "type", "subject", "specversion", "datacontenttype", "time", "data"]
        cols = ", ".join(ident(c) for c in base + extra)
        values = ", ".join(ident(c) for c in base) + "".join(f", {ident(c)}" for c in extra)
    elif source == "fx":
        cols = "rate_date, currency, rate"
        values = "rate_date, currency, CAST(rate AS DECIMAL(18,6))"
    else:
        cols = values = ", ".join(ident(c) for c in extra)
    where = " WHERE reason IS NULL" if filtered else ""
    return (
        f"INSERT INTO {target} ({cols}, {meta}) SELECT {values}, {meta_values} FROM {view}{where}"
    )


def _recorded_drift(con, source: str, entity: str) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT DISTINCT kind, column_name FROM raw_meta.schema_drift "
        "WHERE source = ? AND entity = ? AND severity = 'warning'",
        [source, entity],
    ).fetchall()
    return {(k, c) for k, c in rows}


def _record_drift(con, source, entity, batch_id, rel_file, items, severity, at) -> None:
    for kind, column in items:
        con.execute(
            "INSERT INTO raw_meta.schema_drift (batch_id, source, entity, file, kind, column_name, "
            "severity, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, source, entity, rel_file, kind, column, severity, at],
        )


def _write_file(
    con,
    *,
    home: Path,
    source: str,
    entity: str,
    batch_id: str,
    rel_file: str,
    file_hash: str,
    prep: _Prepared,
    new_drift: list[tuple[str, str]],
) -> tuple[int, dict[str, int]]:
    at = _now()
    rows_loaded = 0
    con.begin()
    try:
        for column in prep.new_columns:
            con.execute(
                f"ALTER TABLE {table_name(source, entity)} ADD COLUMN IF NOT EXISTS "
                f"{ident(column)} VARCHAR"
            )
        if prep.good is not None and prep.good.height:
            if source in ("crm", "accounting"):
                extra = [c for c in prep.good.columns if c not in ("_line", "line", "reason")]
            else:
                extra = prep.new_columns
            view = f"_ingest_good_{uuid.uuid4().hex[:8]}"
            con.register(view, prep.good)
            try:
                con.execute(
                    _insert_sql(source, entity, view, extra, "reason" in prep.good.columns),
                    {"batch": batch_id, "file": rel_file, "at": at},
                )
            finally:
                # after a failed insert the transaction is aborted and unregister would raise
                # over the real error; the view goes with the connection's rollback anyway
                with contextlib.suppress(duckdb.Error):
                    con.unregister(view)
            rows_loaded = _n_good(prep.good) if "reason" in prep.good.columns else prep.good.height
        reasons = write_quarantine(
            con,
            home=home,
            source=source,
            entity=entity,
            batch_id=batch_id,
            rel_file=rel_file,
            file_hash=file_hash,
            rows=prep.bad,
            at=at,
        )
        _record_drift(con, source, entity, batch_id, rel_file, new_drift, "warning", at)
        con.execute(
            "INSERT INTO raw_meta.loaded_files (file_hash, source, entity, path, batch_id, "
            "rows_loaded, rows_quarantined, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [file_hash, source, entity, rel_file, batch_id, rows_loaded, prep.bad.height, at],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return rows_loaded, reasons


def _prepare(con, source: str, entity: str, raw: bytes) -> _Prepared:
    try:
        if source in _JSON_SOURCES:
            return _prepare_json(con, source, entity, [raw])[0]
        if source == "fx":
            return _prepare_fx(raw)
        return _prepare_csv(con, source, entity, raw)
    except UnreadableFile as exc:
        return _Prepared(unreadable=exc.reason, preview=_preview(raw))
    except _INPUT_ERRORS as exc:
        # Input we did not foresee: set the file aside rather than stop the run. (Errors of
        # the connection or the machine are not input errors and propagate.)
        reason = f"unreadable_file: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        return _Prepared(unreadable=reason, preview=_preview(raw))


def _prepare_batch(con, source: str, entity: str, raws: list[bytes]) -> list[_Prepared]:
    """``_prepare`` for several files of one entity; JSON files share their contract queries."""
    if source in _JSON_SOURCES and len(raws) > 1:
        try:
            return _prepare_json(con, source, entity, raws)
        except _INPUT_ERRORS:
            pass  # input a query could not take: again file by file, to set aside only that one
    return [_prepare(con, source, entity, raw) for raw in raws]


def _preview(raw: bytes) -> str:
    return raw[:2000].decode("utf-8", errors="replace")


@dataclass
class _LandingFile:
    rel_file: str
    file_hash: str
    raw: bytes | None  # the content until prepared; None when already loaded
    prep: _Prepared | None = None  # None: already loaded (the same content, whatever the name)
    loaded_here: bool = False  # already loaded from this very path (not a re-delivery)


def _prepared(con, source: str, entity: str, batch: list[_LandingFile]) -> list[_LandingFile]:
    """``batch``, its new files prepared together (and their bytes let go)."""
    new = [f for f in batch if f.raw is not None]
    preps = _prepare_batch(con, source, entity, [f.raw for f in new])
    for f, prep in zip(new, preps, strict=True):
        f.raw, f.prep = None, prep
    return batch


#: a landing file's content hash by (path, size, change time): see :class:`HashCache`
_HashKey = tuple[str, int, int]


class HashCache(dict[_HashKey, str]):
    """Content hashes of landing files, remembered by path, size and change time.

    ``load_entity`` hashes every landing file to know what is already loaded (content, whatever
    the name). A long-lived caller (the live worker, every second) passes one cache to all its
    loads so that only new or changed files are read and hashed: at 10,000 customers the gateway
    events alone are 1.5 GB. A file rewritten in place changes its change time, so it is hashed
    again."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._new: dict[_HashKey, str] = {}

    def hash_of(self, path: Path) -> tuple[str, bytes | None]:
        """The file's hash, and its bytes when they had to be read."""
        st = path.stat()
        key = (str(path), st.st_size, st.st_ctime_ns)
        if key in self:
            return self[key], None
        raw = path.read_bytes()
        self[key] = self._new[key] = hashlib.sha256(raw).hexdigest()
        return self[key], raw

    # Kept between builds in the warehouse (``raw_cache.landing_file_hashes``, not published):
    # a build reads and hashes only the landing files that are new or changed since the last
    # one, instead of every file (2.3 GB at 10,000 customers) on every build.
    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> HashCache:
        """The hashes the warehouse remembers."""
        ensure_raw_tables(con)
        rows = con.execute(
            "SELECT path, size, ctime_ns, file_hash FROM raw_cache.landing_file_hashes"
        ).fetchall()
        return cls({(path, size, ctime): file_hash for path, size, ctime, file_hash in rows})

    def save(self, con: duckdb.DuckDBPyConnection) -> int:
        """Remember the hashes computed since :meth:`load` (or the last save); how many."""
        new, self._new = self._new, {}
        if new:
            frame = pl.DataFrame(
                [(p, size, ctime, h) for (p, size, ctime), h in new.items()],
                schema={"path": pl.Utf8, "size": pl.Int64, "ctime_ns": pl.Int64,
                        "file_hash": pl.Utf8},
                orient="row",
            )  # fmt: skip
            con.register("_new_hashes", frame)
            try:
                con.execute(
                    "DELETE FROM raw_cache.landing_file_hashes WHERE path IN "
                    "(SELECT path FROM _new_hashes)"
                )
                con.execute("INSERT INTO raw_cache.landing_file_hashes SELECT * FROM _new_hashes")
            finally:
                con.unregister("_new_hashes")
        return len(new)


def _prepared_files(
    con,
    home: Path,
    source: str,
    entity: str,
    hashes: HashCache | None = None,
    landed_before: float | None = None,
) -> Iterator[_LandingFile]:
    """Every landing file in order, read and checked unless already loaded; with
    ``landed_before`` (epoch seconds), up to the first file that landed (was renamed into place:
    its change time) at or after it: that one and the files after it wait for the next load.

    New JSON files are prepared a batch at a time (``_BATCH_BYTES``). The next batch is read
    only once the caller has handled every file before it, so "already loaded" is up to date; in
    a batch, a second copy of a file counts as loaded (the first is recorded before it is reached,
    or blocks the entity and stops the caller)."""
    budget = _BATCH_BYTES if source in _JSON_SOURCES else 0
    hashes = HashCache() if hashes is None else hashes
    # the hashes loaded so far; a file handed to the caller is loaded (or blocks the entity)
    # before the next is considered, so its hash joins them
    rows = con.execute(
        "SELECT file_hash, path FROM raw_meta.loaded_files WHERE source = ? AND entity = ?",
        [source, entity],
    ).fetchall()
    seen = {file_hash for file_hash, _ in rows}
    loaded_paths = set(rows)
    batch: list[_LandingFile] = []
    size = 0
    for path in landing_files(home, source, entity):
        try:
            if landed_before is not None and path.stat().st_ctime >= landed_before:
                break  # landed after the load began: later files wait too (delivery order)
            file_hash, raw = hashes.hash_of(path)
            loaded = file_hash in seen
            if not loaded and raw is None:
                raw = path.read_bytes()
        except OSError:
            yield from _prepared(con, source, entity, batch)  # the files before it still load
            raise
        seen.add(file_hash)
        rel_file = path.relative_to(home).as_posix()
        landed = _LandingFile(rel_file, file_hash, None if loaded else raw)
        landed.loaded_here = (file_hash, rel_file) in loaded_paths
        batch.append(landed)
        size += 0 if loaded else len(raw)
        if size >= budget:
            yield from _prepared(con, source, entity, batch)
            batch, size = [], 0
    yield from _prepared(con, source, entity, batch)


def _record_duplicate(con, source: str, entity: str, rel_file: str, file_hash: str) -> None:
    """Record once a file whose content was loaded under another path (a re-delivery)."""
    con.execute(
        "INSERT INTO raw_meta.duplicate_files "
        "SELECT ?, ?, ?, ?, min(path), now()::timestamp FROM raw_meta.loaded_files "
        "WHERE source = ? AND entity = ? AND file_hash = ? "
        "AND NOT EXISTS (SELECT 1 FROM raw_meta.loaded_files WHERE path = ? AND file_hash = ?) "
        "AND NOT EXISTS (SELECT 1 FROM raw_meta.duplicate_files WHERE path = ?) "
        "HAVING count(*) > 0",
        [rel_file, source, entity, file_hash, source, entity, file_hash, rel_file, file_hash,
         rel_file],
    )  # fmt: skip


def load_entity(
    con: duckdb.DuckDBPyConnection,
    source: str,
    entity: str,
    home: Path | None = None,
    hashes: HashCache | None = None,
    landed_before: float | None = None,
) -> LoadResult:
    """Load every new landing file of ``source``/``entity`` into ``raw_<source>.<entity>``.

    ``hashes``: a :class:`HashCache` shared by a long-lived caller's loads. ``landed_before``
    (epoch seconds): take only the files that had landed by then, so that the entities of one
    load see the same moment of the landing zone (see :func:`_prepared_files`)."""
    check_entity(source, entity)
    if home is None:
        from revstack import config

        home = config.home()
    home = Path(home).resolve()
    started = time.perf_counter()
    ensure_raw_tables(con)
    batch_id = _new_batch_id(source, entity)
    seen = loaded = skipped = whole_quarantined = rows_loaded = rows_quarantined = 0
    reasons: dict[str, int] = {}
    drift: list[tuple[str, str, str]] = []
    blocked_reason = blocked_file = None
    for landed in _prepared_files(con, home, source, entity, hashes, landed_before):
        seen += 1
        rel_file, file_hash, prep = landed.rel_file, landed.file_hash, landed.prep
        if prep is None:
            skipped += 1
            if not landed.loaded_here:  # a re-delivery under another name: recorded once
                _record_duplicate(con, source, entity, rel_file, file_hash)
            continue
        if prep.block:
            kind, column, reason = prep.block
            blocked_reason, blocked_file = f"{rel_file}: {reason}", rel_file
            drift.append((kind, column, "error"))
            already = con.execute(
                "SELECT count(*) FROM raw_meta.schema_drift WHERE source = ? AND entity = ? "
                "AND file = ? AND kind = ? AND column_name = ? AND severity = 'error'",
                [source, entity, rel_file, kind, column],
            ).fetchall()[0][0]
            if not already:
                _record_drift(
                    con, source, entity, batch_id, rel_file, [(kind, column)], "error", _now()
                )
            break  # later files wait: loading them first would reorder versions
        if prep.unreadable:
            prep.bad = pl.DataFrame(
                {
                    "line": pl.Series([None], dtype=pl.Int32),
                    "reason": [prep.unreadable],
                    "record": [prep.preview],
                }
            )
            whole_quarantined += 1
        recorded = _recorded_drift(con, source, entity)
        new_drift = sorted({d for d in prep.drift if d not in recorded})
        n_rows, file_reasons = _write_file(
            con,
            home=home,
            source=source,
            entity=entity,
            batch_id=batch_id,
            rel_file=rel_file,
            file_hash=file_hash,
            prep=prep,
            new_drift=new_drift,
        )
        loaded += 0 if prep.unreadable else 1
        rows_loaded += n_rows
        rows_quarantined += 0 if prep.unreadable else prep.bad.height
        for code, count in file_reasons.items():
            reasons[code] = reasons.get(code, 0) + count
        drift += [(kind, column, "warning") for kind, column in new_drift]
    return LoadResult(
        source=source,
        entity=entity,
        batch_id=batch_id,
        files_seen=seen,
        files_loaded=loaded,
        files_skipped=skipped,
        files_quarantined=whole_quarantined,
        rows_loaded=rows_loaded,
        rows_quarantined=rows_quarantined,
        quarantine_reasons=dict(sorted(reasons.items())),
        drift=tuple(drift),
        blocked=blocked_reason is not None,
        blocked_reason=blocked_reason,
        blocked_file=blocked_file,
        seconds=time.perf_counter() - started,
    )


def load_summary(result: LoadResult) -> str:
    """One line for logs and the CLI."""
    return json.dumps(result.as_metadata(), sort_keys=True)

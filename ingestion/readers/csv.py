"""CSV with a header row (Salesforce and Xero in the ELT connector layouts, ECB rates).

Every column is read as text (raw keeps VARCHAR; dbt casts). Empty strings become NULL. A record
with the wrong number of fields is set aside with its record number; the others are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import polars as pl

from ingestion.readers.common import UnreadableFile, decode_utf8, strip_bom


@dataclass
class CsvFile:
    #: ``_line`` (record number counting the header: the first data row is 2) + one String
    #: column per header name
    frame: pl.DataFrame
    header: list[str]
    #: (record number, reason, raw record) for records that could not be split into the header
    bad_rows: list[tuple[int, str, str]] = field(default_factory=list)


def _header(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text)), None)
    if not first or all(not name.strip() for name in first):
        raise UnreadableFile("unreadable_file: empty CSV header")
    names = [name.strip() for name in first]
    # An empty trailing name is the ECB's trailing comma; other blanks get a positional name.
    names = [name or f"_column_{i}" for i, name in enumerate(names, start=1)]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UnreadableFile(f"unreadable_file: duplicate CSV column names {dupes}")
    return names


def _python_fallback(text: str, header: list[str]) -> tuple[pl.DataFrame, list]:
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    good: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str, str]] = []
    try:
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                reason = f"ragged_row: expected {len(header)} fields, got {len(row)}"
                bad.append((number, reason, ",".join(row)))
                continue
            good.append(row)
            numbers.append(number)
    except csv.Error as exc:
        bad.append((len(numbers) + len(bad) + 2, f"malformed_csv: {exc}; rest of file unread", ""))
    columns = {name: [row[i] for row in good] for i, name in enumerate(header)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(header, pl.String))
    return frame.insert_column(0, pl.Series("_line", numbers, dtype=pl.Int32)), bad


def read_csv(raw: bytes) -> CsvFile:
    text = decode_utf8(raw)
    if not text.strip():
        raise UnreadableFile("unreadable_file: empty CSV header")
    header = _header(text)
    bad: list[tuple[int, str, str]] = []
    try:
        frame = pl.read_csv(
            io.BytesIO(strip_bom(raw)),
            has_header=True,
            new_columns=header,
            infer_schema=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
        if frame.width != len(header):
            raise ValueError("header and data widths differ")
        frame = frame.with_row_index("_line", offset=2).with_columns(pl.col("_line").cast(pl.Int32))
    except Exception:  # ragged or malformed records: find them one by one
        frame, bad = _python_fallback(text, header)
    strings = [c for c in header if frame.schema[c] == pl.String]
    frame = frame.with_columns(
        [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in strings]
    )
    return CsvFile(frame=frame, header=header, bad_rows=bad)

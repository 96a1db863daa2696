"""JSON Lines: one JSON object per line, kept as the exact delivered text.

The reader only splits lines (fast: bytes -> a polars String column, UTF-8 checked by the cast);
parsing and contract checks run vectorised in DuckDB (see :mod:`ingestion.contracts`), which
measured an order of magnitude faster than ``str.json_path_match`` on large gateway files.
"""

from __future__ import annotations

import json

import polars as pl

from ingestion.readers.common import UnreadableFile, decode_utf8, strip_bom

#: a whole-document fallback (pretty-printed JSON, an array) is tried only below this size
STREAM_FALLBACK_MAX_BYTES = 256 * 1024 * 1024


def read_json_lines(raw: bytes) -> pl.DataFrame:
    """``_line`` (1-based line number) and ``line`` (the text) for every non-blank line."""
    raw = strip_bom(raw)
    parts = raw.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    lines = pl.Series("line", parts, dtype=pl.Binary)
    del parts
    try:
        text = lines.cast(pl.String)
    except Exception:  # polars raises InvalidOperationError / ComputeError on bad UTF-8
        decode_utf8(raw)  # raises UnreadableFile with the byte offset
        raise UnreadableFile("unreadable_file: not UTF-8 text") from None
    frame = pl.DataFrame({"line": text}).with_row_index("_line", offset=1)
    frame = frame.with_columns(pl.col("_line").cast(pl.Int32))
    # String work on a gigabyte column costs seconds: do it only when the bytes ask for it.
    if b"\r" in raw:
        frame = frame.with_columns(pl.col("line").str.strip_suffix("\r"))
    short = frame["line"].str.len_bytes() < 16
    if short.any():
        blank = short & (frame["line"].str.strip_chars().str.len_bytes() == 0)
        if blank.any():
            frame = frame.filter(~blank)
    return frame


def json_stream_rows(raw: bytes) -> pl.DataFrame | None:
    """Read a file that is not line-delimited: one pretty-printed JSON document, several
    concatenated, or an array of objects. Returns ``_line`` (where each value starts) and
    ``line`` (the value as compact JSON), or None when the text is not such a stream."""
    if len(raw) > STREAM_FALLBACK_MAX_BYTES:
        return None
    text = decode_utf8(raw)
    decoder = json.JSONDecoder()
    pos, rows_line, rows_text = 0, [], []
    end = len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n":
            pos += 1
        if pos >= end:
            break
        try:
            value, next_pos = decoder.raw_decode(text, pos)
        except ValueError:
            return None
        line_no = text.count("\n", 0, pos) + 1
        for item in value if isinstance(value, list) else [value]:
            rows_line.append(line_no)
            rows_text.append(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
        pos = next_pos
    if not rows_text:
        return None
    return pl.DataFrame(
        {
            "_line": pl.Series(rows_line, dtype=pl.Int32),
            "line": pl.Series(rows_text, dtype=pl.String),
        }
    )

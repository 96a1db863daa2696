"""Readers: landing files in each source's own format -> polars frames.

Every reader returns a frame with a ``_line`` column (1-based line, or CSV record number counting
the header) and raises :class:`UnreadableFile` when the file as a whole cannot be read.
"""

from ingestion.readers.common import UnreadableFile
from ingestion.readers.csv import CsvFile, read_csv
from ingestion.readers.ecb import ecb_to_long
from ingestion.readers.jsonl import json_stream_rows, read_json_lines

__all__ = [
    "CsvFile",
    "UnreadableFile",
    "ecb_to_long",
    "json_stream_rows",
    "read_csv",
    "read_json_lines",
]

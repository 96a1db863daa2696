"""ECB euro reference rates: wide ``Date,USD,JPY,...`` (EUR base) -> long rows."""

from __future__ import annotations

import polars as pl


def ecb_to_long(frame: pl.DataFrame, date_column: str = "Date") -> pl.DataFrame:
    """``_line``, ``rate_date`` (text), ``currency`` (header name), ``rate`` (text) for every
    non-empty cell. Empty columns (the trailing comma) vanish; ``N/A`` cells are kept here and
    dropped by the contract."""
    currencies = [c for c in frame.columns if c not in ("_line", date_column)]
    if not currencies:
        return pl.DataFrame(
            schema={
                "_line": pl.Int32,
                "rate_date": pl.String,
                "currency": pl.String,
                "rate": pl.String,
            }
        )
    return (
        frame.select(["_line", date_column, *currencies])
        .unpivot(
            index=["_line", date_column], on=currencies, variable_name="currency", value_name="rate"
        )
        .rename({date_column: "rate_date"})
        .filter(pl.col("rate").is_not_null())
        .with_columns(pl.col("rate").str.strip_chars(), pl.col("currency").str.strip_chars())
        .sort(["_line", "currency"])
    )

"""Contract checks: which rows may enter the raw layer, and why the others may not.

A row breaking its contract gets a reason ``"<code>: <detail>"`` (several joined by ``"; "``);
the code is what the load summary counts. JSON checks are generated SQL, run by DuckDB over the
polars line frame (one pass, all cores); CSV checks are polars expressions.

DuckDB spends roughly a millisecond planning each check of a generated query, whatever its row
count, so queries are kept small and few: a gateway event's ``data.object`` is checked by a query
for its own type (:func:`event_object_sql`), not by one query holding every type's checks, and
the loader checks several files with one set of queries.
"""

from __future__ import annotations

import polars as pl

from ingestion.currencies import CURRENCY_CODES
from ingestion.registry import (
    CLOUDEVENT_REQUIRED,
    CsvContract,
    StripeContract,
)

INTEGER_TYPES = "('UBIGINT', 'BIGINT', 'HUGEINT')"
# The ISO codes as one regular expression rather than a list literal: DuckDB plans each copy of a
# 179-element list in ~10 ms, and a gateway query holds several currency checks.
_CODES_RE = "'" + "|".join(sorted(CURRENCY_CODES)) + "'"
#: epoch seconds accepted for timestamps (year 1970 to 9999)
MAX_EPOCH = 253402300799


def reason_code(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


def summarize_reasons(reasons: list[str]) -> dict[str, int]:
    """reason code -> number of rows carrying it (a row with two problems counts for both)."""
    counts: dict[str, int] = {}
    for reason in reasons:
        for code in {reason_code(part) for part in reason.split("; ")}:
            counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _path(prefix: str, rel: str) -> str:
    return f"{prefix}.{rel}"


def _not_currency(value: str) -> str:
    """SQL true when the (non-NULL) text ``value`` is not an ISO 4217 code, in any case."""
    return f"NOT regexp_full_match(upper({value}), {_CODES_RE})"


class _Paths:
    """Collects the JSON paths the checks read, so that one multi-path call per kind parses each
    line once: ``s(rel)`` is the value as text (``_s``), ``t(rel)`` its JSON type (``_t``).

    The two lists are kept apart: extracting the text of a path only tested for its type (``data``,
    ``items``) would serialise a whole sub-object on every line."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.text_paths: list[str] = []
        self.type_paths: list[str] = []

    def s(self, rel: str) -> str:
        return f"_s[{_position(self.text_paths, _path(self.prefix, rel))}]"

    def t(self, rel: str) -> str:
        return f"_t[{_position(self.type_paths, _path(self.prefix, rel))}]"

    def root_type(self) -> str:
        """The JSON type of the whole line."""
        return f"_t[{_position(self.type_paths, '$')}]"

    def extract_sql(self) -> tuple[str, str]:
        text = ", ".join(_lit(p) for p in self.text_paths)
        types = ", ".join(_lit(p) for p in self.type_paths)
        return f"json_extract_string(line, [{text}])", f"json_type(line, [{types}])"


def _position(paths: list[str], path: str) -> int:
    """1-based position of ``path`` in ``paths`` (appended if new)."""
    if path not in paths:
        paths.append(path)
    return paths.index(path) + 1


def _parsed_cte(p: _Paths, source_view: str) -> str:
    """``WITH ... parsed``: the columns of ``source_view`` and, per line, ``_valid`` (it is
    JSON), ``_s``/``_t`` (the paths of ``p`` as text / JSON type), ``_root`` (the line's JSON
    type) and ``_keys`` (an object's top-level keys, for drift). Call once every check has
    registered its paths with ``p``; a line is parsed once per function, so fewer is faster."""
    root = p.root_type()
    s_sql, t_sql = p.extract_sql()
    return f"""
WITH src AS (
    SELECT *, json_valid(line) AS _valid FROM {source_view}
), extracted AS (
    SELECT *,
        CASE WHEN _valid THEN {s_sql} END AS _s,
        CASE WHEN _valid THEN {t_sql} END AS _t
    FROM src
), parsed AS (
    SELECT *, {root} AS _root, CASE WHEN {root} = 'OBJECT' THEN json_keys(line) END AS _keys
    FROM extracted
)"""


def _object_checks(c: StripeContract, p: _Paths, label: str = "") -> list[str]:
    """SQL expressions, each NULL or a reason, for one Stripe object at ``p.prefix``."""
    checks: list[str] = []
    deleted = f"coalesce({p.s('deleted')} = 'true', false)"
    id_s, id_t = p.s("id"), p.t("id")
    if c.prefixes:
        prefix_ok = " OR ".join(f"starts_with({id_s}, {_lit(x)})" for x in c.prefixes)
        expected = "/".join(c.prefixes)
        checks.append(
            f"CASE WHEN {id_t} IS NULL OR {id_t} = 'NULL' THEN {_lit(f'missing_field: {label}id')}"
            f" WHEN {id_t} <> 'VARCHAR' OR NOT ({prefix_ok}) THEN "
            f"'invalid_id: {label}id ' || to_json({id_s}) || "
            f"{_lit(f' does not start with {expected}')}"
            " END"
        )
    else:
        checks.append(
            f"CASE WHEN {id_t} IS NULL OR {id_t} = 'NULL' THEN {_lit(f'missing_field: {label}id')}"
            f" WHEN {id_t} <> 'VARCHAR' OR trim({id_s}) = '' THEN "
            f"{_lit(f'invalid_id: {label}id is empty or not a string')} END"
        )
    for f in c.required:
        checks.append(
            f"CASE WHEN NOT {deleted} AND {p.t(f)} IS NULL THEN "
            f"{_lit(f'missing_field: {label}{f} is required')} END"
        )
    for f in c.integers:
        t = p.t(f)
        checks.append(
            f"CASE WHEN {t} IS NOT NULL AND {t} <> 'NULL' AND {t} NOT IN {INTEGER_TYPES} THEN "
            f"{_lit(f'not_integer: {label}{f} is ')} || {t} END"
        )
    # Every object's `created`, when it is an integer, must be a representable epoch second:
    # an absurd one would pass the type check and then fail the TIMESTAMP conversion on insert.
    s = p.s("created")
    checks.append(
        f"CASE WHEN {p.t('created')} IN {INTEGER_TYPES} AND "
        f"NOT (TRY_CAST({s} AS HUGEINT) BETWEEN 0 AND {MAX_EPOCH}) THEN "
        f"{_lit(f'invalid_timestamp: {label}created out of range')} END"
    )
    for rel in c.currencies:
        if "[*]" in rel:
            values = f"json_extract_string(line, {_lit(_path(p.prefix, rel))})"
            unknown = f"x IS NOT NULL AND {_not_currency('x')}"
            bad = f"list_filter({values}, lambda x: {unknown})"
            checks.append(
                f"CASE WHEN len({bad}) > 0 THEN 'invalid_currency: ' || to_json({bad}[1]) || "
                f"{_lit(f' at {label}{rel} is not an ISO 4217 code')} END"
            )
        else:
            s = p.s(rel)
            checks.append(
                f"CASE WHEN {s} IS NOT NULL AND {_not_currency(s)} THEN "
                f"'invalid_currency: ' || to_json({s}) || "
                f"{_lit(f' at {label}{rel} is not an ISO 4217 code')} END"
            )
    for start, end in c.periods:
        a, b = (f"TRY_CAST({p.s(x)} AS HUGEINT)" for x in (start, end))
        checks.append(
            f"CASE WHEN {b} < {a} THEN "
            f"{_lit(f'period_reversed: {label}{end} is before {label}{start}')} END"
        )
    for list_rel, start, end in c.list_periods:
        items = f"json_extract(line, {_lit(_path(p.prefix, list_rel) + '[*]')})"
        a, b = (
            f"TRY_CAST(json_extract_string(x, {_lit('$.' + y)}) AS HUGEINT)" for y in (start, end)
        )
        checks.append(
            f"CASE WHEN list_bool_or(list_transform({items}, lambda x: {b} < {a})) THEN "
            f"{_lit(f'period_reversed: {label}{list_rel}[*].{end} is before {start}')} END"
        )
    for list_rel, sub in c.list_integers:
        types = f"json_type(line, {_lit(_path(p.prefix, list_rel) + '[*].' + sub)})"
        checks.append(
            f"CASE WHEN list_bool_or(list_transform({types}, lambda x: x <> 'NULL' AND x NOT IN "
            f"{INTEGER_TYPES})) THEN {_lit(f'not_integer: {label}{list_rel}[*].{sub}')} END"
        )
    return checks


def _combine(checks: list[str]) -> str:
    return "NULLIF(concat_ws('; ', " + ", ".join(checks) + "), '')"


def gateway_sql(contract: StripeContract, source_view: str) -> str:
    """One row per input line: the fields raw needs, ``_eligible`` (a live JSON object of the
    expected type), ``_required_types``, ``_keys`` and ``reason`` (NULL when the row keeps its
    contract).

    For events, ``source_view`` also carries ``_object_reason``: what :func:`event_object_sql`
    found wrong with the event's ``data.object`` (NULL for a type without a contract)."""
    p = _Paths("$")
    checks = _object_checks(contract, p)
    object_s = p.s("object")
    deleted = f"coalesce({p.s('deleted')} = 'true', false)"
    created = (
        f"CASE WHEN {p.t('created')} IN {INTEGER_TYPES} "
        f"THEN TRY_CAST({p.s('created')} AS BIGINT) END"
    )
    extra_cols = ""
    if contract.object == "event":
        obj_type = p.s("data.object.object")
        checks.append(
            f"CASE WHEN {p.t('data.object')} IS DISTINCT FROM 'OBJECT' THEN "
            "'missing_field: data.object is required (an object)' "
            f"WHEN {obj_type} IS NULL THEN 'missing_field: data.object.object is required' "
            "ELSE _object_reason END"
        )
        checks.append(
            f"CASE WHEN {p.t('type')} IS NOT NULL AND {p.t('type')} <> 'VARCHAR' THEN "
            "'invalid_type: type is not a string' END"
        )
        extra_cols = (
            f", {p.s('type')} AS type, {p.s('api_version')} AS api_version, "
            f"{obj_type} AS object_type, {p.s('data.object.id')} AS object_id"
        )
    required_types = "[" + ", ".join(p.t(f) for f in contract.required) + "]"
    return f"""{_parsed_cte(p, source_view)}
SELECT _row, _keys,
    {p.s("id")} AS id,
    {object_s} AS object,
    {created} AS created_epoch,
    _valid AND _root = 'OBJECT' AND {object_s} IS NOT DISTINCT FROM {_lit(contract.object)}
        AND NOT {deleted} AS _eligible,
    {required_types} AS _required_types,
    CASE
        WHEN NOT _valid THEN 'invalid_json: line is not valid JSON'
        WHEN _root <> 'OBJECT' THEN
            'not_object: line is a JSON ' || lower(_root) || ', not an object'
        WHEN {object_s} IS NULL THEN 'missing_field: object is required'
        WHEN {object_s} <> {_lit(contract.object)} THEN
            'wrong_object: object ' || to_json({object_s}) ||
            {_lit(f" where {contract.object!r} was expected")}
        ELSE {_combine(checks)}
    END AS reason
    {extra_cols}
FROM parsed
ORDER BY _row
"""


def event_object_types_sql(source_view: str) -> str:
    """``_row`` and ``object_type`` (``data.object.object``; NULL when the line is not JSON or
    has none) for every event line, to split the lines by type for :func:`event_object_sql`."""
    # try(): NULL for a line that is not JSON, parsing it once (json_valid first would be twice)
    return f"""
SELECT _row, try(json_extract_string(line, '$.data.object.object')) AS object_type
FROM {source_view}
ORDER BY _row
"""


def event_object_sql(contract: StripeContract, source_view: str) -> str:
    """``_row`` and ``_object_reason`` for event lines whose ``data.object`` is of the type of
    ``contract`` (every line of ``source_view`` is): that type's checks, reported under
    ``data.object.`` (``missing_field: data.object.id``)."""
    p = _Paths("$.data.object")
    checks = _object_checks(contract, p, "data.object.")
    s_sql, t_sql = p.extract_sql()
    return f"""
WITH parsed AS (
    SELECT _row, line, {s_sql} AS _s, {t_sql} AS _t FROM {source_view}
)
SELECT _row, {_combine(checks)} AS _object_reason
FROM parsed
ORDER BY _row
"""


def usage_sql(source_view: str) -> str:
    """CloudEvents 1.0: required attributes present and strings, ``time`` an RFC 3339 time."""
    p = _Paths("$")
    checks = []
    for attr in CLOUDEVENT_REQUIRED:
        checks.append(
            f"CASE WHEN {p.t(attr)} IS NULL OR {p.t(attr)} = 'NULL' THEN "
            f"{_lit(f'missing_field: {attr} is required')} "
            f"WHEN {p.t(attr)} <> 'VARCHAR' OR trim({p.s(attr)}) = '' THEN "
            f"{_lit(f'invalid_value: {attr} must be a non-empty string')} END"
        )
    checks.append(
        f"CASE WHEN {p.s('specversion')} IS NOT NULL AND {p.s('specversion')} <> '1.0' THEN "
        f"'invalid_value: specversion ' || to_json({p.s('specversion')}) || ' is not 1.0' END"
    )
    time_s = p.s("time")
    has_offset = f"regexp_matches({time_s}, '([Zz]|[+-]\\d\\d:?\\d\\d)$')"
    time_expr = (
        f"CASE WHEN {has_offset} THEN timezone('UTC', TRY_CAST({time_s} AS TIMESTAMPTZ)) "
        f"ELSE TRY_CAST({time_s} AS TIMESTAMP) END"
    )
    checks.append(
        f"CASE WHEN {time_s} IS NOT NULL AND ({time_expr}) IS NULL THEN "
        f"'invalid_timestamp: time ' || to_json({time_s}) || ' does not parse' END"
    )
    cols = ", ".join(
        f"{p.s(a)} AS {a}"
        for a in ("id", "source", "type", "subject", "specversion", "datacontenttype")
    )
    required_types = "[" + ", ".join(p.t(f) for f in CLOUDEVENT_REQUIRED) + "]"
    return f"""{_parsed_cte(p, source_view)}
SELECT _row, _keys, {cols},
    {time_expr} AS time,
    CASE WHEN _valid AND _root = 'OBJECT' THEN json_extract(line, '$.data') END AS data,
    _valid AND _root = 'OBJECT' AS _eligible,
    {required_types} AS _required_types,
    CASE
        WHEN NOT _valid THEN 'invalid_json: line is not valid JSON'
        WHEN _root <> 'OBJECT' THEN
            'not_object: line is a JSON ' || lower(_root) || ', not an object'
        ELSE {_combine(checks)}
    END AS reason
FROM parsed
ORDER BY _row
"""


def json_block_reason(
    checked: pl.DataFrame, required: tuple[str, ...], integer_fields: tuple[str, ...]
) -> tuple[str, str, str] | None:
    """(kind, field, reason) when a required field is missing from every eligible row of a file
    (a renamed field) or none of its values has the expected type (a retyped field)."""
    eligible = checked.filter(pl.col("_eligible").fill_null(False))
    if eligible.height == 0:
        return None
    for i, name in enumerate(required):
        types = eligible["_required_types"].list.get(i)
        present = types.drop_nulls()
        if present.len() == 0:
            return (
                "missing_column",
                name,
                f"required field {name!r} is missing from every row (renamed or dropped?)",
            )
        if name in integer_fields:
            values = present.filter(present != "NULL")
            ints = values.is_in(["UBIGINT", "BIGINT", "HUGEINT"])
            if values.len() > 0 and not ints.any():
                return (
                    "retyped_column",
                    name,
                    f"required field {name!r} is no longer an integer in any row "
                    f"(found {values.unique().sort().to_list()})",
                )
    return None


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

_DATE_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(UTC|Z|[+-]\d{2}:?\d{2}))?$"
_TS_RE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(UTC|Z|[+-]\d{2}:?\d{2}))?$"
_NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_BOOLEANS = ["true", "false", "t", "f", "1", "0", "yes", "no"]


def _date_ok(col: str, pattern: str) -> pl.Expr:
    text = pl.col(col).str.strip_chars()
    calendar_ok = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return text.str.contains(pattern) & calendar_ok


def csv_rules(contract: CsvContract, columns: list[str]) -> list[tuple[str, str, pl.Expr]]:
    """(column, kind, expression true when the value is acceptable) for present columns."""
    rules: list[tuple[str, str, pl.Expr]] = []
    for col in contract.dates:
        rules.append((col, "unparsable_date", _date_ok(col, _DATE_RE)))
    for col in contract.timestamps:
        rules.append((col, "unparsable_timestamp", _date_ok(col, _TS_RE)))
    for col in contract.numbers:
        rules.append(
            (col, "unparsable_number", pl.col(col).str.strip_chars().str.contains(_NUMBER_RE))
        )
    for col in contract.booleans:
        rules.append(
            (
                col,
                "unparsable_boolean",
                pl.col(col).str.strip_chars().str.to_lowercase().is_in(_BOOLEANS),
            )
        )
    return [r for r in rules if r[0] in columns]


def check_csv(
    frame: pl.DataFrame, contract: CsvContract
) -> tuple[pl.DataFrame, tuple[str, str, str] | None]:
    """Adds ``reason`` to the frame; returns the block (kind, column, reason) if the file
    changed shape (a required column gone, or a required typed column that no longer parses)."""
    missing = [c for c in contract.required if c not in frame.columns]
    if missing:
        return frame, (
            "missing_column",
            missing[0],
            f"required column(s) {missing} missing from the CSV header (renamed or dropped?)",
        )
    reasons: list[pl.Expr] = [
        pl.when(pl.col(contract.key).is_null() | (pl.col(contract.key).str.strip_chars() == ""))
        .then(pl.lit(f"empty_value: {contract.key} is empty"))
        .otherwise(None)
    ]
    for col, kind, ok in csv_rules(contract, frame.columns):
        value = pl.col(col)
        bad = value.is_not_null() & ~ok.fill_null(False)
        if col in contract.required and frame.height > 0:
            n_values = frame.select(value.is_not_null().sum()).item()
            n_bad = frame.select(bad.sum()).item()
            if n_values > 0 and n_bad == n_values:
                sample = frame.filter(bad)[col].head(3).to_list()
                return frame, (
                    "retyped_column",
                    col,
                    f"required column {col!r} no longer parses ({kind}) in any row, e.g. {sample}",
                )
        reasons.append(
            pl.when(bad)
            .then(pl.lit(f'{kind}: {col} "') + pl.col(col) + pl.lit('"'))
            .otherwise(None)
        )
    frame = frame.with_columns(
        pl.concat_str(reasons, separator="; ", ignore_nulls=True).alias("reason")
    ).with_columns(
        pl.when(pl.col("reason") == "").then(None).otherwise(pl.col("reason")).alias("reason")
    )
    return frame, None


def check_fx(long: pl.DataFrame) -> pl.DataFrame:
    """ECB rates: a date that parses, a rate that is a positive decimal; ``N/A`` means no rate
    that day (the cell is dropped, not quarantined). Adds ``reason``."""
    rate = pl.col("rate")
    is_na = rate.str.to_uppercase().is_in(["N/A", "NA", "-"])
    long = long.filter(~is_na)
    number_ok = rate.str.contains(r"^\+?(\d+(\.\d*)?|\.\d+)$")
    positive = rate.cast(pl.Float64, strict=False) > 0
    date_ok = _date_ok("rate_date", r"^\d{4}-\d{2}-\d{2}$")
    return long.with_columns(
        pl.when(pl.col("rate_date").is_null() | ~date_ok.fill_null(False))
        .then(pl.lit("unparsable_date: Date ") + pl.col("rate_date").fill_null("NULL"))
        .when(~number_ok.fill_null(False) | ~positive.fill_null(False))
        .then(
            pl.lit("invalid_rate: ")
            + pl.col("currency")
            + pl.lit(" rate ")
            + rate
            + pl.lit(" is not a positive decimal")
        )
        .otherwise(None)
        .alias("reason")
    )

"""Gateway ingestion: Stripe's own example objects, re-delivery, bad lines, drift, blocking."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion import ENTITIES, load_entity
from ingestion.registry import GATEWAY_OBJECTS

FIXTURES = Path("/work/shared/fixtures")
if not FIXTURES.exists():  # the steering repo beside this one
    FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
STRIPE = json.loads((FIXTURES / "stripe-openapi" / "fixtures3.json").read_text())["resources"]

# Extra objects delivered with each entity: deleted stubs, and objects in the wrong folder.
EXTRA = {
    "customers": ["deleted_customer"],
    "products": ["deleted_product"],
    "prices": ["plan", "deleted_price"],
    "coupons": ["deleted_coupon"],
    "discounts": ["deleted_discount"],
    "subscriptions": ["subscription_item"],
    "invoices": ["line_item", "deleted_invoice"],
    "invoiceitems": ["deleted_invoiceitem"],
}

# entity -> {line: reason code(s)} of the rows that must be quarantined; all others load.
EXPECTED_QUARANTINE = {
    "prices": {2: "wrong_object", 3: "invalid_id"},  # plan; deleted price with id obj_123
    "discounts": {2: "invalid_id"},  # deleted discount with an empty id
    "tax_rates": {1: "invalid_currency"},  # flat_amount.currency = "currency"
    "subscriptions": {1: "invalid_currency; period_reversed", 2: "wrong_object"},
    "invoices": {2: "wrong_object"},  # a line_item is not an invoice
    "credit_notes": {1: "invalid_currency"},  # lines[].tax_rates[].flat_amount.currency
}


def write_jsonl(path: Path, objects: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(o) + "\n" for o in objects))
    return path


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def fixtures3_home(tmp_path: Path) -> Path:
    for entity, obj in GATEWAY_OBJECTS.items():
        objects = [STRIPE[obj], *(STRIPE[k] for k in EXTRA.get(entity, []))]
        write_jsonl(tmp_path / "landing" / "gateway" / entity / "fixtures3.jsonl", objects)
    return tmp_path


def test_every_fixtures3_billing_object_is_loaded_or_quarantined_with_a_reason(con, fixtures3_home):
    loaded_total = quarantined_total = 0
    for entity in ENTITIES["gateway"]:
        result = load_entity(con, "gateway", entity, fixtures3_home)
        delivered = 1 + len(EXTRA.get(entity, []))
        expected_bad = EXPECTED_QUARANTINE.get(entity, {})
        assert not result.blocked, result.blocked_reason
        assert result.files_loaded == 1
        assert result.rows_quarantined == len(expected_bad), entity
        assert result.rows_loaded == delivered - len(expected_bad), entity
        rows = con.execute(
            "SELECT line, reason FROM raw_meta.quarantine WHERE entity = ? ORDER BY line", [entity]
        ).fetchall()
        codes = {
            line: "; ".join(part.split(":")[0] for part in reason.split("; "))
            for line, reason in rows
        }
        assert codes == expected_bad, entity
        raw_count = con.execute(f"SELECT count(*) FROM raw_gateway.{entity}").fetchall()[0][0]
        assert raw_count == result.rows_loaded
        loaded_total += result.rows_loaded
        quarantined_total += result.rows_quarantined
    assert (loaded_total, quarantined_total) == (20, 8)  # 28 objects delivered

    reasons = dict(con.execute("SELECT entity, reason FROM raw_meta.quarantine").fetchall())
    assert reasons["tax_rates"] == (
        'invalid_currency: "currency" at flat_amount.currency is not an ISO 4217 code'
    )
    sub = con.execute(
        "SELECT reason FROM raw_meta.quarantine WHERE entity = 'subscriptions' AND line = 1"
    ).fetchall()[0][0]
    assert "items.data[*].plan.currency" in sub and "period_reversed" in sub


def test_raw_gateway_columns_hold_the_delivered_object(con, fixtures3_home):
    load_entity(con, "gateway", "events", fixtures3_home)
    load_entity(con, "gateway", "customers", fixtures3_home)
    event = con.execute(
        "SELECT id, object, created, _version_at, type, api_version, object_type, object_id, "
        "data::VARCHAR, _file, _line FROM raw_gateway.events"
    ).fetchall()
    assert len(event) == 1
    eid, obj, created, version_at, etype, api, otype, oid, data, file, line = event[0]
    assert (eid, obj, etype, api, otype) == (
        "evt_1Pgc76B7WZ01zgkWwyRHS12y",
        "event",
        "plan.created",
        None,
        "plan",
    )
    assert oid == "price_1PgafmB7WZ01zgkW6dKueIc5"
    assert str(created) == "2009-02-13 23:31:30" == str(version_at)  # 1234567890 UTC
    assert data == json.dumps(STRIPE["event"])  # the exact delivered text
    assert (file, line) == ("landing/gateway/events/fixtures3.jsonl", 1)
    customers = con.execute(
        "SELECT id, created, _version_at = _loaded_at, data->>'$.deleted' "
        "FROM raw_gateway.customers ORDER BY _line"
    ).fetchall()
    assert customers[0][:3] == ("cus_QXg1o8vcGmoR32", customers[0][1], True)
    assert customers[1][1] is None and customers[1][3] == "true"  # a deleted stub: no created


def _invoice(i: int, **changes) -> dict:
    obj = dict(STRIPE["invoice"], id=f"in_test{i:04d}", created=1700000000 + i)
    obj.update(changes)
    return obj


def _event(i: int, obj: dict, **changes) -> dict:
    return dict(STRIPE["event"], id=f"evt_test{i:04d}", data={"object": obj}, **changes)


def test_event_data_object_keeps_the_contract_of_its_own_type(con, tmp_path):
    events = [
        _event(1, STRIPE["invoice"], type="invoice.created"),
        _event(2, dict(STRIPE["invoice"], currency="zzz"), type="invoice.created"),
        _event(3, STRIPE["charge"], type="charge.succeeded"),
        _event(4, dict(STRIPE["charge"], id="in_1", amount=1.5), type="charge.succeeded"),
        _event(5, STRIPE["plan"]),  # no contract for plans: only the envelope is checked
        _event(6, dict(STRIPE["customer"], created="yesterday"), type=5),
        _event(7, {"id": "cus_1"}),
        _event(8, STRIPE["deleted_customer"]),  # a deleted stub needs no created
    ]
    write_jsonl(tmp_path / "landing" / "gateway" / "events" / "a.jsonl", events)
    result = load_entity(con, "gateway", "events", tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 4)
    reasons = con.execute("SELECT line, reason FROM raw_meta.quarantine ORDER BY line").fetchall()
    assert reasons == [
        (2, 'invalid_currency: "zzz" at data.object.currency is not an ISO 4217 code'),
        (
            4,
            'invalid_id: data.object.id "in_1" does not start with ch_/py_; '
            "not_integer: data.object.amount is DOUBLE",
        ),
        (6, "not_integer: data.object.created is VARCHAR; invalid_type: type is not a string"),
        (7, "missing_field: data.object.object is required"),
    ]
    loaded = con.execute(
        "SELECT _line, object_type, object_id FROM raw_gateway.events ORDER BY _line"
    ).fetchall()
    assert loaded == [
        (1, "invoice", STRIPE["invoice"]["id"]),
        (3, "charge", STRIPE["charge"]["id"]),
        (5, "plan", STRIPE["plan"]["id"]),
        (8, "customer", STRIPE["deleted_customer"]["id"]),
    ]


def test_files_checked_together_load_as_if_one_by_one(con, tmp_path):
    """New files are checked in one batch; each still gets its own rows and reasons, a copy
    delivered beside its original is skipped, and a blocked file stops the files after it."""
    folder = tmp_path / "landing" / "gateway" / "invoices"
    write_jsonl(folder / "1.jsonl", [_invoice(0), _invoice(1, currency="zzz")])
    write_jsonl(folder / "2.jsonl", [_invoice(2)])
    shutil.copy(folder / "1.jsonl", folder / "3_copy.jsonl")
    renamed = [{k: v for k, v in _invoice(i).items() if k != "total"} for i in (4, 5)]
    write_jsonl(folder / "4.jsonl", renamed)
    write_jsonl(folder / "5.jsonl", [_invoice(6)])
    result = load_entity(con, "gateway", "invoices", tmp_path)
    assert (result.files_seen, result.files_loaded, result.files_skipped) == (4, 2, 1)
    assert result.blocked_file == "landing/gateway/invoices/4.jsonl"
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    rows = con.execute("SELECT _file, _line, id FROM raw_gateway.invoices ORDER BY id").fetchall()
    assert rows == [
        ("landing/gateway/invoices/1.jsonl", 1, "in_test0000"),
        ("landing/gateway/invoices/2.jsonl", 1, "in_test0002"),
    ]
    bad = con.execute("SELECT file, line, reason FROM raw_meta.quarantine").fetchall()
    assert bad == [
        (
            "landing/gateway/invoices/1.jsonl",
            2,
            'invalid_currency: "zzz" at currency is not an ISO 4217 code',
        )
    ]


def test_rerun_and_redelivery_change_nothing(con, tmp_path):
    folder = tmp_path / "landing" / "gateway" / "invoices"
    write_jsonl(folder / "2024-01-01_invoices.jsonl", [_invoice(i) for i in range(5)])
    first = load_entity(con, "gateway", "invoices", tmp_path)
    assert (first.files_loaded, first.rows_loaded) == (1, 5)
    again = load_entity(con, "gateway", "invoices", tmp_path)
    assert (again.files_seen, again.files_skipped, again.rows_loaded) == (1, 1, 0)
    shutil.copy(folder / "2024-01-01_invoices.jsonl", folder / "2024-01-02_redelivered.jsonl")
    redelivered = load_entity(con, "gateway", "invoices", tmp_path)
    assert (redelivered.files_seen, redelivered.files_skipped, redelivered.rows_loaded) == (2, 2, 0)
    assert con.execute("SELECT count(*) FROM raw_gateway.invoices").fetchall()[0][0] == 5
    assert con.execute("SELECT count(*) FROM raw_meta.loaded_files").fetchall()[0][0] == 1
    # the re-delivered copy is recorded once, with the file it repeats, for the checks step
    load_entity(con, "gateway", "invoices", tmp_path)
    assert con.execute(
        "SELECT path, source, entity, first_path FROM raw_meta.duplicate_files"
    ).fetchall() == [
        (
            "landing/gateway/invoices/2024-01-02_redelivered.jsonl",
            "gateway",
            "invoices",
            "landing/gateway/invoices/2024-01-01_invoices.jsonl",
        )
    ]


def test_one_bad_line_is_quarantined_and_the_rest_loads(con, tmp_path):
    path = tmp_path / "landing" / "gateway" / "invoices" / "a.jsonl"
    lines = [json.dumps(_invoice(i)) for i in range(4)]
    lines[2] = lines[2][:-20]  # truncated JSON on line 3
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")
    result = load_entity(con, "gateway", "invoices", tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    assert result.quarantine_reasons == {"invalid_json": 1}
    rows = con.execute("SELECT file, line, reason, record FROM raw_meta.quarantine").fetchall()
    assert rows == [
        ("landing/gateway/invoices/a.jsonl", 3, "invalid_json: line is not valid JSON", lines[2])
    ]
    assert sorted(
        r[0] for r in con.execute("SELECT _line FROM raw_gateway.invoices").fetchall()
    ) == [1, 2, 4]
    qfiles = list((tmp_path / "quarantine" / "gateway" / "invoices").glob("*.jsonl"))
    assert len(qfiles) == 1
    record = json.loads(qfiles[0].read_text().splitlines()[0])
    assert (record["line"], record["file"]) == (3, "landing/gateway/invoices/a.jsonl")


def test_row_contract_violations(con, tmp_path):
    objects = [
        _invoice(0),
        _invoice(1, currency="usdollars"),
        _invoice(2, total=12.5),
        _invoice(3, id="ch_123"),
        _invoice(4, created="2024-01-01"),
        _invoice(5, period_start=200, period_end=100),
        [1, 2, 3],
        _invoice(7, currency="jpy", total=1000),
    ]
    write_jsonl(tmp_path / "landing" / "gateway" / "invoices" / "a.jsonl", objects)
    result = load_entity(con, "gateway", "invoices", tmp_path)
    assert result.rows_loaded == 2
    assert result.quarantine_reasons == {
        "invalid_currency": 1,
        "invalid_id": 1,
        "not_integer": 2,
        "not_object": 1,
        "period_reversed": 1,
    }


def test_required_field_missing_from_every_row_blocks_until_fixed(con, tmp_path):
    folder = tmp_path / "landing" / "gateway" / "charges"
    good = [dict(STRIPE["charge"], id=f"ch_{i}") for i in range(3)]
    renamed = [{("amount_cents" if k == "amount" else k): v for k, v in o.items()} for o in good]
    write_jsonl(folder / "2024-01-01.jsonl", renamed)
    write_jsonl(folder / "2024-01-02.jsonl", [dict(STRIPE["charge"], id="ch_later")])
    blocked = load_entity(con, "gateway", "charges", tmp_path)
    assert blocked.blocked and "'amount'" in blocked.blocked_reason
    assert blocked.rows_loaded == 0 and blocked.files_loaded == 0
    assert ("missing_column", "amount", "error") in blocked.drift
    assert con.execute("SELECT count(*) FROM raw_meta.loaded_files").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM raw_gateway.charges").fetchall()[0][0] == 0
    write_jsonl(folder / "2024-01-01.jsonl", good)  # the export is fixed and re-delivered
    fixed = load_entity(con, "gateway", "charges", tmp_path)
    assert not fixed.blocked
    assert (fixed.files_loaded, fixed.rows_loaded) == (2, 4)


def test_new_top_level_field_is_drift_reported_once(con, tmp_path):
    folder = tmp_path / "landing" / "gateway" / "customers"
    write_jsonl(folder / "a.jsonl", [dict(STRIPE["customer"], loyalty_tier="gold")])
    first = load_entity(con, "gateway", "customers", tmp_path)
    assert first.drift == (("new_column", "loyalty_tier", "warning"),)
    write_jsonl(folder / "b.jsonl", [dict(STRIPE["customer"], loyalty_tier="silver", id="cus_2")])
    second = load_entity(con, "gateway", "customers", tmp_path)
    assert second.drift == () and second.rows_loaded == 1
    assert con.execute(
        "SELECT kind, column_name, severity FROM raw_meta.schema_drift"
    ).fetchall() == [("new_column", "loyalty_tier", "warning")]
    kept = con.execute(
        "SELECT data->>'$.loyalty_tier' FROM raw_gateway.customers ORDER BY id"
    ).fetchall()
    assert kept == [("silver",), ("gold",)]


def test_unreadable_files_are_set_aside_once_and_the_run_goes_on(con, tmp_path):
    folder = tmp_path / "landing" / "gateway" / "payouts"
    folder.mkdir(parents=True)
    (folder / "1_latin1.jsonl").write_bytes('{"id": "po_1", "name": "caf\xe9"}\n'.encode("latin-1"))
    (folder / "2_binary.jsonl").write_bytes(b"PK\x03\x04 this is a zip file, not JSON\n")
    write_jsonl(folder / "3_good.jsonl", [STRIPE["payout"]])
    result = load_entity(con, "gateway", "payouts", tmp_path)
    assert (result.files_seen, result.files_quarantined, result.files_loaded) == (3, 2, 1)
    assert result.rows_loaded == 1
    reasons = [
        r[0] for r in con.execute("SELECT reason FROM raw_meta.quarantine ORDER BY file").fetchall()
    ]
    assert reasons[0].startswith("unreadable_file: not UTF-8")
    assert reasons[1].startswith("unreadable_file: not JSON")
    again = load_entity(con, "gateway", "payouts", tmp_path)
    assert again.files_skipped == 3  # recorded, not retried forever


def test_pretty_printed_and_array_files_are_read(con, tmp_path):
    folder = tmp_path / "landing" / "gateway" / "refunds"
    folder.mkdir(parents=True)
    (folder / "a.json").write_text(json.dumps(STRIPE["refund"], indent=2))
    (folder / "b.json").write_text(
        json.dumps([dict(STRIPE["refund"], id=f"re_{i}") for i in range(2)])
    )
    result = load_entity(con, "gateway", "refunds", tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 0)


def test_empty_landing_folder_is_normal(con, tmp_path):
    result = load_entity(con, "gateway", "invoices", tmp_path)
    assert (result.files_seen, result.rows_loaded, result.blocked) == (0, 0, False)
    assert con.execute("SELECT count(*) FROM raw_gateway.invoices").fetchall()[0][0] == 0


def test_many_row_file_loads_every_good_row_once(con, tmp_path):
    """5k invoices with a bad row every 1,000 lines: exact counts and totals, nothing lost.

    Load speed is measured by the benchmark harness, never asserted here.
    """
    base = STRIPE["invoice"]
    path = tmp_path / "landing" / "gateway" / "invoices" / "big.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        for i in range(5_000):
            obj = dict(base, id=f"in_{i:08d}", created=1700000000 + i, total=i)
            if i % 1_000 == 999:
                obj["currency"] = "zzz"
            fh.write(json.dumps(obj) + "\n")
    result = load_entity(con, "gateway", "invoices", tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (4_995, 5)
    (total,) = con.execute(
        "SELECT sum((data->>'total')::BIGINT) FROM raw_gateway.invoices"
    ).fetchone()
    assert total == sum(range(5_000)) - sum(range(999, 5_000, 1_000))
    lines = [
        r[0] for r in con.execute("SELECT line FROM raw_meta.quarantine ORDER BY line").fetchall()
    ]
    assert lines == [1_000, 2_000, 3_000, 4_000, 5_000]


def test_absurd_created_is_quarantined_not_a_crash(con, tmp_path):
    """An integer `created` beyond any representable time fails its contract, on every type."""
    path = tmp_path / "landing" / "gateway" / "invoiceitems" / "items.jsonl"
    path.parent.mkdir(parents=True)
    good = dict(STRIPE["invoiceitem"], id="ii_good", created=1_700_000_000)
    bad = dict(STRIPE["invoiceitem"], id="ii_bad", created=99_999_999_999_999)
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    result = load_entity(con, "gateway", "invoiceitems", tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    reason, line = con.execute("SELECT reason, line FROM raw_meta.quarantine").fetchone()
    assert line == 2 and reason.startswith("invalid_timestamp: created out of range")

"""The simulator: deterministic, well-formed landing files, and a ground truth that the landing
files themselves support (MRR recomputed independently from the subscription events)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest

from revstack.simulator import simulate
from revstack.simulator.truth import recognition_schedule

START = date(2024, 11, 1)
EXP = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0, "aud": 2, "cad": 2}
NORMALISE = {"month": (1, 1), "year": (1, 12), "week": (52, 12), "day": (365, 12)}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    home = tmp_path_factory.mktemp("company")
    manifest = simulate(home, seed=42, customers=200, months=12, start=START)
    return home, manifest


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def export(home: Path, entity: str) -> list[dict]:
    (path,) = sorted((home / "landing" / "gateway" / entity).glob("export_*.jsonl"))
    return read_jsonl(path)


def events(home: Path) -> list[dict]:
    out = []
    for path in sorted((home / "landing" / "gateway" / "events").glob("*.jsonl")):
        out.extend(read_jsonl(path))
    return out


def read_csv(home: Path, source: str, entity: str) -> list[dict]:
    (path,) = sorted((home / "landing" / source / entity).glob("*.csv"))
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def day(t: int) -> date:
    return datetime.fromtimestamp(t, tz=UTC).date()


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, seed=7, customers=30, months=4, start=START)
    simulate(b, seed=7, customers=30, months=4, start=START)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    assert len(files_a) > 30
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    simulate(tmp_path / "c", seed=8, customers=30, months=4, start=START)
    assert (tmp_path / "c" / "truth" / "monthly.csv").read_bytes() != (
        a / "truth" / "monthly.csv"
    ).read_bytes()


# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------

REQUIRED = {
    "customers": "id created email name currency address tax_exempt metadata balance",
    "products": "id name active created",
    "prices": "id product currency unit_amount billing_scheme tiers_mode type recurring active "
    "created nickname",
    "coupons": "id percent_off amount_off currency duration duration_in_months created",
    "discounts": "id customer subscription start end source",
    "tax_rates": "id percentage country jurisdiction display_name tax_type inclusive created",
    "subscriptions": "id customer status created start_date trial_start trial_end "
    "cancel_at_period_end cancel_at canceled_at ended_at currency items discounts",
    "invoices": "id customer number status currency subtotal total amount_paid amount_due "
    "amount_remaining total_discount_amounts period_start period_end created due_date "
    "status_transitions lines billing_reason parent total_taxes payments",
    "invoiceitems": "id customer invoice amount currency quantity period proration created pricing",
    "credit_notes": "id invoice customer amount currency created reason status type",
    "charges": "id customer amount amount_captured amount_refunded currency status paid captured "
    "failure_code outcome created balance_transaction refunded disputed application_fee_amount",
    "refunds": "id charge amount currency status created balance_transaction reason",
    "disputes": "id charge amount currency status reason created balance_transactions",
    "balance_transactions": "id amount currency fee fee_details net type reporting_category "
    "source status available_on created exchange_rate",
    "payouts": "id amount currency arrival_date created status balance_transaction automatic",
    "application_fees": "id account amount amount_refunded charge currency created "
    "balance_transaction",
    "transfers": "id amount currency destination created source_transaction",
}
PREFIX = {
    "customers": "cus_",
    "products": "prod_",
    "prices": "price_",
    "discounts": "di_",
    "tax_rates": "txr_",
    "subscriptions": "sub_",
    "invoices": "in_",
    "invoiceitems": "ii_",
    "credit_notes": "cn_",
    "charges": "ch_",
    "refunds": "re_",
    "disputes": "dp_",
    "balance_transactions": "txn_",
    "payouts": "po_",
    "application_fees": "fee_",
    "transfers": "tr_",
}
MONEY_KEYS = {
    "amount",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "amount_refunded",
    "amount_captured",
    "subtotal",
    "total",
    "fee",
    "net",
    "unit_amount",
    "flat_amount",
    "amount_off",
    "taxable_amount",
    "balance",
    "starting_balance",
    "ending_balance",
    "application_fee_amount",
}


def _money_values(obj, found: list) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in MONEY_KEYS and v is not None:
                found.append((k, v))
            _money_values(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _money_values(v, found)


def test_every_export_object_has_its_contract_fields(company) -> None:
    home, manifest = company
    for entity, fields in REQUIRED.items():
        objs = export(home, entity)
        assert objs, entity
        assert manifest["counts"]["gateway"][entity] == len(objs)
        ids = [o["id"] for o in objs]
        assert len(ids) == len(set(ids)), entity
        for o in objs:
            missing = [f for f in fields.split() if f not in o]
            assert not missing, (entity, o["id"], missing)
            if entity in PREFIX:
                assert o["id"].startswith(PREFIX[entity])
            if "currency" in o and o["currency"] is not None:
                assert o["currency"] in EXP
            found: list = []
            _money_values(o, found)
            bad = [(k, v) for k, v in found if type(v) is not int]
            assert not bad, (entity, o["id"], bad)


def test_customers_segments_countries_and_currencies(company) -> None:
    home, _ = company
    customers = export(home, "customers")
    assert {c["currency"] for c in customers} == set(EXP)
    assert {c["metadata"]["segment"] for c in customers} == {
        "smb",
        "mid_market",
        "enterprise",
        "marketplace",
    }
    by_country = {c["address"]["country"]: c["currency"] for c in customers}
    assert by_country["US"] == "usd" and by_country["JP"] == "jpy" and by_country["DE"] == "eur"
    reverse = [c for c in customers if c["tax_exempt"] == "reverse"]
    assert reverse and all(c["address"]["country"] in {"DE", "FR", "NL", "IE"} for c in reverse)


def test_prices_cover_the_catalogue_and_jpy_is_not_scaled(company) -> None:
    home, _ = company
    prices = export(home, "prices")
    starter = {
        (p["currency"], p["recurring"]["interval"], p["recurring"]["interval_count"]): p
        for p in prices
        if p["nickname"].startswith("starter ")
    }
    assert starter[("usd", "month", 1)]["unit_amount"] == 2900
    assert starter[("jpy", "month", 1)]["unit_amount"] == 4350  # ¥4,350, not ¥435,000
    assert starter[("eur", "month", 1)]["unit_amount"] == 2700
    assert starter[("usd", "month", 3)]["unit_amount"] == 3 * 2900
    assert starter[("usd", "year", 1)]["unit_amount"] == 10 * 2900
    tiered = [p for p in prices if p["billing_scheme"] == "tiered"]
    assert {p["tiers_mode"] for p in tiered} == {"volume", "graduated"}
    assert all(p["unit_amount"] is None and p["tiers"][-1]["up_to"] is None for p in tiered)
    assert any(p["recurring"] and p["recurring"]["usage_type"] == "metered" for p in prices)
    assert any(p["type"] == "one_time" for p in prices)
    coupons = export(home, "coupons")
    assert {c["duration"] for c in coupons} == {"once", "repeating", "forever"}
    assert any(c["percent_off"] for c in coupons) and any(c["amount_off"] for c in coupons)


def test_events_are_time_ordered_and_versioned(company) -> None:
    home, _ = company
    files = sorted((home / "landing" / "gateway" / "events").glob("*.jsonl"))
    assert [p.name for p in files][1:3] == ["2024-11-01_events.jsonl", "2024-12-01_events.jsonl"]
    last = 0
    cutoff = datetime(2025, 4, 1, tzinfo=UTC).timestamp()  # 40 % of 12 months
    for path in files:
        month = date.fromisoformat(path.name[:10])
        for e in read_jsonl(path):
            assert e["object"] == "event" and e["id"].startswith("evt_")
            assert e["created"] >= last
            last = e["created"]
            assert day(e["created"]).replace(day=1) == month
            assert e["api_version"] == ("2024-06-20" if last < cutoff else "2026-07-29.dahlia")
            obj = e["data"]["object"]
            assert "id" in obj and "object" in obj
            if obj["object"] == "subscription":
                if e["api_version"] == "2024-06-20":
                    assert "current_period_start" in obj and "discount" in obj
                    assert "discounts" not in obj
                else:
                    assert "current_period_start" in obj["items"]["data"][0]
                    assert "discount" not in obj and isinstance(obj["discounts"], list)
            if obj["object"] == "invoice":
                if e["api_version"] == "2024-06-20":
                    assert "subscription" in obj and "total_tax_amounts" in obj
                    assert "parent" not in obj
                    for ln in obj["lines"]["data"]:
                        assert ln["type"] in ("subscription", "invoiceitem")
                        assert "price" in ln and "tax_amounts" in ln
                else:
                    assert "total_taxes" in obj and "payments" in obj
                    for ln in obj["lines"]["data"]:
                        assert ln["parent"]["type"] in (
                            "subscription_item_details",
                            "invoice_item_details",
                        )
                        assert ln["pricing"]["price_details"]["price"].startswith("price_")
            if obj["object"] == "charge":
                assert ("invoice" in obj) == (e["api_version"] == "2024-06-20")


def test_each_subscription_change_is_an_event_with_the_full_object(company) -> None:
    home, _ = company
    last_version: dict[str, dict] = {}
    for e in events(home):
        obj = e["data"]["object"]
        if obj["object"] == "subscription":
            assert e["type"].startswith("customer.subscription.")
            assert obj["items"]["data"] and obj["items"]["data"][0]["price"]["object"] == "price"
            prev = last_version.get(obj["id"])
            assert prev is None or prev["created"] < e["created"]  # one version per second
            last_version[obj["id"]] = e
    exported = {s["id"]: s for s in export(home, "subscriptions")}
    assert set(exported) == set(last_version)
    for sid, e in last_version.items():
        if e["api_version"] == "2026-07-29.dahlia":
            assert e["data"]["object"] == exported[sid]
        else:
            assert e["data"]["object"]["status"] == exported[sid]["status"]


# --------------------------------------------------------------------------------------------
# Scenario mix
# --------------------------------------------------------------------------------------------


def test_the_scenario_mix_is_present(company) -> None:
    home, manifest = company
    subs_events = [e for e in events(home) if e["data"]["object"]["object"] == "subscription"]
    history: dict[str, list[dict]] = defaultdict(list)
    for e in subs_events:
        history[e["data"]["object"]["id"]].append(e)
    statuses = {sid: [e["data"]["object"]["status"] for e in h] for sid, h in history.items()}

    assert any(s[0] == "trialing" and "active" in s for s in statuses.values())
    assert any(
        s[0] == "trialing" and s[-1] == "canceled" and "active" not in s for s in statuses.values()
    )
    assert any(
        "past_due" in s and s[s.index("past_due") + 1] == "active" for s in statuses.values()
    )
    assert any("unpaid" in s for s in statuses.values())
    period_end_cancels = immediate_cancels = 0
    for h in history.values():
        end = h[-1]
        obj = end["data"]["object"]
        if end["type"] != "customer.subscription.deleted" or obj["ended_at"] == obj["trial_end"]:
            continue
        if obj["cancel_at_period_end"] and obj["ended_at"] == obj["cancel_at"]:
            period_end_cancels += 1
        elif not obj["cancel_at_period_end"] and obj["canceled_at"] == obj["ended_at"]:
            immediate_cancels += 1
    assert period_end_cancels and immediate_cancels
    # a customer with two live subscriptions at once
    by_customer = defaultdict(set)
    for s in export(home, "subscriptions"):
        by_customer[s["customer"]].add(s["id"])
    assert any(len(v) > 1 for v in by_customer.values())
    discount_events = [e for e in events(home) if e["type"].startswith("customer.discount.")]
    assert {e["type"] for e in discount_events} == {
        "customer.discount.created",
        "customer.discount.deleted",
    }

    invoices = export(home, "invoices")
    assert {i["status"] for i in invoices} >= {"paid", "open", "void", "uncollectible"}
    lines = [ln for i in invoices for ln in i["lines"]["data"]]
    prorations = [
        ln
        for ln in lines
        if ln["parent"]["type"] == "invoice_item_details"
        and ln["parent"]["invoice_item_details"]["proration"]
    ]
    assert any(ln["amount"] < 0 for ln in prorations) and any(ln["amount"] > 0 for ln in prorations)
    assert {i["billing_reason"] for i in invoices} >= {
        "subscription_create",
        "subscription_cycle",
        "subscription_update",
    }
    reverse = [
        t for i in invoices for t in i["total_taxes"] if t["taxability_reason"] == "reverse_charge"
    ]
    assert reverse and all(t["amount"] == 0 for t in reverse)
    assert any(t["amount"] > 0 for i in invoices for t in i["total_taxes"])

    charges = {c["id"]: c for c in export(home, "charges")}
    failed = [c for c in charges.values() if c["status"] == "failed"]
    assert failed and all(
        c["failure_code"] and c["outcome"]["network_decline_code"] for c in failed
    )
    refunds = export(home, "refunds")
    assert any(r["amount"] < charges[r["charge"]]["amount"] for r in refunds)
    assert any(charges[r["charge"]]["refunded"] for r in refunds)
    assert export(home, "credit_notes")
    assert {d["status"] for d in export(home, "disputes")} >= {"won", "lost"}
    assert (
        export(home, "payouts") and export(home, "application_fees") and export(home, "transfers")
    )

    movements = pl.read_csv(home / "truth" / "mrr_movements.csv")
    assert set(movements["movement_type"]) == {
        "new",
        "expansion",
        "contraction",
        "churn",
        "reactivation",
    }
    for name in ("upgrade", "downgrade", "reactivation", "past_due_recovered", "unpaid"):
        assert manifest["scenarios"][name] > 0, name


def test_every_charge_refund_dispute_and_payout_has_a_balance_transaction(company) -> None:
    home, _ = company
    txns = {t["id"]: t for t in export(home, "balance_transactions")}
    for c in export(home, "charges"):
        if c["status"] == "succeeded":
            t = txns[c["balance_transaction"]]
            assert t["source"] == c["id"] and t["amount"] == c["amount"] and t["fee"] > 0
            assert t["net"] == t["amount"] - t["fee"]
        else:
            assert c["balance_transaction"] is None
    for r in export(home, "refunds"):
        assert txns[r["balance_transaction"]]["amount"] == -r["amount"]
    for d in export(home, "disputes"):
        assert txns[d["balance_transactions"][0]["id"]]["amount"] == -d["amount"]
        if d["status"] == "won":
            assert len(d["balance_transactions"]) == 2
    for p in export(home, "payouts"):
        assert txns[p["balance_transaction"]]["amount"] == -p["amount"]


def test_payouts_settle_the_balance_transactions_available_since_the_last_payout(company) -> None:
    home, _ = company
    txns = [t for t in export(home, "balance_transactions") if t["type"] != "payout"]
    payouts = sorted(export(home, "payouts"), key=lambda p: (p["currency"], p["created"]))
    previous: dict[str, int] = {}
    for p in payouts:
        cut = p["created"] - p["created"] % 86_400
        lo = previous.get(p["currency"], -1)
        window = [
            t["net"]
            for t in txns
            if t["currency"] == p["currency"] and lo < t["available_on"] <= cut
        ]
        assert p["amount"] == sum(window) > 0
        previous[p["currency"]] = cut


# --------------------------------------------------------------------------------------------
# Usage, CRM, accounting, FX
# --------------------------------------------------------------------------------------------


def test_usage_billed_equals_usage_recorded(company) -> None:
    home, manifest = company
    assert _usage_billed_equals_recorded(home, manifest) > 10


def _usage_events(home: Path) -> tuple[int, dict[str, list[tuple[float, int]]]]:
    """The usage landing files: lines written, and each customer's (time, value) deduplicated."""
    seen, usage = set(), defaultdict(list)
    raw = 0
    for path in sorted((home / "landing" / "usage" / "events").glob("*.jsonl")):
        for e in read_jsonl(path):
            raw += 1
            assert e["specversion"] == "1.0" and e["type"] == "api_requests"
            assert e["subject"].startswith("cus_") and isinstance(e["data"]["value"], int)
            key = (e["source"], e["id"])
            if key in seen:
                continue
            seen.add(key)
            t = datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
            usage[e["subject"]].append((t, e["data"]["value"]))
    return raw, usage


def _usage_billed_equals_recorded(home: Path, manifest: dict) -> int:
    """Every metered invoice line bills exactly the usage recorded in its period; returns the
    number of such lines."""
    raw, usage = _usage_events(home)
    unique = sum(len(v) for v in usage.values())
    assert raw > unique  # some re-deliveries
    assert manifest["counts"]["usage"]["duplicate_deliveries"] == raw - unique
    assert manifest["counts"]["usage"]["events"] == raw
    metered = {
        p["id"]
        for p in export(home, "prices")
        if (p["recurring"] or {}).get("usage_type") == "metered"
    }
    billed = 0
    for inv in export(home, "invoices"):
        for ln in inv["lines"]["data"]:
            if ln["pricing"]["price_details"]["price"] in metered:
                p0, p1 = ln["period"]["start"], ln["period"]["end"]
                recorded = sum(v for t, v in usage[inv["customer"]] if p0 <= t < p1)
                assert ln["quantity"] == recorded
                assert ln["amount"] == recorded * int(ln["pricing"]["unit_amount_decimal"])
                billed += 1
    return billed


def test_usage_density_multiplies_the_events_and_keeps_the_books(tmp_path: Path) -> None:
    """--usage-density 3: about three times the usage events, each about a third of the value,
    so the usage recorded stays about the same; every metered line still bills exactly what
    was recorded, and the truth still follows the gateway's invoices and charges."""
    one, three = tmp_path / "one", tmp_path / "three"
    m1 = simulate(one, seed=5, customers=80, months=6, start=START)
    m3 = simulate(three, seed=5, customers=80, months=6, start=START, usage_density=3)
    assert "usage_density" not in m1 and m3["usage_density"] == 3
    raw1, usage1 = _usage_events(one)
    raw3, usage3 = _usage_events(three)
    assert raw1 == m1["counts"]["usage"]["events"] > 1000
    assert 2.8 < raw3 / raw1 < 3.2
    quantity1 = sum(v for events in usage1.values() for _, v in events)
    quantity3 = sum(v for events in usage3.values() for _, v in events)
    assert 0.85 < quantity3 / quantity1 < 1.15
    assert usage3.keys() == usage1.keys()  # the same metered customers
    assert _usage_billed_equals_recorded(three, m3) > 10
    _truth_invoiced_and_collected_follow_the_gateway(three)
    # the rest of the company is the same: only usage quantities (and so amounts) move
    assert m3["counts"]["gateway"] == m1["counts"]["gateway"]


def test_crm_links_accounts_to_gateway_customers(company) -> None:
    home, manifest = company
    customers = {c["id"]: c for c in export(home, "customers")}
    accounts = read_csv(home, "crm", "account")
    for col in (
        "id",
        "name",
        "is_deleted",
        "system_modstamp",
        "last_modified_date",
        "created_date",
        "billing_country",
        "industry",
        "owner_id",
        "stripe_customer_id_c",
    ):
        assert col in accounts[0]
    linked = [a for a in accounts if a["stripe_customer_id_c"]]
    right = [a for a in linked if customers[a["stripe_customer_id_c"]]["name"] == a["name"]]
    wrong = [a for a in linked if customers[a["stripe_customer_id_c"]]["name"] != a["name"]]
    clients = [a for a in accounts if a["type"] == "Customer - Direct"]
    unlinked = [a for a in clients if not a["stripe_customer_id_c"]]
    assert len(clients) == len(customers)
    assert len(right) > 0.85 * len(clients) and wrong and unlinked
    names = {c["name"] for c in customers.values()}
    assert all(a["name"] in names for a in unlinked)  # matchable by name
    prospects = [a for a in accounts if a["type"] == "Prospect"]
    assert prospects and not any(a["stripe_customer_id_c"] for a in prospects)
    assert manifest["crm_links"]["mislinked"] == len(wrong)
    opps = read_csv(home, "crm", "opportunity")
    for col in (
        "id",
        "account_id",
        "name",
        "stage_name",
        "is_won",
        "is_closed",
        "close_date",
        "amount",
        "type",
        "is_deleted",
        "system_modstamp",
        "created_date",
        "owner_id",
        "probability",
    ):
        assert col in opps[0]
    assert {o["stage_name"] for o in opps} >= {"Closed Won", "Closed Lost"}
    assert any(o["is_deleted"] == "true" for o in opps)
    won = [o for o in opps if o["is_won"] == "true" and o["is_deleted"] == "false"]
    assert all(Decimal(o["amount"]) > 0 and o["is_closed"] == "true" for o in won)
    assert read_csv(home, "crm", "opportunity_line_item") and read_csv(home, "crm", "user")


def test_xero_journals_each_net_to_zero(company) -> None:
    home, _ = company
    journals = read_csv(home, "accounting", "journal")
    lines = read_csv(home, "accounting", "journal_line")
    assert list(lines[0]) == [
        "journal_line_id",
        "account_code",
        "account_id",
        "account_name",
        "account_type",
        "description",
        "gross_amount",
        "journal_id",
        "net_amount",
        "tax_amount",
        "tax_name",
        "tax_type",
    ]
    net: dict[str, Decimal] = defaultdict(Decimal)
    for ln in lines:
        net[ln["journal_id"]] += Decimal(ln["net_amount"])
        assert Decimal(ln["gross_amount"]) == Decimal(ln["net_amount"]) + Decimal(ln["tax_amount"])
        assert Decimal(ln["net_amount"]).as_tuple().exponent == -2
    assert set(net) == {j["journal_id"] for j in journals}
    assert all(v == 0 for v in net.values())
    for j in journals:
        posted = date.fromisoformat(j["created_date_utc"][:10])
        lag = (posted - date.fromisoformat(j["journal_date"])).days
        assert 1 <= lag <= 5
    contacts = read_csv(home, "accounting", "contact")
    customers = {c["id"] for c in export(home, "customers")}
    with_number = [c for c in contacts if c["account_number"]]
    assert with_number and all(c["account_number"] in customers for c in with_number)
    assert len(with_number) < len(contacts)
    assert read_csv(home, "accounting", "invoice") and read_csv(home, "accounting", "account")


def test_fx_file_is_ecb_shaped(company) -> None:
    home, _ = company
    (path,) = (home / "landing" / "fx" / "rates").glob("*.csv")
    rows = path.read_text().splitlines()
    assert rows[0].startswith("Date,USD,JPY,GBP")
    dates = [date.fromisoformat(r.split(",")[0]) for r in rows[1:]]
    assert dates == sorted(dates, reverse=True)
    assert all(d.weekday() < 5 for d in dates)
    assert dates[-1] < START and dates[0] >= date(2025, 10, 31)
    usd = [Decimal(r.split(",")[1]) for r in rows[1:]]
    assert all(Decimal("0.9") < u < Decimal("1.3") and u.as_tuple().exponent == -4 for u in usd)


# --------------------------------------------------------------------------------------------
# Truth
# --------------------------------------------------------------------------------------------


def test_monthly_bridge_identity_holds_exactly(company) -> None:
    home, _ = company
    with open(home / "truth" / "monthly.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["month"] for r in rows][:2] == ["2024-11-01", "2024-12-01"] and len(rows) == 12
    start = Decimal(0)
    for r in rows:
        v = {k: Decimal(x) for k, x in r.items() if k not in ("month", "customers")}
        assert (
            start
            + v["new_mrr"]
            + v["expansion_mrr"]
            + v["reactivation_mrr"]
            - v["contraction_mrr"]
            - v["churned_mrr"]
            + v["fx_impact_mrr"]
            == v["mrr_rc"]
        )
        assert min(v["new_mrr"], v["expansion_mrr"], v["contraction_mrr"], v["churned_mrr"]) >= 0
        assert v["invoiced_rc"] > 0 and v["collected_rc"] > 0
        start = v["mrr_rc"]
    assert Decimal(rows[-1]["mrr_rc"]) > Decimal(rows[0]["mrr_rc"]) > 0


def _rates(home: Path) -> dict[date, dict[str, Decimal]]:
    (path,) = (home / "landing" / "fx" / "rates").glob("*.csv")
    lines = path.read_text().splitlines()
    head = lines[0].rstrip(",").split(",")
    return {
        date.fromisoformat(parts[0]): dict(zip(head[1:], map(Decimal, parts[1:]), strict=False))
        for parts in (ln.rstrip(",").split(",") for ln in lines[1:])
    }


def _rate(rates: dict[date, dict[str, Decimal]], ccy: str, d: date) -> Decimal:
    if ccy == "usd":
        return Decimal(1)
    while d not in rates:
        d -= timedelta(days=1)
    row = rates[d]
    r = row["USD"] if ccy == "eur" else row["USD"] / row[ccy.upper()]
    return r.quantize(Decimal("1e-10"), rounding=ROUND_HALF_UP)


def _price_amount(p: dict, q: int) -> int:
    if p["billing_scheme"] == "per_unit":
        return p["unit_amount"] * q
    if p["tiers_mode"] == "volume":
        for t in p["tiers"]:
            if t["up_to"] is None or q <= t["up_to"]:
                return (t["unit_amount"] or 0) * q + (t["flat_amount"] or 0)
    total, lower = 0, 0
    for t in p["tiers"]:
        units = (q if t["up_to"] is None else min(q, t["up_to"])) - lower
        if units <= 0:
            break
        total += (t["unit_amount"] or 0) * units + (t["flat_amount"] or 0)
        lower = t["up_to"] or lower
    return total


def _sub_mrr(sub: dict, d: date) -> Decimal:
    """Contracts §5, from a subscription object of either API shape."""
    if sub["status"] not in ("active", "past_due"):
        return Decimal(0)
    total = Decimal(0)
    first = None
    for it in sub["items"]["data"]:
        p = it["price"]
        if p["type"] != "recurring" or p["recurring"]["usage_type"] != "licensed":
            continue
        first = first or p
        num, den = NORMALISE[p["recurring"]["interval"]]
        den *= p["recurring"]["interval_count"]
        micro = _price_amount(p, it["quantity"]) * num * 10**6 // (den * 10 ** EXP[p["currency"]])
        total += Decimal(micro).scaleb(-6)
    discounts = (
        sub["discounts"] if "discounts" in sub else [sub["discount"]] * bool(sub["discount"])
    )
    for disc in discounts:
        coupon = disc["source"]["coupon"] if "source" in disc else disc["coupon"]
        if not (day(disc["start"]) <= d and (disc["end"] is None or d < day(disc["end"]))):
            continue
        if coupon["percent_off"] is not None:
            total = total * (1 - Decimal(str(coupon["percent_off"])) / 100)
        else:
            num, den = NORMALISE[first["recurring"]["interval"]]
            den *= first["recurring"]["interval_count"]
            total -= Decimal(coupon["amount_off"]).scaleb(-EXP[coupon["currency"]]) * num / den
        total = max(total, Decimal(0))
    return total.quantize(Decimal("1e-6"), rounding="ROUND_DOWN")


def test_truth_mrr_recomputed_from_the_landing_events(company) -> None:
    home, _ = company
    versions: dict[str, dict[str, list[tuple[int, dict]]]] = defaultdict(lambda: defaultdict(list))
    for e in events(home):
        obj = e["data"]["object"]
        if obj["object"] == "subscription":
            versions[obj["customer"]][obj["id"]].append((e["created"], obj))
    currency = {c["id"]: c["currency"] for c in export(home, "customers")}
    truth = pl.read_parquet(home / "truth" / "customer_mrr_daily.parquet")
    assert truth.schema["mrr"] == pl.Decimal(38, 6) and truth.schema["mrr_rc"] == pl.Decimal(38, 6)
    assert truth["mrr"].min() > 0
    expected = {
        (r["customer_id"], r["date"]): (r["mrr"], r["mrr_rc"]) for r in truth.iter_rows(named=True)
    }
    rates = _rates(home)
    month_ends = []
    d = START
    while d < date(2025, 11, 1):
        nxt = (d + timedelta(days=32)).replace(day=1)
        month_ends.append(nxt - timedelta(days=1))
        d = nxt
    checked = nonzero = 0
    for customer, subs in sorted(versions.items()):
        for d in month_ends:
            mrr = Decimal(0)
            for vs in subs.values():
                in_force = [obj for t, obj in vs if day(t) <= d]
                if in_force:
                    mrr += _sub_mrr(in_force[-1], d)
            got = expected.get((customer, d))
            if mrr == 0:
                assert got is None, (customer, d)
                continue
            rc = (mrr * _rate(rates, currency[customer], d)).quantize(
                Decimal("1e-6"), rounding=ROUND_HALF_UP
            )
            assert got == (mrr, rc), (customer, d, got, mrr, rc)
            checked += 1
            nonzero += 1
    assert nonzero > 500


def test_truth_month_end_totals_match_the_daily_file(company) -> None:
    home, _ = company
    truth = pl.read_parquet(home / "truth" / "customer_mrr_daily.parquet")
    with open(home / "truth" / "monthly.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        m = date.fromisoformat(r["month"])
        last = (m + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        day_rows = truth.filter(pl.col("date") == last)
        assert Decimal(r["mrr_rc"]) == sum(day_rows["mrr_rc"].to_list(), Decimal(0))
        assert int(r["customers"]) == day_rows.height
    movements = pl.read_csv(
        home / "truth" / "mrr_movements.csv", schema_overrides={"mrr_delta_rc": pl.String}
    )
    nov = [
        Decimal(x) for x in movements.filter(pl.col("movement_date") < "2024-12-01")["mrr_delta_rc"]
    ]
    assert sum(nov, Decimal(0)) + Decimal(rows[0]["fx_impact_mrr"]) == Decimal(rows[0]["mrr_rc"])


def test_truth_invoiced_and_collected_follow_the_gateway(company) -> None:
    home, _ = company
    _truth_invoiced_and_collected_follow_the_gateway(home)


def _truth_invoiced_and_collected_follow_the_gateway(home: Path) -> None:
    rates = _rates(home)
    invoiced: dict[str, Decimal] = defaultdict(Decimal)
    for inv in export(home, "invoices"):
        t = inv["status_transitions"]["finalized_at"]
        if t is None:
            continue
        d = day(t)
        amount = Decimal(inv["total"]).scaleb(-EXP[inv["currency"]])
        invoiced[d.replace(day=1).isoformat()] += (
            amount * _rate(rates, inv["currency"], d)
        ).quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP)
    collected: dict[str, Decimal] = defaultdict(Decimal)
    for ch in export(home, "charges"):
        if ch["status"] == "succeeded":
            d = day(ch["created"])
            amount = Decimal(ch["amount"]).scaleb(-EXP[ch["currency"]])
            collected[d.replace(day=1).isoformat()] += (
                amount * _rate(rates, ch["currency"], d)
            ).quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP)
    with open(home / "truth" / "monthly.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            assert Decimal(r["invoiced_rc"]) == invoiced[r["month"]]
            assert Decimal(r["collected_rc"]) == collected[r["month"]]


def test_truth_recognition_follows_stripes_worked_example() -> None:
    # Stripe: 120 USD over 2024-06-15 12:00 → 2024-10-13 12:00 UTC (120 days)
    start = int(datetime(2024, 6, 15, 12, tzinfo=UTC).timestamp())
    end = int(datetime(2024, 10, 13, 12, tzinfo=UTC).timestamp())
    rows = recognition_schedule(12000, "usd", Decimal(1), start, start, end)
    assert [(m.isoformat(), minor, rc) for m, minor, rc, _ in rows] == [
        ("2024-06-01", 1550, Decimal("15.50")),
        ("2024-07-01", 3100, Decimal("31.00")),
        ("2024-08-01", 3100, Decimal("31.00")),
        ("2024-09-01", 3000, Decimal("30.00")),
        ("2024-10-01", 1250, Decimal("12.50")),
    ]
    assert [deferred for *_, deferred in rows][-1] == 0
    # a line without a period, billed on 2024-07-30 12:00: at once, that month
    (row,) = recognition_schedule(999, "jpy", Decimal(1), end - 75 * 86_400, None, None)
    assert row == (date(2024, 7, 1), 999, Decimal(999), Decimal(0))


def test_truth_refunded_and_deferred_revenue_roll_forward(company) -> None:
    """refunded follows the refunds; deferred(m) = deferred(m − 1) + billed(m) − recognised(m)
    − given back(m), where given back is what refunds take out of deferred revenue (at most the
    refunded amount) and what voids of earlier-finalised invoices reverse (their whole net)."""
    home, _ = company
    rates = _rates(home)

    def rc(amount: int, ccy: str, d: date) -> Decimal:
        major = Decimal(amount).scaleb(-EXP[ccy])
        return (major * _rate(rates, ccy, d)).quantize(Decimal("1e-6"), rounding=ROUND_HALF_UP)

    refunded: dict[str, Decimal] = defaultdict(Decimal)
    for re in export(home, "refunds"):
        if re["status"] == "succeeded":
            d = day(re["created"])
            refunded[d.replace(day=1).isoformat()] += rc(re["amount"], re["currency"], d)
    billed: dict[str, Decimal] = defaultdict(Decimal)
    voided: dict[str, Decimal] = defaultdict(Decimal)
    for inv in export(home, "invoices"):
        t = inv["status_transitions"]["finalized_at"]
        if inv["status"] in ("open", "paid", "uncollectible", "void") and t is not None:
            d, ccy = day(t), inv["currency"]
            net_rc = sum(
                rc(ln["amount"] - sum(x["amount"] for x in ln["discount_amounts"]), ccy, d)
                for ln in inv["lines"]["data"]
            )
            billed[d.replace(day=1).isoformat()] += net_rc
            if inv["status"] == "void":
                v = day(inv["status_transitions"]["voided_at"]).replace(day=1).isoformat()
                voided[v] += net_rc
    with open(home / "truth" / "monthly.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    deferred, months_with_refunds, total_given_back = Decimal(0), 0, Decimal(0)
    for r in rows:
        m = r["month"]
        assert Decimal(r["refunded_rc"]) == refunded[m]
        expected = deferred + billed[m] - Decimal(r["recognized_rc"]) - voided[m]
        given_back = expected - Decimal(r["deferred_end_rc"])
        if refunded[m] == 0:
            assert given_back == 0, m
        else:
            months_with_refunds += 1
            assert 0 <= given_back <= refunded[m], m
            total_given_back += given_back
        deferred = Decimal(r["deferred_end_rc"])
    assert sum(Decimal(r["recognized_rc"]) for r in rows) > 0 and deferred > 0
    assert months_with_refunds > 0 and total_given_back > 0


def test_manifest_is_written(company) -> None:
    home, manifest = company
    on_disk = json.loads((home / "truth" / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["seed"] == 42 and manifest["customers"] == 200 and manifest["months"] == 12
    assert manifest["start"] == "2024-11-01" and manifest["end"] == "2025-11-01"
    assert manifest["counts"]["gateway"]["customers"] == 200


def test_invoice_arithmetic_and_payment_links(company) -> None:
    home, _ = company
    charges = {c["id"]: c for c in export(home, "charges")}
    for inv in export(home, "invoices"):
        lines = inv["lines"]["data"]
        assert inv["subtotal"] == sum(ln["amount"] for ln in lines)
        discount = sum(d["amount"] for d in inv["total_discount_amounts"])
        assert discount == sum(d["amount"] for ln in lines for d in ln["discount_amounts"])
        tax = sum(t["amount"] for t in inv["total_taxes"])
        assert tax == sum(t["amount"] for ln in lines for t in ln["taxes"])
        assert inv["total"] == inv["subtotal"] - discount + tax
        if inv["status"] == "paid":
            assert inv["amount_remaining"] == 0 and inv["status_transitions"]["paid_at"]
            paid = [p for p in inv["payments"]["data"] if p["status"] == "paid"]
            if inv["amount_due"]:
                (p,) = paid
                ch = charges[p["payment"]["charge"]]
                assert ch["amount"] == inv["amount_paid"] == inv["amount_due"]
                assert ch["status"] == "succeeded" and ch["customer"] == inv["customer"]
        if inv["status"] != "draft":
            assert inv["number"] and inv["status_transitions"]["finalized_at"] >= inv["created"]
        for ln in lines:
            if ln["period"]["end"] < ln["period"]["start"]:
                raise AssertionError(ln["id"])

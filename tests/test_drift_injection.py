"""Drift injection (``revstack simulate --inject``): each injected break is in the landing files
exactly as ``truth/injected_drift.json`` records it, and nothing else breaks."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion import load_entity
from revstack import cli
from revstack.simulator import simulate
from revstack.simulator.drift import KINDS, DriftError, parse_kinds

ROOT = Path(__file__).resolve().parents[1]
ARGS = ("--seed", "42", "--customers", "50", "--months", "4", "--start", "2024-11-01")
START, END = date(2024, 11, 1), date(2025, 3, 1)
EXP = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0, "aud": 2, "cad": 2}
FILE_KINDS = "duplicate_file,renamed_column,gl_sync_gap,crm_wrong_customer,late_events"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, REVSTACK_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "revstack.cli", "simulate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def digests(home: Path) -> dict[str, str]:
    return {
        p.relative_to(home).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("clean")
    proc = run_cli(home, *ARGS)
    assert proc.returncode == 0, proc.stderr
    return home


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("drifted")
    proc = run_cli(home, *ARGS, "--inject", "all")
    assert proc.returncode == 0, proc.stderr
    assert "injected drift: duplicate_file" in proc.stdout
    return home


@pytest.fixture(scope="module")
def truth(drifted: Path) -> dict:
    return json.loads((drifted / "truth" / "injected_drift.json").read_text("utf-8"))


def records(truth: dict, kind: str) -> list[dict]:
    found = [r for r in truth["drifts"] if r["kind"] == kind]
    assert found, f"no {kind} record"
    return found


def the(truth: dict, kind: str) -> dict:
    (rec,) = records(truth, kind)
    return rec


# -- landing readers ----------------------------------------------------------------------------
def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def export(home: Path, entity: str) -> list[dict]:
    return read_jsonl(home / "landing" / "gateway" / entity / f"export_{END}.jsonl")


def gateway_events(home: Path) -> list[dict]:
    out = []
    for path in sorted((home / "landing" / "gateway" / "events").glob("*_events.jsonl")):
        out.extend(read_jsonl(path))
    return out


def read_csv(home: Path, source: str, entity: str) -> list[dict]:
    with open(home / "landing" / source / entity / f"{entity}_{END}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def usage_events(home: Path) -> dict[tuple[str, str], dict]:
    """Deduplicated by (source, id), as the contract says."""
    out = {}
    for path in sorted((home / "landing" / "usage" / "events").glob("*.jsonl")):
        for ev in read_jsonl(path):
            out[(ev["source"], ev["id"])] = ev
    return out


def day(t: int) -> date:
    return datetime.fromtimestamp(t, tz=UTC).date()


def ts_of(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def ev_ts(ev: dict) -> int:
    return int(datetime.fromisoformat(ev["time"].replace("Z", "+00:00")).timestamp())


def major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-EXP[currency])


class Ecb:
    """rate(ccy -> USD, day) from the landed ECB csv: round(USD/CCY, 10), latest row before."""

    def __init__(self, home: Path) -> None:
        (path,) = (home / "landing" / "fx" / "rates").glob("*.csv")
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        self.rows = sorted((date.fromisoformat(r["Date"]), r) for r in rows)

    def rate(self, currency: str, d: date) -> Decimal:
        if currency == "usd":
            return Decimal(1)
        row = [r for rd, r in self.rows if rd <= d][-1]
        usd = Decimal(row["USD"])
        r = usd if currency == "eur" else usd / Decimal(row[currency.upper()])
        return r.quantize(Decimal("1E-10"), rounding=ROUND_HALF_UP)

    def rc(self, minor: int, currency: str, d: date) -> Decimal:
        x = major(minor, currency) * self.rate(currency, d)
        return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- the truth file -----------------------------------------------------------------------------
def test_truth_file_records_every_kind_with_its_check(truth: dict, drifted: Path) -> None:
    assert truth["kinds"] == list(KINDS)
    assert {r["kind"] for r in truth["drifts"]} == set(KINDS)
    for r in truth["drifts"]:
        assert set(r) == {
            "kind",
            "check",
            "key",
            "period",
            "amount",
            "currency",
            "description",
            "files",
            "details",
        }
        assert r["check"] == KINDS[r["kind"]]
        assert r["key"] and r["description"] and "\n" not in r["description"]
        assert len(r["period"]) in (7, 10)  # YYYY-MM or YYYY-MM-DD
        assert r["files"] and all((drifted / f).is_file() for f in r["files"])
        if r["amount"] is not None:
            amount = Decimal(r["amount"])  # an exact decimal string, never a float
            assert amount != 0
            assert -amount.as_tuple().exponent == EXP[r["currency"]]
        else:
            assert r["currency"] is None


def test_payment_outage_fails_every_charge_of_its_day_and_retries_hourly(
    truth: dict, drifted: Path, clean: Path
) -> None:
    """The processor is down for one UTC day: every charge attempted in it fails with
    processing_error, as recorded; each invoice is retried an hour later until the day ends, and
    is then paid or declined as in normal dunning. The clean company has no processing_error."""
    rec = the(truth, "payment_outage")
    down = date.fromisoformat(rec["period"])
    assert rec["key"] == f"failed_charge_share:{down}"
    assert down == END - timedelta(days=4)
    charges = export(drifted, "charges")
    on_day = [c for c in charges if day(c["created"]) == down]
    outage = [c for c in charges if c["failure_code"] == "processing_error"]
    assert {c["id"] for c in outage} == {c["id"] for c in on_day}
    assert all(c["status"] == "failed" and not c["paid"] for c in on_day)
    per_invoice: dict[str, list[int]] = defaultdict(list)
    for c in outage:  # an invoice's charges share its payment intent: pi_<invoice id's tail>
        per_invoice["in_" + c["payment_intent"].removeprefix("pi_")].append(c["created"])
    assert {k: len(v) for k, v in per_invoice.items()} == rec["details"]["invoices"]
    assert len(outage) == rec["details"]["failed_attempts"] > 0
    for times in per_invoice.values():
        times.sort()
        assert all(b - a == 3600 for a, b in itertools.pairwise(times))  # retried hourly
        assert times[-1] + 3600 >= ts_of(down + timedelta(days=1))  # until the day ends
    assert not any(c["failure_code"] == "processing_error" for c in export(clean, "charges"))


def test_injection_is_deterministic_for_a_seed(drifted: Path, tmp_path: Path) -> None:
    simulate(tmp_path, seed=42, customers=50, months=4, start=START, inject=["all"])
    assert digests(tmp_path) == digests(drifted)


# -- one test per kind --------------------------------------------------------------------------
def test_duplicate_file_has_the_originals_bytes_and_is_skipped(truth: dict, drifted: Path) -> None:
    rec = the(truth, "duplicate_file")
    copy, original = drifted / rec["key"], drifted / rec["details"]["original"]
    assert copy != original and copy.read_bytes() == original.read_bytes()
    assert rec["details"]["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    with duckdb.connect() as con:
        result = load_entity(con, "gateway", "events", home=drifted)
    assert result.files_skipped == 1  # the loader sees the same content again
    assert not result.blocked


def test_renamed_column_breaks_the_charges_contract(truth: dict, drifted: Path) -> None:
    rec = the(truth, "renamed_column")
    rows = read_jsonl(drifted / rec["key"])
    assert len(rows) == rec["details"]["rows"] > 0
    assert all("amount" not in r and isinstance(r["amount_value"], int) for r in rows)
    assert all("amount" in r for r in export(drifted, "payouts"))  # only that file
    with duckdb.connect() as con:
        result = load_entity(con, "gateway", "charges", home=drifted)
    assert result.blocked and result.blocked_file == rec["key"]
    assert "'amount'" in result.blocked_reason


def test_gl_sync_gap_leaves_a_week_without_journals(truth: dict, drifted: Path) -> None:
    rec = the(truth, "gl_sync_gap")
    days = {date.fromisoformat(d) for d in rec["details"]["days"]}
    assert len(days) == 7 and min(days).weekday() == 0 and rec["period"] == str(min(days))
    journals = read_csv(drifted, "accounting", "journal")
    dates = {date.fromisoformat(j["journal_date"]) for j in journals}
    assert not dates & days
    assert min(days) - timedelta(days=3) <= max(d for d in dates if d < min(days))
    assert max(days) + timedelta(days=3) >= min(d for d in dates if d > max(days))
    ids = {j["journal_id"] for j in journals}
    assert all(ln["journal_id"] in ids for ln in read_csv(drifted, "accounting", "journal_line"))
    # the gateway cash of the week (charges collected, at the ECB rate of their day) is the
    # recorded amount: what a gateway-vs-GL cash check finds missing
    ecb = Ecb(drifted)
    cash = sum(
        (
            ecb.rc(
                e["data"]["object"]["amount"], e["data"]["object"]["currency"], day(e["created"])
            )
            for e in gateway_events(drifted)
            if e["type"] == "charge.succeeded" and day(e["created"]) in days
        ),
        Decimal(0),
    )
    assert cash > 0 and f"{cash:.2f}" == rec["amount"] and rec["currency"] == "usd"


def test_payout_mismatch_is_the_only_payout_off_its_transactions(
    truth: dict, drifted: Path
) -> None:
    rec = the(truth, "payout_mismatch")
    txns = export(drifted, "balance_transactions")
    settling = sorted(
        (t for t in txns if t["type"] != "payout"), key=lambda t: (t["available_on"], t["id"])
    )
    off = {}
    payouts = sorted(export(drifted, "payouts"), key=lambda p: p["created"])
    for cur in {p["currency"] for p in payouts}:
        prev = None
        for po in (p for p in payouts if p["currency"] == cur):
            today = po["created"] - po["created"] % 86_400
            settled = [
                t
                for t in settling
                if t["currency"] == cur
                and t["available_on"] <= today
                and (prev is None or t["available_on"] > prev)
            ]
            diff = po["amount"] - sum(t["net"] for t in settled)
            if diff:
                off[po["id"]] = (major(diff, cur), cur, [t["id"] for t in settled])
            prev = today
            own = next(t for t in txns if t["id"] == po["balance_transaction"])
            assert own["amount"] == own["net"] == -po["amount"]
    assert list(off) == [rec["key"]]
    amount, cur, settled_ids = off[rec["key"]]
    assert (f"{amount:f}", cur) == (rec["amount"], rec["currency"])
    assert sorted(settled_ids) == sorted(rec["details"]["settled_balance_transactions"])
    paid = [
        e
        for e in gateway_events(drifted)
        if e["type"] == "payout.paid" and e["data"]["object"]["id"] == rec["key"]
    ]
    assert paid and paid[0]["data"]["object"]["amount"] == int(
        Decimal(rec["details"]["payout_amount"]).scaleb(EXP[cur])
    )


def test_crm_wrong_customer_relinks_a_right_link_in_the_next_sync(
    truth: dict, drifted: Path, clean: Path
) -> None:
    rec = the(truth, "crm_wrong_customer")
    names = {c["id"]: c["name"] for c in export(drifted, "customers")}
    wrong, right = rec["details"]["linked_customer_id"], rec["details"]["right_customer_id"]
    # the snapshot is the clean company's, where the account links its own customer ...
    (snapshot_row,) = (a for a in read_csv(drifted, "crm", "account") if a["id"] == rec["key"])
    assert snapshot_row["stripe_customer_id_c"] == right and names[right] == snapshot_row["name"]
    assert rec["details"]["snapshot"] == f"landing/crm/account/account_{END}.csv"
    # ... and the next sync delivers one newer version of it, linked to another customer
    (rel,) = rec["files"]
    assert rel == f"landing/crm/account/account_{END}_sync2.csv"
    with open(drifted / rel, encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert {k: v for k, v in row.items() if k not in CHANGED} == {
        k: v for k, v in snapshot_row.items() if k not in CHANGED
    }
    assert row["stripe_customer_id_c"] == wrong != right and names[wrong] != row["name"]
    assert row["system_modstamp"] == row["last_modified_date"] == rec["details"]["changed_at"]
    assert row["system_modstamp"] == f"{END} 09:00:00" > snapshot_row["system_modstamp"]
    assert row["_fivetran_synced"] == f"{END} 10:00:00" > snapshot_row["_fivetran_synced"]

    def mislinked(home: Path) -> int:
        cust = {c["id"]: c["name"] for c in export(home, "customers")}
        return sum(
            1
            for a in read_csv(home, "crm", "account")
            if a["stripe_customer_id_c"] and cust[a["stripe_customer_id_c"]] != a["name"]
        )

    manifest = json.loads((clean / "truth" / "manifest.json").read_text("utf-8"))
    assert mislinked(clean) == mislinked(drifted) == manifest["crm_links"]["mislinked"] > 0


CHANGED = {"stripe_customer_id_c", "system_modstamp", "last_modified_date", "_fivetran_synced"}


def test_unbilled_usage_is_the_only_usage_line_below_its_events(truth: dict, drifted: Path) -> None:
    rec = the(truth, "unbilled_usage")
    metered = {p["id"]: p for p in export(drifted, "prices") if p["recurring"]}
    metered = {k: p for k, p in metered.items() if p["recurring"]["usage_type"] == "metered"}
    by_customer = defaultdict(list)
    for ev in usage_events(drifted).values():
        by_customer[ev["subject"]].append((ev_ts(ev), ev["data"]["value"]))
    short = {}
    for inv in export(drifted, "invoices"):
        for ln in inv["lines"]["data"]:
            price = ln["pricing"]["price_details"]["price"]
            if price not in metered:
                continue
            p0, p1 = ln["period"]["start"], ln["period"]["end"]
            recorded = sum(v for t, v in by_customer[inv["customer"]] if p0 <= t < p1)
            assert ln["amount"] == ln["quantity"] * metered[price]["unit_amount"]
            if recorded != ln["quantity"]:
                short[inv["customer"]] = (inv, ln, recorded, metered[price])
    assert list(short) == [rec["key"]]
    inv, ln, recorded, price = short[rec["key"]]
    d = rec["details"]
    assert (inv["id"], ln["id"], ln["quantity"], ln["amount"]) == (
        d["invoice_id"],
        d["invoice_line_id"],
        0,
        0,
    )
    assert recorded == d["quantity_recorded"] > 0
    assert rec["amount"] == f"{major(recorded * price['unit_amount'], inv['currency']):f}"
    assert rec["currency"] == inv["currency"] and inv["total"] > 0


def test_volume_drop_leaves_under_a_tenth_of_normal_usage(truth: dict, drifted: Path) -> None:
    recs = records(truth, "volume_drop")
    assert [r["period"] for r in recs] == [str(END - timedelta(days=i)) for i in (3, 2, 1)]
    per_day: dict[str, list[int]] = defaultdict(list)
    for ev in usage_events(drifted).values():
        per_day[ev["time"][:10]].append(ev["data"]["value"])
    base = [str(END - timedelta(days=i)) for i in range(4, 18)]
    baseline = Decimal(sum(len(per_day[d]) for d in base)) / 14
    assert baseline > 0
    for r in recs:
        d = r["details"]
        assert r["key"] == f"usage:{r['period']}"
        assert len(per_day[r["period"]]) == d["events_after"]
        assert sum(per_day[r["period"]]) == d["value_after"]
        assert d["events_before"] > d["events_after"]
        assert d["baseline_events_per_day"] == f"{baseline:.2f}"
        assert d["events_after"] * 10 < baseline or d["events_after"] <= 1  # (few events a day)
    # one event in 20 of the three days is kept, in generation order
    kept, before = (sum(r["details"][k] for r in recs) for k in ("events_after", "events_before"))
    assert kept == before // 20 and kept * 10 < baseline * len(recs)


def test_late_events_arrive_in_the_next_months_file(truth: dict, drifted: Path) -> None:
    rec = the(truth, "late_events")
    d = rec["details"]
    expected, delivered = drifted / d["expected_file"], drifted / d["delivered_in"]
    ids = set(d["event_ids"])
    assert ids and len(ids) == d["count"]
    assert not ids & {e["id"] for e in read_jsonl(expected)}
    lines = read_jsonl(delivered)
    block = lines[d["first_line"] - 1 : d["first_line"] - 1 + d["count"]]
    assert [e["id"] for e in block] == d["event_ids"]
    assert all(str(day(e["created"])) == rec["period"] for e in block)
    month = date.fromisoformat(delivered.name[:10])
    assert day(lines[d["first_line"] - 2]["created"]) >= month  # after events of its month
    # every other event of every file is created in the file's month
    for path in sorted((drifted / "landing" / "gateway" / "events").glob("*.jsonl")):
        first = date.fromisoformat(path.name[:10])
        odd = [
            e["id"]
            for e in read_jsonl(path)
            if (day(e["created"]).year, day(e["created"]).month) != (first.year, first.month)
        ]
        assert odd == (d["event_ids"] if path == delivered else [])


def test_gl_currency_missing_books_one_invoice_in_usd(truth: dict, drifted: Path) -> None:
    rec = the(truth, "gl_currency_missing")
    gateway = {i["id"]: i for i in export(drifted, "invoices")}
    xero = read_csv(drifted, "accounting", "invoice")
    wrong = [x for x in xero if x["currency_code"].lower() != gateway[x["reference"]]["currency"]]
    assert [x["reference"] for x in wrong] == [rec["key"]]
    (x,) = wrong
    inv = gateway[rec["key"]]
    assert inv["currency"] == rec["currency"] != "usd"
    assert x["currency_code"] == "USD" and x["currency_rate"] == "1.000000"
    assert Decimal(x["total"]) == major(inv["total"], inv["currency"]) == Decimal(rec["amount"])
    (journal,) = (
        j
        for j in read_csv(drifted, "accounting", "journal")
        if j["reference"] == rec["key"] and j["source_type"] == "ACCREC"
    )
    lines = [
        ln
        for ln in read_csv(drifted, "accounting", "journal_line")
        if ln["journal_id"] == journal["journal_id"]
    ]
    (receivable,) = (ln for ln in lines if ln["account_code"] == "610")
    assert receivable["net_amount"] == rec["details"]["booked_total_rc"] == rec["amount"]
    booked_on = date.fromisoformat(journal["journal_date"])
    expected = Ecb(drifted).rc(inv["total"], inv["currency"], booked_on)
    assert f"{expected:.2f}" == rec["details"]["expected_total_rc"]
    assert expected != Decimal(rec["amount"])


def test_tax_rate_change_is_not_followed_by_the_gl(truth: dict, drifted: Path) -> None:
    recs = records(truth, "tax_rate_change")
    d0 = recs[0]["details"]
    rates = {r["id"]: r for r in export(drifted, "tax_rates")}
    new, old = rates[d0["new_tax_rate_id"]], rates[d0["old_tax_rate_id"]]
    assert new["country"] == old["country"] == d0["country"]
    assert Decimal(str(new["percentage"])) == Decimal(str(old["percentage"])) + 2
    change = new["created"]
    assert day(change) == END.replace(month=END.month - 1) and change % 86_400 == 0
    assert any(
        e["type"] == "tax_rate.created" and e["data"]["object"]["id"] == new["id"]
        for e in gateway_events(drifted)
    )
    gateway = {i["id"]: i for i in export(drifted, "invoices") if i["total"]}
    for inv in gateway.values():  # the gateway follows the change, exactly from its time
        ids = {t["tax_rate_details"]["tax_rate"] for t in inv["total_taxes"]}
        if inv["customer_address"]["country"] == new["country"]:
            assert ids == ({new["id"]} if inv["created"] >= change else {old["id"]})
        else:
            assert new["id"] not in ids
    xero = {x["reference"]: x for x in read_csv(drifted, "accounting", "invoice")}
    diff = {}
    for inv_id, inv in gateway.items():
        gw = major(sum(t["amount"] for t in inv["total_taxes"]), inv["currency"])
        if gw != Decimal(xero[inv_id]["total_tax"]):
            diff[inv_id] = (gw - Decimal(xero[inv_id]["total_tax"]), inv)
    assert sorted(diff) == sorted(r["key"] for r in recs)
    journals = {
        j["reference"]: j["journal_id"]
        for j in reversed(read_csv(drifted, "accounting", "journal"))
        if j["source_type"] == "ACCREC"
    }
    tax_lines = {
        ln["journal_id"]: ln
        for ln in read_csv(drifted, "accounting", "journal_line")
        if ln["account_code"] == "820"
    }
    pct_old = Decimal(str(old["percentage"]))
    for r in recs:
        amount, inv = diff[r["key"]]
        assert (f"{amount:f}", inv["currency"]) == (r["amount"], r["currency"])
        assert inv["created"] >= change and r["period"] == str(day(inv["created"]))[:7]
        old_tax = sum(
            int((Decimal(t["taxable_amount"]) * pct_old / 100).quantize(1, ROUND_HALF_UP))
            for t in inv["total_taxes"]
        )
        assert f"{major(old_tax, inv['currency']):f}" == r["details"]["gl_tax"]
        assert tax_lines[journals[r["key"]]]["net_amount"] == f"-{r['details']['gl_tax_rc']}"


# -- the clean company and the command line -----------------------------------------------------
def test_the_clean_company_has_no_drift(clean: Path, tmp_path: Path) -> None:
    assert not (clean / "truth" / "injected_drift.json").exists()
    assert "injected_drift" not in json.loads((clean / "truth" / "manifest.json").read_text())
    # kinds applied to the landing files leave every other file of the clean company as it is
    # (no hook fires in the simulation unless its kind is injected)
    simulate(tmp_path, seed=42, customers=50, months=4, start=START, inject=[FILE_KINDS])
    before, after = digests(clean), digests(tmp_path)
    assert set(before) <= set(after)
    changed = {f for f in before if before[f] != after[f]} | (set(after) - set(before))
    truth = json.loads((tmp_path / "truth" / "injected_drift.json").read_text("utf-8"))
    recorded = {f for r in truth["drifts"] for f in r["files"]}
    assert changed == recorded | {"truth/manifest.json", "truth/injected_drift.json"}


def test_inject_values_are_repeatable_comma_separated_or_all() -> None:
    assert tuple(KINDS) == cli.DRIFT_KINDS
    assert parse_kinds(["late_events,duplicate_file", "late_events"]) == (
        "duplicate_file",
        "late_events",
    )
    assert parse_kinds(["all"]) == tuple(KINDS)
    with pytest.raises(DriftError, match="unknown drift kind 'nope'"):
        parse_kinds(["duplicate_file,nope"])


def test_an_unknown_kind_exits_non_zero_listing_the_kinds(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, *ARGS, "--inject", "late_events,bogus")
    assert proc.returncode != 0
    assert "unknown drift kind 'bogus'" in proc.stderr
    assert all(kind in proc.stderr for kind in KINDS)
    assert not (tmp_path / "landing").exists()

"""The report marts (marts/reports: AR aging, DSO, dunning, tax, disputes, marketplace).

Two companies: the hand-written dev seed (tests/dbt_dev_seed.py), whose figures are worked out
by hand below, and a small simulated company (200 customers, 12 months, seed 3) built end to end
with `revstack simulate` + `revstack build`, whose every report figure is recomputed here
independently in Python from the simulator's landing files (the gateway exports and the ECB
rates) and must match to the last decimal.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.test_simulator import EXP, _rate, _rates, export

Q6 = Decimal("1e-6")
BUCKETS = ("current", "1_30", "31_60", "61_90", "over_90")


def ts(t: int) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC).replace(tzinfo=None)


def month_of(d: date | datetime) -> date:
    return date(d.year, d.month, 1)


def last_day(m: date) -> date:
    nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(m: date, n: int) -> date:
    k = m.year * 12 + m.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def div6(a: Decimal, b: Decimal) -> Decimal | None:
    return None if not b else (Decimal(a) / Decimal(b)).quantize(Q6, rounding=ROUND_HALF_UP)


def rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# --------------------------------------------------------------------------------------------
# The hand-written dev seed
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def dev(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def test_dev_seed_ar_aging_and_dso(dev) -> None:
    # in_A2_jun: 238 USD finalised 2024-06-10, due 2024-07-10, still open: current at June's end
    assert rows(dev, "select * exclude (as_of_date) from marts.rpt_ar_aging") == [
        {
            "month": date(2024, 6, 1),
            "customer_id": "cus_A",
            "reporting_currency": "USD",
            "open_invoices": 1,
            "open_receivables_rc": Decimal("238"),
            "current_rc": Decimal("238"),
            "past_due_1_30_rc": 0,
            "past_due_31_60_rc": 0,
            "past_due_61_90_rc": 0,
            "past_due_over_90_rc": 0,
            "past_due_rc": 0,
            "max_days_past_due": -10,
        }
    ]
    june = rows(dev, "select * from marts.rpt_dso where month = '2024-06-01'")[0]
    # April-June: 91 days; invoiced 238 USD + three JPY invoices at their finalisation rates
    jpy = [
        (7000, Decimal("0.0066089860")),
        (7000, Decimal("0.0067912292")),
        (11200, Decimal("0.0066453382")),
    ]
    invoiced = Decimal(238) + sum((Decimal(a) * r).quantize(Q6, ROUND_HALF_UP) for a, r in jpy)
    assert invoiced == Decimal("406.229294") == june["invoiced_trailing_3m_rc"]
    assert june["window_days"] == 91 and june["receivables_rc"] == Decimal(238)
    assert june["dso_days"] == div6(Decimal(238 * 91), invoiced) == Decimal("53.314717")
    # no receivables before June: DSO 0 while something was invoiced
    assert {
        r["dso_days"] for r in rows(dev, "select * from marts.rpt_dso where month < '2024-06-01'")
    } == {0}


def test_dev_seed_dunning_disputes_tax_marketplace(dev) -> None:
    # ch_D_fail: 360 USD failed (card_declined), its invoice later voided: never recovered
    assert rows(
        dev,
        "select month, failure_code, decline_code, failed_payments, failed_amount_rc, "
        "recovered_payments, recovery_rate, mean_days_to_recover from marts.rpt_dunning",
    ) == [
        {
            "month": date(2024, 4, 1),
            "failure_code": "card_declined",
            "decline_code": "card_declined",
            "failed_payments": 1,
            "failed_amount_rc": Decimal(360),
            "recovered_payments": 0,
            "recovery_rate": Decimal(0),
            "mean_days_to_recover": None,
        }
    ]
    # dp_B1: 1,359 EUR disputed 2024-04-01 (charged in February), fee 15 EUR, closed as lost
    april = rows(dev, "select * from marts.rpt_disputes where month = '2024-04-01'")[0]
    eur_apr1 = april["disputed_amount_rc"] / Decimal(1359)
    assert april["disputes_opened"] == 1 and april["disputes_open"] == 0
    assert (april["disputes_lost"], april["disputes_won"], april["win_rate"]) == (1, 0, 0)
    assert april["amount_lost_rc"] == april["disputed_amount_rc"] == Decimal("1472.4765")
    assert april["dispute_fees_rc"] == (15 * eur_apr1).quantize(Q6) == Decimal("16.2525")
    assert april["dispute_rate"] is None  # no charge in April
    feb = rows(dev, "select * from marts.rpt_disputes where month = '2024-02-01'")[0]
    assert (feb["charges"], feb["disputes_opened"], feb["dispute_rate"]) == (1, 0, 0)
    # VAT 19 % on in_B1 (older shape: 1,250 EUR taxable, 209 tax at 1.0825) and in_C1_5 (dahlia)
    tax = rows(
        dev, "select month, taxable_amount_rc, tax_collected_rc from marts.rpt_tax order by month"
    )
    assert tax[0] == {
        "month": date(2024, 2, 1),
        "taxable_amount_rc": Decimal("1353.125"),
        "tax_collected_rc": Decimal("226.2425"),
    }
    assert tax[1]["month"] == date(2024, 6, 1)
    # the application fee (1 USD) and transfer (5 USD) on ch_A1, a charge with no connected account
    march = rows(dev, "select * from marts.rpt_marketplace where month = '2024-03-01'")[0]
    assert march["application_fees_rc"] == 1 and march["transfers_rc"] == 5
    assert march["gross_volume_rc"] == 0 and march["take_rate"] is None


# --------------------------------------------------------------------------------------------
# The simulated company, recomputed from its landing files
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(small_home: Path):
    connection = duckdb.connect(str(small_home / "warehouse" / "revstack.duckdb"), read_only=True)
    yield small_home, connection
    connection.close()


class Gateway:
    """The simulator's gateway exports (latest state of every object) and the ECB rates."""

    def __init__(self, home: Path) -> None:
        self.rates = _rates(home)
        self.invoices = export(home, "invoices")
        self.charges = export(home, "charges")
        self.refunds = export(home, "refunds")
        self.disputes = export(home, "disputes")
        self.fees = export(home, "application_fees")
        self.transfers = export(home, "transfers")
        self.invoice_of = {
            p["payment"]["charge"]: inv["id"]
            for inv in self.invoices
            for p in inv["payments"]["data"]
        }

    def rc(self, minor: int, ccy: str, d: date) -> Decimal:
        amount = Decimal(minor).scaleb(-EXP[ccy])
        return (amount * _rate(self.rates, ccy, d)).quantize(Q6, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def gw(sim) -> Gateway:
    return Gateway(sim[0])


def test_sim_disputes(sim, gw) -> None:
    _, con = sim
    charges: dict[date, int] = defaultdict(int)
    for ch in gw.charges:
        if ch["status"] == "succeeded":
            charges[month_of(ts(ch["created"]))] += 1
    exp: dict[date, dict] = defaultdict(
        lambda: {"opened": 0, "won": 0, "lost": 0, "lost_rc": Decimal(0), "fees_rc": Decimal(0)}
    )
    for dp in gw.disputes:
        d = ts(dp["created"]).date()
        e = exp[month_of(d)]
        e["opened"] += 1
        e[dp["status"]] = e.get(dp["status"], 0) + 1
        if dp["status"] == "lost":
            e["lost_rc"] += gw.rc(dp["amount"], dp["currency"], d)
        e["fees_rc"] += gw.rc(dp["balance_transactions"][0]["fee"], dp["currency"], d)
    got = {r["month"]: r for r in rows(con, "select * from marts.rpt_disputes")}
    assert sum(e["opened"] for e in exp.values()) == len(gw.disputes) >= 5
    assert sum(e["won"] + e["lost"] for e in exp.values()) >= 2
    for m, r in got.items():
        e = exp[m]
        assert r["charges"] == charges[m], m
        assert (r["disputes_opened"], r["disputes_won"], r["disputes_lost"]) == (
            e["opened"],
            e["won"],
            e["lost"],
        ), m
        assert r["dispute_rate"] == div6(e["opened"], charges[m]), m
        assert r["win_rate"] == div6(e["won"], e["won"] + e["lost"]), m
        assert (r["amount_lost_rc"], r["dispute_fees_rc"]) == (e["lost_rc"], e["fees_rc"]), m
    assert set(exp) <= set(got)


def test_sim_marketplace(sim, gw) -> None:
    _, con = sim
    exp: dict[date, dict] = defaultdict(lambda: defaultdict(Decimal))
    for ch in gw.charges:
        acct = (ch.get("transfer_data") or {}).get("destination") or ch.get("on_behalf_of")
        if ch["status"] == "succeeded" and acct:
            d = ts(ch["created"]).date()
            exp[month_of(d)]["n"] += 1
            exp[month_of(d)]["gross"] += gw.rc(ch["amount"], ch["currency"], d)
    for fee in gw.fees:
        d = ts(fee["created"]).date()
        exp[month_of(d)]["fees"] += gw.rc(fee["amount"], fee["currency"], d)
        exp[month_of(d)]["refunded"] += gw.rc(fee["amount_refunded"], fee["currency"], d)
    for tr in gw.transfers:
        d = ts(tr["created"]).date()
        exp[month_of(d)]["transfers"] += gw.rc(tr["amount"], tr["currency"], d)
    got = {r["month"]: r for r in rows(con, "select * from marts.rpt_marketplace")}
    assert sum(e["n"] for e in exp.values()) == len(gw.fees) > 20
    assert set(exp) <= set(got)
    for m, r in got.items():
        e = exp[m]
        net = e["fees"] - e["refunded"]
        assert r["connected_charges"] == e["n"], m
        assert r["gross_volume_rc"] == e["gross"], m
        assert (r["application_fees_rc"], r["platform_fee_revenue_rc"]) == (e["fees"], net), m
        assert r["take_rate"] == div6(net, e["gross"]), m
        assert r["transfers_rc"] == e["transfers"], m
    # the simulator's platform keeps 20 % of every connected charge
    total = rows(
        con,
        "select sum(platform_fee_revenue_rc) as fees, sum(gross_volume_rc) as gross "
        "from marts.rpt_marketplace",
    )[0]
    assert abs(total["fees"] / total["gross"] - Decimal("0.2")) < Decimal("0.0001")


def test_sim_dunning(sim, gw) -> None:
    _, con = sim
    by_invoice: dict[str, list[dict]] = defaultdict(list)
    for ch in gw.charges:
        by_invoice[gw.invoice_of.get(ch["id"])].append(ch)
    groups: dict[tuple, dict] = defaultdict(lambda: {"failed": 0, "secs": []})
    for ch in gw.charges:
        if ch["status"] != "failed":
            continue
        key = (
            month_of(ts(ch["created"])),
            ch["failure_code"],
            ch["outcome"]["reason"] or ch["failure_code"],
        )
        groups[key]["failed"] += 1
        inv = gw.invoice_of.get(ch["id"])
        later = [
            c["created"]
            for c in by_invoice[inv]
            if inv and c["status"] == "succeeded" and c["created"] > ch["created"]
        ]
        if later:
            groups[key]["secs"].append(min(later) - ch["created"])
    got = {
        (r["month"], r["failure_code"], r["decline_code"]): r
        for r in rows(con, "select * from marts.rpt_dunning")
    }
    assert set(got) == set(groups)
    assert sum(g["failed"] for g in groups.values()) > 30
    assert sum(len(g["secs"]) for g in groups.values()) > 10
    for key, g in groups.items():
        r, secs = got[key], g["secs"]
        days = [div6(Decimal(s), Decimal(86400)) for s in secs]
        assert (r["failed_payments"], r["recovered_payments"]) == (g["failed"], len(days)), key
        assert r["recovery_rate"] == div6(len(days), g["failed"]), key
        if days:
            assert r["mean_days_to_recover"] == div6(sum(secs), Decimal(86400 * len(secs))), key
            median = statistics.median(days)
            assert r["median_days_to_recover"] == median.quantize(Q6, ROUND_HALF_UP), key
        else:
            assert r["mean_days_to_recover"] is None and r["median_days_to_recover"] is None


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def test_sim_tax(sim, gw) -> None:
    """rpt_tax from the landing files: tax entries at the invoice's rate in its month; a voided
    invoice reversed in its void's month; a refund's tax part (amount × tax ÷ total) spread over
    the entries by their tax with cumulative rounding, at the invoice's rate in the refund's
    month."""
    _, con = sim
    exp: dict[tuple, dict] = defaultdict(lambda: defaultdict(Decimal))
    taxes_of = {}
    voids = 0
    for inv in gw.invoices:
        fin = inv["status_transitions"]["finalized_at"]
        if fin is None or inv["status"] not in ("open", "paid", "uncollectible", "void"):
            continue
        d = ts(fin).date()
        taxes_of[inv["id"]] = (inv, d)
        voided = inv["status_transitions"]["voided_at"] if inv["status"] == "void" else None
        for t in inv["total_taxes"]:
            rate_id = t["tax_rate_details"]["tax_rate"]
            taxable = gw.rc(t["taxable_amount"], inv["currency"], d)
            tax = gw.rc(t["amount"], inv["currency"], d)
            kind = "reverse" if t["taxability_reason"] == "reverse_charge" else "taxable"
            exp[(month_of(d), rate_id)][kind] += taxable
            exp[(month_of(d), rate_id)]["tax"] += tax
            if voided is not None:
                voids += 1
                exp[(month_of(ts(voided).date()), rate_id)][kind] -= taxable
                exp[(month_of(ts(voided).date()), rate_id)]["voided"] += tax
    refunded_tax = 0
    for re in gw.refunds:
        inv, d = taxes_of.get(gw.invoice_of.get(re["charge"]), (None, None))
        if re["status"] != "succeeded" or inv is None or inv["status"] == "void":
            continue
        entries = [t for t in inv["total_taxes"] if t["amount"]]
        invoice_tax = sum(t["amount"] for t in entries)
        if inv["total"] <= 0 or invoice_tax <= 0:
            continue
        part = _half_up(re["amount"] * invoice_tax, inv["total"])
        through, done = 0, 0
        for t in entries:
            through += t["amount"]
            upto = _half_up(part * through, invoice_tax)
            refunded_tax += upto - done
            key = (month_of(ts(re["created"]).date()), t["tax_rate_details"]["tax_rate"])
            exp[key]["refunded"] += gw.rc(upto - done, inv["currency"], d)
            done = upto
    got = {(r["month"], r["tax_rate_id"]): r for r in rows(con, "select * from marts.rpt_tax")}
    assert set(got) == set(exp)
    assert sum(e["reverse"] for e in exp.values()) > 0 and refunded_tax > 0 and voids > 0
    for key, e in exp.items():
        r = got[key]
        assert r["taxable_amount_rc"] == e["taxable"], key
        assert r["tax_collected_rc"] == e["tax"], key
        assert r["tax_refunded_rc"] == e["refunded"], key
        assert r["tax_voided_rc"] == e["voided"], key
        assert r["net_tax_rc"] == e["tax"] - e["refunded"] - e["voided"], key
        assert r["reverse_charge_amount_rc"] == e["reverse"], key


def test_sim_tax_reconciles_to_the_ledger(sim) -> None:
    """Σ net_tax_rc per month is the month's movement of tax_payable in the ledger, exactly."""
    _, con = sim
    diff = rows(
        con,
        "with r as (select month, sum(net_tax_rc) as t from marts.rpt_tax group by 1),"
        " l as (select date_trunc('month', occurred_at)::date as month, -sum(amount_rc) as t"
        " from marts.fct_revenue_ledger where account = 'tax_payable' group by 1)"
        " select coalesce(r.month, l.month) as month, r.t as report, l.t as ledger"
        " from r full join l on r.month = l.month order by 1",
    )
    assert len(diff) == 12 and all(x["report"] == x["ledger"] for x in diff)
    assert sum(x["ledger"] for x in diff) > 0


def _aging(gw: Gateway, last: date) -> tuple[dict, dict]:
    """Open receivables per month end × bucket, and per month end × customer."""
    paid_charges: dict[str, list[dict]] = defaultdict(list)
    for ch in gw.charges:
        if ch["status"] == "succeeded" and ch["id"] in gw.invoice_of:
            paid_charges[gw.invoice_of[ch["id"]]].append(ch)
    invoices = [
        i for i in gw.invoices if i["status_transitions"]["finalized_at"] and i["amount_due"] > 0
    ]
    first = month_of(min(ts(i["status_transitions"]["finalized_at"]) for i in invoices))
    buckets: dict[date, dict[str, Decimal]] = {}
    customers: dict[date, set] = {}
    m = first
    while m <= month_of(last):
        end = datetime.combine(last_day(m) + timedelta(days=1), datetime.min.time())
        buckets[m] = dict.fromkeys(BUCKETS, Decimal(0))
        customers[m] = set()
        for inv in invoices:
            st = inv["status_transitions"]
            fin = ts(st["finalized_at"])
            closed = [st.get(k) for k in ("paid_at", "voided_at", "marked_uncollectible_at")]
            if fin >= end or any(c is not None and ts(c) < end for c in closed):
                continue
            paid = sum(c["amount"] for c in paid_charges[inv["id"]] if ts(c["created"]) < end)
            open_minor = max(inv["amount_due"] - paid, 0)
            open_rc = gw.rc(open_minor, inv["currency"], fin.date())
            if open_rc <= 0:
                continue
            due = ts(inv["due_date"]).date() if inv["due_date"] else fin.date()
            late = (last_day(m) - due).days
            bucket = (
                "current"
                if late <= 0
                else "1_30"
                if late <= 30
                else "31_60"
                if late <= 60
                else "61_90"
                if late <= 90
                else "over_90"
            )
            buckets[m][bucket] += open_rc
            customers[m].add(inv["customer"])
        m = add_months(m, 1)
    return buckets, customers


def test_sim_ar_aging_and_dso(sim, gw) -> None:
    _, con = sim
    (last,) = con.execute("select last_date from intermediate.int_data_bounds").fetchone()
    buckets, customers = _aging(gw, last)
    got = {
        r["month"]: r
        for r in rows(
            con,
            "select month, count(*) as customers, sum(current_rc) as current, "
            "sum(past_due_1_30_rc) as b1, sum(past_due_31_60_rc) as b2, "
            "sum(past_due_61_90_rc) as b3, sum(past_due_over_90_rc) as b4, "
            "sum(open_receivables_rc) as total from marts.rpt_ar_aging group by month",
        )
    }
    assert set(got) == {m for m, c in customers.items() if c}
    assert sum(b["over_90"] for b in buckets.values()) > 0  # invoices left open age past 90 days
    for m, r in got.items():
        b = buckets[m]
        assert r["customers"] == len(customers[m]), m
        assert [r["current"], r["b1"], r["b2"], r["b3"], r["b4"]] == [b[k] for k in BUCKETS], m
        assert r["total"] == sum(b.values()), m

    # DSO: receivables × days in the trailing three months ÷ invoiced in them (void excluded)
    invoiced: dict[date, Decimal] = defaultdict(Decimal)
    for inv in gw.invoices:
        fin = inv["status_transitions"]["finalized_at"]
        if fin and inv["status"] != "void":
            d = ts(fin).date()
            invoiced[month_of(d)] += gw.rc(inv["total"], inv["currency"], d)
    dso = {r["month"]: r for r in rows(con, "select * from marts.rpt_dso")}
    assert set(dso) == set(buckets)
    for m, r in dso.items():
        window = sum(invoiced[add_months(m, -k)] for k in range(3))
        days = (last_day(m) - add_months(m, -2)).days + 1
        ar = sum(buckets[m].values())
        assert (r["window_days"], r["receivables_rc"]) == (days, ar), m
        assert r["invoiced_trailing_3m_rc"] == window, m
        assert r["dso_days"] == div6(ar * days, window), m
    assert all(r["dso_days"] > 0 for m, r in dso.items() if m >= add_months(min(dso), 2))

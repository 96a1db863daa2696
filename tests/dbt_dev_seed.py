"""Scratch warehouse for developing and testing the dbt project without the other parts.

Writes the raw tables of docs/contracts.md §3 into a DuckDB file, filled with a small,
hand-written company whose metrics are known (both Stripe API shapes, events and exports,
CRM, usage, Xero and ECB rates), and optionally a synthetic company of N customers for
timing (`--scale N`).

    python tests/dbt_dev_seed.py /tmp/dbtdev/warehouse/revstack.duckdb [--scale 1000 --months 24]
    REVSTACK_WAREHOUSE=/tmp/dbtdev/warehouse/revstack.duckdb \
        dbt build --project-dir dbt_project --profiles-dir dbt_project

Importable: `build_dev_warehouse(path, scale=0, months=24)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ingestion import ENTITIES, ensure_raw_tables
from ingestion.raw import table_columns
from ingestion.registry import GATEWAY_OBJECTS

DAHLIA = "2026-07-29.dahlia"
OLDER = "2024-06-20"
LOADED_AT = dt.datetime(2024, 7, 1, 6, 0, 0)

# The raw tables are the ingestion layer's own (ingestion.ensure_raw_tables): one definition of
# the raw layer, so this scratch warehouse cannot drift from what ingestion writes.
GATEWAY_ENTITIES = {
    entity: obj for entity, obj in GATEWAY_OBJECTS.items() if entity in ENTITIES["gateway"]
}
GATEWAY_ENTITIES.pop("events")
LOAD_METADATA = ("_batch_id", "_file", "_line", "_loaded_at")


def epoch(value: str | dt.date | dt.datetime) -> int:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return int(value.replace(tzinfo=dt.UTC).timestamp())


def from_epoch(seconds: int | None) -> dt.datetime | None:
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


# --- object builders


def price(
    pid,
    currency,
    unit_amount,
    interval="month",
    count=1,
    *,
    usage_type="licensed",
    ptype="recurring",
    tiers=None,
    tiers_mode=None,
    product="prod_core",
    created=None,
):
    return {
        "id": pid,
        "object": "price",
        "product": product,
        "currency": currency,
        "unit_amount": None if tiers else unit_amount,
        "billing_scheme": "tiered" if tiers else "per_unit",
        "tiers_mode": tiers_mode,
        "tiers": tiers,
        "type": ptype,
        "recurring": None
        if ptype == "one_time"
        else {
            "interval": interval,
            "interval_count": count,
            "usage_type": usage_type,
            "meter": "mtr_api_calls" if usage_type == "metered" else None,
        },
        "active": True,
        "created": created or epoch("2023-12-01"),
        "nickname": pid,
    }


def coupon(
    cid, *, percent_off=None, amount_off=None, currency=None, duration="forever", months=None
):
    return {
        "id": cid,
        "object": "coupon",
        "percent_off": percent_off,
        "amount_off": amount_off,
        "currency": currency,
        "duration": duration,
        "duration_in_months": months,
        "created": epoch("2023-12-01"),
    }


def discount(did, cust, sub, cpn, start, end, shape):
    obj = {
        "id": did,
        "object": "discount",
        "customer": cust,
        "subscription": sub,
        "start": epoch(start),
        "end": epoch(end) if end else None,
    }
    if shape == DAHLIA:
        obj["source"] = {"type": "coupon", "coupon": cpn}
    else:
        obj["coupon"] = cpn
    return obj


def subscription(
    sid,
    cust,
    status,
    currency,
    items,
    *,
    shape,
    created,
    start_date=None,
    trial_start=None,
    trial_end=None,
    ended_at=None,
    canceled_at=None,
    discounts=(),
    period=("2024-01-01", "2024-02-01"),
):
    item_objs = []
    for n, (price_obj, qty) in enumerate(items):
        it = {
            "id": f"si_{sid[4:]}_{n}",
            "object": "subscription_item",
            "price": price_obj,
            "quantity": qty,
            "created": epoch(created),
            "subscription": sid,
        }
        if shape == DAHLIA:
            it["current_period_start"] = epoch(period[0])
            it["current_period_end"] = epoch(period[1])
        item_objs.append(it)
    obj: dict[str, Any] = {
        "id": sid,
        "object": "subscription",
        "customer": cust,
        "status": status,
        "currency": currency,
        "created": epoch(created),
        "start_date": epoch(start_date or created),
        "trial_start": epoch(trial_start) if trial_start else None,
        "trial_end": epoch(trial_end) if trial_end else None,
        "ended_at": epoch(ended_at) if ended_at else None,
        "canceled_at": epoch(canceled_at) if canceled_at else None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "items": {"object": "list", "data": item_objs},
        "metadata": {},
    }
    if shape == DAHLIA:
        obj["discounts"] = list(discounts)
    else:
        obj["discount"] = discounts[0] if discounts else None
        obj["current_period_start"] = epoch(period[0])
        obj["current_period_end"] = epoch(period[1])
    return obj


def invoice(
    iid,
    cust,
    sub,
    currency,
    lines,
    *,
    shape,
    created,
    status="paid",
    number=None,
    tax=0,
    discount_amt=0,
    paid_at=None,
    charge=None,
    billing_reason="subscription_cycle",
    period=None,
):
    subtotal = sum(line["amount"] for line in lines)
    total = subtotal - discount_amt + tax
    obj: dict[str, Any] = {
        "id": iid,
        "object": "invoice",
        "customer": cust,
        "number": number or iid.upper(),
        "status": status,
        "currency": currency,
        "subtotal": subtotal,
        "total": total,
        "amount_paid": total if status == "paid" else 0,
        "amount_due": total,
        "amount_remaining": 0 if status == "paid" else total,
        "total_discount_amounts": [{"amount": discount_amt, "discount": "di_x"}]
        if discount_amt
        else [],
        "period_start": epoch(period[0] if period else created),
        "period_end": epoch(period[1] if period else created),
        "created": epoch(created),
        "due_date": epoch(created) + 30 * 86400,
        "billing_reason": billing_reason,
        "status_transitions": {
            "finalized_at": epoch(created) + 3600 if status != "draft" else None,
            "paid_at": epoch(paid_at) if paid_at else None,
            "voided_at": epoch(created) + 7200 if status == "void" else None,
            "marked_uncollectible_at": None,
        },
        "lines": {"object": "list", "data": lines, "has_more": False},
    }
    if shape == DAHLIA:
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub},
        }
        obj["total_taxes"] = (
            [
                {
                    "amount": tax,
                    "tax_rate_details": {"tax_rate": "txr_vat"},
                    "taxability_reason": "standard_rated",
                    "taxable_amount": subtotal,
                }
            ]
            if tax
            else []
        )
        obj["payments"] = {
            "object": "list",
            "data": [{"object": "invoice_payment", "payment": {"type": "charge", "charge": charge}}]
            if charge
            else [],
        }
    else:
        obj["subscription"] = sub
        obj["tax"] = tax
        obj["total_tax_amounts"] = (
            [{"amount": tax, "tax_rate": "txr_vat", "taxable_amount": subtotal}] if tax else []
        )
        obj["charge"] = charge
    return obj


def line(
    lid,
    amount,
    currency,
    price_obj,
    *,
    shape,
    qty=1,
    period=None,
    sub=None,
    si=None,
    proration=False,
    kind="subscription",
    tax=0,
    discount_amt=0,
    by_id=False,
):
    p = price_obj["id"] if by_id else price_obj
    obj: dict[str, Any] = {
        "id": lid,
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "quantity": qty,
        "period": {"start": epoch(period[0]), "end": epoch(period[1])} if period else None,
        "discount_amounts": [{"amount": discount_amt, "discount": "di_x"}] if discount_amt else [],
        "metadata": {},
    }
    if shape == DAHLIA:
        obj["pricing"] = {"type": "price_details", "price_details": {"price": p, "product": "x"}}
        if kind == "subscription":
            obj["parent"] = {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "subscription": sub,
                    "subscription_item": si,
                    "proration": proration,
                    "invoice_item": None,
                },
            }
        else:
            obj["parent"] = {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": "ii_" + lid[3:],
                    "proration": proration,
                    "subscription": sub,
                },
            }
        obj["taxes"] = (
            [{"amount": tax, "tax_rate_details": {"tax_rate": "txr_vat"}, "taxable_amount": amount}]
            if tax
            else []
        )
    else:
        obj["price"] = price_obj
        obj["type"] = "subscription" if kind == "subscription" else "invoiceitem"
        obj["proration"] = proration
        obj["subscription"] = sub
        obj["tax_amounts"] = (
            [{"amount": tax, "tax_rate": "txr_vat", "taxable_amount": amount}] if tax else []
        )
    return obj


def charge(
    cid,
    cust,
    amount,
    currency,
    created,
    *,
    status="succeeded",
    invoice_id=None,
    shape=DAHLIA,
    failure_code=None,
    refunded=0,
    disputed=False,
):
    obj = {
        "id": cid,
        "object": "charge",
        "customer": cust,
        "amount": amount,
        "amount_captured": amount if status == "succeeded" else 0,
        "amount_refunded": refunded,
        "currency": currency,
        "status": status,
        "paid": status == "succeeded",
        "captured": status == "succeeded",
        "failure_code": failure_code,
        "outcome": {"network_decline_code": "insufficient_funds" if failure_code else None},
        "created": epoch(created),
        "balance_transaction": "txn_" + cid[3:] if status == "succeeded" else None,
        "refunded": refunded == amount,
        "disputed": disputed,
        "application_fee_amount": None,
    }
    if shape == OLDER:
        obj["invoice"] = invoice_id
    return obj


def balance_txn(tid, amount, currency, fee, created, source, btype):
    return {
        "id": tid,
        "object": "balance_transaction",
        "amount": amount,
        "currency": currency,
        "fee": fee,
        "fee_details": [{"amount": fee, "type": "stripe_fee"}] if fee else [],
        "net": amount - fee,
        "type": btype,
        "reporting_category": btype,
        "source": source,
        "status": "available",
        "available_on": epoch(created) + 2 * 86400,
        "created": epoch(created),
        "exchange_rate": None,
    }


# --- the hand-written company


class Company:
    """Collects export rows and events; `events` carry the object history."""

    def __init__(self) -> None:
        self.exports: dict[str, dict[str, dict]] = {e: {} for e in GATEWAY_ENTITIES}
        self.events: list[dict] = []
        self.crm: dict[str, list[dict]] = {e: [] for e in ENTITIES["crm"]}
        self.accounting: dict[str, list[dict]] = {e: [] for e in ENTITIES["accounting"]}
        self.usage: list[dict] = []
        self.n_evt = 0

    def export(self, obj: dict) -> dict:
        entity = {v: k for k, v in GATEWAY_ENTITIES.items()}[obj["object"]]
        self.exports[entity][obj["id"]] = json.loads(json.dumps(obj))
        return obj

    def event(
        self, etype: str, when: str, obj: dict, shape: str = DAHLIA, export: bool = True
    ) -> None:
        self.n_evt += 1
        self.events.append(
            {
                "id": f"evt_{self.n_evt:06d}",
                "object": "event",
                "api_version": shape,
                "created": epoch(when),
                "type": etype,
                "data": {"object": json.loads(json.dumps(obj))},
                "livemode": False,
                "pending_webhooks": 0,
                "request": {"id": None},
            }
        )
        if export:
            self.export(obj)


def hand_written_company() -> Company:
    c = Company()
    # catalogue
    p_seat = price("price_seat_usd", "usd", 5000)  # 50 USD / seat / month
    p_year_eur = price("price_year_eur", "eur", 120000, "year")  # 1,200 EUR / year
    p_meter = price("price_api_eur", "eur", 2, usage_type="metered")  # metered: no MRR
    p_year_jpy = price("price_year_jpy", "jpy", 10000, "year")  # 10,000 JPY / year
    p_grad = price(
        "price_grad_jpy",
        "jpy",
        None,
        tiers_mode="graduated",
        tiers=[
            {"up_to": 5, "unit_amount": 1000, "flat_amount": 0},
            {"up_to": None, "unit_amount": 500, "flat_amount": 1000},
        ],
    )
    p_vol = price(
        "price_vol_usd",
        "usd",
        None,
        "month",
        3,
        tiers_mode="volume",
        tiers=[
            {"up_to": 10, "unit_amount": 1000, "flat_amount": 0},
            {"up_to": None, "unit_amount": 800, "flat_amount": 2000},
        ],
    )
    p_week = price("price_week_usd", "usd", 1000, "week")
    p_setup = price("price_setup_usd", "usd", 20000, ptype="one_time")
    for p in (p_seat, p_year_eur, p_meter, p_year_jpy, p_grad, p_vol, p_week, p_setup):
        c.event("price.created", "2023-12-01", p)
    c.event(
        "product.created",
        "2023-12-01",
        {
            "id": "prod_core",
            "object": "product",
            "name": "Core",
            "active": True,
            "created": epoch("2023-12-01"),
        },
    )
    half = coupon("HALF", percent_off=50)
    ten_eur = coupon("TENOFF", amount_off=1000, currency="eur", duration="repeating", months=3)
    c.event("coupon.created", "2023-12-01", half)
    c.event("coupon.created", "2023-12-01", ten_eur)
    c.event(
        "tax_rate.created",
        "2023-12-01",
        {
            "id": "txr_vat",
            "object": "tax_rate",
            "percentage": 19,
            "country": "DE",
            "jurisdiction": "DE",
            "display_name": "VAT",
            "tax_type": "vat",
            "inclusive": False,
            "created": epoch("2023-12-01"),
        },
    )

    def customer(cid, name, currency, country, segment, created, shape=DAHLIA):
        obj = {
            "id": cid,
            "object": "customer",
            "name": name,
            "email": f"{cid}@example.com",
            "currency": currency,
            "address": {"country": country},
            "tax_exempt": "none",
            "metadata": {"segment": segment},
            "balance": 0,
            "created": epoch(created),
        }
        c.event("customer.created", created, obj, shape)
        return obj

    # A: dahlia shape, per-seat, trial → active → expansion → 50 % forever coupon → churn →
    #    reactivation
    customer("cus_A", "Acme, Inc.", "usd", "US", "smb", "2024-01-10")
    a1 = dict(
        shape=DAHLIA,
        created="2024-01-10 09:00",
        trial_start="2024-01-10 09:00",
        trial_end="2024-01-24 09:00",
    )
    c.event(
        "customer.subscription.created",
        "2024-01-10 09:00",
        subscription("sub_A1", "cus_A", "trialing", "usd", [(p_seat, 2)], **a1),
    )
    c.event(
        "customer.subscription.updated",
        "2024-01-24 09:00",
        subscription("sub_A1", "cus_A", "active", "usd", [(p_seat, 2)], **a1),
    )
    c.event(
        "customer.subscription.updated",
        "2024-03-05 12:00",
        subscription("sub_A1", "cus_A", "active", "usd", [(p_seat, 3)], **a1),
    )
    d_half = discount("di_A_half", "cus_A", "sub_A1", half, "2024-04-01 10:00", None, DAHLIA)
    c.event("customer.discount.created", "2024-04-01 10:00", d_half)
    c.event(
        "customer.subscription.updated",
        "2024-04-01 10:00",
        subscription(
            "sub_A1", "cus_A", "active", "usd", [(p_seat, 3)], discounts=["di_A_half"], **a1
        ),
    )  # discounts as ids
    c.event(
        "customer.subscription.updated",
        "2024-05-02 08:00",
        subscription(
            "sub_A1", "cus_A", "past_due", "usd", [(p_seat, 3)], discounts=["di_A_half"], **a1
        ),
    )
    c.event(
        "customer.subscription.deleted",
        "2024-05-15 08:00",
        subscription(
            "sub_A1",
            "cus_A",
            "canceled",
            "usd",
            [(p_seat, 3)],
            discounts=["di_A_half"],
            ended_at="2024-05-15 08:00",
            canceled_at="2024-05-15 08:00",
            **a1,
        ),
    )
    c.event(
        "customer.subscription.created",
        "2024-06-10 15:00",
        subscription(
            "sub_A2",
            "cus_A",
            "active",
            "usd",
            [(p_seat, 1), (p_setup, 1)],
            shape=DAHLIA,
            created="2024-06-10 15:00",
        ),
    )

    # B: older shape, yearly EUR with a repeating amount_off coupon and a metered item
    customer("cus_B", "Beta GmbH", "eur", "DE", "mid_market", "2024-02-01", OLDER)
    d_ten = discount(
        "di_B_ten", "cus_B", "sub_B1", ten_eur, "2024-02-01 00:00", "2024-05-01 00:00", OLDER
    )
    c.event("customer.discount.created", "2024-02-01 00:00", d_ten, OLDER)
    c.event(
        "customer.subscription.created",
        "2024-02-01 00:00",
        subscription(
            "sub_B1",
            "cus_B",
            "active",
            "eur",
            [(p_year_eur, 1), (p_meter, 1)],
            shape=OLDER,
            created="2024-02-01 00:00",
            discounts=[d_ten],
        ),
    )

    # C: JPY, exports only (no events): 10,000 JPY/year + graduated tiers at quantity 7
    cust_c = {
        "id": "cus_C",
        "object": "customer",
        "name": "Gamma K.K.",
        "email": "c@example.jp",
        "currency": "jpy",
        "address": {"country": "JP"},
        "tax_exempt": "none",
        "metadata": {"segment": "enterprise"},
        "balance": 0,
        "created": epoch("2024-01-15"),
    }
    c.export(cust_c)
    c.export(
        subscription(
            "sub_C1",
            "cus_C",
            "active",
            "jpy",
            [(p_year_jpy, 1), (p_grad, 7)],
            shape=DAHLIA,
            created="2024-01-15 00:00",
        )
    )

    # D: USD volume tiers (quarterly) → past_due keeps MRR → unpaid ends it
    customer("cus_D", "Delta LLC", "usd", "US", "enterprise", "2024-03-01")
    dd = dict(shape=DAHLIA, created="2024-03-01 00:00")
    c.event(
        "customer.subscription.created",
        "2024-03-01 00:00",
        subscription("sub_D1", "cus_D", "active", "usd", [(p_vol, 15)], **dd),
    )
    c.event(
        "customer.subscription.updated",
        "2024-04-10 00:00",
        subscription("sub_D1", "cus_D", "past_due", "usd", [(p_vol, 15)], **dd),
    )
    c.event(
        "customer.subscription.updated",
        "2024-04-25 00:00",
        subscription("sub_D1", "cus_D", "unpaid", "usd", [(p_vol, 15)], **dd),
    )
    # E: weekly price, still trialing (no MRR); also a second weekly sub that is active
    customer("cus_E", "Epsilon SA", "usd", "FR", "marketplace", "2024-05-20")
    c.event(
        "customer.subscription.created",
        "2024-05-20 00:00",
        subscription(
            "sub_E1",
            "cus_E",
            "trialing",
            "usd",
            [(p_week, 1)],
            shape=DAHLIA,
            created="2024-05-20 00:00",
            trial_start="2024-05-20 00:00",
            trial_end="2024-07-20 00:00",
        ),
    )
    c.event(
        "customer.subscription.created",
        "2024-06-03 00:00",
        subscription(
            "sub_E2",
            "cus_E",
            "active",
            "usd",
            [(p_week, 3)],
            shape=DAHLIA,
            created="2024-06-03 00:00",
        ),
    )

    # invoices, charges, refunds, disputes
    la = line(
        "il_A1_mar",
        15000,
        "usd",
        p_seat,
        shape=DAHLIA,
        qty=3,
        period=("2024-03-05", "2024-04-05"),
        sub="sub_A1",
        si="si_A1_0",
        by_id=True,
    )
    lap = line(
        "il_A1_pro",
        2500,
        "usd",
        p_seat,
        shape=DAHLIA,
        qty=1,
        period=("2024-03-05", "2024-03-24"),
        sub="sub_A1",
        si="si_A1_0",
        proration=True,
    )
    lsetup = line(
        "il_A2_setup",
        20000,
        "usd",
        p_setup,
        shape=DAHLIA,
        kind="invoiceitem",
        sub="sub_A2",
        tax=3800,
    )
    inv_a = invoice(
        "in_A1_mar",
        "cus_A",
        "sub_A1",
        "usd",
        [la, lap],
        shape=DAHLIA,
        created="2024-03-05 12:00",
        paid_at="2024-03-05 13:00",
        charge="ch_A1",
        period=("2024-03-05", "2024-04-05"),
    )
    inv_a2 = invoice(
        "in_A2_jun",
        "cus_A",
        "sub_A2",
        "usd",
        [lsetup],
        shape=DAHLIA,
        created="2024-06-10 15:00",
        status="open",
        tax=3800,
        billing_reason="subscription_create",
    )
    c.event("invoice.finalized", "2024-03-05 13:00", {**inv_a, "status": "open", "amount_paid": 0})
    c.event("invoice.paid", "2024-03-05 13:00", inv_a)
    c.event("invoice.finalized", "2024-06-10 16:00", inv_a2)
    lb = line(
        "il_B1_year",
        120000,
        "eur",
        p_year_eur,
        shape=OLDER,
        qty=1,
        period=("2024-02-01", "2025-02-01"),
        sub="sub_B1",
        tax=20900,
        discount_amt=10000,
    )
    lbu = line(
        "il_B1_usage",
        5000,
        "eur",
        p_meter,
        shape=OLDER,
        qty=2500,
        period=("2024-02-01", "2024-03-01"),
        sub="sub_B1",
    )
    inv_b = invoice(
        "in_B1",
        "cus_B",
        "sub_B1",
        "eur",
        [lb, lbu],
        shape=OLDER,
        created="2024-02-01 00:00",
        paid_at="2024-02-02 00:00",
        charge="ch_B1",
        tax=20900,
        discount_amt=10000,
        billing_reason="subscription_create",
    )
    c.event("invoice.paid", "2024-02-02 00:00", inv_b, OLDER)
    inv_void = invoice(
        "in_D_void",
        "cus_D",
        "sub_D1",
        "usd",
        [
            line(
                "il_D_q",
                36000,
                "usd",
                p_vol,
                shape=DAHLIA,
                qty=15,
                period=("2024-03-01", "2024-06-01"),
                sub="sub_D1",
                si="si_D1_0",
            )
        ],
        shape=DAHLIA,
        created="2024-03-01 00:00",
        status="void",
    )
    c.event("invoice.voided", "2024-03-01 02:00", inv_void)

    # C's invoices, exports only like the rest of C: the subscription has no version before the
    # export, so its MRR history is rebuilt from these lines
    # (int_subscription_invoiced_mrr_intervals):
    # the annual 10,000 JPY line and a monthly 7,000 JPY graduated line (7 units) per month;
    # June also has a proration line (never MRR) and tax (never MRR).
    def c_line(lid, amount, price_obj, qty, period, **kw):
        return line(
            lid, amount, "jpy", price_obj, shape=DAHLIA, qty=qty, period=period, sub="sub_C1", **kw
        )

    months_c = [
        "2024-01-15",
        "2024-02-15",
        "2024-03-15",
        "2024-04-15",
        "2024-05-15",
        "2024-06-15",
        "2024-07-15",
    ]
    for i, (start, end) in enumerate(itertools.pairwise(months_c)):
        lines_c = [
            c_line(f"il_C1_grad_{i}", 7000, p_grad, 7, (start, end), tax=700 if i == 5 else 0)
        ]
        if i == 0:
            lines_c.insert(
                0, c_line("il_C1_year", 10000, p_year_jpy, 1, ("2024-01-15", "2025-01-15"))
            )
        if i == 5:
            lines_c.append(
                c_line("il_C1_pro", 3500, p_grad, 2, ("2024-06-15", "2024-06-30"), proration=True)
            )
        c.export(
            invoice(
                f"in_C1_{i}",
                "cus_C",
                "sub_C1",
                "jpy",
                lines_c,
                shape=DAHLIA,
                created=f"{start} 00:00",
                paid_at=f"{start} 01:00",
                tax=700 if i == 5 else 0,
                period=(start, end),
            )
        )

    ch_a = charge("ch_A1", "cus_A", 17500, "usd", "2024-03-05 13:00", refunded=2500)
    ch_b = charge(
        "ch_B1",
        "cus_B",
        135900,
        "eur",
        "2024-02-02 00:00",
        invoice_id="in_B1",
        shape=OLDER,
        disputed=True,
    )
    ch_fail = charge(
        "ch_D_fail",
        "cus_D",
        36000,
        "usd",
        "2024-04-10 00:00",
        status="failed",
        failure_code="card_declined",
    )
    c.event("charge.succeeded", "2024-03-05 13:00", ch_a)
    c.event("charge.succeeded", "2024-02-02 00:00", ch_b, OLDER)
    c.event("charge.failed", "2024-04-10 00:00", ch_fail)
    c.export(balance_txn("txn_A1", 17500, "usd", 538, "2024-03-05 13:00", "ch_A1", "charge"))
    c.export(balance_txn("txn_B1", 135900, "eur", 1928, "2024-02-02 00:00", "ch_B1", "charge"))
    c.export(balance_txn("txn_reA", -2500, "usd", 0, "2024-03-20", "re_A1", "refund"))
    c.export(balance_txn("txn_dpB", -135900, "eur", 1500, "2024-04-01", "dp_B1", "adjustment"))
    c.event(
        "charge.refunded",
        "2024-03-20 00:00",
        {
            "id": "re_A1",
            "object": "refund",
            "charge": "ch_A1",
            "amount": 2500,
            "currency": "usd",
            "status": "succeeded",
            "created": epoch("2024-03-20"),
            "balance_transaction": "txn_reA",
            "reason": "requested_by_customer",
        },
    )
    c.event(
        "charge.dispute.created",
        "2024-04-01 00:00",
        {
            "id": "dp_B1",
            "object": "dispute",
            "charge": {"id": "ch_B1", "object": "charge"},
            "amount": 135900,
            "currency": "eur",
            "status": "needs_response",
            "reason": "fraudulent",
            "created": epoch("2024-04-01"),
            "balance_transactions": [{"id": "txn_dpB"}],
        },
    )
    c.export(
        {
            "id": "cn_A1",
            "object": "credit_note",
            "invoice": "in_A1_mar",
            "customer": "cus_A",
            "amount": 2500,
            "currency": "usd",
            "created": epoch("2024-03-20"),
            "reason": "order_change",
            "status": "issued",
            "type": "post_payment",
        }
    )
    c.export(
        {
            "id": "ii_A2_setup",
            "object": "invoiceitem",
            "customer": "cus_A",
            "invoice": "in_A2_jun",
            "amount": 20000,
            "currency": "usd",
            "quantity": 1,
            "period": {"start": epoch("2024-06-10"), "end": epoch("2024-06-10")},
            "proration": False,
            "created": epoch("2024-06-10"),
            "price": p_setup,
        }
    )
    c.export(
        {
            "id": "po_1",
            "object": "payout",
            "amount": 16962,
            "currency": "usd",
            "arrival_date": epoch("2024-03-08"),
            "created": epoch("2024-03-06"),
            "status": "paid",
            "balance_transaction": "txn_po1",
            "automatic": True,
        }
    )
    c.export(
        {
            "id": "fee_1",
            "object": "application_fee",
            "account": "acct_1",
            "amount": 100,
            "amount_refunded": 0,
            "charge": "ch_A1",
            "currency": "usd",
            "created": epoch("2024-03-05"),
            "balance_transaction": "txn_fee1",
        }
    )
    c.export(
        {
            "id": "tr_1",
            "object": "transfer",
            "amount": 500,
            "currency": "usd",
            "destination": "acct_1",
            "created": epoch("2024-03-05"),
            "source_transaction": "ch_A1",
        }
    )

    # --- ledger (issue 4) --------------------------------------------------------------------
    # The balance transactions of the application fee, the transfer and the payout (so that the
    # ledger's gateway balance reconciles with them), and the dispute closing as lost.
    c.export(balance_txn("txn_fee1", 100, "usd", 0, "2024-03-05", "fee_1", "application_fee"))
    c.export(balance_txn("txn_tr1", -500, "usd", 0, "2024-03-05", "tr_1", "transfer"))
    c.export(balance_txn("txn_po1", -16962, "usd", 0, "2024-03-06", "po_1", "payout"))
    c.event(
        "charge.dispute.closed",
        "2024-05-01 00:00",
        {
            "id": "dp_B1",
            "object": "dispute",
            "charge": {"id": "ch_B1", "object": "charge"},
            "amount": 135900,
            "currency": "eur",
            "status": "lost",
            "reason": "fraudulent",
            "created": epoch("2024-04-01"),
            "balance_transactions": [{"id": "txn_dpB"}],
        },
    )
    # --- end ledger ----------------------------------------------------------------------------

    # CRM: A linked by custom field, B by name, a deleted account, a stale custom field
    acc = c.crm["account"]
    acc.append(
        {
            "id": "001A",
            "name": "ACME Inc",
            "stripe_customer_id_c": "cus_A",
            "is_deleted": "false",
            "_fivetran_synced": "2024-01-11 00:00:00",
            "billing_country": "US",
            "type": "Customer",
            "industry": "Software",
        }
    )
    acc.append(
        {
            "id": "001A",
            "name": "ACME Inc",
            "stripe_customer_id_c": "cus_A",
            "is_deleted": "false",
            "_fivetran_synced": "2024-02-11 00:00:00",
            "billing_country": "US",
            "type": "Customer",
            "industry": "Software",
        }
    )
    acc.append(
        {
            "id": "001B",
            "name": "Beta",
            "stripe_customer_id_c": None,
            "is_deleted": "false",
            "_fivetran_synced": "2024-02-02 00:00:00",
        }
    )
    acc.append(
        {
            "id": "001D",
            "name": "Delta",
            "stripe_customer_id_c": "cus_A",  # wrong link
            "is_deleted": "false",
            "_fivetran_synced": "2024-03-02 00:00:00",
        }
    )
    acc.append(
        {
            "id": "001X",
            "name": "Gone Ltd",
            "is_deleted": "true",
            "_fivetran_synced": "2024-03-02 00:00:00",
        }
    )
    c.crm["opportunity"] += [
        {
            "id": "006A",
            "account_id": "001A",
            "amount": "1800",
            "close_date": "2024-01-20",
            "created_date": "2024-01-05 10:00:00",
            "is_closed": "true",
            "is_won": "true",
            "is_deleted": "false",
            "stage_name": "Closed Won",
            "name": "Acme seats",
            "_fivetran_synced": "2024-01-21 00:00:00",
        },
        {
            "id": "006X",
            "account_id": "001X",
            "amount": "500",
            "close_date": "2024-02-20",
            "is_closed": "true",
            "is_won": "true",
            "is_deleted": "true",
            "stage_name": "Closed Won",
            "_fivetran_synced": "2024-02-21 00:00:00",
        },
    ]
    c.crm["opportunity_line_item"].append(
        {
            "id": "00kA",
            "opportunity_id": "006A",
            "quantity": "3",
            "unit_price": "50",
            "total_price": "150",
            "is_deleted": "false",
            "name": "Seat",
            "system_modstamp": "2024-01-20 00:00:00",
            "last_modified_date": "2024-01-20 00:00:00",
        }
    )
    c.crm["user"].append(
        {
            "id": "005U",
            "name": "Sam Seller",
            "email": "sam@example.com",
            "is_active": "true",
            "_fivetran_deleted": "false",
        }
    )

    # Xero: A by account_number, B by name
    x = c.accounting
    x["contact"] += [
        {
            "contact_id": "xc-A",
            "name": "Acme Inc.",
            "account_number": "cus_A",
            "_fivetran_deleted": "false",
        },
        {
            "contact_id": "xc-B",
            "name": "BETA GMBH",
            "account_number": None,
            "_fivetran_deleted": "false",
        },
    ]
    x["account"] += [
        {
            "account_id": "xa-rev",
            "name": "Sales",
            "code": "200",
            "type": "REVENUE",
            "class": "REVENUE",
            "_fivetran_synced": "2024-07-01 00:00:00.000 UTC",
        },
        {
            "account_id": "xa-ar",
            "name": "Accounts Receivable",
            "code": "610",
            "type": "CURRENT",
            "class": "ASSET",
            "_fivetran_synced": "2024-07-01 00:00:00.000 UTC",
        },
    ]
    x["journal"].append(
        {
            "journal_id": "xj-1",
            "created_date_utc": "2024-03-05 14:00:00.000 UTC",
            "journal_date": "2024-03-05",
            "journal_number": "1",
            "source_id": "xi-1",
            "source_type": "ACCREC",
        }
    )
    x["journal_line"] += [
        {
            "journal_line_id": "xjl-1",
            "journal_id": "xj-1",
            "account_id": "xa-ar",
            "account_code": "610",
            "account_name": "Accounts Receivable",
            "account_type": "CURRENT",
            "gross_amount": "175.00",
            "net_amount": "175.00",
            "tax_amount": "0",
        },
        {
            "journal_line_id": "xjl-2",
            "journal_id": "xj-1",
            "account_id": "xa-rev",
            "account_code": "200",
            "account_name": "Sales",
            "account_type": "REVENUE",
            "gross_amount": "-175.00",
            "net_amount": "-175.00",
            "tax_amount": "0",
        },
    ]
    x["invoice"].append(
        {
            "invoice_id": "xi-1",
            "contact_id": "xc-A",
            "date": "2024-03-05",
            "due_date": "2024-04-04",
            "total": "175.00",
            "sub_total": "175.00",
            "total_tax": "0",
            "amount_paid": "175.00",
            "amount_due": "0",
            "currency_code": "USD",
            "invoice_number": "IN_A1_MAR",
            "status": "PAID",
            "type": "ACCREC",
            "updated_date_utc": "2024-03-05 14:00:00.000 UTC",
        }
    )

    # usage: CloudEvents, one delivered twice
    for n, (t, v) in enumerate([("2024-02-03T10:00:00Z", 1000), ("2024-02-10T10:00:00Z", 1500)]):
        evt = {
            "id": f"u{n}",
            "source": "api-gateway",
            "type": "api_calls",
            "subject": "cus_B",
            "specversion": "1.0",
            "datacontenttype": "application/json",
            "time": t,
            "data": {"value": v},
        }
        c.usage.append(evt)
    c.usage.append(dict(c.usage[0]))
    return c


# --- a synthetic company


def synthetic_company(c: Company, customers: int, months: int, seed: int = 7) -> Company:
    """Adds `customers` random customers over `months` months (for timing, not for truth)."""
    rng = random.Random(seed)
    start = dt.datetime(2022, 1, 1)
    currencies = ["usd", "usd", "usd", "eur", "gbp", "jpy"]
    plans = {}
    for ccy in set(currencies):
        mult = 100 if ccy == "jpy" else 1
        plans[ccy] = [
            price(f"price_{ccy}_{k}", ccy, amt * mult, iv)
            for k, (amt, iv) in enumerate(
                [(2900, "month"), (9900, "month"), (99000, "year"), (49900, "month")]
            )
        ]
        for p in plans[ccy]:
            c.event("price.created", "2021-12-01", p, export=True)
    for n in range(customers):
        cid = f"cus_S{n:05d}"
        ccy = rng.choice(currencies)
        shape = rng.choice([DAHLIA, OLDER])
        created = start + dt.timedelta(days=rng.randrange(months * 30))
        c.event(
            "customer.created",
            created.isoformat(),
            {
                "id": cid,
                "object": "customer",
                "name": f"Synthetic {n} Ltd",
                "currency": ccy,
                "address": {"country": "US"},
                "metadata": {"segment": "smb"},
                "created": epoch(created),
            },
            shape,
        )
        c.crm["account"].append(
            {
                "id": f"001S{n:05d}",
                "name": f"Synthetic {n}",
                "stripe_customer_id_c": cid if n % 3 else None,
                "is_deleted": "false",
                "_fivetran_synced": "2024-01-01",
            }
        )
        sid = f"sub_S{n:05d}"
        plan = rng.choice(plans[ccy])
        qty = rng.randint(1, 5)
        t = created
        status = "active"
        end = start + dt.timedelta(days=months * 30)
        month_no = 0
        while t < end:
            c.event(
                "customer.subscription.updated" if month_no else "customer.subscription.created",
                t.isoformat(),
                subscription(
                    sid, cid, status, ccy, [(plan, qty)], shape=shape, created=created.isoformat()
                ),
                shape,
            )
            lid = f"il_S{n:05d}_{month_no}"
            inv = invoice(
                f"in_S{n:05d}_{month_no}",
                cid,
                sid,
                ccy,
                [
                    line(
                        lid,
                        plan["unit_amount"] * qty,
                        ccy,
                        plan,
                        shape=shape,
                        qty=qty,
                        period=(t.isoformat(), (t + dt.timedelta(days=30)).isoformat()),
                        sub=sid,
                        si="si_x",
                    )
                ],
                shape=shape,
                created=t.isoformat(),
                paid_at=t.isoformat(),
                charge=f"ch_S{n:05d}_{month_no}",
            )
            c.event("invoice.paid", t.isoformat(), inv, shape)
            c.event(
                "charge.succeeded",
                t.isoformat(),
                charge(
                    f"ch_S{n:05d}_{month_no}",
                    cid,
                    inv["total"],
                    ccy,
                    t.isoformat(),
                    shape=shape,
                    invoice_id=inv["id"],
                ),
                shape,
            )
            for k in range(rng.randint(0, 20)):
                c.usage.append(
                    {
                        "id": f"uS{n}_{month_no}_{k}",
                        "source": "api",
                        "type": "calls",
                        "subject": cid,
                        "specversion": "1.0",
                        "datacontenttype": "application/json",
                        "time": (t + dt.timedelta(hours=k)).isoformat() + "Z",
                        "data": {"value": rng.randint(1, 100)},
                    }
                )
            month_no += 1
            t += dt.timedelta(days=30)
            r = rng.random()
            if r < 0.03:
                status = "canceled"
                c.event(
                    "customer.subscription.deleted",
                    t.isoformat(),
                    subscription(
                        sid,
                        cid,
                        status,
                        ccy,
                        [(plan, qty)],
                        shape=shape,
                        created=created.isoformat(),
                        ended_at=t.isoformat(),
                    ),
                    shape,
                )
                break
            if r < 0.10:
                qty = max(1, qty + rng.choice([-1, 1, 2]))
    return c


# --- writing the warehouse


def ecb_rates(first: dt.date, last: dt.date) -> list[tuple]:
    rows = []
    d = first
    k = 0
    while d <= last:
        if d.weekday() < 5:  # ECB publishes on working days only
            k += 1
            rows.append((d, "USD", round(1.08 + 0.0005 * (k % 40), 4)))
            rows.append((d, "JPY", round(160.0 + 0.1 * (k % 50), 2)))
            rows.append((d, "GBP", round(0.85 + 0.0003 * (k % 30), 4)))
        d += dt.timedelta(days=1)
    return rows


def build_dev_warehouse(
    path: str | Path, scale: int = 0, months: int = 24, empty: bool = False
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    comp = Company() if empty else hand_written_company()
    if scale:
        synthetic_company(comp, scale, months)
    con = duckdb.connect(str(path))
    ensure_raw_tables(con)

    def load(table: str, columns: list[str], rows: list[tuple]) -> None:
        """Bulk insert through a polars frame (executemany is far too slow at scale)."""
        if rows:
            frame = pl.DataFrame(
                rows,
                schema=[f"c{n}" for n in range(len(columns))],
                orient="row",
                infer_schema_length=None,
            )
            con.register("_rows", frame)
            quoted = ", ".join(c if c.startswith('"') else f'"{c}"' for c in columns)
            con.execute(f"insert into {table} ({quoted}) select * from _rows")
            con.unregister("_rows")

    gw_cols = [
        "id",
        "object",
        "created",
        "_version_at",
        "data",
        "_batch_id",
        "_file",
        "_line",
        "_loaded_at",
    ]
    for entity in GATEWAY_ENTITIES:
        rows = [
            (
                o["id"],
                o["object"],
                from_epoch(o.get("created")),
                LOADED_AT,
                json.dumps(o),
                "batch_export",
                f"landing/gateway/{entity}/export.jsonl",
                n + 1,
                LOADED_AT,
            )
            for n, o in enumerate(comp.exports[entity].values())
        ]
        load(f"raw_gateway.{entity}", gw_cols, rows)
    ev_rows = []
    for n, e in enumerate(sorted(comp.events, key=lambda e: e["created"])):
        created = from_epoch(e["created"])
        ev_rows.append(
            (
                e["id"],
                "event",
                created,
                created,
                json.dumps(e),
                e["type"],
                e["api_version"],
                e["data"]["object"]["object"],
                e["data"]["object"]["id"],
                f"batch_{created:%Y%m}",
                f"landing/gateway/events/{created:%Y-%m}.jsonl",
                n + 1,
                created + dt.timedelta(minutes=5),
            )
        )
    if ev_rows:  # a webhook delivered twice must not double count
        ev_rows.append(
            (
                *ev_rows[0][:9],
                "batch_redelivery",
                "landing/gateway/events/again.jsonl",
                1,
                LOADED_AT,
            )
        )
    load(
        "raw_gateway.events",
        [*gw_cols[:5], "type", "api_version", "object_type", "object_id", *gw_cols[5:]],
        ev_rows,
    )

    for source in ("crm", "accounting"):
        schema = f"raw_{source}"
        data = comp.crm if source == "crm" else comp.accounting
        for entity in ENTITIES[source]:
            cols = [c for c in table_columns(con, source, entity) if c not in LOAD_METADATA]
            unknown = {key for row in data[entity] for key in row} - set(cols)
            if unknown:  # the seed writes only columns the ingestion contract knows
                raise ValueError(f"{schema}.{entity} has no column(s) {sorted(unknown)}")
            rows = [
                (
                    *tuple(r.get(c) for c in cols),
                    "batch_csv",
                    f"landing/{source}/{entity}/a.csv",
                    n + 2,
                    LOADED_AT,
                )
                for n, r in enumerate(data[entity])
            ]
            load(f'{schema}."{entity}"', [*cols, "_batch_id", "_file", "_line", "_loaded_at"], rows)

    load(
        "raw_usage.events",
        [
            "id",
            "source",
            "type",
            "subject",
            "specversion",
            "datacontenttype",
            "time",
            "data",
            "_batch_id",
            "_file",
            "_line",
            "_loaded_at",
        ],
        [
            (
                u["id"],
                u["source"],
                u["type"],
                u["subject"],
                u["specversion"],
                u["datacontenttype"],
                dt.datetime.fromisoformat(u["time"].replace("Z", "+00:00")).replace(tzinfo=None),
                json.dumps(u["data"]),
                "batch_usage",
                "landing/usage/events/a.jsonl",
                n + 1,
                LOADED_AT,
            )
            for n, u in enumerate(comp.usage)
        ],
    )

    first = dt.date(2021, 12, 1) if scale else dt.date(2023, 12, 1)
    load(
        "raw_fx.rates",
        ["rate_date", "currency", "rate", "_batch_id", "_file", "_line", "_loaded_at"],
        [
            (d, ccy, r, "batch_fx", "landing/fx/rates/eurofxref-hist.csv", n + 2, LOADED_AT)
            for n, (d, ccy, r) in enumerate(
                []
                if empty
                else ecb_rates(first, dt.date(2024, 12, 31) if scale else dt.date(2024, 6, 30))
            )
        ],
    )
    con.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default="/tmp/dbtdev/warehouse/revstack.duckdb")
    parser.add_argument("--scale", type=int, default=0, help="add N synthetic customers")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--empty", action="store_true", help="create the raw tables, no rows")
    args = parser.parse_args()
    print(build_dev_warehouse(args.path, args.scale, args.months, args.empty))


if __name__ == "__main__":
    main()

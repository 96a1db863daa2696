"""Stripe object shapes: builders for the current API (2026-07-29.dahlia) and the conversion to
the older 2024-06-20 shape that events of the early months carry (contracts §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog, Coupon, Price

# --------------------------------------------------------------------------------------------
# Internal state of the mutable billing objects
# --------------------------------------------------------------------------------------------


@dataclass
class Customer:
    index: int
    id: str
    created: int
    name: str
    email: str
    country: str
    currency: str
    segment: str
    tax_exempt: str
    industry: str
    tax_rate: dict[str, Any] | None
    connected_account: str | None = None
    balance: int = 0
    invoice_seq: int = 0
    invoice_prefix: str = ""


@dataclass
class Discount:
    id: str
    coupon: Coupon
    customer: str
    subscription: str
    start: int
    end: int | None


@dataclass
class Item:
    id: str
    price: Price
    quantity: int
    created: int


@dataclass
class Subscription:
    id: str
    customer: Customer
    created: int
    anchor: int
    status: str = "active"
    trial_start: int | None = None
    trial_end: int | None = None
    cancel_at_period_end: bool = False
    cancel_at: int | None = None
    canceled_at: int | None = None
    ended_at: int | None = None
    items: list[Item] = field(default_factory=list)
    period_start: int = 0
    period_end: int = 0
    period_index: int = 0
    discount: Discount | None = None
    latest_invoice: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    cancellation_reason: str | None = None

    @property
    def months(self) -> int:
        return self.items[0].price.months


# --------------------------------------------------------------------------------------------
# Builders (current shape)
# --------------------------------------------------------------------------------------------


def customer_obj(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "object": "customer",
        "address": {
            "city": None,
            "country": c.country,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "balance": c.balance,
        "created": c.created,
        "currency": c.currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": c.email,
        "invoice_prefix": c.invoice_prefix,
        "invoice_settings": {"custom_fields": None, "default_payment_method": None},
        "livemode": False,
        "metadata": {"segment": c.segment, "industry": c.industry},
        "name": c.name,
        "next_invoice_sequence": c.invoice_seq + 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": c.tax_exempt,
        "test_clock": None,
    }


def discount_obj(d: Discount) -> dict[str, Any]:
    return {
        "id": d.id,
        "object": "discount",
        "checkout_session": None,
        "customer": d.customer,
        "end": d.end,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": None,
        "source": {"coupon": d.coupon.obj, "type": "coupon"},
        "start": d.start,
        "subscription": d.subscription,
        "subscription_item": None,
    }


def subscription_obj(s: Subscription) -> dict[str, Any]:
    items = [
        {
            "id": it.id,
            "object": "subscription_item",
            "created": it.created,
            "current_period_end": s.period_end,
            "current_period_start": s.period_start,
            "discounts": [],
            "metadata": {},
            "price": it.price.obj,
            "quantity": it.quantity if it.price.kind == "licensed" else None,
            "subscription": s.id,
            "tax_rates": [],
        }
        for it in s.items
    ]
    return {
        "id": s.id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None},
        "billing_cycle_anchor": s.anchor,
        "cancel_at": s.cancel_at,
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": s.canceled_at,
        "cancellation_details": {
            "comment": None,
            "feedback": None,
            "reason": s.cancellation_reason,
        },
        "collection_method": (
            "send_invoice" if s.customer.segment == "enterprise" else "charge_automatically"
        ),
        "created": s.created,
        "currency": s.customer.currency,
        "customer": s.customer.id,
        "days_until_due": 30 if s.customer.segment == "enterprise" else None,
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [discount_obj(s.discount)] if s.discount else [],
        "ended_at": s.ended_at,
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={s.id}",
        },
        "latest_invoice": s.latest_invoice,
        "livemode": False,
        "metadata": {},
        "on_behalf_of": s.customer.connected_account,
        "pause_collection": None,
        "pending_update": None,
        "schedule": None,
        "start_date": s.created,
        "status": s.status,
        "test_clock": None,
        "transfer_data": (
            {"amount_percent": None, "destination": s.customer.connected_account}
            if s.customer.connected_account
            else None
        ),
        "trial_end": s.trial_end,
        "trial_start": s.trial_start,
    }


# --------------------------------------------------------------------------------------------
# Conversion to the 2024-06-20 shape
# --------------------------------------------------------------------------------------------


class Legacy:
    """Turns a current-shape object into its 2024-06-20 shape (a new dict; input untouched)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.charge_invoice: dict[str, str] = {}

    def convert(self, obj: dict[str, Any]) -> dict[str, Any]:
        kind = obj.get("object")
        if kind == "subscription":
            return self.subscription(obj)
        if kind == "discount":
            return self.discount(obj)
        if kind == "invoice":
            return self.invoice(obj)
        if kind == "invoiceitem":
            return self.invoiceitem(obj)
        if kind == "charge":
            out = dict(obj)
            out["invoice"] = self.charge_invoice.get(obj["id"])
            return out
        return obj

    @staticmethod
    def discount(obj: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if k != "source"}
        out["coupon"] = obj["source"]["coupon"]
        return out

    def subscription(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if k not in ("discounts", "items")}
        data = obj["items"]["data"]
        out["current_period_start"] = data[0]["current_period_start"]
        out["current_period_end"] = data[0]["current_period_end"]
        out["discount"] = self.discount(obj["discounts"][0]) if obj["discounts"] else None
        out["items"] = dict(obj["items"])
        out["items"]["data"] = [
            {
                k: v
                for k, v in it.items()
                if k not in ("current_period_start", "current_period_end", "discounts")
            }
            for it in data
        ]
        return out

    def _price(self, pricing: dict[str, Any] | None) -> dict[str, Any] | None:
        if not pricing or not pricing.get("price_details"):
            return None
        return self.catalog.price_by_id[pricing["price_details"]["price"]].obj

    def line(self, ln: dict[str, Any]) -> dict[str, Any]:
        parent = ln["parent"]
        if parent["type"] == "subscription_item_details":
            det = parent["subscription_item_details"]
            kind, invoice_item, sub_item = "subscription", None, det["subscription_item"]
        else:
            det = parent["invoice_item_details"]
            kind, invoice_item, sub_item = "invoiceitem", det["invoice_item"], None
        return {
            "id": ln["id"],
            "object": "line_item",
            "amount": ln["amount"],
            "amount_excluding_tax": ln["amount"],
            "currency": ln["currency"],
            "description": ln["description"],
            "discount_amounts": ln["discount_amounts"],
            "discountable": ln["discountable"],
            "discounts": ln["discounts"],
            "invoice": ln["invoice"],
            "invoice_item": invoice_item,
            "livemode": False,
            "metadata": ln["metadata"],
            "period": ln["period"],
            "price": self._price(ln.get("pricing")),
            "proration": det["proration"],
            "proration_details": {"credited_items": None},
            "quantity": ln["quantity"],
            "subscription": det.get("subscription"),
            "subscription_item": sub_item,
            "tax_amounts": [
                {
                    "amount": t["amount"],
                    "inclusive": False,
                    "tax_rate": t["tax_rate_details"]["tax_rate"],
                    "taxability_reason": t["taxability_reason"],
                    "taxable_amount": t["taxable_amount"],
                }
                for t in ln["taxes"]
            ],
            "tax_rates": [],
            "type": kind,
            "unit_amount_excluding_tax": ln["pricing"].get("unit_amount_decimal"),
        }

    def invoice(self, obj: dict[str, Any]) -> dict[str, Any]:
        drop = ("parent", "payments", "total_taxes", "lines")
        out = {k: v for k, v in obj.items() if k not in drop}
        parent = obj.get("parent")
        out["subscription"] = (
            parent["subscription_details"]["subscription"]
            if parent and parent.get("type") == "subscription_details"
            else None
        )
        taxes = obj["total_taxes"]
        out["tax"] = sum(t["amount"] for t in taxes) if taxes else None
        out["total_tax_amounts"] = [
            {
                "amount": t["amount"],
                "inclusive": False,
                "tax_rate": t["tax_rate_details"]["tax_rate"],
                "taxability_reason": t["taxability_reason"],
                "taxable_amount": t["taxable_amount"],
            }
            for t in taxes
        ]
        paid = [p for p in obj["payments"]["data"] if p["status"] == "paid"]
        out["charge"] = paid[-1]["payment"]["charge"] if paid else None
        out["paid"] = obj["status"] == "paid"
        out["lines"] = dict(obj["lines"])
        out["lines"]["data"] = [self.line(ln) for ln in obj["lines"]["data"]]
        return out

    def invoiceitem(self, obj: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if k not in ("parent", "pricing")}
        out["price"] = self._price(obj.get("pricing"))
        parent = obj.get("parent") or {}
        out["subscription"] = (parent.get("subscription_details") or {}).get("subscription")
        return out

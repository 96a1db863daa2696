"""The company's catalogue: products, prices per currency, coupons and tax rates (Stripe dicts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .common import CURRENCIES, EXPONENT, Ids, round_int

# How a USD list price becomes a price in another currency (major units), rounded to a nice step.
_PRICE_FACTOR = {"usd": 1.0, "eur": 0.92, "gbp": 0.79, "jpy": 150.0, "aud": 1.52, "cad": 1.36}

INTERVALS: dict[str, tuple[str, int, int]] = {
    # key: (interval, interval_count, multiplier of the monthly list price)
    "month": ("month", 1, 1),
    "quarter": ("month", 3, 3),
    "year": ("year", 1, 10),
}

# Tax by country: (percentage, jurisdiction, display_name, tax_type)
TAX_BY_COUNTRY: dict[str, tuple[str, str, str, str]] = {
    "DE": ("19", "DE", "VAT", "vat"),
    "FR": ("20", "FR", "VAT", "vat"),
    "NL": ("21", "NL", "VAT", "vat"),
    "IE": ("23", "IE", "VAT", "vat"),
    "GB": ("20", "GB", "VAT", "vat"),
    "AU": ("10", "AU", "GST", "gst"),
    "JP": ("10", "JP", "JCT", "jct"),
    "CA": ("5", "CA", "GST", "gst"),
}
EU = ("DE", "FR", "NL", "IE")


def local_amount(usd_minor: int, currency: str) -> int:
    """A USD list price in minor units → the local list price in minor units (ISO exponent)."""
    major = Decimal(usd_minor) / 100 * Decimal(str(_PRICE_FACTOR[currency]))
    if currency == "jpy":
        return round_int(major / 10) * 10  # yen, 0 decimals, to 10 yen
    return round_int(major) * 10 ** EXPONENT[currency]  # whole units


@dataclass
class Price:
    id: str
    product: str
    product_key: str
    currency: str
    kind: str  # licensed | metered | one_time
    interval_key: str | None
    unit_amount: int | None
    billing_scheme: str = "per_unit"
    tiers_mode: str | None = None
    tiers: list[dict[str, Any]] = field(default_factory=list)
    obj: dict[str, Any] = field(default_factory=dict)

    @property
    def months(self) -> int:
        """Length of one billing period in months."""
        interval, count, _ = INTERVALS[self.interval_key or "month"]
        return count * (12 if interval == "year" else 1)

    def amount(self, quantity: int) -> int:
        """Amount in minor units for one billing period at ``quantity`` (Stripe tier rules)."""
        if self.billing_scheme == "per_unit":
            return (self.unit_amount or 0) * quantity
        if self.tiers_mode == "volume":
            for t in self.tiers:
                if t["up_to"] is None or quantity <= t["up_to"]:
                    return (t["unit_amount"] or 0) * quantity + (t["flat_amount"] or 0)
        total, lower = 0, 0
        for t in self.tiers:
            upper = t["up_to"]
            units = (quantity if upper is None else min(quantity, upper)) - lower
            if units <= 0:
                break
            total += (t["unit_amount"] or 0) * units + (t["flat_amount"] or 0)
            if upper is None:
                break
            lower = upper
        return total


@dataclass
class Coupon:
    id: str
    percent_off: int | None
    amount_off: int | None
    currency: str | None
    duration: str
    duration_in_months: int | None
    obj: dict[str, Any] = field(default_factory=dict)


# Licensed products: key -> (name, per-seat?, list price USD cents per month or tiers)
PRODUCTS: dict[str, str] = {
    "starter": "Revstack Starter",
    "team": "Revstack Team (per seat)",
    "business": "Revstack Business (volume tiers)",
    "scale": "Revstack Scale (graduated tiers)",
    "platform": "Revstack Marketplace Platform",
    "api": "API requests",
    "setup": "Onboarding and setup",
}
_USD_MONTHLY = {"starter": 2900, "team": 1200, "platform": 9900}
_VOLUME_TIERS = [(10, 1500, None), (50, 1200, None), (None, 900, None)]
_GRADUATED_TIERS = [(5, 0, 20000), (25, 1800, None), (None, 1400, None)]
_METERED_UNIT = {"usd": 1, "eur": 1, "gbp": 1, "jpy": 2, "aud": 2, "cad": 2}
_SETUP_USD = 50000


class Catalog:
    def __init__(self, ids: Ids, created: int) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[tuple[str, str, str | None], Price] = {}
        self.price_by_id: dict[str, Price] = {}
        self.coupons: list[Coupon] = []
        self.tax_rates: dict[str, dict[str, Any]] = {}
        for key, name in PRODUCTS.items():
            self.products[key] = {
                "id": ids.new("prod", 14),
                "object": "product",
                "active": True,
                "created": created,
                "default_price": None,
                "description": None,
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": {"key": key},
                "name": name,
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "type": "service",
                "unit_label": "seat" if key in ("team", "business", "scale") else None,
                "updated": created,
                "url": None,
            }
        for cur in CURRENCIES:
            for key in ("starter", "team", "platform", "business", "scale"):
                for ik in INTERVALS:
                    self._add_licensed(ids, created, key, cur, ik)
            self._add_metered(ids, created, cur)
            self._add_one_time(ids, created, cur)
        self._add_coupons(ids, created)
        for country, (pct, jur, display, ttype) in TAX_BY_COUNTRY.items():
            self.tax_rates[country] = {
                "id": ids.new("txr"),
                "object": "tax_rate",
                "active": True,
                "country": country,
                "created": created,
                "description": f"{display} {country}",
                "display_name": display,
                "effective_percentage": float(pct),
                "flat_amount": None,
                "inclusive": False,
                "jurisdiction": jur,
                "jurisdiction_level": "country",
                "livemode": False,
                "metadata": {},
                "percentage": float(pct),
                "rate_type": "percentage",
                "state": None,
                "tax_type": ttype,
            }

    # -- prices -------------------------------------------------------------------------------
    def _price_obj(self, pid: str, created: int, product: str, cur: str, nickname: str) -> dict:
        return {
            "id": pid,
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": cur,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": nickname,
            "product": product,
            "recurring": None,
            "tax_behavior": "exclusive",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": None,
            "unit_amount_decimal": None,
        }

    def _register(self, price: Price, key: tuple[str, str, str | None]) -> None:
        self.prices[key] = price
        self.price_by_id[price.id] = price

    def _add_licensed(self, ids: Ids, created: int, key: str, cur: str, ik: str) -> None:
        interval, count, mult = INTERVALS[ik]
        pid = ids.new("price")
        obj = self._price_obj(pid, created, self.products[key]["id"], cur, f"{key} {ik} {cur}")
        obj["recurring"] = {
            "interval": interval,
            "interval_count": count,
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }
        price = Price(pid, obj["product"], key, cur, "licensed", ik, None, obj=obj)
        if key in _USD_MONTHLY:
            price.unit_amount = local_amount(_USD_MONTHLY[key], cur) * mult
            obj["unit_amount"] = price.unit_amount
            obj["unit_amount_decimal"] = str(price.unit_amount)
        else:
            spec = _VOLUME_TIERS if key == "business" else _GRADUATED_TIERS
            price.billing_scheme = "tiered"
            price.tiers_mode = "volume" if key == "business" else "graduated"
            for up_to, unit, flat in spec:
                u = local_amount(unit, cur) * mult if unit else 0
                f = local_amount(flat, cur) * mult if flat else None
                price.tiers.append(
                    {
                        "flat_amount": f,
                        "flat_amount_decimal": None if f is None else str(f),
                        "unit_amount": u,
                        "unit_amount_decimal": str(u),
                        "up_to": up_to,
                    }
                )
            obj["billing_scheme"] = "tiered"
            obj["tiers_mode"] = price.tiers_mode
            obj["tiers"] = price.tiers
        self._register(price, (key, cur, ik))

    def _add_metered(self, ids: Ids, created: int, cur: str) -> None:
        pid = ids.new("price")
        obj = self._price_obj(pid, created, self.products["api"]["id"], cur, f"api requests {cur}")
        obj["recurring"] = {
            "interval": "month",
            "interval_count": 1,
            "meter": "mtr_api_requests",
            "trial_period_days": None,
            "usage_type": "metered",
        }
        obj["unit_amount"] = _METERED_UNIT[cur]
        obj["unit_amount_decimal"] = str(_METERED_UNIT[cur])
        price = Price(pid, obj["product"], "api", cur, "metered", "month", _METERED_UNIT[cur])
        price.obj = obj
        self._register(price, ("api", cur, "month"))

    def _add_one_time(self, ids: Ids, created: int, cur: str) -> None:
        pid = ids.new("price")
        obj = self._price_obj(pid, created, self.products["setup"]["id"], cur, f"setup {cur}")
        obj["type"] = "one_time"
        amount = local_amount(_SETUP_USD, cur)
        obj["unit_amount"] = amount
        obj["unit_amount_decimal"] = str(amount)
        price = Price(pid, obj["product"], "setup", cur, "one_time", None, amount, obj=obj)
        self._register(price, ("setup", cur, None))

    def price(self, key: str, cur: str, ik: str | None) -> Price:
        return self.prices[(key, cur, ik)]

    # -- coupons ------------------------------------------------------------------------------
    def _add_coupons(self, ids: Ids, created: int) -> None:
        specs: list[tuple[str, int | None, int | None, str | None, str, int | None]] = [
            ("WELCOME20", 20, None, None, "repeating", 3),
            ("LAUNCH50", 50, None, None, "once", None),
            ("PARTNER10", 10, None, None, "forever", None),
            ("ANNUAL15", 15, None, None, "repeating", 12),
        ]
        for cur in CURRENCIES:
            specs.append(
                (f"SAVE10-{cur.upper()}", None, local_amount(1000, cur), cur, "repeating", 6)
            )
            specs.append(
                (f"LOYAL5-{cur.upper()}", None, local_amount(500, cur), cur, "forever", None)
            )
        for cid, pct, amt, cur, duration, months in specs:
            obj = {
                "id": cid,
                "object": "coupon",
                "amount_off": amt,
                "created": created,
                "currency": cur,
                "duration": duration,
                "duration_in_months": months,
                "livemode": False,
                "max_redemptions": None,
                "metadata": {},
                "name": cid.replace("-", " ").title(),
                "percent_off": None if pct is None else float(pct),
                "redeem_by": None,
                "times_redeemed": 0,
                "valid": True,
            }
            self.coupons.append(Coupon(cid, pct, amt, cur, duration, months, obj))

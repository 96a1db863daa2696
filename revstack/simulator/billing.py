"""Invoices: lines, invoice items, finalisation, tax and discounts, voids and their postings."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .common import DAY, day_of, minor_to_major, round_int

if TYPE_CHECKING:
    from .model import Company
    from .stripe import Customer, Item, Subscription


class Billing:
    """Invoice behaviour of a customer's timeline (mixed into ``model.Timeline``)."""

    co: Company
    c: Customer
    cur: str
    objs: dict[str, dict[str, dict[str, Any]]]
    sub_of_invoice: dict[str, Subscription]
    xero_row: dict[str, int]

    # -- invoice lines -----------------------------------------------------------------------
    def _sub_line(self, s: Subscription, it: Item, p0: int, p1: int, trial: bool = False) -> dict:
        amount = 0 if trial else it.price.amount(it.quantity)
        desc = f"{'Trial period for ' if trial else ''}{it.quantity} × {it.price.obj['nickname']}"
        return self._line(amount, it.price, it.quantity, p0, p1, desc, sub=s, item=it)

    def _usage_line(
        self, s: Subscription, it: Item, p0: int, p1: int, renewal: bool = False
    ) -> dict:
        qty = self.co.usage.generate(self.c.id, p0, p1, self.usage_intensity, self.usage_source)
        drift = self.co.drift
        if drift is not None:  # the usage that reaches the invoice (all of it, unless injected)
            qty = drift.bill_usage(self.c, s, it, p0, p1, qty, renewal)
        self.scen("usage_line")
        line = self._line(
            (it.price.unit_amount or 0) * qty,
            it.price,
            qty,
            p0,
            p1,
            f"{qty} × API requests",
            sub=s,
            item=it,
        )
        if drift is not None:
            drift.usage_line(line)
        return line

    def _ii_line(self, ii: dict[str, Any]) -> dict:
        price = self.co.catalog.price_by_id[ii["pricing"]["price_details"]["price"]]
        line = self._line(
            ii["amount"],
            price,
            ii["quantity"],
            ii["period"]["start"],
            ii["period"]["end"],
            ii["description"],
            ii=ii,
        )
        if ii["proration"]:
            self.scen("proration_line")
        return line

    def _line(self, amount, price, qty, p0, p1, desc, sub=None, item=None, ii=None) -> dict:
        if ii is not None:
            parent = {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": ii["id"],
                    "proration": ii["proration"],
                    "proration_details": {"credited_items": None},
                    "subscription": (
                        ii["parent"]["subscription_details"]["subscription"]
                        if ii["parent"]
                        else None
                    ),
                },
                "subscription_item_details": None,
            }
        else:
            parent = {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "invoice_item": None,
                    "proration": False,
                    "proration_details": {"credited_items": None},
                    "subscription": sub.id,
                    "subscription_item": item.id,
                },
                "invoice_item_details": None,
            }
        return {
            "id": self.co.ids.new("il"),
            "object": "line_item",
            "amount": amount,
            "currency": self.cur,
            "description": desc,
            "discount_amounts": [],
            "discountable": True,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": parent,
            "period": {"end": p1, "start": p0},
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": {"price": price.id, "product": price.product},
                "type": "price_details",
                "unit_amount_decimal": None
                if price.unit_amount is None
                else str(price.unit_amount),
            },
            "quantity": qty,
            "subtotal": amount,
            "taxes": [],
        }

    def _invoiceitem(self, t, s, price, qty, amount, proration, p0, p1, desc) -> dict:
        ii = {
            "id": self.co.ids.new("ii"),
            "object": "invoiceitem",
            "amount": amount,
            "currency": self.cur,
            "created": t,
            "customer": self.c.id,
            "date": t,
            "description": desc,
            "discountable": True,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "net_amount": amount,
            "parent": {
                "type": "subscription_details",
                "subscription_details": {"subscription": s.id},
            },
            "period": {"end": p1, "start": p0},
            "pricing": {
                "price_details": {"price": price.id, "product": price.product},
                "type": "price_details",
                "unit_amount_decimal": None
                if price.unit_amount is None
                else str(price.unit_amount),
            },
            "proration": proration,
            "quantity": qty,
            "tax_rates": [],
            "test_clock": None,
        }
        self.emit(t, "invoiceitem.created", "invoiceitems", ii)
        return ii

    # -- invoices ------------------------------------------------------------------------------
    def invoice(
        self,
        t: int,
        s: Subscription | None,
        reason: str,
        lines: list[dict],
        p0: int,
        p1: int,
        finalize_after: int = 0,
    ) -> dict:
        c, co = self.c, self.co
        inv_id = co.ids.new("in")
        d = s.discount if s else None
        active = d is not None and d.start <= t and (d.end is None or t < d.end)
        amount_off_left = d.coupon.amount_off if active and d and d.coupon.amount_off else 0
        tax_rate = c.tax_rate if co.drift is None else co.drift.tax_rate(c, t)
        totals_tax: dict[str, list[int]] = {}
        subtotal = discount_total = tax_total = 0
        for ln in lines:
            ln["invoice"] = inv_id
            amount = ln["amount"]
            disc = 0
            if active and amount > 0:
                if d.coupon.percent_off is not None:
                    disc = round_int(Decimal(amount) * d.coupon.percent_off / 100)
                else:
                    disc = min(amount, amount_off_left)
                    amount_off_left -= disc
                if disc:
                    ln["discount_amounts"] = [{"amount": disc, "discount": d.id}]
                    ln["discounts"] = [d.id]
            taxable = amount - disc
            if tax_rate is not None:
                if c.tax_exempt == "reverse":
                    tax, why = 0, "reverse_charge"
                else:
                    tax = round_int(Decimal(taxable) * Decimal(str(tax_rate["percentage"])) / 100)
                    why = "standard_rated"
                ln["taxes"] = [
                    {
                        "amount": tax,
                        "tax_behavior": "exclusive",
                        "tax_rate_details": {"tax_rate": tax_rate["id"]},
                        "taxability_reason": why,
                        "taxable_amount": taxable,
                        "type": "tax_rate_details",
                    }
                ]
                agg = totals_tax.setdefault(why, [0, 0])
                agg[0] += tax
                agg[1] += taxable
                tax_total += tax
            subtotal += amount
            discount_total += disc
        total = subtotal - discount_total + tax_total
        c.invoice_seq += 1
        inv = {
            "id": inv_id,
            "object": "invoice",
            "account_country": "US",
            "account_name": "Revstack Demo Inc.",
            "amount_due": total if total > 0 else 0,
            "amount_overpaid": 0,
            "amount_paid": 0,
            "amount_remaining": total if total > 0 else 0,
            "amount_shipping": 0,
            "application": None,
            "attempt_count": 0,
            "attempted": False,
            "auto_advance": True,
            "automatic_tax": {
                "enabled": False,
                "liability": None,
                "provider": None,
                "status": None,
            },
            "billing_reason": reason,
            "collection_method": "send_invoice"
            if c.segment == "enterprise"
            else "charge_automatically",
            "created": t,
            "currency": self.cur,
            "customer": c.id,
            "customer_address": {"country": c.country},
            "customer_email": c.email,
            "customer_name": c.name,
            "customer_tax_exempt": c.tax_exempt,
            "default_tax_rates": [],
            "description": None,
            "discounts": [d.id] if active and d else [],
            "due_date": None,
            "effective_at": None,
            "ending_balance": None,
            "footer": None,
            "hosted_invoice_url": None,
            "invoice_pdf": None,
            "issuer": {"type": "self"},
            "last_finalization_error": None,
            "lines": {
                "object": "list",
                "data": lines,
                "has_more": False,
                "total_count": len(lines),
                "url": f"/v1/invoices/{inv_id}/lines",
            },
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None,
            "number": None,
            "on_behalf_of": c.connected_account,
            "parent": (
                {
                    "quote_details": None,
                    "subscription_details": {"metadata": {}, "subscription": s.id},
                    "type": "subscription_details",
                }
                if s
                else None
            ),
            "payments": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": "/v1/invoice_payments",
            },
            "period_end": p1,
            "period_start": p0,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": None,
            "starting_balance": 0,
            "statement_descriptor": None,
            "status": "draft",
            "status_transitions": {
                "finalized_at": None,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": subtotal,
            "subtotal_excluding_tax": subtotal,
            "test_clock": None,
            "total": total,
            "total_discount_amounts": [{"amount": discount_total, "discount": d.id}]
            if discount_total and d
            else [],
            "total_excluding_tax": subtotal - discount_total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [
                {
                    "amount": a,
                    "tax_behavior": "exclusive",
                    "tax_rate_details": {"tax_rate": tax_rate["id"]},
                    "taxability_reason": why,
                    "taxable_amount": b,
                    "type": "tax_rate_details",
                }
                for why, (a, b) in totals_tax.items()
            ]
            if tax_rate
            else [],
            "webhooks_delivered_at": t,
        }
        if s:
            s.latest_invoice = inv_id
            self.sub_of_invoice[inv_id] = s
        for ln in lines:
            ii_id = ln["parent"].get("invoice_item_details")
            if ii_id:
                ii = self.objs["invoiceitems"][ii_id["invoice_item"]]
                ii["invoice"] = inv_id
        self.emit(t, "invoice.created", "invoices", inv)
        if finalize_after:
            self.at(t + finalize_after, self.finalize, inv, prio=3)
        else:
            self.finalize(t, inv)
        return inv

    def finalize(self, t: int, inv: dict) -> None:
        c, co, rng = self.c, self.co, self.rng
        t = self.bump(inv["id"], t)
        total = inv["total"]
        inv["number"] = f"{c.invoice_prefix}-{c.invoice_seq:04d}"
        inv["status"] = "open"
        inv["status_transitions"] = dict(inv["status_transitions"], finalized_at=t)
        inv["effective_at"] = t
        start_balance = c.balance
        if total > 0:
            applied = max(start_balance, -total)
            due = total + applied
            c.balance = start_balance - applied
        else:
            due = 0
            c.balance = start_balance + total
        inv["starting_balance"] = start_balance
        inv["ending_balance"] = c.balance
        inv["amount_due"] = inv["amount_remaining"] = due
        if inv["collection_method"] == "send_invoice":
            inv["due_date"] = t + 30 * DAY
        t = self.emit(t, "invoice.finalized", "invoices", inv)
        if c.balance != start_balance:
            self.scen("customer_balance")
            self.emit_customer(t, "customer.updated")
        co.truth.add_invoiced(t, total, self.cur)
        self._book_invoice(t, inv)
        if due == 0:
            self._mark_paid(t, inv, None)
            return
        if inv["collection_method"] == "send_invoice":
            if rng.random() < 0.96:
                self.at(t + rng.randrange(3, 28) * DAY + rng.randrange(DAY), self.pay_manual, inv)
            else:
                self.scen("invoice_left_open")
        else:
            self.at(t + rng.randrange(5, 120), self.pay, inv, 0, prio=3)

    def _book_invoice(self, t: int, inv: dict) -> None:
        if inv["total"] == 0:
            return
        books, d = self.co.books, day_of(t)
        cur, tax = self._gl_view(inv, t)
        total_rc = books.rc(inv["total"], cur, d)
        tax_rc = books.rc(tax, cur, d)
        rev_rc = total_rc - tax_rc
        # split revenue by kind in proportion of net line amounts (the last kind takes the rest)
        by_kind: dict[str, int] = defaultdict(int)
        for ln in inv["lines"]["data"]:
            price = self.co.catalog.price_by_id[ln["pricing"]["price_details"]["price"]]
            kind = {"metered": "usage", "one_time": "services"}.get(price.kind, "sales")
            disc = sum(x["amount"] for x in ln["discount_amounts"])
            by_kind[kind] += ln["amount"] - disc
        net_total = sum(by_kind.values())
        lines = [("receivable", total_rc, Decimal(0))]
        left = rev_rc
        kinds = [k for k in ("sales", "usage", "services") if by_kind.get(k)]
        for i, k in enumerate(kinds):
            share = (
                left
                if i == len(kinds) - 1 or net_total == 0
                else (rev_rc * by_kind[k] / net_total).quantize(Decimal("0.01"))
            )
            left -= share
            lines.append((k, -share, -tax_rc if i == 0 else Decimal(0)))
        if not kinds:
            lines.append(("sales", -rev_rc, -tax_rc))
        if tax_rc:
            lines.append(("tax", -tax_rc, Decimal(0)))
        books.post(t, "ACCREC", inv["id"], lines, description=f"Invoice {inv['number']}")
        books.invoice(
            self.c.id,
            inv["number"],
            inv["id"],
            cur,
            t,
            inv["due_date"],
            inv["subtotal"],
            tax,
            inv["total"],
            0,
            "AUTHORISED",
            None,
        )
        self.xero_row[inv["id"]] = len(books.invoices) - 1

    def void(self, t: int, inv: dict) -> None:
        t = self.bump(inv["id"], t)
        inv["status"] = "void"
        inv["status_transitions"] = dict(inv["status_transitions"], voided_at=t)
        inv["amount_remaining"] = 0
        inv["next_payment_attempt"] = None
        t = self.emit(t, "invoice.voided", "invoices", inv)
        self.scen("invoice_void")
        # reverse the posting
        books, d = self.co.books, day_of(t)
        cur, tax = self._gl_view(inv, t)
        total_rc, tax_rc = books.rc(inv["total"], cur, d), books.rc(tax, cur, d)
        lines = [("receivable", -total_rc, Decimal(0)), ("sales", total_rc - tax_rc, tax_rc)]
        if tax_rc:
            lines.append(("tax", tax_rc, Decimal(0)))
        books.post(t, "ACCREC", inv["id"], lines, description=f"Void {inv['number']}")
        self._xero_status(inv, "VOIDED")

    def _gl_view(self, inv: dict, t: int) -> tuple[str, int]:
        """The currency and tax with which the GL books ``inv``: the gateway's, unless a drift
        is injected."""
        tax = sum(x["amount"] for x in inv["total_taxes"])
        if self.co.drift is None:
            return self.cur, tax
        return self.co.drift.gl_view(inv, self.cur, tax, t)

    def _xero_status(self, inv: dict, status: str) -> None:
        books = self.co.books
        i = self.xero_row.get(inv["id"])
        if i is None:
            return
        paid = inv["amount_paid"]
        row = list(books.invoices[i])
        row[24] = status
        row[11] = f"{minor_to_major(paid, self.cur)}"
        row[10] = "0" if status == "VOIDED" else f"{minor_to_major(inv['total'] - paid, self.cur)}"
        if status == "PAID":
            row[7] = day_of(inv["status_transitions"]["paid_at"]).isoformat()
        books.invoices[i] = tuple(row)

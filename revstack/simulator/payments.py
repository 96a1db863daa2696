"""Payments: charges with declines and retries, refunds, credit notes, disputes, Connect fees."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .common import DAY, HOUR, day_of, midnight, round_int

if TYPE_CHECKING:
    from .model import Action, Company
    from .stripe import Customer, Subscription


FAIL_FIRST = {"smb": 0.09, "mid_market": 0.05, "enterprise": 0.0, "marketplace": 0.06}
DECLINES = (
    ("card_declined", "insufficient_funds", "51", "Your card has insufficient funds."),
    ("card_declined", "do_not_honor", "05", "Your card was declined."),
    ("card_declined", "generic_decline", "05", "Your card was declined."),
    ("expired_card", "expired_card", "54", "Your card has expired."),
    ("card_declined", "lost_card", "41", "Your card was declined."),
)
#: the decline of every charge while the card processor is down (drift ``payment_outage``)
OUTAGE_DECLINE = (
    "processing_error",
    "processing_error",
    None,
    "An error occurred while processing your card. Try again in a little bit.",
)
DISPUTE_FEE = {"usd": 1500, "eur": 1500, "gbp": 1500, "jpy": 2000, "aud": 2500, "cad": 1500}
FIXED_FEE = {"usd": 30, "eur": 25, "gbp": 20, "jpy": 0, "aud": 30, "cad": 30}


def _pair(debit: str, credit: str, amount: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    return [(debit, amount, Decimal(0)), (credit, -amount, Decimal(0))]


def _balance_txn(
    txn_id: str,
    amount: int,
    fee: int,
    currency: str,
    type_: str,
    category: str,
    source: str,
    created: int,
    available_on: int,
    end_ts: int,
    description: str | None,
    fee_type: str = "stripe_fee",
) -> dict[str, Any]:
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": created,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees"
                    if fee_type == "stripe_fee"
                    else "Dispute fee",
                    "type": fee_type,
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available" if available_on <= end_ts else "pending",
        "type": type_,
    }


class Payments:
    """Payment behaviour of a customer's timeline (mixed into ``model.Timeline``)."""

    co: Company
    c: Customer
    cur: str
    objs: dict[str, dict[str, dict[str, Any]]]
    sub_of_invoice: dict[str, Subscription]

    # -- payments ------------------------------------------------------------------------------
    def pay_manual(self, t: int, inv: dict) -> None:
        if inv["status"] != "open":
            return
        if self._processor_down(t, inv, self.pay_manual):
            return
        self.charge(t, inv, ok=True)

    def _processor_down(self, t: int, inv: dict, retry: Action, *args: Any) -> bool:
        """Drift ``payment_outage``: while the card processor is down every charge fails, and
        the gateway retries it hourly until it is back, outside the dunning schedule."""
        drift = self.co.drift
        if drift is None or not drift.processor_down(t):
            return False
        self.charge(t, inv, ok=False, decline=OUTAGE_DECLINE)
        drift.outage_charge(t, inv["id"])
        self.at(t + HOUR, retry, inv, *args, prio=3)
        return True

    def pay(self, t: int, inv: dict, attempt: int) -> None:
        if inv["status"] != "open":
            return
        rng, s = self.rng, self.sub_of_invoice.get(inv["id"])
        p_fail = FAIL_FIRST[self.c.segment] if attempt == 0 else 0.55
        ok = rng.random() >= p_fail
        if self._processor_down(t, inv, self.pay, attempt):  # the attempt keeps its number
            return
        self.charge(t, inv, ok)
        if ok:
            if s is not None and s.status == "past_due":
                s.status = "active"
                self.scen("past_due_recovered")
                self.emit_sub(t + 2, "customer.subscription.updated", s)
            return
        if attempt == 0 and s is not None and s.status == "active":
            s.status = "past_due"
            self.scen("past_due")
            self.emit_sub(t + 2, "customer.subscription.updated", s)
        if attempt < 3:
            self.at(
                t + (3, 2, 2)[attempt] * DAY + rng.randrange(-HOUR, HOUR),
                self.pay,
                inv,
                attempt + 1,
                prio=3,
            )
            return
        # retries exhausted
        if s is not None and s.status == "past_due":
            s.status = "unpaid"
            self.scen("unpaid")
            self.emit_sub(t + 3, "customer.subscription.updated", s)
            self.at(t + rng.randrange(20, 60) * DAY, self.cancel_unpaid, s)
        if rng.random() < 0.5:
            t = self.bump(inv["id"], t + 4)
            inv["status"] = "uncollectible"
            inv["status_transitions"] = dict(inv["status_transitions"], marked_uncollectible_at=t)
            inv["next_payment_attempt"] = None
            self.scen("invoice_uncollectible")
            self.emit(t, "invoice.marked_uncollectible", "invoices", inv)
            books = self.co.books
            amt = books.rc(inv["amount_remaining"], self.cur, day_of(t))
            books.post(
                t,
                "MANJOURNAL",
                inv["id"],
                _pair("bad_debt", "receivable", amt),
                description="Written off",
            )
            self._xero_status(inv, "AUTHORISED")
        else:
            self.scen("invoice_left_open")

    def _mark_paid(self, t: int, inv: dict, charge: dict | None) -> None:
        t = self.bump(inv["id"], t)
        inv["status"] = "paid"
        inv["amount_paid"] = inv["amount_due"]
        inv["amount_remaining"] = 0
        inv["attempted"] = charge is not None or inv["attempted"]
        inv["next_payment_attempt"] = None
        inv["status_transitions"] = dict(inv["status_transitions"], paid_at=t)
        self.emit(t, "invoice.paid", "invoices", inv)
        if inv["total"]:
            self._xero_status(inv, "PAID")

    def charge(
        self, t: int, inv: dict, ok: bool, decline: tuple[str, str, str | None, str] | None = None
    ) -> None:
        c, co, rng, cur = self.c, self.co, self.rng, self.cur
        amount = inv["amount_due"]
        ch_id = co.ids.new("ch")
        co.legacy.charge_invoice[ch_id] = inv["id"]
        if not ok and decline is None:
            decline = DECLINES[rng.randrange(len(DECLINES))]
        fee = (round_int(Decimal(amount) * Decimal("0.029")) + FIXED_FEE[cur]) if ok else 0
        app_fee = (
            round_int(Decimal(amount) * Decimal("0.2")) if ok and c.connected_account else None
        )
        txn_id = co.ids.new("txn") if ok else None
        ch = {
            "id": ch_id,
            "object": "charge",
            "amount": amount,
            "amount_captured": amount if ok else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": app_fee,
            "balance_transaction": txn_id,
            "billing_details": {
                "address": {"country": c.country},
                "email": c.email,
                "name": c.name,
                "phone": None,
            },
            "calculated_statement_descriptor": "REVSTACK",
            "captured": ok,
            "created": t,
            "currency": cur,
            "customer": c.id,
            "description": f"Payment for Invoice {inv['number']}",
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": decline[0] if decline else None,
            "failure_message": decline[3] if decline else None,
            "fraud_details": {},
            "livemode": False,
            "metadata": {},
            "on_behalf_of": c.connected_account,
            "outcome": {
                "advice_code": None if ok else "try_again_later",
                "network_advice_code": None,
                "network_decline_code": decline[2] if decline else None,
                "network_status": "approved_by_network" if ok else "declined_by_network",
                "reason": decline[1] if decline else None,
                "risk_level": "normal",
                "risk_score": rng.randrange(5, 60),
                "seller_message": "Payment complete." if ok else "The bank declined the payment.",
                "type": "authorized" if ok else "issuer_declined",
            },
            "paid": ok,
            "payment_intent": f"pi_{inv['id'][3:]}",
            "payment_method": f"pm_{c.id[4:]}",
            "payment_method_details": {
                "card": {
                    "brand": "visa",
                    "country": c.country,
                    "exp_month": 12,
                    "exp_year": 2029,
                    "funding": "credit",
                    "last4": "4242",
                },
                "type": "card",
            },
            "receipt_email": c.email,
            "refunded": False,
            "review": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "succeeded" if ok else "failed",
            "transfer_data": {"amount": None, "destination": c.connected_account}
            if c.connected_account
            else None,
            "transfer_group": f"group_{ch_id}" if c.connected_account else None,
        }
        inv["attempt_count"] += 1
        inv["attempted"] = True
        inv["payments"] = dict(inv["payments"])
        inv["payments"]["data"] = [
            *inv["payments"]["data"],
            {
                "id": co.ids.new("inpay"),
                "object": "invoice_payment",
                "amount_paid": amount if ok else None,
                "amount_requested": amount,
                "created": t,
                "currency": cur,
                "invoice": inv["id"],
                "is_default": ok,
                "livemode": False,
                "payment": {"charge": ch_id, "type": "charge"},
                "status": "paid" if ok else "canceled",
                "status_transitions": {
                    "canceled_at": None if ok else t,
                    "paid_at": t if ok else None,
                },
            },
        ]
        if not ok:
            self.scen("charge_failed")
            t = self.emit(t, "charge.failed", "charges", ch)
            inv["next_payment_attempt"] = t + 3 * DAY
            self.emit(t, "invoice.payment_failed", "invoices", inv)
            return
        t = self.emit(t, "charge.succeeded", "charges", ch)
        available = midnight(t) + 2 * DAY
        self._txn(
            txn_id, amount, fee, "charge", "charge", ch_id, t, available, f"Invoice {inv['number']}"
        )
        co.truth.add_collected(t, amount, cur)
        books, d = co.books, day_of(t)
        amt_rc = books.rc(amount, cur, d)
        books.post(
            t,
            "ACCRECPAYMENT",
            ch_id,
            _pair("clearing", "receivable", amt_rc),
            description=f"Payment {inv['number']}",
        )
        books.post(
            t,
            "CASHPAID",
            txn_id,
            _pair("fees", "clearing", books.rc(fee, cur, d)),
            description="Stripe fee",
        )
        self._mark_paid(t, inv, ch)
        self.ever_paid = True
        if c.connected_account and app_fee is not None:
            self._marketplace(t, ch, app_fee, available)
            return
        r = rng.random()
        if r < 0.01:
            self.at(t + rng.randrange(10, 40) * DAY, self.dispute, ch)
        elif r < 0.04:
            self.at(
                t + rng.randrange(2, 20) * DAY,
                self.refund,
                ch,
                rng.random() < 0.6,
                rng.random() < 0.5,
            )

    def _txn(
        self,
        txn_id,
        amount,
        fee,
        type_,
        category,
        source,
        created,
        available,
        desc,
        fee_type="stripe_fee",
    ):
        txn = _balance_txn(
            txn_id,
            amount,
            fee,
            self.cur,
            type_,
            category,
            source,
            created,
            available,
            self.co.end_ts,
            desc,
            fee_type,
        )
        self.objs["balance_transactions"][txn_id] = txn
        self.co.payable[self.cur].append((available, amount - fee, txn_id))
        return txn

    def _marketplace(self, t: int, ch: dict, app_fee: int, available: int) -> None:
        co, cur, acct = self.co, self.cur, self.c.connected_account
        fee_id, tr_id = co.ids.new("fee"), co.ids.new("tr")
        fee_txn, tr_txn = co.ids.new("txn"), co.ids.new("txn")
        ch["application_fee"] = fee_id
        tr = {
            "id": tr_id,
            "object": "transfer",
            "amount": ch["amount"],
            "amount_reversed": 0,
            "balance_transaction": tr_txn,
            "created": t + 1,
            "currency": cur,
            "description": None,
            "destination": acct,
            "destination_payment": f"py_{tr_id[3:]}",
            "livemode": False,
            "metadata": {},
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{tr_id}/reversals",
            },
            "reversed": False,
            "source_transaction": ch["id"],
            "source_type": "card",
            "transfer_group": ch["transfer_group"],
        }
        fee = {
            "id": fee_id,
            "object": "application_fee",
            "account": acct,
            "amount": app_fee,
            "amount_refunded": 0,
            "application": "ca_revstack_marketplace",
            "balance_transaction": fee_txn,
            "charge": ch["id"],
            "created": t + 1,
            "currency": cur,
            "fee_source": {"charge": ch["id"], "type": "charge"},
            "livemode": False,
            "originating_transaction": None,
            "refunded": False,
            "refunds": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/application_fees/{fee_id}/refunds",
            },
        }
        self.emit(t + 1, "transfer.created", "transfers", tr)
        self.emit(t + 1, "application_fee.created", "application_fees", fee)
        self._txn(tr_txn, -ch["amount"], 0, "transfer", "transfer", tr_id, t + 1, available, None)
        self._txn(
            fee_txn,
            app_fee,
            0,
            "application_fee",
            "platform_earning",
            fee_id,
            t + 1,
            available,
            None,
        )
        self.objs["charges"][ch["id"]] = ch
        books, d = self.co.books, day_of(t)
        books.post(
            t + 1,
            "CASHPAID",
            tr_id,
            _pair("partner", "clearing", books.rc(ch["amount"], cur, d)),
            description="Transfer to partner",
        )
        books.post(
            t + 1,
            "CASHREC",
            fee_id,
            _pair("clearing", "platform_fees", books.rc(app_fee, cur, d)),
            description="Application fee",
        )
        self.scen("application_fee")

    def _last_paid_charge(self, s: Subscription) -> dict | None:
        for ch in reversed(list(self.objs["charges"].values())):
            inv_id = self.co.legacy.charge_invoice.get(ch["id"])
            if (
                ch["status"] == "succeeded"
                and self.sub_of_invoice.get(inv_id) is s
                and not ch["disputed"]
                and ch["application_fee_amount"] is None
            ):
                return ch
        return None

    def refund(self, t: int, ch: dict, partial: bool, credit_note: bool) -> None:
        co, rng, cur = self.co, self.rng, self.cur
        left = ch["amount"] - ch["amount_refunded"]
        if left <= 0 or ch["disputed"]:
            return
        amount = (
            left
            if not partial
            else max(1, round_int(Decimal(left) * Decimal(rng.randrange(10, 60)) / 100))
        )
        re_id, txn_id = co.ids.new("re"), co.ids.new("txn")
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        re = {
            "id": re_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": txn_id,
            "charge": ch["id"],
            "created": t,
            "currency": cur,
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": {},
            "payment_intent": ch["payment_intent"],
            "reason": "requested_by_customer",
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        co.truth.add_refunded(t, amount, cur)
        refunded_invoice = co.legacy.charge_invoice.get(ch["id"])
        if refunded_invoice is not None:
            co.truth.add_reversal(refunded_invoice, t, re_id, amount)
        self.scen(
            "partial_refund"
            if amount < left or ch["amount_refunded"] < ch["amount"]
            else "full_refund"
        )
        t = self.emit(t, "charge.refunded", "charges", ch)
        self.emit(t, "charge.refund.updated", "refunds", re)
        self._txn(
            txn_id, -amount, 0, "refund", "refund", re_id, t, midnight(t) + DAY, "REFUND FOR CHARGE"
        )
        books = co.books
        books.post(
            t,
            "CASHPAID",
            re_id,
            _pair("refunds", "clearing", books.rc(amount, cur, day_of(t))),
            description="Refund",
        )
        inv_id = co.legacy.charge_invoice[ch["id"]]
        if credit_note and inv_id in self.objs["invoices"]:
            inv = self.objs["invoices"][inv_id]
            cn_id = co.ids.new("cn")
            cn = {
                "id": cn_id,
                "object": "credit_note",
                "amount": amount,
                "amount_shipping": 0,
                "created": t,
                "currency": cur,
                "customer": self.c.id,
                "customer_balance_transaction": None,
                "discount_amount": 0,
                "discount_amounts": [],
                "effective_at": t,
                "invoice": inv_id,
                "lines": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/credit_notes/{cn_id}/lines",
                },
                "livemode": False,
                "memo": "Service credit",
                "metadata": {},
                "number": f"{inv['number']}-CN-{len(self.objs['credit_notes']) + 1:02d}",
                "out_of_band_amount": None,
                "pdf": None,
                "post_payment_amount": amount,
                "pre_payment_amount": 0,
                "pretax_credit_amounts": [],
                "reason": "product_unsatisfactory",
                "refunds": [{"amount_refunded": amount, "refund": re_id, "type": "refund"}],
                "shipping_cost": None,
                "status": "issued",
                "subtotal": amount,
                "subtotal_excluding_tax": amount,
                "total": amount,
                "total_excluding_tax": amount,
                "total_taxes": [],
                "type": "post_payment",
                "voided_at": None,
            }
            inv["post_payment_credit_notes_amount"] += amount
            self.emit(t, "credit_note.created", "credit_notes", cn)
            self.scen("credit_note")

    def dispute(self, t: int, ch: dict) -> None:
        co, rng, cur = self.co, self.rng, self.cur
        if ch["amount_refunded"] or ch["disputed"]:
            return
        amount, dfee = ch["amount"], DISPUTE_FEE[cur]
        dp_id, txn_id = co.ids.new("dp"), co.ids.new("txn")
        txn = self._txn(
            txn_id,
            -amount,
            dfee,
            "adjustment",
            "dispute",
            dp_id,
            t,
            midnight(t) + DAY,
            f"Chargeback withdrawal for {ch['id']}",
            "stripe_fee",
        )
        txn["fee_details"][0]["description"] = "Dispute fee"
        dp = {
            "id": dp_id,
            "object": "dispute",
            "amount": amount,
            "balance_transactions": [txn],
            "charge": ch["id"],
            "created": t,
            "currency": cur,
            "enhanced_eligibility_types": [],
            "evidence": {"product_description": None, "uncategorized_text": None},
            "evidence_details": {
                "due_by": t + 14 * DAY,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "payment_intent": ch["payment_intent"],
            "reason": rng.choice(("fraudulent", "subscription_canceled", "product_not_received")),
            "status": "needs_response",
        }
        ch["disputed"] = True
        self.objs["charges"][ch["id"]] = ch
        t = self.emit(t, "charge.dispute.created", "disputes", dp)
        books = co.books
        books.post(
            t,
            "MANJOURNAL",
            dp_id,
            _pair("disputes", "clearing", books.rc(amount + dfee, cur, day_of(t))),
            description="Dispute withdrawal",
        )
        close = t + rng.randrange(20, 70) * DAY
        dp = dict(
            dp,
            status="under_review",
            evidence_details=dict(dp["evidence_details"], has_evidence=True, submission_count=1),
        )
        self.objs["disputes"][dp_id] = dp
        self.at(close, self.close_dispute, dp, rng.random() < 0.55)

    def close_dispute(self, t: int, dp: dict, won: bool) -> None:
        co = self.co
        dp = dict(dp, status="won" if won else "lost")
        if won:
            txn_id = co.ids.new("txn")
            txn = self._txn(
                txn_id,
                dp["amount"],
                0,
                "adjustment",
                "dispute_reversal",
                dp["id"],
                t,
                midnight(t) + DAY,
                f"Chargeback reversal for {dp['charge']}",
            )
            dp["balance_transactions"] = [*dp["balance_transactions"], txn]
            books = co.books
            books.post(
                t,
                "MANJOURNAL",
                dp["id"],
                _pair("clearing", "disputes", books.rc(dp["amount"], self.cur, day_of(t))),
                description="Dispute won",
            )
        self.scen("dispute_won" if won else "dispute_lost")
        self.emit(t, "charge.dispute.closed", "disputes", dp)

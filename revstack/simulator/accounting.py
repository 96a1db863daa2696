"""The accounting ledger as Xero exports it (dbt_xero layout): journals posted 1-5 days after the
gateway activity, in USD at the activity day's ECB rate, rounded to cents, each netting to 0."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from .common import HOUR, Ids, day_of, minor_to_major, round2, to_dt
from .fx import FxRates
from .writer import write_csv

# key: (code, name, type, class)
ACCOUNTS: dict[str, tuple[str, str, str, str]] = {
    "bank": ("090", "Business Bank Account (USD)", "BANK", "ASSET"),
    "clearing": ("091", "Stripe Clearing", "CURRENT", "ASSET"),
    "receivable": ("610", "Accounts Receivable", "CURRENT", "ASSET"),
    "tax": ("820", "Sales Tax (VAT/GST)", "CURRLIAB", "LIABILITY"),
    "sales": ("200", "Sales - Subscriptions", "REVENUE", "REVENUE"),
    "usage": ("201", "Sales - Usage", "REVENUE", "REVENUE"),
    "services": ("202", "Sales - Onboarding Services", "REVENUE", "REVENUE"),
    "platform_fees": ("203", "Marketplace Platform Fees", "REVENUE", "REVENUE"),
    "refunds": ("210", "Sales Refunds", "REVENUE", "REVENUE"),
    "partner": ("310", "Partner Payouts", "DIRECTCOSTS", "EXPENSE"),
    "fees": ("404", "Bank Fees - Stripe", "EXPENSE", "EXPENSE"),
    "disputes": ("405", "Dispute Losses", "EXPENSE", "EXPENSE"),
    "bad_debt": ("406", "Bad Debts", "EXPENSE", "EXPENSE"),
}

JOURNAL_HEADER = (
    "journal_id",
    "created_date_utc",
    "journal_date",
    "journal_number",
    "reference",
    "source_id",
    "source_type",
)
LINE_HEADER = (
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
)
INVOICE_HEADER = (
    "invoice_id",
    "contact_id",
    "date",
    "updated_date_utc",
    "planned_payment_date",
    "due_date",
    "expected_payment_date",
    "fully_paid_on_date",
    "_fivetran_synced",
    "amount_credited",
    "amount_due",
    "amount_paid",
    "sub_total",
    "total",
    "total_tax",
    "currency_code",
    "currency_rate",
    "has_attachments",
    "has_errors",
    "invoice_number",
    "is_discounted",
    "line_amount_types",
    "reference",
    "sent_to_contact",
    "status",
    "type",
    "url",
)


def _stamp(t: int, ms: int) -> str:
    return to_dt(t).strftime("%Y-%m-%d %H:%M:%S") + f".{ms:03d} UTC"


class Books:
    def __init__(self, seed: int, ids: Ids, fx: FxRates, synced: int) -> None:
        self.rng = random.Random(f"books:{seed}")
        self.ids, self.fx, self.synced = ids, fx, synced
        self.account_ids = {k: ids.uuid() for k in ACCOUNTS}
        self.journals: list[tuple] = []
        self.lines: list[tuple] = []
        self.invoices: list[tuple] = []
        self.contacts: list[tuple] = []
        self.contact_of: dict[str, str] = {}

    def rc(self, amount_minor: int, currency: str, d: date) -> Decimal:
        """Minor units of ``currency`` → USD at the ECB rate of ``d``, rounded to cents."""
        return round2(minor_to_major(amount_minor, currency) * self.fx.rate(currency, d))

    def contact(self, customer_id: str, name: str, email: str, linked: bool) -> str:
        cid = self.ids.uuid()
        self.contact_of[customer_id] = cid
        self.contacts.append((cid, name, customer_id if linked else "", email, "false"))
        return cid

    def post(
        self,
        t: int,
        source_type: str,
        reference: str,
        lines: list[tuple[str, Decimal, Decimal]],
        source_id: str = "",
        description: str = "",
    ) -> None:
        """``lines``: (account key, net USD, tax USD) with debits positive. As in Xero, the net
        amounts of a journal sum to 0 and ``tax_amount`` is information on the income line."""
        assert sum(n for _, n, _ in lines) == 0, (reference, lines)
        if all(n == 0 and x == 0 for _, n, x in lines):
            return
        lag = self.rng.randint(1, 5)
        posted = t - t % 86_400 + lag * 86_400 + self.rng.randrange(7 * HOUR, 19 * HOUR)
        jid = self.ids.uuid()
        self.journals.append(
            (
                jid,
                _stamp(posted, self.rng.randrange(1000)),
                day_of(t).isoformat(),
                len(self.journals) + 1,
                reference,
                source_id,
                source_type,
            )
        )
        for key, net, tax in lines:
            code, name, atype, _ = ACCOUNTS[key]
            self.lines.append(
                (
                    self.ids.uuid(),
                    code,
                    self.account_ids[key],
                    name,
                    atype,
                    description,
                    f"{net + tax:.2f}",
                    jid,
                    f"{net:.2f}",
                    f"{tax:.2f}",
                    "VAT/GST on Income" if tax else "",
                    "OUTPUT" if tax else "",
                )
            )

    def invoice(
        self,
        customer_id: str,
        number: str,
        stripe_id: str,
        currency: str,
        t: int,
        due: int | None,
        subtotal: int,
        tax: int,
        total: int,
        paid: int,
        status: str,
        paid_at: int | None,
    ) -> None:
        d = day_of(t)
        rate = self.fx.rate(currency, d)
        self.invoices.append(
            (
                self.ids.uuid(),
                self.contact_of.get(customer_id, ""),
                d.isoformat(),
                _stamp(paid_at or t, 0),
                None,
                day_of(due).isoformat() if due else d.isoformat(),
                None,
                day_of(paid_at).isoformat() if paid_at else None,
                _stamp(self.synced, 0),
                0,
                f"{minor_to_major(total - paid, currency)}",
                f"{minor_to_major(paid, currency)}",
                f"{minor_to_major(subtotal, currency)}",
                f"{minor_to_major(total, currency)}",
                f"{minor_to_major(tax, currency)}",
                currency.upper(),
                f"{(1 / rate):.6f}" if rate else "1",
                "false",
                "false",
                number,
                "false",
                "Exclusive",
                stripe_id,
                "true",
                status,
                "ACCREC",
                None,
            )
        )

    def write(self, root: Path, as_of: date) -> dict[str, int]:
        acc = root / "landing" / "accounting"
        stamp = as_of.isoformat()
        synced = _stamp(self.synced, 0)
        counts = {
            "journal": write_csv(
                acc / "journal" / f"journal_{stamp}.csv", JOURNAL_HEADER, self.journals
            ),
            "journal_line": write_csv(
                acc / "journal_line" / f"journal_line_{stamp}.csv", LINE_HEADER, self.lines
            ),
            "account": write_csv(
                acc / "account" / f"account_{stamp}.csv",
                ("account_id", "name", "code", "type", "class", "_fivetran_synced"),
                [
                    (self.account_ids[k], name, code, atype, cls, synced)
                    for k, (code, name, atype, cls) in ACCOUNTS.items()
                ],
            ),
            "contact": write_csv(
                acc / "contact" / f"contact_{stamp}.csv",
                ("contact_id", "name", "account_number", "email_address", "_fivetran_deleted"),
                self.contacts,
            ),
            "invoice": write_csv(
                acc / "invoice" / f"invoice_{stamp}.csv", INVOICE_HEADER, self.invoices
            ),
        }
        return counts

"""The CRM as Salesforce exports it through an ELT connector (snake_case columns)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from .common import DAY, HOUR, Ids, day_of, to_dt
from .writer import write_csv

INDUSTRIES = (
    "Technology",
    "Finance",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
)
COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "IE": "Ireland",
    "JP": "Japan",
    "AU": "Australia",
    "CA": "Canada",
}
REPS = (
    "Alice Moreau",
    "Ben Okafor",
    "Chloe Schmidt",
    "Daniel Sato",
    "Emma Walsh",
    "Farid Haddad",
    "Grace Lin",
    "Hugo van Dijk",
    "Isla Murray",
    "Jonas Keller",
)


@dataclass
class Opportunity:
    created: int
    close: int
    name: str
    stage: str
    amount: Decimal
    kind: str
    product: str
    quantity: int
    probability: int


@dataclass
class AccountRecord:
    customer_id: str | None
    name: str
    country: str
    industry: str
    segment: str
    currency: str
    created: int
    opportunities: list[Opportunity] = field(default_factory=list)


def _stamp(t: int) -> str:
    return to_dt(t).strftime("%Y-%m-%d %H:%M:%S")


class Crm:
    def __init__(self, seed: int, ids: Ids) -> None:
        self.rng = random.Random(f"crm:{seed}")
        self.ids = ids
        self.users = [(ids.sf("005"), name) for name in REPS]
        self.accounts: list[AccountRecord] = []

    def account(self, rec: AccountRecord) -> AccountRecord:
        self.accounts.append(rec)
        return rec

    def add_prospects(self, n: int, start: int, end: int) -> None:
        """Accounts that never became gateway customers, with lost and open deals."""
        rng = self.rng
        countries = tuple(COUNTRY_NAMES)
        for i in range(n):
            created = start + rng.randrange(max(1, end - start))
            country = countries[rng.randrange(len(countries))]
            rec = AccountRecord(
                None,
                f"Prospect {INDUSTRIES[i % len(INDUSTRIES)]} {i + 1}",
                country,
                INDUSTRIES[rng.randrange(len(INDUSTRIES))],
                ("smb", "mid_market", "enterprise")[rng.randrange(3)],
                "usd",
                created,
            )
            close = created + rng.randrange(10, 90) * DAY
            open_deal = close >= end
            rec.opportunities.append(
                Opportunity(
                    created,
                    close,
                    f"{rec.name} - New",
                    "Proposal/Price Quote" if open_deal else "Closed Lost",
                    Decimal(rng.randrange(3, 80) * 1000),
                    "New Business",
                    "Revstack Team (per seat)",
                    rng.randrange(5, 60),
                    40 if open_deal else 0,
                )
            )
            self.accounts.append(rec)

    def write(self, root: Path, as_of: date, synced: int) -> dict[str, int]:
        rng = self.rng
        crm = root / "landing" / "crm"
        stamp = as_of.isoformat()
        customer_ids = [a.customer_id for a in self.accounts if a.customer_id]
        acc_rows, opp_rows, oli_rows = [], [], []
        links = {"linked": 0, "unlinked": 0, "mislinked": 0}
        for rec in self.accounts:
            aid = self.ids.sf("001")
            owner = self.users[rng.randrange(len(self.users))][0]
            link = rec.customer_id or ""
            if rec.customer_id:
                r = rng.random()
                if r < 0.07:
                    link, kind = "", "unlinked"
                elif r < 0.09 and len(customer_ids) > 1:
                    other = rec.customer_id
                    while other == rec.customer_id:
                        other = customer_ids[rng.randrange(len(customer_ids))]
                    link, kind = other, "mislinked"
                else:
                    kind = "linked"
                links[kind] += 1
            created = rec.created - rng.randrange(10, 90) * DAY
            modified = created + rng.randrange(1, 200) * DAY
            modified = min(modified, synced - HOUR)
            deleted = rng.random() < 0.01 and not rec.customer_id
            acc_rows.append(
                (
                    _stamp(synced),
                    aid,
                    rec.name,
                    "true" if deleted else "false",
                    _stamp(modified),
                    _stamp(modified),
                    _stamp(created),
                    COUNTRY_NAMES[rec.country],
                    rec.country,
                    rec.industry,
                    owner,
                    link,
                    "Customer - Direct" if rec.customer_id else "Prospect",
                    rec.segment,
                    rec.currency.upper(),
                    "true",
                )
            )
            opps = [(o, False) for o in rec.opportunities]
            if rec.opportunities and rng.random() < 0.03:
                opps.append((rec.opportunities[0], True))  # a duplicate, deleted in the CRM
            for opp, deleted_copy in opps:
                oid = self.ids.sf("006")
                won = opp.stage == "Closed Won"
                closed = opp.stage.startswith("Closed")
                mod = min(opp.close + rng.randrange(HOUR, 3 * DAY), synced - HOUR)
                opp_rows.append(
                    (
                        _stamp(synced),
                        oid,
                        aid,
                        opp.name,
                        opp.stage,
                        "true" if won else "false",
                        "true" if closed else "false",
                        day_of(opp.close).isoformat(),
                        f"{opp.amount:.2f}",
                        opp.kind,
                        "true" if deleted_copy else "false",
                        _stamp(mod),
                        _stamp(mod),
                        _stamp(opp.created),
                        owner,
                        opp.probability,
                        rec.currency.upper(),
                        "Closed" if closed else "Pipeline",
                        "true",
                    )
                )
                unit = (opp.amount / 12 / opp.quantity) if opp.quantity else opp.amount
                oli_rows.append(
                    (
                        _stamp(synced),
                        self.ids.sf("00k"),
                        oid,
                        opp.product,
                        opp.quantity,
                        f"{unit:.2f}",
                        f"{opp.amount:.2f}",
                        f"{unit:.2f}",
                        "false",
                        _stamp(mod),
                        _stamp(mod),
                        _stamp(opp.created),
                        "true",
                    )
                )
        self.links = links
        user_rows = [
            (
                "false",
                _stamp(synced),
                uid,
                name,
                name.split()[0],
                name.split()[-1],
                f"{name.lower().replace(' ', '.')}@revstack.example",
                "true",
                "Account Executive",
                _stamp(synced - 400 * DAY),
                _stamp(synced - 400 * DAY),
                "true",
            )
            for uid, name in self.users
        ]
        return {
            "account": write_csv(
                crm / "account" / f"account_{stamp}.csv",
                (
                    "_fivetran_synced",
                    "id",
                    "name",
                    "is_deleted",
                    "system_modstamp",
                    "last_modified_date",
                    "created_date",
                    "billing_country",
                    "billing_country_code",
                    "industry",
                    "owner_id",
                    "stripe_customer_id_c",
                    "type",
                    "segment_c",
                    "currency_iso_code",
                    "_fivetran_active",
                ),
                acc_rows,
            ),
            "opportunity": write_csv(
                crm / "opportunity" / f"opportunity_{stamp}.csv",
                (
                    "_fivetran_synced",
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
                    "last_modified_date",
                    "created_date",
                    "owner_id",
                    "probability",
                    "currency_iso_code",
                    "forecast_category",
                    "_fivetran_active",
                ),
                opp_rows,
            ),
            "opportunity_line_item": write_csv(
                crm / "opportunity_line_item" / f"opportunity_line_item_{stamp}.csv",
                (
                    "_fivetran_synced",
                    "id",
                    "opportunity_id",
                    "name",
                    "quantity",
                    "unit_price",
                    "total_price",
                    "list_price",
                    "is_deleted",
                    "system_modstamp",
                    "last_modified_date",
                    "created_date",
                    "_fivetran_active",
                ),
                oli_rows,
            ),
            "user": write_csv(
                crm / "user" / f"user_{stamp}.csv",
                (
                    "_fivetran_deleted",
                    "_fivetran_synced",
                    "id",
                    "name",
                    "first_name",
                    "last_name",
                    "email",
                    "is_active",
                    "title",
                    "created_date",
                    "last_modified_date",
                    "_fivetran_active",
                ),
                user_rows,
            ),
        }

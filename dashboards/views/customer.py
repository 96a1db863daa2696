"""Customer 360: one customer across the systems, every row with the id of its source object."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards import data, filters, ui


def _label(row) -> str:
    return f"{row['name'] or '(no name)'} · {row['customer_id']}"


def body(snapshot: data.Snapshot, f: filters.Filters) -> None:
    text = st.text_input(
        "Search a customer",
        key="customer_search",
        placeholder="name, customer id, gateway id (cus_…), CRM account id or Xero contact id",
    )
    matches = data.search_customers(snapshot, text)
    if matches.empty:
        st.info(f"No customer matches {text!r}.")
        return
    options = list(matches["customer_id"])
    labels = {row["customer_id"]: _label(row) for _, row in matches.iterrows()}
    chosen = st.selectbox(
        f"Customer ({len(options):,} shown)", options, format_func=labels.get, key="customer_id"
    )
    profile = data.customer(snapshot, chosen).iloc[0]
    currency = (profile["currency"] or f.reporting_currency).upper()
    rc = f.reporting_currency

    ui.section(profile["name"] or chosen, snapshot, f"unified customer {chosen}")
    st.markdown(
        f"Gateway customer `{profile['gateway_customer_id']}` · "
        f"CRM account `{profile['crm_account_id'] or 'not matched'}` · "
        f"Xero contact `{profile['accounting_contact_id'] or 'not matched'}` · "
        f"{profile['segment']} · {profile['country']} · {currency} · "
        f"matched by {profile['match_method']}"
    )
    ui.section("CRM account and identity", snapshot, "dim_customers: the ids in each system")
    ui.table(data.customer(snapshot, chosen), "customer", currency=currency)

    sections = [
        ("Subscriptions", "subscriptions", data.customer_subscriptions,
         "fct_subscription_mrr · source_id: the event that set the latest MRR"),
        ("Invoices", "invoices", partial(data.customer_rows, what="invoices"),
         "fct_invoices · invoice_id (in_…)"),
        ("Payments", "payments", partial(data.customer_rows, what="payments"),
         "fct_payments · payment_id (ch_, re_, dp_) and balance_transaction_id"),
        ("Ledger lines", "ledger", partial(data.customer_rows, what="ledger"),
         "fct_revenue_ledger · source_system and source_id of every posting"),
        ("Usage", "usage", data.customer_usage,
         "usage invoice lines (invoice_line_id) next to the usage recorded that month "
         "(rpt_reconciliation usage_recorded_vs_billed)"),
        ("MRR history", "mrr_history", data.customer_mrr_history,
         f"fct_mrr intervals in {currency} and {rc} · source_id: what started each interval"),
    ]  # fmt: skip
    for title, name, fetch, note in sections:
        ui.section(title, snapshot, note)
        ui.table(fetch(snapshot, chosen), f"{name}_{chosen}", currency=currency, reporting=rc)


ui.page(
    "Customer 360",
    body,
    needs=("dim_customers", "fct_subscription_mrr", "fct_invoices", "fct_payments",
           "fct_revenue_ledger", "fct_invoice_lines", "fct_mrr", "fct_mrr_movements"),
)  # fmt: skip

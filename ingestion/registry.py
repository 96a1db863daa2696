"""Sources, their entities and the contract each entity's landing files must keep.

This module is data: the loader and the DDL read it. Contracts §2 names the entity folders,
§3 the raw tables, §4 the Stripe fields. Column and field lists are the shapes we know; anything
else that arrives is kept and reported as schema drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --------------------------------------------------------------------------------------------
# Gateway (Stripe API objects, JSON Lines)
# --------------------------------------------------------------------------------------------

_COMMON_STRIPE = ("id", "object", "livemode", "metadata", "deleted")


@dataclass(frozen=True)
class StripeContract:
    """What a Stripe object of one type must look like to enter ``raw_gateway``.

    Paths are relative to the object (``lines.data[*].currency``); ``[*]`` walks a list.
    """

    object: str
    #: allowed id prefixes; empty = any non-empty id (coupons have free-text ids)
    prefixes: tuple[str, ...]
    #: fields that must be present on a live (not ``deleted``) object
    required: tuple[str, ...] = ("created",)
    #: top-level fields that must be JSON integers when present and not null
    integers: tuple[str, ...] = ()
    #: paths holding a currency code: must be ISO 4217 when present and not null
    currencies: tuple[str, ...] = ("currency",)
    #: top-level (start, end) pairs: end >= start when both are integers
    periods: tuple[tuple[str, str], ...] = ()
    #: (list path, start sub-path, end sub-path): the same rule for every list element
    list_periods: tuple[tuple[str, str, str], ...] = ()
    #: (list path, sub-path) that must be integers when present and not null
    list_integers: tuple[tuple[str, str], ...] = ()
    #: top-level fields known in the current and older API shapes (others are drift)
    known: frozenset[str] = field(default_factory=frozenset)


def _known(*groups: str) -> frozenset[str]:
    return frozenset(" ".join((*_COMMON_STRIPE, *groups)).split())


STRIPE_CONTRACTS: dict[str, StripeContract] = {
    c.object: c
    for c in (
        StripeContract(
            "customer",
            ("cus_",),
            integers=("created", "balance"),
            known=_known(
                "address balance created currency default_source delinquent description "
                "discount email invoice_prefix invoice_settings name next_invoice_sequence phone "
                "preferred_locales shipping tax_exempt test_clock sources subscriptions tax_ids "
                "cash_balance invoice_credit_balance tax account_balance business_name "
                "individual_name customer_account default_currency"
            ),
        ),
        StripeContract(
            "product",
            ("prod_",),
            integers=("created", "updated"),
            currencies=(),
            known=_known(
                "active created default_price description images marketing_features name "
                "package_dimensions shippable statement_descriptor tax_code type unit_label "
                "updated url attributes caption deactivate_on features"
            ),
        ),
        StripeContract(
            "price",
            ("price_",),
            required=("created", "currency", "type"),
            integers=("created", "unit_amount"),
            list_integers=(("tiers", "unit_amount"), ("tiers", "flat_amount")),
            known=_known(
                "active billing_scheme created currency custom_unit_amount lookup_key nickname "
                "product recurring tax_behavior tiers_mode transform_quantity type unit_amount "
                "unit_amount_decimal currency_options tiers"
            ),
        ),
        StripeContract(
            "coupon",
            (),
            integers=("created", "amount_off", "duration_in_months", "redeem_by"),
            known=_known(
                "amount_off created currency duration duration_in_months max_redemptions name "
                "percent_off redeem_by times_redeemed valid applies_to currency_options"
            ),
        ),
        StripeContract(
            "discount",
            ("di_",),
            required=("start",),
            integers=("start", "end"),
            currencies=("coupon.currency", "source.coupon.currency"),
            periods=(("start", "end"),),
            known=_known(
                "checkout_session customer customer_account end invoice invoice_item "
                "promotion_code source start subscription subscription_item coupon"
            ),
        ),
        StripeContract(
            "tax_rate",
            ("txr_",),
            integers=("created",),
            currencies=("flat_amount.currency",),
            known=_known(
                "active country created description display_name effective_percentage "
                "flat_amount inclusive jurisdiction jurisdiction_level percentage rate_type "
                "state tax_type"
            ),
        ),
        StripeContract(
            "subscription",
            ("sub_",),
            required=("created", "customer", "status", "items"),
            integers=(
                "created",
                "start_date",
                "current_period_start",
                "current_period_end",
                "trial_start",
                "trial_end",
                "cancel_at",
                "canceled_at",
                "ended_at",
            ),
            currencies=(
                "currency",
                "items.data[*].price.currency",
                "items.data[*].plan.currency",
            ),
            periods=(("current_period_start", "current_period_end"), ("trial_start", "trial_end")),
            list_periods=(("items.data", "current_period_start", "current_period_end"),),
            list_integers=(("items.data", "quantity"), ("items.data", "price.unit_amount")),
            known=_known(
                "application application_fee_percent automatic_tax billing_cycle_anchor "
                "billing_cycle_anchor_config billing_mode billing_schedules billing_thresholds "
                "cancel_at cancel_at_period_end canceled_at cancellation_details "
                "collection_method created currency customer customer_account days_until_due "
                "default_payment_method default_source default_tax_rates description discounts "
                "ended_at invoice_settings items latest_invoice managed_payments "
                "next_pending_invoice_item_invoice on_behalf_of pause_collection "
                "payment_settings pending_invoice_item_interval pending_setup_intent "
                "pending_update schedule start_date status test_clock transfer_data trial_end "
                "trial_settings trial_start current_period_start current_period_end discount "
                "plan quantity tax_percent start billing trial_from_plan"
            ),
        ),
        StripeContract(
            "invoice",
            ("in_",),
            required=("created", "customer", "currency", "total"),
            integers=(
                "created",
                "amount_due",
                "amount_paid",
                "amount_remaining",
                "amount_overpaid",
                "amount_shipping",
                "subtotal",
                "subtotal_excluding_tax",
                "total",
                "total_excluding_tax",
                "tax",
                "starting_balance",
                "ending_balance",
                "period_start",
                "period_end",
                "due_date",
            ),
            currencies=("currency", "lines.data[*].currency"),
            periods=(("period_start", "period_end"),),
            list_periods=(("lines.data", "period.start", "period.end"),),
            list_integers=(("lines.data", "amount"),),
            known=_known(
                "account_country account_name account_tax_ids amount_due amount_overpaid "
                "amount_paid amount_remaining amount_shipping application attempt_count "
                "attempted auto_advance automatic_tax automatically_finalizes_at billing_reason "
                "collection_method created currency custom_fields customer customer_account "
                "customer_address customer_email customer_name customer_phone customer_shipping "
                "customer_tax_exempt customer_tax_ids default_payment_method default_source "
                "default_tax_rates description discounts due_date effective_at ending_balance "
                "footer from_invoice hosted_invoice_url invoice_pdf issuer "
                "last_finalization_error latest_revision lines next_payment_attempt number "
                "on_behalf_of parent payment_settings period_end period_start "
                "post_payment_credit_notes_amount pre_payment_credit_notes_amount receipt_number "
                "rendering shipping_cost shipping_details starting_balance statement_descriptor "
                "status status_transitions subscription subtotal subtotal_excluding_tax "
                "test_clock total total_discount_amounts total_excluding_tax "
                "total_pretax_credit_amounts total_taxes webhooks_delivered_at charge discount "
                "paid paid_out_of_band payment_intent subscription_details "
                "subscription_proration_date tax total_tax_amounts quote confirmation_secret "
                "payments closed forgiven application_fee_amount tax_percent billing date "
                "transfer_data threshold_reason"
            ),
        ),
        StripeContract(
            "invoiceitem",
            ("ii_",),
            required=("customer", "amount", "currency"),
            integers=("amount", "date", "unit_amount", "quantity"),
            currencies=("currency", "price.currency"),
            list_periods=(),
            periods=(("period.start", "period.end"),),
            known=_known(
                "amount currency customer customer_account date description discountable "
                "discounts invoice net_amount parent period pricing proration quantity "
                "quantity_decimal tax_rates test_clock price plan subscription "
                "subscription_item unit_amount unit_amount_decimal created"
            ),
        ),
        StripeContract(
            "credit_note",
            ("cn_",),
            required=("created", "invoice", "amount", "currency"),
            integers=("created", "amount", "subtotal", "total", "discount_amount"),
            currencies=("currency", "lines.data[*].tax_rates[*].flat_amount.currency"),
            list_integers=(("lines.data", "amount"),),
            known=_known(
                "amount amount_shipping created currency customer customer_account "
                "customer_balance_transaction discount_amount discount_amounts effective_at "
                "invoice lines memo number out_of_band_amount pdf post_payment_amount "
                "pre_payment_amount pretax_credit_amounts reason refunds shipping_cost status "
                "subtotal subtotal_excluding_tax total total_excluding_tax total_taxes type "
                "voided_at tax_amounts"
            ),
        ),
        StripeContract(
            "charge",
            ("ch_", "py_"),
            required=("created", "amount", "currency", "status"),
            integers=(
                "created",
                "amount",
                "amount_captured",
                "amount_refunded",
                "application_fee_amount",
            ),
            known=_known(
                "amount amount_captured amount_refunded application application_fee "
                "application_fee_amount balance_transaction billing_details "
                "calculated_statement_descriptor captured created currency customer description "
                "disputed failure_balance_transaction failure_code failure_message fraud_details "
                "on_behalf_of outcome paid payment_intent payment_method payment_method_details "
                "receipt_email receipt_number receipt_url refunded refunds review shipping source "
                "source_transfer statement_descriptor statement_descriptor_suffix status "
                "transfer_data transfer_group invoice order alternate_statement_descriptors "
                "authorization_code level3 radar_options presentment_details dispute"
            ),
        ),
        StripeContract(
            "refund",
            ("re_", "pyr_"),
            required=("created", "amount", "currency"),
            integers=("created", "amount"),
            known=_known(
                "amount balance_transaction charge created currency customer customer_account "
                "destination_details payment_intent payment_method reason receipt_number "
                "source_transfer_reversal status transfer_reversal failure_balance_transaction "
                "failure_reason instructions_email next_action presentment_details "
                "pending_reason description"
            ),
        ),
        StripeContract(
            "dispute",
            ("dp_", "du_"),
            required=("created", "amount", "currency", "charge", "status"),
            integers=("created", "amount"),
            known=_known(
                "amount balance_transactions charge created currency enhanced_eligibility_types "
                "evidence evidence_details is_charge_refundable payment_intent "
                "payment_method_details reason status network_reason_code balance_transaction"
            ),
        ),
        StripeContract(
            "balance_transaction",
            ("txn_",),
            required=("created", "amount", "currency", "fee", "net", "type"),
            integers=("created", "amount", "fee", "net", "available_on"),
            list_integers=(("fee_details", "amount"),),
            known=_known(
                "amount available_on balance_type created currency description exchange_rate "
                "fee fee_details net reporting_category source status type"
            ),
        ),
        StripeContract(
            "payout",
            ("po_",),
            required=("created", "amount", "currency"),
            integers=("created", "amount", "arrival_date", "application_fee_amount"),
            known=_known(
                "amount application_fee application_fee_amount arrival_date automatic "
                "balance_transaction created currency description destination "
                "failure_balance_transaction failure_code failure_message method original_payout "
                "payout_method reconciliation_status reversed_by source_type "
                "statement_descriptor status trace_id type"
            ),
        ),
        StripeContract(
            "application_fee",
            ("fee_",),
            required=("created", "amount", "currency"),
            integers=("created", "amount", "amount_refunded"),
            known=_known(
                "account amount amount_refunded application balance_transaction charge created "
                "currency fee_source originating_transaction refunded refunds"
            ),
        ),
        StripeContract(
            "transfer",
            ("tr_",),
            required=("created", "amount", "currency"),
            integers=("created", "amount", "amount_reversed"),
            known=_known(
                "amount amount_reversed balance_transaction created currency description "
                "destination destination_payment reversals reversed source_transaction "
                "source_type transfer_group"
            ),
        ),
    )
}

EVENT_CONTRACT = StripeContract(
    "event",
    ("evt_",),
    required=("created", "type", "data"),
    integers=("created",),
    currencies=(),
    known=_known("api_version created data pending_webhooks request type account context"),
)

#: gateway entity folder -> Stripe object type delivered in it
GATEWAY_OBJECTS: dict[str, str] = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "coupons": "coupon",
    "discounts": "discount",
    "tax_rates": "tax_rate",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "invoiceitems": "invoiceitem",
    "credit_notes": "credit_note",
    "charges": "charge",
    "refunds": "refund",
    "disputes": "dispute",
    "balance_transactions": "balance_transaction",
    "payouts": "payout",
    "application_fees": "application_fee",
    "transfers": "transfer",
    "events": "event",
}


def stripe_contract(entity: str) -> StripeContract:
    obj = GATEWAY_OBJECTS[entity]
    return EVENT_CONTRACT if obj == "event" else STRIPE_CONTRACTS[obj]


# --------------------------------------------------------------------------------------------
# Usage (CloudEvents 1.0, JSON Lines)
# --------------------------------------------------------------------------------------------

CLOUDEVENT_REQUIRED: tuple[str, ...] = ("specversion", "id", "source", "type", "subject", "time")
CLOUDEVENT_KNOWN: frozenset[str] = frozenset(
    (*CLOUDEVENT_REQUIRED, "datacontenttype", "dataschema", "data", "data_base64")
)

# --------------------------------------------------------------------------------------------
# CRM (Salesforce, Fivetran layout) and accounting (Xero, dbt_xero layout): CSV
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvContract:
    """A CSV entity: its columns (all VARCHAR in raw) and the rules on their values."""

    key: str
    #: columns that must be in the header; without one the entity is blocked
    required: tuple[str, ...]
    #: every column we know, in table order (others are drift and get added)
    columns: tuple[str, ...]
    dates: tuple[str, ...] = ()  # YYYY-MM-DD, a time part allowed
    timestamps: tuple[str, ...] = ()  # YYYY-MM-DD[ T]HH:MM[:SS[.f]] [UTC|Z|+hh:mm]
    numbers: tuple[str, ...] = ()
    booleans: tuple[str, ...] = ()


def _cols(text: str, *extra: str) -> tuple[str, ...]:
    cols = text.split()
    return tuple(cols + [c for c in extra if c not in cols])


_SF_EXTRA = (
    "created_date",
    "created_by_id",
    "last_modified_date",
    "last_modified_by_id",
    "system_modstamp",
    "currency_iso_code",
)

CSV_CONTRACTS: dict[tuple[str, str], CsvContract] = {
    ("crm", "account"): CsvContract(
        key="id",
        required=("id", "name", "is_deleted"),
        columns=_cols(
            "_fivetran_synced account_number account_source annual_revenue billing_city "
            "billing_country billing_country_code billing_geocode_accuracy billing_latitude "
            "billing_longitude billing_postal_code billing_state billing_state_code "
            "billing_street description fax id industry is_deleted jigsaw_company_id "
            "last_activity_date last_referenced_date last_viewed_date master_record_id name "
            "number_of_employees owner_id ownership parent_id phone photo_url rating "
            "record_type_id shipping_city shipping_country shipping_country_code "
            "shipping_geocode_accuracy shipping_latitude shipping_longitude shipping_postal_code "
            "shipping_state shipping_state_code shipping_street sic sic_desc site ticker_symbol "
            "type website _fivetran_active",
            *_SF_EXTRA,
            "stripe_customer_id_c",
            "segment_c",
        ),
        timestamps=("_fivetran_synced", "created_date", "last_modified_date", "system_modstamp"),
        numbers=("annual_revenue", "number_of_employees"),
        booleans=("is_deleted", "_fivetran_active"),
    ),
    ("crm", "opportunity"): CsvContract(
        key="id",
        required=("id", "account_id", "amount", "close_date", "is_won", "is_deleted", "stage_name"),
        columns=_cols(
            "_fivetran_synced account_id amount campaign_id close_date created_date description "
            "expected_revenue fiscal fiscal_quarter fiscal_year forecast_category "
            "forecast_category_name has_open_activity has_opportunity_line_item has_overdue_task "
            "id is_closed is_deleted is_excluded_from_territory_2_filter is_won "
            "last_activity_date last_referenced_date last_viewed_date lead_source name next_step "
            "owner_id pricebook_2_id probability record_type_id stage_name synced_quote_id "
            "territory_2_id type _fivetran_active",
            *_SF_EXTRA,
        ),
        dates=("close_date",),
        timestamps=("_fivetran_synced", "created_date", "last_modified_date", "system_modstamp"),
        numbers=("amount", "expected_revenue", "probability"),
        booleans=("is_won", "is_deleted", "is_closed", "_fivetran_active"),
    ),
    ("crm", "opportunity_line_item"): CsvContract(
        key="id",
        required=("id", "opportunity_id", "quantity", "total_price"),
        columns=_cols(
            "product_2_id quantity total_price description discount last_modified_date "
            "list_price product_code unit_price _fivetran_synced is_deleted opportunity_id "
            "last_modified_by_id service_date system_modstamp name id created_by_id created_date "
            "sort_order pricebook_entry_id one_saas_app_included_c "
            "one_saas_app_quantity_invoiced_c one_saas_app_quantity_not_invoiced_c "
            "has_quantity_schedule has_revenue_schedule has_schedule event_volume_c "
            "roadmap_connections_c row_volume_c months_c "
            "netsuite_conn_term_contract_pricing_type_c netsuite_conn_discount_item_c "
            "netsuite_conn_user_entered_sales_price_c netsuite_conn_item_category_c "
            "netsuite_conn_terms_c netsuite_conn_net_suite_item_key_id_c "
            "netsuite_conn_pushed_from_net_suite_c netsuite_conn_end_date_c "
            "netsuite_conn_list_rate_c netsuite_conn_from_contract_item_id_c "
            "netsuite_conn_start_date_c netsuite_conn_net_suite_item_id_import_c "
            "sbqq_parent_id_c sbqq_quote_line_c sbqq_subscription_type_c product_family_c "
            "last_referenced_date last_viewed_date celigo_sfnsio_contract_item_id_c "
            "celigo_sfnsio_contract_term_c celigo_sfnsio_end_date_c celigo_sfnsio_list_rate_c "
            "celigo_sfnsio_net_suite_line_id_c celigo_sfnsio_start_date_c "
            "product_code_stamped_c hvr_use_case_c _fivetran_active",
            *_SF_EXTRA,
            "product_2_id",
            "price_id_c",
        ),
        timestamps=("_fivetran_synced", "created_date", "last_modified_date", "system_modstamp"),
        numbers=("quantity", "total_price", "list_price", "unit_price", "discount"),
        booleans=("is_deleted",),
    ),
    ("crm", "user"): CsvContract(
        key="id",
        required=("id", "name"),
        columns=_cols(
            "_fivetran_deleted _fivetran_synced about_me account_id alias badge_text "
            "banner_photo_url call_center_id city community_nickname company_name contact_id "
            "country country_code default_group_notification_frequency delegated_approver_id "
            "department digest_frequency division email email_encoding_key "
            "email_preferences_auto_bcc employee_number extension fax federation_identifier "
            "first_name forecast_enabled full_photo_url geocode_accuracy id individual_id "
            "is_active is_profile_photo_active language_locale_key last_login_date last_name "
            "last_referenced_date last_viewed_date latitude locale_sid_key longitude manager_id "
            "medium_banner_photo_url mobile_phone name offline_trial_expiration_date phone "
            "postal_code profile_id receives_admin_info_emails receives_info_emails sender_email "
            "sender_name signature small_banner_photo_url small_photo_url state state_code "
            "street time_zone_sid_key title user_role_id user_type username _fivetran_active",
            *_SF_EXTRA,
        ),
        timestamps=("_fivetran_synced", "created_date", "last_modified_date", "system_modstamp"),
        booleans=("is_active", "_fivetran_deleted", "_fivetran_active"),
    ),
    ("accounting", "journal"): CsvContract(
        key="journal_id",
        required=("journal_id", "created_date_utc", "journal_date", "journal_number"),
        columns=_cols(
            "journal_id created_date_utc journal_date journal_number reference source_id "
            "source_type",
            "_fivetran_synced",
        ),
        dates=("journal_date",),
        timestamps=("created_date_utc", "_fivetran_synced"),
        numbers=("journal_number",),
    ),
    ("accounting", "journal_line"): CsvContract(
        key="journal_line_id",
        required=("journal_line_id", "journal_id", "account_id", "net_amount"),
        columns=_cols(
            "journal_line_id account_code account_id account_name account_type description "
            "gross_amount journal_id net_amount tax_amount tax_name tax_type",
            "_fivetran_synced",
        ),
        numbers=("gross_amount", "net_amount", "tax_amount"),
    ),
    ("accounting", "account"): CsvContract(
        key="account_id",
        required=("account_id", "name", "type"),
        columns=_cols("account_id name code type class _fivetran_synced"),
        timestamps=("_fivetran_synced",),
    ),
    ("accounting", "contact"): CsvContract(
        key="contact_id",
        required=("contact_id", "name"),
        columns=_cols(
            "contact_id name _fivetran_deleted",
            "account_number",
            "email_address",
            "is_customer",
            "is_supplier",
            "contact_status",
            "updated_date_utc",
            "_fivetran_synced",
        ),
        timestamps=("updated_date_utc", "_fivetran_synced"),
        booleans=("_fivetran_deleted", "is_customer", "is_supplier"),
    ),
    ("accounting", "invoice"): CsvContract(
        key="invoice_id",
        required=("invoice_id", "contact_id", "date", "status", "type", "total", "currency_code"),
        columns=_cols(
            "invoice_id contact_id date updated_date_utc planned_payment_date due_date "
            "expected_payment_date fully_paid_on_date _fivetran_synced amount_credited "
            "amount_due amount_paid sub_total total total_tax currency_code currency_rate "
            "has_attachments has_errors invoice_number is_discounted line_amount_types "
            "reference sent_to_contact status type url"
        ),
        dates=(
            "date",
            "planned_payment_date",
            "due_date",
            "expected_payment_date",
            "fully_paid_on_date",
        ),
        timestamps=("updated_date_utc", "_fivetran_synced"),
        numbers=(
            "amount_credited",
            "amount_due",
            "amount_paid",
            "sub_total",
            "total",
            "total_tax",
            "currency_rate",
        ),
        booleans=("has_attachments", "has_errors", "is_discounted", "sent_to_contact"),
    ),
}

# --------------------------------------------------------------------------------------------
# The public map
# --------------------------------------------------------------------------------------------

#: source -> its entity folders (contracts §2), in delivery-independent order
ENTITIES: dict[str, tuple[str, ...]] = {
    "gateway": tuple(GATEWAY_OBJECTS),
    "crm": ("account", "opportunity", "opportunity_line_item", "user"),
    "usage": ("events",),
    "accounting": ("journal", "journal_line", "account", "contact", "invoice"),
    "fx": ("rates",),
}

#: file suffixes ingestion reads per source (others in the folder are ignored)
FILE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "gateway": (".jsonl", ".ndjson", ".json"),
    "usage": (".jsonl", ".ndjson", ".json"),
    "crm": (".csv",),
    "accounting": (".csv",),
    "fx": (".csv",),
}


def check_entity(source: str, entity: str) -> None:
    """Raise ``ValueError`` for a source/entity pair outside contracts §2."""
    if source not in ENTITIES:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(ENTITIES)}")
    if entity not in ENTITIES[source]:
        raise ValueError(
            f"unknown entity {entity!r} for source {source!r}; expected one of {ENTITIES[source]}"
        )

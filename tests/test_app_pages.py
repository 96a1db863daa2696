"""AppTest of every page on the small built company: what each page shows is what the marts hold.

Every expected figure is computed here with plain SQL on the serving snapshot, independently of
dashboards/data.py, and compared with what the page renders (metrics as formatted, tables as
exact Decimals, charts from their Arrow data).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
PAGES = [
    "views/overview.py",
    "views/mrr.py",
    "views/retention.py",
    "views/revenue.py",
    "views/customer.py",
    "views/health.py",
]


@pytest.fixture(scope="module")
def home(small_home: Path) -> Path:
    """The built 200-customer company (read-only here)."""
    return small_home


@pytest.fixture(scope="module")
def sql(home: Path):
    con = duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True)
    con.execute("set enable_progress_bar = false")

    def run(text: str, params: list | None = None) -> list[tuple]:
        return con.execute(text, params or []).fetchall()

    yield run
    con.close()


@pytest.fixture
def app(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("REVSTACK_HOME", str(home))

    def open_page(page: str = "views/overview.py") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60).run()
        if page != "views/overview.py":
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def money(value: Decimal, sign: bool = False) -> str:
    return f"{value:{'+' if sign else ''},.2f}"


def pct(value: Decimal, unit: str = "%", sign: bool = False) -> str:
    return f"{value * 100:{'+' if sign else ''},.2f} {unit}"


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def chart_data(at: AppTest, index: int):
    """The data of the index-th vega-lite chart on the page, as pandas."""
    proto = at.get("vega_lite_chart")[index].proto
    return pa.ipc.open_stream(proto.datasets[0].data.data).read_pandas()


def frame(at: AppTest, name: str):
    """The table whose CSV download is named ``name``."""
    labels = [b.label for b in at.download_button]
    return at.dataframe[labels.index(f"Download {name} (CSV)")].value


def widget(widgets, label: str):
    """The widget whose label starts with ``label``."""
    return next(w for w in widgets if w.label.startswith(label))


def assert_every_table_downloads(at: AppTest) -> None:
    assert len(at.download_button) == len(at.dataframe) > 0
    assert all(b.label.endswith("(CSV)") for b in at.download_button)


def assert_as_of(at: AppTest, sql) -> None:
    (published,) = sql("select published_at from meta.snapshot")[0]
    stamp = f"as of {published:%Y-%m-%d %H:%M:%S} UTC · "
    captions = [c.value for c in at.caption if "as of" in c.value]
    assert captions and all(stamp in c for c in captions)
    # every KPI carries it too
    assert all(m.help.startswith(stamp) for m in at.metric if m.help)


def test_overview_kpis_and_monthly_table_are_metrics_monthly(app, sql):
    at = app()
    rows = sql(
        "select month, mrr, arr, net_new_mrr, customers, customer_churn_rate,"
        " gross_mrr_churn_rate, net_mrr_churn_rate, nrr, cash_collected, deferred_revenue_end"
        " from marts.metrics_monthly order by month desc limit 2"
    )
    (latest, previous) = rows
    ar = dict(sql("select month, receivables_rc from marts.rpt_dso"))
    shown = metrics(at)
    labels = ["MRR", "ARR", "Net new MRR"]
    for i, label in enumerate(labels, start=1):
        assert shown[label] == (money(latest[i]), money(latest[i] - previous[i], sign=True))
    assert shown["Paying customers"] == (f"{latest[4]:,}", f"{latest[4] - previous[4]:+,}")
    rates = ["Customer churn rate", "Gross MRR churn rate", "Net MRR churn rate", "NRR"]
    for i, label in enumerate(rates, start=5):
        assert shown[label] == (pct(latest[i]), pct(latest[i] - previous[i], "pp", sign=True))
    assert shown["Cash collected"] == (money(latest[9]), money(latest[9] - previous[9], True))
    assert shown["Deferred revenue"] == (money(latest[10]), money(latest[10] - previous[10], True))
    assert shown["AR outstanding"] == (
        money(ar[latest[0]]),
        money(ar[latest[0]] - ar[previous[0]], sign=True),
    )
    assert f"{latest[0]:%B %Y}" in [s.value for s in at.subheader]
    table = frame(at, "metrics_monthly")
    expected = sql(
        "select month, mrr, nrr, deferred_revenue_end from marts.metrics_monthly order by month"
    )
    assert list(table["month"]) == [r[0] for r in expected]
    assert list(table["mrr"]) == [r[1] for r in expected]  # exact Decimals
    assert list(table["deferred_revenue_end"]) == [r[3] for r in expected]
    assert_as_of(at, sql)
    assert_every_table_downloads(at)


def test_overview_latest_day_is_that_days_payments(app, sql):
    """The latest day with a charge (today, under live traffic): its cash collected, charges
    succeeded and failed, and the last payment, from fct_payments."""
    at = app()
    ((day, cash, succeeded, failed, last_at, last_rc),) = sql(
        "with d as (select max(occurred_date) as day from marts.fct_payments where kind = 'charge')"
        " select any_value(day),"
        " sum(amount_rc) filter (where status = 'succeeded'),"
        " count(*) filter (where status = 'succeeded'), count(*) filter (where status = 'failed'),"
        " max(occurred_at) filter (where status = 'succeeded'),"
        " arg_max(amount_rc, occurred_at) filter (where status = 'succeeded')"
        " from marts.fct_payments, d where kind = 'charge' and occurred_date = d.day"
    )
    assert f"Latest day: {day:%Y-%m-%d}" in [h.value for h in at.subheader]
    shown = metrics(at)
    assert shown["Cash collected (day)"][0] == money(cash)
    assert shown["Charges succeeded (day)"][0] == f"{succeeded:,}"
    assert shown["Charges failed (day)"][0] == f"{failed:,}"
    assert shown["Last payment"][0] == money(last_rc)
    stamp = f"last payment at {last_at:%Y-%m-%d %H:%M:%S} UTC · "
    assert any(c.value.startswith(stamp) for c in at.caption)
    assert_as_of(at, sql)  # the full build published fct_payments: the snapshot's time


def test_overview_period_filter_moves_the_kpi_month(app, sql):
    at = app()
    months = [r[0] for r in sql("select month from marts.metrics_monthly order by month")]
    widget(at.select_slider, "Period").set_range(months[3], months[6]).run()
    assert not at.exception
    mrr = dict(sql("select month, mrr from marts.metrics_monthly"))
    assert metrics(at)["MRR"] == (
        money(mrr[months[6]]),
        money(mrr[months[6]] - mrr[months[5]], True),
    )
    assert list(frame(at, "metrics_monthly")["month"]) == months[3:7]


def test_mrr_page_bridge_movements_and_splits(app, sql):
    at = app("views/mrr.py")
    expected = sql(
        "select month, start_mrr, new_mrr, expansion_mrr, reactivation_mrr, -contraction_mrr,"
        " -churned_mrr, fx_impact_mrr, mrr, customers from marts.metrics_monthly order by month"
    )
    bridge = frame(at, "mrr_bridge")
    assert [tuple(r) for r in bridge.itertuples(index=False)] == expected
    # the waterfall of the last month: start, the movements, FX, end
    last = expected[-1]
    waterfall = chart_data(at, 0)
    assert list(waterfall["step"]) == [
        "Start MRR", "New", "Expansion", "Reactivation", "Contraction", "Churn", "FX", "End MRR"
    ]  # fmt: skip
    assert list(waterfall["amount"]) == pytest.approx([float(v) for v in last[1:9]], abs=1e-6)
    assert metrics(at)["End MRR"][0] == money(last[8])

    moves = frame(at, "mrr_movements")
    count, total, ids = sql(
        "select count(*), sum(mrr_delta_rc), list(source_id order by source_id)"
        " from marts.fct_mrr_movements"
    )[0]
    assert len(moves) == count and moves["mrr_delta_rc"].sum() == total
    assert sorted(moves["source_id"]) == ids

    month_end = date.fromordinal(
        date(last[0].year + last[0].month // 12, last[0].month % 12 + 1, 1).toordinal() - 1
    )
    # the splits on the month's last day add up to the headline MRR and customers, exactly
    mrr, customers = last[8], last[9]
    by_segment = dict(
        sql(
            "select segment, sum(mrr_rc) from marts.metrics_customer_monthly"
            " where month = ? and is_paying group by 1",
            [last[0]],
        )
    )
    segment = frame(at, "mrr_by_segment")
    assert dict(zip(segment["segment"], segment["mrr"], strict=True)) == by_segment
    assert len(by_segment) == 4
    (subscriptions,) = sql(
        "select count(*) from marts.fct_subscription_mrr"
        " where valid_from <= ? and coalesce(valid_to, date '9999-12-31') > ? and mrr > 0",
        [month_end, month_end],
    )[0]
    for split in ("plan", "segment", "country", "currency"):
        table = frame(at, f"mrr_by_{split}")
        assert table["mrr"].sum() == mrr, split
        assert table["subscriptions"].sum() == subscriptions >= customers, split
        if split != "plan":  # a customer on two plans counts in both
            assert table["customers"].sum() == customers, split
    # a plan is its subscriptions' MRR at the month-end rate (a customer's last plan takes the
    # rounding its other plans leave: at most 0.000001 each)
    by_plan = dict(
        sql(
            """
            select
                coalesce(array_to_string(list_sort(list_distinct(
                    list_transform(s.items, lambda i: i.price_id))), ' + '), '(no items)'),
                sum(s.mrr * b.fx_rate)
            from marts.fct_subscription_mrr as s
            join marts.metrics_customer_monthly as b
                on b.customer_id = s.customer_id and b.month = ?
            where s.valid_from <= ? and coalesce(s.valid_to, date '9999-12-31') > ? and s.mrr > 0
            group by 1
            """,
            [last[0], month_end, month_end],
        )
    )
    plan = frame(at, "mrr_by_plan")
    assert set(plan["plan"]) == set(by_plan) and len(by_plan) > 3
    for name, amount in zip(plan["plan"], plan["mrr"], strict=True):
        assert abs(amount - by_plan[name]) <= Decimal("0.000001") * customers, name
    assert_as_of(at, sql)
    assert_every_table_downloads(at)


def test_mrr_page_segments_add_up_to_the_company(app, sql):
    """In the reporting currency a segment's bridge and splits are month-end balances too: every
    segment together is metrics_monthly, row for row; one segment is its customers' share."""
    at = app("views/mrr.py")
    segments = [r[0] for r in sql("select distinct segment from marts.dim_customers order by 1")]
    widget(at.multiselect, "Segment").set_value(segments).run()
    assert not at.exception
    expected = sql(
        "select month, start_mrr, new_mrr, expansion_mrr, reactivation_mrr, -contraction_mrr,"
        " -churned_mrr, fx_impact_mrr, mrr, customers from marts.metrics_monthly order by month"
    )
    bridge = frame(at, "mrr_bridge")
    assert [tuple(r) for r in bridge.itertuples(index=False)] == expected
    assert "USD at month-end rates · " + ", ".join(segments) in at.caption[1].value

    widget(at.multiselect, "Segment").set_value(["enterprise"]).run()
    bridge = frame(at, "mrr_bridge")
    balances = dict(
        sql(
            "select month, sum(mrr_rc) from marts.metrics_customer_monthly"
            " where segment = 'enterprise' group by 1"
        )
    )
    assert 0 < balances[expected[-1][0]] < expected[-1][8]
    assert list(bridge["end_mrr"]) == [balances.get(m[0], 0) for m in expected]
    assert list(bridge["start_mrr"])[1:] == list(bridge["end_mrr"])[:-1]
    for split in ("plan", "segment", "country", "currency"):
        assert frame(at, f"mrr_by_{split}")["mrr"].sum() == balances[expected[-1][0]], split


def test_mrr_page_in_a_transaction_currency_and_segment(app, sql):
    at = app("views/mrr.py")
    widget(at.selectbox, "Currency").set_value("EUR")
    widget(at.multiselect, "Segment").set_value(["smb", "mid_market"]).run()
    assert not at.exception
    scope = (
        "select customer_id from marts.dim_customers"
        " where upper(currency) = 'EUR' and segment in ('smb', 'mid_market')"
    )
    months = [r[0] for r in sql("select month from marts.metrics_monthly order by month")]
    bridge = frame(at, "mrr_bridge")
    assert list(bridge["month"]) == months
    for row in bridge.itertuples(index=False):
        (end_mrr,) = sql(
            f"""
            select coalesce(sum(mrr), 0) from marts.fct_mrr
            where customer_id in ({scope})
              and valid_from <= last_day(?::date) and coalesce(valid_to, date '9999-12-31')
                  > last_day(?::date)
            """,
            [row.month, row.month],
        )[0]
        moves = dict(
            sql(
                f"""
                select movement_type, sum(mrr_delta) from marts.fct_mrr_movements
                where customer_id in ({scope}) and date_trunc('month', movement_date) = ?
                group by 1
                """,
                [row.month],
            )
        )
        assert row.end_mrr == end_mrr
        assert row.new_mrr == moves.get("new", 0)
        assert row.churned_mrr == moves.get("churn", 0)
        assert row.expansion_mrr == moves.get("expansion", 0)
        # in the customers' own currency the bridge closes with no FX term at all
        assert row.fx_impact_mrr == 0
    assert list(bridge["start_mrr"])[1:] == list(bridge["end_mrr"])[:-1]
    moves = frame(at, "mrr_movements")
    (count,) = sql(f"select count(*) from marts.fct_mrr_movements where customer_id in ({scope})")[
        0
    ]
    assert len(moves) == count > 0 and set(moves["currency"]) == {"EUR"}
    assert "customers billed in EUR, in EUR" in at.caption[1].value


def test_retention_page_is_metrics_cohorts(app, sql):
    at = app("views/retention.py")
    expected = sql(
        "select cohort_month, months_since, customers_retained, customer_retention,"
        " net_mrr_retention, net_mrr_retention_constant_fx"
        " from marts.metrics_cohorts order by cohort_month, months_since"
    )
    table = frame(at, "metrics_cohorts")
    shown = table[["cohort_month", "months_since", "customers_retained", "customer_retention",
                   "net_mrr_retention", "net_mrr_retention_constant_fx"]]  # fmt: skip
    assert [tuple(r) for r in shown.itertuples(index=False)] == expected
    customers, mrr = chart_data(at, 0), chart_data(at, 1)
    assert list(customers["customer_retention"]) == [float(r[3]) for r in expected]
    assert list(mrr["net_mrr_retention"]) == [float(r[4]) for r in expected]
    at.toggle[0].set_value(True).run()
    assert list(chart_data(at, 1)["net_mrr_retention_constant_fx"]) == [
        float(r[5]) for r in expected
    ]
    assert_as_of(at, sql)
    assert_every_table_downloads(at)


def test_revenue_page_against_the_marts(app, sql):
    at = app("views/revenue.py")
    monthly = sql(
        "select month, deferred_revenue_end, recognized_revenue from marts.metrics_monthly"
        " order by month"
    )
    roll = frame(at, "deferred_revenue_rollforward")
    assert list(roll["month"]) == [r[0] for r in monthly]
    # the waterfall's closing balance is metrics_monthly's deferred revenue, month by month
    assert list(roll["closing_deferred"]) == [r[1] for r in monthly]
    assert list(roll["recognized"]) == [-r[2] for r in monthly]
    assert list(roll["opening_deferred"])[1:] == list(roll["closing_deferred"])[:-1]
    # what was invoiced is the waterfall mart's billings, month by month
    invoiced = dict(sql("select invoiced_month, any_value(invoiced_rc) from"
                        " marts.rpt_revenue_waterfall group by 1"))  # fmt: skip
    assert dict(zip(roll["month"], roll["invoiced"], strict=True)) == invoiced
    steps = chart_data(at, 0)
    assert steps["to"].iloc[-1] == pytest.approx(float(monthly[-1][1]), abs=1e-6)

    ar = frame(at, "ar_aging_by_month")
    dso = dict(sql("select month, receivables_rc from marts.rpt_dso where receivables_rc > 0"))
    assert dict(zip(ar["month"], ar["open_receivables_rc"], strict=True)) == dso

    tax = frame(at, "tax_by_jurisdiction")
    (net, collected) = sql("select sum(net_tax_rc), sum(tax_collected_rc) from marts.rpt_tax")[0]
    assert tax["net_tax_rc"].sum() == net and tax["tax_collected_rc"].sum() == collected
    disputes = frame(at, "disputes")
    expected = sql(
        "select month, disputes_opened, amount_lost_rc from marts.rpt_disputes order by 1"
    )
    shown = disputes[["month", "disputes_opened", "amount_lost_rc"]]
    assert [tuple(r) for r in shown.itertuples(index=False)] == expected

    # the currency filter: the recognition of the lines billed in JPY, in yen
    widget(at.selectbox, "Currency").set_value("JPY").run()
    closing = sql(
        "select month, sum(deferred_end) from marts.fct_revenue_recognition"
        " where upper(currency) = 'JPY' group by 1 order by 1"
    )
    jpy = frame(at, "deferred_revenue_rollforward")
    assert [tuple(r) for r in jpy[["month", "closing_deferred"]].itertuples(index=False)] == [
        c for c in closing if c[0] <= monthly[-1][0]
    ]
    assert "lines billed in JPY, in JPY" in at.caption[1].value
    currency = widget(at.selectbox, "Currency")
    currency.set_value(currency.options[0]).run()

    # the segment filter narrows the receivables
    widget(at.multiselect, "Segment").set_value(["enterprise"]).run()
    last = monthly[-1][0]
    expected = sql(
        "select a.customer_id, a.open_receivables_rc from marts.rpt_ar_aging as a"
        " join marts.dim_customers as c using (customer_id)"
        " where c.segment = 'enterprise' and a.month = ? order by a.customer_id",
        [last],
    )
    customers = frame(at, "ar_aging_customers").sort_values("customer_id")
    assert [tuple(r) for r in customers[["customer_id", "open_receivables_rc"]].itertuples(
        index=False)] == expected  # fmt: skip
    assert_as_of(at, sql)
    assert_every_table_downloads(at)


def test_customer_360_finds_a_customer_by_crm_id_and_shows_every_source(app, sql):
    (customer_id, crm_id, name) = sql(
        """
        select c.customer_id, c.crm_account_id, c.name from marts.dim_customers as c
        where c.crm_account_id is not null
          and exists (select 1 from marts.fct_invoice_lines as l
                      where l.customer_id = c.customer_id and l.line_type = 'usage')
          and exists (select 1 from marts.fct_payments as p where p.customer_id = c.customer_id)
        order by c.customer_id limit 1
        """
    )[0]
    at = app("views/customer.py")
    at.text_input[0].set_value(crm_id).run()
    assert not at.exception
    assert widget(at.selectbox, "Customer (").value == customer_id
    assert name in [s.value for s in at.subheader]
    assert f"CRM account `{crm_id}`" in at.markdown[0].value

    def ids(text: str) -> list:
        return [r[0] for r in sql(text, [customer_id])]

    suffix = f"_{customer_id}"
    assert list(frame(at, "invoices" + suffix)["invoice_id"]) == ids(
        "select invoice_id from marts.fct_invoices where customer_id = ?"
        " order by created_at, invoice_id"
    )
    assert list(frame(at, "payments" + suffix)["payment_id"]) == ids(
        "select payment_id from marts.fct_payments where customer_id = ?"
        " order by occurred_at, payment_id"
    )
    ledger = frame(at, "ledger" + suffix)
    (lines, total, sources) = sql(
        "select count(*), sum(amount_rc), count(distinct source_id) from marts.fct_revenue_ledger"
        " where customer_id = ?",
        [customer_id],
    )[0]
    assert len(ledger) == lines and ledger["amount_rc"].sum() == total
    assert ledger["source_id"].nunique() == sources and set(ledger["source_system"]) == {"gateway"}
    usage = frame(at, "usage" + suffix)
    assert sorted(usage["invoice_line_id"].dropna()) == ids(
        "select invoice_line_id from marts.fct_invoice_lines"
        " where customer_id = ? and line_type = 'usage' order by 1"
    )
    recorded = sql(
        "select period, left_amount from marts.rpt_reconciliation"
        " where check_name = 'usage_recorded_vs_billed' and key = ? order by period",
        [customer_id],
    )
    shown = usage.dropna(subset=["recorded_quantity"]).drop_duplicates("month")
    assert [tuple(r) for r in shown[["month", "recorded_quantity"]].itertuples(index=False)] == (
        recorded
    )
    history = frame(at, "mrr_history" + suffix)
    expected = sql(
        "select valid_from, mrr, source_id from marts.fct_mrr where customer_id = ?"
        " order by valid_from",
        [customer_id],
    )
    assert [tuple(r) for r in history[["valid_from", "mrr", "source_id"]].itertuples(
        index=False)] == expected  # fmt: skip
    assert sorted(frame(at, "subscriptions" + suffix)["subscription_id"]) == ids(
        "select distinct subscription_id from marts.fct_subscription_mrr where customer_id = ?"
        " order by 1"
    )
    assert_every_table_downloads(at)

    # by name, and a search that finds nobody
    at.text_input[0].set_value(name.split()[0].lower()).run()
    assert any(customer_id in option for option in widget(at.selectbox, "Customer (").options)
    at.text_input[0].set_value("no such customer anywhere").run()
    assert not at.exception
    assert "No customer matches" in at.info[0].value


def test_health_page_on_the_built_company(app, sql):
    at = app("views/health.py")
    assert at.success[0].value.startswith("Figures are from the latest build")
    (open_alerts,) = sql("select count(*) from ops.alerts where status = 'open'")[0]
    assert metrics(at)["Open alerts"][0] == f"{open_alerts:,}"
    assert metrics(at)["Last build"][0] == "published"
    recon = frame(at, "reconciliation")
    expected = dict(
        sql(
            "select check_name, count(*) filter (where status = 'ok')"
            " from marts.rpt_reconciliation group by 1"
        )
    )
    assert dict(zip(recon["check_name"], recon["ok"], strict=True)) == expected
    fresh = frame(at, "source_freshness")
    assert list(fresh["source_name"]) == [
        r[0] for r in sql("select source_name from marts.rpt_source_freshness order by 1")
    ]
    assert_as_of(at, sql)
    assert_every_table_downloads(at)


def _publish_empty(home: Path) -> None:
    from revstack import serving

    warehouse = home / "warehouse" / "revstack.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
    serving.publish(warehouse, home / "warehouse" / "serving.duckdb", schemas=("marts",))


@pytest.mark.parametrize("published", [False, True], ids=["no_snapshot", "empty_snapshot"])
def test_every_page_says_what_is_missing(tmp_path, monkeypatch, published):
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    if published:
        _publish_empty(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        said = " ".join(e.value for e in [*at.warning, *at.info, *at.success])
        assert ("revstack build" in said) or (page == "views/health.py" and published), page

"""Analysts: the SQL of docs/analyst.md, `revstack sql`, the descriptions and the dbt docs site.

Everything runs on ``small_home`` (200 customers × 12 months, seed 3, built once per session),
read-only. The worked questions of docs/analyst.md are held to figures computed another way:
the simulator's own books (``truth/``: daily MRR per customer, every MRR movement, monthly
cash and deferred revenue) and ``metrics_monthly``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from revstack import cli, docs
from tests.conftest import REVSTACK, ROOT

ANALYST_MD = ROOT / "docs" / "analyst.md"
SQL_BLOCK = re.compile(r"^```sql[ \t]*(\S*)[ \t]*\n(.*?)^```", re.S | re.M)
REQUIRED = ("mrr_by_segment", "churned_last_month", "deferred_revenue_by_quarter")


def doc_queries(path: Path = ANALYST_MD) -> dict[str, str]:
    """Every ```sql block of the page, by the name after ``sql`` on its opening fence."""
    blocks = SQL_BLOCK.findall(path.read_text())
    names = [name for name, _ in blocks]
    assert all(names), f"a ```sql block of {path.name} has no name: {names}"
    assert len(set(names)) == len(names), f"duplicate block names: {names}"
    return {name: sql for name, sql in blocks}


@pytest.fixture(scope="module")
def con(small_home: Path):
    with duckdb.connect(str(small_home / "warehouse" / "serving.duckdb"), read_only=True) as c:
        yield c


def rows(con, sql: str) -> list[dict]:
    relation = con.sql(sql)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def truth_monthly(home: Path) -> dict[date, dict[str, str]]:
    with open(home / "truth" / "monthly.csv", newline="") as handle:
        return {date.fromisoformat(r["month"]): r for r in csv.DictReader(handle)}


def month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


# ------------------------------------------------------------------------------ docs/analyst.md
def test_the_page_holds_the_required_questions():
    queries = doc_queries()
    assert set(REQUIRED) <= set(queries), sorted(queries)
    assert len(queries) >= len(REQUIRED) + 3  # and more a finance analyst asks
    assert "docs/analyst.md" in (ROOT / "README.md").read_text()


def test_every_sql_block_runs_on_the_snapshot(con):
    for name, sql in doc_queries().items():
        got = con.sql(sql).fetchall()
        assert got, f"{name} returned no row on the small company"


def test_mrr_by_segment_equals_the_simulators_month_end_mrr(con, small_home: Path):
    truth = truth_monthly(small_home)
    last = max(truth)  # the data ends on the last day of its last month
    segments = dict(
        con.execute("select gateway_customer_id, segment from marts.dim_customers").fetchall()
    )
    expected_local: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    expected_count: Counter[str] = Counter()
    daily = duckdb.sql(
        f"select customer_id, currency, mrr from '{small_home}/truth/customer_mrr_daily.parquet'"
        f" where date = date '{month_end(last)}' and mrr > 0"
    ).fetchall()
    for customer, currency, mrr in daily:
        expected_local[(segments[customer], currency.upper())] += mrr
        expected_count[segments[customer]] += 1
    queries = doc_queries()
    by_currency = rows(con, queries["mrr_by_segment_and_currency"])
    assert {(r["segment"], r["currency"]): r["mrr"] for r in by_currency} == expected_local
    by_segment = rows(con, queries["mrr_by_segment"])
    assert {r["segment"]: r["customers"] for r in by_segment} == expected_count
    month = con.execute(
        "select customers, mrr from marts.metrics_monthly where month = ?", [last]
    ).fetchone()
    assert sum(r["customers"] for r in by_segment) == month[0] == int(truth[last]["customers"])
    # in USD at the month-end rate: the segments add up to the headline MRR to the last decimal
    assert sum(r["mrr_usd"] for r in by_segment) == month[1]
    assert all(isinstance(r["mrr_usd"], Decimal) for r in by_segment)
    assert len(by_segment) == 4 and month[1] > 10_000


def test_churned_last_month_are_the_months_churn_movements(con, small_home: Path):
    last = max(truth_monthly(small_home))
    with open(small_home / "truth" / "mrr_movements.csv", newline="") as handle:
        churned = [
            r
            for r in csv.DictReader(handle)
            if r["movement_type"] == "churn"
            and date.fromisoformat(r["movement_date"]).replace(day=1) == last
        ]
    names = dict(
        con.execute("select gateway_customer_id, name from marts.dim_customers").fetchall()
    )
    got = rows(con, doc_queries()["churned_last_month"])
    assert len(got) == len(churned) >= 3
    assert Counter(r["name"] for r in got) == Counter(names[r["customer_id"]] for r in churned)
    assert sorted(r["movement_date"].isoformat() for r in got) == sorted(
        r["movement_date"] for r in churned
    )
    lost = sum(r["churned_mrr_usd"] for r in got)
    assert lost == -sum(Decimal(r["mrr_delta_rc"]) for r in churned)
    (churned_mrr,) = con.execute(
        "select churned_mrr from marts.metrics_monthly where month = ?", [last]
    ).fetchone()
    assert lost == churned_mrr


def test_deferred_revenue_by_quarter_is_the_quarter_end_balance(con, small_home: Path):
    truth = truth_monthly(small_home)
    metrics = dict(
        con.execute("select month, deferred_revenue_end from marts.metrics_monthly").fetchall()
    )
    got = rows(con, doc_queries()["deferred_revenue_by_quarter"])
    # Nov 2024 – Oct 2025: Q4 2024 (Nov, Dec), three full quarters, Q4 2025 (Oct)
    assert [(r["quarter"], r["balance_month"], r["is_complete"]) for r in got] == [
        (date(2024, 10, 1), date(2024, 12, 1), False),
        (date(2025, 1, 1), date(2025, 3, 1), True),
        (date(2025, 4, 1), date(2025, 6, 1), True),
        (date(2025, 7, 1), date(2025, 9, 1), True),
        (date(2025, 10, 1), date(2025, 10, 1), False),
    ]
    for r in got:
        month = r["balance_month"]
        assert r["deferred_revenue_usd"] == metrics[month], month
        assert r["deferred_revenue_usd"] == Decimal(truth[month]["deferred_end_rc"]), month
        assert 0 < r["of_which_subscriptions_usd"] <= r["deferred_revenue_usd"]


def test_cash_by_month_and_currency_adds_up_to_cash_collected(con, small_home: Path):
    truth = truth_monthly(small_home)
    got = rows(con, doc_queries()["cash_by_month_and_currency"])
    per_month: dict[date, Decimal] = defaultdict(Decimal)
    for r in got:
        per_month[r["month"]] += r["collected_usd"]
    assert per_month == {m: Decimal(t["collected_rc"]) for m, t in truth.items()}
    assert len({r["currency"] for r in got}) == 6


# ------------------------------------------------------------------------------- revstack sql
@pytest.fixture
def snapshot_env(small_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVSTACK_HOME", str(small_home))
    return small_home


def run_sql(monkeypatch, capsys, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(["sql", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sql_runs_a_statement(snapshot_env, monkeypatch, capsys, con):
    (customers,) = con.execute("select count(*) from marts.dim_customers").fetchone()
    code, out, err = run_sql(
        monkeypatch, capsys, "select count(*) as customers_n from marts.dim_customers"
    )
    assert (code, err) == (0, "")
    assert "customers_n" in out and str(customers) in out


@pytest.mark.parametrize(
    "statement",
    [
        "create table marts.notes as select 1 as a",
        "delete from marts.fct_payments",
        "update marts.metrics_monthly set mrr = 0",
        "drop table marts.dim_customers",
    ],
)
def test_sql_refuses_to_write(snapshot_env, monkeypatch, capsys, con, statement):
    code, _, err = run_sql(monkeypatch, capsys, statement)
    assert code == 1
    assert err.startswith("error: the snapshot is read-only"), err
    assert con.execute("select count(*) from marts.fct_payments").fetchone()[0] > 1000
    assert con.execute("select min(mrr) from marts.metrics_monthly").fetchone()[0] > 0


def test_sql_cannot_reach_the_warehouse_or_files(snapshot_env, monkeypatch, capsys, tmp_path):
    warehouse = snapshot_env / "warehouse" / "revstack.duckdb"
    copy = tmp_path / "customers.csv"
    for statement in (
        f"attach '{warehouse}' as wh (read_only)",
        f"select * from read_csv('{snapshot_env}/truth/monthly.csv')",
        f"copy marts.dim_customers to '{copy}'",
    ):
        code, _, err = run_sql(monkeypatch, capsys, statement)
        assert code == 1, statement
        assert err.startswith("error: revstack sql reads the snapshot only"), err
    code, _, err = run_sql(monkeypatch, capsys, "set enable_external_access = true")
    assert code == 1 and "locked" in err, err
    assert not copy.exists()


def test_sql_reads_piped_statements_until_quit(snapshot_env, monkeypatch, capsys):
    script = (
        "select 41 + 1 as answer;\n"
        "select\n  'across lines' as multi; select 'same line' as second;\n"
        "insert into marts.dim_customers (customer_id) values ('x');\n"
        "select 'not a number'::integer as bad;\n"
        "select 'still going' as after_error;\n"
        ".quit\n"
        "select 'after quit' as never;\n"
    )
    code, out, err = run_sql(monkeypatch, capsys, stdin=script)
    assert code == 1  # two statements failed
    assert re.search(r"│\s*42\s*│", out), out
    for text in ("across lines", "same line", "still going"):
        assert text in out, out
    assert "after quit" not in out
    assert "revstack>" not in out  # no prompt when stdin is not a terminal
    assert err.count("error: ") == 2 and "read-only" in err and "Conversion Error" in err


def test_sql_runs_a_last_statement_without_semicolon_at_eof(snapshot_env, monkeypatch, capsys):
    code, out, err = run_sql(monkeypatch, capsys, stdin="select 'no semicolon' as last_one\n")
    assert (code, err) == (0, "")
    assert "no semicolon" in out


def test_sql_without_a_snapshot_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    code, _, err = run_sql(monkeypatch, capsys, "select 1")
    assert code == 1
    assert "no serving snapshot" in err and "revstack build" in err


def test_sql_prompt_on_a_terminal(small_home: Path):
    """The interactive prompt, on a real pseudo-terminal: prompts, a statement over two lines,
    an error that keeps the prompt alive, then .quit."""
    import pty

    leader, follower = pty.openpty()
    env = dict(os.environ, REVSTACK_HOME=str(small_home), TERM="dumb")
    proc = subprocess.Popen(
        [REVSTACK, "sql"], stdin=follower, stdout=follower, stderr=follower, env=env, cwd=ROOT
    )
    os.close(follower)
    output = b""

    def read_until(marker: bytes, timeout: float = 60) -> None:
        nonlocal output
        deadline = time.monotonic() + timeout
        while marker not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    output += os.read(leader, 65536)
                except OSError:
                    return

    try:
        read_until(b"revstack> ")
        os.write(leader, b"select 6 * 7\n")
        read_until(b"...> ")
        os.write(leader, b"  as answer;\n")
        read_until(b"answer")
        os.write(leader, b"drop table marts.fct_mrr;\n")
        read_until(b"read-only")
        os.write(leader, b".quit\n")
        code = proc.wait(timeout=60)
        read_until(b"\x00", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)
    text = output.decode(errors="replace")
    assert "read-only on" in text and "revstack> " in text and "...> " in text, text
    assert "42" in text and "the snapshot is read-only" in text, text
    assert code == 1  # the drop failed


# ---------------------------------------------------------------------------- descriptions
def test_every_mart_and_column_is_described(dbt_manifest: Path, con):
    manifest = json.loads(dbt_manifest.read_text())
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    assert {"metrics_monthly", "fct_mrr", "dim_customers"} <= set(marts)
    missing = [name for name, node in marts.items() if not node["description"].strip()]
    missing += [
        f"{name}.{column}"
        for name, node in marts.items()
        for column, spec in node["columns"].items()
        if not spec["description"].strip()
    ]
    assert not missing, f"marts without a description: {missing}"
    # every column the snapshot publishes is described in its model's yml
    published = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' order by table_name, ordinal_position"
    ).fetchall()
    assert len(published) > 300
    undescribed = [
        f"{table}.{column}"
        for table, column in published
        if table not in marts or column.lower() not in {c.lower() for c in marts[table]["columns"]}
    ]
    assert not undescribed, f"published but not described: {undescribed}"


# ---------------------------------------------------------------------------- dbt docs site
def test_each_build_generates_the_docs_site(small_home: Path):
    """`revstack build` (the small_home fixture's) wrote the site into $REVSTACK_HOME/docs."""
    site = small_home / "docs"
    index = (site / "index.html").read_text()
    catalog = json.loads((site / "catalog.json").read_text())
    manifest = json.loads((site / "manifest.json").read_text())
    metrics = catalog["nodes"]["model.revstack.metrics_monthly"]
    assert metrics["metadata"]["schema"] == "marts"
    assert metrics["columns"]["deferred_revenue_end"]["type"].upper().startswith("DECIMAL")
    assert manifest["nodes"]["model.revstack.metrics_monthly"]["description"]
    # the static page carries the manifest and the catalog inline, and never calls home
    assert '"model.revstack.metrics_monthly"' in index
    assert "MANIFEST.JSON INLINE DATA" not in index and "CATALOG.JSON INLINE DATA" not in index
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
    assert '"send_anonymous_usage_stats": true' not in index


def test_docs_failure_does_not_fail_the_build(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVSTACK_HOME", str(tmp_path))
    assert docs.generate_after_build() == "dbt docs: not generated (see the warning above)"
    assert "no warehouse at" in capsys.readouterr().err
    with pytest.raises(docs.DocsError, match="no warehouse"):
        docs.generate()


def test_docs_site_is_served_on_localhost(small_home: Path):
    from tests.test_browser import _free_port

    port = _free_port()
    proc = docs.serve("127.0.0.1", port, small_home / "docs")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    break
            except OSError:
                assert time.monotonic() < deadline, "the docs server did not answer"
                time.sleep(0.2)
        assert response.status == 200 and "model.revstack.metrics_monthly" in body
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=15)

"""CSV ingestion: the Xero ledger and Salesforce fixtures, blocking on a missing column, drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion import load_entity

FIXTURES = Path("/work/shared/fixtures")
if not FIXTURES.exists():
    FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"

XERO = ("journal", "journal_line", "account", "contact", "invoice")
SALESFORCE = ("account", "opportunity", "opportunity_line_item", "user")


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def deliver(home: Path, source: str, entity: str, src: Path, name: str | None = None) -> Path:
    folder = home / "landing" / source / entity
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, folder / (name or src.name)))


def scalar(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def test_xero_ledger_loads_whole(con, tmp_path):
    for entity in XERO:
        deliver(tmp_path, "accounting", entity, FIXTURES / "xero-gl" / f"xero_{entity}_data.csv")
        result = load_entity(con, "accounting", entity, tmp_path)
        assert not result.blocked, result.blocked_reason
        assert result.rows_quarantined == 0, result.quarantine_reasons
        assert result.drift == ()
    assert scalar(con, "SELECT count(*) FROM raw_accounting.journal") == 1685
    assert scalar(con, "SELECT count(*) FROM raw_accounting.journal_line") == 4033
    assert scalar(con, "SELECT count(*) FROM raw_accounting.account") == 71
    # 601 invoice rows in the export, one of them DELETED: 600 invoices.
    assert (
        scalar(con, "SELECT count(*) FROM raw_accounting.invoice WHERE status <> 'DELETED'") == 600
    )
    assert scalar(con, "SELECT count(*) FROM raw_accounting.invoice") == 601
    unbalanced = con.execute(
        "SELECT journal_id, sum(CAST(net_amount AS DECIMAL(18,2))) AS net "
        "FROM raw_accounting.journal_line GROUP BY journal_id HAVING net <> 0"
    ).fetchall()
    assert unbalanced == []
    assert scalar(con, "SELECT count(DISTINCT journal_id) FROM raw_accounting.journal_line") == 1685
    revenue = scalar(
        con,
        "SELECT sum(CAST(net_amount AS DECIMAL(18,2))) FROM raw_accounting.journal_line "
        "WHERE account_type IN ('REVENUE', 'SALES', 'OTHERINCOME')",
    )
    assert str(revenue) == "-566973.74"
    types = con.execute(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'raw_accounting' "
        "AND table_name = 'journal_line' AND column_name = 'net_amount'"
    ).fetchall()
    assert types == [("VARCHAR",)]  # raw keeps text; dbt casts
    # empty strings are NULL in raw
    assert scalar(con, "SELECT count(*) FROM raw_accounting.invoice WHERE reference = ''") == 0


def test_salesforce_fixtures_load(con, tmp_path):
    for entity in SALESFORCE:
        deliver(tmp_path, "crm", entity, FIXTURES / "salesforce-crm" / f"sf_{entity}_data.csv")
        result = load_entity(con, "crm", entity, tmp_path)
        assert not result.blocked and result.rows_quarantined == 0, result
        assert result.rows_loaded == 10
    won = con.execute(
        "SELECT count(*), sum(CAST(amount AS DECIMAL(18,2))) FROM raw_crm.opportunity "
        "WHERE is_won = 'true'"
    ).fetchall()
    assert won == [(5, 24120000)]
    assert scalar(con, "SELECT count(*) FROM raw_crm.opportunity") == 10
    assert scalar(con, "SELECT count(*) FROM raw_crm.opportunity WHERE is_deleted = 'true'") == 10
    lines = con.execute("SELECT min(_line), max(_line) FROM raw_crm.opportunity").fetchall()
    assert lines == [(2, 11)]  # data rows counted with the header
    assert scalar(con, 'SELECT count(*) FROM raw_crm."user"') == 10


def test_missing_required_column_blocks_then_loads_after_fix(con, tmp_path):
    src = FIXTURES / "salesforce-crm" / "sf_opportunity_data.csv"
    text = src.read_text()
    header, rest = text.split("\n", 1)
    broken = header.replace(",stage_name,", ",stage,") + "\n" + rest
    path = tmp_path / "landing" / "crm" / "opportunity" / "2024-01-01_opportunity.csv"
    path.parent.mkdir(parents=True)
    path.write_text(broken)
    blocked = load_entity(con, "crm", "opportunity", tmp_path)
    assert blocked.blocked
    assert "stage_name" in blocked.blocked_reason
    assert blocked.files_loaded == 0 and blocked.rows_loaded == 0
    assert ("missing_column", "stage_name", "error") in blocked.drift
    assert scalar(con, "SELECT count(*) FROM raw_crm.opportunity") == 0
    assert scalar(con, "SELECT count(*) FROM raw_meta.loaded_files") == 0
    drift = con.execute("SELECT kind, column_name, severity FROM raw_meta.schema_drift").fetchall()
    assert drift == [("missing_column", "stage_name", "error")]
    again = load_entity(con, "crm", "opportunity", tmp_path)  # still broken: still blocked
    assert again.blocked
    assert scalar(con, "SELECT count(*) FROM raw_meta.schema_drift") == 1
    path.write_text(text)  # fixed
    fixed = load_entity(con, "crm", "opportunity", tmp_path)
    assert not fixed.blocked and fixed.rows_loaded == 10
    assert scalar(con, "SELECT count(*) FROM raw_meta.loaded_files") == 1


def test_retyped_required_column_blocks(con, tmp_path):
    path = tmp_path / "landing" / "accounting" / "journal_line" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "journal_line_id,journal_id,account_id,net_amount\n"
        "l1,j1,a1,ten dollars\nl2,j1,a1,minus ten dollars\n"
    )
    result = load_entity(con, "accounting", "journal_line", tmp_path)
    assert result.blocked and "net_amount" in result.blocked_reason
    assert result.drift == (("retyped_column", "net_amount", "error"),)


def test_new_column_is_added_and_reported_once(con, tmp_path):
    folder = tmp_path / "landing" / "accounting" / "contact"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text("contact_id,name,region\nc1,Acme,EU\n")
    first = load_entity(con, "accounting", "contact", tmp_path)
    assert first.drift == (("new_column", "region", "warning"),)
    (folder / "b.csv").write_text("contact_id,name,region\nc2,Beta,US\n")
    second = load_entity(con, "accounting", "contact", tmp_path)
    assert second.drift == ()
    rows = con.execute(
        "SELECT contact_id, region FROM raw_accounting.contact ORDER BY 1"
    ).fetchall()
    assert rows == [("c1", "EU"), ("c2", "US")]
    assert scalar(con, "SELECT count(*) FROM raw_meta.schema_drift") == 1


def test_simulated_crm_account_columns_are_known(con, tmp_path):
    path = tmp_path / "landing" / "crm" / "account" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text("id,name,is_deleted,stripe_customer_id_c,segment_c\na1,Acme,false,cus_1,smb\n")
    result = load_entity(con, "crm", "account", tmp_path)
    assert (result.rows_loaded, result.drift) == (1, ())
    assert scalar(con, "SELECT segment_c FROM raw_crm.account") == "smb"


def test_bad_rows_are_quarantined_and_good_rows_load(con, tmp_path):
    path = tmp_path / "landing" / "accounting" / "journal" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_text(
        "journal_id,created_date_utc,journal_date,journal_number\n"
        "j1,2020-02-10 18:42:07.587 UTC,2019-11-01,1\n"
        ",2020-02-10 18:42:07.587 UTC,2019-11-01,2\n"
        "j3,2020-02-10 18:42:07.587 UTC,2019-13-01,3\n"
        "j4,2020-02-10,2019-11-02,4,extra\n"
        "j5,2020-02-10T10:00:00Z,2019-11-03,5\n"
    )
    result = load_entity(con, "accounting", "journal", tmp_path)
    assert result.rows_loaded == 2
    assert result.quarantine_reasons == {"empty_value": 1, "ragged_row": 1, "unparsable_date": 1}
    lines = [
        r[0] for r in con.execute("SELECT line FROM raw_meta.quarantine ORDER BY 1").fetchall()
    ]
    assert lines == [3, 4, 5]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty CSV header"),
        (b"\n\n", "empty CSV header"),
        (b"id,name\n\xff\xfe,x\n", "not UTF-8"),
    ],
)
def test_unreadable_csv_is_quarantined_whole(con, tmp_path, content, reason):
    path = tmp_path / "landing" / "crm" / "account" / "a.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    result = load_entity(con, "crm", "account", tmp_path)
    assert result.files_quarantined == 1 and not result.blocked
    assert reason in scalar(con, "SELECT reason FROM raw_meta.quarantine")
    assert load_entity(con, "crm", "account", tmp_path).files_skipped == 1

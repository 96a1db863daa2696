"""The dbt layers run one way (DESIGN §4, issue 14 item 5), checked on the parsed manifest.

Only staging reads sources; staging reads nothing but sources and staging; intermediate reads
staging, intermediate and seeds, never a mart; a mart reads another mart only as an entry of
:data:`THIN_REPORTING`, each with its reason. A dependency a macro takes at parse time (the live
scope macros' ``ref``) is in the manifest too, so it is held to the same rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LAYERS = ("staging", "intermediate", "marts")

#: (mart, the mart it reads) → why that is a thin reporting read, not logic that belongs one
#: layer down. Keep it short: every other mart reads intermediate models.
THIN_REPORTING: dict[tuple[str, str], str] = {
    ("metrics_customer_monthly", "dim_customers"): (
        "carries the conformed customer attributes (segment, country) onto each month-end row "
        "so that splits need no join; the numbers come from int_customer_mrr_month_end"
    ),
}


def layer_violations(manifest: dict) -> list[str]:
    """Every dependency of a model that breaks the layer rules, as readable lines."""
    nodes = manifest["nodes"]

    def layer(uid: str) -> str:
        if uid.startswith("source."):
            return "source"
        node = nodes[uid]
        if node["resource_type"] != "model":
            return node["resource_type"]  # seed, snapshot, ...
        return node["fqn"][1]

    allowed = {
        "staging": {"source", "staging"},
        "intermediate": {"staging", "intermediate", "seed"},
        "marts": {"staging", "intermediate", "seed", "marts"},
    }
    out = []
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] != "model":
            continue
        name, here = node["name"], layer(uid)
        if here not in LAYERS:
            out.append(f"{name}: in no layer ({node['original_file_path']})")
            continue
        for parent in node["depends_on"]["nodes"]:
            there = layer(parent)
            parent_name = parent.split(".")[-1]
            if there not in allowed[here]:
                out.append(f"{name} ({here}) reads {parent_name} ({there})")
            elif here == there == "marts" and (name, parent_name) not in THIN_REPORTING:
                out.append(f"{name} (marts) reads {parent_name} (marts): not a thin reporting read")
    return out


@pytest.fixture(scope="module")
def manifest(dbt_manifest: Path) -> dict:
    return json.loads(dbt_manifest.read_text("utf-8"))


def test_layers_run_one_way(manifest: dict):
    assert layer_violations(manifest) == []


def test_every_thin_reporting_exception_is_still_used(manifest: dict):
    edges = {
        (node["name"], parent.split(".")[-1])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for parent in node["depends_on"]["nodes"]
    }
    assert set(THIN_REPORTING) <= edges


@pytest.mark.parametrize(
    ("model", "reads", "expected"),
    [
        ("int_ledger__invoices", "model.revstack.fct_invoices", "reads fct_invoices (marts)"),
        ("rpt_late_events", "source.revstack.raw_gateway.events", "reads events (source)"),
        ("int_invoices", "source.revstack.raw_gateway.invoices", "reads invoices (source)"),
        ("metrics_monthly", "model.revstack.fct_payments", "not a thin reporting read"),
        ("stg_gateway__charges", "model.revstack.int_payments", "reads int_payments (inter"),
    ],
)
def test_a_broken_rule_is_reported(manifest: dict, model: str, reads: str, expected: str):
    """The rules bite: one wrong dependency added to a copy of the manifest is reported."""
    broken = json.loads(json.dumps(manifest))
    (node,) = [n for n in broken["nodes"].values() if n["name"] == model]
    node["depends_on"]["nodes"].append(reads)
    (violation,) = layer_violations(broken)
    assert violation.startswith(model) and expected in violation

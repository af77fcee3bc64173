"""Source cells of statement positions (issue 18): each external value walks back to its cell or XML element.

A workbook and a statement (a trustee workbook with the header below row 1 on a sheet whose name needs quotes,
or a Geneva XML export) are written here, landed and reconciled for real. The test reads each position's
`source_cells` from the warehouse, opens the archived statement itself (openpyxl; ElementTree and the text's
lines for XML), applies the named transform by hand and compares it with the stored external values: the
position's external par and identifier, and each variance's external value. A position found only in the
workbook names no statement cell.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from orchestration.core import landing_log
from orchestration.reconciliation import tables
from tests.clo.files import openpyxl_book
from tests.reconciliation.conftest import Lander

REPORT_DATE = "2026-03-31"
# (cusip, isin, issuer, par, price, Moody's) of the workbook's holdings; check digits worked in the CLO tests.
HOLDINGS = [
    ("037833100", "US0378331005", "Apple Loan", 5_000_000, 98.5, "B2"),
    ("38259P508", "US38259P5089", "Google Loan", 3_000_000, 100.0, "Ba3"),
    ("594918104", "US5949181045", "Microsoft Loan", 2_000_000, 99.0, "B1"),
    ("000361105", "US0003611052", "AAR Loan", 4_000_000, 80.0, "Caa1"),
    ("459200101", "US4592001014", "IBM Loan", 1_000_000, 101.0, "Ba2"),
]
EXTRA_CUSIP = "931142103"
"""A loan on the statement that the workbook does not hold."""


def _workbook(lander: Lander, tenant: str) -> None:
    header = ["CUSIP", "ISIN", "Issuer Name", "Par Amount", "Price", "Moody's Rating"]
    content = openpyxl_book({"Holdings": [header, *[list(h) for h in HOLDINGS]]})
    lander.workbook(tenant, "book.xlsx", content, {"metadata": {"report_date": REPORT_DATE}})


def _by_hand(transform: str, value: Any) -> Any:
    """The named transform (docs/clo.md and docs/reconciliation.md "Source cells"), done here by hand."""
    if transform == "number":
        if not isinstance(value, str):
            return float(value)
        text = value.strip().replace(",", "").replace("$", "")
        return -float(text[1:-1]) if text.startswith("(") else float(text)
    if transform == "identifier:cusip":
        text = str(value).strip().upper().replace(" ", "")
        return text.zfill(9) if text.isdigit() else text
    if transform == "rating:moodys":
        text = value.strip()
        return text[0].upper() + text[1:].lower()
    if transform == "text":
        return str(value).strip()
    raise AssertionError(f"no hand rule for transform {transform!r}")


def _positions(platform: Any, key: str) -> dict[str, dict[str, Any]]:
    p = tables.positions
    with platform.warehouse.connect() as conn:
        rows = conn.execute(sa.select(p).where(p.c.partition_key == key)).mappings()
        return {r["position_key"]: dict(r) for r in rows}


def _variances(platform: Any, key: str) -> list[dict[str, Any]]:
    v = tables.variances
    with platform.warehouse.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(v).where(v.c.partition_key == key)).mappings()]


def _assert_external_values(positions: dict[str, dict[str, Any]], variances: list[dict[str, Any]], read: Any) -> int:
    """Par, identifier and every variance's external value equal their source cell by hand; returns checks made."""
    checks = 0
    for position in positions.values():
        cells = position["source_cells"]
        if position["match_status"] == "unmatched_internal":
            assert cells is None, position
            continue
        par = cells["par_amount"]
        assert float(position["external_par"]) == _by_hand(par["transform"], read(par))
        cusip = cells["cusip"]
        assert position["position_key"].split(":")[-1] == _by_hand(cusip["transform"], read(cusip))
        checks += 2
    for variance in variances:
        source = positions[variance["position_key"]]["source_cells"][variance["field"]]
        expected = _by_hand(source["transform"], read(source))
        stored = variance["external_value"]
        assert (float(stored) if isinstance(expected, float) else stored) == expected, (variance, source)
        checks += 1
    return checks


def test_trustee_workbook_positions_name_their_statement_cells(platform, tmp_path):
    lander = Lander(platform=platform, root=tmp_path)
    tenant = f"src-trustee-{uuid.uuid4().hex[:6]}"
    _workbook(lander, tenant)
    sheet = "Trustee Collateral"
    rows: list[list[Any]] = [["ABC Trustee: collateral report"], ["As of", REPORT_DATE], []]
    rows.append(["CUSIP", "Obligor", "Principal Balance", "Market Price", "Moody's Rating"])
    statement = [
        [HOLDINGS[0][0], "Apple Loan", 5_000_000, 98.5, "b3"],  # Moody's one notch worse
        [HOLDINGS[1][0], "Google Loan", "1,250,000", 100.0, "Ba3"],  # a par break, typed as text
        [HOLDINGS[2][0], "Microsoft Loan", 2_000_000, 97.25, "B1"],  # a price break
        [HOLDINGS[3][0], "AAR Loan", 4_000_000, 80.0, "Caa1"],
        [EXTRA_CUSIP, "Walmart Loan", 750_000, 99.0, "Baa2"],  # not in the workbook; IBM is not on the statement
    ]
    content = openpyxl_book({"Summary": [["Trustee statement"], ["See collateral"]], sheet: rows + statement})
    key, run = lander.reconcile(
        tenant, "trustee", "collateral.xlsx", content, {"metadata": {"report_date": REPORT_DATE}}
    )
    assert run.success
    positions = _positions(platform, key)
    assert sorted(p["match_status"] for p in positions.values()).count("matched") == 4
    book = openpyxl.load_workbook(landing_log.require(platform.warehouse, "trustee", key).archive_path)

    def read(source: dict[str, Any]) -> Any:
        name, _, coordinate = source["cell"].rpartition("!")
        assert name == "'Trustee Collateral'"
        return book[sheet][coordinate].value

    google = positions[f"cusip:{HOLDINGS[1][0]}"]
    assert google["source_cells"]["par_amount"] == {
        "cell": "'Trustee Collateral'!C6",
        "column": "Principal Balance",
        "transform": "number",
    }
    assert float(google["external_par"]) == 1_250_000
    assert positions[f"internal:cusip:{HOLDINGS[4][0]}"]["source_cells"] is None
    extra = positions[f"external:cusip:{EXTRA_CUSIP}"]
    assert extra["source_cells"]["issuer_name"] == {
        "cell": "'Trustee Collateral'!B9",
        "column": "Obligor",
        "transform": "text",
    }
    variances = _variances(platform, key)
    assert {v["field"] for v in variances} >= {"par_amount", "price", "rating_moodys"}
    assert _assert_external_values(positions, variances, read) == 5 * 2 + len(variances)

    # dbt passes the column through staging to the mart the API reads; its test checks shape and nulls.
    platform.run_dbt("build", "--select", "+reconciliation_positions", "--indirect-selection", "cautious")
    mart = sa.table("reconciliation_positions", sa.column("position_key"), sa.column("source_cells"),
                    sa.column("partition_key"), schema="marts")  # fmt: skip
    with platform.warehouse.connect() as conn:
        query = sa.select(mart.c.position_key, mart.c.source_cells).where(mart.c.partition_key == key)
        served = dict(conn.execute(query).all())
    assert served == {k: p["source_cells"] for k, p in positions.items()}


def _geneva() -> tuple[str, dict[str, int]]:
    """A Geneva export, one element per line, and the line of each position's quantity (by CUSIP)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<GenevaReport xmlns="http://www.advent.com/geneva">',
             f"  <ReportHeader><PeriodEndDate>{REPORT_DATE}T00:00:00</PeriodEndDate></ReportHeader>",
             "  <Positions>"]  # fmt: skip
    quantity_lines: dict[str, int] = {}
    for cusip, _isin, issuer, par, price, _moodys in HOLDINGS[:3]:
        par = par + 100_000 if cusip == HOLDINGS[2][0] else par  # one par break
        lines += ["    <Position>", f"      <InvestmentCUSIP>{cusip}</InvestmentCUSIP>",
                  f"      <InvestmentDescription>{issuer}</InvestmentDescription>"]  # fmt: skip
        lines.append(f"      <Quantity>{par:,.2f}</Quantity>")
        quantity_lines[cusip] = len(lines)
        lines += [f"      <MarketPrice>{price}</MarketPrice>", "    </Position>"]
    lines.append(f'    <Position CUSIP="{EXTRA_CUSIP}" Quantity="(250000)" Price="99" IssuerName="Walmart Loan"/>')
    quantity_lines[EXTRA_CUSIP] = len(lines)
    lines += ["  </Positions>", "</GenevaReport>"]
    return "\n".join(lines) + "\n", quantity_lines


def _resolve(root: ET.Element, path: str) -> str:
    """The text of an element (or an attribute's value, `/@Name`) at a path of local names with [n] positions."""
    steps = path.split("/")
    assert steps[0] == root.tag.rsplit("}", 1)[-1]
    element = root
    for step in steps[1:]:
        if step.startswith("@"):
            return element.attrib[step[1:]]
        name, _, index = step.partition("[")
        same = [child for child in element if child.tag.rsplit("}", 1)[-1] == name]
        element = same[int(index.rstrip("]")) - 1] if index else same[0]
    return element.text or ""


def test_geneva_positions_name_the_element_path_and_line(platform, tmp_path):
    lander = Lander(platform=platform, root=tmp_path)
    tenant = f"src-geneva-{uuid.uuid4().hex[:6]}"
    _workbook(lander, tenant)
    text, quantity_lines = _geneva()
    key, run = lander.reconcile(tenant, "geneva", "positions.xml", text)
    assert run.success
    positions = _positions(platform, key)
    archived = Path(landing_log.require(platform.warehouse, "geneva", key).archive_path).read_text()
    root = ET.fromstring(archived)  # the test's own trusted file
    archived_lines = archived.splitlines()

    def read(source: dict[str, Any]) -> Any:
        name = source["column"]
        assert name in archived_lines[source["line"] - 1], source  # the element or attribute is on that line
        return _resolve(root, source["cell"])

    microsoft = positions[f"cusip:{HOLDINGS[2][0]}"]["source_cells"]
    assert microsoft["par_amount"] == {
        "cell": "GenevaReport/Positions/Position[3]/Quantity",
        "line": quantity_lines[HOLDINGS[2][0]],
        "column": "Quantity",
        "transform": "number",
    }
    extra = positions[f"external:cusip:{EXTRA_CUSIP}"]
    assert extra["source_cells"]["par_amount"] == {
        "cell": "GenevaReport/Positions/Position[4]/@Quantity",
        "line": quantity_lines[EXTRA_CUSIP],
        "column": "Quantity",
        "transform": "number",
    }
    assert float(extra["external_par"]) == pytest.approx(-250_000)  # accounting parentheses, by the XML's text
    for cusip in (h[0] for h in HOLDINGS[3:]):
        assert positions[f"internal:cusip:{cusip}"]["source_cells"] is None
    variances = _variances(platform, key)
    assert [v["field"] for v in variances if v["category"] == "par"] == ["par_amount"]
    assert _assert_external_values(positions, variances, read) == 4 * 2 + len(variances)

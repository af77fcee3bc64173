"""The workbook report with the compliance section filled from analytics.clo_compliance_results (issue 4)."""

from __future__ import annotations

import io
import uuid

import openpyxl
import pypdf
import sqlalchemy as sa

from orchestration.clo import demo as clo_demo
from orchestration.compliance.assets import compliance_file_assets
from orchestration.reports import tables
from tests.reconciliation.conftest import Lander


def test_report_compliance_section_from_compliance_results(platform, tmp_path):
    tenant = f"recrep-{uuid.uuid4().hex[:6]}"
    lander = Lander(platform=platform, root=tmp_path)
    keys = []
    for as_of, holdings in zip(
        clo_demo.REPORT_DATES,
        (clo_demo.generate_holdings(), clo_demo.next_month(clo_demo.generate_holdings())),
        strict=True,
    ):
        key = lander.workbook(
            tenant, f"clo_{as_of:%Y_%m}.xlsx", clo_demo.workbook_bytes(holdings, as_of), clo_demo.sidecar(as_of)
        )
        run = lander.run(compliance_file_assets, key, raise_on_error=False)
        assert run.success, [e.message for e in run.all_events if e.is_failure]  # a failure fails, never skips
        keys.append(key)
    assert lander.report(keys[-1]).success
    with platform.warehouse.connect() as conn:
        rows = conn.execute(
            sa.select(tables.reports.c.format, tables.reports.c.content, tables.reports.c.sections).where(
                tables.reports.c.tenant_id == tenant
            )
        ).all()
    by_format = {r.format: r for r in rows}
    assert by_format["pdf"].sections["compliance"] is True
    assert by_format["pdf"].sections["reconciliation"] is False
    texts = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(by_format["pdf"].content)).pages]
    compliance_page = next(t for t in texts if t.startswith(texts[0].splitlines()[0]) and "\nCompliance\n" in t)
    # The demo deal's 52 tests are listed grouped by category, the OC tests first (issue 21).
    assert "Overcollateralization tests (6)" in compliance_page
    assert "Class B OC Test" in compliance_page
    assert "not available" not in compliance_page
    assert "Reconciliation not available" in texts[-1]
    pdf = pypdf.PdfReader(io.BytesIO(by_format["pdf"].content))
    assert any(page.images for page in pdf.pages)  # the trend chart
    book = openpyxl.load_workbook(io.BytesIO(by_format["xlsx"].content))
    values = [c.value for row in book["Compliance"].iter_rows() for c in row]
    assert "Class B OC Test" in values
    assert "Largest Obligor" in values  # a concentration test, listed too

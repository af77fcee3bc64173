"""The report's compliance section lists the tests grouped by category (issue 21): overcollateralization, interest
coverage, collateral quality, credit quality, concentration, then any other category, each under its own heading,
the deal's test order inside a group; the summary counts and the trend chart keep working with 52 tests."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pypdf
import pytest

from orchestration.compliance.registry import INDENTURE_TEST_IDS, STANDARD_TESTS
from orchestration.reports.config import load_templates
from orchestration.reports.content import ReportData, compliance_trend_figure
from orchestration.reports.render import render

REPORT_DATE = dt.date(2026, 3, 31)

# The deal's order (sort_order) deliberately interleaves the categories; (id, name, category, status).
DEAL_TESTS = [
    ("conc_pik", "PIK Obligations", "concentration", "passed"),
    ("warf_test", "Max WARF", "credit_quality", "passed"),
    ("custom_x", "Custom Metric X", "custom", "passed"),
    ("ic_class_b", "Class B IC", "interest_coverage", "passed"),
    ("oc_class_b", "Class B OC", "overcollateralization", "warning"),
    ("was_test", "Min WAS", "collateral_quality", "passed"),
    ("conc_bonds", "Bond Obligations", "concentration", "failed"),
    ("oc_class_a", "Class A OC", "overcollateralization", "passed"),
    ("ic_class_a", "Class A IC", "interest_coverage", "passed"),
    ("ccc_bucket", "CCC Bucket", "credit_quality", "failed"),
    ("wal_test", "Max WAL", "collateral_quality", "passed"),
]
# Worked by hand from the list above: categories in the fixed order, custom last, deal order inside each.
EXPECTED = [
    ("Overcollateralization tests", ["Class B OC", "Class A OC"]),
    ("Interest coverage tests", ["Class B IC", "Class A IC"]),
    ("Collateral quality tests", ["Min WAS", "Max WAL"]),
    ("Credit quality tests", ["Max WARF", "CCC Bucket"]),
    ("Concentration limitations", ["PIK Obligations", "Bond Obligations"]),
    ("Custom tests", ["Custom Metric X"]),
]


def results(tests: list[tuple[str, str, str, str]], report_date: dt.date = REPORT_DATE) -> pd.DataFrame:
    """A compliance results frame as the warehouse serves it (sort_order = the deal's order)."""
    return pd.DataFrame(
        {
            "test_id": [t[0] for t in tests],
            "name": [t[1] for t in tests],
            "category": [t[2] for t in tests],
            "current_value": [100.0 + i for i in range(len(tests))],
            "trigger_level": [90.0] * len(tests),
            "cushion_pct": [{"passed": 20.0, "warning": 1.0, "failed": -5.0}[t[3]] + i for i, t in enumerate(tests)],
            "status": [t[3] for t in tests],
            "trend": ["stable"] * len(tests),
            "report_date": [report_date] * len(tests),
            "sort_order": list(range(len(tests))),
        }
    )


def report(compliance: pd.DataFrame, history: pd.DataFrame | None = None) -> ReportData:
    holdings = pd.DataFrame(
        {
            "cusip": ["000000001"],
            "issuer_name": ["Issuer"],
            "par_amount": [1_000_000.0],
            "market_value": [990_000.0],
            "price": [99.0],
            "spread": [350.0],
            "rating_moodys": ["B2"],
            "rating_sp": ["B"],
            "is_defaulted": [False],
        }
    )
    return ReportData(
        workbook={"workbook_id": "wb-21", "name": "CLO 2026-1", "report_date": REPORT_DATE},
        holdings=holdings,
        compliance=compliance,
        compliance_history=history if history is not None else pd.DataFrame(),
        generated_at=dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC),
    )


@pytest.fixture(scope="module")
def template():
    return load_templates()["trustee_monthly"]


def _positions(text: str, needles: list[str]) -> list[int]:
    positions = [text.find(n) for n in needles]
    assert all(p >= 0 for p in positions), [n for n, p in zip(needles, positions, strict=True) if p < 0]
    return positions


def test_pdf_lists_the_tests_grouped_by_category_in_order(template):
    # shuffled rows: the report must follow sort_order (the deal's order), not the frame's row order
    frame = results(DEAL_TESTS).sample(frac=1.0, random_state=7)
    pdf = render(report(frame), template, "pdf")
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages]
    text = "\n".join(pages[1:])  # after the summary page: the compliance section, then holdings
    headings = [h for h, _ in EXPECTED]
    heading_at = _positions(text, [f"{h} (" for h in headings])
    assert heading_at == sorted(heading_at)
    for (_, names), start, end in zip(EXPECTED, heading_at, [*heading_at[1:], len(text)], strict=True):
        at = _positions(text[start:end], names)
        assert at == sorted(at), names  # the deal's order inside the group, and each test under its own heading
    assert "Overcollateralization tests (2): 1 passed, 1 warning, 0 failed" in text
    assert "Concentration limitations (2): 1 passed, 0 warning, 1 failed" in text
    assert "8 passed, 1 warning, 2 failed" in pages[0]  # the summary counts all eleven


def test_xlsx_lists_the_tests_grouped_by_category_in_order(template):
    frame = results(DEAL_TESTS).sample(frac=1.0, random_state=3)
    book = openpyxl.load_workbook(io.BytesIO(render(report(frame), template, "xlsx").content))
    sheet = book["Compliance"]
    first_cells = [row[0] for row in sheet.iter_rows(min_row=3, max_col=2, values_only=True) if row[0] is not None]
    names = {t[0]: t[1] for t in DEAL_TESTS}
    expected: list[str] = []
    for heading, group in EXPECTED:
        count = len(group)
        statuses = [t[3] for t in DEAL_TESTS if t[1] in group]
        expected.append(
            f"{heading} ({count}): {statuses.count('passed')} passed, {statuses.count('warning')} warning, "
            f"{statuses.count('failed')} failed"
        )
        expected.append("Test")  # each group's header row
        expected.extend(next(i for i, n in names.items() if n == name) for name in group)
    assert first_cells == expected


def test_the_full_indenture_report_groups_all_52_tests(template):
    """The 52 tests of the full indenture profile, in the registry's report order: 6 + 5 + 5 + 2 + 34 by hand."""
    tests = [(t, t, STANDARD_TESTS[t].category, "passed") for t in INDENTURE_TEST_IDS]
    book = openpyxl.load_workbook(io.BytesIO(render(report(results(tests)), template, "xlsx").content))
    headings = [
        row[0]
        for row in book["Compliance"].iter_rows(min_row=3, max_col=1, values_only=True)
        if isinstance(row[0], str) and " passed, " in row[0]
    ]
    assert headings == [
        "Overcollateralization tests (6): 6 passed, 0 warning, 0 failed",
        "Interest coverage tests (5): 5 passed, 0 warning, 0 failed",
        "Collateral quality tests (5): 5 passed, 0 warning, 0 failed",
        "Credit quality tests (2): 2 passed, 0 warning, 0 failed",
        "Concentration limitations (34): 34 passed, 0 warning, 0 failed",
    ]
    summary = [c.value for row in book["Summary"].iter_rows() for c in row]
    assert "52 passed, 0 warning, 0 failed" in summary


def _history(tests: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    dates = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), REPORT_DATE]
    frames = [results(tests, d).assign(cushion_pct=lambda f, k=k: f["cushion_pct"] + k) for k, d in enumerate(dates)]
    return pd.concat(frames, ignore_index=True)


def test_the_trend_chart_of_52_tests_plots_the_tests_not_passed():
    tests = [(t, t, STANDARD_TESTS[t].category, "passed") for t in INDENTURE_TEST_IDS]
    failing = {"oc_class_e", "conc_bonds", "ccc_bucket"}
    tests = [(t, n, c, "failed" if t in failing else s) for t, n, c, s in tests]
    fig = compliance_trend_figure(_history(tests), results(tests))
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["oc_class_e", "ccc_bucket", "conc_bonds"]  # the report's (grouped) order
    assert ax.get_title() == "Compliance cushion trend: the 3 tests not passed (of 52)"


def test_the_trend_chart_of_52_passing_tests_plots_the_oc_and_ic_tests():
    tests = [(t, t, STANDARD_TESTS[t].category, "passed") for t in INDENTURE_TEST_IDS]
    fig = compliance_trend_figure(_history(tests), results(tests))
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [*INDENTURE_TEST_IDS[:11]]  # oc_class_a … reinvestment_oc, ic_class_a … ic_class_e
    assert ax.get_title() == "Compliance cushion trend: the 11 OC and IC tests (all 52 passed)"
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1  # legend right of the plot


def test_more_than_twelve_tests_not_passed_plot_the_twelve_lowest_cushions():
    tests = [(t, t, STANDARD_TESTS[t].category, "warning") for t in INDENTURE_TEST_IDS]
    current = results(tests)  # cushion_pct = 1 + i: the twelve lowest are the first twelve in the list
    fig = compliance_trend_figure(_history(tests), current)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == list(INDENTURE_TEST_IDS[:12])
    assert ax.get_title() == "Compliance cushion trend: the 12 lowest cushions of the 52 tests not passed (of 52)"


def test_a_deal_of_ten_tests_still_plots_every_test():
    tests = [(t, t, STANDARD_TESTS[t].category, "passed") for t in list(STANDARD_TESTS)[:10]]
    fig = compliance_trend_figure(_history(tests), results(tests))
    (ax,) = fig.axes
    assert len(ax.get_legend().get_texts()) == 10
    assert ax.get_title() == "Compliance cushion trend: all 10 tests"

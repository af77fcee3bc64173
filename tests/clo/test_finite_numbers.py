"""Numbers that are not numbers (issue 15 part 3): a CLO file with 1e308, 1e999, inf and a 400-digit value fails
its partition once with a typed VALIDATION_ERROR naming file, sheet, row and column; nothing else is touched."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from orchestration.clo import pipeline, tables
from orchestration.clo.normalize import number_problem, to_number, unfit_numbers
from orchestration.core import landing_log
from orchestration.core.errors import InputError
from orchestration.core.landing_log import LandedRecord
from tests.clo.files import BLOOMBERG_HEADERS, holdings_rows, openpyxl_book

FOUR_HUNDRED_DIGITS = "9" * 400

# Columns: CUSIP_ID, ISIN, Issuer Name, Face Value (D), Mid Price (E), Spread (bps) (F), ratings, maturity, …
OVERFLOW_CSV = "\n".join(
    [
        ",".join(f'"{h}"' for h in BLOOMBERG_HEADERS),
        "037833100,US0378331005,Apple Loan,1e308,98.5,425,B2,B,2029-06-15,Tech,US",  # row 2: 1e308 × 98.5 overflows
        "38259P508,US38259P5089,Google Loan,1e999,100,300,Ba3,BB-,2030-01-15,Tech,US",  # row 3
        f"594918104,US5949181045,Microsoft Loan,{FOUR_HUNDRED_DIGITS},99,350,B1,B+,2028-03-01,Tech,GB",  # row 4
        "000361105,US0003611052,AAR Loan,4000000,inf,600,Caa1,CCC+,2027-09-30,Aerospace,CA",  # row 5
        "459200101,US4592001014,IBM Loan,1000000,NaN,-Infinity,Ba2,BB,2031-12-31,Services,US",  # row 6
    ]
)
"""Expected refusals, worked from the rows above: D2 (1e308 > 2^53), D3, D4, E5 and F6 (not finite). The `NaN` in
E6 is a null token (as `n/a`, `-` and `nan` always were: a blank), so it is not among them."""
EXPECTED_CELLS = [
    (2, "D", "par_amount"),
    (3, "D", "par_amount"),
    (4, "D", "par_amount"),
    (5, "E", "price"),
    (6, "F", "spread"),
]


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        ("1e999", "not finite"),
        ("inf", "not finite"),
        ("-Infinity", "not finite"),
        (FOUR_HUNDRED_DIGITS, "not finite"),
        (10**400, "not finite"),
        (float("inf"), "not finite"),
        (float("nan"), "NaN"),
        ("1e308", "2^53"),
        ("9.1e15", "2^53"),
        (2**60, "2^53"),
        ("9007199254740992", None),  # 2^53 itself is the largest accepted
        ("5,000,000", None),
        ("(1,000)", None),
        (98.5, None),
        ("NaN", None),  # a null token: blank, not a number
        ("n/a", None),
        ("abc", None),  # unreadable: a `type` failure, not an overflow
        (None, None),
    ],
)
def test_number_problem_names_what_is_not_finite_or_too_large(cell: Any, problem: str | None) -> None:
    found = number_problem(cell)
    assert (found is None) if problem is None else (problem in found)


def test_to_number_never_returns_or_raises_on_overflow() -> None:
    assert to_number(10**400) is None  # float(10**400) raises OverflowError
    assert to_number("1e999") is None
    assert to_number(float("inf")) is None
    assert to_number("1e308") == 1e308  # finite: read, then refused by the range check


def _rows(platform: Any, table: sa.Table, tenant: str) -> pd.DataFrame:
    query = sa.select(table).where(table.c.tenant_id == tenant).order_by(table.c.partition_key)
    with platform.warehouse.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def _one_typed_attempt(platform: Any, result: dg.ExecuteInProcessResult) -> dg.DagsterEvent:
    """The run's one step failure, after exactly one attempt as recorded in the Dagster instance."""
    assert not result.success
    events = [e.dagster_event for e in platform.instance.all_logs(result.run_id) if e.dagster_event is not None]
    kinds = [e.event_type for e in events]
    assert kinds.count(dg.DagsterEventType.STEP_START) == 1
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    assert dg.DagsterEventType.STEP_RESTARTED not in kinds
    (failure,) = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_failure_data.user_failure_data.metadata["error_code"].value == "VALIDATION_ERROR"
    return failure


def test_a_csv_with_numbers_that_are_not_numbers_fails_once_typed_and_alone(platform, lander, tenant) -> None:
    good_key = lander.land(tenant, "good.xlsx", openpyxl_book({"Holdings": holdings_rows()}))
    assert lander.run(good_key).success
    before = {t.name: _rows(platform, t, tenant) for t in (tables.holdings, tables.sheet_rows, tables.insights)}

    key = lander.land(tenant, "overflow.csv", OVERFLOW_CSV)
    failure = _one_typed_attempt(platform, lander.run(key, raise_on_error=False))

    data = failure.step_failure_data.user_failure_data
    metadata = data.metadata
    assert metadata["where"].value == "overflow.csv!overflow!D2"
    assert metadata["file"].value == "overflow.csv"
    assert metadata["sheet"].value == "overflow"
    assert metadata["count"].value == "5"
    cells = metadata["cells"].value
    assert [(c["row"], c["column"], c["field"]) for c in cells] == EXPECTED_CELLS
    assert [c["header"] for c in cells] == ["Face Value"] * 3 + ["Mid Price", "Spread (bps)"]
    assert "2^53" in cells[0]["reason"]
    assert all("not finite" in c["reason"] for c in cells[1:])
    assert "overflow.csv, sheet 'overflow'" in data.description
    assert "row 2 column D (Face Value → par_amount)" in data.description

    # The landed file is kept, the failure is visible, and nothing of the bad file reached a table.
    assert landing_log.require(platform.warehouse, "clo", key).archive_path.exists()
    workbooks = _rows(platform, tables.workbooks, tenant).set_index("file_name")
    assert (workbooks.loc["overflow.csv", "status"], workbooks.loc["overflow.csv", "error_code"]) == (
        "failed",
        "VALIDATION_ERROR",
    )
    assert "row 4 column D" in workbooks.loc["overflow.csv", "error_message"]
    assert workbooks.loc["good.xlsx", "status"] == "processed"
    # The workbook processed before is untouched, row for row.
    for table in (tables.holdings, tables.sheet_rows, tables.insights):
        pd.testing.assert_frame_equal(_rows(platform, table, tenant), before[table.name])


def _with_cell_values(book: bytes, sheet_xml: str, values: dict[str, str]) -> bytes:
    """The .xlsx with some numeric cells' stored text replaced (openpyxl refuses to write inf or NaN itself)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == sheet_xml:
                for placeholder, value in values.items():
                    content = content.replace(f"<v>{placeholder}</v>".encode(), f"<v>{value}</v>".encode())
            target.writestr(info, content)
    return out.getvalue()


def test_an_xlsx_cell_that_is_not_finite_is_refused_wherever_it_is(platform, lander, tenant) -> None:
    notes = [["Note", "Amount"], ["cash", 111111], ["fees", 222222]]
    book = openpyxl_book({"Holdings": holdings_rows(), "Notes": notes})
    bad = _with_cell_values(book, "xl/worksheets/sheet2.xml", {"111111": "1e999", "222222": "NaN"})
    key = lander.land(tenant, "notes.xlsx", bad)
    failure = _one_typed_attempt(platform, lander.run(key, raise_on_error=False))
    metadata = failure.step_failure_data.user_failure_data.metadata
    assert metadata["where"].value == "notes.xlsx!Notes!B2"
    assert [(c["row"], c["column"]) for c in metadata["cells"].value] == [(2, "B"), (3, "B")]
    assert _rows(platform, tables.sheet_rows, tenant).empty


def test_unfit_numbers_reads_the_source_cell_and_keeps_blanks_blank() -> None:
    nan, inf = float("nan"), float("inf")
    holdings = pd.DataFrame(
        {
            "row_index": [2, 3, 4, 5, 6],
            "par_amount": [nan, nan, nan, 1e6, 2e6],
            "price": [99.0, 98.0, 97.0, 9.0e17, inf],
            "raw_data": [
                {"Par": "1e999", "Px": 99.0},  # refused at parse: the raw text shows why
                {"Par": None, "Px": 98.0},  # blank stays blank
                {"Par": "abc", "Px": 97.0},  # unreadable: a `type` failure, not this
                {"Par": 1e6, "Px": 9.0e15},  # fine as given, 100× after the unit fix: the value shows why
                {"Par": 2e6, "Px": inf},  # an .xlsx infinity that got through
            ],
        }
    )
    count, cells = unfit_numbers(holdings, {"par_amount": ("Par", 2), "price": ("Px", 27)})
    assert count == 3
    assert [(c["row"], c["column"], c["field"], c["value"]) for c in cells] == [
        (2, "C", "par_amount", "1e999"),
        (5, "AB", "price", "9e+17"),
        (6, "AB", "price", "inf"),
    ]
    assert "2^53" in cells[1]["reason"]
    assert "not finite" in cells[2]["reason"]


def test_a_sidecar_with_nan_is_refused_and_its_failed_row_still_writes(platform) -> None:
    record = LandedRecord(
        tenant_id="clo-sidecar",
        domain="clo",
        file_name="book.csv",
        relative_path="clo-sidecar/clo/book.csv",
        sha256="b" * 64,
        size_bytes=10,
        partition_key="clo-sidecar.bbbbbbbbbbbbbbbb",
        archive_path=Path("/archive/b"),
        sidecar={"name": "Book", "metadata": {"fx": float("nan"), "notional": 10**30}},
        landed_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )
    with pytest.raises(InputError) as error:
        pipeline.process(
            platform.warehouse, record, OVERFLOW_CSV.encode(), max_bytes=10**6, anomaly_threshold=3.0, trend_history=6
        )
    assert (error.value.code, error.value.where) == ("VALIDATION_ERROR", "book.csv.meta.json")
    failed = pipeline.workbook_row(record, status="failed", error_code="VALIDATION_ERROR")
    assert failed["sidecar"][0]["metadata"] == {"fx": "nan", "notional": str(10**30)}

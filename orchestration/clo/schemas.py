"""The clo domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.clo.insights import ANOMALY_FIELDS
from orchestration.clo.mapping.fields import IDENTIFIER_FIELDS
from orchestration.clo.mapping.terms import FLAG_FIELDS, TERM_NUMBERS, VOCABULARIES
from orchestration.clo.quality import DIMENSIONS
from orchestration.core.patterns import UUID
from orchestration.core.ratings import FITCH_SCALE, MOODYS_SCALE, SP_SCALE

_rating = {
    "rating_moodys": MOODYS_SCALE,
    "rating_sp": SP_SCALE,
    "rating_fitch": FITCH_SCALE,
}

WORKBOOKS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "status": pa.Column(str, pa.Check.isin(["pending", "processing", "processed", "failed"])),
        "file_size": pa.Column("int64", pa.Check.ge(0)),
        "sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
        "data_quality_score": pa.Column(float, pa.Check.in_range(0, 100), nullable=True),
        "mapping_profile_version": pa.Column(object, pa.Check.str_matches(r"^[0-9a-f]{64}$"), nullable=True),
    },
    name="clo_workbooks",
)


SHEETS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "sheet_name": pa.Column(str),
        "row_index": pa.Column("int64", pa.Check.ge(1)),
        "cells": pa.Column(object),
    },
    unique=["sheet_name", "row_index"],
    name="clo_sheet_rows",
    strict=True,
)


HOLDINGS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "holding_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "sheet": pa.Column(str),
        "row_index": pa.Column("int64", pa.Check.ge(1)),
        "cusip": pa.Column(object, nullable=True),
        "isin": pa.Column(object, nullable=True),
        "issuer_name": pa.Column(object, nullable=True),
        **{f: pa.Column(float, nullable=True) for f in ANOMALY_FIELDS},
        "accrued_interest": pa.Column(float, nullable=True),
        **{f: pa.Column(object, pa.Check.isin(list(t)), nullable=True) for f, t in _rating.items()},
        "maturity_date": pa.Column(object, nullable=True),
        "industry": pa.Column(object, nullable=True),
        "country": pa.Column(object, nullable=True),
        "currency": pa.Column(object, nullable=True),
        "is_defaulted": pa.Column(bool),
        **{f: pa.Column(object, pa.Check.isin(list(v)), nullable=True) for f, v in VOCABULARIES.items()},
        **{f: pa.Column(float, nullable=True) for f in TERM_NUMBERS},
        **{f: pa.Column(bool) for f in FLAG_FIELDS},
        "raw_data": pa.Column(object),
        "cusip_valid": pa.Column("boolean", nullable=True),
        "isin_valid": pa.Column("boolean", nullable=True),
        "loanx_id": pa.Column(object, nullable=True),
        "figi": pa.Column(object, nullable=True),
        "asset_id": pa.Column(object, nullable=True),
        "figi_valid": pa.Column("boolean", nullable=True),
        "source_cells": pa.Column(object, nullable=True),
    },
    checks=[
        pa.Check(
            lambda f: f[list(IDENTIFIER_FIELDS)].notna().any(axis=1).all(),
            name="every holding has an identifier (CUSIP, ISIN, LoanX ID, FIGI or asset id)",
        )
    ],
    name="clo_holdings",
    strict=True,
)


DIAGNOSTICS_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "sheet": pa.Column(str),
        "header_row": pa.Column("int64", pa.Check.ge(1)),
        "mode": pa.Column(str, pa.Check.isin(["profile", "auto_detect"])),
    },
    name="clo_mapping_diagnostics",
)


QUALITY_SCHEMA = pa.DataFrameSchema(
    {
        "workbook_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        **{d: pa.Column(float, pa.Check.in_range(0, 100)) for d in DIMENSIONS},
        "issues": pa.Column("int64", pa.Check.ge(0)),
    },
    name="clo_data_quality",
)


ANOMALIES_SCHEMA = pa.DataFrameSchema(
    {
        "anomaly_id": pa.Column(str, unique=True),
        "holding_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "field": pa.Column(str, pa.Check.isin(list(ANOMALY_FIELDS))),
        "value": pa.Column(float),
        "z_score": pa.Column(float),
        "expected_low": pa.Column(float),
        "expected_high": pa.Column(float),
        "severity": pa.Column(str, pa.Check.isin(["warning", "critical"])),
    },
    checks=[
        pa.Check(
            lambda f: ((f["value"] < f["expected_low"]) | (f["value"] > f["expected_high"])).all(),
            name="every anomaly lies outside its expected range",
        )
    ],
    name="clo_anomalies",
)


INSIGHTS_SCHEMA = pa.DataFrameSchema(
    {
        "insight_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "type": pa.Column(str, pa.Check.isin(["anomaly", "pattern", "trend", "correlation"])),
        "severity": pa.Column(str, pa.Check.isin(["info", "warning", "critical"])),
        "title": pa.Column(str, pa.Check.str_length(min_value=1)),
        "description": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    name="clo_insights",
)

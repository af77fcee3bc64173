"""The reconciliation domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.core.patterns import UUID
from orchestration.reconciliation.engine import CATEGORIES, MATCH_STATUSES, STATUSES

VARIANCES_SCHEMA = pa.DataFrameSchema(
    {
        "variance_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "reconciliation_id": pa.Column(str, pa.Check.str_matches(UUID)),
        "position_key": pa.Column(str),
        "category": pa.Column(str, pa.Check.isin(list(CATEGORIES))),
        "field": pa.Column(str),
        "difference": pa.Column(float, nullable=True),
        "difference_pct": pa.Column(float, nullable=True),
        "within_tolerance": pa.Column(bool),
        "initial_status": pa.Column(str, pa.Check.isin(["open", "resolved"])),
        "auto_rule_id": pa.Column(object, nullable=True),
    },
    checks=[
        pa.Check(
            lambda f: (f["auto_rule_id"].notna() == (f["initial_status"] == "resolved")).all(),
            name="resolved by the reconciliation exactly when an auto-rule fired",
        ),
    ],
    name="reconciliation_variances",
)


POSITIONS_SCHEMA = pa.DataFrameSchema(
    {
        "position_key": pa.Column(str, unique=True),
        "match_status": pa.Column(str, pa.Check.isin(list(MATCH_STATUSES))),
        "variance_count": pa.Column("int64", pa.Check.ge(0)),
        "source_cells": pa.Column(object, nullable=True),
    },
    checks=[
        pa.Check(
            lambda f: f.loc[f["match_status"] == "unmatched_internal", "source_cells"].isna().all(),
            name="no statement cells for a position found only in the workbook",
        ),
    ],
    name="reconciliation_positions",
)


RESOLUTIONS_SCHEMA = pa.DataFrameSchema(
    {
        "row_index": pa.Column("int64", pa.Check.ge(0), unique=True),
        "outcome": pa.Column(str, pa.Check.isin(["applied", "rejected"])),
        "status": pa.Column(object, pa.Check.isin(list(STATUSES)), nullable=True),
        "rejection_reason": pa.Column(object, nullable=True),
    },
    checks=[
        pa.Check(
            lambda f: (f["rejection_reason"].isna() == (f["outcome"] == "applied")).all(),
            name="a reason exactly for rejected rows",
        )
    ],
    name="reconciliation_resolutions",
)

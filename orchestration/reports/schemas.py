"""The reports domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.core.patterns import UUID

REPORTS_SCHEMA = pa.DataFrameSchema(
    {
        "report_id": pa.Column(str, pa.Check.str_matches(UUID), unique=True),
        "format": pa.Column(str, pa.Check.isin(["pdf", "xlsx"])),
        "size_bytes": pa.Column("int64", pa.Check.gt(0)),
        "sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
    },
    name="clo_workbook_reports",
)

"""The ops domain's pandera schemas: what each table's rows must satisfy before they are written."""

import pandera.pandas as pa

from orchestration.core.settings import DOMAINS
from orchestration.ops.configuration import KINDS

LANDED_FILES_SCHEMA = pa.DataFrameSchema(
    {
        "domain": pa.Column(str, pa.Check.isin(DOMAINS)),
        "file_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
        "size_bytes": pa.Column(int, pa.Check.gt(0)),
        "landed_at": pa.Column(nullable=False),
        "archive_path": pa.Column(str),
        "sidecar": pa.Column(object, nullable=True),
        "status": pa.Column(str, pa.Check.isin(["accepted"])),
    },
    name="landed_files",
    strict=True,
    unique=["sha256"],
)

CONFIGURATION_SCHEMA = pa.DataFrameSchema(
    {
        "tenant_id": pa.Column(str, pa.Check.str_length(min_value=1)),
        "kind": pa.Column(str, pa.Check.isin(KINDS)),
        "name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "position": pa.Column(int, pa.Check.ge(0)),
        "document": pa.Column(object, pa.Check(lambda s: s.map(lambda d: isinstance(d, dict)), element_wise=False)),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "config_sha256": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{64}$")),
    },
    name="configuration",
    strict=True,
    unique=["kind", "tenant_id", "name"],
)

"""The API's view of the dbt marts: one module per domain, every table on `metadata` (dbt owns the DDL).

`tests/api/test_contract.py` checks every table declared here against the relations `dbt run` builds, column by
column, so a declaration cannot drift from its model. A domain adds `api/marts/<domain>.py` and imports it below.
"""

from __future__ import annotations

from api.marts import clo, covenants, ops, performance  # noqa: F401  (registers their tables)
from api.marts._metadata import metadata

__all__ = ["metadata"]

"""The whole warehouse schema: core's tables and every domain's `tables.py`, on one `metadata`.

The Alembic environment and the migration tests load this module, so the metadata they compare is
complete; a new domain adds its `tables` import here (README: "Add a landing domain").
"""

from __future__ import annotations

from orchestration.clo import tables as _clo_tables  # noqa: F401
from orchestration.compliance import tables as _compliance_tables  # noqa: F401
from orchestration.core import schema as _core_tables  # noqa: F401
from orchestration.core.metadata import SCHEMAS, metadata
from orchestration.covenants import tables as _covenants_tables  # noqa: F401
from orchestration.equity import tables as _equity_tables  # noqa: F401
from orchestration.ops import tables as _ops_tables  # noqa: F401
from orchestration.performance import tables as _performance_tables  # noqa: F401
from orchestration.reconciliation import tables as _reconciliation_tables  # noqa: F401
from orchestration.reports import tables as _reports_tables  # noqa: F401

__all__ = ["SCHEMAS", "metadata"]

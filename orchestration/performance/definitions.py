"""Performance's definitions: returns, contribution and attribution on `performance_files`, P&L facts on `pnl_files`."""

import dagster as dg

from orchestration.performance.assets import performance_file_assets, pnl_file_assets


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(assets=[*performance_file_assets, *pnl_file_assets])

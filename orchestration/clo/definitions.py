"""The CLO workbooks domain's definitions: the workbook multi-asset on the `clo_files` partitions."""

import dagster as dg

from orchestration.clo.assets import clo_file_assets


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(assets=clo_file_assets)

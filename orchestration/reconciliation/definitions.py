"""Reconciliation's definitions: one statement asset per source domain, and the resolutions asset.

Each is on its own landing domain's file partitions (`trustee_files`, `geneva_files`, `bloomberg_files`,
`resolutions_files`), so it runs in that domain's file job.
"""

import dagster as dg

from orchestration.reconciliation.assets import resolutions_file_assets, statement_file_assets


def defs() -> dg.Definitions:
    """Built in a function: a code location module may hold only one module-level Definitions."""
    return dg.Definitions(
        assets=[*(a for assets in statement_file_assets.values() for a in assets), *resolutions_file_assets]
    )

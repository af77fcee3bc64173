"""Stable ids: a reconciliation per (workbook, statement) and a variance per (workbook, statement, position, category).

Re-running a reconciliation gives the same ids, so resolutions landed earlier stay attached.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("8f3c2a4e-1b7d-4e59-9c0a-7d1e5b2c9a44")


def statement_key(source_type: str, partition_key: str) -> str:
    """A statement is identified by its landing domain and file partition (``trustee/acme.0123…``)."""
    return f"{source_type}/{partition_key}"


def reconciliation_id(workbook_id: str, statement: str) -> str:
    """uuid5 of ``"recon:{workbook_id}:{statement}"``."""
    return str(uuid.uuid5(NAMESPACE, f"recon:{workbook_id}:{statement}"))


def variance_id(workbook_id: str, statement: str, position_key: str, category: str, field: str) -> str:
    """uuid5 of ``"variance:{workbook_id}:{statement}:{position_key}:{category}:{field}"``.

    The field qualifies the category because a category can hold several fields per position (three rating
    agencies; par and market value), each its own variance.
    """
    return str(uuid.uuid5(NAMESPACE, f"variance:{workbook_id}:{statement}:{position_key}:{category}:{field}"))

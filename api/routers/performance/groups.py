"""The `group_by` parameter of the performance routes: several keys, each known and named once, in the order asked.

dbt stores a multi-key attribution label with its values joined by `|` in the benchmark's key order; a request
may name the keys in another order, so the label is re-joined in the order asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.errors import ApiError


def group_keys(raw: str | None, allowed: list[str], what: str) -> list[str]:
    """The comma-separated group keys, each one of `allowed` and none repeated (else a 422)."""
    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ApiError(422, f"unknown {what} group key(s) {unknown}; available: {allowed}")
    if len(set(keys)) != len(keys):
        raise ApiError(422, "group_by repeats a key")
    return keys


def in_asked_order(rows: Sequence[Any], stored: list[str], asked: list[str]) -> list[dict[str, Any]]:
    """Attribution rows with group labels in the order the keys were asked (stored in the benchmark's order)."""
    order = [stored.index(k) for k in asked]
    out = []
    for row in rows:
        parts = str(row["group_value"]).split("|")
        label = "|".join(parts[i] for i in order) if len(parts) == len(stored) else row["group_value"]
        out.append({**row, "group_value": label})
    return sorted(out, key=lambda r: r["group_value"])

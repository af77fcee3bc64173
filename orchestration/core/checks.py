"""Shared helpers for validating frames with pandera and reporting the outcome as an asset check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from orchestration.core.errors import InputError

PANDERA_CHECK = "pandera_schema"

TRANSIENT_RETRY = dg.RetryPolicy(max_retries=3, delay=1.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""Op retries for transient faults (database connection, price source); bad input raises without retry.

A RetryPolicy retries every exception except a `dg.Failure(allow_retries=False)`, so bad input must reach Dagster
as `as_failure(InputError)`: `materialize.input_errors` does that, and `materialize.write` turns values the
database refuses (SQLSTATE class 22) into InputErrors first.
"""


def pandera_check_spec(asset_key: dg.AssetKey | str, schema: pa.DataFrameSchema) -> dg.AssetCheckSpec:
    """The check every Python asset declares: its frame matches its pandera schema."""
    key = dg.AssetKey.from_user_string(asset_key) if isinstance(asset_key, str) else asset_key
    return dg.AssetCheckSpec(PANDERA_CHECK, asset=key, description=f"Rows match pandera schema {schema.name}.")


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, where: str) -> pd.DataFrame:
    """Validate lazily so every failure is reported at once; raise a typed VALIDATION_ERROR."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(20)
        raise InputError(
            "VALIDATION_ERROR",
            f"{len(exc.failure_cases)} value(s) fail schema {schema.name}",
            where,
            {"failure_cases": cases.astype(str).to_dict(orient="records")},
        ) from exc


def passed_check(asset_key: dg.AssetKey, schema: pa.DataFrameSchema, rows: int) -> dg.AssetCheckResult:
    """The check result recorded with a successful materialization."""
    return dg.AssetCheckResult(
        check_name=PANDERA_CHECK,
        asset_key=asset_key,
        passed=True,
        metadata={"schema": schema.name or "", "rows_validated": rows},
    )


def as_failure(error: InputError, extra: Mapping[str, Any] | None = None) -> dg.Failure:
    """A typed input error as a Dagster failure that is never retried."""
    metadata: dict[str, Any] = {"error_code": error.code, "where": error.where}
    for key, value in {**error.details, **(extra or {})}.items():
        metadata[key] = dg.MetadataValue.json(json_safe(value)) if isinstance(value, dict | list) else str(value)
    return dg.Failure(description=str(error), metadata=metadata, allow_retries=False)


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity (nested in dicts, lists and tuples too) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def finite_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Materialization metadata that is always JSON: NaN and infinities (plain, float or JSON values) become null.

    Metadata describes rows already committed, so a non-finite figure in it is blanked rather than failing the run.
    """
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if isinstance(value, dg.FloatMetadataValue):
            value = value.value
        if isinstance(value, dg.JsonMetadataValue):
            value = dg.MetadataValue.json(json_safe(value.data))
        elif isinstance(value, float):
            value = value if math.isfinite(value) else dg.MetadataValue.null()
        out[key] = value
    return out


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """A markdown preview of the first rows for the asset's materialization page."""
    return dg.MetadataValue.md(frame.head(rows).astype(str).to_markdown(index=False))

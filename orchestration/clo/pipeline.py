"""One workbook from archived bytes to every CLO table's rows (no Dagster here; assets.py wires it).

`process` parses once and derives the workbook row, sheet rows, holdings, diagnostics (with schema drift
against the tenant's previous workbook of the same profile), data quality, anomalies and insights (with
trends over the tenant's earlier report dates, read from the warehouse). A cell that is a non-finite number,
or a holding's number that overflows or exceeds `normalize.MAX_MAGNITUDE`, is a VALIDATION_ERROR naming the
file, sheet, row and column before anything is computed from it.
"""

import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from orchestration.clo import insights as ins
from orchestration.clo import quality, tables
from orchestration.clo.mapping import HOLDING_COLUMNS, extract_holdings, find_report_date, schema_drift
from orchestration.clo.mapping.fields import NUMERIC_FIELDS
from orchestration.clo.mapping.terms import TERM_NUMBERS
from orchestration.clo.normalize import non_finite_cells, to_date, unfit_error, unfit_numbers
from orchestration.clo.reader import ParsedWorkbook, read_workbook
from orchestration.core.copy_text import unfit
from orchestration.core.errors import InputError
from orchestration.core.ids import workbook_id as make_workbook_id
from orchestration.core.landing_log import LandedRecord


@dataclass
class WorkbookOutputs:
    """Every table's rows for one processed workbook."""

    workbook: pd.DataFrame
    sheet_rows: pd.DataFrame
    holdings: pd.DataFrame
    diagnostics: pd.DataFrame
    data_quality: pd.DataFrame
    anomalies: pd.DataFrame
    insights: pd.DataFrame


class _NotFiniteError(ValueError):
    """A sheet cell holding a NaN or an infinity (an .xlsx `<v>1e999</v>`, a formula that overflowed)."""


def _json_cell(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotFiniteError(value)
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return value


def _non_finite_cells(parsed: ParsedWorkbook) -> InputError:
    """The VALIDATION_ERROR for the first sheet holding NaN or infinite cells (found after `_json_cell` refused one)."""
    for sheet in parsed.sheets:
        count, cells = non_finite_cells(sheet.rows)
        if count:
            return unfit_error(parsed.file_name, sheet.name, cells, count)
    raise AssertionError("no non-finite cell found")  # pragma: no cover - only called after one was refused


def _json_safe(value: Any) -> Any:
    """A sidecar value for a `failed` row: whatever the encoder would refuse (NaN, inf, huge integers) as text."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if unfit(value) is None else str(value)


def sidecar_fields(record: LandedRecord) -> dict[str, Any]:
    """Name, tags, metadata, source, profile and declared report date from the sidecar (or defaults)."""
    sidecar = record.sidecar or {}
    metadata = sidecar.get("metadata") or {}
    return {
        "name": sidecar.get("name") or record.file_name,
        "tags": list(sidecar.get("tags") or []),
        "metadata": metadata,
        "source": metadata.get("source"),
        "mapping_profile_id": sidecar.get("mapping_profile_id"),
        "report_date": to_date(metadata.get("report_date")) if metadata.get("report_date") else None,
        "sidecar": record.sidecar,
    }


def workbook_row(
    record: LandedRecord,
    *,
    status: str,
    sheets: list[dict[str, Any]] | None = None,
    processing_stats: dict[str, Any] | None = None,
    report_date: dt.date | None = None,
    report_date_source: str | None = None,
    data_quality_score: float | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    processed_at: dt.datetime | None = None,
    mapping_profile_version: str | None = None,
) -> pd.DataFrame:
    """The one `raw.clo_workbooks` row of a partition in any status (a profile's version once it mapped)."""
    side = sidecar_fields(record)
    if report_date is None and side["report_date"] is not None:
        report_date, report_date_source = side["report_date"], "sidecar"
    return pd.DataFrame(
        [
            {
                "workbook_id": make_workbook_id(record.tenant_id, record.sha256),
                "name": side["name"],
                "file_name": record.file_name,
                "status": status,
                "error_code": error_code,
                "error_message": error_message,
                "file_size": int(record.size_bytes),
                "sha256": record.sha256,
                "report_date": report_date,
                "report_date_source": report_date_source,
                "source": side["source"],
                "mapping_profile_id": side["mapping_profile_id"],
                "mapping_profile_version": mapping_profile_version,
                "tags": _json_safe(side["tags"]),
                "metadata": _json_safe(side["metadata"]),
                "sidecar": _json_safe(side["sidecar"]),
                "sheets": sheets or [],
                "processing_stats": processing_stats or {},
                "data_quality_score": data_quality_score,
                "landed_at": record.landed_at,
                "processed_at": processed_at,
            }
        ]
    )


def sheet_rows_frame(workbook_id: str, parsed: ParsedWorkbook) -> pd.DataFrame:
    """One row per non-empty sheet row: Excel row number and JSON cell values; a NaN or infinite cell is refused."""
    try:
        records = [
            (workbook_id, sheet.name, index + 1, [_json_cell(v) for v in row])
            for sheet in parsed.sheets
            for index, row in enumerate(sheet.rows)
            if row
        ]
    except _NotFiniteError:
        raise _non_finite_cells(parsed) from None
    return pd.DataFrame(records, columns=["workbook_id", "sheet_name", "row_index", "cells"]).astype(
        {"row_index": "int64"}
    )


def sheet_summaries(parsed: ParsedWorkbook) -> list[dict[str, Any]]:
    """Every sheet's name, row and column counts and visibility (the Workbook Response `sheets`)."""
    return [
        {"index": i, "name": s.name, "row_count": s.n_rows, "column_count": s.n_cols, "hidden": s.hidden}
        for i, s in enumerate(parsed.sheets)
    ]


def previous_column_types(
    engine: Engine, tenant_id: str, partition_key: str, profile_id: str | None, landed_at: dt.datetime
) -> tuple[str | None, dict[str, str] | None]:
    """The column types of the tenant's latest earlier-landed processed workbook mapped with the same profile."""
    w, d = tables.workbooks, tables.mapping_diagnostics
    profile_match = d.c.profile_id.is_(None) if profile_id is None else d.c.profile_id == profile_id
    query = (
        sa.select(d.c.workbook_id, d.c.column_types)
        .join(w, sa.and_(w.c.tenant_id == d.c.tenant_id, w.c.partition_key == d.c.partition_key))
        .where(
            d.c.tenant_id == tenant_id,
            d.c.partition_key != partition_key,
            w.c.status == "processed",
            w.c.landed_at <= landed_at,
            profile_match,
        )
        .order_by(w.c.landed_at.desc(), w.c.partition_key.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return (row[0], row[1]) if row else (None, None)


def history(
    engine: Engine, tenant_id: str, partition_key: str, report_date: dt.date, deal_name: str | None, limit: int
) -> list[dict[str, Any]]:
    """Portfolio metrics of the tenant's processed workbooks with earlier report dates (oldest first)."""
    w, h = tables.workbooks, tables.holdings
    query = (
        sa.select(w.c.partition_key, w.c.report_date)
        .where(
            w.c.tenant_id == tenant_id,
            w.c.partition_key != partition_key,
            w.c.status == "processed",
            w.c.report_date < report_date,
        )
        .order_by(w.c.report_date.desc(), w.c.landed_at.desc())
    )
    if deal_name:
        query = query.where(w.c.sidecar["deal"]["name"].astext == deal_name)
    out: list[dict[str, Any]] = []
    seen: set[Any] = set()
    columns = [
        "par_amount",
        "market_value",
        "spread",
        "price",
        "rating_sp",
        "rating_moodys",
        "rating_fitch",
        "is_defaulted",
    ]
    with engine.connect() as conn:
        for key, date in conn.execute(query).all():
            if date in seen:
                continue
            seen.add(date)
            rows = conn.execute(
                sa.select(*(h.c[c] for c in columns)).where(h.c.tenant_id == tenant_id, h.c.partition_key == key)
            ).all()
            frame = pd.DataFrame(rows, columns=columns)
            for c in ("par_amount", "market_value", "spread", "price"):
                frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
            out.append({"report_date": date, **ins.portfolio_metrics(frame)})
            if len(out) >= limit - 1:
                break
    return list(reversed(out))


def process(
    engine: Engine,
    record: LandedRecord,
    data: bytes,
    *,
    max_bytes: int,
    anomaly_threshold: float,
    trend_history: int,
    now: dt.datetime | None = None,
) -> WorkbookOutputs:
    """Parse, map, score and analyse one workbook; raises InputError for bad input (the caller records it)."""
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    wid = make_workbook_id(record.tenant_id, record.sha256)
    side = sidecar_fields(record)
    if (why := unfit(record.sidecar)) is not None:
        raise InputError(
            "VALIDATION_ERROR", f"the sidecar holds a number that does not fit: {why}", f"{record.file_name}.meta.json"
        )
    parsed = read_workbook(data, record.file_name, max_bytes=max_bytes)
    parsed_at = time.perf_counter()
    extraction = extract_holdings(parsed, side["mapping_profile_id"], workbook_id=wid)
    mapped_at = time.perf_counter()
    holdings = extraction.holdings
    diag = extraction.diagnostics
    names = list(diag.column_types)
    sources = {
        f: (info["source_column"], names.index(info["source_column"]))
        for f, info in diag.detected_mappings.items()
        if f in NUMERIC_FIELDS
    }
    count, unfit_cells = unfit_numbers(holdings, sources)
    if count:
        raise unfit_error(parsed.file_name, diag.sheet, unfit_cells, count)
    sheet_rows = sheet_rows_frame(wid, parsed)  # refuses a NaN or infinite cell in any other sheet too

    if side["report_date"] is not None:
        report_date, date_source = side["report_date"], "sidecar"
    elif (found := find_report_date(parsed)) is not None:
        report_date, date_source = found, "workbook"
    else:
        report_date, date_source = record.landed_at.date(), "landed_at"

    compared_to, previous = previous_column_types(
        engine, record.tenant_id, record.partition_key, diag.profile_id, record.landed_at
    )
    drift = {"compared_to": compared_to, **schema_drift(previous, diag.column_types)}
    diagnostics = pd.DataFrame(
        [
            {
                "workbook_id": wid,
                "sheet": diag.sheet,
                "header_row": diag.header_row,
                "profile_id": diag.profile_id,
                "mode": diag.mode,
                "detected_mappings": diag.detected_mappings,
                "unmapped_columns": diag.unmapped_columns,
                "unmapped_target_fields": diag.unmapped_target_fields,
                "validation_failures": diag.validation_failures,
                "column_types": diag.column_types,
                "schema_drift": drift,
                "skipped_rows": diag.skipped_rows,
                "normalisations": diag.normalisations,
                "created_at": now,
            }
        ]
    )

    type_rows = {r for f in diag.validation_failures if f["rule"] == "type" for r in f["rows"]}
    type_count = sum(f["failed_count"] for f in diag.validation_failures if f["rule"] == "type")
    dq = quality.score(
        holdings,
        report_date=report_date,
        landed_at=record.landed_at,
        type_failures=type_count,
        type_failure_rows=type_rows,
    )
    formula_stats = parsed.formula_stats
    dq["details"]["formulas"] = {k: formula_stats[k] for k in ("formula_cells", "cached", "evaluated", "failed")}
    if formula_stats["failed"]:
        dq["issues"] += 1
    data_quality = pd.DataFrame(
        [
            {
                "workbook_id": wid,
                **{k: dq[k] for k in ("overall_score", *quality.WEIGHTS)},
                "issues": dq["issues"],
                "details": dq["details"],
                "computed_at": now,
            }
        ]
    )

    anomalies = ins.zscore_anomalies(holdings, anomaly_threshold)
    anomalies.insert(0, "workbook_id", wid)
    deal = (record.sidecar or {}).get("deal") or {}
    earlier = history(engine, record.tenant_id, record.partition_key, report_date, deal.get("name"), trend_history)
    current_metrics = {"report_date": report_date, **ins.portfolio_metrics(holdings)}
    insight_rows = [
        *ins.anomaly_insights(wid, anomalies, now),
        *ins.pattern_insights(wid, holdings, diag.to_dict(), now),
        *ins.trend_insights(wid, [*earlier, current_metrics], now),
        *ins.correlation_insights(wid, holdings, now),
    ]
    insight_columns = [c.name for c in tables.insights.columns if c.name not in ("tenant_id", "partition_key")]
    insights_frame = pd.DataFrame(insight_rows, columns=insight_columns)

    finished = time.perf_counter()
    stats = {
        "format": parsed.file_format,
        "size_bytes": parsed.size_bytes,
        "decompressed_bytes": parsed.decompressed_bytes,
        "sheet_count": len(parsed.sheets),
        "holdings_sheet": diag.sheet,
        "header_row": diag.header_row,
        "holdings": len(holdings),
        "skipped_rows": diag.skipped_rows,
        "formula_cells": formula_stats["formula_cells"],
        "formulas_cached": formula_stats["cached"],
        "formulas_evaluated": formula_stats["evaluated"],
        "formulas_failed": formula_stats["failed"],
        "formula_failures": formula_stats["failures"][:20],
        "parse_seconds": round(parsed_at - started, 4),
        "map_seconds": round(mapped_at - parsed_at, 4),
        "total_seconds": round(finished - started, 4),
        "anomaly_threshold": anomaly_threshold,
        "anomalies": len(anomalies),
        "insights": len(insights_frame),
        "metrics": {k: v for k, v in current_metrics.items() if k != "report_date"},
    }
    workbook = workbook_row(
        record,
        status="processed",
        sheets=sheet_summaries(parsed),
        processing_stats=stats,
        report_date=report_date,
        report_date_source=date_source,
        data_quality_score=dq["overall_score"],
        processed_at=now,
        mapping_profile_version=diag.profile_version,
    )
    return WorkbookOutputs(
        workbook=_floats(workbook, ["data_quality_score"]).astype({"file_size": "int64"}),
        sheet_rows=sheet_rows,
        holdings=_floats(holdings, [*ins.ANOMALY_FIELDS, "accrued_interest", *TERM_NUMBERS])[list(HOLDING_COLUMNS)],
        diagnostics=diagnostics.astype({"header_row": "int64"}),
        data_quality=_floats(data_quality, list(quality.DIMENSIONS)).astype({"issues": "int64"}),
        anomalies=_floats(anomalies, ["value", "z_score", "expected_low", "expected_high"]),
        insights=insights_frame,
    )


def _floats(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The numeric columns as float64 (None → NaN), the dtype the pandera schemas and the warehouse writer expect."""
    for column in columns:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame

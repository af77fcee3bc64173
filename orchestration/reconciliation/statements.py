"""External statements: canonical holdings, report date, pending trades, sidecar options and their workbook.

Trustee and Bloomberg files (Excel or CSV) go through the CLO reader and mapping profiles (auto-detect), Geneva
XML through `geneva.parse_geneva`. Workbook selection: the sidecar's `workbook_id`, else its `workbook_name`
(+ `report_date`), else the tenant's workbook with the statement's report date; none or several is bad input
listing the candidates, so the analyst can add a sidecar and re-land the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from orchestration.core.errors import InputError
from orchestration.reconciliation.config import IDENTIFIERS
from orchestration.reconciliation.engine import DEFAULT_COMPARISON, DEFAULT_MATCHING, FIELD_CATEGORY
from orchestration.reconciliation.geneva import parse_date, parse_geneva, parse_number

SOURCE_TYPES: tuple[str, ...] = ("trustee", "geneva", "bloomberg")
MATCHABLE: tuple[str, ...] = IDENTIFIERS
COMPARABLE: tuple[str, ...] = ("rating", *(f for f, category in FIELD_CATEGORY.items() if category != "identity"))
"""Fields a sidecar may ask to compare; identifiers and issuer names are always compared by the identity check."""
TRADE_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "cusip": (r"^cusip",),
    "isin": (r"^isin",),
    "loanx_id": (r"^loanx", r"^lxid$", r"^markitid$"),
    "figi": (r"figi$", r"^bbgid$"),
    "asset_id": (r"^assetid", r"^facilityid$", r"^adminid$"),
}
"""Header patterns (letters only, lower case) of the identifier columns of a Trades/Transactions sheet."""
_AS_OF = re.compile(r"\bas\s*(of|at)\b", re.IGNORECASE)
_TRADE_SHEET = re.compile(r"trade|transaction", re.IGNORECASE)
MAX_CANDIDATES_LISTED = 20


@dataclass
class Statement:
    """A parsed statement: canonical holdings, its report date, pending trades and the sheets it came from."""

    holdings: pd.DataFrame
    report_date: dt.date | None
    trades: pd.DataFrame
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StatementOptions:
    """The reconcile request's options, from the sidecar (seed 000 reconciliation request)."""

    matching_fields: tuple[str, ...] = DEFAULT_MATCHING
    comparison_fields: tuple[str, ...] = DEFAULT_COMPARISON
    tolerance_profile: str = "default"


def _sidecar_list(sidecar: Mapping[str, Any], name: str, allowed: Sequence[str], where: str) -> tuple[str, ...] | None:
    value = sidecar.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InputError("INVALID_SIDECAR", f"{name} must be a non-empty list of field names", where)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise InputError("INVALID_SIDECAR", f"{name} has unknown fields {unknown}; allowed: {list(allowed)}", where)
    return tuple(value)


def statement_options(
    sidecar: Mapping[str, Any] | None, where: str, identifier_order: Sequence[str] = DEFAULT_MATCHING
) -> StatementOptions:
    """matching_fields, comparison_fields and tolerance_profile from the sidecar, validated; defaults otherwise.

    Without `matching_fields` the statement is matched in `identifier_order` (matching.yaml's, from the pipeline).
    """
    sidecar = sidecar or {}
    matching = _sidecar_list(sidecar, "matching_fields", MATCHABLE, where)
    comparison = _sidecar_list(sidecar, "comparison_fields", COMPARABLE, where)
    profile = sidecar.get("tolerance_profile")
    if profile is not None and not isinstance(profile, str):
        raise InputError("INVALID_SIDECAR", "tolerance_profile must be a profile name", where)
    return StatementOptions(
        matching_fields=matching or tuple(identifier_order),
        comparison_fields=comparison or DEFAULT_COMPARISON,
        tolerance_profile=profile or "default",
    )


def sidecar_report_date(sidecar: Mapping[str, Any] | None) -> dt.date | None:
    """`metadata.report_date` (seed 000 upload fields) or a top-level `report_date`."""
    if not sidecar:
        return None
    meta = sidecar.get("metadata")
    value = meta.get("report_date") if isinstance(meta, Mapping) else None
    return parse_date(value if value is not None else sidecar.get("report_date"))


def as_of_date(sheets: Mapping[str, Sequence[Sequence[Any]]], max_rows: int = 15) -> dt.date | None:
    """The date of an "As of" cell near the top of a sheet: in the same cell or the next filled cells of its row."""
    for rows in sheets.values():
        for row in list(rows)[:max_rows]:
            cells = list(row)
            for index, cell in enumerate(cells):
                if isinstance(cell, str) and _AS_OF.search(cell):
                    found = parse_date(cell)
                    for following in cells[index + 1 : index + 4]:
                        if found is None and following not in (None, ""):
                            found = parse_date(following)
                    if found is not None:
                        return found
    return None


def _header_index(header: Sequence[Any], *patterns: str) -> int | None:
    for index, cell in enumerate(header):
        text = re.sub(r"[^a-z]", "", str(cell or "").lower())
        if any(re.search(p, text) for p in patterns):
            return index
    return None


def extract_trades(sheets: Mapping[str, Sequence[Sequence[Any]]]) -> pd.DataFrame:
    """Trades from any sheet named like Trades/Transactions: identifiers, signed par (sales negative), dates."""
    rows_out: list[dict[str, Any]] = []
    for name, rows in sheets.items():
        if not _TRADE_SHEET.search(name):
            continue
        rows = [list(r) for r in rows]
        for h, header in enumerate(rows[:10]):
            found = {name: _header_index(header, *patterns) for name, patterns in TRADE_IDENTIFIERS.items()}
            columns = {name: index for name, index in found.items() if index is not None}
            amount = _header_index(header, r"^par", r"quantity", r"^amount", r"face")
            settle = _header_index(header, r"settle")
            if not columns or amount is None or settle is None:
                continue
            side = _header_index(header, r"^type$", r"^side$", r"tradetype", r"buysell", r"transactiontype")
            trade = _header_index(header, r"^tradedate")
            for row in rows[h + 1 :]:
                cell = dict(enumerate(row))
                raw = cell.get(amount)
                value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else parse_number(raw)
                if value is None or pd.isna(value):
                    continue
                kind = str(cell.get(side, "") or "") if side is not None else ""
                sign = -1.0 if re.search(r"sell|sale|sold", kind, re.IGNORECASE) else 1.0
                rows_out.append(
                    {
                        **{name: cell.get(columns[name]) if name in columns else None for name in TRADE_IDENTIFIERS},
                        "par_amount": sign * abs(float(value)),
                        "trade_date": parse_date(cell.get(trade)) if trade is not None else None,
                        "settle_date": parse_date(cell.get(settle)),
                        "sheet": name,
                    }
                )
            break
    return pd.DataFrame(rows_out, columns=[*TRADE_IDENTIFIERS, "par_amount", "trade_date", "settle_date", "sheet"])


def parse_statement(data: bytes, file_name: str, source_type: str, profile_id: str | None = None) -> Statement:
    """Read a statement into canonical holdings; Excel/CSV via the CLO reader + mapping, XML via the Geneva parser."""
    if source_type == "geneva" or file_name.lower().endswith(".xml"):
        holdings, report_date = parse_geneva(data, file_name)
        return Statement(holdings=holdings, report_date=report_date, trades=extract_trades({}))
    from orchestration.clo.mapping import extract_holdings
    from orchestration.clo.reader import read_workbook

    parsed = read_workbook(data, file_name)
    sheets = {s.name: s.rows for s in parsed.sheets}
    extraction = extract_holdings(parsed, profile_id)
    holdings = extraction.holdings.copy()
    return Statement(
        holdings=holdings,
        report_date=as_of_date(sheets),
        trades=extract_trades(sheets),
        sheets=sheets,
        diagnostics=_json_safe(getattr(extraction, "diagnostics", {})),
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if hasattr(value, "__dict__"):
        return _json_safe(vars(value))
    return str(value)


def _candidates(frame: pd.DataFrame) -> list[dict[str, Any]]:
    listed = frame.head(MAX_CANDIDATES_LISTED)
    return [
        {
            "workbook_id": str(r["workbook_id"]),
            "name": r.get("name"),
            "report_date": None if pd.isna(r.get("report_date")) else str(r.get("report_date")),
            "file_name": r.get("file_name"),
        }
        for r in listed.to_dict(orient="records")
    ]


def select_workbook(
    workbooks: pd.DataFrame,
    sidecar: Mapping[str, Any] | None,
    report_date: dt.date | None,
    where: str,
) -> dict[str, Any]:
    """The one workbook this statement reconciles against, or STATEMENT_WORKBOOK_NOT_FOUND / _AMBIGUOUS.

    The sidecar names it with `workbook_id`, or `workbook_name` (+ the report date when several share the name),
    or `workbook: {id | name}`; its own `name` is the statement's display name (seed 000 upload fields).

    `workbooks` holds the tenant's processed workbooks (workbook_id, name, report_date, file_name,
    partition_key). The error's details list the candidates considered (all the tenant's, when none fit).
    """
    sidecar = sidecar or {}
    frame = workbooks.copy()
    frame["report_date"] = [parse_date(v) for v in frame["report_date"]] if len(frame) else []
    frame = frame.sort_values(["report_date", "name"], na_position="last", kind="stable")
    raw_nested = sidecar.get("workbook")
    nested: Mapping[str, Any] = raw_nested if isinstance(raw_nested, Mapping) else {}
    wanted_id = sidecar.get("workbook_id") or nested.get("id") or nested.get("workbook_id")
    wanted_name = sidecar.get("workbook_name") or nested.get("name")
    if wanted_id:
        pool = frame[frame["workbook_id"].astype(str).str.lower() == str(wanted_id).lower()]
        asked = f"workbook_id {wanted_id}"
    elif wanted_name:
        pool = frame[frame["name"].astype(str).str.casefold() == str(wanted_name).casefold()]
        asked = f"workbook named {wanted_name!r}"
        if report_date is not None and len(pool) > 1:
            pool = pool[pool["report_date"] == report_date]
            asked += f" with report date {report_date}"
    elif report_date is not None:
        pool = frame[frame["report_date"] == report_date]
        asked = f"workbook with report date {report_date}"
    else:
        raise InputError(
            "STATEMENT_REPORT_DATE_MISSING",
            "the statement has no report date (no sidecar workbook_id/name/metadata.report_date and no 'As of' cell)",
            where,
            {"candidates": _candidates(frame)},
        )
    if len(pool) == 1:
        return dict(pool.iloc[0].to_dict())
    if pool.empty:
        listed = _candidates(frame)
        raise InputError(
            "STATEMENT_WORKBOOK_NOT_FOUND",
            f"no processed {asked} for this tenant; candidates: "
            + (", ".join(f"{c['name']} ({c['report_date']}, {c['workbook_id']})" for c in listed) or "none"),
            where,
            {"candidates": listed},
        )
    listed = _candidates(pool)
    raise InputError(
        "STATEMENT_WORKBOOK_AMBIGUOUS",
        f"{len(pool)} workbooks fit ({asked}); name one with a sidecar workbook_id: "
        + ", ".join(f"{c['name']} ({c['report_date']}, {c['workbook_id']})" for c in listed),
        where,
        {"candidates": listed},
    )

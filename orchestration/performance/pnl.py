"""Seed-003 P&L facts: parse a landed CSV or JSON file into typed rows (portfolio, date, figure, amount, offsetting)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from orchestration.core.errors import InputError
from orchestration.core.safe_parse import load_json

PNL_COLUMNS = ("portfolio_id", "date", "figure", "amount", "is_offsetting")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError("PNL_INVALID_VALUE", f"is_offsetting must be true or false, got {value!r}", where)


def _fact(record: Mapping[str, Any], line: int, where: str) -> dict[str, Any]:
    at = f"{where} line {line}"
    portfolio = str(record.get("portfolio_id") or "").strip()
    figure = str(record.get("figure") or "").strip()
    if not portfolio:
        raise InputError("PNL_INVALID_VALUE", "portfolio_id is empty", f"{at}.portfolio_id")
    if not figure:
        raise InputError("PNL_INVALID_VALUE", "figure is empty", f"{at}.figure")
    try:
        day = dt.date.fromisoformat(str(record.get("date") or "").strip())
    except ValueError as exc:
        raise InputError(
            "PNL_INVALID_VALUE", f"date must be YYYY-MM-DD, got {record.get('date')!r}", f"{at}.date"
        ) from exc
    raw_amount = record.get("amount")
    try:
        amount = raw_amount if isinstance(raw_amount, Decimal) else Decimal(str(raw_amount).strip())
    except InvalidOperation as exc:
        raise InputError("PNL_INVALID_VALUE", f"amount must be a number, got {raw_amount!r}", f"{at}.amount") from exc
    if isinstance(raw_amount, bool) or raw_amount is None or not amount.is_finite():
        raise InputError("PNL_INVALID_VALUE", f"amount must be a number, got {raw_amount!r}", f"{at}.amount")
    return {
        "line_number": line,
        "portfolio_id": portfolio,
        "date": day,
        "figure": figure,
        "amount": amount,
        "is_offsetting": _bool(record.get("is_offsetting"), f"{at}.is_offsetting"),
    }


def _records_from_json(text: str, where: str) -> Sequence[Any]:
    doc = load_json(text, code="PNL_INVALID_FILE", where=where, parse_float=Decimal, parse_int=Decimal)
    records = doc.get("facts") if isinstance(doc, Mapping) else doc
    if not isinstance(records, list):
        raise InputError("PNL_INVALID_FILE", 'expected a list of facts or {"facts": [...]}', where)
    return records


def _records_from_csv(text: str, where: str) -> Sequence[Any]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in PNL_COLUMNS if c not in header and c != "is_offsetting"]
    if missing:
        raise InputError("PNL_MISSING_COLUMN", f"missing column(s) {', '.join(missing)}", f"{where} header")
    reader.fieldnames = header
    return list(reader)


def parse_pnl_facts(data: bytes, file_name: str, where: str = "pnl") -> pd.DataFrame:
    """Every fact of a CSV or JSON file as one row; a bad row fails the file with its line and field."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("PNL_INVALID_FILE", "the file is not UTF-8 text", where) from exc
    is_json = file_name.lower().endswith(".json")
    records = _records_from_json(text, where) if is_json else _records_from_csv(text, where)
    rows = []
    for index, record in enumerate(records):
        line = index + 1 if is_json else index + 2  # CSV line numbers count the header
        if not isinstance(record, Mapping):
            raise InputError("PNL_INVALID_VALUE", "each fact must be an object", f"{where} line {line}")
        rows.append(_fact(record, line, where))
    if not rows:
        raise InputError("PNL_EMPTY_FILE", "the file holds no facts", where)
    return pd.DataFrame(rows, columns=["line_number", *PNL_COLUMNS])

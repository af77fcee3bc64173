"""Parse a positions CSV (seed 004's format) into validated rows, and pick the positions held on a day.

Header `ticker,quantity,entry_price,entry_date,tags` (the seed's sample spells the first column `csvticker`).
A new file for a portfolio replaces its positions from the file's effective date on; older files stay
as history and govern the days before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from orchestration.core.errors import InputError
from orchestration.equity import occ
from orchestration.equity.tags import parse_tags

REQUIRED = ("ticker", "quantity", "entry_price", "entry_date")
MAX_QUANTITY = Decimal(10) ** 15
"""Largest |quantity| (shares or contracts) a file may hold: every figure derived from it stays finite."""
MAX_PRICE = Decimal(10) ** 9
"""Largest entry price (and market close) taken; with MAX_QUANTITY and a 100 multiplier a value stays below 1e26."""
ALIASES = {"csvticker": "ticker", "symbol": "ticker"}
NAMESPACE = uuid.UUID("6f1c1b2e-5c7d-4e0a-9a55-0e3f0c2d4b71")
POSITION_COLUMNS = [
    "portfolio_id",
    "position_id",
    "row_number",
    "ticker",
    "underlying",
    "position_type",
    "quantity",
    "entry_price",
    "entry_date",
    "multiplier",
    "option_type",
    "strike",
    "expiry",
    "tags",
]


def portfolio_id_for(tenant_id: str, file_name: str, sidecar: Mapping[str, Any] | None) -> str:
    """The sidecar's `portfolio_id`, else a slug of its `name`, else of the file's stem."""
    sidecar = sidecar or {}
    if sidecar.get("portfolio_id"):
        return str(sidecar["portfolio_id"])
    base = str(sidecar.get("name") or file_name.rsplit(".", 1)[0])
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")
    return slug or "portfolio"


def position_id_for(tenant_id: str, portfolio_id: str, ticker: str, entry_date: dt.date, occurrence: int) -> str:
    """Stable across files: the same lot (ticker, entry date) keeps its id when a portfolio is re-uploaded."""
    return str(uuid.uuid5(NAMESPACE, f"{tenant_id}:{portfolio_id}:{ticker}:{entry_date.isoformat()}:{occurrence}"))


def _decimal(value: str, field: str, where: str) -> Decimal:
    try:
        number = Decimal(value.strip().replace(",", ""))
    except (InvalidOperation, AttributeError) as error:
        raise InputError("VALIDATION_ERROR", f"{field} {value!r} is not a number", where) from error
    if not number.is_finite():
        raise InputError("VALIDATION_ERROR", f"{field} {value!r} is not a finite number", where)
    return number


def _bounded(number: Decimal, field: str, limit: Decimal, where: str) -> Decimal:
    """`number` when |number| ≤ limit; beyond it every figure derived from it could overflow, so it is refused."""
    if abs(number) > limit:
        raise InputError(
            "VALIDATION_ERROR",
            f"{field} {number} is beyond ±{limit:.0e} (figures derived from it would overflow)",
            where,
            {"column": field, "value": str(number), "limit": str(limit)},
        )
    return number


def check_figures(held: pd.DataFrame) -> pd.DataFrame:
    """`held` when every quantity and entry price is finite and within bounds; else InputError naming file and row.

    The daily chain's guard for positions already in the warehouse (the file run refuses such rows when parsed).
    """
    for column, limit in (("quantity", MAX_QUANTITY), ("entry_price", MAX_PRICE)):
        values = pd.to_numeric(held[column], errors="coerce").astype(float)
        bad = ~(values.abs() <= float(limit))  # NaN and ±inf compare False
        if bad.any():
            row = held[bad.to_numpy()].iloc[0]
            number = row.get("row_number", "?")
            raise InputError(
                "VALIDATION_ERROR",
                f"{column} {row[column]} is not a finite number within ±{limit:.0e} (figures would overflow)",
                f"{row.get('file_name', '?')} row {number} ({row['ticker']}), column {column}",
                {"column": column, "value": str(row[column]), "row": str(number)},
            )
    return held


def parse_positions(
    data: bytes,
    *,
    tenant_id: str,
    portfolio_id: str,
    file_name: str,
    renames: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Parse and validate every row; the first bad row raises InputError naming the row and the reason."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError("VALIDATION_ERROR", "positions file is not UTF-8 text", file_name) from error
    reader = csv.DictReader(io.StringIO(text))
    header = [ALIASES.get((h or "").strip().lower(), (h or "").strip().lower()) for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            "VALIDATION_ERROR",
            f"missing column(s) {missing}; expected header ticker,quantity,entry_price,entry_date,tags",
            f"{file_name} (header)",
            {"header": header},
        )
    rows: list[dict[str, Any]] = []
    occurrences: dict[tuple[str, dt.date], int] = {}
    for number, raw in enumerate(reader, start=2):
        record = {header[i]: v for i, v in enumerate(raw.values()) if i < len(header)}
        where = f"{file_name} row {number}"
        if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue
        ticker = (record.get("ticker") or "").strip()
        try:
            instrument = occ.parse_symbol(ticker)
        except occ.SymbolError as error:
            raise InputError("INVALID_SYMBOL", str(error), where, {"row": number, "ticker": ticker}) from error
        quantity = _bounded(_decimal(record.get("quantity") or "", "quantity", where), "quantity", MAX_QUANTITY, where)
        if quantity == 0:
            raise InputError("VALIDATION_ERROR", "quantity is zero", where, {"row": number})
        entry_price = _bounded(
            _decimal(record.get("entry_price") or "", "entry_price", where), "entry_price", MAX_PRICE, where
        )
        if entry_price < 0:
            raise InputError("VALIDATION_ERROR", f"entry_price {entry_price} is negative", where, {"row": number})
        try:
            entry_date = dt.date.fromisoformat((record.get("entry_date") or "").strip())
        except ValueError as error:
            raise InputError(
                "VALIDATION_ERROR", f"entry_date {record.get('entry_date')!r} is not YYYY-MM-DD", where
            ) from error
        key = (instrument.symbol, entry_date)
        occurrences[key] = occurrences.get(key, 0) + 1
        option = instrument.option
        rows.append(
            {
                "portfolio_id": portfolio_id,
                "position_id": position_id_for(
                    tenant_id, portfolio_id, instrument.symbol, entry_date, occurrences[key]
                ),
                "row_number": number,
                "ticker": instrument.symbol,
                "underlying": instrument.underlying,
                "position_type": occ.position_type(instrument, float(quantity)),
                "quantity": quantity,
                "entry_price": entry_price,
                "entry_date": entry_date,
                "multiplier": instrument.multiplier,
                "option_type": option.option_type if option else None,
                "strike": option.strike if option else None,
                "expiry": option.expiry if option else None,
                "tags": parse_tags(record.get("tags"), dict(renames or {})),
            }
        )
    if not rows:
        raise InputError("VALIDATION_ERROR", "the positions file has no rows", file_name)
    return pd.DataFrame(rows, columns=POSITION_COLUMNS)


def effective_from(sidecar: Mapping[str, Any], landed_at: dt.datetime) -> dt.date:
    """The sidecar's `effective_date`, else the landing day (New York): the day from which a file governs."""
    if sidecar.get("effective_date"):
        return dt.date.fromisoformat(str(sidecar["effective_date"]))
    return pd.Timestamp(landed_at).tz_convert("America/New_York").date()


def portfolio_file(
    data: bytes,
    *,
    tenant_id: str,
    file_name: str,
    sidecar: Mapping[str, Any] | None,
    landed_at: dt.datetime,
    renames: Mapping[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One landed positions file as its portfolio row and its positions, both stamped with when they govern."""
    sidecar = sidecar or {}
    portfolio_id = portfolio_id_for(tenant_id, file_name, sidecar)
    positions = parse_positions(
        data, tenant_id=tenant_id, portfolio_id=portfolio_id, file_name=file_name, renames=renames
    )
    effective = effective_from(sidecar, landed_at)
    portfolio = pd.DataFrame(
        [
            {
                "portfolio_id": portfolio_id,
                "name": str(sidecar.get("name") or portfolio_id),
                "base_currency": str(sidecar.get("base_currency") or "USD"),
                "file_name": file_name,
                "effective_from": effective,
                "position_count": len(positions),
                "landed_at": landed_at,
            }
        ]
    )
    return portfolio, positions.assign(effective_from=effective, landed_at=landed_at)


def positions_on(positions: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Positions held on `day`: lots entered by then, of each portfolio's governing file.

    The governing file is the latest effective on or before `day` (the earliest file for days before any file,
    so a backfill sees the first upload).

    `positions` needs columns tenant_id, portfolio_id, partition_key, effective_from, landed_at, entry_date.
    """
    if positions.empty:
        return positions
    files = positions[["tenant_id", "portfolio_id", "partition_key", "effective_from", "landed_at"]].drop_duplicates(
        ["tenant_id", "portfolio_id", "partition_key"]
    )
    files = files.sort_values(["tenant_id", "portfolio_id", "effective_from", "landed_at"])
    chosen: list[tuple[str, str, str]] = []
    for (tenant, portfolio), group in files.groupby(["tenant_id", "portfolio_id"], sort=True):
        effective = group[group["effective_from"] <= day]
        row = effective.iloc[-1] if len(effective) else group.iloc[0]
        chosen.append((str(tenant), str(portfolio), str(row["partition_key"])))
    keys = pd.DataFrame(chosen, columns=["tenant_id", "portfolio_id", "partition_key"])
    held = positions.merge(keys, on=["tenant_id", "portfolio_id", "partition_key"])
    return held[held["entry_date"] <= day].reset_index(drop=True)

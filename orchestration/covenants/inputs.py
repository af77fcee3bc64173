"""Parse and validate covenant input files: deals, covenants and measurements, as JSON or CSV (issue 7, Input).

Shapes are seed 001's request bodies: a Deal, a Covenant, `{"measurements": [...]}`; a file may also
hold a list of one kind, or a pack `{"deals": [...], "covenants": [...], "measurements": [...]}`.
CSV files use the same field names (`id`/`deal_id` as plain UUIDs; `id.value` headers are accepted)
and hold one kind, recognised by its columns. Every problem is collected and reported at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from orchestration.core.errors import InputError
from orchestration.core.safe_parse import load_json
from orchestration.covenants.formula import FormulaError, parse_formula

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_REPORTED_ERRORS = 50
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
METRIC_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
INTEGER_PATTERN = re.compile(r"^[+-]?\d+$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DIRECTIONS = ("<=", ">=")
FREQUENCIES = ("QUARTERLY", "ANNUAL")

DEAL_FIELDS = (
    "id",
    "name",
    "borrower",
    "sector",
    "region",
    "commitment_amount_cents",
    "currency",
    "maturity_date_iso",
)
COVENANT_FIELDS = (
    "id",
    "deal_id",
    "name",
    "formula",
    "threshold_value_scaled",
    "threshold_direction",
    "frequency",
)
MEASUREMENT_FIELDS = ("deal_id", "period_start_iso", "period_end_iso", "metric_name", "metric_value_scaled")

DEAL_COLUMNS = [
    "deal_id",
    "name",
    "borrower",
    "sector",
    "region",
    "commitment_amount_cents",
    "currency",
    "maturity_date",
    "source_index",
]
COVENANT_COLUMNS = [
    "covenant_id",
    "deal_id",
    "name",
    "formula",
    "threshold_value_scaled",
    "threshold_direction",
    "frequency",
    "source_index",
]
MEASUREMENT_COLUMNS = [
    "deal_id",
    "period_start",
    "period_end",
    "metric_name",
    "metric_value_scaled",
    "source_index",
]


@dataclass
class CovenantInputs:
    """The three record kinds of one file, as frames (any may be empty)."""

    deals: pd.DataFrame
    covenants: pd.DataFrame
    measurements: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return {"deals": len(self.deals), "covenants": len(self.covenants), "measurements": len(self.measurements)}


@dataclass
class _Problems:
    """Collected validation problems: `where: message` lines."""

    file_name: str
    items: list[str] = field(default_factory=list)
    text_numbers: bool = False
    """CSV cells are text, so integers arrive as digit strings there (and only there)."""

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            shown = self.items[:MAX_REPORTED_ERRORS]
            raise InputError(
                "VALIDATION_ERROR",
                f"{len(self.items)} problem(s): " + "; ".join(shown[:5]),
                self.file_name,
                {"problems": shown},
            )


def _identifier(value: Any, where: str, problems: _Problems) -> str | None:
    """A UUID given as `{"value": "..."}` (seed 001's id objects) or as a plain string; canonical lowercase."""
    raw = value.get("value") if isinstance(value, Mapping) else value
    if not isinstance(raw, str):
        problems.add(where, 'must be a UUID string or {"value": "<uuid>"}')
        return None
    try:
        return str(uuid.UUID(raw.strip()))
    except ValueError:
        problems.add(where, f"{raw!r} is not a UUID")
        return None


def _integer(value: Any, where: str, problems: _Problems) -> int | None:
    """A JSON integer or a CSV digit string; floats, booleans, quoted JSON numbers and 1e9 are refused."""
    if isinstance(value, bool) or value is None:
        problems.add(where, "must be an integer")
        return None
    if isinstance(value, int):
        number = value
    elif problems.text_numbers and isinstance(value, str) and INTEGER_PATTERN.match(value.strip()):
        number = int(value.strip())
    else:
        problems.add(where, f"must be an integer, got {value!r}")
        return None
    if not INT64_MIN <= number <= INT64_MAX:
        problems.add(where, f"{number} does not fit a 64-bit integer")
        return None
    return number


def _date(value: Any, where: str, problems: _Problems) -> dt.date | None:
    if not isinstance(value, str):
        problems.add(where, "must be an ISO date string (YYYY-MM-DD)")
        return None
    try:
        if not DATE_PATTERN.match(value.strip()):
            raise ValueError(value)
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        problems.add(where, f"{value!r} is not an ISO date (YYYY-MM-DD)")
        return None


def _text(value: Any, where: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "must be a non-empty string")
        return None
    return value.strip()


def _choice(value: Any, choices: tuple[str, ...], where: str, problems: _Problems) -> str | None:
    text = value.strip() if isinstance(value, str) else value
    if text not in choices:
        problems.add(where, f"must be one of {', '.join(choices)}, got {value!r}")
        return None
    return str(text)


def _missing_fields(record: Mapping[str, Any], fields: Iterable[str], where: str, problems: _Problems) -> bool:
    missing = [f for f in fields if f not in record or record[f] is None or record[f] == ""]
    for name in missing:
        problems.add(f"{where}.{name}", "is required")
    return bool(missing)


def _deal(record: Any, where: str, problems: _Problems) -> dict[str, Any] | None:
    if not isinstance(record, Mapping):
        problems.add(where, "must be an object")
        return None
    if _missing_fields(record, DEAL_FIELDS, where, problems):
        return None
    currency = _text(record["currency"], f"{where}.currency", problems)
    if currency is not None and not CURRENCY_PATTERN.match(currency):
        problems.add(f"{where}.currency", f"must be a 3-letter upper-case code, got {currency!r}")
    row = {
        "deal_id": _identifier(record["id"], f"{where}.id", problems),
        "name": _text(record["name"], f"{where}.name", problems),
        "borrower": _text(record["borrower"], f"{where}.borrower", problems),
        "sector": _text(record["sector"], f"{where}.sector", problems),
        "region": _text(record["region"], f"{where}.region", problems),
        "commitment_amount_cents": _integer(
            record["commitment_amount_cents"], f"{where}.commitment_amount_cents", problems
        ),
        "currency": currency,
        "maturity_date": _date(record["maturity_date_iso"], f"{where}.maturity_date_iso", problems),
    }
    return row if all(v is not None for v in row.values()) else None


def _covenant(record: Any, where: str, problems: _Problems) -> dict[str, Any] | None:
    if not isinstance(record, Mapping):
        problems.add(where, "must be an object")
        return None
    if _missing_fields(record, COVENANT_FIELDS, where, problems):
        return None
    formula = _text(record["formula"], f"{where}.formula", problems)
    if formula is not None:
        try:
            parse_formula(formula)
        except FormulaError as error:
            problems.add(f"{where}.formula", f"{formula!r}: {error}")
            formula = None
    row = {
        "covenant_id": _identifier(record["id"], f"{where}.id", problems),
        "deal_id": _identifier(record["deal_id"], f"{where}.deal_id", problems),
        "name": _text(record["name"], f"{where}.name", problems),
        "formula": formula,
        "threshold_value_scaled": _integer(
            record["threshold_value_scaled"], f"{where}.threshold_value_scaled", problems
        ),
        "threshold_direction": _choice(
            record["threshold_direction"], DIRECTIONS, f"{where}.threshold_direction", problems
        ),
        "frequency": _choice(record["frequency"], FREQUENCIES, f"{where}.frequency", problems),
    }
    return row if all(v is not None for v in row.values()) else None


def _measurement(record: Any, where: str, problems: _Problems) -> dict[str, Any] | None:
    if not isinstance(record, Mapping):
        problems.add(where, "must be an object")
        return None
    if _missing_fields(record, MEASUREMENT_FIELDS, where, problems):
        return None
    metric = _text(record["metric_name"], f"{where}.metric_name", problems)
    if metric is not None and not METRIC_PATTERN.match(metric):
        problems.add(f"{where}.metric_name", f"{metric!r} is not a name a formula can use ([A-Za-z_][A-Za-z0-9_]*)")
        metric = None
    start = _date(record["period_start_iso"], f"{where}.period_start_iso", problems)
    end = _date(record["period_end_iso"], f"{where}.period_end_iso", problems)
    if start is not None and end is not None and start > end:
        problems.add(where, f"period_start_iso {start} is after period_end_iso {end}")
        start = None
    row = {
        "deal_id": _identifier(record["deal_id"], f"{where}.deal_id", problems),
        "period_start": start,
        "period_end": end,
        "metric_name": metric,
        "metric_value_scaled": _integer(record["metric_value_scaled"], f"{where}.metric_value_scaled", problems),
    }
    return row if all(v is not None for v in row.values()) else None


def _records_by_kind(payload: Any, problems: _Problems) -> dict[str, list[Any]]:
    """Recognise the JSON shape: a pack, a `{"measurements": [...]}` body, one record, or a list of one kind."""
    kinds: dict[str, list[Any]] = {"deals": [], "covenants": [], "measurements": []}
    if isinstance(payload, Mapping) and set(payload) & set(kinds):
        for kind in kinds:
            if kind in payload:
                if not isinstance(payload[kind], list):
                    problems.add(kind, "must be a list")
                else:
                    kinds[kind] = list(payload[kind])
        unknown = sorted(set(payload) - set(kinds))
        if unknown:
            problems.add("file", f"unexpected top-level key(s) {unknown}; expected deals, covenants, measurements")
        return kinds
    records = payload if isinstance(payload, list) else [payload]
    for index, record in enumerate(records):
        found = _kind_of(record)
        if found is None:
            problems.add(f"[{index}]", "is not a Deal, Covenant or Measurement (see seed 001's models)")
        else:
            kinds[found].append(record)
    return kinds


def _kind_of(record: Any) -> str | None:
    if not isinstance(record, Mapping):
        return None
    if "formula" in record:
        return "covenants"
    if "metric_name" in record:
        return "measurements"
    if "borrower" in record or "commitment_amount_cents" in record:
        return "deals"
    return None


def _csv_records(text: str, problems: _Problems) -> dict[str, list[Any]]:
    """A CSV holds one kind, recognised by its header; `id.value`-style headers map onto `id`."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().removesuffix(".value") for h in (reader.fieldnames or [])]
    kinds: dict[str, list[Any]] = {"deals": [], "covenants": [], "measurements": []}
    kind = _kind_of(dict.fromkeys(header, ""))
    if kind is None:
        problems.add("header", f"columns {header} match none of deals, covenants or measurements")
        return kinds
    expected = {"deals": DEAL_FIELDS, "covenants": COVENANT_FIELDS, "measurements": MEASUREMENT_FIELDS}[kind]
    extra = sorted(set(header) - set(expected))
    if extra:
        problems.add("header", f"unexpected column(s) {extra} for {kind}")
    for row in reader:
        if None in row:
            problems.add(f"line {reader.line_num}", "has more fields than the header")
            continue
        kinds[kind].append(
            {h: (v.strip() if isinstance(v, str) else v) for h, v in zip(header, row.values(), strict=True)}
        )
    return kinds


def parse_inputs(content: bytes, file_name: str) -> CovenantInputs:
    """Parse one landed file into validated frames, or raise InputError listing every problem."""
    is_csv = file_name.lower().endswith(".csv")
    problems = _Problems(file_name, text_numbers=is_csv)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("INVALID_ENCODING", "the file is not UTF-8 text", file_name) from None
    if is_csv:
        kinds = _csv_records(text, problems)
    else:
        payload = load_json(text, code="INVALID_JSON", where=file_name)
        kinds = _records_by_kind(payload, problems)
    deals = [(i, _deal(r, f"deals[{i}]", problems)) for i, r in enumerate(kinds["deals"])]
    covenants = [(i, _covenant(r, f"covenants[{i}]", problems)) for i, r in enumerate(kinds["covenants"])]
    measurements = [(i, _measurement(r, f"measurements[{i}]", problems)) for i, r in enumerate(kinds["measurements"])]
    if not any(kinds.values()) and not problems.items:
        problems.add("file", "holds no deals, covenants or measurements")
    _duplicates(deals, ("deal_id",), "deals", problems)
    _duplicates(covenants, ("covenant_id",), "covenants", problems)
    _duplicates(measurements, ("deal_id", "period_start", "period_end", "metric_name"), "measurements", problems)
    problems.raise_if_any()
    return CovenantInputs(
        deals=_frame(deals, DEAL_COLUMNS),
        covenants=_frame(covenants, COVENANT_COLUMNS),
        measurements=_frame(measurements, MEASUREMENT_COLUMNS),
    )


def _duplicates(
    rows: list[tuple[int, dict[str, Any] | None]], key: tuple[str, ...], kind: str, problems: _Problems
) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    for index, row in rows:
        if row is None:
            continue
        value = tuple(row[k] for k in key)
        if value in seen:
            problems.add(f"{kind}[{index}]", f"repeats {kind}[{seen[value]}] ({', '.join(map(str, value))})")
        else:
            seen[value] = index


def _frame(rows: list[tuple[int, dict[str, Any] | None]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([{**row, "source_index": index} for index, row in rows if row is not None], columns=columns)
    for column in columns:
        if column.endswith(("_cents", "_scaled")) or column == "source_index":
            frame[column] = frame[column].astype("int64")
    return frame


def check_deal_references(inputs: CovenantInputs, known_deal_ids: Iterable[str], file_name: str) -> None:
    """Covenants and measurements must refer to deals the tenant has landed (here or before); name the others."""
    known = set(known_deal_ids) | set(inputs.deals["deal_id"])
    unknown: dict[str, list[str]] = {}
    for kind, frame in (("covenants", inputs.covenants), ("measurements", inputs.measurements)):
        for index, deal_id in zip(frame["source_index"], frame["deal_id"], strict=True):
            if deal_id not in known:
                unknown.setdefault(deal_id, []).append(f"{kind}[{index}]")
    if unknown:
        names = sorted(unknown)
        raise InputError(
            "UNKNOWN_DEAL",
            f"{len(names)} unknown deal id(s): {', '.join(names[:10])}: land a file defining them, then re-run "
            "this partition (`calcbridge rerun --failed`); it is then read as of their landing",
            file_name,
            {"unknown_deals": {deal: refs[:10] for deal, refs in unknown.items()}},
        )

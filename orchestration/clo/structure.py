"""Read a deal structure from a `Structure` sheet (the layout the demo writes) into issue 4's deal object.

Layout: key/value rows (`as_of_date`, `currency`, `principal_cash`, `reference_rate_name`,
`reference_rate_pct`, `accrual_days`, `day_count`, `senior_fees_and_expenses`,
`defaulted_recovery_rate_pct`, `ccc_limit_pct`, `domestic_country`), then a `Notes` title row followed by a
header row (class, par, spread_bps, rating, seniority) and one row per class, then a `Tests` title row
followed by a header row (id, name, category, direction, unit, denominator_classes, trigger_level,
target_level) and one row per test. Blank rows separate the blocks. `denominator_classes` is comma-separated.
"""

from collections.abc import Sequence
from typing import Any

from orchestration.clo.normalize import is_blank, to_date, to_number

ACCOUNT_KEYS = {"principal_cash"}
RATE_KEYS = {"reference_rate_name", "reference_rate_pct", "accrual_days", "day_count"}
NUMERIC_KEYS = {
    "principal_cash",
    "reference_rate_pct",
    "accrual_days",
    "senior_fees_and_expenses",
    "defaulted_recovery_rate_pct",
    "ccc_limit_pct",
}


def _key(value: Any) -> str:
    return str(value).strip().lower().replace(" ", "_") if value is not None else ""


def _value(key: str, value: Any) -> Any:
    if key == "as_of_date":
        found = to_date(value)
        return found.isoformat() if found else None
    if key in NUMERIC_KEYS:
        number = to_number(value)
        return int(number) if key == "accrual_days" and number is not None else number
    return None if is_blank(value) else str(value).strip()


def read_structure(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """The deal object (issue 4's shape) from a Structure sheet's rows; absent parts are simply left out."""
    deal: dict[str, Any] = {}
    section = "keys"
    header: list[str] = []
    notes: list[dict[str, Any]] = []
    tests: list[dict[str, Any]] = []
    for row in rows:
        cells = list(row)
        if not cells or all(is_blank(c) for c in cells):
            header = [] if section in ("notes_header", "tests_header") else header
            continue
        first = _key(cells[0])
        if first in ("notes", "tests") and all(is_blank(c) for c in cells[1:]):
            section, header = first, []
            continue
        if section in ("notes", "tests") and not header:
            header = [_key(c) for c in cells]
            continue
        if section == "keys":
            key, value = first, cells[1] if len(cells) > 1 else None
            parsed = _value(key, value)
            if key in ACCOUNT_KEYS:
                deal.setdefault("accounts", {})[key] = parsed
            elif key in RATE_KEYS:
                deal.setdefault("rates", {})[key] = parsed
            elif key:
                deal[key] = parsed
            continue
        record = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}
        if section == "notes":
            notes.append(
                {
                    "class": str(record.get("class")).strip(),
                    "par": to_number(record.get("par")),
                    "spread_bps": to_number(record.get("spread_bps")),
                    "rating": None if is_blank(record.get("rating")) else str(record.get("rating")).strip(),
                    "seniority": int(to_number(record.get("seniority")) or 0),
                }
            )
        else:
            classes = record.get("denominator_classes")
            tests.append(
                {
                    "id": str(record.get("id")).strip(),
                    "name": str(record.get("name")).strip(),
                    "category": str(record.get("category")).strip(),
                    "direction": str(record.get("direction")).strip(),
                    "unit": str(record.get("unit")).strip(),
                    "denominator_classes": [c.strip() for c in str(classes).split(",") if c.strip()]
                    if not is_blank(classes)
                    else [],
                    "trigger_level": to_number(record.get("trigger_level")),
                    "target_level": to_number(record.get("target_level")),
                }
            )
    if notes:
        deal["notes"] = notes
    if tests:
        deal["tests"] = tests
    return deal

"""What a workbook says besides its holdings: schema drift against the previous one, and its report date."""

import datetime as dt
from typing import Any

from orchestration.clo import normalize as nz
from orchestration.clo.mapping.fields import _DATE_LABEL
from orchestration.clo.reader import ParsedWorkbook


def schema_drift(previous: dict[str, str] | None, current: dict[str, str]) -> dict[str, Any]:
    """New columns, missing columns and type changes against the previous workbook's column types."""
    if previous is None:
        return {"compared_to": None, "new_columns": [], "missing_columns": [], "type_changes": []}
    return {
        "new_columns": [c for c in current if c not in previous],
        "missing_columns": [c for c in previous if c not in current],
        "type_changes": [
            {"column": c, "previous": previous[c], "current": current[c]}
            for c in current
            if c in previous and previous[c] != current[c] and "empty" not in (previous[c], current[c])
        ],
    }


def find_report_date(parsed: ParsedWorkbook) -> dt.date | None:
    """A date next to (right of or below) a cell labelled "As of" / "Report Date", or inside that cell's text."""
    for sheet in parsed.sheets:
        for r, row in enumerate(sheet.rows[:20]):
            for c, value in enumerate(row[:12]):
                if not isinstance(value, str) or not _DATE_LABEL.search(value):
                    continue
                tail = _DATE_LABEL.split(value)[-1].strip(" :-")
                if tail and (found := nz.to_date(tail)):
                    return found
                neighbours = [row[c + 1] if c + 1 < len(row) else None]
                if r + 1 < len(sheet.rows) and c < len(sheet.rows[r + 1]):
                    neighbours.append(sheet.rows[r + 1][c])
                for neighbour in neighbours:
                    if neighbour is not None and not isinstance(neighbour, bool):
                        found = nz.to_date(neighbour)
                        if found and found.year > 1990:
                            return found
    return None

"""Find the holdings sheet and its header row by content; spread merged header cells; name the columns."""

from collections.abc import Sequence
from typing import Any

from orchestration.clo import normalize as nz
from orchestration.clo.mapping.fields import HEADER_SCAN_ROWS, HOLDINGS_SHEET_WORDS
from orchestration.clo.reader import ParsedSheet, ParsedWorkbook
from orchestration.core.errors import InputError


def _filled_rows(sheet: ParsedSheet, limit: int) -> list[list[Any]]:
    """The first `limit` rows with each merged range's value spread over the whole range."""
    rows = [list(r) for r in sheet.rows[:limit]]
    for r0, c0, r1, c1 in sheet.merged:
        if r0 >= limit:
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else None
        if value is None:
            continue
        for r in range(r0, min(r1, limit - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] is None:
                    row[c] = value
    return rows


def _header_hits(cells: Sequence[Any], index: dict[str, str]) -> int:
    """How many distinct canonical fields a row's cells name exactly."""
    return len({index[n] for n in (nz.normalize_header(c) for c in cells if isinstance(c, str)) if n in index})


def _find_header(sheet: ParsedSheet, index: dict[str, str]) -> tuple[int, int, list[list[Any]]]:
    """(header row 0-based, number of fields it names, filled header-zone rows)."""
    rows = _filled_rows(sheet, HEADER_SCAN_ROWS)
    best_row, best_hits = 0, -1
    for r, cells in enumerate(rows):
        hits = _header_hits(cells, index)
        if hits > best_hits:
            best_row, best_hits = r, hits
    return best_row, max(best_hits, 0), rows


def _column_names(rows: list[list[Any]], header_row: int, width: int, index: dict[str, str]) -> list[str]:
    """Unique column names from the header row; an empty cell takes the label above it (a group header)."""
    from openpyxl.utils.cell import get_column_letter

    header = rows[header_row] if header_row < len(rows) else []
    parent = rows[header_row - 1] if header_row > 0 else []
    names: list[str] = []
    seen: dict[str, int] = {}
    for c in range(width):
        child = nz.to_text(header[c]) if c < len(header) else None
        above = nz.to_text(parent[c]) if c < len(parent) else None
        if child and above and above != child and nz.normalize_header(child) not in index:
            combined = f"{above} {child}"
            name = combined if nz.normalize_header(combined) in index else child
        else:
            name = child or above or f"Column {get_column_letter(c + 1)}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def choose_sheet(parsed: ParsedWorkbook, index: dict[str, str], preferred: str | None = None) -> ParsedSheet:
    """The holdings sheet: the preferred name if present, else the sheet whose header names most fields."""
    if preferred:
        sheet = parsed.sheet(preferred)
        if sheet is not None and sheet.rows:
            return sheet
    scored: list[tuple[float, int, ParsedSheet]] = []
    for order, sheet in enumerate(parsed.sheets):
        if not sheet.rows:
            continue
        _, hits, _ = _find_header(sheet, index)
        name_bonus = 1.5 if any(w in sheet.name.lower() for w in HOLDINGS_SHEET_WORDS) else 0.0
        hidden_penalty = 1.0 if sheet.hidden else 0.0
        if hits >= 2:
            scored.append((hits + name_bonus - hidden_penalty, -order, sheet))
    if not scored:
        found = ", ".join(f"{s.name!r} ({s.n_rows} rows)" for s in parsed.sheets) or "none"
        raise InputError(
            "NO_HOLDINGS_SHEET",
            f"no sheet has a header naming at least two holding fields; sheets found: {found}",
            parsed.file_name,
            {"sheets_found": parsed.sheet_names},
        )
    return max(scored, key=lambda t: (t[0], t[1]))[2]

"""Read a CLO workbook (.xlsx, .xlsm or .csv bytes) into sheets of cell values, formulas resolved.

Values come from python-calamine (fast, reads cached formula results). openpyxl is opened only when the
package holds formula cells (a cheap scan of the sheet XML for `<f>`), to learn which formulas have no cached
value; those are evaluated with the `formulas` library (`formula_eval`). Size limits guard against huge
uploads and zip bombs (the decompressed size is the sum of the zip members' sizes, checked before reading).
"""

import csv
import io
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import python_calamine

from orchestration.clo.formula_eval import FormulaError, FormulaEvaluator
from orchestration.core.copy_text import gc_paused
from orchestration.core.errors import InputError

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Default upload limit (seed 000: WORKBOOK_TOO_LARGE, 413)."""
DECOMPRESSED_FACTOR = 20
"""A workbook may decompress to at most this many times the upload limit (zip-bomb guard)."""
ZIP_MAGIC = b"PK\x03\x04"
_SHEET_MEMBER = re.compile(r"^xl/worksheets/sheet\d+\.xml$")
MAX_FAILURES_KEPT = 50


@dataclass
class ParsedSheet:
    """One sheet: its cell values (row-major, row 0 = Excel row 1, formulas resolved) and its shape."""

    name: str
    hidden: bool
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Merged ranges as 0-based (first_row, first_col, last_row, last_col)."""

    @property
    def n_rows(self) -> int:
        """Rows up to the last one holding a value."""
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        """Columns up to the last one holding a value in any row."""
        return max((len(r) for r in self.rows), default=0)


@dataclass
class ParsedWorkbook:
    """The sheets of a file, how it was read and what happened to its formulas."""

    file_name: str
    file_format: str
    size_bytes: int
    decompressed_bytes: int
    sheets: list[ParsedSheet]
    formula_stats: dict[str, Any]

    def sheet(self, name: str) -> ParsedSheet | None:
        """The sheet with this name, case-insensitively."""
        wanted = name.strip().lower()
        return next((s for s in self.sheets if s.name.lower() == wanted), None)

    @property
    def sheet_names(self) -> list[str]:
        """Names of all sheets in workbook order."""
        return [s.name for s in self.sheets]


def empty_formula_stats() -> dict[str, Any]:
    """Formula counts for a file without formulas."""
    return {"formula_cells": 0, "cached": 0, "evaluated": 0, "failed": 0, "failures": []}


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty cells of each row and trailing empty rows; '' from calamine becomes None."""
    for index, row in enumerate(rows):
        while row and row[-1] == "":
            row.pop()
        if "" in row:
            rows[index] = [None if v == "" else v for v in row]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _check_zip(data: bytes, file_name: str, limit: int) -> tuple[zipfile.ZipFile, int]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise InputError(
            "WORKBOOK_INVALID_FORMAT", f"not a readable Excel package (corrupt or truncated zip: {exc})", file_name
        ) from exc
    decompressed = sum(i.file_size for i in infos)
    if decompressed > limit * DECOMPRESSED_FACTOR:
        raise InputError(
            "WORKBOOK_TOO_LARGE",
            f"decompressed size {decompressed} bytes exceeds {limit * DECOMPRESSED_FACTOR} "
            f"({DECOMPRESSED_FACTOR}x the {limit}-byte limit)",
            file_name,
            {"decompressed_bytes": decompressed, "limit_bytes": limit},
        )
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise InputError("WORKBOOK_INVALID_FORMAT", "zip file is not an Excel workbook (no xl/workbook.xml)", file_name)
    return archive, decompressed


def _has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet XML holds an `<f>` element, streamed in chunks so nothing big is held."""
    for info in archive.infolist():
        if not _SHEET_MEMBER.match(info.filename):
            continue
        tail = b""
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 22):
                window = tail + chunk
                if b"<f>" in window or b"<f " in window or b":f>" in window:
                    return True
                tail = chunk[-8:]
    return False


def _read_excel(data: bytes, file_name: str) -> list[ParsedSheet]:
    with gc_paused():
        return _read_excel_sheets(data, file_name)


def _read_excel_sheets(data: bytes, file_name: str) -> list[ParsedSheet]:
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:
        raise InputError("WORKBOOK_INVALID_FORMAT", f"cannot open workbook: {exc}", file_name) from exc
    sheets: list[ParsedSheet] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = _trim(sheet.to_python(skip_empty_area=False))
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append(ParsedSheet(name=meta.name, hidden=hidden, rows=rows, merged=merged))
    except Exception as exc:
        raise InputError("WORKBOOK_INVALID_FORMAT", f"cannot read sheet data: {exc}", file_name) from exc
    finally:
        book.close()
    return sheets


def _resolve_formulas(data: bytes, sheets: list[ParsedSheet], file_name: str) -> dict[str, Any]:
    """Find formula cells with openpyxl; keep cached results, evaluate the rest; count everything."""
    import openpyxl

    stats = empty_formula_stats()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:
        stats["failures"].append({"sheet": None, "cell": None, "formula": None, "error": f"openpyxl: {exc}"})
        return stats
    by_name = {s.name: s for s in sheets}
    formula_cells: dict[tuple[str, int, int], str] = {}
    cached: set[tuple[str, int, int]] = set()
    try:
        for worksheet in book.worksheets:
            parsed = by_name.get(worksheet.title)
            if parsed is None:
                continue
            for row in worksheet.iter_rows():
                for cell in row:
                    value = getattr(cell, "value", None)
                    if not (isinstance(value, str) and value.startswith("=") and cell.data_type == "f"):
                        continue
                    r, c = cell.row - 1, cell.column - 1
                    key = (parsed.name, r, c)
                    formula_cells[key] = value
                    if r < len(parsed.rows) and c < len(parsed.rows[r]) and parsed.rows[r][c] is not None:
                        cached.add(key)
    finally:
        book.close()
    stats["formula_cells"] = len(formula_cells)
    stats["cached"] = len(cached)
    evaluator = FormulaEvaluator({s.name: s.rows for s in sheets}, formula_cells, cached)
    for key in sorted(formula_cells.keys() - cached):
        sheet_name, r, c = key
        try:
            value = evaluator.value(sheet_name, r, c)
        except FormulaError as error:
            stats["failed"] += 1
            if len(stats["failures"]) < MAX_FAILURES_KEPT:
                stats["failures"].append(
                    {"sheet": sheet_name, "cell": _a1(r, c), "formula": formula_cells[key], "error": str(error)}
                )
            continue
        stats["evaluated"] += 1
        rows = by_name[sheet_name].rows
        while len(rows) <= r:
            rows.append([])
        while len(rows[r]) <= c:
            rows[r].append(None)
        rows[r][c] = value
    return stats


def _a1(row: int, col: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(col + 1)}{row + 1}"


def _read_csv(data: bytes, file_name: str) -> list[ParsedSheet]:
    if b"\x00" in data[:65536]:
        raise InputError("WORKBOOK_INVALID_FORMAT", "binary content in a .csv file", file_name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sample = text[:65536]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [[cell if cell.strip() != "" else None for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    return [ParsedSheet(name=PurePath(file_name).stem, hidden=False, rows=_trim(rows))]


def read_workbook(data: bytes, file_name: str, *, max_bytes: int | None = None) -> ParsedWorkbook:
    """Parse a workbook's bytes; raise WORKBOOK_INVALID_FORMAT or WORKBOOK_TOO_LARGE as typed InputErrors."""
    limit = max_bytes or DEFAULT_MAX_BYTES
    if len(data) > limit:
        raise InputError(
            "WORKBOOK_TOO_LARGE",
            f"file is {len(data)} bytes, over the {limit}-byte limit",
            file_name,
            {"size_bytes": len(data), "limit_bytes": limit},
        )
    suffix = PurePath(file_name).suffix.lower()
    if suffix == ".csv":
        sheets = _read_csv(data, file_name)
        return ParsedWorkbook(file_name, "csv", len(data), len(data), sheets, empty_formula_stats())
    if not data.startswith(ZIP_MAGIC):
        raise InputError(
            "WORKBOOK_INVALID_FORMAT",
            f"{suffix or 'file'} content is not an Excel (OOXML zip) workbook",
            file_name,
            {"first_bytes": data[:8].hex()},
        )
    archive, decompressed = _check_zip(data, file_name, limit)
    # The formula scan (zlib, GIL released) runs beside calamine's parse of the same bytes.
    with archive, ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(_has_formulas, archive)
        sheets = _read_excel(data, file_name)
        try:
            has_formulas = scan.result()
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise InputError("WORKBOOK_INVALID_FORMAT", f"corrupt worksheet part: {exc}", file_name) from exc
    if not sheets:
        raise InputError("WORKBOOK_INVALID_FORMAT", "workbook has no worksheets", file_name)
    stats = _resolve_formulas(data, sheets, file_name) if has_formulas else empty_formula_stats()
    return ParsedWorkbook(file_name, suffix.lstrip(".") or "xlsx", len(data), decompressed, sheets, stats)
